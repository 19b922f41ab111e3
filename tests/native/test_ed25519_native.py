# lightclient.native.ed25519 (OpenSSL fast path + pure fallback) gives exactly the pure ZIP-215
# verdict: on every Wycheproof vector, 200 random valid signatures made by `cryptography`, mutated
# ones, and the ZIP-215-only cases where OpenSSL rejects and the fallback must accept.
# Also checks the containment the module relies on: OpenSSL never accepts what ZIP-215 rejects.
import json
import os
import random

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lightclient.native import ed25519 as nat
from lightclient.chip.crypto import ed25519 as pure
from lightclient.chip.crypto import edwards25519 as curve

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "vectors", "wycheproof",
                       "ed25519_test.json")


def _wycheproof():
    with open(VECTORS) as f:
        data = json.load(f)
    for g in data["testGroups"]:
        pk = bytes.fromhex(g["publicKey"]["pk"])
        for t in g["tests"]:
            yield t["tcId"], pk, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]), t["result"]


def _raw_pub(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check(pk, msg, sig):
    want = pure.verify(pk, msg, sig)
    assert nat.verify(pk, msg, sig) is want
    if nat.native_accepts(pk, msg, sig):  # containment: OpenSSL-accept => ZIP-215-accept
        assert want is True
    return want


def test_native_backend_is_available():
    assert nat.AVAILABLE


def test_wycheproof_agreement():
    n = 0
    for tc, pk, msg, sig, result in _wycheproof():
        got = _check(pk, msg, sig)
        assert got is (result == "valid" or tc == 151), tc  # 151: see tests/chip/crypto/test_ed25519.py
        n += 1
    assert n == 151


def test_wycheproof_151_is_decided_by_the_fallback():
    for tc, pk, msg, sig, _ in _wycheproof():
        if tc == 151:
            assert nat.native_accepts(pk, msg, sig) is False
            assert nat.verify(pk, msg, sig) is True


def _random_cases(n, seed):
    rng = random.Random(seed)
    for i in range(n):
        key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        msg = rng.randbytes(rng.choice([0, 1, 31, 64, 110, 200, 1000]))
        yield rng, _raw_pub(key), msg, key.sign(msg)


def test_200_random_valid_signatures():
    for _, pk, msg, sig in _random_cases(200, 1):
        assert nat.native_accepts(pk, msg, sig)
        assert _check(pk, msg, sig) is True


def test_mutated_signatures_agree():
    rejected = 0
    for rng, pk, msg, sig in _random_cases(60, 2):
        muts = []
        for _ in range(3):
            b = bytearray(sig)
            b[rng.randrange(64)] ^= 1 << rng.randrange(8)
            muts.append((pk, msg, bytes(b)))
            b = bytearray(pk)
            b[rng.randrange(32)] ^= 1 << rng.randrange(8)
            muts.append((bytes(b), msg, sig))
        muts.append((pk, msg + b"!", sig))
        s = int.from_bytes(sig[32:], "little")
        muts.append((pk, msg, sig[:32] + (s + curve.L).to_bytes(32, "little")))
        for m in muts:
            rejected += not _check(*m)
    assert rejected >= 60 * 8 - 2  # essentially all mutations are forgeries


def _zip215_only_cases():
    P, L = curve.P, curve.L
    seed = bytes(range(32))
    a, _ = pure._expand_seed(seed)
    pk = pure.public_key(seed)
    out = []
    # non-canonical R (y = p + 1, the identity), S = k*a
    for R_bytes in ((P + 1).to_bytes(32, "little"), bytes.fromhex("01" + "00" * 30 + "80")):
        k = int.from_bytes(pure.sha512(R_bytes + pk + b"m"), "little") % L
        out.append((pk, b"m", R_bytes + (k * a % L).to_bytes(32, "little")))
    # small-order and non-canonical A with R = [r]B, S = r
    r = 4242
    sig = curve.encode_point(pure.scalar_mult_base(r)) + r.to_bytes(32, "little")
    for A in ((P + 1).to_bytes(32, "little"), bytes(32), bytes.fromhex("01" + "00" * 31),
              ((P - 1)).to_bytes(32, "little")):
        out.append((A, b"anything", sig))
    # mixed-order A (A = aB + T8), honest-style signatures: cofactored only
    T8 = curve.decode_point(bytes.fromhex(
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))
    A = curve.encode_point(curve._add(pure.scalar_mult_base(a), T8))
    for i in range(8):
        msg = bytes([i])
        r = 1000 + i
        R = curve.encode_point(pure.scalar_mult_base(r))
        k = int.from_bytes(pure.sha512(R + A + msg), "little") % L
        out.append((A, msg, R + ((r + k * a) % L).to_bytes(32, "little")))
    return out


def test_zip215_only_cases_are_accepted_via_fallback():
    fallback = 0
    for pk, msg, sig in _zip215_only_cases():
        assert _check(pk, msg, sig) is True
        fallback += not nat.native_accepts(pk, msg, sig)
    assert fallback >= 6  # OpenSSL rejects most of these; the pure verifier must decide


@pytest.mark.parametrize("pk,sig", [(b"", b"\x00" * 64), (b"\x00" * 32, b""), (None, b"\x00" * 64),
                                    (b"\x00" * 33, b"\x00" * 64), (b"\x00" * 32, b"\x00" * 65)])
def test_bad_lengths_and_types_are_false(pk, sig):
    assert nat.verify(pk, b"m", sig) is False
