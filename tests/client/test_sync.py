"""sync.py: skipping verification through the pool, bans of whoever served invalid blocks, the
overlap pivot beside CometBFT's 9/16 rule, stats and progress."""
import hashlib
import json

import pytest

from lightclient.chip.core.errors import VerificationError
from lightclient.chip.core.verifier import Options, cometbft_pivot
from lightclient.rpc import RawLightBlock
from lightclient.sources import SourcePool
from lightclient.sync import (SyncError, compare_pivots, make_overlap_pivot, signer_overlap,
                              sync_from_pool, verify_range)
from tests.client.fakenode import FakeChain, FakeNode
from lightclient.scenarionet.chain import make_validators

DAY = 86400 * 10**9


def raw_of(data, h):
    return RawLightBlock.from_json({"signed_header": data.rpc[h]["commit"]["result"]["signed_header"],
                                    "validators": data.rpc[h]["validators"]["result"]})


def churny(n_vals, every):
    """Replace the oldest validator every `every` heights (FIFO): steady, complete churn."""
    live = [s for _, s, _ in make_validators(n_vals)]
    count = [0]

    def churn(chain, h):
        if h % every == 0:
            count[0] += 1
            seed = hashlib.sha256(b"new%d" % count[0]).digest()
            chain.schedule_change(h, add=[("ed25519", seed, 10)], remove=[live.pop(0)])
            live.append(seed)
    return churn


@pytest.fixture(scope="module")
def churned():
    return FakeChain(n_vals=10, n_blocks=200, churn=churny(10, 2))


def test_low_churn_skips_straight_to_the_target(chain40):
    opts = Options(14 * DAY)
    raws = {h: raw_of(chain40, h) for h in (1, 40)}
    new, verified, fetched = verify_range(raws[1], 40, lambda h: raws[h], opts,
                                          chain40.head_time_ns() + 10**9)
    assert fetched == [40] and new.height == 40 and [r.height for r in verified] == [40]


def test_overlap_pivot_beats_cometbft_rule_on_high_churn(churned):
    opts = Options(14 * DAY)
    cache = {}

    def fetch(h):
        if h not in cache:
            cache[h] = raw_of(churned, h)
        return cache[h]
    counts = compare_pivots(fetch(1), 200, fetch, opts, churned.head_time_ns() + 10**9)
    assert counts["overlap"] < counts["cometbft"], counts
    # both reach the same verified head
    a, _, _ = verify_range(fetch(1), 200, fetch, opts, churned.head_time_ns() + 10**9, "cometbft")
    b, _, _ = verify_range(fetch(1), 200, fetch, opts, churned.head_time_ns() + 10**9, "overlap")
    assert a.light_block.signed_header.header.hash() == b.light_block.signed_header.header.hash()


def test_overlap_pivot_places_pivots_strictly_between(churned):
    blocks = {h: raw_of(churned, h).light_block for h in (1, 5, 200)}
    p = make_overlap_pivot(blocks)
    assert 1 < p(1, 200) < 200
    assert signer_overlap(blocks[1].validators, blocks[200].signed_header.commit) == 0.0
    assert signer_overlap(blocks[1].validators, blocks[5].signed_header.commit) == pytest.approx(0.8)  # changes at 2, 4
    assert p(1, 2) == cometbft_pivot(1, 2)


def test_forged_primary_is_banned_and_sync_completes_from_peers(chain40):
    nodes = [FakeNode(chain40, "n%d" % i) for i in range(3)]
    try:
        nodes[0].set_mode("forged")
        pool = SourcePool(nodes[0].url, [n.url for n in nodes[1:]])
        seen = []
        new, verified, stats = sync_from_pool(pool, raw_of(chain40, 1), 40, Options(14 * DAY),
                                              chain40.head_time_ns() + 10**9, progress=seen.append)
        assert new.height == 40
        assert new.light_block.signed_header.header.hash() == chain40.header_hash(40)
        assert stats.banned and stats.banned[0]["url"] == nodes[0].url
        assert stats.banned[0]["check"] == "invalid_signature"
        assert stats.attempts == 2 and stats.light_blocks == 2 and stats.bytes > 0
        assert stats.head_source in (nodes[1].url, nodes[2].url)
        assert seen and seen[-1]["target"] == 40
        reason = pool.get(nodes[0].url).ban_reason
        assert reason["check"] == "invalid_signature" and reason["details"]["height"] == 40
    finally:
        for n in nodes:
            n.close()


