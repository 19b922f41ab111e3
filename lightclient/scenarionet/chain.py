"""A synthetic CometBFT chain with real signatures, for tests, benchmarks and the local network.

CPython only (uses `cryptography` for Ed25519 and `coincurve` for secp256k1 signing).

    from lightclient.scenarionet.chain import Chain, to_rpc_json
    chain = Chain("test-chain", [("ed25519", b"\\x01" * 32, 10), ("secp256k1", b"\\x02" * 32, 5)],
                  start_time_ns=1_700_000_000 * 10**9)
    b1 = chain.next_block(app_hash=b"\\x00" * 8)            # height 1, everybody signs
    chain.schedule_change(3, add=[("ed25519", b"\\x03" * 32, 7)], remove=[b"\\x02" * 32])
    b2 = chain.next_block(app_hash=b"...", signers=[0])    # only validator #0 signs, others absent
    rpc = to_rpc_json(b2)  # {"commit": /commit answer, "validators": ..., "next_validators": ...}

What is real and what is simplified:
- Real: header hash, validator-set hashes (sets sorted as CometBFT sorts them: power descending,
  then address ascending), last_block_id (hash and part-set header of the previous block),
  last_commit_hash (Merkle root of the previous commit's CommitSig encodings, as Commit.Hash),
  every vote signature over the exact CanonicalVote sign bytes (lightclient.chip.core.types).
- Validator-set changes: a change scheduled at height H is in next_validators of H and becomes
  the validators of H+1 (simpler than CometBFT's H+2 delay, and consistent, so the verifier
  accepts every adjacent step).
- Simplified: the proposer is chosen round-robin by height over the sorted set (not CometBFT's
  weighted round robin); proposer_priority is 0; evidence_hash is the empty-tree hash, and so
  are data_hash and last_results_hash unless next_block is given them; consensus_hash is a fixed hash; the part-set header of a block is
  (1, SHA-256("parts" || header hash)). Vote timestamps are header time + 1 s + index ms.
"""

from __future__ import annotations

import base64
import hashlib

from lightclient import native
from lightclient.chip.core import proto
from lightclient.chip.core import types as T
from lightclient.chip.core import votes
from lightclient.chip.core import valset
from lightclient.chip.core.merkle import hash_from_byte_slices

SECOND = 1_000_000_000
EMPTY_HASH = hashlib.sha256(b"").digest()
CONSENSUS_HASH = hashlib.sha256(b"lightclient.devnet.chain consensus params").digest()

RPC_KEY_TYPE = {T.ED25519: "tendermint/PubKeyEd25519", T.SECP256K1: "tendermint/PubKeySecp256k1"}

__all__ = ["Key", "Chain", "to_rpc_json", "format_rfc3339_ns", "fast_verify", "make_validators",
           "sign_commit", "block_id_of"]


# --- keys ---------------------------------------------------------------------------------------

class Key:
    """A validator key from a 32-byte seed (Ed25519 seed, or secp256k1 secret)."""

    def __init__(self, key_type: str, seed: bytes):
        if len(seed) != 32:
            raise ValueError("seed must be 32 bytes")
        self.key_type = key_type
        self.seed = bytes(seed)
        if key_type == T.ED25519:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

            self._sk = Ed25519PrivateKey.from_private_bytes(self.seed)
            self.pub_key = self._sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        elif key_type == T.SECP256K1:
            import coincurve

            self._sk = coincurve.PrivateKey(self.seed)
            self.pub_key = self._sk.public_key.format(compressed=True)
        else:
            raise ValueError("unsupported key type %r" % key_type)
        self.address = valset.address_from_pubkey(key_type, self.pub_key)

    def sign(self, message: bytes) -> bytes:
        if self.key_type == T.ED25519:
            return self._sk.sign(message)
        # libsecp256k1 signs SHA-256(message) with RFC 6979 nonces and always emits low s;
        # the compact recoverable form is r || s || recid.
        return self._sk.sign_recoverable(message, hasher=lambda m: hashlib.sha256(m).digest())[:64]


