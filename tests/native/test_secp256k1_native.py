# CPython only: the libsecp256k1 backend (lightclient.native.secp256k1) and the pure core
# verifier give the same verdict on every Wycheproof secp256k1 vector, on random signatures made
# by python-ecdsa and on their mutations; python-ecdsa is the oracle for the core's sign().
import hashlib
import json
import os
import random

import pytest
from coincurve._libsecp256k1 import lib
from coincurve.ecdsa import deserialize_compact
from ecdsa import SECP256k1, SigningKey
from ecdsa.util import sigencode_string, sigencode_string_canonize

from lightclient.native import secp256k1 as native
from lightclient.chip.crypto import secp256k1 as pure
from lightclient.chip.crypto import secp256k1_group as group

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "vectors", "wycheproof")
N = group.N


def _load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def _compress(pub65):
    return (b"\x03" if pub65[64] & 1 else b"\x02") + pub65[1:33]


def _der_to_rs(der):
    import sys

    here = os.path.dirname(__file__)
    for d in (os.path.join(here, "..", "chip"), os.path.join(here, "..", "chip", "crypto")):
        sys.path.insert(0, d)   # test_secp256k1 and the dual helper it imports
    from test_secp256k1 import der_to_rs

    return der_to_rs(der)


@pytest.mark.parametrize(
    "name", ["ecdsa_secp256k1_sha256_p1363_test.json", "ecdsa_secp256k1_sha256_bitcoin_test.json"]
)
def test_native_agrees_with_pure_on_wycheproof(name):
    data = _load(name)
    seen = accepted = 0
    for g in data["testGroups"]:
        pub65 = bytes.fromhex(g["publicKey"]["uncompressed"])
        for t in g["tests"]:
            msg = bytes.fromhex(t["msg"])
            sig = bytes.fromhex(t["sig"])
            if "p1363" not in name:
                sig = _der_to_rs(sig)
                if sig is None:
                    continue
            for pub in (pub65, _compress(pub65)):
                want = pure.verify(pub, msg, sig)
                assert native.verify(pub, msg, sig) == want, (name, t["tcId"], t["comment"])
                seen += 1
                accepted += want
    assert seen > 400 and accepted > 150


def test_libsecp256k1_itself_rejects_high_s():
    # The rule does not rest on our range check alone: libsecp256k1's verify refuses high s.
    sk = SigningKey.generate(curve=SECP256k1)
    msg = b"high s"
    sig = sk.sign_deterministic(msg, hashfunc=hashlib.sha256, sigencode=sigencode_string_canonize)
    s = int.from_bytes(sig[32:], "big")
    high = sig[:32] + (N - s).to_bytes(32, "big")
    key = native._public_key(sk.get_verifying_key().to_string("compressed"))
    digest = hashlib.sha256(msg).digest()
    assert lib.secp256k1_ecdsa_verify(native._CTX, deserialize_compact(sig), digest, key.public_key)
    assert not lib.secp256k1_ecdsa_verify(
        native._CTX, deserialize_compact(high), digest, key.public_key
    )
    assert sk.get_verifying_key().verify(high, msg, hashfunc=hashlib.sha256)  # plain ECDSA: valid


def _mutations(pub, msg, sig, rng):
    yield pub, msg + b"\x00", sig
    yield pub, msg[:-1] if msg else b"x", sig
    s = int.from_bytes(sig[32:], "big")
    yield pub, msg, sig[:32] + (N - s).to_bytes(32, "big")  # high-s twin
    for _ in range(3):
        b = bytearray(sig)
        b[rng.randrange(64)] ^= 1 << rng.randrange(8)
        yield pub, msg, bytes(b)
    b = bytearray(pub)
    b[rng.randrange(1, len(pub))] ^= 1 << rng.randrange(8)
    yield bytes(b), msg, sig
    yield bytes([pub[0] ^ 1]) + pub[1:], msg, sig
    r = int.from_bytes(sig[:32], "big")
    yield pub, msg, ((r + N) % (1 << 256)).to_bytes(32, "big") + sig[32:]


def test_random_signatures_and_mutations():
    rng = random.Random(20240611)
    total = 0
    for i in range(200):
        sk = SigningKey.from_secret_exponent(rng.randrange(1, N), curve=SECP256k1)
        msg = rng.randbytes(rng.randrange(0, 200))
        # python-ecdsa, random nonce, no low-s normalisation: about half come out high-s
        sig = sk.sign(msg, hashfunc=hashlib.sha256, sigencode=sigencode_string)
        vk = sk.get_verifying_key()
        s = int.from_bytes(sig[32:], "big")
        for pub in (vk.to_string("compressed"), vk.to_string("uncompressed")):
            want = s <= pure.HALF_N
            assert pure.verify(pub, msg, sig) is want, i
            assert native.verify(pub, msg, sig) is want, i
            for m_pub, m_msg, m_sig in _mutations(pub, msg, sig, rng):
                p = pure.verify(m_pub, m_msg, m_sig)
                assert native.verify(m_pub, m_msg, m_sig) == p, (i, m_pub.hex(), m_sig.hex())
                total += 1
    assert total > 3000


def test_sign_matches_python_ecdsa():
    rng = random.Random(7)
    for _ in range(100):
        secret = rng.randrange(1, N).to_bytes(32, "big")
        msg = rng.randbytes(rng.randrange(0, 100))
        sk = SigningKey.from_string(secret, curve=SECP256k1)
        want = sk.sign_deterministic(
            msg, hashfunc=hashlib.sha256, sigencode=sigencode_string_canonize
        )
        assert pure.sign(secret, msg) == want
        vk = sk.get_verifying_key()
        assert pure.public_key(secret) == vk.to_string("compressed")
        assert pure.public_key(secret, False) == vk.to_string("uncompressed")
        assert native.verify(pure.public_key(secret), msg, want)


def test_native_input_rules():
    secret = (12345).to_bytes(32, "big")
    sig = pure.sign(secret, b"m")
    pub = pure.public_key(secret)
    full = pure.decompress(pub)
    hybrid = bytes([6 + (full[64] & 1)]) + full[1:]
    from coincurve import PublicKey

    PublicKey(hybrid)  # libsecp256k1 parses the hybrid form...
    assert not native.verify(hybrid, b"m", sig)  # ...CometBFT's rules do not
    assert not pure.verify(hybrid, b"m", sig)
    for bad in (b"", sig[:63], b"\x00" * 64, None, N.to_bytes(32, "big") + sig[32:]):
        assert native.verify(pub, b"m", bad) is False
    assert native.verify(None, b"m", sig) is False
    assert native.verify(pub, "m", sig) is False
    assert native.verify(bytearray(pub), bytearray(b"m"), bytearray(sig)) is True


def benchmark_verify_times():
    """Not a test (pytest does not collect it): per-verify times on CPython for the report."""
    import timeit

    sk = SigningKey.generate(curve=SECP256k1)
    msg = b"x" * 100
    sig = sk.sign_deterministic(msg, hashfunc=hashlib.sha256, sigencode=sigencode_string_canonize)
    vk = sk.get_verifying_key()
    pub = vk.to_string("compressed")
    out = {}
    for name, fn in (
        ("coincurve", lambda: native.verify(pub, msg, sig)),
        ("pure", lambda: pure.verify(pub, msg, sig)),
        ("python-ecdsa", lambda: vk.verify(sig, msg, hashfunc=hashlib.sha256)),
    ):
        n = 2000 if name == "coincurve" else 200
        out[name + "_us"] = min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6
    return out


if __name__ == "__main__":
    print(benchmark_verify_times())
