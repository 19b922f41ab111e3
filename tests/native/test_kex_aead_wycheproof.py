# Wycheproof X25519, ChaCha20-Poly1305, HKDF-SHA256 and HMAC-SHA256 on the Pi's native backend
# (`cryptography`) and on the pure-Python fallback of the chip package, each vector through the
# same interface functions (lccrypto's run on the chip's build: tests/chip32/test_lccrypto_wycheproof.py).
import json
from pathlib import Path

import pytest

from lightclient.chip.crypto import backend, pure
from lightclient.native import kex_aead

WYCHEPROOF = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "wycheproof"
IMPLS = {"pure": pure, "openssl": kex_aead}


def _load(name):
    data = json.loads((WYCHEPROOF / f"{name}.json").read_text())
    cases = [(g, t) for g in data["testGroups"] for t in g["tests"]]
    assert len(cases) == data["numberOfTests"]
    return cases


def _h(s):
    return bytes.fromhex(s)


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_x25519_every_vector(impl):
    f = IMPLS[impl].x25519
    zero = 0
    for g, t in _load("x25519_test"):
        want = _h(t["shared"])
        got = f(_h(t["private"]), _h(t["public"]))
        # "acceptable" vectors (small-order or non-canonical points) have RFC 7748's defined output;
        # OpenSSL refuses the all-zero one, which the adapter hands on as the zero value.
        assert got == want, (t["tcId"], t["comment"])
        if want == bytes(32):
            zero += 1
    assert zero   # the file has small-order points: the refusal below is exercised


def test_the_interface_refuses_an_all_zero_secret():
    small_order = bytes(32)   # u = 0
    with pytest.raises(ValueError, match="all-zero shared secret"):
        backend.x25519(bytes(range(32)), small_order)


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_chacha20_poly1305_every_vector(impl):
    m = IMPLS[impl]
    rejected = 0
    for g, t in _load("chacha20_poly1305_test"):
        key, iv, aad, msg = _h(t["key"]), _h(t["iv"]), _h(t["aad"]), _h(t["msg"])
        sealed = _h(t["ct"]) + _h(t["tag"])
        if len(iv) != 12:
            with pytest.raises(ValueError, match="nonce must be 12 bytes"):
                m.aead_open(key, iv, sealed, aad)
            rejected += 1
            continue
        if t["result"] == "valid":
            assert m.aead_seal(key, iv, msg, aad) == sealed, t["tcId"]
            assert m.aead_open(key, iv, sealed, aad) == msg, t["tcId"]
        else:
            with pytest.raises(ValueError, match="authentication failed"):
                m.aead_open(key, iv, sealed, aad)
            rejected += 1
    assert rejected


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_hkdf_sha256_every_vector(impl):
    f = IMPLS[impl].hkdf_sha256
    for g, t in _load("hkdf_sha256_test"):
        args = (_h(t["ikm"]), _h(t["salt"]), _h(t["info"]), t["size"])
        if t["result"] == "valid":
            assert f(*args) == _h(t["okm"]), t["tcId"]
        else:
            with pytest.raises(ValueError, match="length must be 0..8160"):
                f(*args)


def test_hmac_sha256_every_vector():
    for g, t in _load("hmac_sha256_test"):
        tag = _h(t["tag"])
        mac = pure.hmac_sha256(_h(t["key"]), _h(t["msg"]))
        assert (mac[: len(tag)] == tag) == (t["result"] == "valid"), t["tcId"]


def test_the_host_backend_is_installed_for_the_new_functions():
    import lightclient.native  # noqa: F401 (installs)
    assert "openssl-x25519-aead" in backend.backend_name()
    k = bytes(range(32))
    assert backend.x25519_public_key(k) == pure.x25519_public_key(k)
