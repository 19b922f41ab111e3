"""A scenario network node process: a CometBFT-RPC face on its own port, fed by the producer, with a
fault mode switchable at runtime through a separate control port (never faulted).

    python -m lightclient.scenarionet.node --name peer1 --producer http://127.0.0.1:P --spec SPEC_JSON
prints `READY {"rpc_port", "control_port", "pid"}`; exits on SIGTERM / SIGINT / stdin EOF.

Control port (JSON): GET /fault -> {"mode", "params"}; POST /fault {"mode": ..., params...}
(400 {"error", "mode", "param"} when refused); GET /evidence -> [evidence received];
POST /peers {"peers": [{"name", "rpc_url"}]}; GET /health.

The fault modes are lightclient/scenarionet/faults.py's (docs/scenario-network.md).
"""

import argparse
import json
import os
import signal
import sys
import threading

from lightclient.chip.core import rpcjson
from lightclient.chip.core import valset
from lightclient.scenarionet.chain import Key, format_rfc3339_ns
from lightclient.scenarionet import evidence as evmod
from lightclient.scenarionet import faults
from lightclient.scenarionet import history as hist
from lightclient.scenarionet import rpc


class Upstream:
    """The producer's honest chain, over its JSON-RPC port."""

    def __init__(self, url):
        self.url = url
        self._seeds = {}
        self._lock = threading.Lock()

    def call(self, method, params=None):
        """The envelope; raises rpc.RPCError for an error answer."""
        env = rpc.rpc_call(self.url, method, params or {})
        if "error" in env and env["error"]:
            e = env["error"]
            raise rpc.RPCError(e.get("code", -32603), e.get("message", ""), e.get("data", ""))
        return env["result"]

    def latest(self):
        return int(self.call("status")["sync_info"]["latest_block_height"])

    def header(self, height):
        return rpcjson.header_from_json(self.call("header", {"height": str(height)})["header"])

    def valset_and_keys(self, height):
        """(ValidatorSet, {address: Key}) of `height` (the simulator knows every key)."""
        with self._lock:
            got = self._seeds.get(height)
        if got is None:
            res = self.call("scenarionet_seeds", {"height": str(height)})
            vals, keys = [], {}
            for s in res["seeds"]:
                k = Key(s["key_type"], bytes.fromhex(s["seed"]))
                keys[k.address] = k
                vals.append(valset.Validator(k.address, k.key_type, k.pub_key, int(s["power"])))
            got = (valset.ValidatorSet(valset.sort_validators(vals)), keys)
            with self._lock:
                self._seeds[height] = got
        return got


class Node:
    def __init__(self, name, producer_url, spec):
        self.name = name
        self.up = Upstream(producer_url)
        self.spec = spec
        # A faults.Fault, replaced in one assignment: a request thread reads it once and never
        # sees a mode with another mode's params.
        self.fault = faults.OK
        self.peers = []
        self.evidence = []
        self.rpc_port = 0
        self.rpc_srv = None
        self.lock = threading.RLock()

    # --- control ------------------------------------------------------------------------------
    @property
    def mode(self):
        return self.fault.name

    @property
    def params(self):
        return self.fault.values

    def set_fault(self, mode, raw_params):
        """Switch to `mode` (faults.FAULTS) with raw_params checked; raises faults.FaultError."""
        with self.lock:
            fault = faults.build(mode, raw_params, self.up.latest())
            fault.prepare(self.up, self.spec)
            self.fault = fault
            self._listener(fault.listening)
        return {"mode": fault.name, "params": fault.params_json()}

    def _listener(self, want_open):
        if want_open and self.rpc_srv is None:
            self.rpc_srv = rpc.serve(RPCHandler, self.rpc_port, node=self)
        elif not want_open and self.rpc_srv is not None:
            srv, self.rpc_srv = self.rpc_srv, None
            srv.shutdown()
            srv.server_close()

    # --- answers ------------------------------------------------------------------------------
    def answer(self, method, params):
        """The result this node gives (after its fault mode), or raises RPCError."""
        fault = self.fault
        if method == "net_info":
            return self._net_info()
        if method == "broadcast_evidence":
            return self._take_evidence(params)
        res = fault.answer(self, method, params)
        if res is None:
            res = self.up.call(method, params)
            if method == "status":
                res["node_info"] = rpc.node_info(self.spec.chain_id, self.name, self.rpc_port)
            fault.alter(method, res)
        return res

    def _take_evidence(self, params):
        """Checked against the honest chain whatever the mode, recorded once."""
        info = evmod.check_evidence(params.get("evidence"), self.spec.chain_id,
                                       self._honest_header_or_none)
        info["node"] = self.name
        with self.lock:
            evmod.keep_evidence(self.evidence, info)
        return {"hash": info["hash"]}

    def _honest_header_or_none(self, height):
        try:
            return self.up.header(height)
        except rpc.RPCError:
            return None

    def _net_info(self):
        peers = []
        for pr in self.peers:
            if pr["name"] == self.name:
                continue
            port = int(pr["rpc_url"].rsplit(":", 1)[1])
            peers.append({
                "node_info": rpc.node_info(self.spec.chain_id, pr["name"], port),
                "is_outbound": True,
                "connection_status": {"Duration": "0", "SendMonitor": {}, "RecvMonitor": {},
                                      "Channels": []},
                "remote_ip": "127.0.0.1",
            })
        return {"listening": True,
                "listeners": ["Listener(@tcp://127.0.0.1:%d)" % self.rpc_port],
                "n_peers": str(len(peers)), "peers": peers}

    def status_from(self, res, header):
        """A /status answer `res` rewritten to report `header` as this node's head."""
        si = res["sync_info"]
        si["latest_block_height"] = str(header.height)
        si["latest_block_hash"] = rpc.hexu(header.hash())
        si["latest_app_hash"] = rpc.hexu(header.app_hash)
        si["latest_block_time"] = format_rfc3339_ns(header.time_ns)
        res["node_info"] = rpc.node_info(self.spec.chain_id, self.name, self.rpc_port)
        return res