def test_all_sources_forged_fails_without_accepting(chain40):
    nodes = [FakeNode(chain40, "n%d" % i) for i in range(2)]
    try:
        for n in nodes:
            n.set_mode("forged")
        pool = SourcePool(nodes[0].url, [nodes[1].url])
        with pytest.raises((SyncError, VerificationError, Exception)) as e:
            sync_from_pool(pool, raw_of(chain40, 1), 40, Options(14 * DAY),
                           chain40.head_time_ns() + 10**9)
        assert e.value.check in ("sync_failed", "no_source", "all_failed")
        assert all(s["banned"] for s in pool.status())
    finally:
        for n in nodes:
            n.close()


def test_expired_trust_is_not_blamed_on_the_source(chain40):
    node = FakeNode(chain40)
    try:
        pool = SourcePool(node.url, [])
        with pytest.raises(VerificationError) as e:
            sync_from_pool(pool, raw_of(chain40, 1), 40, Options(1 * 10**9),
                           chain40.head_time_ns() + 10**9)
        assert e.value.check == "trusting_period_expired"
        assert not pool.status()[0]["banned"]
    finally:
        node.close()


class _Val:
    def __init__(self, power):
        self.voting_power = power


class _Set:
    """The slice of a validator set make_overlap_pivot reads: total power, lookup by address."""

    def __init__(self, powers):
        self.powers = powers
        self.total_power = sum(powers.values())

    def get(self, address):
        return (0, _Val(self.powers[address])) if address in self.powers else None


class _Sig:
    def __init__(self, address):
        from lightclient.chip.core import types as T
        self.flag = T.BLOCK_ID_FLAG_COMMIT
        self.validator_address = address


class _Block:
    def __init__(self, powers, signers):
        self.validators = _Set(powers)
        self.next_validators = None
        self.signed_header = type("SH", (), {})()
        self.signed_header.commit = type("C", (), {"signatures": [_Sig(a) for a in signers]})()


def test_overlap_pivot_bisects_a_step_change_instead_of_creeping_towards_it():
    # Staking moved the set at once (tests/localchain/test_chain_staking.py does it on the real
    # chain): from trusted height 0, every later commit keeps the same 1/4 of the old power.
    old = {b"A": 100, b"B": 100, b"C": 100, b"D": 100}
    after = _Block({b"A": 100, b"X": 200, b"Y": 200, b"Z": 200}, [b"A", b"X", b"Y", b"Z"])
    blocks = {0: _Block(old, list(old)), 1000: after}
    p = make_overlap_pivot(blocks)
    first = p(0, 1000)                  # one measure: the decay fit places the pivot
    assert 600 < first < 700
    blocks[first] = after               # fetched: the same overlap again, nearer
    assert p(0, first) == cometbft_pivot(0, first)   # a step, not a decay: bisect
    # a decaying overlap (gradual churn: 0.3 of the trusted power nearer, 0.2 at the target)
    # keeps the fit, which aims further than 9/16
    old.update({b"E": 50, b"F": 50})
    blocks = {0: _Block(old, list(old)), 1000: _Block({b"A": 100, b"X": 200}, [b"A", b"X"])}
    p = make_overlap_pivot(blocks)
    first = p(0, 1000)
    blocks[first] = _Block({b"A": 100, b"E": 50, b"X": 200}, [b"A", b"E", b"X"])
    assert cometbft_pivot(0, first) < p(0, first) < first


