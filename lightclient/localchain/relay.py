"""A relay: a small HTTP proxy in front of one real node's CometBFT RPC, the way a device meets a
third-party RPC provider. Honest, it forwards every request and answer byte for byte; faulty, it
drops, slows or breaks answers, or lies (forged commit signatures, a stale head, tampered
abci_query proofs or values).

The fault modes reuse the scenario network's classes where they fit
(lightclient/scenarionet/faults.py: the transport faults, forged signatures, wrong proofs);
`stale_head` is the relay's own, since the scenario network's freezes its own producer. A fault acts
at the same three levels as on the scenario network: `intercept` (before the request is read),
`answer` (instead of the node), `alter` (edit the node's result) and `send`.

Beyond the modes, `hooks` is a generic per-method alter hook: `relay.hooks["commit"] =
fn(params, result) -> result` serves what fn returns instead of the node's result (other work,
such as a relay serving a conflicting block, builds on it).

The relay also counts the bytes it sends back (`sent_bytes`, bodies only): the HTTP-layer
measure the benchmark compares two light clients by."""

import http.client
import json
import socket
import threading
import urllib.parse

from lightclient.scenarionet import faults as scenarionet_faults
from lightclient.scenarionet import rpc as scenarionet_rpc
from lightclient.scenarionet.fault_params import Int

UPSTREAM_TIMEOUT = 10.0
MAX_UPSTREAM = 64 << 20      # a real node's answer is read bounded all the same


class StaleHead(scenarionet_faults.Fault):
    name = "stale_head"
    summary = ("reports the head `behind` blocks back (frozen when set) and refuses heights "
               "above it, with CometBFT's height error")
    params = (Int("behind", 5, "blocks behind the node's head when the mode is set", 1, 10 ** 6),)

    frozen = None

    def prepare(self, relay, spec=None):
        head = int(relay.upstream_result("status")["sync_info"]["latest_block_height"])
        self.frozen = max(1, head - self.values["behind"])

    def answer(self, relay, method, params):
        frozen = self.frozen
        top = frozen + 1 if method == "validators" else frozen   # the next set is served too
        if method in ("commit", "header", "validators", "abci_query", "block"):
            h = scenarionet_rpc.int_param(params, "height")
            if h is None or h == 0:
                params = dict(params, height=str(frozen))
            elif h > top:
                raise scenarionet_rpc.internal("height %d must be less than or equal to the "
                                               "current blockchain height %d" % (h, frozen))
            return relay.upstream_result(method, params)
        if method == "status":
            st = relay.upstream_result("status")
            sh = relay.upstream_result("commit", {"height": str(frozen)})["signed_header"]
            si = st["sync_info"]
            si["latest_block_height"] = str(frozen)
            si["latest_block_hash"] = sh["commit"]["block_id"]["hash"]
            si["latest_app_hash"] = sh["header"]["app_hash"]
            si["latest_block_time"] = sh["header"]["time"]
            return st
        return None


FAULTS = {cls.name: cls for cls in (
    scenarionet_faults.Fault, scenarionet_faults.Blackholed, scenarionet_faults.Slow,
    scenarionet_faults.ServerError, scenarionet_faults.Garbage, scenarionet_faults.ForgedSignatures,
    scenarionet_faults.WrongProofs, StaleHead)}


def build_fault(mode, raw=None):
    """A fault object of relay mode `mode` with typed, checked parameters (FaultError)."""
    return scenarionet_faults.build(mode, raw or {}, None, registry=FAULTS)


class _Handler(scenarionet_rpc.BaseHandler):
    server_version = "mycroft-relay"

    def _handle(self):
        relay = self.server.node
        fault = relay.fault
        if fault.intercept(self):
            return
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return relay.tunnel(self)     # CometBFT's /websocket (cometbft light subscribes)
        body = b""
        if self.command == "POST":
            body = self.read_body()
            if body is None:
                return
        try:
            if self.command == "GET":
                method, params = scenarionet_rpc.parse_uri(self.path)
                rpc_id, uri = -1, True
            else:
                method, params, rpc_id = scenarionet_rpc.parse_post(body)
                uri = False
        except scenarionet_rpc.RPCError:
            method, params, rpc_id, uri = None, {}, -1, self.command == "GET"
        try:
            replaced = fault.answer(relay, method, params) if method else None
        except scenarionet_rpc.RPCError as e:
            out = scenarionet_rpc.dumps(scenarionet_rpc.envelope(rpc_id, error=e))
            return self._send(fault, 500 if uri else 200, out, "application/json", method)
        if replaced is not None:
            out = scenarionet_rpc.dumps(scenarionet_rpc.envelope(rpc_id, replaced))
            return self._send(fault, 200, out, "application/json", method)
        try:
            status, ctype, data = relay.forward(self.command, self.path, body)
        except (OSError, http.client.HTTPException, ValueError):
            return self._send(fault, 502, b"upstream unavailable\n", "text/plain", method)
        hook = relay.hooks.get(method)
        if method and (hook is not None or type(fault).alter is not scenarionet_faults.Fault.alter):
            data = _altered(data, lambda r: _apply(fault, hook, method, params, r))
        self._send(fault, status, data, ctype, method)

    def _send(self, fault, status, body, ctype, method=None):
        self.server.node.count(len(body), method)
        fault.send(self, status, body, ctype)


