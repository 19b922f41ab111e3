"""Validator-set changes made by real staking transactions (create-validator, delegate, unbond
with `mycroftd tx staking`): a direct skip across them fails with not-enough-trust and our
client bisects; and the trusting period is held against the unbonding time proven from the
chain's staking params (shortened to 2 days in conftest's genesis)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lightclient import native
from lightclient.chip.core.errors import NotEnoughTrust
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import Options, verify_step
from lightclient.client import LightClient
from lightclient.config import Config, ConfigError
from lightclient.localchain import staking
from lightclient.rpc import RpcClient
from lightclient.sources import SourcePool
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.staking_params import TrustingPeriodTooLong, check_trusting_period, unbonding_ns
from lightclient.sync import compare_pivots, sync_from_pool, trusted_state_of

from tests.localchain.chainhelp import UNBONDING_S, client_config, prove_device, rpc_of

DAY_NS = 86400 * 10 ** 9
NEW_STAKE = 2 * 10 ** 8      # each new validator: twice a genesis validator's 10^8


def _validator_addresses(rpc, height):
    return {v.address for v in rpc.light_block(height).light_block.validators.validators}


@pytest.fixture(scope="module")
def changed(net7):
    """The set changed by staking transactions: the three full nodes become validators
    (create-validator by owner, alice, bob), alice delegates more to one, then val1..val3 unbond
    their whole self-delegation (jailed: out of the set). (height before, head after)."""
    rpc = net7.rpc(0)
    before = rpc.status()["latest_height"]
    old = _validator_addresses(rpc, before)
    info = net7.info
    with ThreadPoolExecutor(4) as pool:     # distinct accounts: their transactions in parallel
        list(pool.map(lambda a: staking.create_validator(info, a[0], net7.node(a[1]),
                                                         NEW_STAKE, rpc),
                      (("owner", "full0"), ("alice", "full1"), ("bob", "full2"))))
        heights = list(pool.map(lambda f: f(), [
            lambda: staking.delegate(info, "alice", "owner", 10 ** 8, rpc)] + [
            (lambda v=v: staking.unbond(info, v, v, 10 ** 8, rpc)) for v in ("val1", "val2",
                                                                             "val3")]))
    head = net7.wait_for_height(max(heights) + 3)      # a set change takes effect at H+2
    new = _validator_addresses(rpc, head)
    assert len(old) == 4 and len(new) == 4 and len(old & new) == 1, (old, new)
    return before, head


def test_a_direct_skip_fails_and_the_client_bisects_across_the_change(net7, changed):
    before, head = changed
    rpc = RpcClient(rpc_of(net7, "val0"))
    trusted, target = rpc.light_block(before), rpc.light_block(head)
    options = Options(DAY_NS)
    now = time.time_ns()
    with pytest.raises(NotEnoughTrust):       # 1 of 4 old validators still signs: < 1/3
        verify_step(trusted_state_of(trusted), target.light_block, options, now,
               CachingChecker(native.verify))
    pool = SourcePool(rpc_of(net7, "full1"), [rpc_of(net7, "val0")])
    new, verified, stats = sync_from_pool(pool, trusted, head, options, now)
    assert new.height == head
    assert len(stats.verified_heights) >= 2 and stats.verified_heights[-1] == head
    assert all(before < h < head for h in stats.verified_heights[:-1]), stats.verified_heights
    assert stats.banned == []
    rec, _ = prove_device(pool, new, net7.device)       # and records still prove after it
    assert rec["version"] == 1

    # A set changed at once, not by gradual churn: our pivot must not creep towards the change
    # (it did, by a third of the distance per try, before it learnt to see a step).
    cache = {}

    def fetch(h):
        if h not in cache:
            cache[h] = rpc.light_block(h)
        return cache[h]
    counts = compare_pivots(trusted, head, fetch, options, now)
    assert counts["overlap"] <= counts["cometbft"], counts


def test_the_trusting_period_is_held_against_the_proven_unbonding_time(net7, tmp_path):
    peers = [rpc_of(net7, "val0"), rpc_of(net7, "full1")]
    ok = LightClient(client_config(net7, tmp_path / "ok", rpc_of(net7, "full2"), peers,
                                   trusting_period_s=UNBONDING_S - 3600))
    ok.sync(deadline_s=30)
    assert ok.unbonding_ns == UNBONDING_S * 10 ** 9     # read from verified state, not genesis
    for period in (UNBONDING_S, 21 * 86400):             # at or above it: refused, typed
        lc = LightClient(client_config(net7, tmp_path / str(period), rpc_of(net7, "full2"),
                                       peers, trusting_period_s=period))
        with pytest.raises(TrustingPeriodTooLong) as e:
            lc.sync(deadline_s=30)
        assert e.value.check == "trusting_period_unbonding"
        assert e.value.details["unbonding_s"] == UNBONDING_S
        assert lc.trusted().height == 1        # nothing beyond the anchor was adopted
        res = lc.boot(deadline_s=30)           # boot says why, as a local fault
        assert not res.ok and res.error["check"] == "trusting_period_unbonding"


def _params(seconds, nanos=0):
    dur = proto.varint_field(1, seconds) + (proto.varint_field(2, nanos) if nanos else b"")
    return proto.bytes_field(1, dur) + proto.varint_field(2, 100) + proto.bytes_field(5, b"stake")


def test_unbonding_time_decoding_and_the_rule_without_a_chain():
    assert unbonding_ns(_params(172800)) == 172800 * 10 ** 9
    assert unbonding_ns(_params(1, 5)) == 10 ** 9 + 5
    for bad in (proto.varint_field(2, 100), _params(0), _params(-5 & (2 ** 64 - 1)),
                _params(10 ** 12)):
        with pytest.raises(DecodeError):
            unbonding_ns(bad)
    check_trusting_period(10 ** 9 - 1, 10 ** 9)
    with pytest.raises(TrustingPeriodTooLong):
        check_trusting_period(10 ** 9, 10 ** 9)


def test_check_unbonding_in_the_device_config_is_a_boolean(tmp_path):
    doc = {"chain_id": "c", "checkpoint": {"height": 1, "hash": "00" * 32},
           "central": "http://127.0.0.1:1", "state_dir": str(tmp_path)}
    assert Config.from_json(dict(doc, check_unbonding=True)).check_unbonding is True
    assert Config.from_json(doc).check_unbonding is False
    with pytest.raises(ConfigError) as e:
        Config.from_json(dict(doc, check_unbonding="yes"))
    assert e.value.details["field"] == "check_unbonding"
