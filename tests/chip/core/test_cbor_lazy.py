# cbor.loads(..., lazy_depth=k) (the update decoder's way of not building a tree of the whole
# update), on both runtimes: for valid and for mutated inputs it accepts and rejects exactly what
# loads() without lazy_depth does, with the same check and offset, and a LazyArray's items()
# decode to the same elements.
import dual
from lightclient.chip.core import cbor
from lightclient.chip.core.errors import DecodeError

DOCS = [
    {0: 1, 1: [{1: 2, 2: -5, 5: [1, b"\x01" * 3], 8: [[0, b"k" * 4, 10], [1, b"m" * 5, 7]],
                22: [[0, 100, b"s" * 6], [2, -3, b"t" * 6, 3]]}], 2: [["st", b"key", None, [["ics23:iavl", b"", b"d"]]]]},
    [1, [2, [3, [4, [5]]]], "text", {"a": [True, False, None]}],
    [[[], [[]], {}], [b"", "", 0, -1, 255, 65536, 1 << 40]],
]


def _load(obj):
    if isinstance(obj, cbor.LazyArray):
        return [_load(x) for x in obj.items()]
    if isinstance(obj, list):
        return [_load(x) for x in obj]
    if isinstance(obj, dict):
        out = {}
        for k in obj:
            out[k] = _load(obj[k])
        return out
    return obj


def _outcome(data, lazy_depth):
    try:
        return ("ok", _load(cbor.loads(data, 6, 200, 4096, lazy_depth)))
    except DecodeError as e:
        return ("err", e.check, e.details.get("offset"))


def _mutations(data):
    yield data[:-1]
    yield data + b"\x00"
    for i in range(len(data)):
        b = data[i]
        for v in (0x00, 0x17, 0x18, 0x19, 0x40, 0x5F, 0x60, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0,
                  0xF4, 0xF6, 0xF9, 0xFF, b ^ 1, (b + 1) & 255, (b - 1) & 255):
            if v != b:
                yield data[:i] + bytes([v]) + data[i + 1:]


def test_lazy_arrays_decode_to_the_same_values():
    for doc in DOCS:
        data = cbor.dumps(doc, 6)
        want = cbor.loads(data, 6)
        for k in range(0, 6):
            got = cbor.loads(data, 6, 200, 4096, k)
            assert _load(got) == want, k


def test_lazy_array_is_returned_at_its_depth_only():
    data = cbor.dumps([[1, 2], [[3]], {"a": [4]}], 6)
    top = cbor.loads(data, 6, 100, 100, 1)
    assert isinstance(top, list)
    assert isinstance(top[0], cbor.LazyArray) and len(top[0]) == 2
    assert isinstance(top[1], cbor.LazyArray) and top[1].load() == [[3]]
    assert isinstance(top[2], dict)  # maps are never lazy; the array in it is deeper
    assert top[2]["a"] == [4]
    assert isinstance(cbor.loads(data, 6, 100, 100, 0), cbor.LazyArray)


def test_lazy_and_eager_accept_and_reject_the_same_inputs():
    n = 0
    for doc in DOCS:
        for data in _mutations(cbor.dumps(doc, 6)):
            want = _outcome(data, None)
            for k in (1, 2, 3):
                assert _outcome(data, k) == want, (data, k)
            n += 1
    assert n > 1000


def test_lazy_pass_keeps_the_item_budget_and_depth():
    data = cbor.dumps([[1, 2, 3], [4, 5, 6]], 6)  # 9 items
    assert cbor.loads(data, 6, 9, 100, 1)[1].load() == [4, 5, 6]
    e = dual.raises(DecodeError, cbor.loads, data, 6, 8, 100, 1)
    assert e.check == "cbor_too_many_items"
    deep = cbor.dumps([[[[1]]]], 6)
    assert dual.raises(DecodeError, cbor.loads, deep, 3, 100, 100, 1).check == "cbor_depth"
