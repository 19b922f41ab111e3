# CometBFT validators as the light client needs them: addresses from public keys, the validator
# set with its hash (Merkle root of SimpleValidator encodings, cometbft types/validator.go,
# validator_set.go), and the packed set the chip keeps (one flat buffer per field), built
# incrementally by ValidatorPacker. Shared subset: CPython and MicroPython.

import hashlib

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.merkle import hash_from_byte_slices, inner_hash, leaf_hash, sha256
from lightclient.chip.core.types import (ADDRESS_SIZE, ED25519, INT64_MAX, MAX_TOTAL_VOTING_POWER,
                                         MAX_VALIDATORS, PUB_KEY_SIZES, SECP256K1, _PUB_KEY_FIELD)
from lightclient.chip.crypto import backend as crypto


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


def _simple_validator_prefix(key_type):
    """SimpleValidator's bytes up to the public key: field 1 (a tendermint.crypto.PublicKey, whose
    length is fixed by the key type) and the oneof member's key and length."""
    size = PUB_KEY_SIZES[key_type]
    pk_head = proto.uvarint((_PUB_KEY_FIELD[key_type] << 3) | proto.LEN) + proto.uvarint(size)
    return proto.uvarint((1 << 3) | proto.LEN) + proto.uvarint(len(pk_head) + size) + pk_head


# Built once: a validator's hash bytes are then one join (hashing a set builds one per validator).
_SV_PREFIX = {key_type: _simple_validator_prefix(key_type) for key_type in PUB_KEY_SIZES}


def simple_validator_bytes(key_type, pub_key, voting_power):
    """SimpleValidator{pub_key = 1, voting_power = 2}: what Validator.Bytes() returns and
    ValidatorSet.Hash puts into the Merkle tree. pub_key has its type's size (checked by the
    callers); a zero power is omitted, as proto3 does."""
    return b"".join((_SV_PREFIX[key_type], pub_key, proto.varint_field(2, voting_power)))


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

    def hash_bytes(self):
        return simple_validator_bytes(self.key_type, self.pub_key, self.voting_power)

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
        # bytes: the buffers may be the packer's bytearrays (key_at slices them)
        return Validator(self.address_at(i), key_type, bytes(pub_key), self._powers[i])

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
        return a if type(a) is bytes else bytes(a)  # bytes: an address is a dict key elsewhere

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
        # What Validator() checks, tested here without building one (a Validator and two checks
        # cost the chip several heap frames per validator); anything off goes to Validator()
        # for the same errors.
        if not (isinstance(pub_key, (bytes, bytearray))
                and PUB_KEY_SIZES.get(key_type) == len(pub_key) and 0 <= voting_power <= INT64_MAX):
            Validator(b"", key_type, pub_key, voting_power)
        i = self._n
        self._codes[i] = KEY_TYPE_CODES.index(key_type)
        off = _KEY_STRIDE * i
        self._keys[off:off + len(pub_key)] = pub_key
        digest = sha256(pub_key)  # the address, as address_from_pubkey
        self._addrs[ADDRESS_SIZE * i:ADDRESS_SIZE * i + ADDRESS_SIZE] = (
            memoryview(digest)[:ADDRESS_SIZE] if key_type == ED25519 else crypto.ripemd160(digest))
        self._powers[i] = voting_power
        self._root.add(simple_validator_bytes(key_type, pub_key, voting_power))
        self._n = i + 1

    def finish(self):
        n = self._n
        if n != len(self._codes):
            raise DecodeError("validator_count", "fewer validators added than announced",
                              count=n, expected=len(self._codes))
        # The buffers are handed on as they are (no immutable copies: on the chip's fixed heap
        # each copy is a few KB more to find contiguous room for, mid-update); the set takes
        # them over and nothing else writes them.
        addrs, self._addrs = self._addrs, None
        total = 0
        # An address can only repeat an earlier one with the same first two bytes: those (small
        # ints, nothing allocated) go in a set, and only a prefix seen before pays for the search
        # of the earlier addresses (a search for every address was quadratic: ~10 M
        # instructions per 100-validator set on the chip).
        seen = set()
        for i in range(n):
            k = ADDRESS_SIZE * i
            prefix = (addrs[k] << 8) | addrs[k + 1]
            if prefix in seen:
                a = addrs[k:k + ADDRESS_SIZE]
                if _find_slot(addrs, a, k) is not None:
                    raise DecodeError("validator_duplicate", "address appears twice in the set",
                                      address=a, index=i)
            seen.add(prefix)
            total += self._powers[i]
            if total > MAX_TOTAL_VOTING_POWER:
                raise DecodeError("voting_power_overflow",
                                  "total voting power exceeds MaxTotalVotingPower",
                                  total=total, limit=MAX_TOTAL_VOTING_POWER)
        codes, keys, self._codes, self._keys = self._codes, self._keys, None, None
        return PackedValidatorSet(codes, keys, addrs, self._powers, total, self._root.root())
