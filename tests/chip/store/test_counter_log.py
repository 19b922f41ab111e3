# The payment counter log (lightclient/chip/store/counter_log.py): records survive reboots and
# compaction, a torn or moved record is never read as data, and a cut at any program or erase
# step leaves every record that append returned for (the caller acted on those) readable.
import pytest

from norsim import NorFlash, PowerCut

from lightclient.chip.store.counter_log import CounterLog, CounterLogError, SLOT, HEADER

SECRET = bytes(range(32))
LOG_ID = b"\x01\x02\x03\x04\x05\x06\x07\x08"


def payload(i):
    return i.to_bytes(4, "big") + bytes([i % 251]) * 76


def fresh(flash=None):
    flash = flash or NorFlash(4096, 2)
    log = CounterLog(flash, SECRET)
    log.format(LOG_ID)
    return flash, log


def test_append_mount_and_compaction_keep_the_live_records():
    flash, log = fresh()
    model = []
    for i in range(200):
        if log.next >= log.slots:  # this append compacts first
            model = model[-3:]
        log.append(payload(i), lambda: model[-3:])
        model.append(payload(i))
        if i % 37 == 0:
            assert CounterLog(flash, SECRET).mount(LOG_ID) == model
    assert CounterLog(flash, SECRET).mount(LOG_ID) == model
    compactions = (log.epoch - 1)
    assert compactions >= 4 and log.stats["erases"] == 2 + compactions
    assert log.stats["bytes_programmed"] == 32 + 200 * SLOT + compactions * (3 * SLOT + 32)


def test_another_log_id_or_secret_or_a_blank_device_does_not_mount():
    flash, log = fresh()
    log.append(payload(1), list)
    with pytest.raises(CounterLogError) as e:
        CounterLog(flash, SECRET).mount(b"\x00" * 8)
    assert e.value.check == "unformatted"
    with pytest.raises(CounterLogError):
        CounterLog(flash, bytes(32)).mount(LOG_ID)
    with pytest.raises(CounterLogError):
        CounterLog(NorFlash(4096, 2), SECRET).mount(LOG_ID)


def test_a_flipped_bit_or_a_moved_record_is_skipped_never_read():
    flash, log = fresh()
    for i in range(3):
        log.append(payload(i), list)
    base = HEADER
    flash.data[base + SLOT + 5] ^= 0x01             # record 1: one bit flipped
    flash.data[base + 3 * SLOT:base + 4 * SLOT] = flash.data[base:base + SLOT]  # record 0 copied
    m = CounterLog(flash, SECRET)
    assert m.mount(LOG_ID) == [payload(0), payload(2)] and m.torn == 2


def test_every_cut_keeps_what_append_returned_for():
    """A cut at every program and erase step of 90 appends (two compactions), three cut modes
    each: after the cut the log mounts to what it held before, or (a compaction committed) to
    what compaction keeps, plus at most the record being written, at the end."""
    flash, log = fresh()
    model = []
    cuts = 0
    for i in range(90):
        snap = flash.snapshot()
        s0 = flash.steps
        keep = model[-4:]
        log.append(payload(i), lambda: keep)
        steps = flash.steps - s0
        after = flash.snapshot()
        state = (log.current, log.epoch, log.next)
        for k in range(steps):
            for seed in range(3):
                flash.restore(snap)
                m = CounterLog(flash, SECRET)
                before = m.mount(LOG_ID)
                assert before == model
                flash.arm(k, seed=1000 * i + 10 * k + seed)
                with pytest.raises(PowerCut):
                    m.append(payload(i), lambda: keep)
                flash.power_on()
                cuts += 1
                got = CounterLog(flash, SECRET).mount(LOG_ID)
                rest = [p for p in got if p != payload(i)]
                assert rest == before or rest == keep
                assert got == rest or got == rest + [payload(i)]
        flash.restore(after)
        log.current, log.epoch, log.next = state
        if steps > 1:  # this append compacted first
            model = list(keep)
        model.append(payload(i))
    assert cuts > 250
