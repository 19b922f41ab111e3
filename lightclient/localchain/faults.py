"""`mycroft-lc chain fault NODE MODE [k=v ...]`: faults done to the real nodes of a running
`chain up`, each node's at one time.

- Node modes act on the node's process: `stopped` (SIGKILL), `paused` (SIGSTOP), `ok`
  (continued, or started again on its data).
- Relay modes act in the relay `chain up` runs in front of each node's CometBFT RPC (relay.py):
  `blackholed`, `slow`, `5xx`, `garbage`, and the lying ones `forged_signatures`,
  `wrong_proofs`, `stale_head`. The node itself stays honest and reachable directly.

The command writes the wanted modes to D/faults.json (under a flock: two commands never lose
each other's change), wakes the `chain up` process (SIGUSR1), and waits until it has applied them
(D/faults.applied.json carries the same sequence number), so a fault is in effect when the
command returns."""

import fcntl
import json
import os
import signal
import time

from lightclient.atomic_file import write_atomic
from lightclient.scenarionet.fault_params import FaultError
from lightclient.localchain import binary, network, relay

WANTED = "faults.json"
APPLIED = "faults.applied.json"
APPLY_TIMEOUT_S = 30.0
MAX_FILE = 1 << 20


def modes():
    return list(network.NODE_MODES) + [m for m in relay.FAULTS if m not in network.NODE_MODES]


def check(mode, params):
    """The typed parameters of `mode`, or ChainError bad_fault naming what is wrong."""
    if mode in network.NODE_MODES:
        if params:
            raise binary.ChainError("bad_fault", "node modes take no parameters", mode=mode)
        return {}
    try:
        return relay.build_fault(mode, params).values
    except FaultError as e:
        raise binary.ChainError("bad_fault", str(e), mode=mode, valid=",".join(modes()))


def _read(path):
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read(MAX_FILE))
    except (FileNotFoundError, ValueError):
        return {"seq": 0, "nodes": {}}
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), dict) \
            or not isinstance(doc.get("seq"), int):
        return {"seq": 0, "nodes": {}}
    return doc


def applied(d):
    return _read(os.path.join(d, APPLIED))


def request(d, node, mode, params=None, timeout=APPLY_TIMEOUT_S):
    """Sets `node`'s mode in the running chain of d; returns what the chain applied (a dict
    with mode, params) once in effect. Raises ChainError."""
    params = params or {}
    check(mode, params)
    names = [n["name"] for n in network.load(d)["nodes"]]
    if node not in names:
        raise binary.ChainError("unknown_node", "no such node in this network", node=node,
                                nodes=",".join(names))
    pid = network.running_pid(d)
    if pid is None:
        raise binary.ChainError("chain_not_running", "no running chain in this directory", dir=d)
    with open(os.path.join(d, "faults.lock"), "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        doc = _read(os.path.join(d, WANTED))
        doc["seq"] += 1
        doc["nodes"][node] = {"mode": mode, "params": params}
        write_atomic(os.path.join(d, WANTED), json.dumps(doc).encode())
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while True:
        done = applied(d)
        if done["seq"] >= doc["seq"]:
            got = done["nodes"].get(node, {})
            if got.get("error"):
                raise binary.ChainError("fault_failed", "the chain could not apply the fault",
                                        node=node, mode=mode, error=got["error"])
            return got
        if time.monotonic() > deadline or network.running_pid(d) != pid:
            raise binary.ChainError("fault_timeout", "the running chain did not apply the fault",
                                    node=node, mode=mode, pid=pid)
        time.sleep(0.05)


class Supervisor:
    """In the `chain up` process: the relays in front of the nodes, and the wanted modes
    applied to them and to the node processes."""

    def __init__(self, net):
        self.net = net
        self.current = {}
        self.relays = {}
        for n in net.nodes:
            self.relays[n["name"]] = relay.Relay(n["rpc"], n["ports"].get("relay", 0))

    def relay_url(self, name):
        return self.relays[name].url

    def apply(self):
        """Brings every node to the mode D/faults.json wants; writes D/faults.applied.json."""
        d = self.net.dir
        want = _read(os.path.join(d, WANTED))
        for name, w in want["nodes"].items():
            if name not in self.relays or self.current.get(name, {}).get("want") == w:
                continue
            mode, params = w.get("mode"), w.get("params") or {}
            entry = {"want": w, "mode": mode, "params": params}
            try:
                check(mode, params)
                if mode in network.NODE_MODES:
                    self.relays[name].set_fault("ok")
                    self.net.set_node_mode(name, mode)
                else:
                    self.net.set_node_mode(name, "ok")
                    entry["params"] = self.relays[name].set_fault(mode, params).values
            except Exception as e:  # noqa: BLE001 - reported to the command that asked
                entry["error"] = "%s: %s" % (type(e).__name__, str(e)[:200])
            self.current[name] = entry
        out = {"seq": want["seq"], "nodes": {k: {x: v[x] for x in v if x != "want"}
                                             for k, v in self.current.items()}}
        write_atomic(os.path.join(d, APPLIED), json.dumps(out).encode())

    def close(self):
        for r in self.relays.values():
            r.close()
