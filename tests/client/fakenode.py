"""In-process CometBFT-RPC-shaped nodes over real loopback HTTP, for the client shell's unit tests.

A FakeChain is a lightclient.scenarionet.chain.Chain (real signatures) whose app_hash is the root of
a Cosmos-SDK-shaped multistore holding device records (lightclient.scenarionet.ics23_build), served
as CometBFT 0.38 JSON.
A FakeNode serves one FakeChain with a switchable fault mode. (The full local network with
separate processes is lightclient/scenarionet; the scenario tests use that.)
"""

import base64
import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient.chip import txs
from lightclient.scenarionet.ics23_build import IavlTree, abci_proof_ops, multistore
from lightclient.scenarionet.chain import Chain, make_validators, to_rpc_json

SECOND = 10**9


def make_record(uuid, version=1, setting=None, owner="aa" * 32):
    return {"uuid": uuid, "device_pubkey": "bb" * 32, "owner_pubkey": owner, "account": "acct-1",
            "version": version, "device": {"uuid": uuid, "name": "kitchen"},
            "setting": setting or {"lang": "en-us", "date_format": "DMY"},
            "location": {"city": {"name": "Lawrence"}}, "skills": [], "subscription": {},
            "writes": {}}


class FakeChain:
    """Blocks 1..n_blocks; the head's time is `head_time_ns`. churn(chain, height) may schedule
    validator changes. `diverge_at`: heights >= it get another app hash (a fork of an otherwise
    identical chain: build two with the same arguments but different diverge_at)."""

    def __init__(self, chain_id="fake-chain", n_vals=7, n_blocks=40, interval_s=600,
                 head_time_ns=None, records=None, churn=None, diverge_at=None, tag=b"v"):
        head_time_ns = head_time_ns or time.time_ns()
        start = head_time_ns - (n_blocks - 1) * interval_s * SECOND
        self.chain_id = chain_id
        self.chain = Chain(chain_id, make_validators(n_vals, tag=tag), start, interval_s * SECOND)
        records = records if records is not None else {"dev-1": make_record("dev-1")}
        items = {txs.record_key(u): txs.canonical_json(r) for u, r in records.items()}
        items[b"device/_placeholder"] = b"x"     # keep the tree non-empty when records is {}
        self.devices = IavlTree(items, version=1)
        self.bank = IavlTree({b"balance/a": b"1"}, version=1)
        self.stores = multistore({"bank": self.bank.root,
                                  "devices": self.devices.root})
        self.forked_stores = multistore({"bank": self.bank.root,
                                         "devices": hashlib.sha256(b"fork").digest()})
        for h in range(1, n_blocks + 1):
            if churn is not None:
                churn(self.chain, h)
            fork = diverge_at is not None and h >= diverge_at
            root = self.forked_stores.root if fork else self.stores.root
            self.chain.next_block(app_hash=root)
        self.rpc = {h: to_rpc_json(lb) for h, lb in self.chain.blocks.items()}
        self.latest = n_blocks

    def head_time_ns(self, height=None):
        return self.chain.blocks[height or self.latest].signed_header.header.time_ns

    def header_hash(self, height):
        return self.chain.blocks[height].signed_header.header.hash()

    def query(self, key, height):
        value = None
        i = self.devices._index(key)
        if i >= 0:
            value = self.devices.values[i]
        ops = abci_proof_ops(self.devices, self.stores, "devices", key)
        return value, ops


