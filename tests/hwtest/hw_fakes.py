"""Fabricated inputs for the tester tools' tests: ESP-IDF images that esptool's own parser and
`image-info` accept (written byte by byte from the format, not with esptool's writer, so esptool
is an independent judge), and MicroPython's released-download layout built from them."""

import hashlib
import struct

CHIP_IDS = {"esp32": 0, "esp32c3": 5, "esp32s3": 9}


def esp_image(chip="esp32", segments=((0x3FFB0000, b"\x11" * 64), (0x40080000, b"\x22" * 128)),
              entry=0x40080400, digest=True):
    """An ESP-IDF image: common header, extended header, segments, checksum, SHA-256."""
    out = struct.pack("<BBBBI", 0xE9, len(segments), 2, 0x20, entry)
    out += struct.pack("<BBBBHBHH4BB", 0xEE, 0, 0, 0, CHIP_IDS[chip], 0, 0, 0xFFFF, 0, 0, 0, 0,
                       1 if digest else 0)
    checksum = 0xEF
    for addr, data in segments:
        assert len(data) % 4 == 0
        out += struct.pack("<II", addr, len(data)) + data
        for b in data:
            checksum ^= b
    out += b"\0" * (15 - len(out) % 16) + bytes([checksum])
    if digest:
        out += hashlib.sha256(out).digest()
    return out


def app_image(chip="esp32", size=64 * 1024):
    """A bare application image of about `size` bytes (one large DROM-like segment)."""
    body = bytes((i * 7) & 0xFF for i in range(size - size % 4))
    return esp_image(chip, segments=((0x3F400020, body), (0x40080000, b"\x33" * 256)))


def bootloader_image(chip="esp32"):
    return esp_image(chip, segments=((0x3FFF0000, b"\x44" * 1024), (0x40078000, b"\x55" * 2048)))


def released_firmware(board, app, bootloader, table=None):
    """MicroPython's download layout: bootloader at 0, its own partition table and the app at
    their offsets relative to the bootloader offset, FF between."""
    from lightclient.hwtest import parttable
    base = board.bootloader_offset
    out = bytearray(b"\xff" * (board.app_offset - base))
    out[0:len(bootloader)] = bootloader
    t = table if table is not None else parttable.build(board)
    at = board.partition_table_offset - base
    out[at:at + len(t)] = t
    return bytes(out) + app


# The application files of conftest.py's fake_repo tree, at their image paths.
FAKE_REPO_APP = {
    "/main.py", "/app/__init__.py", "/app/boot.py", "/app/device.py", "/app/link/smp.py",
    "/lib/lightclient/__init__.py", "/lib/lightclient/core/errors.py", "/lib/lightclient/txs.py",
}
