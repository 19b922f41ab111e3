"""The scenario network's application: a versioned Cosmos-SDK-like multistore holding the
`devices` store, device transactions (lightclient/chip/txs.py) and ICS23 proofs for `abci_query`. The SDK's own
modules (bank, gov, staking, ...) are the real chain's (tools/chain, lightclient/localchain):
the scenario network keeps only what a live chain cannot do on demand (days of history, 100+
validators, byzantine signers, forks).

Versions follow the Cosmos SDK: state version H is the state after block H (version 0 is the
genesis state); the header of block H+1 carries the multistore root of version H as app_hash.
Every store is an IAVL-shaped tree (lightclient.scenarionet.ics23_build.IavlTree) tagged with the
height of its last change, so an unchanged store keeps its root from block to block as in IAVL.

Store layout (values are bytes):
- devices: `device/<uuid>` -> the record (canonical JSON, docs/device-records.md);
           `nonce/<uuid>/<signer pubkey hex>` -> decimal last accepted nonce (replay guard).
"""

import bisect
import collections
import hashlib
import json
import threading

from lightclient.scenarionet import ics23_build
from lightclient import native
from lightclient.chip import txs
from lightclient.chip.core.errors import LightClientError
from lightclient.scenarionet import device_template

STORES = ("devices",)
TX_CODESPACE = "devices"


class TxError(Exception):
    def __init__(self, code, log):
        Exception.__init__(self, log)
        self.code = code
        self.log = log


# CheckTx / DeliverTx result codes (codespace "devices").
CODE_DECODE = 2
CODE_SIGNATURE = 4
CODE_UNAUTHORIZED = 5
CODE_NOT_FOUND = 6
CODE_EXISTS = 7
CODE_NONCE = 8
CODE_INVALID = 9


def _verify_ed25519(pub, msg, sig):
    return native.verify("ed25519", pub, msg, sig)


def nonce_key(uuid, pubkey_hex):
    return b"nonce/" + uuid.encode() + b"/" + pubkey_hex.encode()


def apply_tx(stores, tx, chain_id):
    """Check one transaction against `stores` ({name: {key: value}}) and return the changed
    devices-store items {key: value}. Raises TxError. Each message is a short story, as in a
    Cosmos SDK msg_server: decode and check the signature, check the replay guard, check the
    signer and the state, then write."""
    t = _decode(tx, chain_id)
    body = t["body"]
    devices = stores["devices"]
    uuid = body.get("uuid")
    try:
        key = txs.record_key(uuid)
    except LightClientError as e:
        raise TxError(CODE_DECODE, str(e))
    nkey = nonce_key(uuid, t["pubkey"])
    _check_nonce(devices.get(nkey), t["nonce"])
    existing = devices.get(key)
    if t["type"] == txs.REGISTER:
        if existing is not None:
            raise TxError(CODE_EXISTS, "device %s is already registered" % uuid)
        rec = _registered(body, t["pubkey"])
    else:
        if existing is None:
            raise TxError(CODE_NOT_FOUND, "device %s is not registered" % uuid)
        rec = json.loads(existing)
        if t["type"] == txs.UPDATE:
            _update(rec, body, t["pubkey"])
        else:
            _device_write(rec, body, t["pubkey"])
        rec["version"] = rec["version"] + 1
    value = txs.canonical_json(rec)
    if len(value) > txs.MAX_RECORD_BYTES:
        raise TxError(CODE_INVALID, "record would exceed %d bytes" % txs.MAX_RECORD_BYTES)
    return {key: value, nkey: str(t["nonce"]).encode()}


def _decode(tx, chain_id):
    """The decoded transaction, its signature checked."""
    try:
        return txs.decode_tx(tx, chain_id, verify=_verify_ed25519)
    except LightClientError as e:
        raise TxError(CODE_SIGNATURE if e.check == "tx_signature" else CODE_DECODE, str(e))


def _check_nonce(last, nonce):
    """The replay guard: each signer's nonces strictly increase per device."""
    if last is not None and nonce <= int(last):
        raise TxError(CODE_NONCE, "nonce %d is not above the last accepted nonce %s"
                      % (nonce, last.decode()))


def _check_pubkey_field(body, name):
    v = body.get(name)
    if not isinstance(v, str) or len(v) != 64 or v.lower() != v:
        raise TxError(CODE_INVALID, "%s must be 32 bytes of lower-case hex" % name)
    try:
        bytes.fromhex(v)
    except ValueError:
        raise TxError(CODE_INVALID, "%s is not hex" % name)


def _registered(body, signer):
    """register_device: the new record (signed by its owner; missing sections defaulted)."""
    for f in ("device_pubkey", "owner_pubkey"):
        _check_pubkey_field(body, f)
    if body["owner_pubkey"] != signer:
        raise TxError(CODE_UNAUTHORIZED, "register_device must be signed by owner_pubkey")
    if not isinstance(body.get("account"), str):
        raise TxError(CODE_INVALID, "account must be a string")
    unknown = set(body) - {"uuid", "device_pubkey", "owner_pubkey", "account"} - \
        set(txs.RECORD_SECTIONS)
    if unknown:
        raise TxError(CODE_INVALID, "unknown record sections %s" % sorted(unknown))
    uuid = body["uuid"]
    rec = device_template.default_sections(uuid, body["account"])
    rec.update({s: body[s] for s in txs.RECORD_SECTIONS if s in body})
    rec.update({"uuid": uuid, "device_pubkey": body["device_pubkey"],
                "owner_pubkey": body["owner_pubkey"], "account": body["account"],
                "version": 1, "writes": {}})
    return rec


