# Which application slot boots: ESP-IDF's `otadata` partition, in its own format, so that the
# emulated board chooses its slot as the ESP32's second-stage bootloader does, and the app marks
# it as esp32.Partition.set_boot / Partition.mark_app_valid_cancel_rollback do on a chip.
#
#   two 4 KiB sectors, each starting with an esp_ota_select_entry_t (32 bytes, little endian):
#   u32 ota_seq | 20 bytes seq_label (FF) | u32 ota_state | u32 crc
#   crc = esp_rom_crc32_le(UINT32_MAX, ota_seq as 4 bytes) (zlib's crc32 with start 0xFFFFFFFF)
#
# The slot is (ota_seq - 1) % 2 of the entry with the highest valid sequence number; an entry
# whose crc is wrong (a write cut short) or whose state is INVALID / ABORTED does not count.
# Rollback as CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE: set_boot writes a NEW entry in the other
# sector; the bootloader turns NEW into PENDING_VERIFY as it starts that slot, and a
# PENDING_VERIFY entry it finds at the next start (the app never confirmed) into ABORTED, then
# starts the previous slot. Each change is one sector's erase and write; the other sector keeps
# the previous entry, so a power cut leaves the old choice or the new one.

import struct

SECTOR = 4096
ENTRY = 32
SLOTS = 2
UNSET = 0xFFFFFFFF
NEW, PENDING_VERIFY, VALID, INVALID, ABORTED = 0, 1, 2, 3, 4


def crc32(data, crc=0xFFFFFFFF):
    """zlib's CRC-32 continuing from `crc` (MicroPython's binascii may lack crc32)."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def entry_bytes(seq, state):
    return struct.pack("<I", seq) + b"\xff" * 20 + struct.pack(
        "<II", state, crc32(struct.pack("<I", seq)))


def parse_entry(raw):
    """32 bytes -> (seq, state), or None for an erased or damaged entry."""
    seq, state, crc = struct.unpack("<I20xII", raw)
    if seq == UNSET or crc != crc32(struct.pack("<I", seq)):
        return None
    return seq, state


class OtaData:
    """The otadata partition on a block device (readblocks / writeblocks / ioctl(6) erase, as
    esp32.Partition), 4 KiB blocks 0 and 1."""

    def __init__(self, dev):
        self.dev = dev
        self.event = None   # what the last select() did: "slot", "trial", "rolled back", "none"

    def entries(self):
        out = []
        for sector in (0, 1):
            buf = bytearray(ENTRY)
            self.dev.readblocks(sector, buf, 0)
            out.append(parse_entry(bytes(buf)))
        return out

    def _active(self):
        """(sector, seq, state) of the entry that counts, or None."""
        best = None
        for sector, e in enumerate(self.entries()):
            if e is None or e[1] in (INVALID, ABORTED):
                continue
            if best is None or e[0] > best[1]:
                best = (sector, e[0], e[1])
        return best

    def _write(self, sector, seq, state):
        self.dev.ioctl(6, sector)
        self.dev.writeblocks(sector, entry_bytes(seq, state), 0)

    # --- the bootloader's part -----------------------------------------------------------

    def select(self):
        """At power-up, before the app: -> the slot to start. Sets self.event."""
        aborted = False
        while True:
            a = self._active()
            if a is None:
                # nothing written yet (a board as flashed): ota_0
                self.event = "rolled back" if aborted else "none"
                return 0
            sector, seq, state = a
            if state == PENDING_VERIFY:
                # started once and never confirmed: that start failed
                self._write(sector, seq, ABORTED)
                aborted = True
                continue
            if state == NEW:
                self._write(sector, seq, PENDING_VERIFY)
                self.event = "trial"
            else:
                self.event = "rolled back" if aborted else "slot"
            return (seq - 1) % SLOTS

    # --- the app's part (esp32.Partition on a chip) -------------------------------------------

    def pending(self, running):
        """The slot set to start at the next reset (NEW), when it is not the running one."""
        a = self._active()
        if a is not None and a[2] == NEW and (a[1] - 1) % SLOTS != running:
            return (a[1] - 1) % SLOTS
        return None

    def on_trial(self, running):
        """True while the running slot was started by a NEW entry and is not confirmed."""
        a = self._active()
        return a is not None and a[2] == PENDING_VERIFY and (a[1] - 1) % SLOTS == running

    def set_boot(self, slot):
        """Partition.set_boot: a NEW entry with the next sequence number naming `slot`, in the
        sector that does not hold the active entry."""
        a = self._active()
        if a is None:
            seq, sector = slot + 1, 0
        else:
            seq = a[1] + 1
            while (seq - 1) % SLOTS != slot:
                seq += 1
            sector = 1 - a[0]
        self._write(sector, seq, NEW)

    def cancel_pending(self, running):
        """A NEW entry naming the other slot becomes ABORTED (its slot is about to be written);
        a cut in between leaves the sector erased, and the other sector names the running
        slot or nothing (ota_0, the slot running then)."""
        a = self._active()
        if a is not None and a[2] == NEW and (a[1] - 1) % SLOTS != running:
            self._write(a[0], a[1], ABORTED)

    def mark_valid(self, running):
        """Partition.mark_app_valid_cancel_rollback: the running slot's entry becomes VALID."""
        a = self._active()
        if a is not None and a[2] != VALID and (a[1] - 1) % SLOTS == running:
            self._write(a[0], a[1], VALID)

    def mark_invalid(self, running):
        """Partition.mark_app_invalid_rollback_and_reboot, without the reboot: the running
        slot's entry becomes INVALID, so the next start takes the previous one."""
        a = self._active()
        if a is not None and (a[1] - 1) % SLOTS == running:
            self._write(a[0], a[1], INVALID)
