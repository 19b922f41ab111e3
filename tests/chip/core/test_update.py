# Compact updates (lightclient.chip.core.update) on both runtimes: the committed fixtures
# (tests/chip/core/fixtures/upd*.py, regenerate with `.venv/bin/python -m tools.make_update_fixtures`)
# decode and verify to the expected state; every field of an update changed or removed gives a
# typed error and never a new trusted state; every bound is enforced with a named DecodeError.
import binascii
import hashlib

import dual
from fixtures import upd4, upd21
from lightclient.chip.core import cbor, ics23_types, rpcjson
from lightclient.chip.core import types as T
from lightclient.chip.core import valset
from lightclient.chip.core import update
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core.errors import (DecodeError, LightClientError, NotEnoughTrust,
                                     VerificationError)
from lightclient.chip.crypto.pure import verify as pure_verify
from lightclient.chip.core.verifier import Options, TrustedState

_memo = {}


def _verify(key_type, pub, msg, sig):
    # The pure ZIP-215 / low-s verifiers, memoized on the exact (key, message, signature) so the
    # tamper loops re-check only what changed. A changed input is always verified afresh.
    k = hashlib.sha256(bytes(pub) + bytes(msg) + bytes(sig)).digest()
    r = _memo.get(k)
    if r is None:
        r = pure_verify(key_type, pub, msg, sig)
        _memo[k] = r
    return r


def _trusted(fx):
    t = fx.TRUSTED
    return TrustedState(rpcjson.header_from_json(t["header"]),
                        rpcjson.validator_set_from_json(t["next_validators"]))


def _data(fx, name):
    return binascii.unhexlify(fx.CASES[name][0])


def _apply(fx, data, trusted=None, limits=None, now=None):
    return update.apply_update(trusted or _trusted(fx), data, Options(fx.TRUSTING_PERIOD_NS),
                               fx.NOW_NS if now is None else now, _verify, limits)


def _check_cases(fx):
    n = 0
    for name in fx.CASES:
        expected = fx.CASES[name][1]
        data = _data(fx, name)
        if expected[0] == "ok":
            s = _apply(fx, data)
            assert s.header.height == expected[1], name
            assert s.header.hash() == binascii.unhexlify(expected[2]), name
            assert s.header.chain_id == fx.CHAIN_ID
        else:
            e = dual.raises(LightClientError, _apply, fx, data)
            assert type(e).__name__ == expected[1] and e.check == expected[2], (name, e)
        n += 1
    return n


def test_fixtures_4_validators_verify_as_expected():
    assert _check_cases(upd4) == 5


def test_fixtures_21_validators_verify_as_expected():
    assert _check_cases(upd21) == 2


def test_decoded_block_is_rebuilt_from_the_trusted_state():
    trusted = _trusted(upd4)
    blocks = update.decode_update(_data(upd4, "adjacent"), trusted)
    assert len(blocks) == 1
    b = blocks[0]
    h = b.signed_header.header
    assert h.chain_id == trusted.header.chain_id
    assert h.last_block_id.hash == trusted.header.hash()       # derived: adjacent step
    assert h.validators_hash == trusted.next_validators.hash()  # derived: set unchanged
    assert b.validators is trusted.next_validators
    assert h.consensus_hash == trusted.header.consensus_hash    # sticky field
    assert b.signed_header.commit.block_id.hash == h.hash()
    sigs = b.signed_header.commit.signatures
    assert len(sigs) == len(b.validators.validators) == 4
    # Only the votes needed for > 2/3 were sent (20 + 10 + 10 of 50); the rest are absent.
    flags = [cs.flag for cs in sigs]
    assert flags == [T.BLOCK_ID_FLAG_COMMIT] * 3 + [T.BLOCK_ID_FLAG_ABSENT], flags
    for i in range(3):
        assert sigs[i].validator_address == b.validators.validators[i].address
    # With every vote, the nil vote of validator 3 is carried too and checks out.
    blocks = update.decode_update(_data(upd4, "adjacent_all_votes"), trusted)
    assert blocks[0].signed_header.commit.signatures[3].flag == T.BLOCK_ID_FLAG_NIL
    assert blocks[0].signed_header.header.hash() == h.hash()