def _update(rec, body, signer):
    """update_device: whole sections replaced, by the record's owner key."""
    if signer != rec["owner_pubkey"]:
        raise TxError(CODE_UNAUTHORIZED, "update_device must be signed by the owner key")
    changes = body.get("set")
    if not isinstance(changes, dict) or not changes:
        raise TxError(CODE_INVALID, "set must be a non-empty object of sections")
    bad = set(changes) - set(txs.RECORD_SECTIONS)
    if bad:
        raise TxError(CODE_INVALID, "unknown record sections %s" % sorted(bad))
    rec.update(changes)


def _device_write(rec, body, signer):
    """device_write: what the device reports (by the record's device key)."""
    if signer != rec["device_pubkey"]:
        raise TxError(CODE_UNAUTHORIZED, "device_write must be signed by the device key")
    kind = body.get("kind")
    if kind not in txs.WRITE_KINDS:
        raise TxError(CODE_INVALID, "kind must be one of %s" % (txs.WRITE_KINDS,))
    if "data" not in body:
        raise TxError(CODE_INVALID, "device_write needs data")
    rec.setdefault("writes", {})[kind] = body["data"]
    if kind == "skill_settings" and isinstance(body["data"], list):
        rec["skills"] = body["data"]


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
        self.results = {}  # height -> [(code, log)] per tx of that block

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

    def deliver_block(self, height, block_txs):
        """DeliverTx every tx of block `height` in order (failing ones change nothing) and
        commit version `height`. Returns [(code, log)] per tx."""
        if height != self.height + 1:
            raise ValueError("blocks must be delivered in order")
        cur = self._versions[-1]
        changed = {}
        results = []
        for tx in block_txs:
            view = {n: changed.get(n, cur.stores[n]) for n in STORES}
            try:
                upd = apply_tx(view, tx, self.chain_id)
            except TxError as e:
                results.append((e.code, e.log))
                continue
            changed.setdefault("devices", dict(cur.stores["devices"])).update(upd)
            results.append((0, ""))
        if changed:
            stores = dict(cur.stores)
            sv = dict(cur.store_versions)
            for n, items in changed.items():
                stores[n] = items
                sv[n] = height
            v = _Version(height, stores, sv, self._root(stores, sv))
            self._versions.append(v)
            self._heights.append(height)
        if block_txs:
            self.results[height] = results
        self.height = height
        return results

    def check_tx(self, tx, pending=()):
        """CheckTx against the latest state plus the pending (already accepted) transactions."""
        cur = self._versions[-1]
        view = {n: cur.stores[n] for n in STORES}
        dev = None
        for p in pending:
            try:
                upd = apply_tx(view, p, self.chain_id)
            except TxError:
                continue
            if dev is None:
                dev = dict(view["devices"])
                view["devices"] = dev
            dev.update(upd)
        apply_tx(view, tx, self.chain_id)

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


def genesis_stores(seed):
    """Two devices registered at genesis."""
    from lightclient.chip.crypto import ed25519
    devices = {}
    for i in range(2):
        uuid = demo_uuid(i)
        owner = ed25519.public_key(demo_owner_seed(seed, i)).hex()
        rec = device_template.default_sections(uuid, "account-%d" % i)
        rec.update({"uuid": uuid, "device_pubkey": ed25519.public_key(demo_device_seed(seed, i))
                    .hex(), "owner_pubkey": owner, "account": "account-%d" % i, "version": 1,
                    "writes": {}})
        devices[txs.record_key(uuid)] = txs.canonical_json(rec)
    return {"devices": devices}


def history_txs(seed, chain_id):
    """{height: [tx]} of the deterministic history: two more devices registered, a settings
    change, a device write."""
    from lightclient.chip.crypto import ed25519
    out = {}
    for i in (2, 3):
        oseed = demo_owner_seed(seed, i)
        opub = ed25519.public_key(oseed)
        body = {"uuid": demo_uuid(i), "device_pubkey": ed25519.public_key(
            demo_device_seed(seed, i)).hex(), "owner_pubkey": opub.hex(),
            "account": "account-%d" % i}
        out[i] = [txs.build_tx(chain_id, txs.REGISTER, body, 1, opub, txs.seed_signer(oseed))]
    oseed = demo_owner_seed(seed, 0)
    s = device_template.default_sections(demo_uuid(0), "account-0")["setting"]
    s["lang"] = "de-de"
    s["system_unit"] = "metric"
    out[5] = [txs.build_tx(chain_id, txs.UPDATE, {"uuid": demo_uuid(0), "set": {"setting": s}},
                           2, ed25519.public_key(oseed), txs.seed_signer(oseed))]
    dseed = demo_device_seed(seed, 1)
    out[7] = [txs.build_tx(chain_id, txs.DEVICE_WRITE, {"uuid": demo_uuid(1), "kind": "metrics",
                                                         "data": {"boots": 3}}, 1,
                           ed25519.public_key(dseed), txs.seed_signer(dseed))]
    return out
