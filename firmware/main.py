# The firmware's entry point on a real board (MicroPython 1.27, ESP32 family): serve the Pi over
# the UART named in /board.json (a copy of board/<name>.json), with the secure store on the raw
# "lcstore" flash partition. Everything else is lightclient.chip.app.firmware.Firmware, which the
# emulator runs too.
#
# Files on the board (see firmware/README.md): /main.py, /board.json, and the chip package as
# firmware/manifest.py lists it for the image's variant: /lib/lightclient/{__init__.py, chip/}.

import binascii
import json
import os
import sys
import time

import esp32
import machine

from lightclient.chip.app import boot, efuse_state, partition_slots
from lightclient.chip.app import release_key as frozen

BOARD_FILE = "/board.json"
NVS_NAMESPACE = "mycroft-lc"
IDLE_MS = 2
SECRET_SIZE = 32
# A missing NVS key: MicroPython's esp32 module raises OSError(-0x1102) (ESP_ERR_NVS_NOT_FOUND,
# negated); ENOENT is accepted too. Any other NVS failure is not "absent" (see _absent).
_NOT_FOUND = (-0x1102, 2)


def _absent(e):
    """True when an NVS OSError means the key does not exist yet. Only then may a first value be
    created: a secret replaced after a transient read error would make the store unreadable for
    good, and a counter read as 0 would let a restored old image mount."""
    return bool(e.args) and e.args[0] in _NOT_FOUND


class NvsCounter:
    """The store's monotonic rollback counter in NVS (its own flash pages, not the lcstore
    partition, so restoring an old lcstore image does not restore the counter)."""

    def __init__(self, nvs):
        self.nvs = nvs

    def read(self):
        try:
            return self.nvs.get_i32("ctr")
        except OSError as e:
            if _absent(e):
                return 0
            raise

    def advance(self, n):
        if n < 0:
            raise ValueError("a monotonic counter only advances")
        v = self.read() + n
        self.nvs.set_i32("ctr", v)
        self.nvs.commit()
        return v


def device_secret(nvs):
    """The 32-byte secret the store's keys derive from. Kept in NVS, generated on first boot by
    the hardware RNG. Production boards enable flash encryption + NVS encryption (eFuse keys),
    so it is unreadable from a flash dump; see docs/smp-link.md, "Device secret". Raises
    OSError when NVS holds a secret it cannot read, or one of the wrong size: never replaced."""
    buf = bytearray(SECRET_SIZE)
    try:
        n = nvs.get_blob("secret", buf)
    except OSError as e:
        if not _absent(e):
            raise
        n = None
    if n is not None:
        if n != SECRET_SIZE:
            raise OSError("the device secret in NVS has the wrong size")
        return bytes(buf)
    s = os.urandom(SECRET_SIZE)
    nvs.set_blob("secret", s)
    nvs.commit()
    return s


def firmware_hash(path="/manifest.json"):
    """The build's firmware hash from the image's manifest (lightclient/hwtest/image.py), so a
    self-test can check the board runs the build the tester flashed; None without one."""
    try:
        with open(path) as f:
            return json.load(f).get("firmware_hash")
    except (OSError, ValueError):
        return None


def key_protection(chip):
    """What the chip's own eFuses say (flash encryption, secure boot, download mode, JTAG)."""
    base = efuse_state.BLOCK0_READ.get(chip)
    if base is None:
        return "unknown (no eFuse table for " + chip + ")"
    return efuse_state.key_protection(chip, lambda i: machine.mem32[base + 4 * i] & 0xFFFFFFFF)


def load_board(path=BOARD_FILE):
    with open(path) as f:
        return json.load(f)


def open_uart(board):
    u = board["uart"]
    return machine.UART(u["id"], baudrate=u["baudrate"], tx=u["tx"], rx=u["rx"], rxbuf=4096,
                        txbuf=1024, timeout=0)


FROZEN = "frozen into the firmware"
FROM_BOARD = "board.json (development board)"
NO_KEY = "none: a release board takes only a key frozen into its firmware"


def _key(text):
    if not isinstance(text, str) or len(text) != 64:
        return None
    try:
        return binascii.unhexlify(text)
    except ValueError:
        return None