def make_validators(n, key_type=T.ED25519, power=10, tag=b"v"):
    """n validator specs (key_type, seed, power) with distinct deterministic seeds."""
    out = []
    for i in range(n):
        seed = hashlib.sha256(tag + key_type.encode() + i.to_bytes(4, "big")).digest()
        p = power(i) if callable(power) else power
        out.append((key_type, seed, p))
    return out


# Tests and benchmarks check this chain's signatures with the project's native backend, which
# keeps CometBFT's acceptance rules exactly (lightclient.native).
fast_verify = native.verify


# --- the chain ----------------------------------------------------------------------------------

def _commit_sig_bytes(cs: votes.CommitSig) -> bytes:
    # tendermint.types.CommitSig{block_id_flag = 1, validator_address = 2, timestamp = 3
    # (non-nullable), signature = 4}: what Commit.Hash puts into its Merkle tree.
    return (proto.varint_field(1, cs.flag) + proto.bytes_field(2, cs.validator_address)
            + proto.message_field(3, T.timestamp_bytes(cs.timestamp_ns), nullable=False)
            + proto.bytes_field(4, cs.signature))


def commit_hash(commit: votes.Commit) -> bytes:
    return hash_from_byte_slices([_commit_sig_bytes(cs) for cs in commit.signatures])


def block_id_of(header_hash):
    """The block id of a header: one part, whose hash is SHA-256("parts" || header hash)."""
    return T.BlockID(header_hash, 1, hashlib.sha256(b"parts" + header_hash).digest())


def sign_commit(header, block_id, vals, key_for, signers=None, nil=(), round=0):
    """A commit for (header, block_id) by `vals`: the validators at indices `signers` (default:
    all not in `nil`) sign for the block, those in `nil` vote nil, everyone else is absent;
    key_for(address) -> Key. Vote timestamps are header time + 1 s + index ms."""
    nil = set(nil)
    if signers is None:
        signers = [i for i in range(len(vals)) if i not in nil]
    signers = set(signers)
    if signers & nil:
        raise ValueError("a validator cannot both sign and vote nil")
    sigs = []
    for i, v in enumerate(vals.validators):
        ts = header.time_ns + SECOND + i * 1_000_000
        if i in signers:
            sigs.append(votes.CommitSig(T.BLOCK_ID_FLAG_COMMIT, v.address, ts, b""))
        elif i in nil:
            sigs.append(votes.CommitSig(T.BLOCK_ID_FLAG_NIL, v.address, ts, b""))
        else:
            sigs.append(votes.CommitSig(T.BLOCK_ID_FLAG_ABSENT, b"", T.ZERO_TIME_NS, b""))
    commit = votes.Commit(header.height, round, block_id, sigs)
    builder = votes.SignBytesBuilder(header.chain_id, commit)
    for i, cs in enumerate(sigs):
        if cs.flag != T.BLOCK_ID_FLAG_ABSENT:
            cs.signature = key_for(cs.validator_address).sign(builder.for_index(i))
    return commit


