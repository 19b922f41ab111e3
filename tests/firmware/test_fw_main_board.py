# firmware/main.py, the real board's entry point, on CPython with stand-ins for MicroPython's
# machine and esp32 modules: it reads the board definition, opens the UART it names, mounts the
# store on the named partition with the NVS secret and counter, and serves SMP over the UART.
import collections
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H

REPO = Path(__file__).resolve().parents[2]


class FakeUart:
    def __init__(self, *args, **kw):
        self.args, self.kw = args, kw
        self.rx = bytearray()
        self.tx = bytearray()

    def any(self):
        return len(self.rx)

    def read(self, n):
        d = bytes(self.rx[:n])
        del self.rx[:n]
        return d

    def write(self, b):
        self.tx += b

    def flush(self):
        pass


class Rebooted(Exception):
    pass


class FakeNvs:
    store = {}

    def __init__(self, ns):
        self.ns = ns

    def get_i32(self, k):
        if k not in self.store:
            raise OSError(2)
        return self.store[k]

    def set_i32(self, k, v):
        self.store[k] = v

    def get_blob(self, k, buf):
        if k not in self.store:
            raise OSError(2)
        buf[:] = self.store[k]
        return len(self.store[k])

    def set_blob(self, k, v):
        self.store[k] = bytes(v)

    def commit(self):
        pass


