# Dual-runtime check of the test helper `dual` itself (runs under pytest and inside MicroPython).

import hashlib
import sys

import dual
from lightclient.chip.core.errors import DecodeError, LightClientError


def test_runtime_flag_matches_implementation():
    assert dual.IS_MICROPYTHON == (sys.implementation.name == "micropython")


def test_load_json_reads_shared_vectors():
    tree = dual.load_json("rfc6962/reference-tree.json")
    assert len(tree["leaf_inputs_hex"]) == 8
    roots = tree["root_by_tree_size_hex"]
    assert len(roots) == 9
    # The root of the empty tree is SHA-256 of the empty string.
    assert roots[0] == hashlib.sha256(b"").digest().hex()


def test_read_bytes_matches_load_json():
    raw = dual.read_bytes("cbor/appendix_a.json")
    assert isinstance(raw, bytes)
    assert raw.lstrip()[:1] == b"["
    items = dual.load_json("cbor/appendix_a.json")
    assert len(items) > 50
    assert "hex" in items[0]


def test_vector_path_is_under_shared_vectors():
    p = dual.vector_path("cbor/appendix_a.json")
    assert p.endswith("/shared/vectors/cbor/appendix_a.json")
    assert dual.vector_path("/cbor/x") == dual.vectors_root() + "/cbor/x"


def test_missing_vector_raises_oserror():
    dual.raises(OSError, dual.read_bytes, "no/such/file.json")


def _fail(check, **details):
    raise DecodeError(check, "bad input", **details)


def test_raises_returns_the_exception():
    e = dual.raises(DecodeError, _fail, "varint", offset=3)
    assert isinstance(e, DecodeError)
    assert e.check == "varint"
    assert e.details == {"offset": 3}
    # A base class matches too, as with `except`.
    e2 = dual.raises(LightClientError, _fail, "varint")
    assert e2.check == "varint"


def test_raises_fails_when_nothing_is_raised():
    try:
        dual.raises(ValueError, lambda: None)
    except AssertionError as e:
        assert "ValueError" in str(e)
    else:
        raise AssertionError("dual.raises accepted a function that did not raise")


def test_raises_lets_other_exceptions_through():
    try:
        dual.raises(KeyError, _fail, "x")
    except DecodeError as e:
        assert e.check == "x"
    else:
        raise AssertionError("a DecodeError should have propagated")


def test_raises_passes_keyword_arguments():
    def f(a, b=0):
        if a + b == 5:
            raise ValueError(a, b)

    e = dual.raises(ValueError, f, 2, b=3)
    assert e.args == (2, 3)
