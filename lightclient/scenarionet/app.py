"""The scenario network's application: a versioned Cosmos-SDK-like multistore holding the
`devices` store and ICS23 proofs for `abci_query`. It takes no transactions: its device records
are fixtures of the history, written at the heights the history names (device_fixture,
settings_fixture), so every scenario keeps its proofs; device transactions and writes are the
real chain's (x/devices). The SDK's own
modules (bank, gov, staking, ...) are the real chain's (tools/chain, lightclient/localchain):
the scenario network keeps only what a live chain cannot do on demand (days of history, 100+
validators, byzantine signers, forks).

Versions follow the Cosmos SDK: state version H is the state after block H (version 0 is the
genesis state); the header of block H+1 carries the multistore root of version H as app_hash.
Every store is an IAVL-shaped tree (lightclient.scenarionet.ics23_build.IavlTree) tagged with the
height of its last change, so an unchanged store keeps its root from block to block as in IAVL.

Store layout (values are bytes):
- devices: `device/<uuid>` -> the record (canonical JSON, docs/device-records.md).
"""

import bisect
import collections
import hashlib
import json
import threading

from lightclient.scenarionet import ics23_build
from lightclient.chip import txs
from lightclient.chip.core.errors import LightClientError
from lightclient.scenarionet import device_template

STORES = ("devices",)
RECORD_FIELDS = ("device_pubkey", "owner_pubkey", "account")
MAX_FIXTURES = 4096


class FixtureError(ValueError):
    """A device fixture the history cannot hold (the message names the entry and the field)."""


def _check_pubkey_field(entry, name, where):
    v = entry.get(name)
    if not isinstance(v, str) or len(v) != 64 or v.lower() != v:
        raise FixtureError("%s: %s must be 32 bytes of lower-case hex" % (where, name))
    try:
        bytes.fromhex(v)
    except ValueError:
        raise FixtureError("%s: %s is not hex" % (where, name))


def device_fixture(uuid, device_pubkey, owner_pubkey, height=1, account=None, **sections):
    """A device registered at block `height` of the history (its record provable from state
    `height`, committed by header height + 1): what a test or benchmark gives the scenario
    network instead of a registration transaction. Sections default to device_template.py."""
    entry = {"height": int(height), "uuid": uuid,
             "device_pubkey": bytes(device_pubkey).hex(), "owner_pubkey": bytes(owner_pubkey).hex(),
             "account": account or "acct-" + bytes(owner_pubkey).hex()[:16]}
    entry.update(sections)
    return entry


def settings_fixture(uuid, height, **changes):
    """A change of some `setting` fields of a registered device at block `height`."""
    return {"height": int(height), "uuid": uuid, "setting_changes": changes}


def fixture_writes(entries):
    """Device fixtures (device_fixture / settings_fixture dicts, JSON) -> {height: {store key:
    record bytes}}: the first entry of a uuid creates its record (version 1, default sections),
    each later one (at a greater height) replaces the sections it names, version + 1. Raises
    FixtureError naming the entry."""
    if not isinstance(entries, (list, tuple)) or len(entries) > MAX_FIXTURES:
        raise FixtureError("device fixtures must be a list of at most %d entries" % MAX_FIXTURES)
    records, last_height, out = {}, {}, {}
    for i, e in enumerate(entries):
        where = "device fixture %d" % i
        if not isinstance(e, dict) or not isinstance(e.get("height"), int) or e["height"] < 0:
            raise FixtureError("%s: needs a height >= 0 (0: genesis)" % where)
        uuid = e.get("uuid")
        try:
            key = txs.record_key(uuid)
        except LightClientError as err:
            raise FixtureError("%s: %s" % (where, err))
        unknown = set(e) - {"height", "uuid", "setting_changes"} - set(RECORD_FIELDS) - \
            set(txs.RECORD_SECTIONS)
        if unknown:
            raise FixtureError("%s: unknown fields %s" % (where, sorted(unknown)))
        h = e["height"]
        rec = records.get(uuid)
        if rec is None:
            for f in ("device_pubkey", "owner_pubkey"):
                _check_pubkey_field(e, f, where)
            account = e.get("account", "")
            if not isinstance(account, str):
                raise FixtureError("%s: account must be a string" % where)
            rec = device_template.default_sections(uuid, account)
            rec.update({"uuid": uuid, "account": account, "version": 0, "writes": {}})
        elif h <= last_height[uuid]:
            raise FixtureError("%s: %s changes at height %d, not above its last change at %d"
                               % (where, uuid, h, last_height[uuid]))
        else:
            rec = json.loads(txs.canonical_json(rec))
        rec.update({k: v for k, v in e.items() if k in RECORD_FIELDS or k in txs.RECORD_SECTIONS})
        if "setting_changes" in e:
            if not isinstance(e["setting_changes"], dict):
                raise FixtureError("%s: setting_changes must be an object" % where)
            rec["setting"] = device_template.merge_setting(rec["setting"], e["setting_changes"])
        rec["version"] += 1
        try:
            value = txs.canonical_json(rec)
        except LightClientError as err:
            raise FixtureError("%s: %s" % (where, err))
        if len(value) > txs.MAX_RECORD_BYTES:
            raise FixtureError("%s: record would exceed %d bytes" % (where, txs.MAX_RECORD_BYTES))
        records[uuid], last_height[uuid] = rec, h
        out.setdefault(h, {})[key] = value
    return out


