# Dual-runtime tests of the secure store: plain test_* functions, no fixtures, shared subset only.
# CPython: collected by pytest. MicroPython 1.27: run by tests/chip/store/test_on_micropython.py
# (the same functions, through tests/mp/mptest.py), over RamBlockDevice, as the emulated board.

import hashlib

from lightclient.chip.crypto import hmac_sha256
from lightclient.chip.store.filedev import RamBlockDevice, RamCounter
from lightclient.chip.store.store import CorruptError, RecordStore, RollbackError, StoreError

SECRET = bytes(range(32))
# From tests/chip/store/vectors.json (test_store.py checks they agree).
VECTOR_AFTER_FORMAT_SHA256 = "3dc1bfe6812c7c85879f68bb2fb803ab21e37e891bf40e4696bab618d38a10ec"
VECTOR_AFTER_PUT_SHA256 = "f2d83116adcbe073b906f7e74cdd64368b291f79498fefd2bc6640164607db9d"


def _raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return e
    raise AssertionError("expected " + exc.__name__)


def _zero_rng(n):
    return bytes(n)


def test_hmac_sha256_rfc4231_case_2():
    got = hmac_sha256.hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert got.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    # RFC 4231 case 6: a 131-byte key is hashed first.
    got = hmac_sha256.hmac_sha256(b"\xaa" * 131,
                                  b"Test Using Larger Than Block-Size Key - Hash Key First")
    assert got.hex() == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"


def test_documented_vector_images():
    dev = RamBlockDevice(256, 4)
    st = RecordStore(dev, SECRET, rng=_zero_rng)
    st.format()
    assert hashlib.sha256(bytes(dev.data)).digest().hex() == VECTOR_AFTER_FORMAT_SHA256
    st.put("greeting", b"hello, flash")
    assert hashlib.sha256(bytes(dev.data)).digest().hex() == VECTOR_AFTER_PUT_SHA256


def test_format_put_get_remount():
    dev = RamBlockDevice(512, 8)
    st = RecordStore(dev, SECRET)
    st.format()
    assert st.names() == [] and st.get("trusted") is None
    trusted = bytes(range(256)) * 6
    st.put("trusted", trusted)
    st.put("settings", b'{"volume": 7}')
    st.commit({"settings": b'{"volume": 8}', "pub": b"\x01" * 32})
    g = st.generation
    again = RecordStore(dev, SECRET)
    assert again.mount() == g
    assert again.names() == ["pub", "settings", "trusted"]
    assert again.get("trusted") == trusted
    assert again.get("settings") == b'{"volume": 8}'
    again.commit({"pub": None})
    third = RecordStore(dev, SECRET)
    third.mount()
    assert third.names() == ["settings", "trusted"] and third.generation == g + 1
    assert third.check()["ok"]
    assert trusted[:64] not in bytes(dev.data)  # encrypted at rest


def test_many_commits_wrap_the_ring():
    dev = RamBlockDevice(256, 6)
    st = RecordStore(dev, SECRET)
    st.format()
    for i in range(30):
        st.put("k", bytes([i]) * (i * 7 % 150))
    st2 = RecordStore(dev, SECRET)
    st2.mount()
    assert st2.get("k") == bytes([29]) * (29 * 7 % 150)
    ec = st2.erase_counts()
    assert max(ec) - min(ec) <= 2


def test_tamper_is_corrupt_or_previous():
    dev = RamBlockDevice(256, 4)
    st = RecordStore(dev, SECRET)
    st.format()
    st.put("a", b"first")
    st.put("a", b"second")
    img = bytes(dev.data)
    for i in range(0, len(img), 5):
        bad = bytearray(img)
        bad[i] ^= 0x04
        s = RecordStore(RamBlockDevice(256, 4, bad), SECRET)
        try:
            s.mount()
        except CorruptError:
            continue
        assert s.get("a") in (b"first", b"second", None)
        assert (s.generation, s.get("a")) in ((3, b"second"), (2, b"first"), (1, None))


def test_rollback_with_counter():
    dev = RamBlockDevice(256, 4)
    c = RamCounter()
    st = RecordStore(dev, SECRET, counter=c)
    st.format()
    st.put("a", b"1")
    old = bytes(dev.data)
    st.put("a", b"2")
    e = _raises(RollbackError, RecordStore(RamBlockDevice(256, 4, old), SECRET, counter=c).mount)
    assert e.check == "rollback"


def test_errors_are_typed():
    st = RecordStore(RamBlockDevice(256, 4), SECRET, max_value=10, max_records=2)
    assert _raises(StoreError, st.get, "a").check == "not_mounted"
    assert _raises(CorruptError, st.mount).check == "unformatted"
    st.format()
    assert _raises(StoreError, st.put, "a", b"x" * 11).check == "value_size"
    assert _raises(StoreError, st.put, "", b"x").check == "name"
    st.commit({"a": b"", "b": b""})
    assert _raises(StoreError, st.put, "c", b"").check == "store_full"
    assert _raises(StoreError, RecordStore, RamBlockDevice(256, 4), b"short").check == "secret"


def _scratch_dir():
    try:
        import tempfile  # CPython

        return tempfile.mkdtemp()
    except ImportError:  # MicroPython: the WebAssembly port's in-memory filesystem
        import os

        try:
            os.mkdir("/scratch")
        except OSError:
            pass
        return "/scratch"


def test_file_device_and_file_counter():
    from lightclient.chip.store.filedev import FileBlockDevice, FileCounter

    d = _scratch_dir()
    path = d + "/store.img"
    counter = FileCounter(d + "/store.counter")
    dev = FileBlockDevice(path, 256, 6)
    st = RecordStore(dev, SECRET, counter=counter)
    st.format()
    st.put("settings", b"abc" * 50)
    g = st.generation
    dev.close()
    dev = FileBlockDevice(path, 256)
    st = RecordStore(dev, SECRET, counter=counter)
    assert st.mount() == g == counter.read()
    assert st.get("settings") == b"abc" * 50
    dev.close()
