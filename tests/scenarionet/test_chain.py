"""lightclient/scenarionet/chain.py: the synthetic chain's blocks verify with the core verifier (adjacent and
skipping), and its RPC JSON has CometBFT 0.38's shapes and parses back to equal objects."""

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lightclient.chip.core import rpcjson  # noqa: E402
from lightclient.chip.core import types as T  # noqa: E402
from lightclient.chip.core import votes
from lightclient.chip.core.signatures import CachingChecker  # noqa: E402
from lightclient.chip.crypto.pure import verify as pure_verify  # noqa: E402
from lightclient.chip.core.verifier import (Options, TrustedState, verify_commit_full,  # noqa: E402
                                       verify_step, verify_to_height)
from lightclient.scenarionet.chain import (SECOND, Chain, fast_verify, format_rfc3339_ns,  # noqa: E402
                         make_validators, to_rpc_json)

START = 1_700_000_000 * SECOND
VECTORS = REPO.parent / "shared" / "vectors" / "cometbft" / "rpc" / "kvstore-v0.38"
OPTS = Options(14 * 24 * 3600 * SECOND)


def _trusted(b):
    return TrustedState(b.signed_header.header, b.next_validators, b.validators)


def _mixed(n_ed=3, n_k1=2):
    return make_validators(n_ed, power=lambda i: 10 + i) + make_validators(
        n_k1, "secp256k1", power=lambda i: 7 + 2 * i)


def test_validator_set_sorted_like_cometbft():
    c = Chain("c", make_validators(6, power=lambda i: [5, 9, 5, 1, 9, 5][i]), START)
    vals = c.next_block().validators.validators
    keys = [(-v.voting_power, v.address) for v in vals]
    assert keys == sorted(keys)
    assert [v.voting_power for v in vals] == [9, 9, 5, 5, 5, 1]


def test_adjacent_blocks_verify_with_pure_verifiers():
    c = Chain("adj-chain", _mixed(), START)
    blocks = c.run(4)
    now = blocks[-1].header.time_ns + SECOND
    checker = CachingChecker(pure_verify)
    state = _trusted(blocks[0])
    for b in blocks[1:]:
        state = verify_step(state, b, OPTS, now, checker)
        # every signature, commit and nil, checks out (CometBFT VerifyCommit)
        verify_commit_full("adj-chain", b.signed_header, b.validators, checker)
    assert state.header.height == 4
    assert blocks[1].header.last_block_id == blocks[0].commit.block_id
    assert blocks[1].header.validators_hash == blocks[0].header.next_validators_hash


def test_secp256k1_signatures_are_low_s_r_s():
    c = Chain("k1", make_validators(2, "secp256k1"), START)
    b = c.next_block()
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    builder = votes.SignBytesBuilder("k1", b.commit)
    for i, cs in enumerate(b.commit.signatures):
        assert len(cs.signature) == 64 and int.from_bytes(cs.signature[32:], "big") <= n // 2
        v = b.validators.validators[i]
        assert pure_verify(v.key_type, v.pub_key, builder.for_index(i), cs.signature)


def test_signers_nil_and_absent():
    c = Chain("sub", make_validators(4), START)
    b = c.next_block(signers=[0, 1, 2], nil=[3])
    assert [cs.flag for cs in b.commit.signatures] == [2, 2, 2, 3]
    b = c.next_block(signers=[0, 1, 3])
    sig2 = b.commit.signatures[2]
    assert sig2.flag == T.BLOCK_ID_FLAG_ABSENT and not sig2.signature
    state = verify_step(_trusted(c.blocks[1]), b, OPTS, b.header.time_ns + SECOND,
                        CachingChecker(fast_verify))
    assert state.header.height == 2
    b = c.next_block(signers=[0, 1])  # 20 of 40: not enough
    with pytest.raises(Exception) as e:
        verify_step(_trusted(c.blocks[2]), b, OPTS, b.header.time_ns + SECOND,
                    CachingChecker(fast_verify))
    assert getattr(e.value, "check", None) == "insufficient_signatures"
    with pytest.raises(ValueError):
        c.next_block(signers=[0], nil=[0])


def test_validator_changes_go_through_next_validators():
    vals = make_validators(4)
    c = Chain("chg", vals, START)
    c.schedule_change(2, add=make_validators(1, tag=b"new"), power={vals[1][1]: 30})
    c.schedule_change(3, remove=[vals[0][1]])
    blocks = c.run(4)
    b1, b2, b3, b4 = blocks
    assert b1.validators.hash() == b1.next_validators.hash() == b2.validators.hash()
    assert b2.next_validators.hash() != b2.validators.hash()
    assert b3.validators.hash() == b2.next_validators.hash()
    assert len(b3.validators) == 5 and b3.validators.validators[0].voting_power == 30
    assert len(b4.validators) == 4
    now = b4.header.time_ns + SECOND
    state = _trusted(b1)
    for b in blocks[1:]:
        state = verify_step(state, b, OPTS, now, CachingChecker(fast_verify))
    assert state.header.height == 4


