# A board provisioned by an earlier version answers the light-client commands on SMP group 64
# (docs/smp-link.md, "Boards provisioned with the old id"). This client does not fall back to it
# silently, nor reset or re-key the board: it names the board's state and the step that moves it
# (re-flashing keeps the key and the store: tests/hwtest/test_image.py checks the partitions stay).
import os

import pytest

from lightclient.chip.app import boot
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.mcu import McuClient, McuError


class Link:
    """A serial-like link to a CPython firmware; with old=True the firmware answers as one built
    before the group moved: its light-client group on 64, not supported on 0x4C43."""

    def __init__(self, fw, old):
        self.fw, self.old = fw, old
        self.decoder = frame.FrameDecoder(65535 - 2)
        self.out = bytearray()
        self.seen = []

    @property
    def in_waiting(self):
        return len(self.out)

    def write(self, data):
        for msg in self.decoder.feed(bytes(data)):
            h, p = H.decode_message(msg)
            self.seen.append(h.group)
            if self.old and h.group in (lc.GROUP, lc.LEGACY_GROUP):
                if h.group == lc.GROUP:
                    rsp = H.encode_message(H.Header(h.op + 1, h.group, h.command, h.seq, 0,
                                                    h.version), {"rc": H.MGMT_ENOTSUP})
                else:   # the old firmware's own group: its commands, answered on 64
                    inner = self.fw.handle(H.encode_message(H.Header(
                        h.op, lc.GROUP, h.command, h.seq, 0, h.version), p))
                    rh, rp = H.decode_message(inner)
                    rsp = H.encode_message(H.Header(rh.op, lc.LEGACY_GROUP, rh.command, rh.seq,
                                                    0, rh.version), rp)
            else:
                rsp = self.fw.handle(msg)
            self.out += frame.encode_packet(rsp)

    def read(self, n):
        data, self.out = bytes(self.out[:n]), self.out[n:]
        return data


def _fw():
    fw = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, {"board": "test"}, os.urandom)
    fw.device.generate_key(False)
    return fw


def test_a_board_of_the_old_group_is_named_with_the_step_that_moves_it():
    fw = _fw()
    gen, pub = fw.device.store.generation, fw.device.pub
    link = Link(fw, old=True)
    with pytest.raises(McuError) as e:
        McuClient(link, timeout=2).status()
    assert e.value.check == "legacy_firmware"
    assert "group 64" in str(e.value) and "board flash" in str(e.value)
    assert link.seen == [lc.GROUP, lc.LEGACY_GROUP]
    # nothing written, the key unchanged
    assert fw.device.store.generation == gen and fw.device.pub == pub


def test_a_board_of_this_version_is_not_mistaken_for_an_old_one():
    fw = _fw()
    link = Link(fw, old=False)
    assert McuClient(link, timeout=2).status()["has_key"] is True
    with pytest.raises(McuError) as e:   # a command it does not have stays "not supported"
        McuClient(link, timeout=2)._lc(H.OP_READ, 0x77)
    assert e.value.check != "legacy_firmware"
    assert lc.LEGACY_GROUP in link.seen   # asked, answered "not supported" by this version
