"""trust_store.py and atomic_file.py: atomic writes, untrusted reads with fallback to the previous
good copy, bounded block store, halt that fails closed, migration of the JSON records cache of
earlier versions into the records cache."""
import json
import os

import pytest

from lightclient.atomic_file import write_atomic
from lightclient.chip import txs
from lightclient.chip.core.errors import StoreError
from lightclient.rpc import RawLightBlock
from lightclient.trust_store import TrustStore
from tests.client.test_record_cache import entry


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
    from lightclient.chip import txs
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
    assert open(p, "rb").read() == b"two" and not os.path.exists(p + ".prev")
    write_atomic(p, b"three", keep_previous=True)
    assert open(p, "rb").read() == b"three" and open(p + ".prev", "rb").read() == b"two"
    assert not os.path.exists(p + ".tmp")


def test_write_atomic_keeps_the_old_content_in_place_until_the_rename(tmp_path, monkeypatch):
    # It moved the current file to .prev first: a cut between the two renames left no file at
    # `path` at all. Now `path` holds the old content until the new one replaces it.
    p = str(tmp_path / "f")
    write_atomic(p, b"old", keep_previous=True)

    def cut(src, dst):
        raise OSError("power lost")
    monkeypatch.setattr(os, "replace", cut)
    with pytest.raises(OSError):
        write_atomic(p, b"new", keep_previous=True)
    monkeypatch.undo()
    assert open(p, "rb").read() == b"old" and open(p + ".prev", "rb").read() == b"old"
    write_atomic(p, b"new", keep_previous=True)
    assert open(p, "rb").read() == b"new" and open(p + ".prev", "rb").read() == b"old"


def test_one_atomic_write_helper_for_the_project():
    # trust_store.py and api/queue.py each had their own; both now go through atomic_file
    import inspect

    from lightclient import atomic_file, config, trust_store
    from lightclient.api import queue
    assert trust_store.write_atomic is atomic_file.write_atomic
    assert config.write_atomic is atomic_file.write_atomic
    assert "atomic_file.write_atomic" in inspect.getsource(queue.write_atomic)



# --- migration from the JSON cache of earlier versions -----------------------------------------

def _legacy(d, recs_versions):
    st = TrustStore(str(d))
    for recs in recs_versions:
        st._write("records.json", "records", recs)       # exactly as earlier versions wrote it


def test_the_json_records_cache_is_imported_once_then_removed(tmp_path):
    legacy = {"dev-1": entry("dev-1", 5), "dev-2": entry("dev-2", 6)}
    _legacy(tmp_path, [{"dev-1": entry("dev-1", 4)}, legacy])
    assert (tmp_path / "records.json.prev").exists()
    st = TrustStore(str(tmp_path))
    assert st.load_records() == legacy and st.problems == []
    assert not (tmp_path / "records.json").exists()
    assert not (tmp_path / "records.json.prev").exists()
    assert TrustStore(str(tmp_path)).load_records() == legacy


def test_migration_interrupted_before_removal_keeps_newer_store_entries(tmp_path):
    st = TrustStore(str(tmp_path))
    st.save_record("dev-1", entry("dev-1", 9, "sv-se"))       # the store already has newer data
    _legacy(tmp_path, [{"dev-1": entry("dev-1", 5), "dev-7": entry("dev-7", 5)}])
    st = TrustStore(str(tmp_path))
    st.save_record("dev-8", entry("dev-8", 10))
    assert st.load_records() == {"dev-1": entry("dev-1", 9, "sv-se"), "dev-7": entry("dev-7", 5),
                                 "dev-8": entry("dev-8", 10)}
    assert not (tmp_path / "records.json").exists()


def test_a_corrupt_json_records_cache_is_reported_and_dropped(tmp_path):
    _legacy(tmp_path, [{"dev-1": entry("dev-1", 5)}])
    (tmp_path / "records.json").write_bytes(b'{"format": "mycroft-lc/store/1", "kind": "rec')
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {}
    assert st.problems and st.problems[0].check == "store_corrupt"
    assert not (tmp_path / "records.json").exists()


def test_problems_stay_bounded_when_a_corrupt_document_is_read_again_and_again(tmp_path):
    # Every sync reads halt.json; a corrupt one added a problem each time, past MAX_PROBLEMS.
    from lightclient.trust_store import MAX_PROBLEMS
    st = TrustStore(str(tmp_path))
    (tmp_path / "halt.json").write_bytes(b"garbage")
    for _ in range(MAX_PROBLEMS + 10):
        assert "unreadable" in st.halt()["reason"]
    assert len(st.problems) == MAX_PROBLEMS