def _apply(fault, hook, method, params, result):
    fault.alter(method, result)
    return result if hook is None else hook(params, result)


def _altered(data, edit):
    """The answer with its `result` edited (answers that are not a JSON-RPC result: as they
    are)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return data
    if not isinstance(doc, dict) or not isinstance(doc.get("result"), dict):
        return data
    doc["result"] = edit(doc["result"])
    return scenarionet_rpc.dumps(doc)


class Relay:
    """`Relay(upstream_rpc_url)` serves on 127.0.0.1:port (0: any free port) until close()."""

    def __init__(self, upstream, port=0):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = upstream.rstrip("/")
        self.up_host, self.up_port = u.hostname, u.port
        self.fault = scenarionet_faults.OK
        self.hooks = {}
        self.sent_bytes = 0
        self.answers = 0
        self.by_method = {}       # method -> [answers, bytes]
        self._lock = threading.Lock()
        self.rpc_srv = scenarionet_rpc.serve(_Handler, port, node=self)
        self.port = self.rpc_srv.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port

    def set_fault(self, mode, params=None):
        """Switch to `mode` (a name, checked, with its params) or a fault object."""
        fault = build_fault(mode, params) if isinstance(mode, str) else mode
        fault.prepare(self, None)
        self.fault = fault
        return fault

    def count(self, n, method=None):
        with self._lock:
            self.sent_bytes += n
            self.answers += 1
            row = self.by_method.setdefault(method or "(other)", [0, 0])
            row[0] += 1
            row[1] += n

    def reset_counts(self):
        with self._lock:
            self.sent_bytes = self.answers = 0
            self.by_method = {}

    def forward(self, command, path, body):
        """(status, content type, body) of the same request to the node."""
        conn = http.client.HTTPConnection(self.up_host, self.up_port, timeout=UPSTREAM_TIMEOUT)
        try:
            headers = {"Content-Type": "application/json"} if command == "POST" else {}
            conn.request(command, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_UPSTREAM + 1)
            if len(data) > MAX_UPSTREAM:
                raise ValueError("upstream answer too large")
            return resp.status, resp.getheader("Content-Type", "application/json"), data
        finally:
            conn.close()

    def tunnel(self, handler):
        """The request, then the bytes both ways, as they are (a websocket is not altered by
        any mode); until either side closes."""
        handler.close_connection = True
        try:
            up = socket.create_connection((self.up_host, self.up_port), timeout=UPSTREAM_TIMEOUT)
        except OSError:
            return
        head = "%s %s %s\r\n" % (handler.command, handler.path, handler.request_version)
        head += "".join("%s: %s\r\n" % kv for kv in handler.headers.items()) + "\r\n"
        client = handler.connection
        up.settimeout(None)
        client.settimeout(None)

        def pipe(src, dst, counted):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    if counted:
                        self.count(len(data), "websocket")
                    dst.sendall(data)
            except OSError:
                pass
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        try:
            up.sendall(head.encode("latin-1"))
        except OSError:
            up.close()
            return
        back = threading.Thread(target=pipe, args=(up, client, True), daemon=True)
        back.start()
        pipe(client, up, False)
        back.join()
        up.close()

    def upstream_result(self, method, params=None):
        """The node's `result` for a JSON-RPC call (for the modes that rebuild answers)."""
        doc = scenarionet_rpc.rpc_call(self.upstream, method, params, timeout=UPSTREAM_TIMEOUT)
        if "result" not in doc:
            raise scenarionet_rpc.internal("upstream: %s" % json.dumps(doc.get("error"))[:200])
        return doc["result"]

    def close(self):
        self.fault = scenarionet_faults.OK     # ends a blackholed wait
        self.rpc_srv.shutdown()
        self.rpc_srv.server_close()
