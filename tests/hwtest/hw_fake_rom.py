"""A stand-in for an ESP chip's ROM serial bootloader on a pseudo-terminal, enough for esptool
(`--no-stub`) to connect, write flash and read back its MD5: the flash-tool tests then run the
real esptool end to end, and can make the "chip" be another model or stop answering mid-write.

Protocol (esptool's serial protocol): SLIP frames (C0 ... C0, DB DC = C0, DB DD = DB); a request
is dir 0x00, command, length (u16), checksum (u32), data; a response is dir 0x01, command, length,
value (u32), data ending in the status bytes (4 for the ESP32 ROM; byte 0 non-zero = failure).
"""

import hashlib
import os
import select
import struct
import threading
import tty

SYNC, READ_REG, WRITE_REG = 0x08, 0x0A, 0x09
FLASH_BEGIN, FLASH_DATA, FLASH_END = 0x02, 0x03, 0x04
SPI_SET_PARAMS, SPI_ATTACH, CHANGE_BAUD, SPI_FLASH_MD5, SECURITY_INFO = 0x0B, 0x0D, 0x0F, 0x13, 0x14
MEM_BEGIN, MEM_DATA, MEM_END = 0x05, 0x07, 0x06
CHIP_MAGIC_REG = 0x40001000
ESP32_MAGIC = 0x00F01D83


def slip(data):
    return b"\xc0" + data.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


class FakeRom:
    """chip_id: None for an ESP32 (answers the chip-magic register, no security info), or an
    IMAGE_CHIP_ID (9 = ESP32-S3) answered through GET_SECURITY_INFO. stop_after_blocks: stop
    answering after that many FLASH_DATA blocks (a cable pulled mid-write). bad_md5_from: from
    that MD5 request on (1 = the first), the digest is of the region with one bit flipped (a
    flash cell that does not hold what was written: the read-back must catch it)."""

    def __init__(self, flash_size=4 * 1024 * 1024, chip_id=None, stop_after_blocks=None,
                 bad_md5_from=None):
        self.flash = bytearray(b"\xff" * flash_size)
        self.chip_id = chip_id
        self.stop_after_blocks = stop_after_blocks
        self.blocks = 0
        self.bad_md5_from = bad_md5_from
        self.md5s = 0
        self.commands = []
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self._stop = False
        self._dead = False
        self._begin = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self._slave)

    def _out(self, data):
        os.write(self.master, data)

    def _reply(self, cmd, value=0, data=b"", status=0, error=0):
        body = data + bytes([status, error, 0, 0])
        self._out(slip(struct.pack("<BBHI", 1, cmd, len(body), value) + body))

    def _handle(self, pkt):
        if len(pkt) < 8 or pkt[0] != 0:
            return
        _, cmd, size, _ = struct.unpack_from("<BBHI", pkt)
        data = pkt[8:8 + size]
        self.commands.append(cmd)
        if self._dead:
            return
        if cmd == SYNC:
            for _ in range(8):
                self._reply(SYNC)
        elif cmd == READ_REG:
            (addr,) = struct.unpack_from("<I", data)
            self._reply(cmd, ESP32_MAGIC if addr == CHIP_MAGIC_REG else 0)
        elif cmd == SECURITY_INFO:
            if self.chip_id is None:
                self._reply(cmd, status=1, error=5)       # the ESP32 ROM has no such command
            else:
                self._reply(cmd, data=struct.pack("<IB7BII", 0, 0, *([0] * 7), self.chip_id, 0))
        elif cmd == FLASH_BEGIN:
            size_, blocks, block_size, offset = struct.unpack_from("<IIII", data)
            self._begin = (offset, block_size)
            self._reply(cmd)
        elif cmd == FLASH_DATA:
            n, seq = struct.unpack_from("<II", data)
            offset, block_size = self._begin
            block = data[16:16 + n]
            self.flash[offset + seq * block_size:offset + seq * block_size + len(block)] = block
            self.blocks += 1
            if self.stop_after_blocks is not None and self.blocks >= self.stop_after_blocks:
                self._dead = True
                return
            self._reply(cmd)
        elif cmd == SPI_FLASH_MD5:
            addr, n = struct.unpack_from("<II", data)
            region = bytearray(self.flash[addr:addr + n])
            self.md5s += 1
            if self.bad_md5_from is not None and self.md5s >= self.bad_md5_from and region:
                region[0] ^= 0x01
            self._reply(cmd, data=hashlib.md5(bytes(region)).hexdigest().encode())
        else:   # WRITE_REG, SPI_SET_PARAMS, SPI_ATTACH, CHANGE_BAUD, FLASH_END, MEM_*: accept
            self._reply(cmd)

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                continue
            self._feed(chunk)

    _frame = None

    def _feed(self, chunk):
        """Bytes from the host: SLIP frames to _handle."""
        for b in chunk:
            if b == 0xC0:
                if self._frame is not None and len(self._frame):
                    pkt = bytes(self._frame).replace(b"\xdb\xdc", b"\xc0").replace(
                        b"\xdb\xdd", b"\xdb")
                    self._handle(pkt)
                    self._frame = None
                else:
                    self._frame = bytearray()
            elif self._frame is not None:
                self._frame.append(b)
