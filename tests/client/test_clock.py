"""clock.py and boots with a wrong wall clock: 1970, an hour off either way, a week ahead. No
crash, verified data or a clear error, and never a header from the future accepted."""

import pytest

from lightclient.clock import Clock, median
from tests.client.fakenode import FakeChain, FakeNode

HOUR = 3600.0
DAY = 86400.0


def test_floor_is_the_last_verified_header_time():
    c = Clock(lambda: 0.0)
    c.raise_floor(1_700_000_000 * 10**9)
    assert c.now_ns() == 1_700_000_000 * 10**9 and c.source() == "floor"
    c.raise_floor(5)                    # never lowers
    assert c.floor_ns == 1_700_000_000 * 10**9


def test_network_median_overrides_a_wrong_wall_clock():
    t = 1_800_000_000 * 10**9
    c = Clock(lambda: (t / 1e9) + 7 * DAY)
    assert not c.observe_network([t])                    # one source is not enough
    assert c.observe_network([t, t + 10**9, t + 3 * DAY * 10**9])  # one liar can't move it
    assert c.source() == "network" and abs(c.now_ns() - (t + 10**9)) < 10**9


def test_wall_clock_kept_when_close_to_the_network():
    t = 1_800_000_000 * 10**9
    c = Clock(lambda: t / 1e9 + 30)
    c.observe_network([t, t])
    assert c.source() == "wall"


def test_median_is_the_lower_middle():
    assert median([3, 1, 2]) == 2 and median([1, 10]) == 1 and median([]) is None


def test_garbage_wall_clock_does_not_crash():
    c = Clock(lambda: float("nan"))
    c.raise_floor(10**18)
    assert c.now_ns() == 10**18


@pytest.mark.parametrize("offset", [None, -HOUR, HOUR, 7 * DAY], ids=["1970", "-1h", "+1h", "+7d"])
def test_boot_with_a_wrong_clock(make_net, chain40, offset):
    net = make_net(chain40)
    wall = 0.0 if offset is None else net.now + offset
    c = net.client(wall=lambda: wall)
    res = c.boot(5)
    assert res.ok and not res.stale, res.error
    assert res.trusted_height == 40
    assert res.record.record["setting"]["lang"] == "en-us"
    assert res.clock["source"] == "network"
    assert res.record.age_s < 120


def test_week_ahead_clock_does_not_accept_headers_from_the_future(make_net, chain40):
    net = make_net(chain40)
    future = FakeChain(n_blocks=50, head_time_ns=chain40.head_time_ns() + int(3 * DAY * 1e9))
    liar = FakeNode(future, "future")
    try:
        net.cfg.peers.append(liar.url)
        wall = net.now + 7 * DAY       # the liar's headers look fine to this wall clock
        c = net.client(wall=lambda: wall)
        res = c.boot(5)
        assert res.ok and res.trusted_height == 40
        assert c.trusted().light_block.signed_header.header.hash() == chain40.header_hash(40)
        banned = {b["url"]: b["reason"]["check"] for b in c.status()["banned"]}
        assert banned.get(liar.url) == "header_from_future"
    finally:
        liar.close()


def test_1970_clock_and_no_network_serves_cache_without_crash(make_net, chain40):
    net = make_net(chain40)
    net.client().boot(5)
    for n in net.nodes:
        n.set_mode("down")
    c = net.client(wall=lambda: 0.0)
    res = c.boot(3)
    assert res.ok and res.stale and res.clock["source"] == "floor"
    assert res.record.age_s == 0.0     # nothing tells how old: the floor is the header time


def test_network_time_advances_on_the_monotonic_clock_handed_in():
    from tests.client.fakeclock import FakeTime
    t = 1_800_000_000 * 10**9
    ft = FakeTime(wall=0.0)                    # the wall clock reads 1970
    c = ft.clock()
    assert c.observe_network([t, t])
    assert c.now_ns() == t and c.source() == "network"
    ft.mono_s += 90                            # 90 s pass on the monotonic clock only
    assert c.now_ns() == t + 90 * 10**9
