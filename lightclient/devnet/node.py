"""A devnet node process: a CometBFT-RPC face on its own port, fed by the producer, with a
fault mode switchable at runtime through a separate control port (never faulted).

    python -m lightclient.devnet.node --name peer1 --producer http://127.0.0.1:P --spec SPEC_JSON
prints `READY {"rpc_port", "control_port", "pid"}`; exits on SIGTERM / SIGINT / stdin EOF.

Control port (JSON): GET /fault -> {"mode", "params"}; POST /fault {"mode": ..., params...};
GET /evidence -> [evidence received]; POST /peers {"peers": [{"name", "rpc_url"}]};
GET /health.

Fault modes (docs/devnet.md): ok, down, blackholed, slow, 5xx, forged_signatures,
minority_fork, lunatic, future, stale, wrong_proofs, garbage, oversized.
"""

import argparse
import base64
import json
import os
import signal
import sys
import threading
import time

from lightclient.chip import txs as txmod
from lightclient.chip.core import rpcjson
from lightclient.chip.core import valset
from lightclient.devnet.chain import Key, format_rfc3339_ns, header_json
from lightclient.devnet import app as appmod
from lightclient.devnet import history as hist
from lightclient.devnet import rpc
from lightclient.devnet.device_template import merge_setting

MODES = ("ok", "down", "blackholed", "slow", "5xx", "forged_signatures", "minority_fork",
         "lunatic", "future", "stale", "wrong_proofs", "garbage", "oversized")


class FaultError(Exception):
    pass


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
            res = self.call("devnet_seeds", {"height": str(height)})
            vals, keys = [], {}
            for s in res["seeds"]:
                k = Key(s["key_type"], bytes.fromhex(s["seed"]))
                keys[k.address] = k
                vals.append(valset.Validator(k.address, k.key_type, k.pub_key, int(s["power"])))
            got = (valset.ValidatorSet(valset.sort_validators(vals)), keys)
            with self._lock:
                self._seeds[height] = got
        return got


class ForkedChain:
    """A conflicting chain from `fork_height` on, built locally (headers chained by hash) and
    signed with validator keys; what minority_fork, lunatic and future serve."""

    def __init__(self, spec, up, fork_height, vals_for, signers_for, app_hash, time_offset_ns=0):
        self.spec = spec
        self.up = up
        self.fork_height = fork_height
        self.vals_for = vals_for        # height -> (ValidatorSet, next ValidatorSet, keys)
        self.signers_for = signers_for  # (height, ValidatorSet) -> signer indices or None (all)
        self.app_hash = app_hash
        self.time_offset_ns = time_offset_ns
        self._hashes = {}
        self._blocks = {}
        self._lock = threading.Lock()

    def _header(self, h, prev_hash):
        vals, nvals, _ = self.vals_for(h)
        return hist.make_header(
            self.spec, h, hist.block_id_of(prev_hash),
            hist.last_commit_digest(prev_hash, b"forged"), vals.hash(), nvals.hash(),
            self.app_hash, vals.validators[(h - 1) % len(vals)].address,
            time_ns=self.spec.time_at(h) + self.time_offset_ns)

    def hash_at(self, h):
        with self._lock:
            if h in self._hashes:
                return self._hashes[h]
            start = max([x for x in self._hashes if x < h], default=None)
            if start is None:
                prev = self.up.header(self.fork_height - 1).hash()
                start = self.fork_height - 1
            else:
                prev = self._hashes[start]
            for x in range(start + 1, h + 1):
                prev = self._header(x, prev).hash()
                self._hashes[x] = prev
            return prev

    def header(self, h):
        prev = self.hash_at(h - 1) if h > self.fork_height else self.up.header(h - 1).hash()
        return self._header(h, prev)

    def block(self, h):
        """(header, commit) at h, signed (cached)."""
        with self._lock:
            b = self._blocks.get(h)
        if b is not None:
            return b
        hd = self.header(h)
        vals, _, keys = self.vals_for(h)
        signers = self.signers_for(h, vals)
        commit = hist.sign_commit(hd, hist.block_id_of(hd.hash()), vals, keys.__getitem__,
                                  signers=signers)
        with self._lock:
            self._blocks[h] = (hd, commit)
        return hd, commit


def _flip_b64(s, index=-1):
    b = bytearray(base64.b64decode(s))
    if b:
        b[index] ^= 0x01
    return base64.b64encode(bytes(b)).decode()


