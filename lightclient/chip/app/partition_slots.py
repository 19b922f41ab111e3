# A real board's application slots on MicroPython's esp32.Partition (MicroPython 1.27,
# ports/esp32/esp32_partition.c), behind the interface app/ota.py drives on the emulated board.
# Each slot holds an ESP-IDF app image (MicroPython's esp32 port with the firmware frozen in):
# the release image's payload alone, streamed in once its signed head was checked (Slot.app),
# since ESP-IDF's set_boot and bootloader take nothing else (docs/ota.md, "What the slots hold"):
# `ota_0` and `ota_1` (the board definition's labels) as app.ota.Slot block devices (4 KiB
# blocks, ioctl 6 = erase, readblocks / writeblocks with a byte offset), and the `otadata`
# partition's state read in ESP-IDF's own format (app/otadata.py).
#
# ESP-IDF's second-stage bootloader (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y in MicroPython's
# boards/sdkconfig.base) has already chosen the slot and turned a NEW entry into PENDING_VERIFY
# (or an unconfirmed PENDING_VERIFY into ABORTED) before this code runs. The changes ESP-IDF has
# an API for go through it, so its own checks run: Partition.set_boot
# (esp_ota_set_boot_partition, which also verifies the slot holds an app image) and
# Partition.mark_app_valid_cancel_rollback. MicroPython 1.27 exposes no call to cancel a pending
# slot, nor esp_ota_mark_app_invalid_rollback_and_reboot: those two rewrite the entry INVALID
# in ESP-IDF's format, one sector's erase and write as ESP-IDF's rewrite_ota_seq does, the
# other sector keeping the previous entry (a power cut leaves the old choice or the new one).

from lightclient.chip.app import otadata as O
from lightclient.chip.app.ota import IMG_INVALID_IMAGE_HEADER, OtaError, Slot

SLOT_LABELS = ("ota_0", "ota_1")
OTADATA_LABEL = "otadata"
BLOCK = 4096


class IdfOtaData(O.OtaData):
    """otadata as app/ota.py uses it, on a chip whose bootloader already ran."""

    def __init__(self, dev, parts, partition_cls, running):
        O.OtaData.__init__(self, dev)
        self.parts, self.partition_cls = parts, partition_cls
        self.event = self._event(running)

    def _event(self, running):
        """What the bootloader did, read back from otadata (app/ota.py's Ota.boot says it):
        "trial", "rolled back" (the newest entry is an ABORTED trial: reported until the next
        set_boot), "slot" or "none" (nothing written: a board as flashed)."""
        active = self._active()
        if self.on_trial(running):
            return "trial"
        newest = None
        for e in self.entries():
            if e is not None and (newest is None or e[0] > newest[0]):
                newest = e
        if newest is not None and newest[1] == O.ABORTED and (active is None
                                                              or newest[0] > active[1]):
            return "rolled back"
        return "none" if active is None else "slot"

    def cancel_pending(self, running):
        """As app/otadata.py's, but the cancelled entry becomes INVALID (neither counts for the
        bootloader), so that ABORTED, which only the bootloader writes, means a rolled-back
        trial when the firmware reads otadata back at its start."""
        a = self._active()
        if a is not None and a[2] == O.NEW and (a[1] - 1) % O.SLOTS != running:
            self._write(a[0], a[1], O.INVALID)

    def set_boot(self, slot):
        try:
            self.parts[slot].set_boot()
        except OSError as e:
            # ESP-IDF refused: ESP_ERR_OTA_VALIDATE_FAILED when the slot holds no app image
            raise OtaError("ota_set_boot", "the bootloader refused the slot: " + str(e)[:80],
                           IMG_INVALID_IMAGE_HEADER, slot=slot)

    def mark_valid(self, running):
        # ESP-IDF refuses (ESP_ERR_OTA_ROLLBACK_FAILED) when otadata's active entry is not
        # the running slot's: only a trial is confirmed
        if self.on_trial(running):
            self.partition_cls.mark_app_valid_cancel_rollback()


def _one(partition_cls, kind, label):
    found = partition_cls.find(kind, label=label)
    if not found:
        raise OtaError("ota_partition", "no flash partition named " + label, 1, label=label)
    part = found[0]
    if part.ioctl(5, 0) != BLOCK:
        raise OtaError("ota_partition", "partition block size is not 4096", 1, label=label)
    return part


def open_slots(partition_cls, board):
    """-> ([Slot 0, Slot 1], IdfOtaData, running slot), or None when the board definition has
    no ota_0 / ota_1 / otadata partitions or the running app is not one of the slots (a board
    flashed with the one-`factory` layout takes no update). Raises OtaError (`ota_partition`)
    when the definition names a partition the chip's table does not hold or the table's
    update order is not ota_0 <-> ota_1."""
    names = [p["name"] for p in board.get("partitions", ())]
    for label in SLOT_LABELS + (OTADATA_LABEL,):
        if label not in names:
            return None
    running_label = partition_cls(partition_cls.RUNNING).info()[4]
    if running_label not in SLOT_LABELS:
        return None
    parts = [_one(partition_cls, partition_cls.TYPE_APP, label) for label in SLOT_LABELS]
    running = SLOT_LABELS.index(running_label)
    nxt = parts[running].get_next_update().info()[4]
    if nxt != SLOT_LABELS[1 - running]:
        raise OtaError("ota_partition", "the next update slot is not the other slot", 1,
                       running=running_label, next=nxt)
    od = IdfOtaData(_one(partition_cls, partition_cls.TYPE_DATA, OTADATA_LABEL), parts,
                    partition_cls, running)
    slots = [Slot(p, BLOCK, p.ioctl(4, 0), app=True) for p in parts]
    return slots, od, running