def test_validator_set_change_is_carried_and_then_omitted():
    trusted = _trusted(upd4)
    blocks = update.decode_update(_data(upd4, "multi"), trusted)
    assert [b.signed_header.header.height for b in blocks] == [2, 3, 4]
    assert len(blocks[1].next_validators) == 5          # sent at 3: the change
    assert blocks[2].validators is blocks[1].next_validators  # not sent again at 4
    s = _apply(upd4, _data(upd4, "multi"))
    assert len(s.next_validators) == 5


# --- tampering -------------------------------------------------------------------------------

def _leaf_paths(obj, path, out):
    if isinstance(obj, dict):
        for k in obj:
            _leaf_paths(obj[k], path + [k], out)
    elif isinstance(obj, list):
        for i in range(len(obj)):
            _leaf_paths(obj[i], path + [i], out)
    else:
        out.append(path)
    return out


def _map_keys(obj, path, out):
    if isinstance(obj, dict):
        for k in obj:
            out.append(path + [k])
            _map_keys(obj[k], path + [k], out)
    elif isinstance(obj, list):
        for i in range(len(obj)):
            _map_keys(obj[i], path + [i], out)
    return out


def _at(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def _changed(v):
    if isinstance(v, bytes):
        return bytes([v[0] ^ 1]) + v[1:] if v else b"\x00"
    return v + 1


def _rejects_every_change(fx, name, unchecked=()):
    # `unchecked`: paths whose change the light-client rules do not notice (nil votes: neither
    # verified nor counted by VerifyCommitLight); each must then give the same new state.
    data = _data(fx, name)
    ok = _apply(fx, data)  # the untouched update verifies
    assert ok.header.height > 0
    tried = 0
    for path in _leaf_paths(cbor.loads(data), [], []):
        obj = cbor.loads(data)
        parent = _at(obj, path[:-1])
        parent[path[-1]] = _changed(parent[path[-1]])
        if path in unchecked:
            assert _apply(fx, cbor.dumps(obj)).header.hash() == ok.header.hash(), path
            continue
        e = dual.raises(LightClientError, _apply, fx, cbor.dumps(obj))
        assert e.check, path
        tried += 1
    for path in _map_keys(cbor.loads(data), [], []):
        obj = cbor.loads(data)
        del _at(obj, path[:-1])[path[-1]]
        dual.raises(LightClientError, _apply, fx, cbor.dumps(obj))
        tried += 1
    return tried


def test_every_field_changed_or_removed_is_rejected_adjacent():
    assert _rejects_every_change(upd4, "adjacent") >= 25


def test_every_field_changed_or_removed_is_rejected_nil_votes():
    # The nil vote of validator 3 (the 4th entry) is carried but, as in CometBFT's light
    # verification, never verified nor counted: changing its time or signature changes nothing.
    sig = [update.K_STEPS, 0, update.S_SIGNATURES, 3]
    assert _rejects_every_change(upd4, "adjacent_all_votes", [sig + [1], sig + [2]]) >= 28


def test_every_field_changed_or_removed_is_rejected_skip():
    assert _rejects_every_change(upd4, "skip") >= 25


def test_every_field_changed_or_removed_is_rejected_multi_step():
    assert _rejects_every_change(upd4, "multi") >= 90


def _edit(fx, name, fn):
    obj = cbor.loads(_data(fx, name))
    fn(obj)
    return cbor.dumps(obj)


def _step0(obj):
    return obj[update.K_STEPS][0]


def test_dropped_signature_leaves_too_little_power():
    data = _edit(upd4, "adjacent", lambda o: _step0(o)[update.S_SIGNATURES].pop())
    e = dual.raises(VerificationError, _apply, upd4, data)
    assert e.check == "insufficient_signatures"


def test_signature_entries_must_be_in_index_order():
    def swap(o):
        s = _step0(o)[update.S_SIGNATURES]
        s[0], s[1] = s[1], s[0]
    e = dual.raises(DecodeError, _apply, upd4, _edit(upd4, "adjacent", swap))
    assert e.check == "update_signature_order"
    e = dual.raises(DecodeError, _apply, upd4, _edit(
        upd4, "adjacent", lambda o: _step0(o)[update.S_SIGNATURES].append(
            _step0(o)[update.S_SIGNATURES][-1])))
    assert e.check == "update_signature_order"


def _expect_decode(fx, name, fn, check, field=None, limits=None):
    data = _edit(fx, name, fn) if fn else _data(fx, name)
    e = dual.raises(DecodeError, update.decode_update, data, _trusted(fx), limits)
    assert e.check == check, (check, e)
    if field is not None:
        assert e.details.get("field") == field, (field, e)
    return e


def _set(key, value, step=0):
    def f(o):
        o[update.K_STEPS][step][key] = value
    return f


def test_field_types_lengths_and_ranges_are_named():
    S = update
    cases = [
        (_set(S.S_HEIGHT, -1), "update_field_range", "update.steps[0].height"),
        (_set(S.S_HEIGHT, 1), "update_height_order", "update.steps[0].height"),
        (_set(S.S_TIME, None), "update_field_type", "update.steps[0].time"),
        (_set(S.S_TIME, b"x"), "update_field_type", "update.steps[0].time"),
        (_set(S.S_APP_HASH, b"\x00" * 65), "update_field_length", "update.steps[0].app_hash"),
        (_set(S.S_DATA_HASH, b"\x00" * 31), "update_field_length", "update.steps[0].data_hash"),
        (_set(S.S_LAST_BLOCK_PARTS, [1]), "update_field_length",
         "update.steps[0].last_block_parts"),
        (_set(S.S_PARTS, [1 << 32, b""]), "update_field_range", "update.steps[0].parts.total"),
        (_set(S.S_PROPOSER, 4), "update_field_range", "update.steps[0].proposer"),
        (_set(S.S_PROPOSER, b"\x00" * 19), "update_field_length", "update.steps[0].proposer"),
        (_set(S.S_ROUND, 1 << 31), "update_field_range", "update.steps[0].round"),
        (_set(S.S_VERSION, [11]), "update_field_length", "update.steps[0].version"),
        (_set(99, 0), "update_field_unknown", "update.steps[0]"),
        (_set(S.S_SIGNATURES, [[4, 0, b"\x00" * 64]]), "update_field_range",
         "update.steps[0].signatures[0].index"),
        (_set(S.S_SIGNATURES, [[0, 0, b"\x00" * 63]]), "update_field_length",
         "update.steps[0].signatures[0].signature"),
        (_set(S.S_SIGNATURES, [[0, 0, b"\x00" * 64, 2]]), "update_field_range",
         "update.steps[0].signatures[0].flag"),
        (_set(S.S_SIGNATURES, [[0, b"", b"\x00" * 64]]), "update_field_type",
         "update.steps[0].signatures[0].time_delta"),
        (_set(S.S_SIGNATURES, [[0, 0, b"\x00" * 64]] * 5), "update_field_length",
         "update.steps[0].signatures"),
    ]
    for fn, check, field in cases:
        _expect_decode(upd4, "adjacent", fn, check, field)


def test_validator_entries_are_checked():
    S = update
    pub = b"\x01" * 32
    cases = [
        ([], "update_field_length", "update.steps[0].validators"),
        ([[2, pub, 10]], "update_field_range", "update.steps[0].validators[0].key_type"),
        ([[1, pub, 10]], "update_field_length", "update.steps[0].validators[0].pub_key"),
        ([[0, pub, 0]], "update_field_range", "update.steps[0].validators[0].power"),
        ([[0, pub, T.MAX_TOTAL_VOTING_POWER + 1]], "update_field_range",
         "update.steps[0].validators[0].power"),
        ([[0, pub, 10], [0, pub, 10]], "validator_duplicate", "update.steps[0].validators"),
        ([[0, pub, T.MAX_TOTAL_VOTING_POWER], [0, b"\x02" * 32, 1]], "voting_power_overflow",
         "update.steps[0].validators"),
        ([[0, pub]], "update_field_length", "update.steps[0].validators[0]"),
    ]
    for vals, check, field in cases:
        _expect_decode(upd4, "adjacent", _set(S.S_VALIDATORS, vals), check, field)
        _expect_decode(upd4, "adjacent", _set(S.S_NEXT_VALIDATORS, vals), check,
                       field.replace("validators", "next_validators", 1))


def test_update_level_checks():
    def top(k, v):
        def f(o):
            o[k] = v
        return f
    _expect_decode(upd4, "adjacent", top(update.K_PROOFS, []), "update_field_length",
                   "update.proofs")
    _expect_decode(upd4, "adjacent", top(update.K_PROOFS, [["devices", b"k", None, []]]),
                   "update_field_length", "update.proofs[0].ops")
    _expect_decode(upd4, "adjacent",
                   top(update.K_PROOFS, [["devices", b"k", None, [["ics23:bogus", b"", b""]]]]),
                   "update_proof_op_type", "update.proofs[0].ops[0].type")
    _expect_decode(upd4, "adjacent", top(update.K_PROOFS, [["", b"k", None, []]]),
                   "update_field_length", "update.proofs[0].store")
    _expect_decode(upd4, "adjacent", top(update.K_PROOFS, [["s", b"k", b"v", []]]),
                   "update_field_type", "update.proofs[0].value")
    # `true` takes the value from the first op's existence proof: anything else there is named.
    nonexist = ics23_types.encode_commitment_proof(ics23_types.NonExistenceProof(b"k"))
    _expect_decode(upd4, "adjacent",
                   top(update.K_PROOFS, [["s", b"k", True, [["ics23:iavl", b"k", nonexist]]]]),
                   "update_proof_value", "update.proofs[0].value")
    garbage = [["s", b"k", True, [["ics23:iavl", b"k", b"\x00"]]]]
    e = dual.raises(LightClientError, update.decode_update,
                    _edit(upd4, "adjacent", top(update.K_PROOFS, garbage)), _trusted(upd4))
    assert e.details.get("field") == "update.proofs[0].ops[0].data", e
    _expect_decode(upd4, "adjacent", top(3, 0), "update_field_unknown", "update")
    _expect_decode(upd4, "adjacent", top(update.K_VERSION, 2), "update_version",
                   "update.version")
    _expect_decode(upd4, "adjacent", top(update.K_STEPS, []), "update_field_length",
                   "update.steps")
    _expect_decode(upd4, "adjacent", lambda o: o.pop(update.K_STEPS), "update_field_missing",
                   "update.steps")
    _expect_decode(upd4, "adjacent", lambda o: o.pop(update.K_VERSION), "update_field_missing",
                   "update.version")
    _expect_decode(upd4, "adjacent", lambda o: _step0(o).pop(update.S_SIGNATURES),
                   "update_field_missing", "update.steps[0].signatures")
    # A skipping step must carry the last block hash (nothing to derive it from).
    _expect_decode(upd4, "skip", lambda o: _step0(o).pop(update.S_LAST_BLOCK_HASH),
                   "update_field_missing", "update.steps[0].last_block_hash")
    trusted = _trusted(upd4)
    for bad in (cbor.dumps([1, 2]), b"", _data(upd4, "adjacent")[:-1],
                _data(upd4, "adjacent") + b"\x00"):
        dual.raises(DecodeError, update.decode_update, bad, trusted)
    e = dual.raises(DecodeError, update.decode_update, "text", trusted)
    assert e.check == "update_type"


def test_limits_are_enforced_before_use():
    data = _data(upd4, "multi")
    trusted = _trusted(upd4)
    e = dual.raises(DecodeError, update.decode_update, data, trusted,
                    update.Limits(max_bytes=len(data) - 1))
    assert e.check == "update_too_large"
    _expect_decode(upd4, "multi", None, "update_field_length", "update.steps",
                   update.Limits(max_steps=2))
    _expect_decode(upd4, "multi", None, "update_field_length",
                   "update.steps[1].next_validators", update.Limits(max_validators=4))
    _expect_decode(upd4, "adjacent", None, "update_field_length",
                   "update.steps[0].app_hash", update.Limits(max_app_hash=7))
    # Nesting deeper than the format's 5 levels stops in the CBOR decoder.
    e = _expect_decode(upd4, "adjacent", _set(update.S_VERSION, [[[[1]]]]), "cbor_depth")
    # More items than the limits allow, before any of them is built.
    big = cbor.dumps({0: 1, 1: [{1: [0] * 9000}]})
    e = dual.raises(DecodeError, update.decode_update, big, trusted)
    assert e.check == "cbor_too_many_items", e


def test_failure_keeps_nothing_and_needs_a_live_trusted_state():
    trusted = _trusted(upd4)
    def spoil(o):
        o[update.K_STEPS][2][update.S_APP_HASH] = b"\x01" * 8
    e = dual.raises(VerificationError, _apply, upd4, _edit(upd4, "multi", spoil), trusted)
    assert e.check == "invalid_signature" and e.details["height"] == 4
    assert trusted.header.height == 1 and len(trusted.next_validators) == 4
    late = trusted.header.time_ns + upd4.TRUSTING_PERIOD_NS
    e = dual.raises(VerificationError, _apply, upd4, _data(upd4, "adjacent"), trusted, None,
                    late)
    assert e.check == "trusting_period_expired"
    # An update for another chain's trusted state does not verify there.
    e = dual.raises(LightClientError, _apply, upd21, _data(upd4, "adjacent"))
    assert isinstance(e, (DecodeError, VerificationError)), e


def test_skip_without_enough_trusted_power_is_not_enough_trust():
    e = dual.raises(NotEnoughTrust, _apply, upd4, _data(upd4, "skip_not_enough_trust"))
    assert e.details["needed"] == 16 and e.details["total"] == 50


def test_trusted_state_round_trip_and_tamper():
    t = _trusted(upd4)
    data = trusted_at_rest.encode_trusted(t)
    back = trusted_at_rest.decode_trusted(data, t.header.hash())
    assert back.header.hash() == t.header.hash()
    assert back.next_validators.hash() == t.next_validators.hash()
    assert trusted_at_rest.encode_trusted(back) == data  # one encoding per state
    e = dual.raises(DecodeError, trusted_at_rest.decode_trusted, data, b"\x00" * 32)
    assert e.check == "trusted_header_hash"
    # Flip each byte in turn: a typed error or a state that no longer matches the checkpoint.
    for i in range(0, len(data), 7):
        bad = bytearray(data)
        bad[i] ^= 0x01
        e = dual.raises(LightClientError, trusted_at_rest.decode_trusted, bytes(bad), t.header.hash())
        assert e.check


def test_trusted_state_with_both_sets_at_the_validator_limit_decodes():
    # The item budget of decode_trusted must cover a header and two sets of max_validators
    # (it was 7 items short: two full 150-validator sets failed with cbor_too_many_items).
    n = update.DEFAULT_LIMITS.max_validators
    pubs = [hashlib.sha256(b"limit" + bytes([i & 255, i >> 8])).digest() for i in range(n)]
    vals = valset.ValidatorSet(valset.sort_validators(
        [valset.Validator(valset.address_from_pubkey(T.ED25519, p), T.ED25519, p, 10 + i)
         for i, p in enumerate(pubs)]))
    h = T.Header(11, 1, "limit-chain", 5, 1700000000 * 1000000000,
                 T.BlockID(b"\x01" * 32, 1, b"\x02" * 32), b"", b"", vals.hash(), vals.hash(),
                 b"\x03" * 32, b"\x04" * 8, b"", b"", vals.address_at(0))
    state = TrustedState(h, vals, vals)
    data = trusted_at_rest.encode_trusted(state)
    back = trusted_at_rest.decode_trusted(data, h.hash())
    assert len(back.next_validators) == n and len(back.validators) == n
    assert back.validators.hash() == vals.hash()
    # One validator more than the limit is still refused, with a typed error.
    e = dual.raises(DecodeError, trusted_at_rest.decode_trusted, data, h.hash(),
                    update.Limits(max_validators=n - 1))
    assert e.check in ("cbor_too_many_items", "update_field_length"), e