class Chain:
    """Consecutive light blocks of one chain, signed by real keys.

    validators: [(key_type, seed, power), ...]. Blocks start at `initial_height` (default 1, whose
    last_block_id is zero). Produced blocks are kept in `self.blocks` (height -> LightBlock)."""

    def __init__(self, chain_id, validators, start_time_ns, block_interval_ns=5 * SECOND,
                 initial_height=1, version_app=1):
        self.chain_id = chain_id
        self.start_time_ns = start_time_ns
        self.block_interval_ns = block_interval_ns
        self.initial_height = initial_height
        self.version_app = version_app
        self.keys = {}  # address -> Key
        self._current = self._make_set(validators)
        self._changes = {}  # height -> list of (op, ...)
        self.blocks = {}
        self.height = initial_height - 1
        self._last_block_id = T.zero_block_id()
        self._last_commit = None

    # validator sets
    def _make_set(self, specs):
        vals = []
        for key_type, seed, power in specs:
            k = Key(key_type, seed)
            self.keys[k.address] = k
            vals.append(valset.Validator(k.address, key_type, k.pub_key, power))
        return valset.ValidatorSet(valset.sort_validators(vals))

    def _address_of(self, who):
        if isinstance(who, Key):
            return who.address
        if len(who) == T.ADDRESS_SIZE:
            return bytes(who)
        for k in self.keys.values():  # a seed
            if k.seed == bytes(who):
                return k.address
        raise KeyError("unknown validator %r" % (who,))

    def schedule_change(self, height, add=(), remove=(), power=None):
        """At `height`: add validators [(key_type, seed, power)], remove validators (seed, address
        or Key), change powers {seed or address: new power}. The change shows in next_validators
        of `height` and in validators of `height` + 1."""
        self._changes.setdefault(height, []).append((list(add), list(remove), dict(power or {})))

    def _apply_changes(self, vset, height):
        if height not in self._changes:
            return vset
        by_addr = {v.address: v for v in vset.validators}
        for add, remove, power in self._changes[height]:
            for who in remove:
                by_addr.pop(self._address_of(who), None)
            for who, p in power.items():
                a = self._address_of(who)
                v = by_addr[a]
                by_addr[a] = valset.Validator(a, v.key_type, v.pub_key, p)
            for key_type, seed, p in add:
                k = Key(key_type, seed)
                self.keys[k.address] = k
                by_addr[k.address] = valset.Validator(k.address, key_type, k.pub_key, p)
        vals = [v for v in by_addr.values() if v.voting_power > 0]
        return valset.ValidatorSet(valset.sort_validators(vals))

    def index_of(self, who, height):
        """Index of a validator (seed, address or Key) in the validator set of `height`."""
        a = self._address_of(who)
        return self.blocks[height].validators.get(a)[0]

    def time_at(self, height):
        return self.start_time_ns + (height - self.initial_height) * self.block_interval_ns

    # blocks
    def next_block(self, app_hash=b"", signers=None, nil=(), round=0, time_ns=None,
                   data_hash=EMPTY_HASH, last_results_hash=EMPTY_HASH):
        """Produce the next block. signers: indices (in the sorted validator set of this block)
        that sign for the block (default: all not in `nil`); nil: indices voting nil; everyone
        else is absent."""
        height = self.height + 1
        vals = self._current
        next_vals = self._apply_changes(vals, height)
        t = self.time_at(height) if time_ns is None else time_ns
        proposer = vals.validators[(height - self.initial_height) % len(vals)].address
        header = T.Header(
            11, self.version_app, self.chain_id, height, t, self._last_block_id,
            commit_hash(self._last_commit) if self._last_commit is not None else EMPTY_HASH,
            data_hash, vals.hash(), next_vals.hash(), CONSENSUS_HASH, app_hash,
            last_results_hash, EMPTY_HASH, proposer)
        header_hash = header.hash()
        block_id = block_id_of(header_hash)
        commit = self.sign_commit(header, block_id, vals, signers, nil, round)
        lb = T.LightBlock(T.SignedHeader(header, commit), vals, next_vals)
        self.blocks[height] = lb
        self.height = height
        self._current = next_vals
        self._last_block_id = block_id
        self._last_commit = commit
        return lb

    def sign_commit(self, header, block_id, vals, signers=None, nil=(), round=0):
        return sign_commit(header, block_id, vals, self.keys.__getitem__, signers, nil, round)

    def run(self, n, app_hash=None, **kw):
        """Produce n blocks; app_hash(height) -> bytes (default: 8 bytes of the height)."""
        out = []
        for _ in range(n):
            h = self.height + 1
            ah = app_hash(h) if app_hash else h.to_bytes(8, "big")
            out.append(self.next_block(app_hash=ah, **kw))
        return out


