# The whole SMP OPEN_SETTINGS of a 4 KB settings record with both envelopes' x/devices proofs (the
# bench's job: framed request fed in 256-byte reads, the proofs verified at the chip's trusted
# header, setver committed, both envelopes opened, the answer framed) on the chip's build, frozen,
# at fixed heaps from 94 KiB to past the 96 KiB budget: every size must answer with the
# plaintext. Before the request was freed once the record's proof verified, and before the
# answer was framed in one buffer, it needed 116 KiB (bench/keys_bench.py measures the figure;
# some smaller heaps work too, 90 and 92 KiB do not: a fragmented heap is not monotonic).
from bench import keys_bench
from bench.chip_bench import UPDATE_JOB, run_chip

HEAPS_KIB = (94, 96, 98, 104)


def test_opening_a_4_kb_record_with_its_proofs_answers_within_the_budget_heap(tmp_path):
    o = keys_bench.OpenProvisioned(tmp_path)
    failed = []
    for kib in HEAPS_KIB:
        o.reset()
        r = run_chip(tmp_path, o.consts, keys_bench.OPEN_SETUP + UPDATE_JOB, kib)
        if not o.opened():
            failed.append((kib, r.stdout[-200:], r.stderr[-300:]))
    assert failed == []
