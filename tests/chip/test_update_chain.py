"""Compact updates on CPython with chains from lightclient/scenarionet/chain.py: round trips for 21 and 100
validators (Ed25519 and secp256k1), validator-set changes, skipping steps and the trust level,
the signature selection, fuzzing of decode_update / apply_update (only typed errors, never a
forged state), and the example in docs/compact-update.md.

`python tests/chip/test_update_chain.py` prints the doc example (hex and diagnostic notation)."""

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
for p in (REPO, REPO / "tests" / "chip" / "core"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from lightclient.chip.core import cbor, update  # noqa: E402
from lightclient.chip.core import update_encode  # noqa: E402
from lightclient.chip.core import types as T  # noqa: E402
from lightclient.chip.core.errors import (DecodeError, LightClientError, NotEnoughTrust,  # noqa: E402
                                     VerificationError)
from lightclient.chip.crypto.pure import verify as pure_verify  # noqa: E402
from lightclient.chip.core.verifier import Options, TrustedState, verify_step  # noqa: E402
from lightclient.scenarionet.chain import SECOND, Chain, fast_verify, make_validators  # noqa: E402

START = 1_700_000_000 * SECOND
OPTS = Options(14 * 24 * 3600 * SECOND)


def _trusted(b):
    return TrustedState(b.signed_header.header, b.next_validators, b.validators)


def _now(chain):
    return chain.blocks[chain.height].header.time_ns + SECOND


def _same_block(decoded, block, sent):
    """The decoded block equals the original in everything hashed; its commit holds exactly the
    sent votes, with their original data, and absent entries elsewhere."""
    h, d = block.signed_header.header, decoded.signed_header.header
    assert d.__dict__ == h.__dict__
    assert d.hash() == h.hash()
    assert decoded.validators.hash() == block.validators.hash()
    assert decoded.next_validators.hash() == block.header.next_validators_hash
    c, dc = block.signed_header.commit, decoded.signed_header.commit
    assert (dc.height, dc.round, dc.block_id) == (c.height, c.round, c.block_id)
    for i, (x, y) in enumerate(zip(c.signatures, dc.signatures)):
        if i in sent:
            assert (x.flag, x.validator_address, x.timestamp_ns, x.signature) == (
                y.flag, y.validator_address, y.timestamp_ns, y.signature)
        else:
            assert y.flag == T.BLOCK_ID_FLAG_ABSENT


def _sent(data, step=0):
    return {e[0] for e in cbor.loads(data)[update.K_STEPS][step][update.S_SIGNATURES]}


@pytest.mark.parametrize("n,key_type", [(21, T.ED25519), (21, T.SECP256K1), (100, T.ED25519),
                                        (100, T.SECP256K1)])
def test_round_trip_adjacent(n, key_type):
    c = Chain("rt-%d" % n, make_validators(n, key_type, power=lambda i: 5 + i % 7), START)
    blocks = c.run(3)
    trusted = _trusted(blocks[0])
    data = update_encode.encode_update(blocks[1:], trusted)
    decoded = update.decode_update(data, trusted)
    for i, (d, b) in enumerate(zip(decoded, blocks[1:])):
        _same_block(d, b, _sent(data, i))
    verify = pure_verify if n == 21 else fast_verify
    state = update.apply_update(trusted, data, OPTS, _now(c), verify)
    assert state.header.hash() == blocks[2].header.hash()


def test_only_the_needed_signatures_are_sent():
    powers = [50, 40, 30, 20, 10, 5, 5, 5]
    c = Chain("few", make_validators(8, power=lambda i: powers[i]), START)
    b1, b2 = c.run(2)
    sent = sorted(_sent(update_encode.encode_update([b2], _trusted(b1))))
    # 165 total, needs > 110: 50 + 40 + 30 = 120
    assert sent == [0, 1, 2]
    full = update_encode.encode_update([b2], _trusted(b1), all_signatures=True)
    assert sorted(_sent(full)) == list(range(8))
    assert update.apply_update(_trusted(b1), full, OPTS, _now(c), pure_verify).header.height == 2


def test_validator_set_change_adjacent_100():
    vals = make_validators(100)
    c = Chain("chg", vals, START)
    c.schedule_change(2, add=make_validators(3, tag=b"j"), remove=[v[1] for v in vals[:2]],
                      power={vals[50][1]: 99})
    b1, b2, b3 = c.run(3)
    trusted = _trusted(b1)
    data = update_encode.encode_update([b2], trusted)
    m = cbor.loads(data)[update.K_STEPS][0]
    assert update.S_NEXT_VALIDATORS in m and update.S_VALIDATORS not in m
    s2 = update.apply_update(trusted, data, OPTS, _now(c), fast_verify)
    assert s2.next_validators.hash() == b3.validators.hash()
    data3 = update_encode.encode_update([b3], s2)
    m3 = cbor.loads(data3)[update.K_STEPS][0]
    assert update.S_VALIDATORS not in m3 and update.S_NEXT_VALIDATORS not in m3
    s3 = update.apply_update(s2, data3, OPTS, _now(c), fast_verify)
    assert s3.header.hash() == b3.header.hash()
    # Both steps in one update: same result.
    s = update.apply_update(trusted, update_encode.encode_update([b2, b3], trusted), OPTS, _now(c),
                            fast_verify)
    assert s.header.hash() == b3.header.hash()


def _half_replaced_chain():
    """100 validators of power 10; at 2, 50 of them are replaced by 50 new ones of power 11, so
    the highest-power signers of the new set are mostly validators the old set does not know."""
    vals = make_validators(100)
    c = Chain("skip", vals, START)
    c.schedule_change(2, remove=[v[1] for v in vals[::2]],
                      add=make_validators(50, tag=b"n", power=11))
    c.run(4)
    return c


def test_skipping_step_sends_enough_trusted_signers():
    c = _half_replaced_chain()
    trusted = _trusted(c.blocks[1])
    data = update_encode.encode_update([c.blocks[4]], trusted)
    sent = _sent(data)
    vals = c.blocks[4].validators.validators
    old = [i for i in sent if trusted.next_validators.get(vals[i].address) is not None]
    # 2/3 of the new set (1050, needs > 700): the 50 new (550) and 16 old (160); then 18 more
    # old ones for the trust level (> 333 of the trusted 1000): 34 old in all.
    assert len(old) == 34 and len(sent) == 84
    adjacent_only = update_encode.encode_update([c.blocks[4]], TrustedState(
        c.blocks[3].header, c.blocks[3].next_validators))
    assert len(_sent(adjacent_only)) == 66  # without the trust level: 2/3 alone
    s = update.apply_update(trusted, data, OPTS, _now(c), fast_verify)
    assert s.header.hash() == c.blocks[4].header.hash()
    # The same step with only the 2/3 votes does not reach the trusted set's 1/3:
    obj = cbor.loads(data)
    lean = update_encode.select_signatures(c.blocks[4], trusted.next_validators, 1, 3, False)
    obj[update.K_STEPS][0][update.S_SIGNATURES] = [
        e for e in obj[update.K_STEPS][0][update.S_SIGNATURES] if e[0] in lean]
    old_lean = [i for i in lean if trusted.next_validators.get(vals[i].address) is not None]
    assert len(lean) == 66 and len(old_lean) == 16
    with pytest.raises(NotEnoughTrust) as e:
        update.apply_update(trusted, cbor.dumps(obj), OPTS, _now(c), fast_verify)
    assert e.value.details["signed_power"] == 160


def test_skipping_with_a_higher_trust_level():
    c = _half_replaced_chain()
    trusted = _trusted(c.blocks[1])
    # trust level 2/3 needs > 666 of the old power, only 500 of it is still there
    data = update_encode.encode_update([c.blocks[4]], trusted, trust_level=(2, 3))
    with pytest.raises(NotEnoughTrust) as e:
        update.apply_update(trusted, data, Options(OPTS.trusting_period_ns, 2, 3), _now(c),
                            fast_verify)
    assert e.value.details["signed_power"] == 500 and e.value.details["needed"] == 666
    # adjacent steps instead: fine
    s = update.apply_update(trusted, update_encode.encode_update(
        [c.blocks[2], c.blocks[3], c.blocks[4]], trusted, (2, 3)),
        Options(OPTS.trusting_period_ns, 2, 3), _now(c), fast_verify)
    assert s.header.height == 4


def test_skipping_step_with_a_changed_set_carries_it():
    c = _half_replaced_chain()
    trusted = _trusted(c.blocks[1])
    m = cbor.loads(update_encode.encode_update([c.blocks[3]], trusted))[update.K_STEPS][0]
    assert update.S_VALIDATORS in m and update.S_LAST_BLOCK_HASH in m


def test_update_equals_verifying_the_full_light_block():
    c = Chain("eq", make_validators(7) + make_validators(3, "secp256k1"), START)
    c.schedule_change(3, remove=[make_validators(7)[0][1]])
    blocks = c.run(5)
    trusted = _trusted(blocks[0])
    direct = trusted
    for b in blocks[1:]:
        direct = verify_step(direct, b, OPTS, _now(c))
    s = update.apply_update(trusted, update_encode.encode_update(blocks[1:], trusted), OPTS, _now(c))
    assert s.header.__dict__ == direct.header.__dict__
    assert s.next_validators.hash() == direct.next_validators.hash()


def test_encoder_refuses_inconsistent_blocks():
    c = Chain("bad", make_validators(4), START)
    b1, b2 = c.run(2)
    other = Chain("bad", make_validators(5, tag=b"o"), START).next_block()
    broken = T.LightBlock(b2.signed_header, other.validators, b2.next_validators)
    with pytest.raises(DecodeError) as e:
        update_encode.encode_update([broken], _trusted(b1))
    assert e.value.check == "update_encode"


def test_sizes_against_json():
    import json

    from lightclient.scenarionet.chain import to_rpc_json

    c = Chain("size", make_validators(100), START)
    c.schedule_change(2, add=make_validators(1, tag=b"j"))
    b1, b2 = c.run(2)
    data = update_encode.encode_update([b2], _trusted(b1))
    j = to_rpc_json(b2)
    json_bytes = sum(len(json.dumps(j[k]).encode()) for k in j)
    assert len(data) * 5 < json_bytes
    assert len(data) <= update.DEFAULT_LIMITS.max_bytes


# --- fuzzing ---------------------------------------------------------------------------------

_FZ = Chain("fuzz", make_validators(3) + make_validators(1, "secp256k1"), START)
_FZ.schedule_change(2, add=make_validators(1, tag=b"f"))
_FZ.run(3)
_FZ_TRUSTED = _trusted(_FZ.blocks[1])
_FZ_DATA = update_encode.encode_update([_FZ.blocks[2], _FZ.blocks[3]], _FZ_TRUSTED)
_FZ_GOOD = _FZ.blocks[3].header.hash()
_SMALL = update.Limits(max_bytes=4096, max_steps=3, max_validators=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_decode_random_bytes(data):
    try:
        update.decode_update(data, _FZ_TRUSTED, _SMALL)
    except LightClientError:
        pass


@st.composite
def _mutated(draw):
    data = bytearray(_FZ_DATA)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            data = data[:pos]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 8))]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzz_mutated_updates_never_forge_a_state(data):
    try:
        s = update.apply_update(_FZ_TRUSTED, data, OPTS, _now(_FZ), fast_verify, _SMALL)
    except LightClientError:
        return
    # Anything accepted is the honest chain (a mutation that changes nothing verified).
    assert s.header.hash() in (_FZ_GOOD, _FZ.blocks[2].header.hash())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers(-2 ** 64, 2 ** 64 - 1)
                    | st.binary(max_size=40) | st.text(max_size=5),
                    lambda ch: st.lists(ch, max_size=5) | st.dictionaries(
                        st.integers(0, 25), ch, max_size=5), max_leaves=30))
