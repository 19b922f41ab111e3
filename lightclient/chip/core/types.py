# CometBFT data types as the light client needs them, with the exact bytes CometBFT hashes and
# signs: Header.Hash (Merkle root of 14 proto-encoded fields), ValidatorSet.Hash (Merkle root of
# SimpleValidator encodings), BlockID and the length-prefixed CanonicalVote a validator signs.
# Reference: cometbft v0.38 types/block.go, types/validator.go, types/validator_set.go,
# types/vote.go, types/canonical.go, types/encoding_helper.go, proto/tendermint/types/*.proto.
# Time is an int: nanoseconds since the Unix epoch (UTC). Shared subset: CPython and MicroPython.

import hashlib

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.merkle import hash_from_byte_slices, inner_hash, leaf_hash
from lightclient.chip.crypto import backend as crypto

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


# --- validators -------------------------------------------------------------------------------

def address_from_pubkey(key_type, pub):
    """CometBFT address of a public key: ed25519 = SHA-256(pub)[:20];
    secp256k1 (33-byte compressed) = RIPEMD-160(SHA-256(pub))."""
    _check_pub_key(key_type, pub)
    digest = hashlib.sha256(pub).digest()
    if key_type == ED25519:
        return digest[:ADDRESS_SIZE]
    return crypto.ripemd160(digest)


def _check_pub_key(key_type, pub):
    size = PUB_KEY_SIZES.get(key_type)
    if size is None:
        raise DecodeError("pub_key_type", "unsupported public key type", key_type=key_type)
    if not isinstance(pub, (bytes, bytearray)) or len(pub) != size:
        raise DecodeError("pub_key_length", "public key has the wrong length", key_type=key_type,
                          length=len(pub) if isinstance(pub, (bytes, bytearray)) else -1,
                          expected=size)


class Validator:
    def __init__(self, address, key_type, pub_key, voting_power, proposer_priority=0):
        _check_pub_key(key_type, pub_key)
        if voting_power < 0:
            raise DecodeError("voting_power_negative", "validator has negative voting power",
                              address=address, voting_power=voting_power)
        if voting_power > INT64_MAX:
            raise DecodeError("voting_power_overflow", "voting power exceeds int64",
                              address=address, voting_power=voting_power)
        self.address = address
        self.key_type = key_type
        self.pub_key = pub_key
        self.voting_power = voting_power
        self.proposer_priority = proposer_priority

    def pub_key_bytes(self):
        # tendermint.crypto.PublicKey: a oneof, so the chosen member is emitted even when empty.
        return (proto.uvarint((_PUB_KEY_FIELD[self.key_type] << 3) | proto.LEN)
                + proto.uvarint(len(self.pub_key)) + self.pub_key)

    def hash_bytes(self):
        """SimpleValidator{pub_key = 1, voting_power = 2}: what Validator.Bytes() returns and
        ValidatorSet.Hash puts into the Merkle tree."""
        return (proto.message_field(1, self.pub_key_bytes())
                + proto.varint_field(2, self.voting_power))

    def __repr__(self):
        return "Validator(%s, %s, power=%d)" % (self.address.hex(), self.key_type,
                                                self.voting_power)


def _power_order(v):
    return (-v.voting_power, v.address)


def sort_validators(validators):
    """CometBFT's validator order (ValidatorsByVotingPower): voting power descending, then
    address ascending. A new list."""
    out = list(validators)
    out.sort(key=_power_order)
    return out


class ValidatorSet:
    """Validators in the order given, which is the order hashed. CometBFT keeps a set sorted
    (sort_validators) and a node serves it in that order; rpcjson sorts what it decodes."""

    def __init__(self, validators, proposer=None):
        if len(validators) > MAX_VALIDATORS:
            raise DecodeError("too_many_validators", "validator set is too large",
                              count=len(validators), limit=MAX_VALIDATORS)
        index = {}
        total = 0
        for i, v in enumerate(validators):
            if v.address in index:
                raise DecodeError("validator_duplicate", "address appears twice in the set",
                                  address=v.address, index=i)
            index[v.address] = i
            if v.voting_power < 0:
                raise DecodeError("voting_power_negative", "validator has negative voting power",
                                  address=v.address, voting_power=v.voting_power)
            total += v.voting_power
            if total > MAX_TOTAL_VOTING_POWER:
                raise DecodeError("voting_power_overflow",
                                  "total voting power exceeds MaxTotalVotingPower",
                                  total=total, limit=MAX_TOTAL_VOTING_POWER)
        self.validators = list(validators)
        self.proposer = proposer
        self.total_power = total
        self._index = index
        self._hash = None

    def hash(self):
        """CometBFT ValidatorSet.Hash: Merkle root over each validator's SimpleValidator bytes.
        An empty set hashes to SHA-256("") (the empty tree)."""
        if self._hash is None:
            self._hash = hash_from_byte_slices([v.hash_bytes() for v in self.validators])
        return self._hash

    def get(self, address):
        i = self._index.get(address)
        if i is None:
            return None
        return i, self.validators[i]

    def __len__(self):
        return len(self.validators)

    # Index accessors: what the verifier and the update codec use, so that PackedValidatorSet
    # can answer them without building a Validator object per validator.
    def index_of(self, address):
        """Index of the validator with this address, or None."""
        return self._index.get(address)

    def address_at(self, i):
        return self.validators[i].address

    def power_at(self, i):
        return self.validators[i].voting_power

    def key_at(self, i):
        """(key_type, pub_key) of validator i."""
        v = self.validators[i]
        return v.key_type, v.pub_key


