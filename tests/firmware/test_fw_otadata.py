# The slot choice in ESP-IDF's otadata format (lightclient/chip/app/otadata.py), read back with
# esp-idf-defs' own esp_ota_select_entry_t (an independent reader of the partition).
import binascii
import struct

import pytest
from esp_idf_defs.otadata import OtaDataSelectEntry, OtaImageState

from lightclient.chip.app import otadata as O
from lightclient.chip.store.filedev import RamBlockDevice


def theirs(dev):
    """(seq, state name) of each sector's entry, as ESP-IDF's tools read them."""
    out = []
    for sector in (0, 1):
        raw = bytes(dev.data[sector * 4096:sector * 4096 + 32])
        e = OtaDataSelectEntry.from_bytes(raw)
        out.append(None if e is None else (e.seq, e.ota_state.name))
    return out


@pytest.mark.parametrize("seq,state", [(1, O.NEW), (2, O.PENDING_VERIFY), (7, O.VALID),
                                       (0x12345678, O.ABORTED)])
def test_an_entry_is_byte_for_byte_esp_idf_s(seq, state):
    assert O.entry_bytes(seq, state) == OtaDataSelectEntry(seq, OtaImageState(state)).to_bytes()
    assert O.crc32(struct.pack("<I", seq)) == binascii.crc32(struct.pack("<I", seq), 0xFFFFFFFF)
    assert O.parse_entry(O.entry_bytes(seq, state)) == (seq, state)


def test_set_boot_trial_confirm_and_rollback_as_the_bootloader_does():
    dev = RamBlockDevice(4096, 2)
    od = O.OtaData(dev)
    assert od.select() == 0 and od.event == "none"          # as flashed: ota_0
    od.set_boot(1)
    assert theirs(dev) == [(2, "NEW"), None] and od.pending(0) == 1
    assert od.select() == 1 and od.event == "trial"
    assert theirs(dev)[0] == (2, "PENDING_VERIFY") and od.on_trial(1)
    od.mark_valid(1)
    assert theirs(dev)[0] == (2, "VALID") and not od.on_trial(1)
    assert od.select() == 1 and od.event == "slot"
    # the next update goes to ota_0 in the other sector; never confirmed: rolled back to ota_1
    od.set_boot(0)
    assert theirs(dev) == [(2, "VALID"), (3, "NEW")]
    assert od.select() == 0 and od.event == "trial"
    assert od.select() == 1 and od.event == "rolled back"
    assert theirs(dev) == [(2, "VALID"), (3, "ABORTED")]
    # an image marked invalid by its own self-check: the previous slot at the next start
    od.set_boot(0)
    assert theirs(dev)[1] == (3, "NEW")
    assert od.select() == 0
    od.mark_invalid(0)
    assert od.select() == 1 and theirs(dev)[1] == (3, "INVALID")


def test_a_torn_entry_does_not_count_and_a_cancelled_one_is_aborted():
    dev = RamBlockDevice(4096, 2)
    od = O.OtaData(dev)
    od.set_boot(1)
    od.select()
    od.mark_valid(1)
    od.set_boot(0)
    dev.data[4096 + 28] ^= 0xFF                  # the new entry's crc: a write cut short
    assert od.select() == 1 and od.event == "slot"
    od.set_boot(0)
    od.cancel_pending(1)                         # an upload into ota_0 began
    assert theirs(dev)[1] == (3, "ABORTED") and od.pending(1) is None
    assert od.select() == 1
