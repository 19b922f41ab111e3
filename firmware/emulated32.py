# The emulated board on the chip's own interpreter: build/chip/micropython32 (MicroPython 1.27.0's
# unix port, 32-bit, the chip package frozen in its native variant, lccrypto compiled in), with
# the fixed heap the board definition names. lightclient/hwtest/emulator.py starts it:
#
#   micropython32 -X heapsize=N firmware/emulated32.py BOARD_JSON OUT_FD [STATE [FLASH_DELAY_MS
#                                                                          [FIRMWARE_HASH]]]
#
# SMP bytes come in on stdin; answers go out on file descriptor OUT_FD (a pipe the host passes
# down; MICROPYPATH=.frozen so only the frozen image is imported), so nothing MicroPython itself
# prints (tracebacks, this file's log lines on stdout) can reach the serial line: on a board the
# REPL's UART is not the one wired to the Pi either. STATE is the lcstore partition's flash image
# (created erased); every erase and program reaches it as the store issues it, so killing this
# process is a power cut at that point. STATE.secret holds the device secret (NVS on a chip),
# STATE.counter the rollback counter. With a file STATE.release_key (the release key's Ed25519
# public key, hex) the board takes firmware updates: its two application slots are the files
# STATE.slot0 and STATE.slot1 (the board's app partition size each), the image group answers. Without STATE the secret and counter live in RAM and the
# flash in a RAM block device (too big for a 96 KiB heap: the emulator passes a scratch file).
# One line "EMULATOR READY <store status>" on stdout when the firmware is up.

import binascii
import hashlib
import json
import os
import select
import sys
import time

from lightclient.chip.app import boot
from lightclient.chip.store.filedev import FileBlockDevice, FileCounter, RamBlockDevice, RamCounter

SECRET_SIZE = 32
TICK_MS = 500
CHUNK = 4096


class SlowFlash:
    """Each erase and program takes delay_ms (a slower flash, so power cuts land inside a
    commit in the tests)."""

    def __init__(self, dev, delay_ms):
        self.dev = dev
        self.delay_ms = delay_ms

    def readblocks(self, n, buf, off=0):
        self.dev.readblocks(n, buf, off)

    def writeblocks(self, n, buf, off=None):
        time.sleep_ms(self.delay_ms)
        self.dev.writeblocks(n, buf, off)

    def ioctl(self, op, arg):
        if op == 6:
            time.sleep_ms(self.delay_ms)
        return self.dev.ioctl(op, arg)


def _secret(path):
    try:
        with open(path, "rb") as f:
            s = f.read(SECRET_SIZE + 1)
    except OSError:
        s = None
    if s is not None:
        if len(s) != SECRET_SIZE:
            raise OSError("device secret file has the wrong length: " + path)
        return s
    s = os.urandom(SECRET_SIZE)
    with open(path, "wb") as f:
        f.write(s)
    return s


def build(board, state, delay_ms, firmware_hash=None):
    st = board["store"]
    if state:
        dev = FileBlockDevice(state, st["sector_size"], st["sector_count"])
        counter = FileCounter(state + ".counter")
        secret = _secret(state + ".secret")
    else:
        dev = RamBlockDevice(st["sector_size"], st["sector_count"])
        counter = RamCounter()
        secret = os.urandom(SECRET_SIZE)
    # the payment counter log's and the sequence log's two sectors each: STATE.paylog and
    # STATE.seqlog beside the store's image
    paylog = _log_device(board.get("paylog"), state, ".paylog", delay_ms)
    seqlog = _log_device(board.get("seqlog"), state, ".seqlog", delay_ms)
    if delay_ms:
        dev = SlowFlash(dev, delay_ms)
    release_key, slots = _release(board, state)
    # An emulated board's chip id: a domain-separated hash of its device secret (stable across
    # restarts of the same state, different per board; the secret itself is not derivable).
    chip_id = hashlib.sha256(b"mycroft-lc/emulated-chip-id\0" + secret).digest()[:6]
    info = {"board": board["name"], "chip": board["chip"], "machine": "emulated " + board["chip"],
            "release": boot.release(), "build": "emulator",
            "chip_id": binascii.hexlify(chip_id).decode(), "firmware_hash": firmware_hash,
            "key_protection": "no (development board)",  # an emulator has no eFuses to burn
            "release_key": release_key}
    return lambda: boot.build(dev, secret, dict(info), os.urandom, counter, paylog=paylog,
                              slots=slots, seqlog=seqlog)


def _log_device(pl, state, suffix, delay_ms):
    if not pl:
        return None
    if state:
        d = FileBlockDevice(state + suffix, pl["sector_size"], pl["sector_count"])
    else:
        d = RamBlockDevice(pl["sector_size"], pl["sector_count"])
    return SlowFlash(d, delay_ms) if delay_ms else d


def _release(board, state):
    """(release key, [slot 0, slot 1]) when STATE.release_key exists, else (None, None)."""
    if not state:
        return None, None
    try:
        with open(state + ".release_key") as f:
            key = binascii.unhexlify(f.read(64))
    except OSError:
        return None, None
    from lightclient.chip.app.ota import Slot
    app = [p for p in board["partitions"] if p["type"] == "app"][0]
    count = app["size"] // 4096
    return key, [Slot(FileBlockDevice(state + ".slot%d" % i, 4096, count), 4096, count)
                 for i in (0, 1)]


def serve(make_fw, out_fd):
    fw = make_fw()
    status = "ok" if fw.device.store is not None else "store: " + str(fw.device.store_error)
    print("EMULATOR READY " + status)
    line_in = sys.stdin.buffer
    line_out = open("/dev/fd/%d" % out_fd, "wb")
    poll = select.poll()
    poll.register(line_in, select.POLLIN)
    t0 = time.ticks_ms()
    while True:
        ready = poll.poll(TICK_MS)
        now = time.ticks_diff(time.ticks_ms(), t0)
        if not ready:
            fw.tick(now)
            continue
        data = bytearray(line_in.read(1))  # poll said readable: one byte never blocks
        if not data:
            return  # the host closed the line
        while len(data) < CHUNK and poll.poll(0):
            b = line_in.read(1)
            if not b:
                break
            data += b
        try:
            out = fw.feed(data, now)
        except Exception as e:  # a bug in the firmware must not take the board down: log, drop
            print("firmware error:", repr(e))
            sys.print_exception(e)
            out = b""
        if out:
            line_out.write(out)
        if fw.reset_pending:
            fw = make_fw()  # a reboot: everything in RAM is rebuilt from the flash


def main(argv):
    with open(argv[1]) as f:
        board = json.load(f)
    state = argv[3] if len(argv) > 3 and argv[3] else None
    delay_ms = int(argv[4]) if len(argv) > 4 else 0
    # what the host computed over the frozen variant's sources (as an image build does)
    firmware_hash = argv[5] if len(argv) > 5 and argv[5] else None
    serve(build(board, state, delay_ms, firmware_hash), int(argv[2]))


main(sys.argv)
