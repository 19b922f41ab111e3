"""Start and stop the local network, and drive it from Python (tests, demo, benchmarks).

    with ScenarioNet("/tmp/dn", validators=21, peers=4, history_days=2) as net:
        net.central_url, net.peer_urls                 # CometBFT RPC endpoints
        cp = net.checkpoint()                          # provision a device with this
        net.record("dev-1")                            # a device fixture (devices=[...])
        net.fault("peer2", "lunatic", signer_height=cp["height"])
        net.evidence("central")

Processes: one producer (keys, history, live blocks) and 1 + `peers` nodes, each a separate
Python process on 127.0.0.1. Every child exits when its stdin closes, so none outlives the
launcher even when the launcher is killed.
"""

import base64
import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.request

from lightclient.atomic_file import write_atomic
from lightclient.chip import txs as txmod
from lightclient.runlock import LockBusy, RunLock
from lightclient.scenarionet.chain import format_rfc3339_ns
from lightclient.scenarionet import faults
from lightclient.scenarionet import history as hist
from lightclient.scenarionet import rpc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ScenarioNetError(Exception):
    pass


class ControlRefused(ScenarioNetError):
    """A node's control port answered with an HTTP error; `message` is its one-line reason."""

    def __init__(self, what, status, message):
        ScenarioNetError.__init__(self, "%s: HTTP %d %s" % (what, status, message))
        self.status = status
        self.message = message


class FaultRefused(ScenarioNetError):
    """A fault mode, parameter or node name that cannot be set; the message names which."""


class ScenarioNetBusy(ScenarioNetError):
    """A scenario network of this directory is running (the message names its PID and start time)."""


class ChainMismatch(ScenarioNetError):
    """The directory holds another chain than the one asked for."""

    def __init__(self, directory, chain_id, diff):
        ScenarioNetError.__init__(self, (
            "%s holds another chain %s (%s): start it with the same parameters to continue it, "
            "or with --fresh to replace it (devices provisioned on it must then be provisioned "
            "again)" % (directory, chain_id, "; ".join("%s %s there, %s asked" % _shown(d)
                                                     for d in diff))))
        self.diff = diff


def _shown(diff):
    """A spec difference as the message says it: device fixtures by their number."""
    k, old, mine = diff
    if k == "devices":
        return k, "%d fixtures" % len(old or ()), "%d" % len(mine or ())
    return diff


def _read_chain(path):
    """The spec JSON kept in chain.json, None when there is none."""
    try:
        with open(path) as f:
            old = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ScenarioNetError("%s is unreadable (%s): --fresh replaces it" % (path, e))
    if not isinstance(old, dict) or not isinstance(old.get("genesis_time_ns"), int):
        raise ScenarioNetError("%s is not a chain spec: --fresh replaces it" % path)
    return old


def spec_differences(old, mine):
    """[(key, old value, asked value)] where the kept spec and the asked one differ; the genesis
    time only when one was asked for (otherwise the kept one is taken)."""
    out = []
    for k in sorted(set(mine) | set(old)):     # "devices" is left out of a spec without any
        v = mine.get(k)
        if k == "genesis_time_ns" and v is None:
            continue
        if old.get(k) != v:
            out.append((k, old.get(k), v))
    return out