KEY_TYPE_CODES = (ED25519, SECP256K1)  # compact code of a key type = its index here
_KEY_STRIDE = 33  # packed public keys: one slot per validator, large enough for either type


class PackedValidatorSet(ValidatorSet):
    """A ValidatorSet in four flat buffers instead of one Validator object per validator, for the
    microcontroller: public keys (33-byte slots), addresses (20 bytes each), key type codes and
    powers. About 60 bytes per validator on MicroPython instead of about 200. Same API as
    ValidatorSet: hash(), total_power, get(), len(), the index accessors, and `validators`, which
    here builds Validator objects on each access (for tools and tests; the core never uses it).
    Built by ValidatorPacker, which checks what ValidatorSet's constructor checks."""

    def __init__(self, codes, keys, addrs, powers, total, hash_):
        self._codes = codes
        self._keys = keys
        self._addrs = addrs
        self._powers = powers
        self.total_power = total
        self.proposer = None
        self._hash = hash_

    def _validator(self, i):
        key_type, pub_key = self.key_at(i)
        return Validator(self.address_at(i), key_type, pub_key, self._powers[i])

    @property
    def validators(self):
        return [self._validator(i) for i in range(len(self._codes))]

    def hash(self):
        return self._hash

    def get(self, address):
        i = self.index_of(address)
        if i is None:
            return None
        return i, self._validator(i)

    def __len__(self):
        return len(self._codes)

    def index_of(self, address):
        if len(address) != ADDRESS_SIZE:
            return None
        return _find_slot(self._addrs, address, len(self._addrs))

    def address_at(self, i):
        if i < 0:
            raise IndexError(i)
        a = self._addrs[ADDRESS_SIZE * i:ADDRESS_SIZE * i + ADDRESS_SIZE]
        if len(a) != ADDRESS_SIZE:
            raise IndexError(i)
        return a

    def power_at(self, i):
        return self._powers[i]

    def key_at(self, i):
        key_type = KEY_TYPE_CODES[self._codes[i]]
        off = _KEY_STRIDE * i
        return key_type, self._keys[off:off + PUB_KEY_SIZES[key_type]]


def _find_slot(buf, needle, end):
    """Index of `needle` (ADDRESS_SIZE bytes) at an ADDRESS_SIZE-aligned offset of buf[:end], or
    None. bytes.find runs in C; a hit that straddles two slots is skipped."""
    start = 0
    while True:
        j = buf.find(needle, start, end)
        if j < 0:
            return None
        if j % ADDRESS_SIZE == 0:
            return j // ADDRESS_SIZE
        start = j + 1


class _MerkleRoot:
    """The RFC 6962 root of leaves fed one at a time, equal to hash_from_byte_slices: a stack of
    perfect subtrees (sizes are the binary digits of the count), merged as they fill up and
    folded right to left at the end. Holds O(log n) hashes instead of n leaves."""

    def __init__(self):
        self.stack = []  # [size, hash], sizes strictly decreasing

    def add(self, item):
        h = leaf_hash(item)
        size = 1
        st = self.stack
        while st and st[-1][0] == size:
            h = inner_hash(st.pop()[1], h)
            size += size
        st.append((size, h))

    def root(self):
        st = self.stack
        if not st:
            return hash_from_byte_slices([])
        h = st[-1][1]
        for i in range(len(st) - 2, -1, -1):
            h = inner_hash(st[i][1], h)
        return h


