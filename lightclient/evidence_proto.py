"""The protobuf bytes of LightClientAttackEvidence (tendermint.types, CometBFT 0.38) from its JSON,
and the evidence hash a block header commits to: Header.evidence_hash is the RFC 6962 Merkle
root over each evidence's Bytes() (types.EvidenceList.Hash), so a verified header pins our
evidence byte for byte.

    LightClientAttackEvidence{conflicting_block LightBlock = 1, common_height int64 = 2,
        repeated byzantine_validators Validator = 3, total_voting_power int64 = 4,
        timestamp Timestamp = 5 (non-nullable)}
    LightBlock{signed_header SignedHeader = 1, validator_set ValidatorSet = 2}
    SignedHeader{header Header = 1, commit Commit = 2}
    ValidatorSet{repeated validators = 1, proposer = 2, total_voting_power = 3 (always 0:
        ValidatorSet.ToProto clears it)}
    Validator{address = 1, pub_key PublicKey = 2 (non-nullable), voting_power = 3,
        proposer_priority = 4};  PublicKey{oneof: ed25519 = 1, secp256k1 = 2}
"""

import hashlib

from lightclient.chip.core import proto
from lightclient.chip.core import rpcjson
from lightclient.chip.core import types as T
from lightclient.chip.core.merkle import hash_from_byte_slices
from lightclient.evidence import EVIDENCE_TYPE

_msg = proto.message_field
_PUB_KEY_FIELD = {T.ED25519: 1, T.SECP256K1: 2}


def header_bytes(h):
    b = proto.bytes_field
    version = proto.varint_field(1, h.version_block) + proto.varint_field(2, h.version_app)
    return (_msg(1, version, nullable=False) + b(2, h.chain_id) + proto.varint_field(3, h.height)
            + _msg(4, T.timestamp_bytes(h.time_ns), nullable=False)
            + _msg(5, h.last_block_id.encode(), nullable=False)
            + b(6, h.last_commit_hash) + b(7, h.data_hash) + b(8, h.validators_hash)
            + b(9, h.next_validators_hash) + b(10, h.consensus_hash) + b(11, h.app_hash)
            + b(12, h.last_results_hash) + b(13, h.evidence_hash) + b(14, h.proposer_address))


def commit_sig_bytes(cs):
    return (proto.varint_field(1, cs.flag) + proto.bytes_field(2, cs.validator_address)
            + _msg(3, T.timestamp_bytes(cs.timestamp_ns), nullable=False)
            + proto.bytes_field(4, cs.signature))


def commit_bytes(c):
    return (proto.varint_field(1, c.height) + proto.varint_field(2, c.round)
            + _msg(3, c.block_id.encode(), nullable=False)
            + b"".join(_msg(4, commit_sig_bytes(cs), nullable=False) for cs in c.signatures))


def validator_bytes(d):
    v = rpcjson.validator_from_json(d)
    pub = proto.bytes_field(_PUB_KEY_FIELD[v.key_type], v.pub_key)
    return (proto.bytes_field(1, v.address) + _msg(2, pub, nullable=False)
            + proto.varint_field(3, v.voting_power) + proto.varint_field(4, v.proposer_priority))


def attack_evidence_bytes(evidence):
    """Bytes() of the evidence given as its JSON ({"type", "value"}), in the JSON's order."""
    if evidence.get("type") != EVIDENCE_TYPE:
        raise ValueError("not a LightClientAttackEvidence: %r" % evidence.get("type"))
    v = evidence["value"]
    cb = v["ConflictingBlock"]
    sh = rpcjson.signed_header_from_json(cb["signed_header"])
    vs = cb["validator_set"]
    vset = b"".join(_msg(1, validator_bytes(x)) for x in vs["validators"])
    if vs.get("proposer") is not None:
        vset += _msg(2, validator_bytes(vs["proposer"]))
    light_block = (_msg(1, _msg(1, header_bytes(sh.header)) + _msg(2, commit_bytes(sh.commit)))
                   + _msg(2, vset))
    return (_msg(1, light_block) + proto.varint_field(2, int(v["CommonHeight"]))
            + b"".join(_msg(3, validator_bytes(x)) for x in v["ByzantineValidators"] or [])
            + proto.varint_field(4, int(v["TotalVotingPower"]))
            + _msg(5, T.timestamp_bytes(rpcjson.parse_rfc3339_ns(v["Timestamp"])),
                   nullable=False))


def evidence_hash(evidence_list):
    """Header.evidence_hash of a block holding these evidences (their JSON, in block order)."""
    return hash_from_byte_slices([attack_evidence_bytes(e) for e in evidence_list])


def evidence_id(evidence):
    """LightClientAttackEvidence.Hash(), what /broadcast_evidence answers: SHA-256 of the first
    31 bytes of the conflicting header's hash, a zero byte, and the common height as a signed
    (zigzag) varint (Go's binary.PutVarint), exactly as CometBFT 0.38 builds it."""
    v = evidence["value"]
    header = rpcjson.header_from_json(v["ConflictingBlock"]["signed_header"]["header"])
    common = int(v["CommonHeight"])
    zigzag = (common << 1) ^ (common >> 63)
    return hashlib.sha256(header.hash()[:31] + b"\x00" + proto.uvarint(zigzag)).digest()
