# CometBFT data types as the light client needs them, with the exact bytes CometBFT hashes:
# Header.Hash (Merkle root of 14 proto-encoded fields), BlockID, the signed header and light
# block; validators are valset.py, commits and vote sign bytes votes.py.
# Reference: cometbft v0.38 types/block.go, types/validator.go, types/validator_set.go,
# types/vote.go, types/canonical.go, types/encoding_helper.go, proto/tendermint/types/*.proto.
# Time is an int: nanoseconds since the Unix epoch (UTC). Shared subset: CPython and MicroPython.

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.merkle import hash_from_byte_slices

BLOCK_ID_FLAG_ABSENT = 1
BLOCK_ID_FLAG_COMMIT = 2
BLOCK_ID_FLAG_NIL = 3

PRECOMMIT_TYPE = 2  # SignedMsgType SIGNED_MSG_TYPE_PRECOMMIT

ED25519 = "ed25519"
SECP256K1 = "secp256k1"
PUB_KEY_SIZES = {ED25519: 32, SECP256K1: 33}
_PUB_KEY_FIELD = {ED25519: 1, SECP256K1: 2}  # tendermint.crypto.PublicKey oneof field numbers

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
INT32_MAX = (1 << 31) - 1
INT32_MIN = -(1 << 31)
MAX_TOTAL_VOTING_POWER = INT64_MAX // 8  # types/validator_set.go MaxTotalVotingPower
MAX_CHAIN_ID_LEN = 50  # types/block.go MaxChainIDLen
MAX_VALIDATORS = 10000
MAX_SIGNATURES = 10000
ADDRESS_SIZE = 20
HASH_SIZE = 32

# Range of google.protobuf.Timestamp (0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z);
# Go's StdTimeMarshal refuses anything outside, so no CometBFT hash or signature covers it.
MIN_TIME_NS = -62135596800 * 1000000000
MAX_TIME_NS = 253402300799 * 1000000000 + 999999999
ZERO_TIME_NS = MIN_TIME_NS  # Go's time.Time{} (IsZero), the timestamp of an absent CommitSig


def timestamp_bytes(time_ns):
    """google.protobuf.Timestamp for a time in ns since the epoch (seconds floor, nanos >= 0)."""
    if time_ns < MIN_TIME_NS or time_ns > MAX_TIME_NS:
        raise DecodeError("timestamp_range", "time outside years 1..9999", time_ns=time_ns)
    seconds, nanos = divmod(time_ns, 1000000000)
    return proto.timestamp(seconds, nanos)


class BlockID:
    """BlockID{Hash, PartSetHeader{Total, Hash}}."""

    def __init__(self, hash, part_set_total, part_set_hash):
        self.hash = hash
        self.part_set_total = part_set_total
        self.part_set_hash = part_set_hash

    def part_set_header_bytes(self):
        # PartSetHeader and CanonicalPartSetHeader: uint32 total = 1, bytes hash = 2.
        return proto.varint_field(1, self.part_set_total) + proto.bytes_field(2, self.part_set_hash)

    def encode(self):
        """proto BlockID; the part_set_header is non-nullable, so it is always emitted. The same
        bytes are CanonicalBlockID (same field numbers and types)."""
        return proto.bytes_field(1, self.hash) + proto.message_field(
            2, self.part_set_header_bytes(), nullable=False)

    def is_zero(self):
        return not self.hash and self.part_set_total == 0 and not self.part_set_hash

    def __eq__(self, other):
        return (isinstance(other, BlockID) and self.hash == other.hash
                and self.part_set_total == other.part_set_total
                and self.part_set_hash == other.part_set_hash)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "BlockID(%s, %d, %s)" % (self.hash.hex(), self.part_set_total,
                                        self.part_set_hash.hex())


def zero_block_id():
    return BlockID(b"", 0, b"")


class Header:
    HASHED_FIELDS = ("version", "chain_id", "height", "time", "last_block_id",
                     "last_commit_hash", "data_hash", "validators_hash", "next_validators_hash",
                     "consensus_hash", "app_hash", "last_results_hash", "evidence_hash",
                     "proposer_address")

    def __init__(self, version_block, version_app, chain_id, height, time_ns, last_block_id,
                 last_commit_hash, data_hash, validators_hash, next_validators_hash,
                 consensus_hash, app_hash, last_results_hash, evidence_hash, proposer_address):
        self.version_block = version_block
        self.version_app = version_app
        self.chain_id = chain_id
        self.height = height
        self.time_ns = time_ns
        # Go's Header.LastBlockID is a value, never nil: JSON null decodes to the zero BlockID.
        self.last_block_id = last_block_id if last_block_id is not None else zero_block_id()
        self.last_commit_hash = last_commit_hash
        self.data_hash = data_hash
        self.validators_hash = validators_hash
        self.next_validators_hash = next_validators_hash
        self.consensus_hash = consensus_hash
        self.app_hash = app_hash
        self.last_results_hash = last_results_hash
        self.evidence_hash = evidence_hash
        self.proposer_address = proposer_address

    def field_leaves(self):
        """The 14 byte strings Header.Hash puts into the Merkle tree, in order."""
        b = proto.bytes_field
        return [
            proto.varint_field(1, self.version_block) + proto.varint_field(2, self.version_app),
            b(1, self.chain_id),                     # StringValue
            proto.varint_field(1, self.height),      # Int64Value
            timestamp_bytes(self.time_ns),           # Timestamp (StdTimeMarshal)
            self.last_block_id.encode(),             # BlockID, non-nullable part_set_header
            b(1, self.last_commit_hash),             # BytesValue ...
            b(1, self.data_hash),
            b(1, self.validators_hash),
            b(1, self.next_validators_hash),
            b(1, self.consensus_hash),
            b(1, self.app_hash),
            b(1, self.last_results_hash),
            b(1, self.evidence_hash),
            b(1, self.proposer_address),
        ]

    def hash(self):
        """CometBFT Header.Hash. None (Go's nil) when validators_hash is empty, as CometBFT does:
        such a header has no hash and matches no block id."""
        if not self.validators_hash:
            return None
        return hash_from_byte_slices(self.field_leaves())

    def copy(self, **changes):
        """A copy with some attributes replaced (for tests and tools)."""
        h = Header(self.version_block, self.version_app, self.chain_id, self.height,
                   self.time_ns, self.last_block_id, self.last_commit_hash, self.data_hash,
                   self.validators_hash, self.next_validators_hash, self.consensus_hash,
                   self.app_hash, self.last_results_hash, self.evidence_hash,
                   self.proposer_address)
        for k, v in changes.items():
            if not hasattr(h, k):
                raise AttributeError(k)
            setattr(h, k, v)
        return h


class SignedHeader:
    def __init__(self, header, commit):
        self.header = header
        self.commit = commit


class LightBlock:
    def __init__(self, signed_header, validators, next_validators=None):
        self.signed_header = signed_header
        self.validators = validators
        self.next_validators = next_validators

    @property
    def header(self):
        return self.signed_header.header

    @property
    def commit(self):
        return self.signed_header.commit

    @property
    def height(self):
        return self.signed_header.header.height
