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
# public key, hex) the board takes firmware updates: STATE.flash is its whole SPI flash (the host
# creates it erased), and the otadata, ota_0 and ota_1 partitions sit in it at the board's
# offsets. At every power-up and reset this file plays the second-stage bootloader: it chooses
# the slot from otadata (app/otadata.py, ESP-IDF's rules: trial, rollback), checks the image in
# it (the release image's payload hash), and when that payload is a ROMFS of compiled modules
# (`mycroft-lc board release build`) mounts it and imports the firmware from it, ahead of the
# frozen modules: the code that runs is the slot's. A slot with no image (a board as flashed) or
# an image of data only runs the frozen firmware. Without STATE the secret and counter live in
# RAM and the flash in a RAM block device (too big for a 96 KiB heap: the emulator passes a
# scratch file). One line "EMULATOR READY <store status>" on stdout when the firmware is up.

import binascii
import hashlib
import json
import os
import select
import sys
import time

SECRET_SIZE = 32
TICK_MS = 500
CHUNK = 256       # what one read of the chip's UART returns at most (its RX buffer)


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
    """A power-up: the bootloader's part, then the firmware (from the chosen slot's modules, or
    the frozen ones) built over the board's flash. -> the Firmware."""
    from emulated_boot import release
    # the bootloader's code is the frozen one (as ESP-IDF's, it is not updated over the air)
    from lightclient.chip.store.filedev import (FileBlockDevice, FileCounter, RamBlockDevice,
                                                RamCounter)
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
    release_key, slots, od, running, note = release(board, state, FileBlockDevice)
    # An emulated board's chip id: a domain-separated hash of its device secret (stable across
    # restarts of the same state, different per board; the secret itself is not derivable).
    chip_id = hashlib.sha256(b"mycroft-lc/emulated-chip-id\0" + secret).digest()[:6]
    from lightclient.chip.app import boot   # the slot's, when one is mounted
    info = {"board": board["name"], "chip": board["chip"], "machine": "emulated " + board["chip"],
            "release": boot.release(), "build": "emulator",
            "chip_id": binascii.hexlify(chip_id).decode(), "firmware_hash": firmware_hash,
            "key_protection": "no (development board)",  # an emulator has no eFuses to burn
            "release_key": release_key}
    print("bootloader: %s, the firmware from %s" % (od.event if od else "no slots", note))
    return boot.build(dev, secret, info, os.urandom, counter, paylog=paylog, slots=slots,
                      seqlog=seqlog, otadata=od, running=running)


def _log_device(pl, state, suffix, delay_ms):
    if not pl:
        return None
    from lightclient.chip.store.filedev import FileBlockDevice, RamBlockDevice
    if state:
        d = FileBlockDevice(state + suffix, pl["sector_size"], pl["sector_count"])
    else:
        d = RamBlockDevice(pl["sector_size"], pl["sector_count"])
    return SlowFlash(d, delay_ms) if delay_ms else d


RESET_STATUS = 75   # lightclient/hwtest/emulator.py starts the interpreter again


def _start(make_fw):
    fw = make_fw()
    ota = fw.device.ota
    if ota is not None and ota.reboot_needed:   # the new image failed its self-check
        sys.exit(RESET_STATUS)
    return fw


def serve(make_fw, out_fd):
    fw = _start(make_fw)
    status = "ok" if fw.device.store is not None else "store: " + str(fw.device.store_error)
    print("EMULATOR READY " + status)
    line_in = sys.stdin.buffer
    line_out = open("/dev/fd/%d" % out_fd, "wb")
    poll = select.poll()
    poll.register(line_in, select.POLLIN)
    rx, one = bytearray(CHUNK), bytearray(1)
    rx_view = memoryview(rx)
    t0 = time.ticks_ms()
    seen_drops = 0
    while True:
        ready = poll.poll(TICK_MS)
        now = time.ticks_diff(time.ticks_ms(), t0)
        if not ready:
            fw.tick(now)
            continue
        # poll said readable: one byte never blocks. Read into the one buffer, as the chip's
        # UART driver fills its RX buffer outside the heap: growing a bytearray byte by byte
        # would fragment the heap the firmware lives in.
        if not line_in.readinto(one):
            return  # the host closed the line
        rx[0] = one[0]
        n = 1
        while n < CHUNK and poll.poll(0):
            if not line_in.readinto(one):
                break
            rx[n] = one[0]
            n += 1
        try:
            out = fw.feed(rx_view[:n], now)
        except Exception as e:  # a bug in the firmware must not take the board down: log, drop
            print("firmware error:", repr(e))
            sys.print_exception(e)
            out = b""
        dropped = fw.decoder.stats["dropped"]
        if dropped != seen_drops:   # the tests' log says why the Pi got no answer
            seen_drops = dropped
            try:
                print("frame dropped:", fw.decoder.last_error)
            except MemoryError:
                pass
        if out:
            line_out.write(out)
        if fw.reset_pending:
            # a reboot is a new interpreter (lightclient/hwtest/emulator.py starts it again on
            # the same line; line_out is unbuffered: nothing is lost), as machine.reset() starts
            # the chip with an empty heap; the flash is kept, and a board with slots boots
            # whatever slot otadata names
            sys.exit(RESET_STATUS)


def main(argv):
    with open(argv[1]) as f:
        board = json.load(f)
    state = argv[3] if len(argv) > 3 and argv[3] else None
    delay_ms = int(argv[4]) if len(argv) > 4 else 0
    # what the host computed over the frozen variant's sources (as an image build does)
    firmware_hash = argv[5] if len(argv) > 5 and argv[5] else None
    serve(lambda: build(board, state, delay_ms, firmware_hash), int(argv[2]))


main(sys.argv)
