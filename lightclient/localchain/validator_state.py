"""What the chain's staking and slashing modules hold about a validator, read from verified
state: each value comes from /abci_query with its ICS23 proof, checked against the app_hash of
a header the caller verified (the state after block H is committed by header H+1).

Store keys (Cosmos SDK v0.53, x/staking/types/keys.go and x/slashing/types/keys.go; an
address is length-prefixed, address.MustLengthPrefix):
- staking 0x22 || len || consensus address -> the operator address (raw bytes)
- staking 0x21 || len || operator address  -> cosmos.staking.v1beta1.Validator
- slashing 0x01 || len || consensus address -> cosmos.slashing.v1beta1.ValidatorSigningInfo
The consensus address is CometBFT's validator address (the evidence names it), so the whole
path from a byzantine validator to its jailed flag and tokens is proven."""

from lightclient.chip.core import proof_chain, proto
from lightclient.chip.core.errors import VerificationError
from lightclient.localchain.devicetx import b64
from lightclient.records import parse_proof_ops

BONDED = 3   # BondStatus BOND_STATUS_BONDED


def _prefixed(prefix, address):
    return prefix + bytes([len(address)]) + bytes(address)


def proven_value(rpc, store, key, height, app_hash):
    """The value of `key` in `store` after block `height` (None: proven absent)."""
    resp = rpc.abci_query("/store/%s/key" % store, key, height, prove=True)
    if int(resp.get("code", 0)) != 0 or int(resp.get("height", -1)) != height:
        raise VerificationError("query_failed", "abci_query did not answer for the height",
                                store=store, height=height, code=resp.get("code"))
    value = b64(resp.get("value"))
    proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), app_hash, [store.encode(), key],
                                      value)
    return value


def decode_validator(value):
    """Validator -> {"operator_address", "jailed", "status", "tokens"} (tokens an int)."""
    fs = proto.fields(value)
    return {"operator_address": proto.get_one(fs, 1, proto.LEN, b"").decode(),
            "jailed": bool(proto.get_one(fs, 3, proto.VARINT, 0)),
            "status": proto.get_one(fs, 4, proto.VARINT, 0),
            "tokens": int(proto.get_one(fs, 5, proto.LEN, b"0").decode())}


def decode_signing_info(value):
    """ValidatorSigningInfo -> {"address", "tombstoned"}."""
    fs = proto.fields(value)
    return {"address": proto.get_one(fs, 1, proto.LEN, b"").decode(),
            "tombstoned": bool(proto.get_one(fs, 5, proto.VARINT, 0))}


def validator_by_consensus_address(rpc, cons_address, height, app_hash):
    """The staking Validator and slashing signing info of a CometBFT validator, proven after
    block `height` against `app_hash` (of verified header height + 1)."""
    operator = proven_value(rpc, "staking", _prefixed(b"\x22", cons_address), height, app_hash)
    if operator is None:
        raise VerificationError("validator_unknown", "no staking validator for the address",
                                address=bytes(cons_address).hex())
    record = proven_value(rpc, "staking", _prefixed(b"\x21", operator), height, app_hash)
    if record is None:
        raise VerificationError("validator_unknown", "no staking validator for the operator",
                                operator=operator.hex())
    val = decode_validator(record)
    info = proven_value(rpc, "slashing", _prefixed(b"\x01", cons_address), height, app_hash)
    val["tombstoned"] = decode_signing_info(info)["tombstoned"] if info else False
    return val
