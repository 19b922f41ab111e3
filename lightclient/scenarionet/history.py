"""The scenario network's chain: a deterministic header chain from a spec, weeks of it in seconds.

A `Spec` (chain id, seed, validators, key type, block interval, churn, genesis time, device
fixtures) fixes everything: validator keys, their weighted powers, validator-set changes at
seeded heights, the device records written at each height, every header and every signature. `History.extend_to(h)` computes the header chain
sequentially but keeps only 32 bytes per height (the header hash); the validator sets are kept per
epoch and the app state per change (lightclient/scenarionet/app.py). A `Header` is rebuilt on
demand, and commits are signed on demand (LRU cache): signing millions of votes up front is
impossible, and Ed25519 / RFC 6979 signatures are deterministic, so a commit signed later is the
same one whenever it is asked for.

What is simplified (docs/scenario-network.md): last_commit_hash commits to a digest of the previous
commit's vote set (height, block id, who was absent), not to the CommitSigs' Merkle root with
signatures; the proposer is round robin; vote timestamps are header time + 1 s + index ms.

Validator-set changes: a change effective at height H is in validators_hash of H and in
next_validators_hash of H-1 (what the light client checks: next_validators_hash(h) ==
validators_hash(h+1)).
"""

import bisect
import collections
import hashlib
import json
import os
import random
import threading
import time

from lightclient.chip.core import proto
from lightclient.chip.core import types as T
from lightclient.chip.core import valset
from lightclient.chip.core.merkle import inner_hash as _inner
from lightclient.chip.core.merkle import leaf_hash as _leaf
from lightclient.scenarionet.chain import CONSENSUS_HASH, EMPTY_HASH, Key, block_id_of
from lightclient.scenarionet.chain import sign_commit as _sign_commit
from lightclient.scenarionet import app as appmod

SECOND = 1_000_000_000
DAY_S = 86400
UNBONDING_PERIOD_NS = 21 * DAY_S * SECOND
MAX_VALIDATORS = 150
# The spec reaches the producer and the nodes on their command line (Linux: 128 KiB an argument).
MAX_FIXTURES_JSON = 96 * 1024
VERSION_BLOCK = 11
VERSION_APP = 1
CACHE_MAGIC = b"MYCDEVNET3\n"   # 3: device records are fixtures, blocks carry no transactions


class Spec:
    """Everything that fixes the chain. genesis_time_ns None means "not fixed yet" (the
    launcher fixes it so that the history ends now). devices: device fixtures
    (app.device_fixture / settings_fixture) written beside the seed's own history devices."""

    FIELDS = ("chain_id", "seed", "validators", "key_type", "block_interval_s", "churn_per_day",
              "genesis_time_ns", "max_validators", "devices")

    def __init__(self, chain_id="mycroft-devnet-1", seed=b"mycroft-devnet", validators=21,
                 key_type=T.ED25519, block_interval_s=5, churn_per_day=0.01,
                 genesis_time_ns=None, max_validators=MAX_VALIDATORS, devices=()):
        if not 1 <= validators <= MAX_VALIDATORS:
            raise ValueError("validators must be 1..%d" % MAX_VALIDATORS)
        if key_type not in (T.ED25519, T.SECP256K1):
            raise ValueError("key_type must be ed25519 or secp256k1")
        if block_interval_s <= 0 or int(block_interval_s * SECOND) != block_interval_s * SECOND:
            raise ValueError("block interval must be a positive number of ns")
        if not 0 <= churn_per_day < 1:
            raise ValueError("churn_per_day must be in [0, 1)")
        self.chain_id = chain_id
        self.seed = bytes(seed) if not isinstance(seed, str) else seed.encode()
        self.validators = int(validators)
        self.key_type = key_type
        # 5 and 5.0 (`--block-interval 5`) are one chain: the digest, which keys the cache and
        # picks the absent votes, hashes the JSON spelling of every field.
        self.block_interval_s = (int(block_interval_s) if block_interval_s == int(block_interval_s)
                                 else float(block_interval_s))
        self.churn_per_day = float(churn_per_day)
        self.genesis_time_ns = genesis_time_ns
        self.max_validators = max(int(max_validators), self.validators)
        text = json.dumps(list(devices))       # a JSON copy: what chain.json keeps
        if len(text) > MAX_FIXTURES_JSON:
            raise appmod.FixtureError("device fixtures take %d bytes of JSON, more than %d"
                                      % (len(text), MAX_FIXTURES_JSON))
        self.devices = json.loads(text)
        appmod.fixture_writes(self.devices)    # FixtureError names a bad one

    @property
    def interval_ns(self):
        return int(self.block_interval_s * SECOND)

    @property
    def blocks_per_day(self):
        return max(1, DAY_S * SECOND // self.interval_ns)

    def to_json(self):
        d = {f: getattr(self, f) for f in self.FIELDS}
        d["seed"] = self.seed.hex()
        if not d["devices"]:
            del d["devices"]    # a spec without fixtures keeps the digest it had before them
        return d

    @classmethod
    def from_json(cls, d):
        d = dict(d)
        d["seed"] = bytes.fromhex(d["seed"])
        return cls(**{f: d[f] for f in cls.FIELDS if f in d})

    def digest(self):
        if self.genesis_time_ns is None:
            raise ValueError("genesis time not fixed")
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).digest()

    def time_at(self, height):
        return self.genesis_time_ns + (height - 1) * self.interval_ns

    def height_at(self, time_ns):
        """The last height whose time is <= time_ns (0 before genesis)."""
        if time_ns < self.genesis_time_ns:
            return 0
        return (time_ns - self.genesis_time_ns) // self.interval_ns + 1