# --- CometBFT 0.38 RPC JSON ---------------------------------------------------------------------

def _days_to_civil(z):
    # Howard Hinnant's civil_from_days.
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def format_rfc3339_ns(ns):
    """Go's time.RFC3339Nano in UTC: fraction with trailing zeros trimmed, none if zero."""
    secs, nanos = divmod(ns, SECOND)
    days, rem = divmod(secs, 86400)
    y, m, d = _days_to_civil(days)
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % (y, m, d, rem // 3600, rem // 60 % 60, rem % 60)
    if nanos:
        s += ("." + "%09d" % nanos).rstrip("0")
    return s + "Z"


def _hex(b):
    return bytes(b).hex().upper()


def _b64(b):
    return base64.b64encode(bytes(b)).decode()


def _block_id_json(bid):
    return {"hash": _hex(bid.hash), "parts": {"total": bid.part_set_total,
                                              "hash": _hex(bid.part_set_hash)}}


def header_json(h: T.Header):
    return {
        "version": {"block": str(h.version_block), "app": str(h.version_app)},
        "chain_id": h.chain_id,
        "height": str(h.height),
        "time": format_rfc3339_ns(h.time_ns),
        "last_block_id": _block_id_json(h.last_block_id),
        "last_commit_hash": _hex(h.last_commit_hash),
        "data_hash": _hex(h.data_hash),
        "validators_hash": _hex(h.validators_hash),
        "next_validators_hash": _hex(h.next_validators_hash),
        "consensus_hash": _hex(h.consensus_hash),
        "app_hash": _hex(h.app_hash),
        "last_results_hash": _hex(h.last_results_hash),
        "evidence_hash": _hex(h.evidence_hash),
        "proposer_address": _hex(h.proposer_address),
    }


def commit_json(c: votes.Commit):
    sigs = []
    for cs in c.signatures:
        sigs.append({
            "block_id_flag": cs.flag,
            "validator_address": _hex(cs.validator_address),
            "timestamp": format_rfc3339_ns(cs.timestamp_ns),
            "signature": _b64(cs.signature) if cs.signature else None,
        })
    return {"height": str(c.height), "round": c.round, "block_id": _block_id_json(c.block_id),
            "signatures": sigs}


def validator_json(v: valset.Validator):
    return {"address": _hex(v.address),
            "pub_key": {"type": RPC_KEY_TYPE[v.key_type], "value": _b64(v.pub_key)},
            "voting_power": str(v.voting_power),
            "proposer_priority": str(v.proposer_priority)}


def validators_json(vset: valset.ValidatorSet, height: int, rpc_id=-1):
    vals = [validator_json(v) for v in vset.validators]
    return {"jsonrpc": "2.0", "id": rpc_id,
            "result": {"block_height": str(height), "validators": vals,
                       "count": str(len(vals)), "total": str(len(vals))}}


def to_rpc_json(lb: T.LightBlock, rpc_id=-1):
    """The node's answers for this block, in CometBFT 0.38's shapes (JSON-RPC envelopes):
    {"commit": /commit?height=H, "validators": /validators?height=H,
     "next_validators": /validators?height=H+1 (None if the block has no next set)}.
    rpcjson parses answer["result"]["signed_header"] and answer["result"]."""
    h = lb.signed_header.header
    commit = {"jsonrpc": "2.0", "id": rpc_id,
              "result": {"signed_header": {"header": header_json(h),
                                           "commit": commit_json(lb.signed_header.commit)},
                         "canonical": True}}
    nxt = None
    if lb.next_validators is not None:
        nxt = validators_json(lb.next_validators, h.height + 1, rpc_id)
    return {"commit": commit, "validators": validators_json(lb.validators, h.height, rpc_id),
            "next_validators": nxt}
