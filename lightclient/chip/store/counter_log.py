# A small append-only log of fixed-size records in its own pair of flash sectors (format:
# docs/vouchers.md, "Counter log"), for counters that change often and must survive any power
# cut (the payment vouchers' cumulative amounts): one record costs one 96-byte program, not a
# store snapshot. Shared subset: CPython and MicroPython 1.27.
#
#   log = CounterLog(blockdev, secret)      # sectors 0 and 1 of the block device
#   log.format(log_id)                      # log_id: 8 bytes, named by whoever relies on it
#   payloads = log.mount(log_id)            # every valid record, oldest first
#   log.append(payload, live)               # live() -> the payloads to keep when a sector is full
#
# Each sector: a 32-byte header (MACed, with the sector's epoch and the log's id), then 96-byte
# slots filled in order: payload (80) || CRC-32 (4) || tag (12). A record's tag binds the log id,
# the epoch and the slot index, so a record cannot be moved or replayed into another place. The
# sector with the highest valid epoch is the current one. A torn record (a cut while it was
# programmed) fails its CRC or tag and is skipped; nothing was done on its strength (the caller
# acts only after append returns). Compaction writes the live records into the other sector,
# erased first, and programs its header last: that one program is the commit point, so a cut
# leaves the old sector current or the new one.

import binascii

from lightclient.chip.core.errors import StoreError
from lightclient.chip.crypto.hmac_sha256 import hmac_sha256
from lightclient.chip.store.flash_format import _same  # constant-time tag comparison

MAGIC = b"MLCL"
VERSION = 1
HEADER = 32
PAYLOAD = 80
SLOT = 96
TAG = 12
LOG_ID = 8
D_MAC_KEY = b"mycroft-lightclient counter log v1 authentication key"
D_HDR = b"MLCLhdr"
D_REC = b"MLCLrec"
MAX_EPOCH = 0xFFFFFFFF


class CounterLogError(StoreError):
    """The counter log cannot be used; `check` names why (unformatted, log_id, geometry, ...)."""


def _blank(buf):
    for b in buf:
        if b != 0xFF:
            return False
    return True


class CounterLog:
    def __init__(self, dev, secret, first=0):
        if secret is None or len(secret) < 32:
            raise CounterLogError("secret", "the device secret must be at least 32 bytes")
        self.dev = dev
        self.first = first
        self.size = dev.ioctl(5, 0)
        if dev.ioctl(4, 0) < first + 2 or self.size < HEADER + 2 * SLOT:
            raise CounterLogError("geometry", "the counter log needs two sectors of >= 224 bytes")
        self.slots = (self.size - HEADER) // SLOT
        self.mac_key = hmac_sha256(secret, D_MAC_KEY)
        self.log_id = None
        self.current = None  # sector index (0 or 1 within the pair)
        self.epoch = 0
        self.next = 0        # first free slot of the current sector; == self.slots when full
        self.torn = 0        # invalid slots seen at mount
        self.stats = {"bytes_programmed": 0, "erases": 0, "programs": 0}

    # --- the device, counted ------------------------------------------------------------------

    def _erase(self, s):
        self.stats["erases"] += 1
        self.dev.ioctl(6, self.first + s)

    def _program(self, s, off, buf):
        self.stats["programs"] += 1
        self.stats["bytes_programmed"] += len(buf)
        self.dev.writeblocks(self.first + s, buf, off)

    def _read(self, s, off, n):
        buf = bytearray(n)
        self.dev.readblocks(self.first + s, buf, off)
        return buf

    # --- format -------------------------------------------------------------------------------

    def _header(self, epoch, log_id):
        h = MAGIC + bytes([VERSION, 0, 0, 0]) + epoch.to_bytes(4, "big") + bytes(log_id)
        return h + hmac_sha256(self.mac_key, D_HDR + h)[:TAG]

    def _parse_header(self, buf):
        if bytes(buf[:4]) != MAGIC or buf[4] != VERSION or bytes(buf[5:8]) != b"\x00\x00\x00":
            return None
        if not _same(hmac_sha256(self.mac_key, D_HDR + bytes(buf[:20]))[:TAG], buf[20:32]):
            return None
        return int.from_bytes(buf[8:12], "big"), bytes(buf[12:20])

    def _slot(self, epoch, i, payload):
        body = bytes(payload) + (binascii.crc32(payload) & 0xFFFFFFFF).to_bytes(4, "big")
        msg = D_REC + self.log_id + epoch.to_bytes(4, "big") + i.to_bytes(2, "big") + body
        return body + hmac_sha256(self.mac_key, msg)[:TAG]

    def format(self, log_id):
        """A fresh, empty log named log_id: both sectors erased, sector 0 current at epoch 1."""
        if len(log_id) != LOG_ID:
            raise CounterLogError("log_id", "the log id is 8 bytes")
        self._erase(1)
        self._erase(0)
        self._program(0, 0, self._header(1, log_id))
        self.log_id, self.current, self.epoch, self.next, self.torn = bytes(log_id), 0, 1, 0, 0

    # --- mount --------------------------------------------------------------------------------

    def mount(self, log_id):
        """-> the payloads of the current sector's valid records, in the order written. Never
        writes. CounterLogError("unformatted") when neither sector has a valid header of this
        log (erased, torn, or another log's)."""
        best = None
        for s in (0, 1):
            h = self._parse_header(self._read(s, 0, HEADER))
            if h is not None and h[1] == bytes(log_id) and (best is None or h[0] > best[1]):
                best = (s, h[0])
        if best is None:
            raise CounterLogError("unformatted", "no valid counter log header for this log id")
        self.log_id = bytes(log_id)
        self.current, self.epoch = best
        out = []
        self.torn = 0
        self.next = self.slots
        for i in range(self.slots):
            buf = self._read(self.current, HEADER + i * SLOT, SLOT)
            if _blank(buf):
                self.next = i
                break
            payload = bytes(buf[:PAYLOAD])
            if _same(self._slot(self.epoch, i, payload), buf):
                out.append(payload)
            else:
                self.torn += 1
        return out

    # --- append and compaction ----------------------------------------------------------------

    def append(self, payload, live):
        """Program one record; when the current sector is full, first compact: live() gives the
        payloads that must survive (at most slots - 1 of them). Returns once the record is on
        flash: the caller may act on it then, never before."""
        if self.current is None:
            raise CounterLogError("not_mounted", "counter log not mounted")
        if len(payload) != PAYLOAD:
            raise CounterLogError("payload_size", "a record payload is 80 bytes")
        if self.next >= self.slots:
            self._compact(live())
        i = self.next
        self.next = i + 1  # even if this program is cut: that slot is no longer blank
        self._program(self.current, HEADER + i * SLOT, self._slot(self.epoch, i, payload))

    def _compact(self, keep):
        if len(keep) >= self.slots:
            raise CounterLogError("log_full", "too many live records for one sector")
        if self.epoch >= MAX_EPOCH:
            raise CounterLogError("epoch", "the counter log's epoch is exhausted")
        other, epoch = 1 - self.current, self.epoch + 1
        self._erase(other)
        for i in range(len(keep)):
            self._program(other, HEADER + i * SLOT, self._slot(epoch, i, keep[i]))
        self._program(other, 0, self._header(epoch, self.log_id))  # the commit point
        self.current, self.epoch, self.next = other, epoch, len(keep)
