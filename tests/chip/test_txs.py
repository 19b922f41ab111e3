# lightclient/chip/txs.py: canonical JSON equals Python's sorted, compact json.dumps for float-free
# values (an independent oracle), also on MicroPython; records decode only when complete.
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import DecodeError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)

SEED = bytes(range(32))
PUB = ed25519.public_key(SEED)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_matches_sorted_compact_dumps(v):
    assert txs.canonical_json(v) == json.dumps(v, sort_keys=True, separators=(",", ":")).encode()
    assert json.loads(txs.canonical_json(v)) == v


def test_floats_are_refused():
    with pytest.raises(DecodeError) as e:
        txs.canonical_json({"lat": 1.5})
    assert e.value.check == "json_float"
    with pytest.raises(DecodeError):
        txs.loads_bounded(b'{"lat": 1.5}', 100, "x")


def test_record_key_and_decode():
    assert txs.record_key("ab-1_x.y") == b"device/ab-1_x.y"
    for bad in ("", "a/b", "é", "x" * 65):
        with pytest.raises(DecodeError):
            txs.record_key(bad)
    rec = {"uuid": "u", "device_pubkey": "00", "owner_pubkey": "11", "account": "a",
           "version": 1, "device": {}, "setting": {}, "location": {}, "skills": [],
           "subscription": {}}
    assert txs.decode_record(txs.canonical_json(rec)) == rec
    del rec["setting"]
    with pytest.raises(DecodeError) as e:
        txs.decode_record(txs.canonical_json(rec))
    assert e.value.details["field"] == "setting"


def test_micropython_writes_the_same_bytes_and_reads_the_same_record():
    from lightclient.hwtest import micropython as mp
    value = {"name": "Küche \u00e9\U0001f600", "q": "a\"b\\c\n\t\x01", "n": -5, "ok": True,
             "z": None, "l": [1, {"b": 2, "a": "x"}]}
    rec = {"uuid": "d", "device_pubkey": PUB.hex(), "owner_pubkey": "11", "account": "a",
           "version": 3, "device": value, "setting": {}, "location": {}, "skills": [],
           "subscription": {}}
    code = ("import txs\n"
            "v = %r\n"
            "print(txs.canonical_json(v).decode())\n"
            "print(txs.decode_record(%r)['version'])\n" % (value, txs.canonical_json(rec)))
    with open(txs.__file__, "rb") as f:
        src = f.read()
    res = mp.run_script(code, extra_files={"txs.py": src}, vectors="none").check()
    lines = res.stdout.strip().splitlines()
    assert lines[0].encode() == txs.canonical_json(value)
    assert lines[1] == "3"


def test_deep_nesting_is_a_decode_error():
    # json.loads raises RecursionError on deep nesting: it escaped untyped once.
    for data in (b"[" * 10000, b'{"a":' * 5000):
        with pytest.raises(DecodeError):
            txs.loads_bounded(data, 1 << 20, "value")
        with pytest.raises(DecodeError):
            txs.decode_record(data)