def test_fuzz_decode_structured(obj):
    for doc in (obj, {0: 1, 1: [obj]}, {0: 1, 1: [{1: 2, 2: START, 5: [1, b""], 14: 0,
                                                   21: [1, b""], 22: obj}]}):
        try:
            data = cbor.dumps(doc, 16)
        except DecodeError:
            continue
        try:
            update.decode_update(data, _FZ_TRUSTED, _SMALL)
        except LightClientError:
            pass


# --- the example in docs/compact-update.md ----------------------------------------------------

def _diag(x, indent=0):
    pad = "  " * indent
    if isinstance(x, dict):
        names = update.FIELD_NAMES if indent >= 2 else {0: "version", 1: "steps", 2: "proofs"}
        items = []
        for j, (k, v) in enumerate(x.items()):
            items.append("%s  %d: %s%s  / %s /" % (pad, k, _diag(v, indent + 1).lstrip(),
                                                    "," if j < len(x) - 1 else "",
                                                    names.get(k, "?")))
        return pad + "{\n" + "\n".join(items) + "\n" + pad + "}"
    if isinstance(x, list):
        inner = [_diag(v, indent + 1) for v in x]
        if all("\n" not in s for s in inner) and sum(len(s.strip()) for s in inner) < 60:
            return pad + "[" + ", ".join(s.strip() for s in inner) + "]"
        return pad + "[\n" + ",\n".join(inner) + "\n" + pad + "]"
    if isinstance(x, bytes):
        return pad + "h'" + x.hex() + "'"
    return pad + str(x)


def render_example():
    import fixtures.upd4 as fx  # tests/chip/core/fixtures, on sys.path above

    data = bytes.fromhex(fx.CASES["adjacent"][0])
    hexs = data.hex()
    lines = [hexs[i:i + 64] for i in range(0, len(hexs), 64)]
    return len(data), "\n".join(lines), _diag(cbor.loads(data))


def test_doc_example_is_the_fixture():
    n, hexs, diag = render_example()
    doc = (REPO / "docs" / "compact-update.md").read_text()
    assert "```\n" + hexs + "\n```" in doc, "regenerate: python tests/chip/test_update_chain.py"
    assert "```\n" + diag + "\n```" in doc
    assert "(%d bytes)" % n in doc


if __name__ == "__main__":
    n, hexs, diag = render_example()
    print("(%d bytes)\n```\n%s\n```\n\n```\n%s\n```" % (n, hexs, diag))
