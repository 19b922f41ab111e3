# A block's commit as the light client needs it: the validators' CommitSigs, the packed commit
# the chip keeps, and the length-prefixed CanonicalVote each validator signed (cometbft
# types/block.go, types/vote.go, types/canonical.go). Shared subset: CPython and MicroPython.

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.types import (BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT,
                                         BLOCK_ID_FLAG_NIL, MAX_TIME_NS, MIN_TIME_NS,
                                         PRECOMMIT_TYPE, ZERO_TIME_NS, timestamp_bytes)


class CommitSig:
    def __init__(self, flag, validator_address, timestamp_ns, signature):
        self.flag = flag
        self.validator_address = validator_address
        self.timestamp_ns = timestamp_ns
        self.signature = signature


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
        if (not isinstance(source, (bytes, memoryview))
                or (self._src is not None and self._src is not source)
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
        block_id = b"" if bid.is_zero() else proto.message_field(4, bid.encode())
        # What precedes the timestamp for a COMMIT and for a NIL vote, and what follows it: each
        # vote's bytes are then one join (one allocation on the chip, not a chain of copies).
        self._pre_commit = self._head + block_id
        self._ts_key = proto.message_field(5, b"", nullable=False)[:-1]  # field 5, LEN
        self._tail = proto.bytes_field(6, chain_id)

    def for_index(self, index):
        flag = self.commit.flag_at(index)
        if flag == BLOCK_ID_FLAG_COMMIT:
            pre = self._pre_commit
        elif flag == BLOCK_ID_FLAG_NIL:
            pre = self._head
        elif flag == BLOCK_ID_FLAG_ABSENT:
            raise DecodeError("commit_sig_absent", "an absent signature has no sign bytes",
                              index=index)
        else:
            raise DecodeError("block_id_flag", "unknown block id flag", index=index,
                              flag=flag)
        # timestamp = 5 is non-nullable: always present, even when empty
        time_ns = self.commit.timestamp_at(index)
        seconds, nanos = divmod(time_ns, 1000000000)
        if seconds <= 0 or time_ns > MAX_TIME_NS:
            ts = timestamp_bytes(time_ns)  # checks the range; negative seconds, 64-bit
            secs = nanos_b = b""
        else:
            # Timestamp{seconds = 1, nanos = 2} as parts of the one join below (nanos omitted
            # when zero): what timestamp_bytes gives, without its intermediate copies.
            ts = _SECONDS_KEY
            secs = proto.uvarint(seconds)
            nanos_b = _NANOS_KEY + proto.uvarint(nanos) if nanos else b""
        ts_len = proto.uvarint(len(ts) + len(secs) + len(nanos_b))
        n = (len(pre) + len(self._ts_key) + len(ts_len) + len(ts) + len(secs) + len(nanos_b)
             + len(self._tail))
        return b"".join((proto.uvarint(n), pre, self._ts_key, ts_len, ts, secs, nanos_b,
                         self._tail))


_SECONDS_KEY = bytes(((1 << 3) | proto.VARINT,))
_NANOS_KEY = bytes(((2 << 3) | proto.VARINT,))


def vote_sign_bytes(chain_id, commit, index):
    """CometBFT Commit.VoteSignBytes(chainID, index): what validator `index` signed."""
    return SignBytesBuilder(chain_id, commit).for_index(index)
