"""Power cuts at every program and erase step of long update sequences (NOR simulator).

For each commit of a sequence, the commit is replayed from a snapshot of the flash with a cut at
each of its steps in turn (partial program / partial erase, seeded), then the store is mounted
again and must hold exactly the old state (cut before the sealing program) or the new one (the
sealing program completed), with no committed record lost. A chained variant lets the torn
leftovers of many cuts accumulate. The total number of injected cuts is asserted (>= 10,000).
"""

import random

import pytest

from helpers import SECRET, apply, clone, det_rng, state
from lightclient.chip.store.filedev import RamCounter
from lightclient.chip.store.store import RecordStore, StoreError
from norsim import NorFlash, PowerCut

GEOM = dict(sector_size=512, sector_count=12)
KW = dict(max_value=1024, max_records=8, program_chunk=64)
NAMES = ["trusted", "settings", "key.pub", "peers", "a", "zz"]

CUTS = {"total": 0}


def _changes(rng, current):
    ch = {}
    for _ in range(rng.choice((1, 1, 2, 3))):
        name = rng.choice(NAMES)
        if name in current and rng.random() < 0.2:
            ch[name] = None
        else:
            size = rng.choice((0, 1, 31, 32, 33, 100, 250, 300, 460))
            ch[name] = bytes(rng.getrandbits(8) for _ in range(size))
    return ch


def _mount(flash, counter):
    st = RecordStore(flash, SECRET, counter=counter, rng=det_rng(7), **KW)
    st.mount()
    return st


def _sweep(seed, commits):
    rng = random.Random(seed)
    flash = NorFlash(**GEOM)
    counter = RamCounter()
    st = RecordStore(flash, SECRET, counter=counter, rng=det_rng(seed), **KW)
    st.format()
    expected = {}
    cuts = 0
    for i in range(commits):
        changes = _changes(rng, expected)
        new = apply(expected, changes)
        before_img, before_ctr, before_st = flash.snapshot(), counter.value, clone(st)
        s0 = flash.steps
        try:
            st.commit(changes)
        except StoreError as e:
            # Too big for the partition: refused before anything was written.
            assert e.check == "store_full" and flash.steps == s0
            assert state(_mount(flash, counter)) == expected
            continue
        nsteps = flash.steps - s0
        assert state(st) == new
        after_img, after_ctr = flash.snapshot(), counter.value
        assert nsteps >= 3
        for k in range(nsteps):
            flash.restore(before_img)
            counter.value = before_ctr
            s = clone(before_st)
            flash.arm(k, seed=seed * 100003 + i * 131 + k)
            with pytest.raises(PowerCut):
                s.commit(changes)
            kind, mode = flash.last_cut
            flash.power_on()
            remounted = _mount(flash, counter)
            got = state(remounted)
            if k < nsteps - 1 or mode != "full":
                # The sealing program did not complete: the old state, exactly.
                assert got == expected, "cut at step %d/%d (%s %s) of commit %d" % (k, nsteps, kind, mode, i)
                if k >= 2:  # the torn snapshot's first header was written: mount saw and skipped it
                    assert len(remounted.skipped) == 1
            else:
                assert got == new, "cut right after the seal, commit %d" % i
            assert counter.value >= before_ctr
            cuts += 1
            if k % 7 == 0:
                # The store stays usable after the cut: one more commit, then a remount.
                s2 = _mount(flash, counter)
                s2.put("after-cut", bytes([k % 256]) * 5)
                assert state(_mount(flash, counter)) == apply(got, {"after-cut": bytes([k % 256]) * 5})
        flash.restore(after_img)
        counter.value = after_ctr
        expected = new
    return cuts


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_cut_at_every_step_of_long_update_sequences(seed):
    cuts = _sweep(seed, 130)
    CUTS["total"] += cuts
    assert cuts >= 2500


def test_chained_cuts_accumulate_torn_leftovers():
    """Cuts that follow one another without a clean commit in between (garbage piles up)."""
    rng = random.Random(99)
    flash = NorFlash(**GEOM)
    counter = RamCounter()
    st = RecordStore(flash, SECRET, counter=counter, rng=det_rng(1), **KW)
    st.format()
    expected = {}
    cuts = 0
    gens = [st.generation]
    for i in range(1500):
        changes = _changes(rng, expected)
        new = apply(expected, changes)
        if rng.random() < 0.6:
            flash.arm(rng.randrange(40), seed=i)
        try:
            st.commit(changes)
            flash.disarm()
            expected = new
        except StoreError as e:
            flash.disarm()
            assert e.check == "store_full"
        except PowerCut:
            flash.power_on()
            cuts += 1
            st = _mount(flash, counter)
            got = state(st)
            assert got in (expected, new), "chained cut %d" % i
            expected = got
        assert st.generation > gens[-1] or st.generation == gens[-1] and state(st) == expected
        gens.append(st.generation)
        assert st.check()["ok"]
    CUTS["total"] += cuts
    assert cuts >= 400


def test_cut_at_every_step_of_format():
    """format() is atomic too: old state or the empty store, never unmountable."""
    rng = random.Random(5)
    flash = NorFlash(**GEOM)
    counter = RamCounter()
    st = RecordStore(flash, SECRET, counter=counter, rng=det_rng(2), **KW)
    st.format()
    cuts = 0
    for i in range(12):
        st.commit(_changes(rng, {}))
    old = state(st)
    img, ctr = flash.snapshot(), counter.value
    s0 = flash.steps
    st.format()
    nsteps = flash.steps - s0
    # Erase + header + sealed empty stream at one sector, then every other sector erased once.
    assert nsteps == GEOM["sector_count"] + 2
    for k in range(nsteps):
        flash.restore(img)
        counter.value = ctr
        s = _mount(flash, counter)
        flash.arm(k, seed=k)
        with pytest.raises(PowerCut):
            s.format()
        flash.power_on()
        got = state(_mount(flash, counter))
        assert got in (old, {})
        if k > 2:  # sealed before the old sectors are wiped
            assert got == {}
        elif k < 2:
            assert got == old
        cuts += 1
    CUTS["total"] += cuts


def test_mount_never_writes():
    flash = NorFlash(**GEOM)
    st = RecordStore(flash, SECRET, rng=det_rng(3), **KW)
    st.format()
    st.put("a", b"1")
    s0 = flash.steps
    flash.arm(0)  # any program or erase during mount would be cut
    st2 = _mount(flash, None)
    assert flash.steps == s0 and state(st2) == {"a": b"1"}


def test_total_power_cuts_injected():
    """Runs last in this module: the sweeps above injected at least 10,000 cuts in all."""
    assert CUTS["total"] >= 10000, CUTS
