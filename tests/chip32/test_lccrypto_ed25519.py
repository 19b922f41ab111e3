# lccrypto's Ed25519 against the pure-Python ZIP-215 verifier (lightclient.chip.crypto.ed25519, on
# CPython) on the cases that set ZIP-215 apart: ZIP-215's 196 small-order (A, R) pairs,
# non-canonical and mixed-order A and R, S >= L, off-curve encodings, random and mutated
# signatures; and signing / key derivation byte-for-byte equal to the pure RFC 8032 path.
import hashlib
import random

from lightclient.chip.crypto import ed25519 as pure
from tests.chip32.chip32 import Error, call_many

P, L = pure.P, pure.L


def _small_order_encodings():
    """ZIP-215's 14 encodings of points of order dividing 8, non-canonical ones included."""
    y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022
    ys = [1, P - 1, 0, y8, P - y8, 1 + P, 0 + P]
    return [(y | (sign << 255)).to_bytes(32, "little") for y in ys for sign in (0, 1)]


def _cases():
    rng = random.Random(215)
    out = []
    small = _small_order_encodings()
    assert len(small) == 14
    for A in small:  # ZIP-215's test vectors: S = 0, every small-order A and R
        for R in small:
            out.append((A, b"Zcash", R + bytes(32)))
    seed = bytes(range(32))
    a, _ = pure._expand_seed(seed)
    pk = pure.public_key(seed)
    T8 = pure.decode_point(small[6])
    mixed = pure.encode_point(pure._add(pure.scalar_mult_base(a), T8))
    for i in range(16):
        msg = bytes([i]) * i
        r = rng.randrange(1, L)
        R = pure.encode_point(pure.scalar_mult_base(r))
        for A in (pk, mixed):  # honest-style signature, also under a mixed-order key
            k = int.from_bytes(pure.sha512(R + A + msg), "little") % L
            out.append((A, msg, R + ((r + k * a) % L).to_bytes(32, "little")))
    for i in range(4):  # mixed-order R (R + a torsion point): only the cofactored equation holds
        r = rng.randrange(1, L)
        R = pure.encode_point(pure._add(pure.scalar_mult_base(r), T8))
        k = int.from_bytes(pure.sha512(R + pk + b"mixed R"), "little") % L
        out.append((pk, b"mixed R", R + ((r + k * a) % L).to_bytes(32, "little")))
    for R_bytes in ((P + 1).to_bytes(32, "little"), ((P + 1) | (1 << 255)).to_bytes(32, "little"),
                    P.to_bytes(32, "little")):  # non-canonical R, hashed as given
        k = int.from_bytes(pure.sha512(R_bytes + pk + b"m"), "little") % L
        out.append((pk, b"m", R_bytes + (k * a % L).to_bytes(32, "little")))
    good = pure.sign(seed, b"s-bound")
    s = int.from_bytes(good[32:], "little")
    for bad_s in (s + L, L, L + 1, (1 << 256) - 1, (1 << 253)):  # S >= L never verifies
        if bad_s < 1 << 256:
            out.append((pk, b"s-bound", good[:32] + bad_s.to_bytes(32, "little")))
    off, y = [], 2
    while len(off) < 4:  # encodings of no curve point, as A and as R
        enc = y.to_bytes(32, "little")
        if pure.decode_point(enc) is None:
            off.append(enc)
            out.append((enc, b"s-bound", good))
            out.append((pk, b"s-bound", enc + good[32:]))
        y += 1
    for i in range(40):  # random keys, messages; each signature also mutated
        sd = rng.randbytes(32)
        msg = rng.randbytes(rng.randrange(0, 300))
        pub, sig = pure.public_key(sd), pure.sign(sd, msg)
        out.append((pub, msg, sig))
        bit = rng.randrange(512)
        mut = bytearray(sig)
        mut[bit // 8] ^= 1 << (bit % 8)
        out.append((pub, msg, bytes(mut)))
        out.append((pub, msg + b"x", sig))
    return out


def test_verdicts_equal_the_pure_zip215_verifier():
    cases = _cases()
    got, peak = call_many([("ed25519_verify",) + c for c in cases])
    accepted = 0
    for (pk, msg, sig), verdict in zip(cases, got):
        assert verdict == pure.verify(pk, msg, sig), (pk.hex(), msg.hex(), sig.hex())
        accepted += verdict
    assert 196 < accepted < len(cases)  # all 196 small-order pairs verify, forgeries do not
    assert peak < 8 * 1024, peak  # no heap beyond the driver's own bookkeeping


def test_sign_and_public_key_equal_rfc8032_pure_path():
    rng = random.Random(8032)
    seeds = [bytes(32), bytes(range(32))] + [rng.randbytes(32) for _ in range(10)]
    msgs = [b"", b"abc", rng.randbytes(1000)]
    calls = [("ed25519_public_key", s) for s in seeds]
    calls += [("ed25519_sign", s, m) for s in seeds for m in msgs]
    got, _ = call_many(calls)
    assert got[: len(seeds)] == [pure.public_key(s) for s in seeds]
    assert got[len(seeds):] == [pure.sign(s, m) for s in seeds for m in msgs]
    # RFC 8032 test 1: the empty message under the seed 9d61...7f60
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    (sig,), _ = call_many([("ed25519_sign", seed, b"")])
    assert sig.hex().startswith("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155")


def test_sha512_equals_hashlib():
    rng = random.Random(512)
    data = [b"", b"abc"] + [rng.randbytes(n) for n in (111, 112, 127, 128, 129, 1000, 4096)]
    got, _ = call_many([("sha512", d) for d in data])
    assert got == [hashlib.sha512(d).digest() for d in data]


def test_bad_lengths_are_false_or_typed_errors():
    calls = [("ed25519_verify", bytes(31), b"m", bytes(64)), ("ed25519_verify", bytes(32), b"m", bytes(65)),
             ("ed25519_verify", b"", b"", b""), ("ed25519_sign", bytes(31), b"m"),
             ("ed25519_public_key", bytes(33)), ("x25519", bytes(32), bytes(31)),
             ("x25519_public_key", b"")]
    got, _ = call_many(calls)
    assert got[:3] == [False, False, False]
    assert got[3:] == [Error("ed25519_sign: seed must be 32 bytes"),
                       Error("ed25519_public_key: seed must be 32 bytes"),
                       Error("x25519: point must be 32 bytes"),
                       Error("x25519_public_key: scalar must be 32 bytes")]
