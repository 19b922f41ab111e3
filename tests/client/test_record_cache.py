"""record_cache.py: the records cache in the secure record store (restart, power cuts, flipped
bytes, rollback, bounds, readers and writers)."""
import os
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from lightclient.chip import txs
from lightclient.chip.core.errors import StoreError
from lightclient.record_cache import (CACHE_BLOCK_SIZE, CACHE_MAX_VALUE, MAX_RECORDS, CacheError,
                                      CacheRollback)
from lightclient.chip.store import filedev
from lightclient.trust_store import TrustStore
from tests.client.fakenode import make_record

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# --- the records cache (secure record store over a file) ------------------------------------------

def entry(uuid, height, lang="en-us", pad=0, ops=2):
    """A cache entry as ProvenRecord.to_cache() makes it; `pad` grows the record's settings."""
    setting = {"lang": lang, "pad": "p" * pad}
    value = txs.canonical_json(make_record(uuid, height, setting))
    return {"value": value.hex(), "height": height,
            "header_hash": ("%02x" % (height % 256)) * 32, "header_time_ns": 10**18 + height,
            "proof_ops": [["ics23:iavl", (b"device/" + uuid.encode()).hex(), "aa" * 700],
                          ["ics23:simple", b"devices".hex(), "bb" * 300]][:ops]}


def cache_files(d):
    return sorted(f for f in os.listdir(str(d)) if f.startswith("cache."))


def test_records_survive_a_restart_in_the_secure_store(tmp_path):
    st = TrustStore(str(tmp_path))
    a, b = entry("dev-1", 7, "fr-fr"), entry("00000000-1111-2222-3333-444444444444", 9)
    absent = dict(entry("dev-3", 9), value=None, proof_ops=None)
    st.save_record("dev-1", a)
    st.save_record("00000000-1111-2222-3333-444444444444", b)
    st.save_record("dev-3", absent)
    again = TrustStore(str(tmp_path)).load_records()
    assert again == {"dev-1": a, "00000000-1111-2222-3333-444444444444": b, "dev-3": absent}
    assert cache_files(tmp_path) == ["cache.counter", "cache.lcstore", "cache.lock",
                                     "cache.secret"]
    assert not (tmp_path / "records.json").exists()
    secret = tmp_path / "cache.secret"
    assert len(secret.read_bytes()) == 32 and (secret.stat().st_mode & 0o777) == 0o600
    image = (tmp_path / "cache.lcstore").read_bytes()
    assert len(image) == 64 * 4096
    assert b"fr-fr" not in image and b"dev-1" not in image     # encrypted at rest
    assert st.problems == []


def test_no_cache_is_empty_without_a_problem(tmp_path):
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {} and st.problems == []
    assert cache_files(tmp_path) == ["cache.lock"]       # reading creates no store


def test_an_entry_that_is_not_a_proven_record_is_refused(tmp_path):
    st = TrustStore(str(tmp_path))
    with pytest.raises(StoreError) as e:
        st.save_record("dev-1", dict(entry("dev-1", 3), value=b"not a record".hex()))
    assert e.value.check == "cache_entry_shape"
    with pytest.raises(StoreError):
        st.save_record("dev-1", dict(entry("dev-1", 3), extra=1))
    assert st.load_records() == {}


def test_a_16k_record_fits_and_the_cache_is_bounded(tmp_path):
    st = TrustStore(str(tmp_path))
    big = [entry("big-%d" % i, 100 + i, pad=15500) for i in range(9)]
    assert len(bytes.fromhex(big[0]["value"])) > 15500
    for i, e in enumerate(big):
        st.save_record("big-%d" % i, e)
    got = st.load_records()
    # 32 sectors of 4048 bytes hold 7 such entries; the oldest heights gave way
    assert sorted(got) == ["big-%d" % i for i in range(2, 9)]
    assert got["big-8"] == big[8]
    assert st.problems == []