def _read_ready(proc, name, timeout):
    """Wait for the child's `READY {json}` line."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise ScenarioNetError("%s exited during startup (code %s)" % (name, proc.poll()))
            buf += chunk
            if b"\n" in buf:
                line = buf.split(b"\n", 1)[0].decode()
                if not line.startswith("READY "):
                    raise ScenarioNetError("%s: unexpected output %r" % (name, line[:200]))
                return json.loads(line[6:])
    finally:
        sel.close()
    raise ScenarioNetError("%s not ready within %.0f s" % (name, timeout))


def _http_json(method, url, body=None, timeout=10.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        try:
            msg = json.loads(e.read()).get("error", "")
        except ValueError:
            msg = ""
        raise ControlRefused("%s %s" % (method, url), e.code, msg)


class ScenarioNet:
    def __init__(self, directory, validators=21, peers=4, key_type="ed25519", history_days=2,
                 history_blocks=None, churn_per_day=0.01, seed=b"mycroft-devnet",
                 genesis_time_ns=None, block_interval_s=5, chain_id="mycroft-devnet-1",
                 cache_dir=None, fresh=False, startup_timeout=120.0, devices=()):
        self.directory = os.path.abspath(directory)
        self.peers = int(peers)
        self.block_interval_s = block_interval_s
        self.history_blocks = history_blocks
        self.history_days = history_days
        self.fresh = fresh
        self.cache_dir = cache_dir
        self.startup_timeout = startup_timeout
        # devices: fixtures of the history (app.device_fixture / settings_fixture), the records
        # a scenario proves; the scenario network takes no transactions.
        self.spec = hist.Spec(chain_id, seed, validators, key_type, block_interval_s,
                              churn_per_day, genesis_time_ns, devices=devices)
        self.chain_id = chain_id
        self.procs = {}
        self.nodes = {}      # name -> {"rpc": url, "control": url, "pid": pid}
        self.producer_url = None
        self.central_url = None
        self.peer_urls = []
        self.info = {}
        self._logs = []
        self._lock = None

    @classmethod
    def attach(cls, directory):
        """A ScenarioNet for the running scenario network of `directory` (its scenarionet.json),
        owning none of its processes: the chain and fault methods work, stop() does nothing. Raises
        OSError / ValueError when there is no readable scenarionet.json."""
        info = load_info(directory)
        net = cls(directory, chain_id=info["chain_id"], block_interval_s=info["block_interval_s"])
        net.producer_url = info["producer"]["rpc"]
        net.nodes = info["nodes"]
        net.central_url = info["central_url"]
        net.peer_urls = info["peer_urls"]
        net.info = info
        return net

    # --- lifecycle ----------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _choose_chain(self):
        """Continue the chain kept in <dir>/chain.json when this spec is the same one, start a
        new chain in an unused directory or with `fresh`; refuse otherwise: another chain under
        the same chain id would leave a device provisioned on the old one on stale data.
        Returns "continued", "new" or "replaced"."""
        spec = self.spec
        path = os.path.join(self.directory, "chain.json")
        old = _read_chain(path)
        if old is not None and not self.fresh:
            diff = spec_differences(old, spec.to_json())
            if diff:
                raise ChainMismatch(self.directory, old.get("chain_id"), diff)
            spec.genesis_time_ns = old["genesis_time_ns"]  # a restart: the same chain
            return "continued"
        if spec.genesis_time_ns is None:
            n = self.history_blocks
            if n is None:
                n = int(self.history_days * 86400 / self.block_interval_s)
            n = max(2, int(n))
            now_s = time.time_ns() // hist.SECOND * hist.SECOND
            spec.genesis_time_ns = now_s - (n - 1) * spec.interval_ns
        write_atomic(path, json.dumps(spec.to_json()).encode())
        return "new" if old is None else "replaced"

    def _spawn(self, name, args):
        os.makedirs(os.path.join(self.directory, "logs"), exist_ok=True)
        log = open(os.path.join(self.directory, "logs", name + ".log"), "ab")
        self._logs.append(log)
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.Popen([sys.executable] + args + ["--watch-stdin"], cwd=REPO, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def start(self):
        """Start the network; raises ScenarioNetBusy when a scenario network of this directory runs
        (its PID named), ChainMismatch when the directory holds another chain (see _choose_chain)."""
        t0 = time.monotonic()
        os.makedirs(self.directory, exist_ok=True)
        self._lock = RunLock(self.directory, "scenarionet")
        try:
            self._lock.acquire("scenarionet up")
        except LockBusy as e:
            self._lock = None
            raise ScenarioNetBusy(str(e))
        try:
            chain_state = self._choose_chain()
            stale_info = os.path.join(self.directory, "scenarionet.json")
            if os.path.exists(stale_info):
                os.remove(stale_info)  # the ports of a network that is gone: never attach to them
            spec_json = json.dumps(self.spec.to_json())
            cache = self.cache_dir or os.path.join(self.directory, "cache")
            p = self._spawn("producer", ["-m", "lightclient.scenarionet.producer",
                                         "--dir", self.directory, "--spec", spec_json,
                                         "--cache-dir", cache])
            names = ["central"] + ["peer%d" % i for i in range(1, self.peers + 1)]
            ready = _read_ready(p, "producer", self.startup_timeout)
            self.producer_url = "http://127.0.0.1:%d" % ready["port"]
            node_procs = {}
            for n in names:
                node_procs[n] = self._spawn(n, ["-m", "lightclient.scenarionet.node", "--name", n,
                                                "--producer", self.producer_url,
                                                "--spec", spec_json])
            for n in names:
                r = _read_ready(node_procs[n], n, 30)
                self.nodes[n] = {"rpc": "http://127.0.0.1:%d" % r["rpc_port"],
                                 "control": "http://127.0.0.1:%d" % r["control_port"],
                                 "pid": r["pid"]}
            peers = [{"name": n, "rpc_url": self.nodes[n]["rpc"]} for n in names]
            for n in names:
                _http_json("POST", self.nodes[n]["control"] + "/peers", {"peers": peers})
            self.central_url = self.nodes["central"]["rpc"]
            self.peer_urls = [self.nodes[n]["rpc"] for n in names[1:]]
            startup = time.monotonic() - t0
            self.info = {
                "chain_id": self.chain_id,
                "genesis_time": format_rfc3339_ns(self.spec.genesis_time_ns),
                "genesis_time_ns": self.spec.genesis_time_ns,
                "validators": self.spec.validators,
                "key_type": self.spec.key_type,
                "block_interval_s": self.spec.block_interval_s,
                "churn_per_day": self.spec.churn_per_day,
                "unbonding_period_s": hist.UNBONDING_PERIOD_NS // hist.SECOND,
                "history_height": ready["latest_height"],
                "generation_seconds": ready["generation_seconds"],
                "loaded_from_cache": ready["loaded_from_cache"],
                "startup_seconds": round(startup, 3),
                "producer": {"rpc": self.producer_url, "pid": ready["pid"]},
                "nodes": self.nodes,
                "central_url": self.central_url,
                "peer_urls": self.peer_urls,
                "launcher_pid": os.getpid(),
                "chain_state": chain_state,
                "stale_lock": self._lock.previous,
            }
            self.info["checkpoint"] = self.checkpoint()
            self._write_json("scenarionet.json", self.info)
        except BaseException:
            self.stop()
            raise
        return self

    def _write_json(self, name, obj):
        write_atomic(os.path.join(self.directory, name), json.dumps(obj, indent=2).encode())

    def stop(self):
        """Stop every child (stdin closed, then SIGTERM, then SIGKILL after 10 s)."""
        procs, self.procs = self.procs, {}
        for p in procs.values():
            try:
                p.stdin.close()
            except OSError:
                pass
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except OSError:
                    pass
        deadline = time.monotonic() + 10
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()
        for log in self._logs:
            log.close()
        self._logs = []
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def pids(self):
        return {n: p.pid for n, p in self.procs.items()}

    # --- chain access -------------------------------------------------------------------------
    def _call(self, method, params=None, url=None):
        env = rpc.rpc_call(url or self.producer_url, method, params or {})
        if env.get("error"):
            raise ScenarioNetError("%s: %s" % (method, env["error"]))
        return env["result"]

    def latest_height(self):
        return int(self._call("status")["sync_info"]["latest_block_height"])

    def wait_height(self, height, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            h = self.latest_height()
            if h >= height:
                return h
            if time.monotonic() > deadline:
                raise ScenarioNetError("height %d not reached within %.0f s (at %d)"
                                       % (height, timeout, h))
            time.sleep(min(0.2, self.block_interval_s / 4))

    def validators(self, height):
        """The full /validators result at `height` (all pages joined; count == total)."""
        page, vals = 1, []
        while True:
            r = self._call("validators", {"height": str(height), "page": str(page),
                                          "per_page": "100"})
            vals += r["validators"]
            if len(vals) >= int(r["total"]):
                return {"block_height": r["block_height"], "validators": vals,
                        "count": str(len(vals)), "total": r["total"]}
            page += 1

    def checkpoint(self, height=None):
        """A trust anchor to provision a device with: height, header hash (hex), time, the
        header's validator-set hashes, and the validator set (the /validators result shape)."""
        h = self.latest_height() if height is None else int(height)
        hd = self._call("header", {"height": str(h)})["header"]
        c = self._call("commit", {"height": str(h)})
        return {"chain_id": self.chain_id, "height": h,
                "hash": c["signed_header"]["commit"]["block_id"]["hash"],
                "time": hd["time"], "validators_hash": hd["validators_hash"],
                "next_validators_hash": hd["next_validators_hash"],
                "validators": self.validators(h)}

    def record(self, uuid, height=None):
        """The device record (unverified, from the producer), or None."""
        params = {"path": txmod.QUERY_PATH, "data": txmod.record_key(uuid).hex(),
                  "prove": False}
        if height is not None:
            params["height"] = str(height)
        v = self._call("abci_query", params)["response"]["value"]
        return None if v is None else json.loads(base64.b64decode(v))

    # --- faults -------------------------------------------------------------------------------
    def _node(self, name):
        if name not in self.nodes:
            raise FaultRefused("unknown node %r (valid: %s)" % (name, ", ".join(self.nodes)))
        return self.nodes[name]

    def fault(self, node_name, mode, **params):
        """Set a node's fault mode (faults.FAULTS). The mode, the parameter names and types are
        checked here, what depends on the head by the node; either refusal is FaultRefused."""
        node = self._node(node_name)
        try:
            faults.parse_values(mode, params)
        except faults.FaultError as e:
            raise FaultRefused(str(e))
        try:
            return _http_json("POST", node["control"] + "/fault", dict(params, mode=mode))
        except ControlRefused as e:
            if e.status != 400:
                raise
            raise FaultRefused("%s refused it: %s" % (node_name, e.message))

    def fault_state(self, node_name):
        return _http_json("GET", self._node(node_name)["control"] + "/fault")

    def evidence(self, node_name):
        return _http_json("GET", self._node(node_name)["control"] + "/evidence")


def load_info(directory):
    """scenarionet.json of a running scenario network."""
    with open(os.path.join(directory, "scenarionet.json")) as f:
        return json.load(f)
