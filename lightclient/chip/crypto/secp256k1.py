# secp256k1 ECDSA over SHA-256, verified as CometBFT verifies secp256k1 validator votes
# (crypto/secp256k1 PubKey.VerifySignature), plus RFC 6979 signing for tools and the firmware.
# Shared subset: runs unchanged on CPython and MicroPython 1.27 (no int.bit_length, no
# pow(x, -1, m), only hashlib.sha256).
#
# Acceptance rules of verify(public_key, message, signature):
#   - public key: 33-byte compressed (0x02/0x03 || x) as CometBFT validator keys are, or 65-byte
#     uncompressed (0x04 || x || y); x, y < p and the point on the curve. Anything else: False.
#   - signature: exactly 64 bytes r || s, big-endian; 1 <= r < n, 1 <= s <= (n-1)/2 (high s is
#     rejected, as CometBFT does to stop malleability).
#     Note: CometBFT reads r and s with ModNScalar.SetByteSlice, which reduces them mod n, so it
#     would also take r + n or s + n when that still fits in 32 bytes. That needs r or s below
#     2^256 - n (about 2^128), which an honest signature has with probability ~2^-128; we reject
#     r, s >= n like libsecp256k1's compact parser (and Wycheproof) do.
#   - the message is hashed with SHA-256 here; e = that digest as a big-endian integer.
#
# How it is fast with plain integers (numbers: bench/secp256k1_mp.py, on MicroPython 1.27
# WebAssembly about 3.2 ms per verify against 8.9 ms for the naive baseline, 2.75 ms with a
# prepared key):
#   - u1*G + u2*Q in one pass (Straus), Jacobian coordinates, a = 0 doubling formulas, every
#     addition a mixed one (the table points are affine).
#   - GLV endomorphism: LAMBDA*(x, y) = (BETA*x, y), so each 256-bit scalar splits into two
#     ~128-bit halves and the shared doubling chain is ~129 long instead of 256.
#   - signed windows (wNAF): width 5 for Q (8 affine odd multiples: 7 additions on an
#     isomorphic curve and one batch inversion per key; prepare() keeps them for a key that is
#     used again) and width 9 for G (128 affine odd multiples of G and their BETA-images, built
#     lazily once, ~21 KB of heap on MicroPython, see _g_table).
#   - s^-1 mod n by extended Euclid (on MicroPython ~8x faster than Fermat's pow(s, n-2, n));
#     the result's x is compared with r as X == r * Z^2 (mod p), and with r + n when r + n < p,
#     so there is no inversion mod p at the end.
#   - reductions mod p "fold, then %" (see _mul_add), square roots by an addition chain.
# Nothing here is constant time: verify handles public data only; sign() is for tools and
# test fixtures, not for keys an attacker can time.
# The group arithmetic is secp256k1_group.py.

import hashlib

from lightclient.chip.core.errors import DecodeError, SignatureError
from lightclient.chip.crypto.hmac_sha256 import hmac_sha256
from lightclient.chip.crypto.secp256k1_group import (N, P, _g_table, _inv, _mul_add, _q_table,
                                                     _sqrt_candidate, _to_affine)

HALF_N = (N - 1) >> 1

PUBLIC_KEY_SIZE = 33
SIGNATURE_SIZE = 64


# --- public API ---------------------------------------------------------------------------


def verify(public_key, message, signature):
    """CometBFT secp256k1 VerifySignature: True iff `signature` (64 bytes r || s, low s) is a
    valid ECDSA signature of SHA-256(`message`) under `public_key` (33 or 65 bytes)."""
    if not isinstance(message, (bytes, bytearray)):
        return False
    return verify_digest(public_key, hashlib.sha256(message).digest(), signature)


def verify_digest(public_key, digest, signature):
    """As verify(), for an already computed 32-byte SHA-256 digest."""
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != 32:
        return False
    point = _parse_point(public_key)
    if point is None:
        return False
    rs = _parse_signature(signature)
    if rs is None:
        return False
    return _verify(point[0], point[1], int.from_bytes(digest, "big"), rs[0], rs[1])


def verify_point(point, message, signature):
    """As verify(), for a public key already decoded with decode_point() (callers that check
    many signatures of the same validators save the square root of decompression)."""
    if not isinstance(message, (bytes, bytearray)):
        return False
    rs = _parse_signature(signature)
    if rs is None:
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    return _verify(point[0], point[1], e, rs[0], rs[1])


def prepare(public_key):
    """Decode a public key once and precompute what every verification with it needs (the odd
    multiples Q, 3Q, ..., 15Q and their LAMBDA-images): for keys that sign again and again, like
    a validator set's. Returns an opaque tuple for verify_prepared(); 26 integers (~1.4 KB of
    heap on MicroPython). Raises SignatureError(check="secp256k1_pubkey") for a bad key."""
    x, y = decode_point(public_key)
    return (x, y, _q_table(x, y))


def verify_prepared(prepared, message, signature):
    """As verify(), for a key from prepare()."""
    if not isinstance(message, (bytes, bytearray)):
        return False
    rs = _parse_signature(signature)
    if rs is None:
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    return _verify(prepared[0], prepared[1], e, rs[0], rs[1], prepared[2])


