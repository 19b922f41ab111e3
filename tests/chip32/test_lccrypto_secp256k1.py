# lccrypto's secp256k1 against the pure-Python path (lightclient.chip.crypto.secp256k1, on CPython):
# RFC 6979 signatures byte-for-byte, public keys, verdicts on valid, mutated and malformed input
# (CometBFT's rules: low s, r and s in [1, n-1], no hybrid keys); HMAC / HKDF against CPython.
import hashlib
import hmac
import random

from lightclient.chip.crypto import secp256k1 as pure
from tests.chip32.chip32 import Error, call_many

N, HALF_N = pure.N, pure.HALF_N


def _secrets(rng, n):
    return [(1).to_bytes(32, "big"), (N - 1).to_bytes(32, "big")] + \
        [rng.randrange(1, N).to_bytes(32, "big") for _ in range(n)]


def test_sign_and_public_key_equal_the_pure_path():
    rng = random.Random(6979)
    secrets = _secrets(rng, 8)
    msgs = [b"", b"sample", rng.randbytes(500)]
    calls = [("secp256k1_public_key", d) for d in secrets]
    calls += [("secp256k1_public_key", d, 0) for d in secrets]
    calls += [("secp256k1_sign", d, m) for d in secrets for m in msgs]
    calls += [("secp256k1_sign_digest", d, hashlib.sha256(m).digest()) for d in secrets for m in msgs]
    got, _ = call_many(calls)
    want = [pure.public_key(d) for d in secrets] + [pure.public_key(d, False) for d in secrets]
    want += [pure.sign(d, m) for d in secrets for m in msgs] * 2
    assert got == want
    for sig in got[2 * len(secrets):]:
        assert int.from_bytes(sig[32:], "big") <= HALF_N


def test_verdicts_equal_the_pure_path():
    rng = random.Random(256)
    cases = []
    for d in _secrets(rng, 12):
        msg = rng.randbytes(rng.randrange(0, 200))
        sig = pure.sign(d, msg)
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        for pub in (pure.public_key(d), pure.public_key(d, False)):
            cases.append((pub, msg, sig))
            cases.append((pub, msg + b"!", sig))
            cases.append((pub, msg, sig[:32] + (N - s).to_bytes(32, "big")))  # high s
            for rr, ss in ((0, s), (r, 0), (r + N, s), (N, s), (r, N), ((1 << 256) - 1, s)):
                if rr < 1 << 256 and ss < 1 << 256:
                    cases.append((pub, msg, rr.to_bytes(32, "big") + ss.to_bytes(32, "big")))
            bit = rng.randrange(512)
            mut = bytearray(sig)
            mut[bit // 8] ^= 1 << (bit % 8)
            cases.append((pub, msg, bytes(mut)))
        pub65 = pure.public_key(d, False)
        hybrid = bytes([6 + (pub65[64] & 1)]) + pub65[1:]  # SEC1 hybrid form: CometBFT rejects
        cases.append((hybrid, msg, sig))
        cases.append((b"\x05" + pub65[1:33], msg, sig))
        cases.append((pub65[:33], msg, sig + b"\x00"))
    x_not_on_curve = next(x for x in range(5, 100) if pure._parse_point(b"\x02" + x.to_bytes(32, "big")) is None)
    cases.append((b"\x02" + x_not_on_curve.to_bytes(32, "big"), b"m", bytes(64)))
    cases.append((b"\x02" + pure.P.to_bytes(32, "big"), b"m", bytes(64)))
    got, peak = call_many([("secp256k1_verify",) + c for c in cases])
    accepted = 0
    for (pub, msg, sig), verdict in zip(cases, got):
        assert verdict == pure.verify(pub, msg, sig), (pub.hex(), msg.hex(), sig.hex())
        accepted += verdict
    assert 28 <= accepted < len(cases) // 4
    assert peak < 8 * 1024, peak  # the context and tables are static: no heap


def test_bad_secrets_and_digests_are_typed_errors():
    calls = [("secp256k1_sign", bytes(32), b"m"), ("secp256k1_sign", N.to_bytes(32, "big"), b"m"),
             ("secp256k1_public_key", bytes(31)), ("secp256k1_sign_digest", (1).to_bytes(32, "big"), bytes(31)),
             ("secp256k1_verify_digest", pure.public_key((1).to_bytes(32, "big")), bytes(31), bytes(64))]
    got, _ = call_many(calls)
    assert got == [Error("secp256k1: secret key out of range [1, n-1]"),
                   Error("secp256k1: secret key out of range [1, n-1]"),
                   Error("secp256k1: secret key must be 32 bytes"),
                   Error("secp256k1: digest must be 32 bytes"), False]


def test_hmac_and_hkdf_equal_cpython():
    rng = random.Random(5869)
    keys = [b"", b"k", rng.randbytes(64), rng.randbytes(65), rng.randbytes(200)]
    msgs = [b"", rng.randbytes(55), rng.randbytes(64), rng.randbytes(1000)]
    calls = [("hmac_sha256", k, m) for k in keys for m in msgs]
    sizes = [0, 1, 32, 33, 64, 100, 8160]
    calls += [("hkdf_sha256", k, k[:7], b"info", n) for k in keys for n in sizes]
    calls += [("hkdf_sha256", b"k", b"", b"", 8161), ("hkdf_sha256", b"k", b"", b"", -1)]
    got, _ = call_many(calls)

    def hkdf(ikm, salt, info, n):
        prk = hmac.new(salt, ikm, "sha256").digest()
        t, okm, i = b"", b"", 1
        while len(okm) < n:
            t = hmac.new(prk, t + info + bytes([i]), "sha256").digest()
            okm, i = okm + t, i + 1
        return okm[:n]

    want = [hmac.new(k, m, "sha256").digest() for k in keys for m in msgs]
    want += [hkdf(k, k[:7], b"info", n) for k in keys for n in sizes]
    want += [Error("hkdf_sha256: length must be 0..8160")] * 2
    assert got == want
