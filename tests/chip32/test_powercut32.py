# The store survives power cuts on the chip's build, and the campaign that says so can fail:
# the same cuts against a store that overwrites its live snapshot lose data at nearly every cut.
# (bench/chip_powercut.py runs the long campaign, >= 10,000 cuts.)
from bench import chip_bench, chip_powercut

IN_PLACE = '''_orig = RecordStore._write_snapshot
def _inplace(self, start, names, new, old=None):
    if old is not None:
        start = old.start
    return _orig(self, start, names, new, old)
RecordStore._write_snapshot = _inplace
flash = Nor(4096, 64)'''


def test_every_cut_leaves_the_old_or_the_new_records(tmp_path):
    c = chip_powercut.campaign(tmp_path, updates=3)
    assert c["cuts"] > 100 and c["violations"] == 0


def test_a_store_that_writes_in_place_is_caught(tmp_path):
    script = chip_powercut.SCRIPT.replace("flash = Nor(4096, 64)", IN_PLACE)
    r = chip_bench.run_chip(tmp_path, {"UPDATES": 3}, script, chip_powercut.HEAP_KIB)
    assert r.returncode == 0, r.stderr
    got = r.stdout.split("CAMPAIGN ")[1]
    assert '"violations": 0' not in got
