"""The scenario network's chain and application, in process: header hashing, validator-set changes, the
light-client verifier over generated light blocks, proofs, device fixtures, the on-disk cache."""

import base64
import hashlib
import json

import pytest

from lightclient import native
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core import verifier
from lightclient.chip.core import proof_chain
from lightclient.chip.core import types as T
from lightclient.chip.core.signatures import CachingChecker
from lightclient.scenarionet import app as appmod
from lightclient.scenarionet import chain_rpc
from lightclient.scenarionet.history import History, Spec

GENESIS = 1_700_000_000 * 10**9
SECOND = 10**9
DAY = 86400 * SECOND


def spec(**kw):
    d = dict(genesis_time_ns=GENESIS, validators=12, churn_per_day=0.2, block_interval_s=60)
    d.update(kw)
    return Spec(**d)


@pytest.fixture(scope="module")
def hist():
    # 60 s blocks, 20 % churn a day, 6 days: several validator-set changes in 8640 blocks.
    h = History(spec())
    h.extend_to(6 * 1440)
    return h


def options():
    return verifier.Options(trusting_period_ns=14 * DAY)


def test_fast_header_hash_is_cometbft_header_hash(hist):
    heights = {1, 2, 3, 5, 7, 11, 12, hist.height}
    for c in hist.change_heights():
        heights |= {c - 1, c, c + 1}
    for h in sorted(heights):
        if 1 <= h <= hist.height:
            assert hist.header(h).hash() == hist.hash_at(h), h


def test_headers_chain_and_validator_changes_follow_the_rule(hist):
    changes = hist.change_heights()
    assert len(changes) >= 3
    for c in changes:
        before, at = hist.header(c - 1), hist.header(c)
        assert at.last_block_id.hash == hist.hash_at(c - 1)
        assert before.next_validators_hash == at.validators_hash
        assert before.validators_hash != at.validators_hash
        assert at.validators_hash == hist.validators(c).hash()


def test_churn_moves_about_the_asked_fraction():
    s = spec(validators=40, churn_per_day=0.03, block_interval_s=300)
    h = History(s)
    h.extend_to(30 * 288)
    first, last = h.validators(1), h.validators(h.height)
    p1 = {v.address: v.voting_power for v in first.validators}
    p2 = {v.address: v.voting_power for v in last.validators}
    moved = sum(max(0, p1.get(a, 0) - p2.get(a, 0)) for a in set(p1) | set(p2))
    # 30 days at 3 % a day: between a fifth and all of the 90 % that could move without overlap.
    assert 0.2 * first.total_power < moved < 0.95 * first.total_power
    assert len(last) <= 150
    assert abs(last.total_power - first.total_power) <= len(h.change_heights()) * 3


def test_adjacent_and_skipping_verification_over_generated_blocks(hist):
    checker = CachingChecker(native.verify)
    now = hist.spec.time_at(hist.height) + 60 * SECOND
    lb = hist.light_block(1)
    state = verifier.TrustedState(lb.header, lb.next_validators, lb.validators)
    c = hist.change_heights()[0]
    for h in (c - 1, c, c + 1):  # adjacent steps across a change
        state = verifier.verify_step(state, hist.light_block(h), options(), now, checker)
    # A skip to the latest block from c + 1 (a few changes apart, same validators mostly).
    state = verifier.verify_step(state, hist.light_block(hist.height), options(), now, checker)
    assert state.header.height == hist.height


def test_commits_are_deterministic_and_not_all_present(hist):
    absent_heights = [h for h in range(1, 200) if hist.absent(h)]
    assert absent_heights, "some commits should miss a validator"
    h = absent_heights[0]
    c = hist.commit(h)
    assert sum(1 for s in c.signatures if s.flag == T.BLOCK_ID_FLAG_ABSENT) == 1
    again = History(spec())
    again.extend_to(h)
    c2 = again.commit(h)
    assert [s.signature for s in c.signatures] == [s.signature for s in c2.signatures]
    assert again.hash_at(h) == hist.hash_at(h)


