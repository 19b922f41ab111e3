# A stand-in for MicroPython 1.27's `esp32` module on a board's whole SPI flash (a bytearray laid
# out by board/<name>.json), for firmware/main.py under CPython. Faithful to what the firmware
# relies on:
# - esp32.Partition as ports/esp32/esp32_partition.c: find(type, subtype, label, block_size),
#   Partition(RUNNING | BOOT | label), info(), readblocks / writeblocks (3 arguments: erase the
#   blocks first; 4 arguments: an offset, no erase), ioctl 4 / 5 / 6 (6 = erase one 4 KiB block),
#   set_boot, get_next_update, the class method mark_app_valid_cancel_rollback;
# - NOR flash: an erase sets 0xFF, a program can only clear bits;
# - ESP-IDF v5's OTA rules, written from esp_ota_ops.c and bootloader_utility.c (not from
#   lightclient/chip/app/otadata.py, whose format this cross-checks): set_boot
#   (esp_rewrite_ota_data: the next sequence number of that slot, state NEW, into the sector
#   that does not hold the active entry), mark_app_valid_cancel_rollback
#   (esp_ota_current_ota_is_workable: the active entry must name the running slot),
#   and the second-stage bootloader with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (power_on()).
# esp_ota_set_boot_partition verifies that the slot holds an app image (esp_image_verify,
# esp_image_format.c): app_image_fault() checks what it checks for an unsigned app: the header's
# magic 0xE9, the chip id, at most 16 segments, each segment's length (a multiple of 4, inside
# the partition), the XOR checksum (seed 0xEF) in the last byte of the 16-byte padding, and the
# appended SHA-256 of all bytes before it when the header says hash_appended. The tests make
# their app images with esptool's own classes, so the layout is esptool's, not this file's.
# A power cut: `cut_after` flash operations (erase or program) are allowed, the next raises
# PowerCut before it happens. Written in the subset CPython and MicroPython 1.27 share, so the
# chip's 32-bit interpreter runs it too (tests/chip32/test_partition_slots32.py).
import hashlib
import struct
from binascii import crc32

ESP_ERR_INVALID_ARG = 0x102
ESP_ERR_INVALID_SIZE = 0x104
ESP_ERR_OTA_VALIDATE_FAILED = 0x1503
ESP_ERR_OTA_ROLLBACK_FAILED = 0x1504
NEW, PENDING_VERIFY, VALID, INVALID, ABORTED, UNDEFINED = 0, 1, 2, 3, 4, 0xFFFFFFFF
TYPE_APP, TYPE_DATA = 0, 1
SUBTYPE_OTA_0 = 0x10
APP_MAGIC = 0xE9
MAX_SEGMENTS = 16         # ESP_IMAGE_MAX_SEGMENTS
CHECKSUM_SEED = 0xEF      # ESP_ROM_CHECKSUM_INITIAL
CHIP_IDS = {"esp32": 0, "esp32s2": 2, "esp32c3": 5, "esp32s3": 9, "esp32c2": 12,
            "esp32c6": 13}   # esp_chip_id_t


class PowerCut(BaseException):
    """The power went: not an error the firmware can handle."""


def esp_err(code):
    # MicroPython's check_esp_err: OSError(-code) for ESP-IDF's esp_err_t
    return OSError(-code, "ESP_ERR 0x%x" % code)


def app_image_fault(flash, off, size, chip_id):
    """What esp_image_verify finds wrong with the app image at flash[off:off + size] (the
    partition), or None when ESP-IDF would accept it."""
    if size < 24:
        return "partition too small"
    h = bytes(flash[off:off + 24])
    if h[0] != APP_MAGIC:
        return "bad magic"
    if struct.unpack("<H", h[12:14])[0] != chip_id:
        return "chip id"
    if h[1] > MAX_SEGMENTS:
        return "segment count"
    pos, csum = 24, CHECKSUM_SEED
    for _ in range(h[1]):
        if pos + 8 > size:
            return "segment header past the partition"
        n = struct.unpack("<I", bytes(flash[off + pos + 4:off + pos + 8]))[0]
        pos += 8
        if n & 3 or pos + n > size:
            return "segment length"
        for b in flash[off + pos:off + pos + n]:
            csum ^= b
        pos += n
    at = pos + 15 - pos % 16   # the checksum: the last byte of the 16-byte padding
    if at >= size or flash[off + at] != csum:
        return "checksum"
    if h[23] == 1:             # hash_appended
        end = off + at + 1
        if at + 33 > size or \
                hashlib.sha256(bytes(flash[off:end])).digest() != bytes(flash[end:end + 32]):
            return "sha256"
    elif h[23] != 0:
        return "hash_appended"
    return None


