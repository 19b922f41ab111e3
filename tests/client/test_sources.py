"""sources.py: order, hedging, backoff and recovery, bans with reasons, discovery."""
import threading
import time

import pytest

from lightclient.chip.core.errors import StoreError, VerificationError
from lightclient.rpc import SourceError
from lightclient.sources import CENTRAL, DISCOVERED, NoSource, SourcePool
from tests.client.fakeclock import FakeTime
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
    t = FakeTime(mono=1000.0)
    pool = SourcePool(nodes[0].url, [], clock=t.clock(), backoff_base=2)
    nodes[0].set_mode("5xx")
    with pytest.raises(NoSource):
        pool.race(lambda rpc: rpc.status())
    central = pool.get(nodes[0].url)
    assert central.retry_at == 1002.0
    nodes[0].set_mode("ok")
    t.advance(3)
    _, src = pool.race(lambda rpc: rpc.status())
    assert src is central and central.consecutive_failures == 0


def test_ban_keeps_reason_and_expires(nodes):
    t = FakeTime(mono=0.0)
    pool = SourcePool(nodes[0].url, [nodes[1].url], clock=t.clock(), ban_seconds=60)
    err = VerificationError("invalid_signature", "a commit signature does not verify", height=7)
    pool.ban(nodes[0].url, err)
    assert [s.url for s in pool.candidates()] == [nodes[1].url]
    st = {s["url"]: s for s in pool.status()}[nodes[0].url]
    assert st["banned"] and st["ban_reason"]["check"] == "invalid_signature"
    assert st["ban_reason"]["details"]["height"] == 7
    t.advance(61)
    assert nodes[0].url in [s.url for s in pool.candidates()]
    pool.ban(nodes[0].url, err)   # a second ban lasts twice as long
    t.advance(61)
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


def test_whose_fault_decides_ban_backoff_or_neither(nodes):
    """InvalidData bans, Unavailable backs off, a LocalFault is raised at once and costs the
    source nothing (it is ours: a disk or serial fault must not ban an honest node)."""
    pool = SourcePool(nodes[0].url, [nodes[1].url], hedge_delay=5)
    central, peer = pool.get(nodes[0].url), pool.get(nodes[1].url)

    def local_fault(value, src):
        raise StoreError("store_write", "disk full (injected)")
    with pytest.raises(StoreError):
        pool.race(lambda rpc: rpc.status(), accept=local_fault)
    assert not central.banned(pool.monotonic()) and central.failures == 0
    assert peer.successes == peer.failures == 0     # not asked: no other source can fix it

    def unavailable(value, src):
        raise SourceError("timeout", "slow (injected)", url=src.url)
    with pytest.raises(NoSource):
        pool.race(lambda rpc: rpc.status(), accept=unavailable)
    assert central.failures == 1 and central.retry_at > pool.monotonic()
    assert not any(s["banned"] for s in pool.status())

    liar, honest = pool.candidates()

    def invalid(value, src):
        if src is liar:
            raise VerificationError("invalid_signature", "forged (injected)")
    _, src = pool.race(lambda rpc: rpc.status(), accept=invalid)
    assert src is honest and not honest.banned(pool.monotonic())
    assert liar.banned(pool.monotonic()) and liar.ban_reason["check"] == "invalid_signature"


def test_ask_all_raises_a_local_fault_without_blaming_anyone(nodes):
    pool = SourcePool(nodes[0].url, [n.url for n in nodes[1:]])

    def fn(rpc):
        raise StoreError("store_read", "I/O error (injected)")
    with pytest.raises(StoreError):
        pool.ask_all(fn, deadline_s=3)
    assert all(not s["banned"] and s["failures"] == 0 for s in pool.status())


def test_healthy_count_leaves_out_suspect_banned_and_backed_off_sources(nodes):
    # the head poll waits for two answers only among these: a known-silent central must not
    # make a one-peer network wait out the poll
    t = FakeTime()
    pool = SourcePool(nodes[0].url, [n.url for n in nodes[1:]], clock=t.clock())
    a, b, c = pool.sources
    assert pool.healthy_count() == 3
    pool.mark_suspect(a)
    pool.record_failure(b, SourceError("timeout", "slow (injected)"))
    assert pool.healthy_count() == 1
    pool.ban(c, VerificationError("invalid_signature", "forged (injected)"))
    assert pool.healthy_count() == 0
    t.advance(31)                               # suspicion and backoff end, the ban does not
    assert pool.healthy_count() == 2


def test_a_source_answering_at_its_usual_pace_is_not_hedged():
    # A loaded node answers slower than the pool's hedge delay but at its own usual pace: asking
    # the next source too would fetch the answer twice (bench: sync.ours_over_cometbft.bytes).
    # The clock stands still, so only the primary's measured latency can decide: with a hedge
    # delay of 0 the witness would be asked at once; the primary answers when the witness is
    # asked, or after a short wait, whichever first.
    t = FakeTime(mono=1000.0)
    pool = SourcePool("http://primary", ["http://witness"], hedge_delay=0.0, clock=t.clock())
    pool.get("http://primary").latency = 2.0
    witness_asked = threading.Event()

    def fn(rpc):
        if rpc.url.endswith("witness"):
            witness_asked.set()
            return "witness"
        witness_asked.wait(0.3)
        return "primary"
    value, src = pool.race(fn)
    assert not witness_asked.is_set() and value == "primary"


def test_hedge_after_follows_the_source_latency_within_bounds():
    pool = SourcePool("http://a", [], timeout=2.5, hedge_delay=0.25)
    src = pool.get("http://a")
    assert pool.hedge_after(src) == 0.25            # never measured: the pool's delay
    src.latency = 0.05
    assert pool.hedge_after(src) == 0.25            # fast: the pool's delay
    src.latency = 0.4
    assert pool.hedge_after(src) == pytest.approx(0.8)
    src.latency = 30.0
    assert pool.hedge_after(src) == 1.25            # at most half the request timeout
    assert pool.hedge_after(src, base=2.0) == 2.0