def test_at_most_max_records_oldest_evicted_first(tmp_path):
    st = TrustStore(str(tmp_path))
    from lightclient.record_cache import RecordCache
    cache = st.cache
    assert isinstance(cache, RecordCache)
    # one commit with 70 entries (the import path), then one more save
    cache.import_entries({"d%d" % i: entry("d%d" % i, 10 + i, ops=0) for i in range(70)})
    st.save_record("late", entry("late", 5, ops=0))     # new, but the oldest: kept, others go
    got = st.load_records()
    assert len(got) == MAX_RECORDS and "late" in got
    assert sorted(got, key=lambda u: got[u]["height"])[1:3] == ["d7", "d8"]


def test_an_entry_too_large_is_reported_and_its_older_copy_dropped(tmp_path):
    st = TrustStore(str(tmp_path))
    st.save_record("dev-1", entry("dev-1", 3))
    st.save_record("dev-2", entry("dev-2", 3))
    huge = entry("dev-1", 4, pad=15000)
    huge["proof_ops"] = [["ics23:iavl", "00", "cc" * 5000], ["ics23:simple", "00", "dd" * 5000]]
    st.save_record("dev-1", huge)
    assert st.problems[-1].check == "cache_entry_too_large"
    assert st.problems[-1].details["size"] > CACHE_MAX_VALUE
    assert sorted(st.load_records()) == ["dev-2"]   # never the superseded dev-1 at height 3


# --- power cuts ---------------------------------------------------------------------------------

class PowerCut(Exception):
    pass


