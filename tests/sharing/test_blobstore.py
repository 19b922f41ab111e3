"""The content-addressed blob store (docs/grants.md) on 127.0.0.1: a blob is stored only under its
SHA-256, sizes are bounded before anything is read, and the client checks what it is served."""

import hashlib
import http.client

import pytest

from lightclient.sharing.blobstore import (MAX_BLOB, BlobClient, BlobError, BlobServer,
                                           BlobStoreUnavailable)


@pytest.fixture
def store(tmp_path):
    s = BlobServer(tmp_path / "blobs").start()
    try:
        yield s, BlobClient(s.url), tmp_path / "blobs"
    finally:
        s.stop()


def _put(url, name, body, length=None):
    host, port = url[len("http://"):].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.putrequest("PUT", "/blobs/" + name)
    c.putheader("Content-Length", str(len(body) if length is None else length))
    c.endheaders()
    c.send(body)
    r = c.getresponse()
    out = r.status, r.read()
    c.close()
    return out


def test_put_and_get_by_hash(store):
    s, client, d = store
    sha = client.put(b"sealed bytes")
    assert sha == hashlib.sha256(b"sealed bytes").digest()
    assert client.get(sha) == b"sealed bytes"
    assert client.put(b"sealed bytes") == sha            # held already: same name
    assert sorted(p.name for p in d.iterdir()) == [sha.hex()]
    with pytest.raises(BlobStoreUnavailable) as e:
        client.get(hashlib.sha256(b"other").digest())
    assert e.value.check == "blob_missing"


def test_the_store_refuses_a_blob_under_another_hash_and_an_oversized_one(store):
    s, _client, d = store
    status, body = _put(s.url, hashlib.sha256(b"a").hexdigest(), b"b")
    assert status == 400 and b"blob_hash" in body
    # refused from its Content-Length, before a byte of the body is read
    status, body = _put(s.url, "00" * 32, b"", length=MAX_BLOB + 1)
    assert status == 413 and b"blob_size" in body
    assert list(d.iterdir()) == []


def test_the_client_catches_a_store_that_serves_other_bytes(store):
    _s, client, d = store
    sha = client.put(b"the real blob")
    (d / sha.hex()).write_bytes(b"the real blob, changed")
    with pytest.raises(BlobError) as e:
        client.get(sha)
    assert e.value.check == "blob_hash"