class ValidatorPacker:
    """Builds a PackedValidatorSet from validators added one at a time (in the order hashed):
    add(key_type, pub_key, voting_power), then finish(). finish() runs ValidatorSet's checks in
    its order (per validator: duplicate address, then the running total against
    MaxTotalVotingPower) with the same errors, and the set's hash is computed while adding."""

    def __init__(self, count):
        if count > MAX_VALIDATORS:
            raise DecodeError("too_many_validators", "validator set is too large",
                              count=count, limit=MAX_VALIDATORS)
        self._codes = bytearray(count)
        self._keys = bytearray(_KEY_STRIDE * count)
        self._addrs = bytearray(ADDRESS_SIZE * count)
        self._powers = [0] * count
        self._n = 0
        self._root = _MerkleRoot()

    def add(self, key_type, pub_key, voting_power):
        v = Validator(b"", key_type, pub_key, voting_power)  # checks key and power
        i = self._n
        self._codes[i] = KEY_TYPE_CODES.index(key_type)
        off = _KEY_STRIDE * i
        self._keys[off:off + len(pub_key)] = pub_key
        self._addrs[ADDRESS_SIZE * i:ADDRESS_SIZE * i + ADDRESS_SIZE] = address_from_pubkey(
            key_type, pub_key)
        self._powers[i] = voting_power
        self._root.add(v.hash_bytes())
        self._n = i + 1

    def finish(self):
        n = self._n
        if n != len(self._codes):
            raise DecodeError("validator_count", "fewer validators added than announced",
                              count=n, expected=len(self._codes))
        addrs = bytes(self._addrs)
        self._addrs = None
        total = 0
        for i in range(n):
            a = addrs[ADDRESS_SIZE * i:ADDRESS_SIZE * i + ADDRESS_SIZE]
            if _find_slot(addrs, a, ADDRESS_SIZE * i) is not None:
                raise DecodeError("validator_duplicate", "address appears twice in the set",
                                  address=a, index=i)
            total += self._powers[i]
            if total > MAX_TOTAL_VOTING_POWER:
                raise DecodeError("voting_power_overflow",
                                  "total voting power exceeds MaxTotalVotingPower",
                                  total=total, limit=MAX_TOTAL_VOTING_POWER)
        return PackedValidatorSet(bytes(self._codes), bytes(self._keys), addrs, self._powers,
                                  total, self._root.root())


# --- commits and sign bytes -------------------------------------------------------------------

class CommitSig:
    def __init__(self, flag, validator_address, timestamp_ns, signature):
        self.flag = flag
        self.validator_address = validator_address
        self.timestamp_ns = timestamp_ns
        self.signature = signature

    def is_absent(self):
        return self.flag == BLOCK_ID_FLAG_ABSENT

    def for_block(self):
        return self.flag == BLOCK_ID_FLAG_COMMIT


class Commit:
    def __init__(self, height, round, block_id, signatures):
        self.height = height
        self.round = round
        self.block_id = block_id
        self.signatures = signatures

    # Index accessors: what the verifier and SignBytesBuilder use, so that PackedCommit can
    # answer them without a CommitSig object per vote.
    def size(self):
        return len(self.signatures) if self.signatures else 0

    def flag_at(self, i):
        return self.signatures[i].flag

    def address_at(self, i):
        return self.signatures[i].validator_address

    def timestamp_at(self, i):
        return self.signatures[i].timestamp_ns

    def signature_at(self, i):
        return self.signatures[i].signature


_TIME_SIZE = 9  # PackedCommit timestamps: ts - MIN_TIME_NS, unsigned big-endian (< 2^72)


