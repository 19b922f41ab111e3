"""The honest node's JSON-RPC methods over a History (the producer's view of the chain), and
the internal `scenarionet_*` methods the nodes read the chain with (the producer's port only)."""

import base64
import binascii
import hashlib
import threading

from lightclient.chip.core import types as T
from lightclient.scenarionet.chain import RPC_KEY_TYPE, format_rfc3339_ns, header_json
from lightclient.scenarionet import app as appmod
from lightclient.scenarionet.evidence import check_evidence, keep_evidence
from lightclient.scenarionet.history import SECOND, UNBONDING_PERIOD_NS
from lightclient.scenarionet.rpc import (RPCError, b64, check_height, commit_result, hexu,
                                         int_param, internal, invalid_params, node_info, query_key,
                                         query_response, str_param, validators_result)


MAX_TX_BYTES = 1024 * 1024      # CometBFT's default mempool.max_tx_bytes
CODE_NO_TRANSACTIONS = 2        # the SDK's ErrTxDecode


class ChainRPC:
    """The honest node's handlers over a History (the producer's view of the chain)."""

    def __init__(self, history, name="producer", rpc_port=0):
        self.h = history
        self.name = name
        self.rpc_port = rpc_port
        self.evidence = []
        self.evidence_lock = threading.Lock()

    # helpers
    def latest(self):
        return self.h.height

    def _height(self, params, name="height", allow_next=False):
        latest = self.latest()
        hh = int_param(params, name)
        if hh is None or hh == 0:
            return latest
        return check_height(hh, 1, latest + 1 if allow_next else latest)

    def call(self, method, params):
        fn = getattr(self, "m_" + method, None)
        if fn is None or method.startswith("_"):
            raise RPCError(-32601, "Method not found", "")
        return fn(params)

    # methods
    def m_health(self, params):
        return {}

    def m_status(self, params):
        h = self.h
        latest = self.latest()
        hd = h.header(latest)
        first = h.header(1)
        return {
            "node_info": node_info(h.chain_id, self.name, self.rpc_port),
            "sync_info": {
                "latest_block_hash": hexu(h.hash_at(latest)),
                "latest_app_hash": hexu(hd.app_hash),
                "latest_block_height": str(latest),
                "latest_block_time": format_rfc3339_ns(hd.time_ns),
                "earliest_block_hash": hexu(h.hash_at(1)),
                "earliest_app_hash": hexu(first.app_hash),
                "earliest_block_height": "1",
                "earliest_block_time": format_rfc3339_ns(first.time_ns),
                "catching_up": False,
            },
            "validator_info": {
                "address": hexu(hashlib.sha256(self.name.encode()).digest()[:20]),
                "pub_key": {"type": RPC_KEY_TYPE[T.ED25519],
                            "value": b64(hashlib.sha256(b"node-key/" + self.name.encode())
                                         .digest())},
                "voting_power": "0",
            },
        }

    def m_abci_info(self, params):
        latest = self.latest()
        return {"response": {"data": "mycroft-devnet", "version": "1", "app_version": "1",
                             "last_block_height": str(latest),
                             "last_block_app_hash": b64(self.h.app.app_hash_after(latest))}}

    def m_genesis(self, params):
        h = self.h
        spec = h.spec
        return {"genesis": {
            "genesis_time": format_rfc3339_ns(spec.genesis_time_ns),
            "chain_id": h.chain_id, "initial_height": "1",
            "consensus_params": {
                "block": {"max_bytes": "22020096", "max_gas": "-1"},
                "evidence": {"max_age_num_blocks": str(UNBONDING_PERIOD_NS // spec.interval_ns),
                             "max_age_duration": str(UNBONDING_PERIOD_NS),
                             "max_bytes": "1048576"},
                "validator": {"pub_key_types": [spec.key_type]},
                "version": {"app": "1"},
                "abci": {"vote_extensions_enable_height": "0"}},
            "validators": [{"address": hexu(v.address),
                            "pub_key": {"type": RPC_KEY_TYPE[v.key_type], "value": b64(v.pub_key)},
                            "power": str(v.voting_power), "name": "validator-%d" % i}
                           for i, v in enumerate(h.validators(1).validators)],
            "app_hash": "",
            "app_state": {"staking": {"params": {
                "unbonding_time": "%ds" % (UNBONDING_PERIOD_NS // SECOND)}}},
        }}

    def m_header(self, params):
        hh = self._height(params)
        return {"header": header_json(self.h.header(hh))}

    def m_commit(self, params):
        hh = self._height(params)
        # CometBFT serves the latest block's commit from its "seen commit": canonical false.
        return commit_result(self.h.header(hh), self.h.commit(hh), hh != self.latest())

    def m_validators(self, params):
        hh = self._height(params, allow_next=True)
        return validators_result(self.h.validators(hh), hh, int_param(params, "page"),
                                 int_param(params, "per_page"))

    def m_abci_query(self, params):
        path = str_param(params, "path")
        key = query_key(params)
        prove = params.get("prove") in (True, "true")
        latest = self.latest()
        hh = int_param(params, "height")
        if hh is None or hh == 0:
            hh = latest
        elif hh > latest:
            raise internal("height %d must be less than or equal to the current blockchain "
                           "height %d" % (hh, latest))
        elif hh < 0:
            raise internal("height must be non-negative")
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != "" or parts[1] != "store" or parts[3] != "key":
            return query_response(key, None, None, hh, code=6, codespace="sdk",
                                  log="unknown query path: %s" % path[:80])
        store = parts[2]
        if store not in appmod.STORES:
            return query_response(key, None, None, hh, code=6, codespace="sdk",
                                  log="no such store: %s" % store[:40])
        if not key:
            return query_response(key, None, None, hh, code=2, codespace="sdk",
                                  log="query cannot be zero length")
        value, ops = self.h.app.query(hh, store, key, prove)
        return query_response(key, value, ops, hh)

    def m_broadcast_tx_sync(self, params):
        tx = params.get("tx")
        if not isinstance(tx, str):
            raise invalid_params("tx must be a base64 string")
        try:
            raw = base64.b64decode(tx, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_params("tx: invalid base64")
        if len(raw) > MAX_TX_BYTES:
            raise internal("tx too large. Max size is %d, but got %d" % (MAX_TX_BYTES, len(raw)))
        # CheckTx refuses every transaction, as an SDK chain refuses one it cannot decode: the
        # device records are fixtures of the history, and device transactions the real chain's.
        return {"code": CODE_NO_TRANSACTIONS, "data": "", "codespace": "sdk",
                "log": "the scenario network takes no transactions: its device records are "
                       "fixtures of its history (a `chain up` chain takes device transactions)",
                "hash": hexu(hashlib.sha256(raw).digest())}

    def m_broadcast_evidence(self, params):
        ev = params.get("evidence")
        info = check_evidence(ev, self.h.chain_id, self._header_or_none)
        with self.evidence_lock:
            keep_evidence(self.evidence, info)
        return {"hash": info["hash"]}

    def _header_or_none(self, height):
        if 1 <= height <= self.latest():
            return self.h.header(height)
        return None

    def m_net_info(self, params):
        return {"listening": True, "listeners": [], "n_peers": "0", "peers": []}

    # internal API for the nodes (the producer's port only)
    def m_scenarionet_state(self, params):
        hh = int_param(params, "height", self.latest())
        stores, versions = self.h.app.snapshot(hh)
        return {"height": str(hh), "versions": versions,
                "stores": {n: {k.hex(): v.hex() for k, v in items.items()}
                           for n, items in stores.items()}}

    def m_scenarionet_seeds(self, params):
        hh = self._height(params, allow_next=True)
        return {"height": str(hh), "seeds": [
            {"address": hexu(v.address), "key_type": v.key_type,
             "power": str(v.voting_power), "seed": self.h.key_for(v.address).seed.hex()}
            for v in self.h.validators(hh).validators]}

    def m_scenarionet_info(self, params):
        latest = self.latest()
        return {"spec": self.h.spec.to_json(), "latest_height": str(latest),
                "change_heights": [str(x) for x in self.h.change_heights()],
                "app_change_heights": [str(x) for x in self.h.app.change_heights()],
                "generation_seconds": self.h.generation_seconds,
                "loaded_from_cache": self.h.loaded_from_cache}