def _subtype(p):
    if p["type"] == "app":
        return SUBTYPE_OTA_0 + int(p["subtype"][4:]) if p["subtype"].startswith("ota_") else 0
    known = {"ota": 0, "phy": 1, "nvs": 2, "fat": 0x81}
    s = p["subtype"]
    return known[s] if s in known else int(s, 0)


class Module:
    """What `import esp32` gives: Partition and NVS."""


class Chip:
    """One board: its flash, NVS, the running slot; `module` is what `import esp32` gives."""

    def __init__(self, board, flash=None, nvs=None):
        self.board = board
        self.chip_id = CHIP_IDS[board.get("chip", "esp32")]
        self.flash = bytearray(b"\xff" * board["flash_size"]) if flash is None \
            else bytearray(flash)
        self.nvs = {} if nvs is None else dict(nvs)
        self.parts = [dict(p, type_id=TYPE_APP if p["type"] == "app" else TYPE_DATA,
                           subtype_id=_subtype(p)) for p in board["partitions"]]
        self.running = None
        self.cut_after = None
        self.calls = []   # the ESP-IDF OTA calls the firmware made
        self.module = Module()
        self.module.Partition = self._partition_class()
        self.module.NVS = self._nvs_class()

    # --- flash ---------------------------------------------------------------------------------

    def _spend(self):
        if self.cut_after is not None:
            if self.cut_after <= 0:
                raise PowerCut()
            self.cut_after -= 1

    def erase(self, addr, n):
        if addr % 4096 or n % 4096:
            raise esp_err(ESP_ERR_INVALID_ARG)
        self._spend()
        self.flash[addr:addr + n] = b"\xff" * n

    def program(self, addr, data):
        self._spend()
        for i, b in enumerate(data):   # NOR: bits only go from 1 to 0
            self.flash[addr + i] &= b

    def part(self, label):
        for p in self.parts:
            if p["name"] == label:
                return p
        return None

    # --- ESP-IDF's otadata -----------------------------------------------------------------------

    def _otadata(self):
        od = self.part("otadata")
        out = []
        for sector in (0, 1):
            at = od["offset"] + 4096 * sector
            seq, state, crc = struct.unpack("<I20xII", bytes(self.flash[at:at + 32]))
            out.append({"seq": seq, "state": state, "crc": crc})
        return od, out

    @staticmethod
    def _crc(seq):
        # esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4): zlib's crc32 continuing from UINT32_MAX
        return crc32(struct.pack("<I", seq), 0xFFFFFFFF)

    def _valid(self, e):
        # bootloader_common_ota_select_valid (ESP-IDF v5)
        return (e["seq"] != UNDEFINED and e["state"] not in (INVALID, ABORTED)
                and e["crc"] == self._crc(e["seq"]))

    def _active(self, ents):
        # bootloader_common_get_active_otadata: the valid entry with the highest sequence
        v = [i for i in (0, 1) if self._valid(ents[i])]
        if not v:
            return -1
        return max(v, key=lambda i: (ents[i]["seq"], -i))

    def _rewrite(self, od, sector, seq, state):
        # rewrite_ota_seq: erase that sector, write the entry
        at = od["offset"] + 4096 * sector
        self.erase(at, 4096)
        self.program(at, struct.pack("<I", seq) + b"\xff" * 20
                     + struct.pack("<II", state, self._crc(seq)))

    def _slot_count(self):
        return sum(1 for p in self.parts if p["type_id"] == TYPE_APP
                   and p["subtype_id"] >= SUBTYPE_OTA_0)

    def set_boot(self, p):
        """esp_ota_set_boot_partition of an ota slot."""
        if p["type_id"] != TYPE_APP or p["subtype_id"] < SUBTYPE_OTA_0:
            raise esp_err(ESP_ERR_INVALID_ARG)
        fault = app_image_fault(self.flash, p["offset"], p["size"], self.chip_id)
        if fault is not None:
            self.calls.append(("refused", fault))
            raise esp_err(ESP_ERR_OTA_VALIDATE_FAILED)
        sub, count = p["subtype_id"] - SUBTYPE_OTA_0, self._slot_count()
        od, ents = self._otadata()
        active = self._active(ents)
        if active == -1:   # no valid entry: sector 0 gets the slot's first number
            self._rewrite(od, 0, sub + 1, NEW)
            return
        seq, i = ents[active]["seq"], 0
        while seq > (sub + 1) % count + i * count:
            i += 1
        self._rewrite(od, (~active) & 1, (sub + 1) % count + i * count, NEW)

    def mark_valid(self):
        """esp_ota_mark_app_valid_cancel_rollback."""
        od, ents = self._otadata()
        active = self._active(ents)
        if active == -1:
            return
        slot = "ota_%d" % ((ents[active]["seq"] - 1) % self._slot_count())
        if slot != self.running:
            raise esp_err(ESP_ERR_OTA_ROLLBACK_FAILED)
        if ents[active]["state"] != VALID:
            self._rewrite(od, active, ents[active]["seq"], VALID)

    def power_on(self):
        """ESP-IDF's second-stage bootloader with app rollback: a PENDING_VERIFY entry found at
        start (never confirmed) becomes ABORTED, a NEW one PENDING_VERIFY; no valid entry
        starts ota_0. -> the label of the slot started."""
        od, ents = self._otadata()
        active = self._active(ents)
        if active != -1 and ents[active]["state"] == PENDING_VERIFY:
            self._rewrite(od, active, ents[active]["seq"], ABORTED)
            od, ents = self._otadata()
            active = self._active(ents)
        if active == -1:
            self.running = "ota_0"
        else:
            if ents[active]["state"] == NEW:
                self._rewrite(od, active, ents[active]["seq"], PENDING_VERIFY)
            self.running = "ota_%d" % ((ents[active]["seq"] - 1) % self._slot_count())
        return self.running

    # --- the esp32 module ------------------------------------------------------------------------

    def _partition_class(self):
        chip = self

        class Partition:
            BOOT, RUNNING = 0, 1
            TYPE_APP, TYPE_DATA = TYPE_APP, TYPE_DATA

            def __init__(self, id, block_size=4096):
                if id == Partition.RUNNING:
                    p = chip.part(chip.running)
                elif isinstance(id, str):
                    p = chip.part(id)
                else:
                    raise ValueError(id)
                if p is None:
                    raise OSError(2)   # MP_ENOENT
                self.p, self.bs = p, block_size

            @staticmethod
            def find(type=TYPE_APP, subtype=0xFF, label=None, block_size=4096):
                return [Partition(p["name"], block_size) for p in chip.parts
                        if p["type_id"] == type and (subtype == 0xFF or p["subtype_id"] == subtype)
                        and (label is None or p["name"] == label)]

            def info(self):
                p = self.p
                return (p["type_id"], p["subtype_id"], p["offset"], p["size"], p["name"], False)

            def _addr(self, offset, n):
                if offset < 0 or offset + n > self.p["size"]:
                    raise esp_err(ESP_ERR_INVALID_SIZE)
                return self.p["offset"] + offset

            def readblocks(self, block, buf, offset=0):
                at = self._addr(block * self.bs + offset, len(buf))
                buf[:] = chip.flash[at:at + len(buf)]

            def writeblocks(self, block, buf, offset=None):
                at = self._addr(block * self.bs + (offset or 0), len(buf))
                if offset is None:   # a simple write erases first (4 KiB blocks)
                    chip.erase(at, len(buf))
                chip.program(at, bytes(buf))

            def ioctl(self, op, arg):
                if op in (1, 2, 3):
                    return 0
                if op == 4:
                    return self.p["size"] // self.bs
                if op == 5:
                    return self.bs
                if op == 6:
                    if self.bs != 4096:
                        return -22
                    chip.erase(self._addr(arg * 4096, 4096), 4096)
                    return 0
                return None

            def set_boot(self):
                chip.calls.append(("set_boot", self.p["name"]))
                chip.set_boot(self.p)

            def get_next_update(self):
                # esp_ota_get_next_update_partition: the next ota slot, wrapping around
                n = chip._slot_count()
                sub = (self.p["subtype_id"] - SUBTYPE_OTA_0 + 1) % n \
                    if self.p["subtype_id"] >= SUBTYPE_OTA_0 else 0
                return Partition("ota_%d" % sub)

            @classmethod
            def mark_app_valid_cancel_rollback(cls):
                chip.calls.append(("mark_app_valid_cancel_rollback",))
                chip.mark_valid()

        return Partition

    def _nvs_class(self):
        chip = self

        class NVS:
            # ESP_ERR_NVS_NOT_FOUND for a missing key, as MicroPython's esp32.NVS raises it
            def __init__(self, ns):
                self.ns = ns

            def _get(self, k):
                if (self.ns, k) not in chip.nvs:
                    raise OSError(-0x1102, "ESP_ERR_NVS_NOT_FOUND")
                return chip.nvs[(self.ns, k)]

            def get_i32(self, k):
                return self._get(k)

            def set_i32(self, k, v):
                chip.nvs[(self.ns, k)] = v

            def get_blob(self, k, buf):
                v = self._get(k)
                buf[:len(v)] = v
                return len(v)

            def set_blob(self, k, v):
                chip.nvs[(self.ns, k)] = bytes(v)

            def commit(self):
                pass

        return NVS