def test_secp256k1_chain_verifies():
    h = History(spec(key_type="secp256k1", validators=5))
    h.extend_to(20)
    checker = CachingChecker(native.verify)
    lb = h.light_block(19)
    state = verifier.TrustedState(lb.header, lb.next_validators, lb.validators)
    verifier.verify_step(state, h.light_block(20), options(), h.spec.time_at(21), checker)


def test_history_cache_round_trip(tmp_path):
    s = spec(churn_per_day=0.5)
    a = History(s, cache_dir=str(tmp_path))
    a.extend_to(3000)
    b = History(s, cache_dir=str(tmp_path))
    b.extend_to(3500)  # 3000 from the cache, 500 computed
    assert b.loaded_from_cache == 3000
    c = History(s)
    c.extend_to(3500)
    assert bytes(b._hashes) == bytes(c._hashes)
    # Other device fixtures are another chain: the cache does not serve it.
    d = History(spec(churn_per_day=0.5, devices=[appmod.device_fixture(
        "dev-c", b"\x01" * 32, b"\x02" * 32, height=100)]), cache_dir=str(tmp_path))
    d.extend_to(200)
    assert d.loaded_from_cache == 0
    assert d.hash_at(100) != c.hash_at(100)


def _record_proof(hist, height, uuid):
    key = txs.record_key(uuid)
    value, ops = hist.app.query(height, "devices", key)
    app_hash = hist.header(height + 1).app_hash
    return value, ops, app_hash


def test_abci_proofs_verify_against_next_header(hist):
    for uuid in ("hist-device-0", "hist-device-3"):
        value, ops, app_hash = _record_proof(hist, 100, uuid)
        assert value is not None
        assert proof_chain.verify_abci_proof_ops(ops, app_hash, ["devices", txs.record_key(uuid)],
                                           value)
        rec = txs.decode_record(value)
        assert rec["uuid"] == uuid
    value, ops, app_hash = _record_proof(hist, 100, "no-such-device")
    assert value is None
    assert proof_chain.verify_abci_proof_ops(ops, app_hash, ["devices", txs.record_key(
        "no-such-device")], None)
    # Device 0's settings were changed at height 5: German, metric.
    before = json.loads(hist.app.query(4, "devices", txs.record_key("hist-device-0"))[0])
    after = json.loads(hist.app.query(5, "devices", txs.record_key("hist-device-0"))[0])
    assert before["setting"]["lang"] == "en-us" and after["setting"]["lang"] == "de-de"
    assert after["version"] == 2
    # A proof at height 5 does not verify against the app hash of header 5 (state before).
    value, ops = hist.app.query(5, "devices", txs.record_key("hist-device-0"))
    with pytest.raises(Exception):
        proof_chain.verify_abci_proof_ops(ops, hist.header(5).app_hash,
                                    ["devices", txs.record_key("hist-device-0")], value)


def test_app_hash_changes_only_with_state(hist):
    assert hist.header(20).app_hash == hist.header(21).app_hash
    assert hist.header(5).app_hash != hist.header(6).app_hash  # a settings change in block 5
    assert hist.header(6).data_hash == hist.header(6).last_results_hash == hashlib.sha256(
        b"").digest()                                          # blocks carry no transactions


def test_the_scenarionet_imitates_no_sdk_module(hist):
    # Bank, gov and the SDK's other modules are the real chain's (lightclient/localchain): the
    # scenario network's multistore holds its devices store alone, and a query of another store is
    # refused.
    assert set(hist.app.snapshot(hist.height)[0]) == {"devices"}
    node = chain_rpc.ChainRPC(hist)
    for store in ("bank", "gov"):
        r = node.m_abci_query({"path": "/store/%s/key" % store, "data": "02", "height": "10",
                               "prove": True})["response"]
        assert r["code"] == 6 and r["log"] == "no such store: " + store, r