def test_skipping_verification_over_the_chain():
    vals = make_validators(10)
    c = Chain("skip", vals, START)
    for h in range(3, 30, 3):  # replace one validator every third block
        i = h // 3
        c.schedule_change(h, remove=[vals[i % 10][1]], add=make_validators(1, tag=b"s%d" % h))
    c.run(30)
    now = c.blocks[30].header.time_ns + SECOND
    state, verified, fetched = verify_to_height(_trusted(c.blocks[1]), 30, c.blocks.__getitem__,
                                                OPTS, now, checker=CachingChecker(fast_verify))
    assert state.header.hash() == c.blocks[30].header.hash()
    assert verified[-1] == 30 and len(fetched) < 29


def _shape(x):
    """Keys of every object, recursively (list elements merged), and value kinds."""
    if isinstance(x, dict):
        return {k: _shape(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_shape(x[0])] if x else []
    return type(x).__name__


def test_rpc_json_has_cometbft_0_38_shapes():
    c = Chain("dockerchain", make_validators(1), START)
    answers = to_rpc_json(c.next_block(app_hash=b"\x00" * 8))
    ref = json.loads((VECTORS / "commit_at_height_10.json").read_text())
    assert set(answers["commit"]) == set(ref)  # the id echoes the request's: any JSON value
    assert _shape(answers["commit"]["result"]) == _shape(ref["result"])
    v = answers["validators"]
    assert set(v) == {"jsonrpc", "id", "result"}
    assert set(v["result"]) == {"block_height", "validators", "count", "total"}
    val = v["result"]["validators"][0]
    assert set(val) == {"address", "pub_key", "voting_power", "proposer_priority"}
    assert set(val["pub_key"]) == {"type", "value"}
    assert all(isinstance(val[k], str) for k in ("address", "voting_power", "proposer_priority"))
    assert v["result"]["count"] == v["result"]["total"] == "1"
    assert answers["next_validators"]["result"]["block_height"] == "2"


def test_absent_signature_json_is_cometbft_style():
    c = Chain("abs", make_validators(3), START)
    sigs = to_rpc_json(c.next_block(signers=[0, 1]))["commit"]["result"]["signed_header"][
        "commit"]["signatures"]
    assert sigs[2] == {"block_id_flag": 1, "validator_address": "",
                       "timestamp": "0001-01-01T00:00:00Z", "signature": None}


def _same_commit(a, b):
    assert (a.height, a.round, a.block_id) == (b.height, b.round, b.block_id)
    assert len(a.signatures) == len(b.signatures)
    for x, y in zip(a.signatures, b.signatures):
        assert (x.flag, x.validator_address, x.signature) == (y.flag, y.validator_address,
                                                               y.signature)
        if x.flag != T.BLOCK_ID_FLAG_ABSENT:
            assert x.timestamp_ns == y.timestamp_ns


def test_rpc_json_round_trips_through_rpcjson():
    vals = _mixed(4, 3)
    c = Chain("rt-chain", vals, START + 123_456_789, block_interval_ns=1_234_567_891)
    c.schedule_change(2, add=make_validators(1, "secp256k1", tag=b"x"))
    c.next_block(app_hash=b"")
    c.next_block(app_hash=b"\xab" * 32, signers=[0, 2, 3, 4, 5], nil=[1], round=2)
    c.next_block(app_hash=b"\x01")
    for h, b in c.blocks.items():
        j = json.loads(json.dumps(to_rpc_json(b)))  # through real JSON text
        sh = j["commit"]["result"]["signed_header"]
        back = rpcjson.light_block_from_json(sh, j["validators"]["result"],
                                             j["next_validators"]["result"])
        assert back.header.hash() == b.header.hash()
        assert back.header.__dict__ == b.header.__dict__
        _same_commit(back.commit, b.commit)
        assert back.validators.hash() == b.validators.hash() == b.header.validators_hash
        assert back.next_validators.hash() == b.header.next_validators_hash
        assert [v.address for v in back.validators.validators] == [
            v.address for v in b.validators.validators]


def test_rfc3339_formatting_matches_go():
    assert format_rfc3339_ns(1684332773605374524) == "2023-05-17T14:12:53.605374524Z"
    assert format_rfc3339_ns(1684332773600000000) == "2023-05-17T14:12:53.6Z"
    assert format_rfc3339_ns(T.ZERO_TIME_NS) == "0001-01-01T00:00:00Z"
    for ns in (0, 1, 951782400 * SECOND + 7, 4102444800 * SECOND - 1):
        assert rpcjson.parse_rfc3339_ns(format_rfc3339_ns(ns)) == ns


def test_fast_verify_agrees_with_pure_on_good_and_bad_signatures():
    c = Chain("fv", _mixed(2, 2), START)
    b = c.next_block()
    builder = votes.SignBytesBuilder("fv", b.commit)
    for i, cs in enumerate(b.commit.signatures):
        v = b.validators.validators[i]
        msg = builder.for_index(i)
        bad = cs.signature[:5] + bytes([cs.signature[5] ^ 4]) + cs.signature[6:]
        for sig in (cs.signature, bad):
            assert fast_verify(v.key_type, v.pub_key, msg, sig) == pure_verify(
                v.key_type, v.pub_key, msg, sig)
