# The sequence log's power-cut campaign on the chip's build (Device.sign_tx with its log on a
# simulated NOR flash) finds nothing, and it can find something: the same campaign against a
# counter log that compacts in place (erasing its only valid copy before the new one is sealed)
# catches the lost floor. (bench/chip_seqlog.py runs the long campaign, >= 10,000 cuts.)
from bench import chip_seqlog
from tests.chip32.test_pay_powercut32 import IN_PLACE

REQUESTS = 55   # past one sector of records (42): a compaction happens


def test_every_cut_keeps_the_floor(tmp_path):
    c = chip_seqlog.campaign(tmp_path, requests=REQUESTS)
    assert c["cuts"] > 80 and c["raised"] > 42 and c["refused"] > 0 and c["epoch"] > 1
    assert c["violations"] == 0 and c["mount_failed"] == 0


def test_a_log_that_compacts_in_place_is_caught(tmp_path):
    script = chip_seqlog.CAMPAIGN.replace("d = boot()", IN_PLACE.replace("dev = Dev()", "") +
                                          "d = boot()", 1)
    c = chip_seqlog.campaign(tmp_path, requests=REQUESTS, script=script)
    assert c["epoch"] > 1 and c["violations"] + c["mount_failed"] > 0
