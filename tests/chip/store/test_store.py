"""The secure record store on CPython: format and vectors, interoperability with a second
implementation of docs/store-format.md, tampering, rollback, wear, hostile lengths, limits, the
file device and the counters. Power cuts: test_powercut.py. MicroPython: test_on_micropython.py.
"""

import json
import random
import struct
from pathlib import Path

import pytest

import docimpl
import vectors
from helpers import SECRET, apply, det_rng, state
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import hmac_sha256
from lightclient.chip.store import flash_format
from lightclient.chip.store.filedev import FileBlockDevice, FileCounter, RamBlockDevice, RamCounter
from lightclient.chip.store.store import CorruptError, RecordStore, RollbackError, StoreError
from norsim import NorFlash

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[2] / "docs" / "store-format.md"


def _store(dev, counter=None, **kw):
    kw.setdefault("rng", det_rng(11))
    return RecordStore(dev, SECRET, counter=counter, **kw)


def _history(dev, commits, seed=0, counter=None, **kw):
    """Format, run random commits; returns (store, [state after each generation])."""
    rng = random.Random(seed)
    st = _store(dev, counter, **kw)
    st.format()
    states = [{}]
    for i in range(commits):
        name = rng.choice(["trusted", "settings", "pub", "x"])
        value = bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 5, 40, 90))))
        ch = {name: value}
        if rng.random() < 0.2 and states[-1]:
            ch = {rng.choice(sorted(states[-1])): None}
        st.commit(ch)
        states.append(apply(states[-1], ch))
    return st, states


# --- format, vectors, second implementation -------------------------------------------------------


def test_store_reproduces_the_documented_vectors():
    want = json.loads((HERE / "vectors.json").read_text())
    assert vectors.compute() == want
    doc = DOC.read_text()
    for k, v in want.items():
        if isinstance(v, str) and len(v) >= 16:
            # The document shows long hex in lines of 64 characters.
            flat = "".join(doc.split())
            assert v in flat, "docs/store-format.md lacks %s" % k


def test_second_implementation_reads_the_vector_image():
    dev = RamBlockDevice(*vectors.GEOMETRY)
    st = RecordStore(dev, SECRET, rng=vectors.zero_rng)
    st.format()
    st.put("greeting", b"hello, flash")
    assert docimpl.decode(bytes(dev.data), SECRET, 256) == ({"greeting": b"hello, flash"}, 2)
    # The value is not in the image in clear.
    assert b"hello" not in dev.data


def test_second_implementation_agrees_over_a_long_sequence():
    dev = RamBlockDevice(512, 10)
    st = _store(dev)
    st.format()
    rng = random.Random(4)
    cur = {}
    for i in range(60):
        ch = {rng.choice("abcdef"): (None if rng.random() < 0.2 else rng.randbytes(rng.randrange(300)))}
        st.commit(ch)
        cur = apply(cur, ch)
        got, gen = docimpl.decode(bytes(dev.data), SECRET, 512)
        assert got == cur == state(st) and gen == st.generation


def test_store_reads_an_image_the_second_implementation_wrote():
    img = bytearray(b"\xff" * 512 * 8)
    recs = [("a.b", b"x" * 700), ("settings", b'{"volume":3}'), ("z", b"")]
    strm = docimpl.stream(SECRET, 41, b"saltsalt", recs)
    docimpl.place(img, SECRET, 512, 8, 6, 41, b"saltsalt", strm)  # wraps around the ring end
    st = _store(RamBlockDevice(512, 8, img))
    assert st.mount() == 41
    assert state(st) == dict(recs)
    st.put("a.b", b"y")
    assert docimpl.decode(bytes(st._dev.data), SECRET, 512)[0] == {"a.b": b"y", "settings": b'{"volume":3}', "z": b""}


# --- tampering ------------------------------------------------------------------------------------


