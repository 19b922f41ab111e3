# lightclient/chip/txs.py: canonical JSON equals Python's sorted, compact json.dumps for float-free
# values (an independent oracle); transactions verify only unchanged, on their chain, with
# their key; records decode only when complete.
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import DecodeError, SignatureError

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


def test_tx_round_trip_and_every_tamper_fails():
    tx = txs.build_tx("c-1", txs.UPDATE, {"uuid": "d1", "set": {"setting": {"lang": "de"}}}, 7,
                      PUB, txs.seed_signer(SEED))
    assert txs.decode_tx(tx, "c-1")["nonce"] == 7
    with pytest.raises(DecodeError) as e:
        txs.decode_tx(tx, "c-2")
    assert e.value.check == "tx_chain_id"
    forged = tx.replace(b'"de"', b'"fr"')
    with pytest.raises(SignatureError):
        txs.decode_tx(forged, "c-1")
    other = ed25519.public_key(b"\x05" * 32).hex().encode()
    with pytest.raises(SignatureError):
        txs.decode_tx(tx.replace(PUB.hex().encode(), other), "c-1")
    with pytest.raises(DecodeError) as e:
        txs.decode_tx(b"x" * (txs.MAX_TX_BYTES + 1), "c-1")
    assert e.value.check == "json_too_large"
    with pytest.raises(DecodeError) as e:
        txs.decode_tx(b'{"type": "register_device"}', "c-1")
    assert e.value.check == "tx_shape"


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


def test_micropython_writes_the_same_bytes_and_verifies_the_same_tx():
    from lightclient.hwtest import micropython as mp
    value = {"name": "Küche \u00e9\U0001f600", "q": "a\"b\\c\n\t\x01", "n": -5, "ok": True,
             "z": None, "l": [1, {"b": 2, "a": "x"}]}
    tx = txs.build_tx("c-1", txs.DEVICE_WRITE, {"uuid": "d", "kind": "metrics", "data": value},
                      3, PUB, txs.seed_signer(SEED))
    code = ("import txs\n"
            "v = %r\n"
            "print(txs.canonical_json(v).decode())\n"
            "print(txs.decode_tx(%r, 'c-1')['nonce'])\n" % (value, tx))
    with open(txs.__file__, "rb") as f:
        src = f.read()
    res = mp.run_script(code, extra_files={"txs.py": src}, vectors="none").check()
    lines = res.stdout.strip().splitlines()
    assert lines[0].encode() == txs.canonical_json(value)
    assert lines[1] == "3"


def test_deep_nesting_is_a_decode_error():
    # json.loads raises RecursionError on deep nesting: it escaped decode_tx untyped.
    for data in (b"[" * 10000, b'{"a":' * 5000):
        with pytest.raises(DecodeError):
            txs.decode_tx(data, "c")
        with pytest.raises(DecodeError):
            txs.decode_record(data)