class PackedCommit(Commit):
    """A Commit in flat buffers, for the microcontroller (the update decoder builds it): one flag
    byte and a 2-byte vote slot per validator, each vote's timestamp (9 bytes) and signature
    (64 bytes copied, or an offset into the update) packed in the order added, and the validator
    address taken from the block's validator set (`validators`, an address_at(i) provider) as
    the update format derives it. About 80 bytes per vote with copied signatures, about 15 with
    signatures read in place, instead of about 200. Only commit and nil votes are added; an
    index never added is absent. Same API as Commit: the accessors, and `signatures`, which
    here builds CommitSig objects on each access (for tools and tests; the core never uses it).
    Built with add(index, flag, timestamp_ns, signature) in increasing index order, or with
    add_ref(index, flag, timestamp_ns, source, offset) where the 64-byte signature is
    source[offset:offset + 64] of an immutable `bytes` (the update itself: no copy is kept)."""

    def __init__(self, height, round, block_id, validators, count, max_votes):
        self.height = height
        self.round = round
        self.block_id = block_id
        self._vals = validators
        self._flags = bytearray(b"\x01" * count)  # BLOCK_ID_FLAG_ABSENT
        self._slots = bytearray(2 * count)  # 1 + slot of each vote (big-endian), 0: absent
        self._times = bytearray(_TIME_SIZE * max_votes)
        self._max = max_votes
        self._src = None  # bytes the signatures are read from (add_ref), or our own copies
        self._offs = [0] * max_votes  # each vote's signature offset in _src
        self._n = 0

    def _put(self, index, flag, timestamp_ns):
        # Checked here, not left to the byte buffers: MicroPython stores a flag of 258 as 2 and
        # packs a negative time offset without complaint, where CPython raises (untyped).
        if flag != BLOCK_ID_FLAG_COMMIT and flag != BLOCK_ID_FLAG_NIL:
            raise DecodeError("block_id_flag", "a packed vote is a commit or a nil vote",
                              index=index, flag=flag)
        if timestamp_ns < MIN_TIME_NS or timestamp_ns > MAX_TIME_NS:
            raise DecodeError("timestamp_range", "time outside years 1..9999", index=index,
                              time_ns=timestamp_ns)
        j = self._n
        if j >= self._max or index < 0 or index >= len(self._flags):
            raise DecodeError("commit_pack", "vote does not fit the packed commit", index=index)
        self._flags[index] = flag
        self._slots[2 * index] = (j + 1) >> 8
        self._slots[2 * index + 1] = (j + 1) & 255
        self._times[_TIME_SIZE * j:_TIME_SIZE * j + _TIME_SIZE] = (
            timestamp_ns - MIN_TIME_NS).to_bytes(_TIME_SIZE, "big")
        self._n = j + 1
        return j

    def add(self, index, flag, timestamp_ns, signature):
        if len(signature) != 64 or (self._src is not None and
                                    not isinstance(self._src, bytearray)):
            raise DecodeError("commit_pack", "vote does not fit the packed commit", index=index)
        j = self._put(index, flag, timestamp_ns)
        if self._src is None:
            self._src = bytearray(64 * self._max)
        self._src[64 * j:64 * j + 64] = signature
        self._offs[j] = 64 * j

    def add_ref(self, index, flag, timestamp_ns, source, offset):
        if (not isinstance(source, bytes) or (self._src is not None and self._src is not source)
                or offset < 0 or offset + 64 > len(source)):
            raise DecodeError("commit_pack", "vote does not fit the packed commit", index=index)
        j = self._put(index, flag, timestamp_ns)
        self._src = source
        self._offs[j] = offset

    def _slot(self, i):
        if i < 0 or i >= len(self._flags):
            raise IndexError(i)
        return ((self._slots[2 * i] << 8) | self._slots[2 * i + 1]) - 1

    @property
    def signatures(self):
        return [CommitSig(self.flag_at(i), self.address_at(i), self.timestamp_at(i),
                          self.signature_at(i)) for i in range(len(self._flags))]

    def size(self):
        return len(self._flags)

    def flag_at(self, i):
        self._slot(i)  # bounds
        return self._flags[i]

    def address_at(self, i):
        if self._slot(i) < 0:
            return b""
        return self._vals.address_at(i)

    def timestamp_at(self, i):
        j = self._slot(i)
        if j < 0:
            return ZERO_TIME_NS
        return int.from_bytes(self._times[_TIME_SIZE * j:_TIME_SIZE * j + _TIME_SIZE],
                              "big") + MIN_TIME_NS

    def signature_at(self, i):
        j = self._slot(i)
        if j < 0:
            return b""
        off = self._offs[j]
        return bytes(self._src[off:off + 64])


class SignBytesBuilder:
    """The length-prefixed CanonicalVote of each signature of one commit. Everything but the
    timestamp (and whether the block id is present) is shared, so it is encoded once.

    CanonicalVote{type = 1 (enum, PRECOMMIT), height = 2 (sfixed64), round = 3 (sfixed64),
    block_id = 4 (CanonicalBlockID, omitted when nil), timestamp = 5 (non-nullable),
    chain_id = 6 (string)}, then protoio.MarshalDelimited (uvarint length prefix)."""

    def __init__(self, chain_id, commit):
        self.commit = commit
        self._head = (proto.varint_field(1, PRECOMMIT_TYPE)
                      + proto.sfixed64_field(2, commit.height)
                      + proto.sfixed64_field(3, commit.round))
        bid = commit.block_id
        # CanonicalizeBlockID: a zero BlockID becomes nil and is left out.
        self._block_id = b"" if bid.is_zero() else proto.message_field(4, bid.encode())
        self._tail = proto.bytes_field(6, chain_id)

    def for_index(self, index):
        flag = self.commit.flag_at(index)
        if flag == BLOCK_ID_FLAG_COMMIT:
            mid = self._block_id
        elif flag == BLOCK_ID_FLAG_NIL:
            mid = b""
        elif flag == BLOCK_ID_FLAG_ABSENT:
            raise DecodeError("commit_sig_absent", "an absent signature has no sign bytes",
                              index=index)
        else:
            raise DecodeError("block_id_flag", "unknown block id flag", index=index,
                              flag=flag)
        ts = proto.message_field(5, timestamp_bytes(self.commit.timestamp_at(index)),
                                 nullable=False)
        return proto.length_prefixed(self._head + mid + ts + self._tail)


def vote_sign_bytes(chain_id, commit, index):
    """CometBFT Commit.VoteSignBytes(chainID, index): what validator `index` signed."""
    return SignBytesBuilder(chain_id, commit).for_index(index)


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