class _Version:
    __slots__ = ("height", "stores", "store_versions", "app_hash")

    def __init__(self, height, stores, store_versions, app_hash):
        self.height = height
        self.stores = stores              # {name: {key: value}} (never mutated once stored)
        self.store_versions = store_versions  # {name: IAVL version tag}
        self.app_hash = app_hash


class App:
    """The versioned application. deliver_block(height, txs) must be called for heights 1, 2, ...
    in order; versions where nothing changed share the previous state."""

    def __init__(self, chain_id, genesis_stores):
        self.chain_id = chain_id
        self._lock = threading.RLock()
        self._trees = collections.OrderedDict()  # (name, id of items) -> IavlTree (LRU)
        stores = {n: dict(genesis_stores.get(n, {})) for n in STORES}
        for n in STORES:
            if not stores[n]:
                raise ValueError("store %s needs at least one key at genesis" % n)
        sv = {n: 1 for n in STORES}
        self._versions = [_Version(0, stores, sv, self._root(stores, sv))]
        self._heights = [0]
        self.height = 0

    # trees
    def _tree(self, name, items, version):
        k = (name, id(items), version)
        with self._lock:
            t = self._trees.get(k)
            if t is not None and t[0] is items:
                self._trees.move_to_end(k)
                return t[1]
        tree = ics23_build.IavlTree(items, version)
        with self._lock:
            self._trees[k] = (items, tree)
            while len(self._trees) > 64:
                self._trees.popitem(last=False)
        return tree

    def _multistore(self, stores, store_versions):
        roots = {n: self._tree(n, stores[n], store_versions[n]).root for n in STORES}
        return ics23_build.multistore(roots)

    def _root(self, stores, store_versions):
        return self._multistore(stores, store_versions).root

    # versions
    def version(self, height):
        """State version `height` (state after block `height`)."""
        if height < 0 or height > self.height:
            raise KeyError(height)
        i = bisect.bisect_right(self._heights, height) - 1
        return self._versions[i]

    def app_hash_after(self, height):
        return self.version(height).app_hash

    def change_heights(self):
        return list(self._heights)

    def deliver_block(self, height, writes=None):
        """Commit version `height`: the devices store with `writes` ({key: value}, the history's
        fixtures for this block) applied."""
        if height != self.height + 1:
            raise ValueError("blocks must be delivered in order")
        if writes:
            cur = self._versions[-1]
            devices = dict(cur.stores["devices"])
            devices.update(writes)
            stores = dict(cur.stores, devices=devices)
            sv = dict(cur.store_versions, devices=height)
            self._versions.append(_Version(height, stores, sv, self._root(stores, sv)))
            self._heights.append(height)
        self.height = height

    # queries
    def query(self, height, store, key, prove=True):
        """(value or None, proof ops [(type, key, data)] or None) of `key` in `store` at state
        version `height`."""
        v = self.version(height)
        stores = v.stores
        if store not in STORES:
            raise KeyError(store)
        value = stores[store].get(bytes(key))
        if not prove:
            return value, None
        tree = self._tree(store, stores[store], v.store_versions[store])
        ms = self._multistore(stores, v.store_versions)
        return value, ics23_build.abci_proof_ops(tree, ms, store, bytes(key))

    def snapshot(self, height):
        """({store: {key: value}}, {store: version}) of state version `height`."""
        v = self.version(height)
        return v.stores, v.store_versions


class ForgedState:
    """A state an attacker claims: honest stores with some items replaced, proofs against its
    own root (what a lunatic node serves)."""

    def __init__(self, stores, store_versions, changes):
        self.stores = {n: dict(stores[n]) for n in STORES}
        for n, items in changes.items():
            self.stores[n].update(items)
        self.store_versions = dict(store_versions)
        self.trees = {n: ics23_build.IavlTree(self.stores[n], self.store_versions[n])
                      for n in STORES}
        self.ms = ics23_build.multistore({n: self.trees[n].root for n in STORES})
        self.app_hash = self.ms.root

    def query(self, store, key):
        value = self.stores[store].get(bytes(key))
        return value, ics23_build.abci_proof_ops(self.trees[store], self.ms, store, bytes(key))


# --- deterministic genesis and history transactions ----------------------------------------------

def _derive(seed, *parts):
    h = hashlib.sha256(seed)
    for p in parts:
        h.update(b"/" + (p.encode() if isinstance(p, str) else bytes(p)))
    return h.digest()


def demo_owner_seed(seed, i):
    return _derive(seed, "owner", str(i))


def demo_device_seed(seed, i):
    return _derive(seed, "device", str(i))


def demo_uuid(i):
    return "hist-device-%d" % i


def history_fixtures(seed):
    """The deterministic history's devices: two registered at genesis, two more at blocks 2 and
    3, a settings change of the first at block 5."""
    from lightclient.chip.crypto import ed25519
    out = []
    for i, h in ((0, 0), (1, 0), (2, 2), (3, 3)):
        out.append(device_fixture(demo_uuid(i), ed25519.public_key(demo_device_seed(seed, i)),
                                  ed25519.public_key(demo_owner_seed(seed, i)), height=h,
                                  account="account-%d" % i))
    out.append(settings_fixture(demo_uuid(0), 5, lang="de-de", system_unit="metric"))
    return out
