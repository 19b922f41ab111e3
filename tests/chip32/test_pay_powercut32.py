# The vouchers' power-cut campaign on the chip's build finds nothing, and it can find something:
# the same campaign against a counter log that compacts in place (erasing its only valid copy
# before the new one is sealed) catches the lost counters. (bench/chip_voucher.py runs the long
# campaign, >= 10,000 cuts.)
import json
import re

from bench import chip_voucher
from bench.chip_bench import run_chip

IN_PLACE = '''from lightclient.chip.store import counter_log as CL
def _in_place(self, keep):
    s, epoch = self.current, self.epoch + 1
    self._erase(s)
    for i in range(len(keep)):
        self._program(s, CL.HEADER + i * CL.SLOT, self._slot(epoch, i, keep[i]))
    self._program(s, 0, self._header(epoch, self.log_id))
    self.current, self.epoch, self.next = s, epoch, len(keep)
CL.CounterLog._compact = _in_place
dev = Dev()'''


def test_every_cut_keeps_every_promise(tmp_path):
    c = chip_voucher.campaign(tmp_path, requests=120)
    assert c["cuts"] > 150 and c["signed"] > 60 and c["epoch"] > 1
    assert c["violations"] == 0 and c["mount_failed"] == 0


def test_a_log_that_compacts_in_place_is_caught(tmp_path):
    script = chip_voucher.CAMPAIGN.replace("dev = Dev()", IN_PLACE, 1)
    r = run_chip(tmp_path, {"REQUESTS": 120, "SEEDS": 2}, script,
                 chip_voucher.CAMPAIGN_HEAP_KIB)
    assert r.returncode == 0, r.stderr
    c = json.loads(re.search(r"CAMPAIGN (.*)", r.stdout).group(1))
    assert c["epoch"] > 1 and c["violations"] + c["mount_failed"] > 0