def test_device_fixtures_are_written_at_their_heights():
    owner, device = ed25519.public_key(b"\x01" * 32), ed25519.public_key(b"\x02" * 32)
    h = History(spec(devices=[
        appmod.device_fixture("dev-a", device, owner, height=10, skills=[{"name": "timer"}]),
        appmod.settings_fixture("dev-a", 12, lang="pt-pt")]))
    h.extend_to(14)
    key = txs.record_key("dev-a")
    assert h.app.query(9, "devices", key)[0] is None
    rec = txs.decode_record(h.app.query(10, "devices", key)[0])
    assert (rec["version"], rec["device_pubkey"], rec["owner_pubkey"]) == (1, device.hex(),
                                                                           owner.hex())
    assert rec["skills"] == [{"name": "timer"}] and rec["setting"]["uuid"] == "dev-a"
    value, ops = h.app.query(12, "devices", key)
    after = txs.decode_record(value)
    assert after["version"] == 2 and after["setting"]["lang"] == "pt-pt"
    assert after["skills"] == rec["skills"]
    assert proof_chain.verify_abci_proof_ops(ops, h.header(13).app_hash, ["devices", key], value)
    assert h.header(12).app_hash != h.header(13).app_hash


@pytest.mark.parametrize("entries, says", [
    ([{"height": 3, "uuid": "bad uuid", "device_pubkey": "00" * 32, "owner_pubkey": "00" * 32}],
     "uuid"),
    ([{"height": 3, "uuid": "d", "device_pubkey": "0" * 63, "owner_pubkey": "00" * 32}],
     "device_pubkey must be 32 bytes"),
    ([{"height": 3, "uuid": "d", "device_pubkey": "00" * 32, "owner_pubkey": "00" * 32,
       "wallet": {}}], "unknown fields ['wallet']"),
    ([{"height": 3, "uuid": "d", "device_pubkey": "00" * 32, "owner_pubkey": "00" * 32},
      {"height": 3, "uuid": "d", "setting_changes": {"lang": "de-de"}}],
     "not above its last change at 3"),
    ([{"height": -1, "uuid": "d"}], "needs a height >= 0"),
    ([{"height": 3, "uuid": "d", "device_pubkey": "00" * 32, "owner_pubkey": "00" * 32,
       "setting_changes": ["lang"]}], "setting_changes must be an object"),
    ([{"height": 3, "uuid": "d%d" % i, "device_pubkey": "00" * 32, "owner_pubkey": "00" * 32}
      for i in range(1000)], "more than"),
    ([{"height": 3, "uuid": "d", "device_pubkey": "00" * 32, "owner_pubkey": "00" * 32,
       "location": {"latitude": 1.5}}], "floats"),
])
def test_a_bad_device_fixture_is_refused_naming_it(entries, says):
    with pytest.raises(appmod.FixtureError) as e:
        spec(devices=entries)
    assert "device fixture" in str(e.value) and says in str(e.value), str(e.value)


def test_the_scenario_network_takes_no_transactions(hist):
    r = chain_rpc.ChainRPC(hist).m_broadcast_tx_sync({"tx": base64.b64encode(b"{}").decode()})
    assert r["code"] == chain_rpc.CODE_NO_TRANSACTIONS and "fixtures" in r["log"]
    assert r["hash"] == hashlib.sha256(b"{}").hexdigest().upper()


def test_an_integral_float_interval_is_the_same_chain():
    # `scenarionet up --block-interval 5` (argparse float) and ScenarioNet(block_interval_s=5)
    # continue each other's chain in one directory, so they must be the same chain.
    assert spec(block_interval_s=60.0).digest() == spec(block_interval_s=60).digest()
    a, b = History(spec(block_interval_s=60.0)), History(spec(block_interval_s=60))
    a.extend_to(50)
    b.extend_to(50)
    assert a.hash_at(50) == b.hash_at(50)


def test_genesis_evidence_age_for_a_sub_second_block_interval():
    # The evidence age is the unbonding period in blocks; int(0.5) made it a division by zero.
    h = History(spec(block_interval_s=0.5))
    h.extend_to(2)
    ev = chain_rpc.ChainRPC(h).m_genesis({})["genesis"]["consensus_params"]["evidence"]
    assert ev["max_age_num_blocks"] == str(21 * 86400 * 2)
    assert ev["max_age_duration"] == str(21 * DAY)