def decode_point(public_key):
    """33-byte compressed or 65-byte uncompressed SEC1 key -> affine (x, y) on the curve.
    Raises SignatureError(check="secp256k1_pubkey") for anything else."""
    point = _parse_point(public_key)
    if point is None:
        n = len(public_key) if isinstance(public_key, (bytes, bytearray)) else -1
        raise SignatureError("secp256k1_pubkey", "not a valid secp256k1 public key", length=n)
    return point


def decompress(public_key):
    """33-byte compressed key -> 65-byte uncompressed key (0x04 || x || y)."""
    if not isinstance(public_key, (bytes, bytearray)) or len(public_key) != 33:
        n = len(public_key) if isinstance(public_key, (bytes, bytearray)) else -1
        raise SignatureError("secp256k1_pubkey", "compressed key must be 33 bytes", length=n)
    x, y = decode_point(public_key)
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def encode_point(point, compressed=True):
    """Affine (x, y) -> SEC1 bytes, 33 (compressed) or 65."""
    x, y = point
    if compressed:
        return (b"\x03" if y & 1 else b"\x02") + x.to_bytes(32, "big")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def public_key(secret, compressed=True):
    """32-byte secret key -> SEC1 public key (33 bytes compressed, or 65)."""
    d = _parse_secret(secret)
    return encode_point(_to_affine(_mul_add(d, 0, 0, 0)), compressed)


def sign(secret, message):
    """Deterministic ECDSA (RFC 6979, HMAC-SHA-256) of SHA-256(message) -> 64 bytes r || s,
    s normalised to the low half as CometBFT requires. Not constant time."""
    if not isinstance(message, (bytes, bytearray)):
        raise DecodeError("secp256k1_message", "message must be bytes")
    return sign_digest(secret, hashlib.sha256(message).digest())


def sign_digest(secret, digest):
    """As sign(), for an already computed 32-byte digest."""
    d = _parse_secret(secret)
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != 32:
        raise DecodeError("secp256k1_digest", "digest must be 32 bytes")
    e = int.from_bytes(digest, "big")
    x_oct = d.to_bytes(32, "big")
    h_oct = (e % N).to_bytes(32, "big")  # bits2octets
    k_key = b"\x00" * 32
    v = b"\x01" * 32
    k_key = hmac_sha256(k_key, v + b"\x00" + x_oct + h_oct)
    v = hmac_sha256(k_key, v)
    k_key = hmac_sha256(k_key, v + b"\x01" + x_oct + h_oct)
    v = hmac_sha256(k_key, v)
    while True:
        v = hmac_sha256(k_key, v)
        k = int.from_bytes(v, "big")
        if 1 <= k < N:
            rx = _to_affine(_mul_add(k, 0, 0, 0))[0]
            r = rx % N
            if r:
                s = _inv_n(k) * (e + r * d) % N
                if s:
                    if s > HALF_N:
                        s = N - s
                    return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        k_key = hmac_sha256(k_key, v + b"\x00")
        v = hmac_sha256(k_key, v)


def g_table_size():
    """(number of points, number of stored integers) of the lazily built G table."""
    t = _g_table()
    return len(t[0]), len(t[0]) * 3


# --- parsing ------------------------------------------------------------------------------


def _parse_point(pub):
    if not isinstance(pub, (bytes, bytearray)):
        return None
    n = len(pub)
    if n == 33:
        prefix = pub[0]
        if prefix != 2 and prefix != 3:
            return None
        x = int.from_bytes(pub[1:], "big")
        if x >= P:
            return None
        y2 = (x * x * x + 7) % P
        y = _sqrt_candidate(y2)
        if y * y % P != y2:
            return None
        if (y & 1) != (prefix & 1):
            y = P - y
        return (x, y)
    if n == 65:
        if pub[0] != 4:
            return None
        x = int.from_bytes(pub[1:33], "big")
        y = int.from_bytes(pub[33:], "big")
        if x >= P or y >= P or (y * y - x * x * x - 7) % P:
            return None
        return (x, y)
    return None


def _parse_signature(sig):
    if not isinstance(sig, (bytes, bytearray)) or len(sig) != 64:
        return None
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if r == 0 or r >= N or s == 0 or s > HALF_N:
        return None
    return (r, s)


def _parse_secret(secret):
    if not isinstance(secret, (bytes, bytearray)) or len(secret) != 32:
        raise DecodeError("secp256k1_secret", "secret key must be 32 bytes")
    d = int.from_bytes(secret, "big")
    if d == 0 or d >= N:
        raise DecodeError("secp256k1_secret", "secret key out of range [1, n-1]")
    return d


def _inv_n(x):
    return _inv(x, N)


def _verify(qx, qy, e, r, s, qtab=None):
    if r <= 0 or r >= N or s <= 0 or s > HALF_N:
        return False
    w = _inv_n(s)
    X, Y, Z = _mul_add(e * w % N, r * w % N, qx, qy, qtab)
    if Z == 0:
        return False
    zz = Z * Z % P
    if X == r * zz % P:
        return True
    # x(R) mod n == r also holds for x(R) = r + n, possible only when r + n < p.
    return r < P - N and X == (r + N) * zz % P
