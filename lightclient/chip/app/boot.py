# Building the firmware from its parts, shared by main.py (a real board) and the emulator:
# mount the secure store on the block device (formatting it only when it is blank), load the
# device state, wrap it in the SMP core.

import binascii
import gc
import sys

from lightclient.chip.app.common import FULL_GC
from lightclient.chip.app.device import Device
from lightclient.chip.app.firmware import Firmware

# Largest record: the trusted state with two 150-validator sets (update.Limits) is ~12 KB.
MAX_VALUE = 24576


def open_store(blockdev, secret, counter=None, rng=None):
    """-> (store, None) or (None, error). A blank device is formatted once; a store that fails
    to mount for any other reason is left untouched (never lose data) and reported by status."""
    try:
        from lightclient.chip.store.store import RecordStore
    except ImportError as e:
        return None, e
    try:
        store = RecordStore(blockdev, secret, counter, max_value=MAX_VALUE, rng=rng)
    except Exception as e:
        return None, e
    try:
        store.mount()
        if FULL_GC:
            gc.collect()
            store.rebuild_index()  # low in the heap, out of the way of the large buffers
        return store, None
    except Exception as e:
        try:
            blank = _blank(blockdev)
        except Exception:  # the device cannot even be read: report the mount's reason
            blank = False
        if not blank:
            return None, e
    try:
        store.format()
        store.mount()
        return store, None
    except Exception as e:
        return None, e


def _blank(blockdev):
    """True when every byte of the device is erased (0xFF): a chip never provisioned."""
    size = blockdev.ioctl(5, 0)
    count = blockdev.ioctl(4, 0)
    buf = bytearray(size)
    for n in range(count):
        blockdev.readblocks(n, buf)
        for b in buf:
            if b != 0xFF:
                return False
    return True


def release():
    """The MicroPython release for os info ("MicroPython 1.27.0")."""
    return "MicroPython " + ".".join(str(x) for x in sys.implementation.version[:3])


def build(blockdev, secret, info, rng, counter=None, store_error=None, paylog=None,
          slots=None, seqlog=None, otadata=None, running=0):
    """store_error: the store is not opened at all (the shell could not get the device secret).
    paylog: the payment counter log's block device (two sectors), or None.
    seqlog: the transaction sequence log's block device (two sectors), or None.
    slots: [slot 0, slot 1] (app.ota.Slot) on a board that takes firmware updates, with
    otadata (app.otadata.OtaData, after its select(): the bootloader's part) and the running
    slot; a trial image's self-check is done here, before the link answers."""
    if store_error is not None:
        store, err = None, store_error
    else:
        store, err = open_store(blockdev, secret, counter, rng)
    device = Device(store, rng, err,
                    seqlog=(seqlog, secret) if seqlog is not None and store is not None else None)
    if slots is not None and store is not None:
        from lightclient.chip.app.common import FIRMWARE_VERSION
        from lightclient.chip.app.ota import Ota
        fh = info.get("firmware_hash")
        factory = {"h": binascii.unhexlify(fh) if fh else None, "v": FIRMWARE_VERSION, "sv": 0,
                   "n": 0}
        device.ota = Ota(store, slots, factory, info.get("release_key"), info.get("board"),
                         otadata, running)
        try:
            info["boot"] = device.ota.boot()
        except Exception as e:   # the link must come up to say why
            info["boot"] = "boot decision failed: " + str(e)[:120]
    make_payments = None
    if paylog is not None:
        def make_payments():
            from lightclient.chip.app.payments import Payments
            return Payments(device, paylog, secret, rng)
    return Firmware(device, info, make_payments)
