# Devices in one home keep each other going during a WAN outage: each advertises itself over mDNS
# (`_mycroft-lc._tcp.local.`) and serves the light blocks and proofs it holds, read-only, with
# the same CometBFT RPC face as a node (/status, /commit, /header, /validators, /abci_query,
# /net_info).
# A device that finds one adds it as a source of kind "lan". Nothing served this way is trusted
# more than a node's answer: the receiving client verifies every block from its own trust anchor
# and every proof against a verified header, exactly as for the central API.
# With the owner's permission (`serve-api --lan-port P --collect-receipts ADDR`; off by default)
# the server also names its device in /status and keeps the service receipts its clients' chips
# sign for it (POST /receipt; lightclient/rewards.py, docs/rewards.md).

import base64
import json
import os
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient import record_layouts
from lightclient.chip import txs
from lightclient.sources import LAN
from lightclient.trust_store import StoreError

SERVICE = "_mycroft-lc._tcp.local."
MAX_REQUEST_LINE = 4096
MAX_RECEIPT_BODY = 2048  # a receipt (<= 167 B), its signature and the client key, as hex JSON
IDLE_TIMEOUT_S = 5.0     # a LAN client that connects and sends nothing must not keep a thread


class _RpcError(Exception):
    pass


class LanServer:
    """Serves a LightClient's verified store. Only what is stored: any other height or key is an
    RPC error (never a guess)."""

    def __init__(self, client, host="127.0.0.1", port=0, receipts=None):
        """receipts: a rewards.ReceiptBook to collect this device's service receipts in (None:
        no receipts, the default)."""
        self.client = client
        self.receipts = receipts
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = IDLE_TIMEOUT_S

            def log_message(self, *a):
                pass

            def do_GET(self):
                srv._handle(self)

            def do_POST(self):
                srv._handle_post(self)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self.url = "http://%s:%d" % (self.host, self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def info(self):
        return {"url": self.url}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- answers ---------------------------------------------------------------------------------

    def _block(self, height):
        for raw in self.client.blocks:
            if raw.height == height:
                return raw
        raise _RpcError("height %d is not held by this device" % height)

    def _result(self, method, q):
        blocks = self.client.blocks
        if not blocks:
            raise _RpcError("this device holds no verified block yet")
        head = blocks[-1]
        if method == "status":
            h = head.light_block.signed_header.header
            return {"node_info": {"network": h.chain_id, "id": "lan",
                                  "moniker": "mycroft-lc"},
                    "sync_info": {"latest_block_height": str(h.height),
                                  "latest_block_hash": h.hash().hex().upper(),
                                  "latest_block_time": head.signed_header_json["header"]["time"],
                                  "earliest_block_height": str(blocks[0].height),
                                  "catching_up": False},
                    **({"receipts_for": self.receipts.server.hex()}
                       if self.receipts is not None else {})}
        height = int(q.get("height", head.height))
        if method == "commit":
            return {"signed_header": self._block(height).signed_header_json, "canonical": True}
        if method == "header":
            return {"header": self._block(height).signed_header_json["header"]}
        if method == "validators":
            vals = self._block(height).validators_json["validators"]
            page = max(1, int(q.get("page", 1)))
            per = max(1, min(100, int(q.get("per_page", 30))))
            items = vals[(page - 1) * per: page * per]
            return {"block_height": str(height), "validators": items, "count": str(len(items)),
                    "total": str(len(vals))}
        if method == "abci_query":
            if q.get("path", "").strip('"') != txs.QUERY_PATH:
                raise _RpcError("only device records are served")
            data = q.get("data", "")
            key = bytes.fromhex(data[2:]) if data.startswith("0x") else data.strip('"').encode()
            try:
                recs = self.client.store.load_records()
            except StoreError:
                recs = {}
            for uuid, e in recs.items():
                if record_layouts.layout(e.get("layout", record_layouts.SCENARIONET)).key(uuid) == key \
                        and e.get("height") == height and e.get("proof_ops"):
                    value = None if e["value"] is None else bytes.fromhex(e["value"])
                    ops = [{"type": t, "key": base64.b64encode(bytes.fromhex(k)).decode(),
                            "data": base64.b64encode(bytes.fromhex(d)).decode()}
                           for t, k, d in e["proof_ops"]]
                    return {"response": {
                        "code": 0, "height": str(height), "key": base64.b64encode(key).decode(),
                        "value": None if value is None else base64.b64encode(value).decode(),
                        "proofOps": {"ops": ops}}}
            raise _RpcError("no proof held for that key at that height")
        if method == "net_info":
            return {"listening": True, "peers": [], "n_peers": "0"}
        raise _RpcError("method not served on the LAN: " + method[:40])

    def _answer(self, h, status, doc):
        body = json.dumps(doc).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        h.close_connection = True

    def _handle_post(self, h):
        """POST /receipt {"receipt", "sig", "pub"} (hex): kept if rewards.check_receipt
        accepts it; 200 {"kept": bool} or 400 {"error": check}."""
        from lightclient.rewards import ReceiptRefused
        if self.receipts is None or h.path != "/receipt":
            h.send_error(404)
            return
        try:
            n = int(h.headers.get("Content-Length", "-1"))
        except ValueError:
            n = -1
        if not 0 < n <= MAX_RECEIPT_BODY:
            h.send_error(413)
            return
        try:
            doc = json.loads(h.rfile.read(n))
            kept = self.receipts.add(*(bytes.fromhex(doc[k]) for k in ("receipt", "sig", "pub")))
            self._answer(h, 200, {"kept": kept})
        except ReceiptRefused as e:
            self._answer(h, 400, {"error": e.check})
        except (ValueError, KeyError, TypeError, AttributeError):
            self._answer(h, 400, {"error": "bad_request"})

    def _handle(self, h):
        if len(h.path) > MAX_REQUEST_LINE:
            h.send_error(414)
            return
        u = urllib.parse.urlsplit(h.path)
        method = u.path.strip("/")
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        try:
            doc = {"jsonrpc": "2.0", "id": -1, "result": self._result(method, q)}
            status = 200
        except (_RpcError, ValueError, KeyError) as e:
            doc = {"jsonrpc": "2.0", "id": -1,
                   "error": {"code": -32603, "message": "Internal error", "data": str(e)[:200]}}
            status = 500
        self._answer(h, status, doc)


class LanDiscovery:
    """Advertise this device's LanServer and add the others' as LAN sources of `pool`.
    interfaces: zeroconf's (e.g. ["127.0.0.1"] in tests); name: this device's instance name."""

    def __init__(self, pool, name, server=None, chain_id="", interfaces=None):
        from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, Zeroconf
        kw = {"ip_version": IPVersion.V4Only}
        if interfaces is not None:
            kw["interfaces"] = interfaces
        self.zc = Zeroconf(**kw)
        self.pool = pool
        self.found = []      # URLs added as sources
        self.rejected = []   # service names seen but not added (another chain)
        self.changed = threading.Condition()   # notified when found / rejected grow
        self.own = None
        self.own_url = None
        if server is not None:
            self.own_url = "http://%s:%d" % (server.host, server.port)
            # A random suffix keeps instance names apart: mDNS renames on a conflict only when
            # its probe is answered, and it went unanswered between two devices on loopback.
            safe = "".join(c for c in name if c.isalnum() or c in "-_")[:40] or "device"
            safe += "-" + os.urandom(2).hex()
            self.own = ServiceInfo(SERVICE, "%s.%s" % (safe, SERVICE),
                                   addresses=[socket.inet_aton(server.host)], port=server.port,
                                   properties={"chain_id": chain_id[:50]},
                                   server="%s.local." % safe)
            self.zc.register_service(self.own, allow_name_change=True)
        disc = self

        class Listener:
            def add_service(self, zc, type_, name):
                disc._resolve(type_, name)

            def update_service(self, zc, type_, name):
                disc._resolve(type_, name)

            def remove_service(self, zc, type_, name):
                pass

        self.chain_id = chain_id
        self.browser = ServiceBrowser(self.zc, SERVICE, Listener())

    def _resolve(self, type_, name):
        # Our own service is skipped by its address, not its name: two devices can advertise
        # the same name when mDNS's conflict probe goes unanswered (it did on loopback), and a
        # name check then hid the neighbour.
        info = self.zc.get_service_info(type_, name, timeout=2000)
        if info is None or not info.port:
            return
        props = info.properties or {}
        cid = (props.get(b"chain_id") or b"").decode(errors="replace")   # None: key, no value
        with self.changed:
            if self.chain_id and cid != self.chain_id:
                if name not in self.rejected:
                    self.rejected.append(name)
                self.changed.notify_all()
                return
            for addr in info.parsed_addresses()[:4]:
                url = "http://%s:%d" % (addr, info.port)
                if url == self.own_url:
                    continue
                if self.pool.add(url, LAN) is not None and url not in self.found:
                    self.found.append(url)
            self.changed.notify_all()

    def wait(self, predicate, timeout):
        """Block until predicate(self) holds (re-checked at every discovery event) or `timeout`
        seconds pass; returns whether it holds. For callers that need a neighbour now."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def close(self):
        self.browser.cancel()
        self.zc.close()   # also says goodbye for our own service