class FakeNode:
    """One node over HTTP on 127.0.0.1. mode: ok | down (resets connections) | blackholed |
    slow | 5xx | garbage | oversized | forged | wrong_proofs | stale | no_proof."""

    def __init__(self, data, name="node", stale_height=None):
        self.data = data
        self.name = name
        self.mode = "ok"
        self.stale_height = stale_height
        self.peers = []            # URLs announced in /net_info
        self.evidence = []
        self.txs = []
        self.requests = 0
        self.methods = []          # the methods asked, in order
        self.raw_body = None       # bytes: every answer is this body, HTTP 200 (hostile bodies)
        self.override = {}         # (method, height) -> the result served instead (one lie)
        self._release = threading.Event()
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                node.handle(self, "GET", None)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                node.handle(self, "POST", self.rfile.read(min(n, 1 << 20)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def set_mode(self, mode):
        self._release.set()
        self._release = threading.Event()
        self.mode = mode

    def close(self):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    # --- answers -------------------------------------------------------------------------------

    def latest(self):
        if self.mode == "stale" and self.stale_height:
            return self.stale_height
        return self.data.latest

    def result(self, method, params):
        d = self.data
        if method == "status":
            h = self.latest()
            hdr = d.rpc[h]["commit"]["result"]["signed_header"]["header"]
            return {"node_info": {"network": d.chain_id, "id": self.name},
                    "sync_info": {"latest_block_height": str(h),
                                  "latest_block_hash": d.header_hash(h).hex().upper(),
                                  "latest_block_time": hdr["time"], "catching_up": False}}
        if method in ("commit", "header", "validators"):
            h = int(params.get("height", self.latest()))
            if h < 1 or h > self.latest():
                raise KeyError("height %d is not available" % h)
            if (method, h) in self.override:
                return self.override[(method, h)]
            if method == "header":
                return {"header": d.rpc[h]["commit"]["result"]["signed_header"]["header"]}
            if method == "commit":
                r = json.loads(json.dumps(d.rpc[h]["commit"]["result"]))
                if self.mode == "forged":
                    for s in r["signed_header"]["commit"]["signatures"]:
                        if s["signature"]:
                            b = bytearray(base64.b64decode(s["signature"]))
                            b[5] ^= 1
                            s["signature"] = base64.b64encode(bytes(b)).decode()
                return r
            r = json.loads(json.dumps(d.rpc[h]["validators"]["result"]))
            page = int(params.get("page", 1))
            per = int(params.get("per_page", 30))
            vals = r["validators"]
            r["validators"] = vals[(page - 1) * per: page * per]
            r["count"] = str(len(r["validators"]))
            return r
        if method == "abci_query":
            key = bytes.fromhex(params["data"].strip('"')[2:])
            h = int(params["height"])
            value, ops = d.query(key, h)
            if self.mode == "wrong_proofs":
                t, k, data = ops[0]
                data = bytearray(data)
                data[-3] ^= 0xFF
                ops[0] = (t, k, bytes(data))
            if self.mode == "wrong_proofs" and value is not None:
                value = value.replace(b"en-us", b"de-de")
            resp = {"code": 0, "height": str(h), "key": base64.b64encode(key).decode(),
                    "value": None if value is None else base64.b64encode(value).decode(),
                    "proofOps": {"ops": [{"type": t, "key": base64.b64encode(k).decode(),
                                          "data": base64.b64encode(x).decode()}
                                         for t, k, x in ops]}}
            if self.mode == "no_proof":
                resp["proofOps"] = None
            return {"response": resp}
        if method == "broadcast_tx_sync":
            tx = bytes.fromhex(params["tx"][2:])
            self.txs.append(tx)
            return {"code": 0, "hash": hashlib.sha256(tx).hexdigest().upper(), "log": ""}
        if method == "broadcast_evidence":
            self.evidence.append(params.get("evidence"))
            return {"hash": "00" * 32}
        if method == "net_info":
            peers = []
            for u in self.peers:
                port = int(u.rsplit(":", 1)[1])
                peers.append({"node_info": {"other": {"rpc_address": "tcp://0.0.0.0:%d" % port}},
                              "remote_ip": "127.0.0.1"})
            return {"peers": peers, "n_peers": str(len(peers))}
        raise KeyError("unknown method " + method)

    def handle(self, h, verb, body):
        self.requests += 1
        mode = self.mode
        if mode == "down":
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        if mode == "blackholed":
            self._release.wait(30)
            h.close_connection = True
            return
        u = urllib.parse.urlsplit(h.path)
        if verb == "POST":
            req = json.loads(body)
            method, params = req["method"], req.get("params") or {}
        else:
            method = u.path.strip("/")
            params = {k: v[0].strip('"') if not v[0].startswith('"0x') else v[0]
                      for k, v in urllib.parse.parse_qs(u.query).items()}
        self.methods.append(method)
        try:
            res = {"jsonrpc": "2.0", "id": -1, "result": self.result(method, params)}
            status = 200
        except (KeyError, ValueError) as e:
            res = {"jsonrpc": "2.0", "id": -1,
                   "error": {"code": -32603, "message": "Internal error", "data": str(e)}}
            status = 500
        payload = json.dumps(res).encode() if self.raw_body is None else self.raw_body
        if mode == "5xx":
            status, payload = 503, b"service unavailable"
        if mode == "garbage":
            payload = b"\x00\xffnot json{{{" * 10
        if mode == "oversized":
            h.send_response(200)
            h.send_header("Content-Length", str(64 * 1024 * 1024))
            h.end_headers()
            try:
                for _ in range(16):
                    h.wfile.write(b" " * 65536)
            except OSError:
                pass
            return
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        if mode != "slow":
            h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        try:
            if mode == "slow":
                for i in range(0, len(payload), 16):
                    h.wfile.write(payload[i:i + 16])
                    h.wfile.flush()
                    if self._release.wait(0.05):
                        break
            else:
                h.wfile.write(payload)
        except OSError:
            pass
        h.close_connection = True
