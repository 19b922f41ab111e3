# The 100-validator update over SMP (the bench's job: framed request fed in 256-byte reads, verify,
# record proof, store commit, answer) on the chip's build, frozen, at fixed heaps from 86 KiB up
# to past the 96 KiB budget: every size must answer. A fixed heap fails on fragmentation above a
# size that works, so one size proves little; before the boot's layout and the verdict cache were
# fixed, 88, 92 or 96 KiB failed, depending on the work folder's path length. The margin below
# the budget is what lets a small change elsewhere not push the job over it (docs/chip-budgets.md;
# bench/chip_bench.py measures the figure itself).
from bench import chip_bench

HEAPS_KIB = range(86, 102, 2)


def test_the_update_answers_at_every_heap_from_86_kib_to_past_the_budget(tmp_path):
    wl = chip_bench.Workload(tmp_path)
    failed = []
    for kib in HEAPS_KIB:
        wl.reset()
        r = chip_bench.run_chip(tmp_path, wl.consts, chip_bench.UPDATE_SETUP +
                                chip_bench.UPDATE_JOB, kib)
        if not wl.update_ok(r):
            failed.append((kib, wl.answer(), r.stderr[-300:]))
    assert failed == []
