"""Sealed blobs (docs/grants.md): the vector opens for each grantee and is rebuilt byte for byte;
every lie gets its check."""

import json

import pytest

from lightclient.chip.core import cbor
from lightclient.sharing import sealed_blob as sb
from tests.sharing import blobvectors

V = json.loads(blobvectors.PATH.read_text())
BLOB = bytes.fromhex(V["blob"])
ARGS = (V["chain_id"], V["owner"], V["class"], V["epoch"])


def _me(i):
    g = V["grantees"][i]
    return {bytes.fromhex(g["x25519_public"]): bytes.fromhex(g["x25519_secret"])}


def test_the_vector_is_current_and_opens_for_each_grantee():
    assert blobvectors.text() == blobvectors.PATH.read_text()
    for i in (0, 1):
        assert sb.open_(BLOB, *ARGS, _me(i)) == bytes.fromhex(V["plaintext"])


def _resealed(**changes):
    m = cbor.loads(BLOB, max_bytes=sb.MAX_BLOB)
    for k, v in changes.items():
        m[int(k[1:])] = v
    return cbor.dumps(m)


@pytest.mark.parametrize("args, data, check", [
    (ARGS, BLOB[:-1], "blob_shape"),
    (ARGS, cbor.dumps({0: 1}), "blob_shape"),
    (ARGS, _resealed(k5=[]), "blob_shape"),
    (("other-chain",) + ARGS[1:], BLOB, "blob_binding"),
    (ARGS[:2] + ("skill_usage", ARGS[3]), BLOB, "blob_binding"),
    (ARGS[:3] + (ARGS[3] + 1,), BLOB, "blob_binding"),
    # relabelled as another epoch: the AD no longer matches, the wrap does not open
    (ARGS[:3] + (ARGS[3] + 1,), _resealed(k4=ARGS[3] + 1), "blob_wrap"),
    (ARGS, _resealed(k6=bytes(len(cbor.loads(BLOB, max_bytes=sb.MAX_BLOB)[6]))), "blob_payload"),
])
def test_each_lie_has_its_check(args, data, check):
    with pytest.raises(sb.SealedBlobError) as e:
        sb.open_(data, *args, _me(0))
    assert e.value.check == check


def test_a_stranger_is_not_a_recipient():
    with pytest.raises(sb.SealedBlobError) as e:
        sb.open_(BLOB, *ARGS, {bytes(range(32)): bytes(32)})
    assert e.value.check == "blob_not_recipient"


def test_sizes_are_bounded():
    with pytest.raises(sb.SealedBlobError) as e:
        sb.parse(bytes(sb.MAX_BLOB + 1))
    assert e.value.check == "blob_size"
    with pytest.raises(ValueError):
        sb.seal(*ARGS, bytes(sb.MAX_PLAINTEXT + 1), [bytes(32)], lambda n: bytes(n))


def test_the_pi_seals_with_its_native_backend():
    """Sealing a voice sample on the pure-Python fallback takes tens of seconds a MiB: the Pi's
    module installs OpenSSL's (lightclient.native) itself, whoever imports it (a fresh process:
    nothing else imported first)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "from lightclient.sharing import sealed_blob; "
                          "from lightclient.chip.crypto import backend; "
                          "print(backend.backend_name())"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "openssl-x25519-aead" in out