def _sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def validator_seed(spec, index):
    """The 32-byte seed of validator number `index` of the spec's key pool."""
    return _sha(spec.seed, b"/validator/", spec.key_type.encode(), b"/", str(index).encode())


def sign_commit(header, block_id, vals, key_for, absent=(), signers=None):
    """Commit for (header, block_id) by `vals`: every validator signs except those in `absent`
    (or only those in `signers`, indices); key_for(address) -> lightclient.scenarionet.chain.Key."""
    if signers is None:
        signers = [i for i in range(len(vals)) if i not in absent]
    return _sign_commit(header, block_id, vals, key_for, signers)


def last_commit_digest(prev_hash, prev_absent):
    """What a scenario network header's last_commit_hash commits to (see the module doc)."""
    return _sha(b"devnet-last-commit/", prev_hash, bytes(prev_absent))


def make_header(spec, height, last_block_id, last_commit_hash, vals_hash, next_vals_hash,
                app_hash, proposer, data_hash_=EMPTY_HASH, results_hash_=EMPTY_HASH,
                time_ns=None):
    """A header of this chain's shape (used for forks by the fault modes)."""
    return T.Header(VERSION_BLOCK, VERSION_APP, spec.chain_id, height,
                    spec.time_at(height) if time_ns is None else time_ns, last_block_id,
                    last_commit_hash, data_hash_, vals_hash, next_vals_hash, CONSENSUS_HASH,
                    app_hash, results_hash_, EMPTY_HASH, proposer)