def test_overlap_pivot_bisects_when_the_fit_is_refuted_instead_of_creeping():
    # On the real chain after a staking change (bench: sync.ours_over_cometbft.bytes), the one
    # trusted validator left was absent from a commit: overlap 0 there. The fit from the earlier
    # tries said that height would verify; the rule used to clamp to h - 1, then h - 2, ...
    old = {b"A": 100, b"B": 100, b"C": 100, b"D": 100}
    after = _Block({b"A": 100, b"X": 200, b"Y": 200, b"Z": 200}, [b"A", b"X", b"Y", b"Z"])
    blocks = {0: _Block(old, list(old)), 1000: after}
    p = make_overlap_pivot(blocks)
    first = p(0, 1000)
    blocks[first] = after
    second = p(0, first)                # the step: bisected
    blocks[second] = _Block(after.validators.powers, [b"X", b"Y", b"Z"])    # A absent
    third = p(0, second)
    assert third == cometbft_pivot(0, second), (first, second, third)


def staking_change(at):
    """Three validators of twice the power join at `at`, three of the four old ones leave just
    after: the old set keeps a quarter of its power (the bench's change on the real chain)."""
    old = [s for _, s, _ in make_validators(4)]

    def churn(chain, h):
        if h == at:
            chain.schedule_change(h, add=[("ed25519", hashlib.sha256(b"new%d" % i).digest(), 20)
                                          for i in range(3)])
        if h == at + 1:
            chain.schedule_change(h, remove=old[1:])
    return churn


@pytest.fixture(scope="module")
def stepped():
    return FakeChain(n_vals=4, n_blocks=200, churn=staking_change(100))


def test_a_probe_jumped_over_never_costs_its_validator_set(stepped):
    # Across the change the client bisects. A probe whose commit the trusted set does not vouch
    # for needs no /validators yet, and once a nearer block verifies, the farthest held block is
    # tried first: the probes it jumps over never cost their validator sets.
    node = FakeNode(stepped)
    try:
        pool = SourcePool(node.url, [])
        new, verified, stats = sync_from_pool(pool, raw_of(stepped, 1), 200, Options(14 * DAY),
                                              stepped.head_time_ns() + 10**9)
        assert new.light_block.signed_header.header.hash() == stepped.header_hash(200)
        asked = {m: node.methods.count(m) for m in ("commit", "validators")}
        assert asked["commit"] == stats.light_blocks and len(stats.fetched_heights) > 2
        # one validator set per verified block, none for the probes jumped over
        assert asked["validators"] == len(verified) < asked["commit"], asked
        assert stats.validator_sets == len(verified)
        assert set(stats.verified_heights) < set(stats.fetched_heights)
    finally:
        node.close()


def test_a_validator_set_that_is_not_its_headers_bans_the_source(stepped):
    # the validators come from whoever served the header: a set not hashing to its header's
    # validators_hash is that source's lie (banned), and the sync completes from the others
    nodes = [FakeNode(stepped, "n%d" % i) for i in range(2)]
    try:
        bad = json.loads(json.dumps(stepped.rpc[200]["validators"]["result"]))
        bad["validators"] = bad["validators"][::-1][:2]
        bad["count"] = bad["total"] = "2"
        nodes[0].override = {("validators", 200): bad}
        # no hedge: the central serves the header at 200 however slow a loaded machine makes it
        pool = SourcePool(nodes[0].url, [nodes[1].url], hedge_delay=10.0)
        new, _, stats = sync_from_pool(pool, raw_of(stepped, 1), 200, Options(14 * DAY),
                                       stepped.head_time_ns() + 10**9)
        assert new.light_block.signed_header.header.hash() == stepped.header_hash(200)
        reason = pool.get(nodes[0].url).ban_reason
        assert reason["check"] == "validators_hash_mismatch", reason
        assert stats.banned and stats.banned[0]["url"] == nodes[0].url
    finally:
        for n in nodes:
            n.close()
