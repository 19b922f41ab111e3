"""lightclient.chip.core.cbor against the cbor2 package, with hypothesis (CPython only).

cbor2's `canonical=True` (checked with cbor2 6.3) sorts map keys length-first, the RFC 7049
"canonical CBOR" rule, while we sort bytewise by encoded key (RFC 8949 section 4.2.1). Within
one major type the two orders coincide (the initial byte grows with the argument, and the
argument fixes the length), so maps whose keys are all text, or all unsigned ints, encode
identically. They differ across major types when a key of a lower major type encodes longer:
24 (0x1818) vs -1 (0x20), 1000 (0x1903e8) vs "a" (0x6161). `test_matches_cbor2_canonical`
checks that our bytes equal cbor2's exactly when the orders coincide in every map, and that
otherwise our decoder rejects cbor2's output with "cbor_map_key_order". Every other rule
(shortest arguments, definite lengths) is the same.
"""

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lightclient.chip.core.cbor import MAX_DEPTH_CEILING, dumps, loads, loads_prefix
from lightclient.chip.core.errors import DecodeError

DEEP = dict(max_depth=MAX_DEPTH_CEILING)

_INT_EDGES = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63, 2**64 - 1]
ints = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    st.sampled_from(_INT_EDGES + [-1 - n for n in _INT_EDGES]),
    st.integers(-30, 30),
)
texts = st.text(max_size=40)  # hypothesis text() never yields lone surrogates
blobs = st.binary(max_size=300)
keys = st.one_of(ints, texts, blobs)
scalars = st.one_of(ints, texts, blobs, st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=8),
        st.dictionaries(keys, inner, max_size=8),
    ),
    max_leaves=40,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a, b):
    """Equality that tells bool from int and bytes from str."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    return a == b


def orders_agree(x):
    """True if, in every map inside x, length-first and bytewise key orders coincide."""
    if isinstance(x, list):
        return all(orders_agree(v) for v in x)
    if isinstance(x, dict):
        ks = [cbor2.dumps(k, canonical=True) for k in x]
        if sorted(ks) != sorted(ks, key=lambda b: (len(b), b)):
            return False
        return all(orders_agree(v) for v in x.values())
    return True


def keys_bytewise_sorted(obj):
    """Map keys, as cbor2 decoded them (in wire order), strictly increase bytewise by their
    cbor2 canonical encoding. Independent of our encoder."""
    if isinstance(obj, list):
        return all(keys_bytewise_sorted(v) for v in obj)
    if isinstance(obj, dict):
        ks = [cbor2.dumps(k, canonical=True) for k in obj]
        if any(a >= b for a, b in zip(ks, ks[1:])):
            return False
        return all(keys_bytewise_sorted(v) for v in obj.values())
    return True


@FAST
@given(values)
def test_roundtrip(x):
    enc = dumps(x, **DEEP)
    assert same(loads(enc, **DEEP), x)
    assert loads_prefix(enc + b"\x00", 0, **DEEP)[1] == len(enc)


@FAST
@given(values)
def test_cbor2_reads_what_we_write(x):
    enc = dumps(x, **DEEP)
    assert same(cbor2.loads(enc), x)
    # Our map order is RFC 8949 bytewise order, checked on cbor2's reading of our bytes.
    assert keys_bytewise_sorted(cbor2.loads(enc))


@FAST
@given(scalars)
def test_scalars_match_cbor2_canonical(x):
    assert dumps(x) == cbor2.dumps(x, canonical=True)


@FAST
@given(values)
def test_matches_cbor2_canonical(x):
    ours = dumps(x, **DEEP)
    theirs = cbor2.dumps(x, canonical=True)
    if orders_agree(x):
        assert ours == theirs
    else:
        assert len(ours) == len(theirs)
        assert ours != theirs
        with pytest.raises(DecodeError) as ei:
            loads(theirs, **DEEP)
        assert ei.value.check == "cbor_map_key_order"


@FAST
@given(values)
def test_cbor2_default_encoding_accepted_iff_sorted(x):
    # cbor2 without canonical keeps insertion order but still writes shortest arguments and
    # definite lengths: we accept it exactly when every map happens to be in bytewise order.
    enc = cbor2.dumps(x)
    if keys_bytewise_sorted(x):
        assert same(loads(enc, **DEEP), x)
    else:
        with pytest.raises(DecodeError) as ei:
            loads(enc, **DEEP)
        assert ei.value.check == "cbor_map_key_order"


def test_length_first_example():
    m = {"aa": 0, -1: 0, "b": 0, 24: 0}
    assert cbor2.dumps(m, canonical=True).hex() == "a4" "2000" "181800" "616200" "62616100"
    assert dumps(m).hex() == "a4" "181800" "2000" "616200" "62616100"


# ---------------------------------------------------------------------------------------------
# Fuzz: hostile bytes only ever raise DecodeError; whatever is accepted is canonical.


def _check_hostile(data):
    try:
        obj = loads(data, max_items=2000, max_bytes=4096)
    except DecodeError as e:
        assert e.check.startswith("cbor_")
        return
    # Accepted: strictness means one encoding per value, so it re-encodes to the same bytes,
    # and cbor2 reads the same value.
    assert dumps(obj) == data
    assert same(cbor2.loads(data), obj)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=80))
def test_fuzz_random_bytes(data):
    _check_hostile(data)


@st.composite
def mutated(draw):
    data = bytearray(dumps(draw(values), **DEEP))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[i] = draw(st.sampled_from([0x00, 0x17, 0x18, 0x1B, 0x1F, 0x5F, 0x7F, 0x9F,
                                            0xBF, 0xC0, 0xF7, 0xF9, 0xFF, 0x80, 0xA1]))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=3))
        elif op == "delete" and data:
            del data[i]
        elif op == "truncate":
            del data[i:]
    return bytes(data)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_mutated_encodings(data):
    _check_hostile(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40), st.integers(0, 40))
def test_fuzz_loads_prefix(data, offset):
    try:
        obj, end = loads_prefix(data, offset, max_items=500, max_bytes=30)
    except DecodeError:
        return
    assert offset < end <= len(data) and end - offset <= 30
    assert dumps(obj) == data[offset:end]


@FAST
@given(st.one_of(st.dictionaries(texts, scalars, max_size=10),
                 st.dictionaries(st.integers(0, 2**64 - 1), scalars, max_size=10),
                 st.dictionaries(blobs, scalars, max_size=10)))
def test_one_key_type_orders_coincide(m):
    # Keys of a single major type: length-first and bytewise orders are the same.
    assert dumps(m) == cbor2.dumps(m, canonical=True)


@FAST
@given(values, st.data())
def test_cut_stream_only_asks_for_more(x, data):
    # A framer reading from a UART sees prefixes of a valid item: each one is reported as
    # "needs more bytes", never as a final error.
    enc = dumps(x, **DEEP)
    cut = data.draw(st.integers(0, len(enc) - 1))
    with pytest.raises(DecodeError) as ei:
        loads_prefix(enc[:cut], 0, max_items=100000, max_bytes=len(enc), **DEEP)
    assert ei.value.check in ("cbor_truncated", "cbor_length_exceeds_input")
    assert loads_prefix(enc, 0, max_items=100000, max_bytes=len(enc), **DEEP)[1] == len(enc)
