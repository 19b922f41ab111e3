"""trust_store.py: atomic writes, untrusted reads with fallback to the previous good copy,
bounded block store, halt that fails closed."""
import json
import os

import pytest

from lightclient.rpc import RawLightBlock
from lightclient.trust_store import StoreError, TrustStore, write_atomic


def raw_of(data, h):
    return RawLightBlock.from_json({"signed_header": data.rpc[h]["commit"]["result"]["signed_header"],
                                    "validators": data.rpc[h]["validators"]["result"]})


def test_anchor_round_trip_and_atomic_files(tmp_path, chain40):
    st = TrustStore(str(tmp_path), max_blocks=4)
    st.save_anchor(chain40.chain_id, 5, chain40.header_hash(5))
    st.save_anchor(chain40.chain_id, 9, chain40.header_hash(9))
    a = st.load_anchor()
    assert a["height"] == 9 and a["hash"] == chain40.header_hash(9)
    assert os.path.exists(str(tmp_path / "anchor.json.prev"))
    assert not os.path.exists(str(tmp_path / "anchor.json.tmp"))


def test_corrupt_current_falls_back_to_previous_good_copy(tmp_path, chain40):
    st = TrustStore(str(tmp_path))
    st.save_anchor(chain40.chain_id, 5, chain40.header_hash(5))
    st.save_anchor(chain40.chain_id, 9, chain40.header_hash(9))
    p = tmp_path / "anchor.json"
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01          # one flipped bit
    p.write_bytes(bytes(data))
    a = st.load_anchor()
    assert a["height"] == 5               # the previous good copy, never the corrupt one
    assert st.problems and st.problems[0].check == "store_corrupt"


def test_both_copies_corrupt_is_a_typed_error(tmp_path, chain40):
    st = TrustStore(str(tmp_path))
    st.save_anchor(chain40.chain_id, 5, chain40.header_hash(5))
    (tmp_path / "anchor.json").write_bytes(b"{\"format\": 1")
    with pytest.raises(StoreError) as e:
        st.load_anchor()
    assert e.value.check == "store_corrupt"


def test_tampered_block_is_refused_even_with_a_fixed_checksum(tmp_path, chain40):
    st = TrustStore(str(tmp_path))
    st.save_blocks([raw_of(chain40, 3)])
    doc = json.loads((tmp_path / "blocks.json").read_bytes())
    doc["body"][0]["signed_header"]["header"]["app_hash"] = "00" * 32
    from lightclient import txs
    import hashlib
    doc["sha256"] = hashlib.sha256(txs.canonical_json(doc["body"])).hexdigest()
    (tmp_path / "blocks.json").write_bytes(txs.canonical_json(doc))
    os.remove(str(tmp_path / "blocks.json.prev")) if os.path.exists(
        str(tmp_path / "blocks.json.prev")) else None
    with pytest.raises(StoreError) as e:
        st.load_blocks()
    assert e.value.check == "store_corrupt"


def test_block_store_is_bounded_and_keeps_the_newest(tmp_path, chain40):
    st = TrustStore(str(tmp_path), max_blocks=3)
    kept = st.save_blocks([raw_of(chain40, h) for h in (9, 2, 5, 7, 30)])
    assert [r.height for r in kept] == [7, 9, 30]
    assert [r.height for r in st.load_blocks()] == [7, 9, 30]


def test_crash_before_rename_leaves_the_old_document(tmp_path, monkeypatch, chain40):
    st = TrustStore(str(tmp_path))
    st.save_anchor(chain40.chain_id, 5, chain40.header_hash(5))

    def crash(src, dst):
        raise OSError("power lost")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        st.save_anchor(chain40.chain_id, 9, chain40.header_hash(9))
    monkeypatch.undo()
    assert st.load_anchor()["height"] == 5


def test_halt_fails_closed(tmp_path):
    st = TrustStore(str(tmp_path))
    assert st.halt() is None
    st.set_halt({"reason": "light client attack", "evidence_path": "x"})
    assert st.halt()["reason"] == "light client attack"
    (tmp_path / "halt.json").write_bytes(b"garbage")
    os.remove(str(tmp_path / "halt.json.prev")) if os.path.exists(
        str(tmp_path / "halt.json.prev")) else None
    assert "unreadable" in st.halt()["reason"]
    st.clear_halt()
    assert st.halt() is None


def test_write_atomic_replaces_content(tmp_path):
    p = str(tmp_path / "f")
    write_atomic(p, b"one")
    write_atomic(p, b"two")
    assert open(p, "rb").read() == b"two" and open(p + ".prev", "rb").read() == b"one"