# --- HTTP handlers ------------------------------------------------------------------------------

class RPCHandler(rpc.BaseHandler):
    def _handle(self):
        node = self.server.node
        fault = node.fault
        if fault.intercept(self):
            return
        self.serve_rpc(node.answer, b"scenarionet node %s\n" % node.name.encode(),
                       lambda status, body, ctype="application/json":
                       fault.send(self, status, body, ctype))


MAX_PEERS = 256


def _valid_peers(peers):
    """What /net_info is built from: names and loopback RPC URLs with a port."""
    if not isinstance(peers, list) or len(peers) > MAX_PEERS:
        return False
    for pr in peers:
        if not isinstance(pr, dict) or not isinstance(pr.get("name"), str) or \
                not isinstance(pr.get("rpc_url"), str):
            return False
        head, _, port = pr["rpc_url"].rpartition(":")
        if head != "http://127.0.0.1" or not port.isdigit() or not 0 < int(port) < 65536:
            return False
    return True


class ControlHandler(rpc.BaseHandler):
    def do_GET(self):
        node = self.server.node
        if self.path == "/fault":
            self._json(200, {"mode": node.mode, "params": node.fault.params_json()})
        elif self.path == "/evidence":
            with node.lock:
                ev = list(node.evidence)
            self._json(200, ev)
        elif self.path == "/health":
            self._json(200, {"name": node.name, "rpc_port": node.rpc_port})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self):
        node = self.server.node
        body = self.read_body()
        if body is None:
            return
        try:
            req = json.loads(body or b"{}")
            if not isinstance(req, dict):
                raise ValueError("body must be an object")
        except ValueError as e:
            self._json(400, {"error": "bad JSON: %s" % e})
            return
        if self.path == "/fault":
            mode = req.pop("mode", None)
            if not isinstance(mode, str):
                self._json(400, {"error": "mode missing"})
                return
            try:
                self._json(200, node.set_fault(mode, req))
            except faults.FaultError as e:
                self._json(400, {"error": str(e), "mode": mode,
                                 "param": getattr(e, "param", None)})
            except rpc.RPCError as e:  # the producer refused what the mode needs
                self._json(400, {"error": "%s: the producer refused: %s" % (mode, e),
                                 "mode": mode, "param": None})
        elif self.path == "/peers":
            peers = req.get("peers")
            if not _valid_peers(peers):
                self._json(400, {"error": "peers must be a list of at most %d {\"name\": str, "
                                          "\"rpc_url\": \"http://127.0.0.1:PORT\"}" % MAX_PEERS})
                return
            node.peers = peers
            self._json(200, {"peers": len(node.peers)})
        else:
            self._json(404, {"error": "not found"})

    def _json(self, status, obj):
        self.send_raw(status, json.dumps(obj, default=str).encode())


def main(argv=None):
    ap = argparse.ArgumentParser(prog="lightclient.scenarionet.node")
    ap.add_argument("--name", required=True)
    ap.add_argument("--producer", required=True)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--rpc-port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--watch-stdin", action="store_true")
    args = ap.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    node = Node(args.name, args.producer, hist.Spec.from_json(json.loads(args.spec)))
    node.rpc_port = args.rpc_port
    node._listener(True)
    node.rpc_port = node.rpc_srv.server_address[1]
    ctl = rpc.serve(ControlHandler, args.control_port, node=node)
    if args.watch_stdin:
        from lightclient.scenarionet.producer import watch_stdin
        threading.Thread(target=watch_stdin, args=(stop.set,), daemon=True).start()
    sys.stdout.write("READY " + json.dumps({"rpc_port": node.rpc_port,
                                            "control_port": ctl.server_address[1],
                                            "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    stop.wait()
    node.fault = faults.OK  # releases blackholed handlers
    node._listener(False)
    ctl.shutdown()
    ctl.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