def release_key(board, protection):
    """-> (the release key's Ed25519 public key or None, where it came from). A release build
    has it frozen in (app/release_key.py) and never looks at /board.json, which anyone with the
    board's file system could rewrite; a development board (its eFuses say so) may take
    "release_key" of /board.json. Without a key the chip takes no update (check
    `release_key`)."""
    if frozen.RELEASE_KEY is not None:
        return _key(frozen.RELEASE_KEY), FROZEN
    if protection != efuse_state.DEVELOPMENT:
        return None, NO_KEY
    k = _key(board.get("release_key"))
    return k, (FROM_BOARD if k is not None else "none")


def ota_slots(board):
    """(slots, otadata, running slot) on esp32.Partition (app/partition_slots.py): ESP-IDF's
    bootloader already chose the slot; (None, None, 0) on a board without them. A table that
    disagrees with the board definition leaves the board without updates, and says why."""
    try:
        found = partition_slots.open_slots(esp32.Partition, board)
    except Exception as e:   # the link must come up to say why
        return None, None, 0, "ota: " + str(e)[:120]
    if found is None:
        return None, None, 0, None
    return found + (None,)


def build(board):
    nvs = esp32.NVS(NVS_NAMESPACE)
    part = esp32.Partition.find(esp32.Partition.TYPE_DATA, label=board["store"]["partition"])
    if not part:
        raise OSError("no flash partition named " + board["store"]["partition"])
    info = {"board": board["name"], "chip": board["chip"], "machine": sys.platform,
            "release": boot.release(),
            "build": board.get("micropython_firmware", ""),
            "chip_id": binascii.hexlify(machine.unique_id()).decode(),  # the eFuse MAC
            "firmware_hash": firmware_hash(),
            "key_protection": key_protection(board["chip"])}
    info["release_key"], info["release_key_source"] = release_key(board,
                                                                  info["key_protection"])
    slots, otadata, running, why = ota_slots(board)
    if why is not None:
        info["boot"] = why
    paylog = None
    if board.get("paylog"):  # the payment counter log's own two sectors
        pl = esp32.Partition.find(esp32.Partition.TYPE_DATA, label=board["paylog"]["partition"])
        paylog = pl[0] if pl else None
    seqlog = None
    if board.get("seqlog"):  # the transaction sequence log's own two sectors
        sl = esp32.Partition.find(esp32.Partition.TYPE_DATA, label=board["seqlog"]["partition"])
        seqlog = sl[0] if sl else None
    try:
        secret = device_secret(nvs)
    except OSError as e:
        # The link still answers; status says why the store is unavailable.
        return boot.build(part[0], None, info, os.urandom, None, e)
    return boot.build(part[0], secret, info, os.urandom, NvsCounter(nvs), paylog=paylog,
                      seqlog=seqlog, slots=slots, otadata=otadata, running=running)


class Clock:
    """Milliseconds since boot that never wrap (time.ticks_ms wraps after 2**30 ms on ESP32; the
    frame decoder's timeouts want a monotonic count)."""

    def __init__(self):
        self.last = time.ticks_ms()
        self.ms = 0

    def now(self):
        t = time.ticks_ms()
        self.ms += time.ticks_diff(t, self.last)
        self.last = t
        return self.ms


def serve(uart, fw, iterations=None):
    """The UART loop: whatever arrived goes to the firmware, its answer goes out. iterations
    bounds the loop (tests); None runs forever."""
    clock = Clock()
    n = 0
    while iterations is None or n < iterations:
        n += 1
        now = clock.now()
        waiting = uart.any()
        data = uart.read(waiting) if waiting else None
        if data:
            out = fw.feed(data, now)
            if out:
                uart.write(out)
        else:
            fw.tick(now)
            time.sleep_ms(IDLE_MS)
        if fw.reset_pending:
            uart.flush()  # the reset answer leaves before the chip reboots
            machine.reset()


def main():
    board = load_board()
    uart = open_uart(board)
    fw = build(board)
    if fw.device.ota is not None and fw.device.ota.reboot_needed:
        # the trial image failed its self-check and is marked invalid: the bootloader starts
        # the previous slot
        machine.reset()
    serve(uart, fw)


if __name__ == "__main__":
    main()
