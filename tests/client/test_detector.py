"""detector.py + evidence.py: a witness cross-checks the head; conflicting validly signed headers
produce LightClientAttackEvidence (persisted, submitted, client halted); a witness whose
conflicting header does not verify is banned instead."""
import json
import time

import pytest

from lightclient.detector import AttackDetected
from lightclient.evidence import EVIDENCE_TYPE
from tests.client.fakenode import FakeChain


@pytest.fixture(scope="module")
def fork_pair():
    t = time.time_ns()
    honest = FakeChain(n_blocks=40, head_time_ns=t)
    forked = FakeChain(n_blocks=40, head_time_ns=t, diverge_at=25)
    assert honest.header_hash(24) == forked.header_hash(24)
    assert honest.header_hash(25) != forked.header_hash(25)
    return honest, forked


def test_attack_is_detected_evidenced_submitted_and_halts(make_net, fork_pair):
    honest, forked = fork_pair
    net = make_net(honest, n=2, checkpoint=20)
    net.central.data = forked            # the central API serves a validly signed fork
    c = net.client()
    res = c.boot(5)
    assert not res.ok and res.error["check"] == "light_client_attack"
    assert res.halted and res.halted["conflict_height"] == 40
    assert c.trusted().height == 20      # the conflicting head was not adopted
    path = res.error["evidence_path"]
    doc = json.load(open(path))
    assert doc["primary"] == net.central.url and doc["witness"] == net.nodes[1].url
    ev = doc["against_primary"]
    assert ev["type"] == EVIDENCE_TYPE
    v = ev["value"]
    assert v["CommonHeight"] == "20"
    assert v["ConflictingBlock"]["signed_header"]["header"]["height"] == "40"
    assert v["ConflictingBlock"]["signed_header"]["header"]["app_hash"] == \
        forked.rpc[40]["commit"]["result"]["signed_header"]["header"]["app_hash"]
    assert len(v["ByzantineValidators"]) == 7     # lunatic: every common validator signed it
    assert int(v["TotalVotingPower"]) == 70
    # each side received the evidence against the other
    assert net.nodes[1].evidence and net.nodes[1].evidence[0]["value"]["ConflictingBlock"] \
        ["signed_header"]["header"]["app_hash"] == v["ConflictingBlock"]["signed_header"] \
        ["header"]["app_hash"]
    assert net.central.evidence
    # halted: a new client refuses to sync until the operator clears it
    net.central.data = honest
    c2 = net.client()
    with pytest.raises(AttackDetected):
        c2.sync(3)
    st = c2.status()
    assert st["halted"]["evidence_path"] == path and st["evidence"] == [path]
    c2.clear_halt()
    res = c2.boot(5)
    assert res.ok and res.trusted_height == 40


def test_divergence_point_found_on_the_trace(make_net, fork_pair):
    honest, forked = fork_pair
    net = make_net(honest, n=2, checkpoint=20)
    net.central.data = forked
    c = net.client()
    # a two-hop trace 20 -> 24 -> 40 as a bisecting sync leaves it: the primary agrees with the
    # witness at 24 and diverges after it, so 24 is the common height
    from lightclient import detector
    from lightclient.rpc import RpcClient
    c.init_from_anchor()
    trace = [c.trusted(), RpcClient(net.central.url).light_block(24),
             RpcClient(net.central.url).light_block(40)]
    with pytest.raises(AttackDetected) as e:
        detector.cross_check(c.pool, net.central.url, trace, c.options,
                             int(net.now * 1e9), c.store)
    assert e.value.details["common_height"] == 24 and e.value.details["conflict_height"] == 40


def test_witness_with_invalid_conflicting_header_is_banned(make_net, fork_pair):
    honest, forked = fork_pair
    net = make_net(honest, n=2, checkpoint=20)
    c = net.client()
    c.init_from_anchor()
    net.nodes[1].data = forked            # the witness serves a conflicting header...
    net.nodes[1].set_mode("forged")       # ...whose signatures do not verify
    res = c.boot(5)
    assert res.ok and not res.stale and res.halted is None and res.trusted_height == 40
    assert c.trusted().light_block.signed_header.header.hash() == honest.header_hash(40)
    banned = {b["url"]: b["reason"] for b in c.status()["banned"]}
    assert banned[net.nodes[1].url]["check"] == "witness_invalid_conflict"
    assert res.cross_check["witnesses"][0]["result"] == "banned"


def test_unreachable_witness_leaves_head_unchecked_but_verified(make_net, chain40):
    net = make_net(chain40, n=2, checkpoint=20)
    c = net.client()
    c.init_from_anchor()
    net.nodes[1].set_mode("down")
    res = c.boot(5)
    assert res.ok and res.trusted_height == 40
    assert res.cross_check["agreed"] is False
    assert res.cross_check["witnesses"][0]["result"] == "unreachable"


def test_an_agreeing_witness_is_asked_for_the_header_alone(make_net, chain40):
    # Agreement needs the head's hash only: /header, neither the witness's commit (twice the
    # bytes) nor its validators (bench: sync.ours_over_cometbft.bytes).
    net = make_net(chain40, n=2, checkpoint=20)
    c = net.client()
    c.init_from_anchor()
    witness = net.nodes[1]
    del witness.methods[:]
    res = c.boot(5)
    assert res.ok and res.cross_check["agreed"] is True
    assert res.cross_check["witnesses"] == [{"url": witness.url, "result": "agreed"}]
    assert [m for m in witness.methods if m != "status"] == ["header"], witness.methods


def test_the_halt_is_on_disk_before_any_side_is_contacted(make_net, fork_pair, monkeypatch):
    # The evidence was submitted first and only LightClientErrors were caught: a side whose
    # answer raised anything else (or a power cut during the 2 s submissions) left no halt.
    from lightclient.rpc import RpcClient
    honest, forked = fork_pair
    net = make_net(honest, n=2, checkpoint=20)
    net.central.data = forked
    c = net.client()
    halted_at_submission = []

    def hostile(self, evidence, timeout=None):
        halted_at_submission.append(c.store.halt() is not None)
        raise RuntimeError("what a hostile answer can make the parser raise")
    monkeypatch.setattr(RpcClient, "broadcast_evidence", hostile)
    res = c.boot(5)
    assert res.error["check"] == "light_client_attack" and res.halted
    assert halted_at_submission == [True, True]
    doc = json.load(open(res.error["evidence_path"]))
    assert sorted(doc["submitted"]) == sorted([net.central.url, net.nodes[1].url])
    assert not any(r["ok"] for r in doc["submitted"].values())
    with pytest.raises(AttackDetected):
        net.client().sync(3)