def test_flipping_any_byte_gives_corrupt_or_a_committed_state_never_wrong_data():
    dev = RamBlockDevice(256, 8)
    st, states = _history(dev, 14, seed=3)
    img = bytes(dev.data)
    rng = random.Random(8)
    outcomes = {"corrupt": 0, "current": 0, "older": 0}
    for i in range(len(img)):
        bad = bytearray(img)
        bad[i] ^= 1 << rng.randrange(8)
        s = _store(RamBlockDevice(256, 8, bad))
        try:
            s.mount()
        except CorruptError:
            outcomes["corrupt"] += 1
            continue
        got = state(s)
        assert got == states[s.generation - 1], "byte %d: generation %d holds wrong data" % (i, s.generation)
        outcomes["current" if got == states[-1] and s.generation == st.generation else "older"] += 1
    # Bytes of the newest snapshot fall back to the previous generation, others change nothing.
    assert outcomes["older"] > 100 and outcomes["current"] > 100, outcomes


def test_with_a_counter_a_tampered_store_never_mounts_an_older_state():
    counter = RamCounter()
    dev = RamBlockDevice(256, 8)
    st, states = _history(dev, 10, seed=5, counter=counter)
    img = bytes(dev.data)
    seen = set()
    for i in range(0, len(img), 3):
        bad = bytearray(img)
        bad[i] ^= 0x10
        s = _store(RamBlockDevice(256, 8, bad), RamCounter(counter.value))
        try:
            s.mount()
        except (CorruptError, RollbackError) as e:
            seen.add(type(e).__name__)
            continue
        assert state(s) == states[-1] and s.generation == st.generation
    assert seen == {"RollbackError"} or seen == {"RollbackError", "CorruptError"}


