"""sources.py: order, hedging, backoff and recovery, bans with reasons, discovery."""
import time

import pytest

from lightclient.chip.core.errors import VerificationError
from lightclient.sources import CENTRAL, DISCOVERED, NoSource, SourcePool
from tests.client.fakenode import FakeNode


@pytest.fixture
def nodes(chain40):
    ns = [FakeNode(chain40, "n%d" % i) for i in range(3)]
    yield ns
    for n in ns:
        n.close()


def test_central_first_then_by_score(nodes):
    pool = SourcePool(nodes[0].url, [nodes[1].url, nodes[2].url])
    assert [s.url for s in pool.candidates()][0] == nodes[0].url
    assert pool.candidates()[0].kind == CENTRAL
    _, src = pool.race(lambda rpc: rpc.status())
    assert src.url == nodes[0].url


def test_blackholed_central_costs_one_hedge_delay(nodes):
    nodes[0].set_mode("blackholed")
    pool = SourcePool(nodes[0].url, [nodes[1].url, nodes[2].url], timeout=3, hedge_delay=0.2)
    t0 = time.monotonic()
    st, src = pool.race(lambda rpc: rpc.status())
    first = time.monotonic() - t0
    assert src.url != nodes[0].url and st["latest_height"] == 40
    assert 0.15 < first < 1.0
    # the central API is now suspect: the next request goes to a peer at once
    t0 = time.monotonic()
    _, src = pool.race(lambda rpc: rpc.status())
    assert src.url != nodes[0].url and time.monotonic() - t0 < 0.15


def test_failure_hedges_immediately_and_backs_off(nodes):
    nodes[0].set_mode("down")
    pool = SourcePool(nodes[0].url, [nodes[1].url], hedge_delay=5)
    t0 = time.monotonic()
    _, src = pool.race(lambda rpc: rpc.status())
    assert src.url == nodes[1].url and time.monotonic() - t0 < 1.0
    central = pool.get(nodes[0].url)
    assert central.failures == 1 and central.retry_at > time.monotonic()
    assert pool.candidates()[-1] is central   # in backoff: asked last, not dropped


def test_recovers_by_itself_after_backoff(nodes):
    clock = [1000.0]
    pool = SourcePool(nodes[0].url, [], monotonic=lambda: clock[0], backoff_base=2)
    nodes[0].set_mode("5xx")
    with pytest.raises(NoSource):
        pool.race(lambda rpc: rpc.status())
    central = pool.get(nodes[0].url)
    assert central.retry_at == 1002.0
    nodes[0].set_mode("ok")
    clock[0] += 3
    _, src = pool.race(lambda rpc: rpc.status())
    assert src is central and central.consecutive_failures == 0


def test_ban_keeps_reason_and_expires(nodes):
    clock = [0.0]
    pool = SourcePool(nodes[0].url, [nodes[1].url], monotonic=lambda: clock[0], ban_seconds=60)
    err = VerificationError("invalid_signature", "a commit signature does not verify", height=7)
    pool.ban(nodes[0].url, err)
    assert [s.url for s in pool.candidates()] == [nodes[1].url]
    st = {s["url"]: s for s in pool.status()}[nodes[0].url]
    assert st["banned"] and st["ban_reason"]["check"] == "invalid_signature"
    assert st["ban_reason"]["details"]["height"] == 7
    clock[0] += 61
    assert nodes[0].url in [s.url for s in pool.candidates()]
    pool.ban(nodes[0].url, err)   # a second ban lasts twice as long
    clock[0] += 61
    assert nodes[0].url not in [s.url for s in pool.candidates()]


def test_accept_rejection_bans_and_moves_on(nodes):
    pool = SourcePool(nodes[0].url, [nodes[1].url])

    def accept(value, src):
        if src.url == nodes[0].url:
            raise VerificationError("bad", "test rejects the central answer")
    _, src = pool.race(lambda rpc: rpc.status(), accept=accept)
    assert src.url == nodes[1].url
    assert pool.get(nodes[0].url).ban_reason["check"] == "bad"


def test_all_failed_is_typed(nodes):
    for n in nodes:
        n.set_mode("garbage")
    pool = SourcePool(nodes[0].url, [n.url for n in nodes[1:]])
    with pytest.raises(NoSource) as e:
        pool.race(lambda rpc: rpc.status())
    assert e.value.check == "all_failed" and "bad_json" in e.value.details["errors"]


def test_ask_all_does_not_wait_for_a_blackholed_node(nodes):
    nodes[0].set_mode("blackholed")
    pool = SourcePool(nodes[0].url, [n.url for n in nodes[1:]], hedge_delay=0.2)
    t0 = time.monotonic()
    out = pool.ask_all(lambda rpc: rpc.status(), deadline_s=3, enough=2)
    assert len(out) == 2 and time.monotonic() - t0 < 1.0


def test_discover_from_net_info(nodes):
    nodes[0].peers = [nodes[1].url, nodes[2].url]
    pool = SourcePool(nodes[0].url, [])
    added = pool.discover()
    assert sorted(added) == sorted([nodes[1].url, nodes[2].url])
    assert all(pool.get(u).kind == DISCOVERED for u in added)


def test_ask_all_waits_for_enough_answers(nodes):
    # `enough` is a count: the clock needs two head times, so one quick answer must not cut
    # the poll short while a second source is still on its way (it did: grace after the first).
    nodes[1].set_mode("slow")          # answers a /status in about a second
    nodes[2].set_mode("blackholed")
    pool = SourcePool(nodes[0].url, [n.url for n in nodes[1:]], hedge_delay=0.2)
    t0 = time.monotonic()
    out = pool.ask_all(lambda rpc: rpc.status(), deadline_s=3, enough=2)
    assert sorted(s.url for s, _ in out) == sorted([nodes[0].url, nodes[1].url])
    assert time.monotonic() - t0 < 2.5       # the blackholed one is not waited for
