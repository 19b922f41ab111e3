# Ed25519 signatures with the ZIP-215 validity rules CometBFT uses (curve25519-voi,
# VerifyOptionsZIP_215), plus RFC 8032 signing for tools, tests and firmware.
# Shared subset: runs unchanged on CPython and MicroPython 1.27 (no int.bit_length, no pow(x, -1, m),
# no hashlib.sha512 there).
#
# verify(public_key, message, signature) -> bool, exactly ZIP-215:
#   - public_key is 32 bytes, signature 64 bytes (R || S); any other length -> False.
#   - A and R must decode to curve points. Decoding follows curve25519-voi / dalek: the top bit is the
#     sign of x, the low 255 bits are y and are NOT required to be < p (y >= p is taken mod p); x is
#     the square root of (y^2 - 1) / (d y^2 + 1) whose parity equals the sign bit. If that ratio has
#     no square root the encoding is rejected. If x = 0 the sign bit is ignored (x = -0 = 0): voi
#     negates the non-negative root conditionally and so accepts "x = 0 with sign bit 1" (it lists
#     those two encodings, y = 1 and y = p + 1 with the sign bit, only as *non-canonical*, which
#     ZIP-215 allows). RFC 8032 would reject them; ZIP-215 and CometBFT accept them.
#   - A and R may be small-order or have a torsion component.
#   - S (little-endian, all 256 bits) must be < L, else reject.
#   - k = SHA-512(R_bytes || A_bytes || M) mod L over the bytes exactly as given, and the cofactored
#     equation [8][S]B == [8]R + [8][k]A must hold.
#
# How it is computed (variable time; all inputs are public):
#   1. Halve the scalars (the trick of Antipa et al. / Pornin, as voi's TripleScalarMulBasepoint):
#      a truncated extended Euclid on (L, k) gives delta, c with c == delta*k (mod L),
#      0 <= c < 2^126 and 0 < |delta| <= 2^127. Because delta is invertible mod L and [8] kills the
#      torsion, [8](S*B - k*A - R) == 0  <=>  [8]([delta*S mod L]B - [c]A - [delta]R) == 0.
#   2. One Straus pass (shared doublings, about 128 of them) over four scalars of <= 128 bits:
#      s0*B + s1*(2^128 B) + c*(-A) + |delta|*(+-R), with delta*S mod L = s0 + 2^128 s1. The two base
#      point scalars use width-W_BASE wNAF with a table of odd multiples of B and of 2^128 B (built
#      lazily once, affine "Niels" form); A and R use width-W_VAR (4) wNAF with 4 cached odd
#      multiples each.
#   3. Multiply by 8 (three doublings) and test for the identity in projective coordinates
#      (X == 0 and Y == Z), no inversion.
# Points are extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z; the formulas
# are the a = -1 ones of Hisil-Wong-Carter-Dawson 2008 ("add-2008-hwcd-3", "dbl-2008-hwcd").
# The curve arithmetic is edwards25519.py.

from lightclient.chip.crypto.edwards25519 import (IDENTITY, L, P, _M128, _add, _half_size,
                                                 _multi_mul, _neg, _tables, _times8_is_identity,
                                                 _var_table, decode_point, encode_point)
from lightclient.chip.crypto.sha512 import sha512

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SEED_SIZE = 32


# ---------------------------------------------------------------------------------------------
# Public API

def verify(public_key, message, signature):
    """ZIP-215 Ed25519 verification (CometBFT's rules). Never raises on malformed input: False."""
    try:
        if len(public_key) != 32 or len(signature) != 64:
            return False
        public_key = bytes(public_key)
        signature = bytes(signature)
        message = bytes(message)
    except TypeError:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    A = decode_point(public_key)
    if A is None:
        return False
    r_bytes = signature[:32]
    R = decode_point(r_bytes)
    if R is None:
        return False
    k = int.from_bytes(sha512(r_bytes + public_key + message), "little") % L
    return _check(s, k, A, R)


def _check(s, k, A, R):
    # [8]([delta*s mod L]B - [c]A - [delta]R) == 0 with c == delta*k (mod L)
    delta, c = _half_size(k)
    sd = delta * s % L
    tb, tb128 = _tables()
    terms = [(sd & _M128, tb, True), (sd >> 128, tb128, True)]
    if c:
        terms.append((c, _var_table(_neg(A)), False))
    if delta > 0:
        terms.append((delta, _var_table(_neg(R)), False))
    else:
        terms.append((-delta, _var_table(R), False))
    X, Y, Z = _multi_mul(terms)
    return _times8_is_identity(X, Y, Z)


def verify_unhalved(public_key, message, signature):
    """Same verdict as verify(), computed the direct way ([8]([S]B - [k]A) == [8]R with a
    full-length Straus pass). Kept as an independent cross-check for the tests."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    public_key = bytes(public_key)
    signature = bytes(signature)
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    A = decode_point(public_key)
    R = decode_point(signature[:32])
    if A is None or R is None:
        return False
    k = int.from_bytes(sha512(signature[:32] + public_key + bytes(message)), "little") % L
    tb, tb128 = _tables()
    terms = [(s & _M128, tb, True), (s >> 128, tb128, True)]
    if k:
        terms.append((k, _var_table(_neg(A)), False))
    terms.append((1, _var_table(_neg(R)), False))
    X, Y, Z = _multi_mul(terms)
    return _times8_is_identity(X, Y, Z)


def scalar_mult_base(k):
    """[k]B as an extended point, k >= 0 (any size; reduced mod L first)."""
    k %= L
    if k == 0:
        return list(IDENTITY)
    tb, tb128 = _tables()
    X, Y, Z = _multi_mul([(k & _M128, tb, True), (k >> 128, tb128, True)])
    return [X, Y, Z, X * Y * pow(Z, P - 2, P) % P]


def scalar_mult(k, pt):
    """[k]pt for k >= 0 (not reduced: torsion matters), by plain double-and-add."""
    acc = list(IDENTITY)
    q = list(pt)
    while k:
        if k & 1:
            acc = _add(acc, q)
        q = _add(q, q)
        k >>= 1
    return acc


def _expand_seed(seed):
    if len(seed) != 32:
        raise ValueError("ed25519 seed must be 32 bytes")
    h = sha512(bytes(seed))
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed):
    """RFC 8032 public key (32 bytes) for a 32-byte seed (the RFC's private key)."""
    a, _ = _expand_seed(seed)
    return encode_point(scalar_mult_base(a))


def sign(seed, message):
    """RFC 8032 Ed25519 signature (64 bytes) of `message` with a 32-byte seed."""
    a, prefix = _expand_seed(seed)
    message = bytes(message)
    pub = encode_point(scalar_mult_base(a))
    r = int.from_bytes(sha512(prefix + message), "little") % L
    r_bytes = encode_point(scalar_mult_base(r))
    k = int.from_bytes(sha512(r_bytes + pub + message), "little") % L
    s = (r + k * a) % L
    return r_bytes + s.to_bytes(32, "little")