class EfuseWords:
    """machine.mem32 over BLOCK0 of a virtual eFuse file (release.virtual_block0_reader)."""

    def __init__(self, chip, read_word):
        from lightclient.chip.app import efuse_state
        self.base, self.read_word = efuse_state.BLOCK0_READ[chip], read_word

    def __getitem__(self, addr):
        return self.read_word((addr - self.base) // 4)


def _load_main(monkeypatch, part, nvs=FakeNvs, found=None, resets=None, mem32=None):
    """firmware/main.py imported with stand-ins for esp32 (the partition `part`, NVS class
    `nvs`) and machine; `found` collects the partition labels asked for, `resets` the reboots."""
    found = [] if found is None else found
    resets = [] if resets is None else resets
    partition = types.SimpleNamespace(TYPE_DATA=1,
                                      find=lambda t, label: found.append(label) or [part])

    def reset():
        resets.append(1)
        raise Rebooted  # machine.reset() never returns
    monkeypatch.setitem(sys.modules, "esp32",
                        types.SimpleNamespace(NVS=nvs, Partition=partition))
    monkeypatch.setitem(sys.modules, "machine", types.SimpleNamespace(
        UART=FakeUart, reset=reset, unique_id=lambda: b"\x24\x0a\xc4\x01\x02\x03",
        mem32=mem32 if mem32 is not None else collections.defaultdict(int)))  # open eFuses
    monkeypatch.setattr(time, "ticks_ms", lambda: int(time.monotonic() * 1000), raising=False)
    monkeypatch.setattr(time, "sleep_ms", lambda ms: None, raising=False)
    monkeypatch.setattr(time, "ticks_diff", lambda a, b: a - b, raising=False)
    monkeypatch.syspath_prepend(str(REPO / "firmware"))
    spec = importlib.util.spec_from_file_location("fw_main", REPO / "firmware" / "main.py")
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    return main


def test_main_serves_the_uart_named_by_the_board(tmp_path, monkeypatch):
    board = json.loads((REPO / "board" / "esp32s3-devkitc.json").read_text())
    (tmp_path / "board.json").write_text(json.dumps(board))
    part = RamBlockDevice(4096, 64)
    found = []
    resets = []
    main = _load_main(monkeypatch, part, FakeNvs, found, resets)
    b = main.load_board(str(tmp_path / "board.json"))
    uart = main.open_uart(b)
    assert uart.args == (1,) and uart.kw["tx"] == 17 and uart.kw["rx"] == 18
    fw = main.build(b)
    assert found == ["lcstore", "lcpay", "lcseq"] and len(FakeNvs.store["secret"]) == 32
    for seq, (op, group, cmd, p) in enumerate([(H.OP_WRITE, 0, H.OS_ECHO, {"d": "uart"}),
                                               (H.OP_WRITE, lc.GROUP, lc.GENERATE_KEY, {}),
                                               (H.OP_READ, lc.GROUP, lc.STATUS, {}),
                                               (H.OP_WRITE, 0, H.OS_RESET, {})]):
        uart.rx += frame.encode_packet(H.encode_message(H.Header(op, group, cmd, seq), p))
        try:
            main.serve(uart, fw, iterations=2)
        except Rebooted:
            assert cmd == H.OS_RESET
    got = [H.decode_message(m) for m in frame.FrameDecoder().feed(bytes(uart.tx))]
    assert [h.seq for h, _ in got] == [0, 1, 2, 3]
    assert got[0][1] == {"r": "uart"}
    assert len(got[1][1]["pub"]) == 32
    assert got[2][1]["has_key"] and got[2][1]["board"] == "esp32s3-devkitc"
    assert resets == [1]
    assert FakeNvs.store["ctr"] >= 2  # the store advanced the rollback counter in NVS


class FlakyNvs(FakeNvs):
    """NVS that holds a secret and a counter but fails to read them (an I/O error, not a missing
    key); a missing key raises what MicroPython's esp32 module raises: ESP_ERR_NVS_NOT_FOUND."""
    store = {}
    failing = set()

    def _fail(self, k):
        if k in self.failing:
            raise OSError(-0x1104, "ESP_ERR_NVS_READ_ONLY")
        if k not in self.store:
            raise OSError(-0x1102, "ESP_ERR_NVS_NOT_FOUND")

    def get_i32(self, k):
        self._fail(k)
        return self.store[k]

    def get_blob(self, k, buf):
        self._fail(k)
        buf[:] = self.store[k]
        return len(self.store[k])


def test_an_nvs_read_error_never_replaces_the_secret_nor_zeroes_the_counter(monkeypatch):
    FlakyNvs.store.clear()
    FlakyNvs.failing = set()
    main = _load_main(monkeypatch, RamBlockDevice(4096, 64), FlakyNvs)
    board = json.loads((REPO / "board" / "esp32-devkitc.json").read_text())
    fw = main.build(board)  # first boot: NVS empty, a secret and the counter are created
    pub = fw.device.generate_key(False)
    secret = FlakyNvs.store["secret"]
    assert FlakyNvs.store["ctr"] >= 2
    FlakyNvs.failing = {"secret"}
    fw = main.build(board)
    assert FlakyNvs.store["secret"] == secret  # kept: the store stays readable once NVS works
    st = fw.device.status()
    assert st["store_ok"] is False and "NVS" in st["store_error"]
    FlakyNvs.failing = {"ctr"}
    fw = main.build(board)
    assert fw.device.store is None  # a counter that cannot be read is not taken as 0
    FlakyNvs.failing = set()
    fw = main.build(board)
    assert fw.device.status()["store_ok"] and fw.device.public_key() == pub
    FlakyNvs.store["secret"] = b"\x01" * 16  # a secret of the wrong size is not replaced either
    fw = main.build(board)
    assert fw.device.store is None and FlakyNvs.store["secret"] == b"\x01" * 16


def test_main_reads_the_key_protection_from_the_chips_efuses(tmp_path, monkeypatch):
    """An open chip says "no (development board)"; one whose (virtual) eFuses were burned by
    `board provision --release` says "yes", read from the same register words."""
    from lightclient.hwtest import release
    from lightclient.hwtest.boards import load_board
    board = load_board("esp32c3-devkitm")
    fuse = release.Espefuse(board.chip, efuse_file=str(tmp_path / "efuses.bin"))
    fuse.summary()   # creates the blank file
    words = EfuseWords(board.chip, release.virtual_block0_reader(board.chip, fuse.efuse_file))
    main = _load_main(monkeypatch, RamBlockDevice(4096, 64), mem32=words)
    assert main.key_protection(board.chip) == "no (development board)"
    fuse.burn_fuses({"SPI_BOOT_CRYPT_CNT": 7, "SECURE_BOOT_EN": 1, "DIS_PAD_JTAG": 1,
                     "DIS_USB_JTAG": 1, "ENABLE_SECURITY_DOWNLOAD": 1})
    words.read_word = release.virtual_block0_reader(board.chip, fuse.efuse_file)
    assert main.key_protection(board.chip).startswith("yes")
    assert main.key_protection("esp32h2").startswith("unknown")