class History:
    """The chain of one spec: history and live blocks alike (extend_to adds blocks)."""

    def __init__(self, spec, cache_dir=None):
        if spec.genesis_time_ns is None:
            raise ValueError("spec.genesis_time_ns must be fixed")
        self.spec = spec
        self.chain_id = spec.chain_id
        self.cache_dir = cache_dir
        self._lock = threading.RLock()
        self._keys = {}  # address -> Key
        self._pool_next = 0
        self._spec_digest = spec.digest()
        # Device records: the seed's history devices, then the spec's fixtures ({height: writes}).
        self.writes = appmod.fixture_writes(appmod.history_fixtures(spec.seed) + spec.devices)
        self.app = appmod.App(spec.chain_id, {"devices": self.writes.pop(0, {})})
        # Validator-set epochs: validators(h) = sets[i] for starts[i] <= h < starts[i+1].
        rng = random.Random(_sha(spec.seed, b"/powers"))
        vals = []
        for i in range(spec.validators):
            k = self._new_key()
            p = int(100000 / (1 + 0.15 * i) * rng.uniform(0.8, 1.2))
            vals.append(valset.Validator(k.address, k.key_type, k.pub_key, max(p, 1)))
        self._starts = [1]
        self._sets = [valset.ValidatorSet(valset.sort_validators(vals))]
        self._days_done = -1
        self._hashes = bytearray()  # 32 bytes per height, height 1 first
        self.height = 0
        self._commits = collections.OrderedDict()
        self._leaf_cache = {}
        self._const = None
        self.generation_seconds = 0.0
        self.loaded_from_cache = 0

    # --- keys and validator sets --------------------------------------------------------------
    def _new_key(self):
        k = Key(self.spec.key_type, validator_seed(self.spec, self._pool_next))
        self._pool_next += 1
        self._keys[k.address] = k
        return k

    def key(self, address):
        return self._keys[address]

    def _ensure_days(self, day):
        """Generate the validator-set changes of every day up to `day`."""
        if self._days_done >= day:
            return
        with self._lock:
            while self._days_done < day:
                d = self._days_done + 1
                self._churn_day(d)
                self._days_done = d

    def _churn_day(self, day):
        spec = self.spec
        if spec.churn_per_day <= 0:
            return
        rng = random.Random(_sha(spec.seed, b"/churn/", str(day).encode()))
        bpd = spec.blocks_per_day
        cur = self._sets[-1]
        budget = int(cur.total_power * spec.churn_per_day)
        if budget <= 0:
            return
        k = rng.randint(1, 3)
        heights = sorted(max(2, day * bpd + 1 + rng.randrange(bpd)) for _ in range(k))
        for h in heights:
            if h <= self._starts[-1]:
                h = self._starts[-1] + 1  # changes only ever go forward
            by_addr = collections.OrderedDict((v.address, v) for v in self._sets[-1].validators)
            remaining = budget // k
            for _ in range(25):  # transfers until this event's share of the budget has moved
                if remaining <= 0:
                    break
                remaining -= self._transfer(rng, by_addr, remaining)
            vals = [v for v in by_addr.values() if v.voting_power > 0]
            self._starts.append(h)
            self._sets.append(valset.ValidatorSet(valset.sort_validators(vals)))

    def _transfer(self, rng, by_addr, amount):
        """Move up to `amount` of power from a random validator (who leaves when little would
        be left) to a new validator or another existing one. Returns the power moved."""
        spec = self.spec
        donor = rng.choice(list(by_addr.values()))
        moved = min(amount, donor.voting_power)
        if donor.voting_power - moved < max(1, amount // 4):
            moved = donor.voting_power  # leaves the set (unbonds)
        if len(by_addr) <= 4 and moved == donor.voting_power:
            moved -= 1
        if moved <= 0:
            return 0
        by_addr[donor.address] = valset.Validator(donor.address, donor.key_type, donor.pub_key,
                                             donor.voting_power - moved)
        # Joins keep the set near its initial size: leaves (a donor giving everything) are
        # about as frequent as joins.
        live = sum(1 for v in by_addr.values() if v.voting_power > 0)
        p_join = 0.85 if live < spec.validators else 0.15
        if rng.random() < p_join and live < spec.max_validators:
            nk = self._new_key()
            by_addr[nk.address] = valset.Validator(nk.address, nk.key_type, nk.pub_key, moved)
        else:
            others = [v for a, v in by_addr.items() if a != donor.address and v.voting_power > 0]
            r = rng.choice(others)
            by_addr[r.address] = valset.Validator(r.address, r.key_type, r.pub_key,
                                             r.voting_power + moved)
        return moved

    def validators(self, height):
        """The validator set of `height` (known up to the latest height + 1)."""
        if height < 1:
            raise KeyError(height)
        self._ensure_days((height - 1) // self.spec.blocks_per_day + 1)
        i = bisect.bisect_right(self._starts, height) - 1
        return self._sets[i]

    def change_heights(self):
        """Heights at which a new validator set takes effect (validators_hash changes)."""
        self._ensure_days((self.height) // self.spec.blocks_per_day + 1)
        return [h for h in self._starts[1:] if h <= self.height + 1]

    def absent(self, height):
        """Indices (in validators(height)) that do not sign the commit of `height`: about one
        block in six misses one small validator, so commits are not all-present."""
        vals = self.validators(height)
        n = len(vals)
        if n < 4:
            return ()
        x = _sha(self._spec_digest, b"/absent/", str(height).encode())
        if x[0] >= 40:
            return ()
        return (n // 2 + x[1] % (n - n // 2),)

    # --- headers ------------------------------------------------------------------------------
    def _constants(self):
        if self._const is None:
            b = proto.bytes_field
            l0 = _leaf(proto.varint_field(1, VERSION_BLOCK) + proto.varint_field(2, VERSION_APP))
            l1 = _leaf(b(1, self.chain_id))
            self._const = (_inner(l0, l1), _leaf(b(1, CONSENSUS_HASH)),
                           _leaf(b(1, EMPTY_HASH)))
        return self._const

    def _hleaf(self, value):
        lf = self._leaf_cache.get(value)
        if lf is None:
            lf = _leaf(proto.bytes_field(1, value))
            if len(self._leaf_cache) > 4096:
                self._leaf_cache.clear()
            self._leaf_cache[value] = lf
        return lf

    def _fields(self, height, prev_hash):
        """The variable fields of header `height` (its predecessor's hash given)."""
        vals = self.validators(height)
        nvals = self.validators(height + 1)
        if height == 1:
            lbid = T.zero_block_id()
            lch = EMPTY_HASH
        else:
            lbid = block_id_of(prev_hash)
            lch = last_commit_digest(prev_hash, self.absent(height - 1))
        proposer = vals.validators[(height - 1) % len(vals)].address
        return (lbid, lch, EMPTY_HASH, vals.hash(), nvals.hash(),
                self.app.app_hash_after(height - 1), EMPTY_HASH, proposer)

    def _hash_fields(self, height, f):
        lbid, lch, dh, vh, nvh, ah, lrh, prop = f
        c01, l9, lempty = self._constants()
        hl = self._hleaf
        l2 = _leaf(proto.varint_field(1, height))
        l3 = _leaf(T.timestamp_bytes(self.spec.time_at(height)))
        l4 = _leaf(lbid.encode())
        left = _inner(_inner(c01, _inner(l2, l3)),
                      _inner(_inner(l4, hl(lch)), _inner(hl(dh), hl(vh))))
        right = _inner(_inner(_inner(hl(nvh), l9), _inner(hl(ah), hl(lrh))),
                       _inner(lempty, hl(prop)))
        return _inner(left, right)

    def _header_from_fields(self, height, f):
        lbid, lch, dh, vh, nvh, ah, lrh, prop = f
        return make_header(self.spec, height, lbid, lch, vh, nvh, ah, prop, dh, lrh)

    def hash_at(self, height):
        if not 1 <= height <= self.height:
            raise KeyError(height)
        return bytes(self._hashes[32 * (height - 1):32 * height])

    def header(self, height):
        if not 1 <= height <= self.height:
            raise KeyError(height)
        prev = self.hash_at(height - 1) if height > 1 else None
        return self._header_from_fields(height, self._fields(height, prev))

    def block_id(self, height):
        return block_id_of(self.hash_at(height))

    def commit(self, height):
        """The commit of `height`, signed on demand (cached)."""
        with self._lock:
            c = self._commits.get(height)
            if c is not None:
                self._commits.move_to_end(height)
                return c
        c = self.sign_commit(self.header(height), self.block_id(height),
                             self.validators(height), self.absent(height))
        with self._lock:
            self._commits[height] = c
            while len(self._commits) > 2048:
                self._commits.popitem(last=False)
        return c

    def sign_commit(self, header, block_id, vals, absent=(), signers=None):
        return sign_commit(header, block_id, vals, self.key_for, absent, signers)

    def key_for(self, address):
        k = self._keys.get(address)
        if k is None:
            raise KeyError("no key for validator %s" % address.hex())
        return k

    def light_block(self, height):
        return T.LightBlock(T.SignedHeader(self.header(height), self.commit(height)),
                            self.validators(height), self.validators(height + 1))

    # --- building -----------------------------------------------------------------------------
    def _deliver(self, height):
        self.app.deliver_block(height, self.writes.get(height))

    def append_block(self):
        """Produce the next block (a live block). Returns its height."""
        with self._lock:
            h = self.height + 1
            self._build(h)
            return h

    def _build(self, h):
        prev = self.hash_at(h - 1) if h > 1 else None
        f = self._fields(h, prev)
        self._hashes += self._hash_fields(h, f)
        self._deliver(h)  # state version h (appears as app_hash of h + 1)
        self.height = h

    def extend_to(self, height):
        """Compute every block up to `height` (no-op if already there)."""
        t0 = time.perf_counter()
        with self._lock:
            cached = self._load_cache(height)
            while self.height < height:
                if self.height < cached:
                    h = self.height + 1
                    self._deliver(h)
                    self.height = h
                    continue
                self._build(self.height + 1)
            if self.height > cached:
                self._save_cache()
        self.generation_seconds += time.perf_counter() - t0

    # --- on-disk cache of header hashes (keyed by the spec digest) ----------------------------
    def _cache_path(self):
        if not self.cache_dir:
            return None
        return os.path.join(self.cache_dir, "history-%s.bin" % self._spec_digest.hex()[:24])

    def _load_cache(self, want):
        """Load cached header hashes (only when nothing was built yet); returns how many heights
        the cache provides (0 if none)."""
        path = self._cache_path()
        if path is None or self.height != 0 or not os.path.exists(path):
            return 0
        try:
            with open(path, "rb") as f:
                if f.readline() != CACHE_MAGIC:
                    return 0
                meta = json.loads(f.readline())
                n = min(int(meta["n"]), want)
                if meta["spec"] != self._spec_digest.hex():
                    return 0
                data = f.read(32 * n)
        except (OSError, ValueError, KeyError):
            return 0
        if len(data) != 32 * n:
            return 0
        self._hashes = bytearray(data)
        self.loaded_from_cache = n
        return n

    def _save_cache(self):
        path = self._cache_path()
        if path is None:
            return
        os.makedirs(self.cache_dir, exist_ok=True)
        tmp = path + ".tmp.%d" % os.getpid()
        meta = {"n": self.height, "spec": self._spec_digest.hex()}
        with open(tmp, "wb") as f:
            f.write(CACHE_MAGIC + json.dumps(meta).encode() + b"\n")
            f.write(bytes(self._hashes[:32 * self.height]))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def save_cache(self):
        with self._lock:
            self._save_cache()
