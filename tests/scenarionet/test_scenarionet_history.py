"""The scenario network's chain and application, in process: header hashing, validator-set changes, the
light-client verifier over generated light blocks, proofs, transactions, the on-disk cache."""

import base64
import hashlib
import json
import threading
import time

import pytest

from lightclient import native
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core import verifier
from lightclient.chip.core import proof_chain
from lightclient.chip.core import types as T
from lightclient.chip.core.signatures import CachingChecker
from lightclient.scenarionet import app as appmod
from lightclient.scenarionet import chain_rpc, producer, rpc
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
    # A different transaction log invalidates the cache.
    d = History(s, extra_txs={100: [b"x"]}, cache_dir=str(tmp_path))
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
    assert hist.header(5).app_hash != hist.header(6).app_hash  # tx in block 5


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


def _tx(kind, body, nonce, seed, chain_id="mycroft-devnet-1"):
    return txs.build_tx(chain_id, kind, body, nonce, ed25519.public_key(seed),
                        txs.seed_signer(seed))


def test_transaction_rules():
    h = History(spec())
    h.extend_to(20)
    owner, device, other = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    reg = {"uuid": "dev-a", "device_pubkey": ed25519.public_key(device).hex(),
           "owner_pubkey": ed25519.public_key(owner).hex(), "account": "acct"}
    h.app.check_tx(_tx(txs.REGISTER, reg, 1, owner))
    with pytest.raises(appmod.TxError) as e:  # signed by another key than owner_pubkey
        h.app.check_tx(_tx(txs.REGISTER, reg, 1, other))
    assert e.value.code == appmod.CODE_UNAUTHORIZED
    with pytest.raises(appmod.TxError) as e:  # another chain
        h.app.check_tx(_tx(txs.REGISTER, reg, 1, owner, chain_id="other"))
    assert e.value.code == appmod.CODE_DECODE
    bad = bytearray(_tx(txs.REGISTER, reg, 1, owner))
    i = bad.index(b'"sig":"') + 8
    bad[i] = ord("0") if bad[i] != ord("0") else ord("1")
    with pytest.raises(appmod.TxError) as e:
        h.app.check_tx(bytes(bad))
    assert e.value.code == appmod.CODE_SIGNATURE
    h.append_block([_tx(txs.REGISTER, reg, 1, owner)])
    h.append_block([])
    rec = json.loads(h.app.query(h.height, "devices", txs.record_key("dev-a"))[0])
    assert rec["version"] == 1 and rec["setting"]["uuid"] == "dev-a"
    upd = {"uuid": "dev-a", "set": {"skills": [{"name": "weather"}]}}
    with pytest.raises(appmod.TxError) as e:  # replayed nonce
        h.app.check_tx(_tx(txs.UPDATE, upd, 1, owner))
    assert e.value.code == appmod.CODE_NONCE
    with pytest.raises(appmod.TxError) as e:  # the device key cannot update
        h.app.check_tx(_tx(txs.UPDATE, upd, 2, device))
    assert e.value.code == appmod.CODE_UNAUTHORIZED
    write = {"uuid": "dev-a", "kind": "skill_settings", "data": [{"name": "timer"}]}
    h.append_block([_tx(txs.UPDATE, upd, 2, owner), _tx(txs.DEVICE_WRITE, write, 1, device),
                    _tx(txs.DEVICE_WRITE, write, 1, device)])  # the third is a replay
    assert [c for c, _ in h.app.results[h.height]] == [0, 0, appmod.CODE_NONCE]
    h.append_block([])
    rec = json.loads(h.app.query(h.height, "devices", txs.record_key("dev-a"))[0])
    assert rec["version"] == 3 and rec["skills"] == [{"name": "timer"}]
    assert rec["writes"]["skill_settings"] == [{"name": "timer"}]
    # The block with transactions has a real data_hash; the next a real last_results_hash.
    assert h.header(h.height - 1).data_hash != h.header(h.height).data_hash
    assert h.header(h.height).last_results_hash != h.header(h.height - 1).last_results_hash
    assert h.header(h.height).hash() == h.hash_at(h.height)


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


class _SpyLock:
    """A lock that records whether an acquire had to wait for another holder."""

    def __init__(self, lock):
        self.lock = lock
        self.contended = threading.Event()

    def __enter__(self):
        if not self.lock.acquire(blocking=False):
            self.contended.set()
            self.lock.acquire()
        return self

    def __exit__(self, *exc):
        self.lock.release()


def _broadcast(chain, tx):
    try:
        return chain.m_broadcast_tx_sync({"tx": base64.b64encode(tx).decode()})
    except rpc.RPCError as e:
        return e.data


def test_checktx_waits_for_the_block_being_built(tmp_path):
    h = History(spec())
    h.extend_to(3)
    chain = chain_rpc.ChainRPC(h)
    chain.mempool_lock = _SpyLock(chain.mempool_lock)
    owner = b"\x04" * 32
    tx = _tx(txs.REGISTER, {"uuid": "dev-r", "device_pubkey": ed25519.public_key(b"\x05" * 32)
                            .hex(), "owner_pubkey": ed25519.public_key(owner).hex(),
                            "account": "acct"}, 1, owner)
    assert _broadcast(chain, tx)["code"] == 0
    retried, threads = [], []
    real_append = h.append_block

    def append_block(block_txs):
        # A client retries the same transaction while its block is being built: its CheckTx
        # must wait for the block, then find the transaction there.
        t = threading.Thread(target=lambda: retried.append(_broadcast(chain, tx)))
        t.start()
        deadline = time.monotonic() + 10
        while t.is_alive() and not chain.mempool_lock.contended.is_set():
            assert time.monotonic() < deadline
            time.sleep(0.005)
        threads.append(t)
        return real_append(block_txs)

    h.append_block = append_block
    assert producer.produce_block(h, chain, str(tmp_path / "txlog.jsonl")) == 4
    threads[0].join(10)
    assert retried == ["tx already exists in cache"] and chain.mempool == []
    assert h.tx_heights[hashlib.sha256(tx).digest()] == 4