class Power:
    """Cuts the power at the k-th write step of the cache (a program or erase of the store file,
    a counter update, a rename), either before it or halfway through it (a torn program)."""

    def __init__(self, monkeypatch, cut_at=None, torn=False):
        self.n = 0
        self.cut_at = cut_at
        self.torn = torn
        write = filedev.FileBlockDevice._write
        erase = filedev.FileBlockDevice._erase
        advance = filedev.FileCounter.advance
        replace = os.replace
        power = self

        def _write(dev, start, data):
            if power.step():
                if power.torn:
                    write(dev, start, data[:len(data) // 2])
                raise PowerCut()
            write(dev, start, data)

        def _erase(dev, start):
            if power.step():
                if power.torn:
                    write(dev, start, b"\xff" * (dev.block_size // 2))
                raise PowerCut()
            erase(dev, start)

        def _advance(counter, n):
            if power.step():
                raise PowerCut()
            return advance(counter, n)

        def _replace(a, b):
            if power.step():
                raise PowerCut()
            return replace(a, b)
        monkeypatch.setattr(filedev.FileBlockDevice, "_write", _write)
        monkeypatch.setattr(filedev.FileBlockDevice, "_erase", _erase)
        monkeypatch.setattr(filedev.FileCounter, "advance", _advance)
        monkeypatch.setattr(os, "replace", _replace)

    def step(self):
        self.n += 1
        return self.cut_at is not None and self.n == self.cut_at


def _count_steps(monkeypatch, template, work, action):
    shutil.rmtree(str(work), ignore_errors=True)
    shutil.copytree(str(template), str(work))
    with monkeypatch.context() as m:
        p = Power(m)
        action(TrustStore(str(work)))
    return p.n


@pytest.mark.parametrize("first", [False, True], ids=["update", "first_save"])
def test_a_power_cut_at_any_step_of_a_save_leaves_the_old_or_the_new_records(
        tmp_path, monkeypatch, first):
    template = tmp_path / "template"
    old = {}
    st = TrustStore(str(template))
    if not first:
        for h in range(1, 25):     # the ring has turned: the next save erases old snapshots
            st.save_record("big", entry("big", h, pad=9000))
        old = {"dev-1": entry("dev-1", 5), "big": entry("big", 25, pad=9000)}
        for u, e in old.items():
            st.save_record(u, e)
    new = dict(old, big=entry("big", 26, "de-de", pad=9500))    # a 3-sector snapshot

    def save(s):
        s.save_record("big", new["big"])
    work = tmp_path / "work"
    steps = _count_steps(monkeypatch, template, work, save)
    assert steps >= (6 if first else 10)   # erases, headers, data, the counter (and renames)
    outcomes = {"old": 0, "new": 0}
    for torn in (False, True):
        for k in range(1, steps + 1):
            shutil.rmtree(str(work))
            shutil.copytree(str(template), str(work))
            with monkeypatch.context() as m:
                Power(m, cut_at=k, torn=torn)
                with pytest.raises(PowerCut):
                    save(TrustStore(str(work)))
            after = TrustStore(str(work))
            got = after.load_records()
            assert got in (old, new), (k, torn, after.problems)
            assert after.problems == [], (k, torn, [str(p) for p in after.problems])
            outcomes["old" if got == old else "new"] += 1
            after.save_record("dev-9", entry("dev-9", 8))   # the cache still works
            assert TrustStore(str(work)).load_records() == dict(got, **{"dev-9": entry("dev-9", 8)})
    assert outcomes["old"] and outcomes["new"]


KILL_CHILD = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from lightclient.chip.store import filedev
from lightclient.trust_store import TrustStore
from tests.client.test_record_cache import entry
kill_at, torn = int(sys.argv[3]), sys.argv[4] == "torn"
write, erase = filedev.FileBlockDevice._write, filedev.FileBlockDevice._erase
n = [0]
def _write(dev, start, data):
    n[0] += 1
    if n[0] == kill_at:
        if torn:
            write(dev, start, data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    write(dev, start, data)
def _erase(dev, start):
    n[0] += 1
    if n[0] == kill_at:
        if torn:
            write(dev, start, b"\xff" * (dev.block_size // 2))
        os.kill(os.getpid(), signal.SIGKILL)
    erase(dev, start)
filedev.FileBlockDevice._write = _write
filedev.FileBlockDevice._erase = _erase
TrustStore(sys.argv[2]).save_record("big", entry("big", 6, "de-de", pad=9500))
print("saved", n[0])
"""


def test_a_process_killed_mid_save_leaves_the_old_or_the_new_records(tmp_path):
    template = tmp_path / "template"
    st = TrustStore(str(template))
    old = {"dev-1": entry("dev-1", 5), "big": entry("big", 5, pad=9000)}
    for u, e in old.items():
        st.save_record(u, e)
    new = dict(old, big=entry("big", 6, "de-de", pad=9500))
    work = tmp_path / "work"
    seen = set()
    for kill_at, torn in ((1, "torn"), (3, "clean"), (5, "torn"), (7, "torn"), (99, "clean")):
        shutil.rmtree(str(work), ignore_errors=True)
        shutil.copytree(str(template), str(work))
        r = subprocess.run([sys.executable, "-c", KILL_CHILD, ROOT, str(work), str(kill_at), torn],
                           capture_output=True, timeout=60)
        if kill_at == 99:
            assert r.returncode == 0 and r.stdout.startswith(b"saved"), r.stderr[-500:]
        else:
            assert r.returncode == -signal.SIGKILL, r.stderr[-500:]
        after = TrustStore(str(work))
        got = after.load_records()
        assert got in (old, new) and after.problems == [], (kill_at, torn)
        seen.add("old" if got == old else "new")
    assert seen == {"old", "new"}


# --- corruption and rollback --------------------------------------------------------------------

def _two_generations(d):
    st = TrustStore(str(d))
    st.save_record("dev-1", entry("dev-1", 5))
    st.save_record("dev-1", entry("dev-1", 6, "it-it"))
    st.save_record("dev-2", entry("dev-2", 6, pad=3000))
    return {"dev-1": entry("dev-1", 6, "it-it"), "dev-2": entry("dev-2", 6, pad=3000)}


def test_a_flipped_byte_gives_a_typed_problem_and_no_cache_never_wrong_data(tmp_path):
    want = _two_generations(tmp_path)
    p = tmp_path / "cache.lcstore"
    image = bytearray(p.read_bytes())
    used = [i for i in range(0, len(image), CACHE_BLOCK_SIZE)
            if image[i:i + CACHE_BLOCK_SIZE] != b"\xff" * CACHE_BLOCK_SIZE]
    refused = 0
    for sector in used:
        for off in list(range(0, 64, 7)) + list(range(64, CACHE_BLOCK_SIZE, 397)):
            bad = bytearray(image)
            bad[sector + off] ^= 0x10
            p.write_bytes(bytes(bad))
            st = TrustStore(str(tmp_path))
            got = st.load_records()
            if got == want:
                continue                  # an old snapshot or an unused byte: the state holds
            assert got == {}, (sector, off)
            assert isinstance(st.problems[-1], CacheError), (sector, off)
            assert st.problems[-1].check in ("cache_corrupt", "cache_rollback")
            refused += 1
    assert refused > 20
    # a corrupt cache is replaced by a fresh store at the next save
    bad = bytearray(image)
    bad[used[-1] + 100] ^= 0xFF
    p.write_bytes(bytes(bad))
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {}
    st.save_record("dev-3", entry("dev-3", 7))
    again = TrustStore(str(tmp_path))
    assert again.load_records() == {"dev-3": entry("dev-3", 7)} and again.problems == []


def test_a_truncated_cache_file_is_no_cache_then_replaced(tmp_path):
    _two_generations(tmp_path)
    p = tmp_path / "cache.lcstore"
    with open(str(p), "r+b") as f:
        f.truncate(100 * 1024)
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {}
    problem = st.problems[-1]
    assert problem.check == "cache_corrupt" and problem.details["cause"] == "geometry"
    st.save_record("dev-3", entry("dev-3", 7))
    assert TrustStore(str(tmp_path)).load_records() == {"dev-3": entry("dev-3", 7)}
    assert p.stat().st_size == 64 * 4096


def test_a_rolled_back_cache_file_is_refused(tmp_path):
    st = TrustStore(str(tmp_path))
    st.save_record("dev-1", entry("dev-1", 5))
    older = (tmp_path / "cache.lcstore").read_bytes()
    st.save_record("dev-1", entry("dev-1", 6, "nl-nl"))
    (tmp_path / "cache.lcstore").write_bytes(older)      # an older copy put back
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {}
    assert isinstance(st.problems[-1], CacheRollback) and st.problems[-1].check == "cache_rollback"
    st.save_record("dev-2", entry("dev-2", 7))             # a fresh store, above the counter
    again = TrustStore(str(tmp_path))
    assert again.load_records() == {"dev-2": entry("dev-2", 7)} and again.problems == []


def test_a_lost_secret_or_counter_file_is_reported_and_recovered(tmp_path):
    st = TrustStore(str(tmp_path))
    st.save_record("dev-1", entry("dev-1", 5))
    os.remove(str(tmp_path / "cache.secret"))
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {} and st.problems[-1].check == "cache_secret"
    st.save_record("dev-1", entry("dev-1", 6))
    assert TrustStore(str(tmp_path)).load_records() == {"dev-1": entry("dev-1", 6)}
    (tmp_path / "cache.counter").write_bytes(b"garbage")
    st = TrustStore(str(tmp_path))
    assert st.load_records() == {} and st.problems[-1].check == "cache_counter"
    st.save_record("dev-1", entry("dev-1", 7))
    again = TrustStore(str(tmp_path))
    assert again.load_records() == {"dev-1": entry("dev-1", 7)} and again.problems == []


def test_readers_and_a_writer_take_turns(tmp_path):
    TrustStore(str(tmp_path)).save_record("dev-1", entry("dev-1", 1))
    states = [{"dev-1": entry("dev-1", h)} for h in range(1, 26)]
    seen, errors = [], []

    def read():
        r = TrustStore(str(tmp_path))          # own instance: only the file lock serialises
        while len(seen) < 400 and not done.is_set():
            got = r.load_records()
            if got not in states or r.problems:
                errors.append((got, r.problems))
                return
            seen.append(got["dev-1"]["height"])
    done = threading.Event()
    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    w = TrustStore(str(tmp_path))
    for h in range(2, 26):
        w.save_record("dev-1", entry("dev-1", h))
    done.set()
    for t in readers:
        t.join(30)
    assert not errors and seen
    assert TrustStore(str(tmp_path)).load_records() == states[-1]


