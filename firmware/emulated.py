# The emulated board's glue inside MicroPython (WebAssembly port, under node). lightclient/hwtest/
# emulator_runner.mjs copies the firmware and lightclient into the in-memory filesystem and the
# host's flash image into FLASH_PATH, calls boot() once and feed() for every chunk of bytes from
# the pseudo-terminal. Every erase and program also goes straight to the host's image file
# (js emuFlashWrite), in the order the store issues them, so killing the emulator is a power cut
# at that point of the store's write sequence. Bytes cross the JS boundary as hex strings.

import binascii
import hashlib

from lightclient.chip.app import boot as _boot
from lightclient.chip.store.filedev import FileBlockDevice, FileCounter

FLASH_PATH = "/state/flash.bin"
COUNTER_PATH = "/state/counter"  # the monotonic counter (NVS on a chip), beside the image

FW = None
FLASH = None
_ARGS = None


class WriteThroughFlash:
    """The store's NOR-like block device over the in-memory image (erase to 0xFF, programming
    only clears bits); each erase and program is mirrored to the host image as it happens."""

    def __init__(self, dev, host_write):
        self.dev = dev
        self.host_write = host_write  # (offset, hex of the bytes now there) -> None
        self.bs = dev.ioctl(5, 0)

    def readblocks(self, n, buf, off=0):
        self.dev.readblocks(n, buf, off)

    def writeblocks(self, n, buf, off=None):
        if off is None:  # the simple protocol erases first
            nb = (len(buf) + self.bs - 1) // self.bs
            for i in range(nb):
                self.ioctl(6, n + i)
            off = 0
        self.dev.writeblocks(n, buf, off)
        now = bytearray(len(buf))  # what the cells hold after the program (old AND new)
        self.dev.readblocks(n, now, off)
        self.host_write(n * self.bs + off, now)

    def ioctl(self, op, arg):
        r = self.dev.ioctl(op, arg)
        if op == 6:
            self.host_write(arg * self.bs, b"\xff" * self.bs)
        return r


def _host_write(offset, data):
    import js

    js.globalThis.emuFlashWrite(offset, bytes(data).hex())


def _rng(n):
    # The WebAssembly port has no os.urandom; the host's CSPRNG (node crypto) stands in for the
    # chip's hardware RNG.
    import js

    b = bytes.fromhex(str(js.globalThis.emuRandomHex(n)))
    if len(b) != n:
        raise OSError("random source failed")
    return b


def boot(board_name, chip, block_size, block_count, secret_hex, firmware_hash=None):
    global FW, FLASH, _ARGS
    _ARGS = (board_name, chip, block_size, block_count, secret_hex, firmware_hash)
    if FLASH is None:
        FLASH = WriteThroughFlash(FileBlockDevice(FLASH_PATH, block_size, block_count),
                                  _host_write)
    # An emulated board's chip id: a domain-separated hash of its device secret (stable across
    # restarts of the same state, different per board; the secret itself is not derivable).
    chip_id = hashlib.sha256(b"mycroft-lc/emulated-chip-id\0" + bytes.fromhex(secret_hex))
    info = {"board": board_name, "chip": chip, "machine": "emulated " + chip,
            "release": _boot.release(), "build": "emulator",
            "chip_id": binascii.hexlify(chip_id.digest()[:6]).decode(),
            # computed by the host over the files this board runs, as an image build does
            "firmware_hash": firmware_hash or None,
            "key_protection": "no (development board)"}  # an emulator has no eFuses to burn
    FW = _boot.build(FLASH, bytes.fromhex(secret_hex), info, _rng, FileCounter(COUNTER_PATH))
    return "ok" if FW.device.store is not None else "store: " + str(FW.device.store_error)


def feed(hex_in, now_ms):
    out = FW.feed(bytes.fromhex(hex_in), now_ms)
    if FW.reset_pending:
        boot(*_ARGS)  # a reboot: everything in RAM is rebuilt from the flash
    return out.hex()


def tick(now_ms):
    FW.tick(now_ms)