def test_tampering_after_mount_is_caught_on_read_and_by_check():
    dev = RamBlockDevice(512, 8)
    st = _store(dev)
    st.format()
    st.put("trusted", b"T" * 300)
    st.put("settings", b"S" * 50)
    assert st.check()["ok"]
    e = st._snap.entries["trusted"]
    pos = ((st._snap.start + (e.ct_off + 10) // st.data_size) * 512 + flash_format.HEADER_SIZE
           + (e.ct_off + 10) % st.data_size)
    dev.data[pos] ^= 0x01
    with pytest.raises(CorruptError) as ei:
        st.get("trusted")
    assert ei.value.check == "record_mac"
    assert st.get("settings") == b"S" * 50
    rep = st.check()
    assert not rep["ok"] and rep["errors"]
    # And a commit never copies the changed record forward into a sealed snapshot.
    with pytest.raises(CorruptError):
        st.put("settings", b"new")


def test_check_reports_a_snapshot_replaced_by_another_writer():
    """A second store object on the same device commits until the ring has overwritten the
    first one's snapshot with one lacking a record: check() reports it instead of raising."""
    dev = RamBlockDevice(256, 4)
    a = _store(dev)
    a.format()
    a.commit({"x": b"1", "z": b"2"})
    b = _store(dev)
    b.mount()
    for i in range(4):
        b.commit({"z": None, "y": b"%d" % i})
    assert b._snap.start == a._snap.start
    rep = a.check()
    assert not rep["ok"] and rep["errors"] == ["snapshot on flash differs from the mounted one"]


def test_wrong_secret_and_foreign_data_are_corrupt():
    dev = RamBlockDevice(512, 8)
    _store(dev).format()
    other = RecordStore(dev, b"\x01" * 32)
    with pytest.raises(CorruptError) as ei:
        other.mount()
    assert ei.value.check == "no_valid_generation"
    with pytest.raises(CorruptError) as ei:
        _store(RamBlockDevice(512, 8)).mount()
    assert ei.value.check == "unformatted"
    with pytest.raises(CorruptError):
        _store(RamBlockDevice(512, 8, bytes(random.Random(1).randbytes(4096)))).mount()


# --- rollback -------------------------------------------------------------------------------------


def test_restoring_an_older_image_is_a_rollback_error_with_the_counter():
    counter = RamCounter()
    dev = RamBlockDevice(512, 8)
    st = _store(dev, counter)
    st.format()
    st.put("trusted", b"height 10")
    old_img = bytes(dev.data)
    st.put("trusted", b"height 20")
    st.put("trusted", b"height 30")
    assert counter.read() == st.generation == 4
    restored = RamBlockDevice(512, 8, old_img)
    with pytest.raises(RollbackError) as ei:
        _store(restored, counter).mount()
    assert ei.value.details == {"generation": 2, "counter": 4}
    assert isinstance(ei.value, StoreError) and isinstance(ei.value, LightClientError)
    # Without the counter the old image mounts: the counter is what detects rollback.
    s = _store(restored)
    s.mount()
    assert s.get("trusted") == b"height 10"


def test_counter_catches_up_after_a_cut_between_seal_and_counter():
    counter = RamCounter()
    dev = RamBlockDevice(512, 8)
    st = _store(dev, counter)
    st.format()
    st.put("a", b"1")
    counter.value -= 1  # as if power failed after the seal, before counter.advance()
    s = _store(dev, counter)
    s.mount()
    assert counter.value == s.generation == 2


def test_format_continues_above_the_counter_and_old_generations():
    counter = RamCounter(100)
    dev = RamBlockDevice(512, 8)
    st = _store(dev, counter)
    st.format()
    assert st.generation == 101 and counter.value == 101
    st.put("a", b"1")
    st.format()
    assert st.generation == 103 and st.names() == []
    s = _store(dev, counter)
    s.mount()
    assert s.generation == 103 and state(s) == {}
    # format wiped every other sector.
    assert sum(1 for i in range(8) if dev.data[i * 512:i * 512 + 4] == b"MLS1") == 1


# --- nonces ---------------------------------------------------------------------------------------


def test_a_cut_short_generation_never_reuses_a_nonce():
    from norsim import PowerCut

    flash = NorFlash(512, 8)
    st = _store(flash)
    st.format()
    st.put("a", b"1" * 100)
    g = st.generation
    flash.arm(2, seed=0, modes=("prefix",))  # erase, header done; the first data program is cut
    with pytest.raises(PowerCut):
        st.put("a", b"2" * 100)
    flash.power_on()
    s = _store(flash, rng=det_rng(11))  # same RNG stream as the first store: same salt draw
    s.mount()
    assert s.generation == g
    s.put("a", b"3" * 100)
    assert s.generation == g + 2  # g + 1 was used by the torn write, whose header survived
    # The record written by g + 2 has a nonce of its own generation, not g + 1's.
    assert s._snap.entries["a"].nonce[:4] == struct.pack("<I", g + 2)


def test_nonces_are_unique_across_a_long_sequence():
    dev = RamBlockDevice(512, 10)
    st = _store(dev)
    st.format()
    seen = {}
    for i in range(80):
        st.commit({"a%d" % (i % 5): bytes([i]) * (i % 40), "b": bytes([i])})
        for n, e in st._snap.entries.items():
            ct = bytes(st._read_stream(st._snap, e.ct_off, e.length))
            assert seen.setdefault(e.nonce, (n, ct)) == (n, ct)  # a nonce always means one ciphertext
    assert len(seen) >= 160


# --- wear -----------------------------------------------------------------------------------------


def test_wear_is_spread_over_every_sector():
    flash = NorFlash(4096, 16)
    st = RecordStore(flash, SECRET, max_value=16384, rng=det_rng(1))
    st.format()
    trusted, settings = bytes(9 * 1024), bytes(2 * 1024)
    for i in range(120):
        ch = {"trusted": bytes([i]) + trusted[1:]}
        if i % 10 == 0:
            ch["settings"] = bytes([i]) + settings[1:]
        st.commit(ch)
    e = flash.sector_erases
    assert min(e) >= 20 and max(e) - min(e) <= 2, e
    # The erase counts the sector headers carry match what the flash saw.
    s = RecordStore(flash, SECRET, max_value=16384)
    s.mount()
    assert s.erase_counts() == e
    rep = s.check()
    assert rep["ok"] and rep["erase_count_max"] - rep["erase_count_min"] <= 2
    assert rep["free_sectors"] == 16 - 3


# --- hostile lengths ------------------------------------------------------------------------------


class _Watch(RamBlockDevice):
    """Records the largest read the store asks for."""

    def __init__(self, *a):
        RamBlockDevice.__init__(self, *a)
        self.max_read = 0

    def readblocks(self, n, buf, off=0):
        self.max_read = max(self.max_read, len(buf))
        RamBlockDevice.readblocks(self, n, buf, off)


def _rec(name_len_byte, value_len, name=b"a", ct=b"", nonce=bytes(16), reserved=0):
    _, mk = docimpl.keys(SECRET)
    body = bytes([name_len_byte, reserved]) + struct.pack("<I", value_len) + nonce + name + ct
    tag = docimpl.mac(mk, b"MLS1rec", nonce, bytes([name_len_byte]), name, struct.pack("<I", value_len), ct)
    return body + tag


def _hostile(raw_records=None, count=1, gen=5, salt=b"S" * 8, slen=None, nsect=None, sector_count=8):
    shdr = struct.pack("<I", gen) + salt + struct.pack("<HH", count, 0)
    strm = docimpl.stream(SECRET, gen, salt, [], raw_records=shdr + (raw_records or b""))
    img = bytearray(b"\xff" * 512 * sector_count)
    docimpl.place(img, SECRET, 512, sector_count, 0, gen, salt, strm, nsect=nsect, slen=slen)
    return img


HOSTILE = {  # case: (image, the check that must reject it)
    "huge value length": (_hostile(_rec(1, 0xFFFFFFFF)), "record_size"),
    "value over max_value": (_hostile(_rec(1, 401, ct=bytes(401))), "record_size"),
    "value past the stream end": (_hostile(_rec(1, 300, ct=bytes(10))), "record_bounds"),
    "name length 0": (_hostile(_rec(0, 0, name=b"")), "bad name length"),
    "name length 200": (_hostile(_rec(200, 0, name=b"n" * 200)), "bad name length"),
    "reserved byte set": (_hostile(_rec(1, 0, reserved=7)), "reserved byte"),
    "non-ASCII name": (_hostile(_rec(2, 0, name=b"\xc3\xa9")), "record_name"),
    "count 65535": (_hostile(_rec(1, 0), count=65535), "record_count"),
    "count past the records": (_hostile(_rec(1, 0), count=2), "record_bounds"),
    "trailing bytes": (_hostile(_rec(1, 0) + b"junk"), "stream_length"),
    "unsorted names": (_hostile(_rec(1, 0, name=b"b") + _rec(1, 0, name=b"a"), count=2), "record_order"),
    "duplicate names": (_hostile(_rec(1, 0, name=b"a") + _rec(1, 0, name=b"a"), count=2), "record_order"),
    "stream length over its sectors": (_hostile(_rec(1, 0), slen=10 ** 9), "no sector header verifies"),
    "more sectors than half the ring": (_hostile(_rec(1, 0), nsect=5), "no sector header verifies"),
    "generation 0": (_hostile(_rec(1, 0), gen=0), "no sector header verifies"),
    # A record tag that does not verify, under a valid snapshot tag (only a key holder can do this).
    "bad record tag": (_hostile(_rec(1, 3, ct=b"abc")[:-1] + b"\x00"), "record_mac"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_lengths_with_valid_macs_are_corrupt_and_reads_stay_small(case):
    img, why = HOSTILE[case]
    dev = _Watch(512, 8)
    dev.data[:] = img
    st = RecordStore(dev, SECRET, max_value=400, max_records=32)
    with pytest.raises(CorruptError) as ei:
        st.mount()
    assert ei.value.check == "no_valid_generation" and why in ei.value.details["first_error"]
    assert dev.max_read <= flash_format.IO_CHUNK


def test_the_hostile_builder_makes_valid_images():
    """Control for the cases above: the same builder with sane fields mounts."""
    dev = RamBlockDevice(512, 8, _hostile(_rec(1, 3, ct=b"abc"), count=1))
    st = RecordStore(dev, SECRET)
    assert st.mount() == 5 and st.names() == ["a"]


# --- limits and behaviour -------------------------------------------------------------------------


def test_records_put_get_delete_commit():
    dev = RamBlockDevice(512, 8)
    st = _store(dev)
    with pytest.raises(StoreError):
        st.get("a")  # not mounted
    st.format()
    assert st.get("a") is None and st.names() == [] and st.generation == 1
    st.put("a", b"1")
    st.put("b", bytearray(b"2"))
    g = st.generation
    st.commit({"a": None, "b": b"22", "c": b""})
    assert st.generation == g + 1 and state(st) == {"b": b"22", "c": b""}
    assert st.commit({}) == g + 1  # nothing to do: no write
    st.commit({"missing": None})
    assert state(st) == {"b": b"22", "c": b""}
    s = _store(dev)
    s.mount()
    assert state(s) == {"b": b"22", "c": b""} and s.generation == st.generation
    assert s.check() == {"ok": True, "generation": st.generation, "records": 2, "free_sectors": 7,
                         "errors": [], "erase_count_min": 1, "erase_count_max": 2}


@pytest.mark.parametrize("name", ["", "x" * 33, "with space", "é", "tab\t", 5, b"bytes"])
def test_bad_names_are_refused(name):
    st = _store(RamBlockDevice(512, 8))
    st.format()
    with pytest.raises(StoreError) as ei:
        st.put(name, b"v")
    assert ei.value.check == "name"


def test_limits_refuse_before_writing():
    flash = NorFlash(512, 8)
    st = RecordStore(flash, SECRET, max_value=100, max_records=3)
    st.format()
    st.commit({"a": b"", "b": b"", "c": b""})
    steps = flash.steps
    for changes, check in [
        ({"d": b""}, "store_full"),
        ({"a": b"x" * 101}, "value_size"),
        ({"a": "text"}, "value_type"),
    ]:
        with pytest.raises(StoreError) as ei:
            st.commit(changes)
        assert ei.value.check == check
    assert flash.steps == steps
    with pytest.raises(StoreError):
        st.commit([("a", b"")])
    # Capacity: 8 sectors of 512 -> a snapshot may fill 4 sectors' data areas.
    big = RecordStore(flash, SECRET, max_value=4096)
    big.mount()
    assert big.capacity == 4 * (512 - 48)
    with pytest.raises(StoreError) as ei:
        big.put("a", bytes(big.capacity))
    assert ei.value.check == "store_full" and flash.steps == steps
    big.put("a", bytes(big.capacity - 300))  # fits in 4 sectors beside the records b and c
    assert len(big.get("a")) == big.capacity - 300 and big._snap.nsect == 4


def test_bad_arguments():
    with pytest.raises(StoreError):
        RecordStore(RamBlockDevice(512, 8), b"short")
    with pytest.raises(StoreError):
        RecordStore(RamBlockDevice(128, 8), SECRET)  # block too small
    with pytest.raises(StoreError):
        RecordStore(RamBlockDevice(512, 1), SECRET)  # one sector cannot hold old and new


def test_long_secret_and_exact_sector_fill():
    st = RecordStore(RamBlockDevice(512, 8), bytes(100), rng=det_rng(0))
    st.format()
    # A stream of exactly one data area: 16 + 22 + 1 + v + 32 + 32 = 464.
    v = 464 - (16 + 22 + 1 + 32 + 32)
    st.put("a", bytes(v))
    assert st._snap.nsect == 1 and st._snap.stream_len == 464
    st.put("a", bytes(v + 1))
    assert st._snap.nsect == 2
    s = RecordStore(st._dev, bytes(100))
    s.mount()
    assert s.get("a") == bytes(v + 1)


# --- devices and counters -------------------------------------------------------------------------


def test_file_device_store_survives_reopen(tmp_path):
    path = str(tmp_path / "cache.img")
    counter = FileCounter(str(tmp_path / "cache.counter"))
    with FileBlockDevice(path, block_size=4096, block_count=8) as dev:
        st = RecordStore(dev, SECRET, counter=counter)
        st.format()
        st.put("settings", b'{"a":1}')
        st.put("trusted", b"t" * 5000)
        g = st.generation
    assert (tmp_path / "cache.img").stat().st_size == 8 * 4096
    with FileBlockDevice(path) as dev:  # geometry from the file size
        assert dev.ioctl(4, 0) == 8
        st = RecordStore(dev, SECRET, counter=counter)
        assert st.mount() == g == counter.read()
        assert st.get("trusted") == b"t" * 5000
    # The Pi's rollback case: an old copy of the store file put back.
    old = (tmp_path / "cache.img").read_bytes()
    with FileBlockDevice(path) as dev:
        st = RecordStore(dev, SECRET, counter=counter)
        st.mount()
        st.put("settings", b"{}")
    (tmp_path / "cache.img").write_bytes(old)
    with FileBlockDevice(path) as dev:
        with pytest.raises(RollbackError):
            RecordStore(dev, SECRET, counter=counter).mount()
    with pytest.raises(StoreError):
        FileBlockDevice(path, block_count=9)
    with pytest.raises(StoreError):
        FileBlockDevice(str(tmp_path / "new.img"))  # needs a block count


@pytest.mark.parametrize("cls", ["ram", "file"])
def test_an_erase_is_written_in_pieces_a_small_heap_has_room_for(cls, tmp_path):
    """The emulated board's flash is a FileBlockDevice inside the chip's 96 KiB heap: one 4 KiB
    bytes of 0xFF per erase did not always find 4 KiB of contiguous heap after pairing."""
    dev = RamBlockDevice(4096, 2) if cls == "ram" else FileBlockDevice(str(tmp_path / "f"), 4096, 2)
    dev.writeblocks(1, bytes(4096), 0)
    sizes = []
    put = dev._put
    dev._put = lambda start, data: (sizes.append(len(data)), put(start, data))
    dev.ioctl(6, 1)
    assert sizes and max(sizes) <= 256 and sum(sizes) == 4096
    buf = bytearray(4096)
    dev.readblocks(1, buf, 0)
    assert buf == b"\xff" * 4096


@pytest.mark.parametrize("cls", ["ram", "file"])
def test_devices_behave_like_nor_flash(cls, tmp_path):
    dev = RamBlockDevice(256, 4) if cls == "ram" else FileBlockDevice(str(tmp_path / "f"), 256, 4)
    buf = bytearray(4)
    dev.readblocks(1, buf, 10)
    assert buf == b"\xff" * 4
    dev.writeblocks(1, b"\x0f\xf0\x00\xff", 10)
    dev.writeblocks(1, b"\xf3\x3f\xff\x00", 10)  # programming only clears bits
    dev.readblocks(1, buf, 10)
    assert buf == b"\x03\x30\x00\x00"
    dev.ioctl(6, 1)
    dev.readblocks(1, buf, 10)
    assert buf == b"\xff" * 4
    dev.writeblocks(2, b"\x00" * 8, 0)
    dev.writeblocks(2, b"\x55" * 3)  # no offset: MicroPython's simple protocol erases first
    b2 = bytearray(8)
    dev.readblocks(2, b2, 0)
    assert b2 == b"\x55" * 3 + b"\xff" * 5
    assert dev.ioctl(4, 0) == 4 and dev.ioctl(5, 0) == 256
    with pytest.raises(OSError):
        dev.readblocks(3, bytearray(8), 252)
    with pytest.raises(OSError):
        dev.writeblocks(4, b"x", 0)


def test_file_counter(tmp_path):
    c = FileCounter(str(tmp_path / "ctr"))
    assert c.read() == 0
    c.advance(3)
    c.advance(0)
    assert c.read() == 3 and FileCounter(str(tmp_path / "ctr")).read() == 3
    with pytest.raises(StoreError):
        c.advance(-1)
    for bad in [b"", b"garbage\n", b"mycroft-lc-counter v1 12", b"mycroft-lc-counter v1 -1\n",
                b"mycroft-lc-counter v1 " + b"9" * 100 + b"\n"]:
        (tmp_path / "ctr").write_bytes(bad)
        with pytest.raises(StoreError):
            c.read()
    r = RamCounter(5)
    r.advance(2)
    assert r.read() == 7
    with pytest.raises(StoreError):
        r.advance(-1)


def test_hmac_matches_the_standard_library():
    import hashlib
    import hmac

    for key in (b"", b"k" * 32, b"k" * 64, b"k" * 65, bytes(200)):
        for msg in (b"", b"abc", bytes(1000)):
            assert hmac_sha256.hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()
    enc = b"e" * 32
    nonce = bytes(16)
    data = bytes(range(100))
    assert bytes(flash_format.keystream_xor(enc, nonce, data)) == docimpl.crypt(enc, nonce, data)
    assert bytes(flash_format.keystream_xor(enc, nonce, data[64:], 64)) == docimpl.crypt(enc, nonce, data)[64:]


def test_dual_module_pins_the_same_vectors():
    import importlib.util

    spec = importlib.util.spec_from_file_location("store_dual", HERE / "dual" / "test_store_dual.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    want = json.loads((HERE / "vectors.json").read_text())
    assert mod.VECTOR_AFTER_FORMAT_SHA256 == want["after_format_sha256"]
    assert mod.VECTOR_AFTER_PUT_SHA256 == want["after_put_sha256"]


def test_a_value_given_as_parts_is_stored_as_their_concatenation():
    # The device commits its packed trusted state as a list of buffers (no joined copy in RAM):
    # the flash holds exactly what the joined value would have given, and reads back joined.
    value = bytes(range(256)) * 5 + b"tail"
    parts = [value[:7], bytearray(value[7:300]), memoryview(value)[300:301], b"", value[301:]]
    images = []
    for v in (value, parts):
        dev = RamBlockDevice(512, 8)
        st = _store(dev, rng=det_rng(3))
        st.format()
        st.commit({"trusted": v, "x": b"1"})
        assert st.get("trusted") == value
        assert _store(RamBlockDevice(512, 8, bytes(dev.data))).mount() == st.generation
        images.append(bytes(dev.data))
    assert images[0] == images[1]
    st = _store(RamBlockDevice(512, 8))
    st.format()
    with pytest.raises(StoreError) as e:
        st.commit({"trusted": [b"ok", "text"]})
    assert e.value.check == "value_type"
    with pytest.raises(StoreError) as e:
        st.commit({"trusted": [bytes(8000), bytes(200)]})
    assert e.value.check == "value_size"


def test_a_rebuilt_index_reads_every_record_and_still_catches_a_changed_one():
    # boot.open_store rebuilds the mounted index after a collection (the chip's heap layout):
    # the new index must find, MAC-check and decrypt each record exactly as the mount's did.
    dev = RamBlockDevice(4096, 16)
    st = _store(dev)
    st.format()
    st.commit({"trusted": bytes(range(256)) * 20, "config": b"\xa0", "pub": b"p" * 32})
    st = _store(dev)
    st.mount()
    before = {n: st._snap.entries[n] for n in st.names()}
    st.rebuild_index()
    assert st.names() == ["config", "pub", "trusted"]
    for n in st.names():
        assert st._snap.entries[n] is not before[n]
        assert st._snap.entries[n].tag == before[n].tag
    assert st.get("trusted") == bytes(range(256)) * 20 and st.get("pub") == b"p" * 32
    e = st._snap.entries["pub"]
    e.tag = bytes(16) + e.tag[16:]                  # a tag that no longer matches the flash
    with pytest.raises(CorruptError):
        st.get("pub")