OK_FAULT = ("ok", {}, None, None)


class Node:
    def __init__(self, name, producer_url, spec):
        self.name = name
        self.up = Upstream(producer_url)
        self.spec = spec
        # (mode, params, forked chain, forged state), replaced in one assignment: a request
        # thread reads it once and never sees a mode with another mode's params.
        self.fault = OK_FAULT
        self.peers = []
        self.evidence = []
        self.rpc_port = 0
        self.rpc_srv = None
        self.lock = threading.RLock()

    # --- modes --------------------------------------------------------------------------------
    @property
    def mode(self):
        return self.fault[0]

    @property
    def params(self):
        return self.fault[1]

    def set_fault(self, mode, params):
        if mode not in MODES:
            raise FaultError("unknown mode %r (one of %s)" % (mode, ", ".join(MODES)))
        with self.lock:
            latest = self.up.latest()
            p = dict(params)
            fork = forged = None
            if mode == "stale":
                p["height"] = int(p.get("height", max(1, latest - 5)))
            elif mode == "slow":
                p["delay_s"] = float(p.get("delay_s", 0.05))
                p["bytes_per_step"] = int(p.get("bytes_per_step", 1))
            elif mode == "oversized":
                p["size"] = int(p.get("size", 50 * 1024 * 1024))
            elif mode == "wrong_proofs":
                p["variant"] = p.get("variant", "value")
                if p["variant"] not in ("value", "proof"):
                    raise FaultError("wrong_proofs variant must be value or proof")
            elif mode == "forged_signatures":
                p["count"] = int(p.get("count", 0))  # 0: every signature
            elif mode == "minority_fork":
                p["fork_height"] = int(p.get("fork_height", max(2, latest - 2)))
                fork = self._minority_fork(p["fork_height"])
            elif mode == "lunatic":
                fh = int(p.get("fork_height", max(3, latest - 2)))
                p["fork_height"] = fh
                p["signer_height"] = int(p.get("signer_height", fh - 1))
                if not 1 <= p["signer_height"] < fh or fh > latest:
                    raise FaultError("need 1 <= signer_height < fork_height <= latest")
                p.setdefault("setting", {"lang": "xx-xx", "tts": {"module": "attacker-tts"}})
                fork, forged = self._lunatic(p)
            elif mode == "future":
                p["offset_s"] = int(p.get("offset_s", 86400))
            if mode in ("minority_fork", "lunatic") and p["fork_height"] < 2:
                raise FaultError("fork_height must be >= 2")
            self.fault = (mode, p, fork, forged)
            self._listener(mode != "down")
        return {"mode": self.mode, "params": self._params_json()}

    def _params_json(self):
        return json.loads(json.dumps(self.params, default=str))

    def _minority_fork(self, fork_height):
        up = self.up

        def vals_for(h):
            vals, keys = up.valset_and_keys(h)
            nvals, _ = up.valset_and_keys(h + 1) if h + 1 <= up.latest() + 1 else (vals, None)
            return vals, nvals, keys

        def signers_for(h, vals):
            # The smallest validators, while their power stays below 1/3 of the total.
            out, power = [], 0
            for i in range(len(vals) - 1, -1, -1):
                p = vals.validators[i].voting_power
                if 3 * (power + p) >= vals.total_power:
                    break
                out.append(i)
                power += p
            return out or [len(vals) - 1]

        forged_app = hist._sha(b"minority-fork-app-hash", str(fork_height).encode())
        return ForkedChain(self.spec, up, fork_height, vals_for, signers_for, forged_app)

    def _lunatic(self, p):
        up = self.up
        fh, sh = p["fork_height"], p["signer_height"]
        old_vals, old_keys = up.valset_and_keys(sh)
        st = up.call("devnet_state", {"height": str(fh - 1)})
        stores = {n: {bytes.fromhex(k): bytes.fromhex(v) for k, v in items.items()}
                  for n, items in st["stores"].items()}
        changes = {}
        for k, v in stores["devices"].items():
            if not k.startswith(txmod.KEY_PREFIX):
                continue
            rec = json.loads(v)
            if p.get("uuid") and rec["uuid"] != p["uuid"]:
                continue
            rec["setting"] = merge_setting(rec["setting"], p["setting"])
            rec["version"] += 1
            changes[k] = txmod.canonical_json(rec)
        versions = {n: max(1, int(x)) for n, x in st["versions"].items()}
        forged = appmod.ForgedState(stores, versions, {"devices": changes})
        fork = ForkedChain(self.spec, up, fh, lambda h: (old_vals, old_vals, old_keys),
                           lambda h, vals: None, forged.app_hash)
        return fork, forged

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
        mode, p, fork, forged = self.fault
        if method == "net_info":
            return self._net_info()
        if method == "broadcast_evidence":
            info = rpc.check_evidence(params.get("evidence"), self.spec.chain_id,
                                      self._honest_header_or_none)
            info["node"] = self.name
            with self.lock:
                rpc.keep_evidence(self.evidence, info)
            return {"hash": info["hash"]}
        if mode == "stale":
            return self._stale(method, params, p["height"])
        if mode in ("minority_fork", "lunatic"):
            r = self._forked(method, params, fork, forged)
            if r is not None:
                return r
        if mode == "future":
            r = self._future(method, params, p["offset_s"])
            if r is not None:
                return r
        res = self.up.call(method, params)
        if method == "status":
            res["node_info"] = rpc.node_info(self.spec.chain_id, self.name, self.rpc_port)
        if mode == "forged_signatures" and method == "commit":
            sigs = res["signed_header"]["commit"]["signatures"]
            n = 0
            for s in sigs:
                if s.get("signature") and (p["count"] == 0 or n < p["count"]):
                    s["signature"] = _flip_b64(s["signature"], 7)
                    n += 1
        if mode == "wrong_proofs" and method == "abci_query":
            r = res["response"]
            if p["variant"] == "value":
                if r.get("value"):
                    r["value"] = _flip_b64(r["value"])
                elif r.get("proofOps"):
                    r["value"] = base64.b64encode(b'{"forged":true}').decode()
            elif r.get("proofOps"):
                op = r["proofOps"]["ops"][0]
                op["data"] = _flip_b64(op["data"], len(base64.b64decode(op["data"])) // 2)
        return res

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

    def _status_from(self, res, header):
        si = res["sync_info"]
        si["latest_block_height"] = str(header.height)
        si["latest_block_hash"] = rpc.hexu(header.hash())
        si["latest_app_hash"] = rpc.hexu(header.app_hash)
        si["latest_block_time"] = format_rfc3339_ns(header.time_ns)
        res["node_info"] = rpc.node_info(self.spec.chain_id, self.name, self.rpc_port)
        return res

    def _stale(self, method, params, frozen):
        hh = rpc.int_param(params, "height")
        if method in ("commit", "header", "abci_query"):
            if hh is None or hh == 0:
                params = dict(params, height=str(frozen))
            elif hh > frozen:
                raise rpc.internal("height %d must be less than or equal to the current "
                                   "blockchain height %d" % (hh, frozen))
        if method == "validators":
            if hh is None or hh == 0:
                params = dict(params, height=str(frozen))
            elif hh > frozen + 1:
                raise rpc.internal("height %d must be less than or equal to the current "
                                   "blockchain height %d" % (hh, frozen))
        res = self.up.call(method, params)
        if method == "status":
            res = self._status_from(res, self.up.header(frozen))
        if method == "commit":
            res["canonical"] = hh not in (None, 0, frozen)
        return res

    def _forked(self, method, params, fork, forged):
        """Answers that differ on the forked chain (lunatic: with the `forged` state); None: the
        honest answer applies."""
        lunatic = forged is not None
        fh = fork.fork_height
        hh = rpc.int_param(params, "height")
        if method == "status":
            latest = self.up.latest()
            res = self.up.call("status")
            return self._status_from(res, fork.header(latest))
        if method in ("commit", "header"):
            latest = self.up.latest()
            h = latest if hh in (None, 0) else hh
            if h < fh or h > latest:
                return None
            hd, commit = fork.block(h)
            if method == "header":
                return {"header": header_json(hd)}
            return rpc.commit_result(hd, commit, h != latest)
        if method == "validators" and lunatic:
            h = self.up.latest() if hh in (None, 0) else hh
            if h < fh or h > self.up.latest() + 1:
                return None
            vals, _, _ = fork.vals_for(h)
            return rpc.validators_result(vals, h, rpc.int_param(params, "page"),
                                         rpc.int_param(params, "per_page"))
        if method == "abci_query" and lunatic:
            latest = self.up.latest()
            h = latest if hh in (None, 0) else hh
            if h < fh - 1 or h > latest:
                return None
            key = rpc.query_key(params)
            parts = rpc.str_param(params, "path").split("/")
            if len(parts) != 4 or parts[1::2] != ["store", "key"] or parts[0] or \
                    parts[2] not in appmod.STORES or not key:
                return None  # the honest node's error answer
            value, ops = forged.query(parts[2], key)
            prove = params.get("prove") in (True, "true")
            return rpc.query_response(key, value, ops if prove else None, h)
        return None

    def _future(self, method, params, offset_s):
        """One block beyond the honest head, validly signed, with a time offset_s ahead."""
        latest = self.up.latest()
        fh = latest + 1
        hh = rpc.int_param(params, "height")
        if method not in ("status", "commit", "header"):
            return None
        if method != "status" and hh not in (None, 0, fh):
            return None
        up = self.up

        def vals_for(h):
            vals, keys = up.valset_and_keys(h)
            return vals, vals, keys

        fork = ForkedChain(self.spec, up, fh, vals_for, lambda h, v: None,
                           up.header(latest).app_hash, offset_s * hist.SECOND)
        hd, commit = fork.block(fh)
        if method == "status":
            return self._status_from(up.call("status"), hd)
        if method == "header":
            return {"header": header_json(hd)}
        return rpc.commit_result(hd, commit, False)


# --- HTTP handlers ------------------------------------------------------------------------------

class RPCHandler(rpc.BaseHandler):
    def _handle(self):
        node = self.server.node
        mode, params = node.fault[:2]
        if mode == "down":
            self.close_connection = True
            return
        if mode == "blackholed":
            # Accepted, read, never answered; the connection closes when the mode changes.
            while node.mode == "blackholed" and node.rpc_srv is self.server:
                time.sleep(0.1)
            self.close_connection = True
            return
        if mode in ("5xx", "garbage", "oversized") and self.read_body() is None:
            return  # a body over MAX_BODY: answered 413, and only that
        if mode == "5xx":
            self.send_raw(503, b"<html><body>503 Service Unavailable</body></html>\n",
                          "text/html")
            return
        if mode == "garbage":
            body = bytes((i * 73 + 41) % 256 for i in range(512))
            self.send_raw(200, b"\x00\xff<<not json>>" + body)
            return
        if mode == "oversized":
            self._oversized(params["size"])
            return
        self.serve_rpc(node.answer, b"devnet node %s\n" % node.name.encode(), self._send)

    def _send(self, status, body, ctype="application/json"):
        node = self.server.node
        mode, params = node.fault[:2]
        if mode != "slow":
            self.send_raw(status, body, ctype)
            return
        head = ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                % (status, self.responses.get(status, ("",))[0], ctype, len(body))).encode()
        data = head + body
        step = params["bytes_per_step"]
        delay = params["delay_s"]
        try:
            for i in range(0, len(data), step):
                self.wfile.write(data[i:i + step])
                self.wfile.flush()
                if node.mode != "slow":
                    delay = 0
                time.sleep(delay)
        except OSError:
            self.close_connection = True

    def _oversized(self, size):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b'{"jsonrpc":"2.0","id":-1,"result":"' + b"A" * 65000
        sent = 0
        try:
            while sent < size:
                part = chunk[:size - sent]
                self.wfile.write(part)
                sent += len(part)
                chunk = b"A" * 65536
        except OSError:
            pass
        self.close_connection = True


class ControlHandler(rpc.BaseHandler):
    def do_GET(self):
        node = self.server.node
        if self.path == "/fault":
            self._json(200, {"mode": node.mode, "params": node._params_json()})
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
            except (FaultError, rpc.RPCError, ValueError, KeyError, TypeError) as e:
                self._json(400, {"error": str(e)})
        elif self.path == "/peers":
            node.peers = list(req.get("peers", []))
            self._json(200, {"peers": len(node.peers)})
        else:
            self._json(404, {"error": "not found"})

    def _json(self, status, obj):
        self.send_raw(status, json.dumps(obj, default=str).encode())


def main(argv=None):
    ap = argparse.ArgumentParser(prog="lightclient.devnet.node")
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
        from lightclient.devnet.producer import watch_stdin
        threading.Thread(target=watch_stdin, args=(stop.set,), daemon=True).start()
    sys.stdout.write("READY " + json.dumps({"rpc_port": node.rpc_port,
                                            "control_port": ctl.server_address[1],
                                            "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    stop.wait()
    node.fault = OK_FAULT  # releases blackholed handlers
    node._listener(False)
    ctl.shutdown()
    ctl.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
