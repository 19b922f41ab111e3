# The spend rule, pure: every refusal is typed, and the caps hold for any order of requests.
import random

import pytest

from lightclient.chip.pay import ledger as L
from lightclient.chip.pay.voucher import Voucher
from lightclient.pay import caps_cbor
from lightclient.chip.pay import caps as C

CHAIN = "pay-chain"
A, B = b"\xaa" * 32, b"\xbb" * 8


def caps(per_call=100, per_day=1000, cap_a=500, cap_b=10_000):
    return C.decode(caps_cbor(1, CHAIN, b"\x02" + b"\x01" * 32, per_call, per_day,
                              [(A, "weather.example", cap_a), (B, "stt.example", cap_b)]))


def v(ch, lane, nonce, amount, chain=CHAIN, denom="umyc"):
    return Voucher(chain, ch, lane, nonce, amount, denom)


def sign(led, c, vv, day=0):
    e = led.decide(c, vv, day)
    if e is not None:
        led.apply(e)
    return e


def refused(led, c, vv, day=0):
    with pytest.raises(L.PayRefused) as e:
        led.decide(c, vv, day)
    return e.value.check


def test_each_rule_refuses_with_its_check():
    c, led = caps(), L.Ledger()
    assert sign(led, c, v(A, 0, 1, 60)).amount == 60
    assert refused(led, c, v(A, 0, 1, 70)) == "nonce_reused"
    assert led.decide(c, v(A, 0, 1, 60), 0) is None  # the same voucher again: sign it again
    assert refused(led, c, v(A, 0, 0, 10)) == "nonce_old"
    assert refused(led, c, v(A, 0, 2, 50)) == "amount_decreasing"
    assert refused(led, c, v(A, 0, 2, 161)) == "cap_per_call"
    assert refused(led, c, v(b"\xcc", 0, 1, 1)) == "channel_unknown"
    assert refused(led, c, v(A, 0, 2, 61, chain="other")) == "voucher_chain"
    assert refused(led, c, v(A, 0, 2, 61, denom="uatom")) == "voucher_denom"
    for n in range(2, 6):  # 60 + 4 x 100 = 460 on lane 0
        sign(led, c, v(A, 0, n, 60 + 100 * (n - 1)))
    assert sign(led, c, v(A, 1, 1, 40)).channel_total == 500  # lanes add up
    assert refused(led, c, v(A, 1, 2, 41)) == "cap_per_channel"
    for n in range(1, 6):
        sign(led, c, v(B, 0, n, 100 * n))  # 500 + 500 = 1000 today
    assert refused(led, c, v(B, 0, 6, 501)) == "cap_per_day"
    assert sign(led, c, v(B, 0, 6, 600), day=1).day_total == 100  # a new day
    e = sign(led, c, v(B, 0, 7, 601), day=0)  # a day never goes back: it counts on day 1
    assert (e.day, e.day_total) == (1, 101)


def test_lanes_are_bounded():
    c, led = caps(per_call=1, per_day=10**6, cap_b=10**6), L.Ledger()
    for lane in range(L.MAX_LANES):
        sign(led, c, v(B, lane, 1, 1))
    assert refused(led, c, v(B, L.MAX_LANES, 1, 1)) == "too_many_lanes"
    sign(led, c, v(B, 3, 2, 2))  # an existing lane goes on


def test_the_caps_hold_for_random_requests_and_reloads():
    rnd = random.Random(7)
    c = caps(per_call=50, per_day=2000, cap_a=700, cap_b=900)
    led, signed, log = L.Ledger(), {}, []
    day = 0
    for _ in range(2000):
        ch = rnd.choice((A, B))
        lane = rnd.randrange(3)
        last = led.lanes.get(ch + lane.to_bytes(4, "big"))
        n0, a0 = (last.nonce, last.amount) if last else (0, 0)
        vv = v(ch, lane, max(0, n0 + rnd.randrange(-1, 3)), max(0, a0 + rnd.randrange(-5, 70)))
        day += rnd.random() < 0.01
        try:
            e = led.decide(c, vv, day)
        except L.PayRefused:
            continue
        if e is not None:
            log.append(e.pack())
            led.apply(e)
        assert signed.setdefault((ch, lane, vv.nonce), vv.amount) == vv.amount
        if rnd.random() < 0.05:  # a reboot: the state is what the log gives back
            led = L.Ledger().load(led.live() if rnd.random() < 0.5 else log)
    for ch, cap in ((A, 700), (B, 900)):
        lanes = {}
        for (c2, lane, n), amount in signed.items():
            if c2 == ch:
                lanes[lane] = max(lanes.get(lane, 0), amount)
        assert sum(lanes.values()) <= cap
    assert len(signed) > 50  # the sequence did sign (the checks above are not vacuous)


def test_entry_packs_to_80_bytes_and_back():
    e = L.Entry(7, b"\x01" * 32, 3, 2**64 - 1, 5, 6, 19000, 2**63)
    p = e.pack()
    assert len(p) == 80
    got = L.unpack(p)
    assert (got.seq, got.channel, got.lane, got.nonce, got.amount, got.channel_total, got.day,
            got.day_total) == (7, b"\x01" * 32, 3, 2**64 - 1, 5, 6, 19000, 2**63)
