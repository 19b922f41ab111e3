"""Runs a built network directory: one `mycroftd start` process per node, the directory lock
held by the supervising process, status from each node's CometBFT RPC."""

import json
import os
import signal
import subprocess
import time

from lightclient import runlock
from lightclient.localchain import binary
from lightclient.rpc import RpcClient, SourceError
from lightclient.runlock import pid_alive

LOCK_NAME = "chain"          # D/chain.lock, a flock held by `chain up` (lightclient/runlock.py)
STOP_GRACE_S = 10.0
NODE_MODES = ("ok", "stopped", "paused")


def load(d):
    path = os.path.join(d, "network.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise binary.ChainError("no_network", "no network.json: run `chain up` first", dir=d)


def running_pid(d):
    """PID of the running `chain up` holding d's lock, else None (a lock file left by a dead
    holder never counts: the kernel dropped its flock)."""
    rec = runlock.holder(d, LOCK_NAME)
    pid = rec.get("pid") if rec else None
    return pid if isinstance(pid, int) and pid > 0 else None


def acquire_lock(d, command="chain up"):
    """Claims d for this process (an exclusive flock, held while the returned RunLock is
    open); refuses with the running holder's PID."""
    try:
        return runlock.RunLock(d, LOCK_NAME).acquire(command)
    except runlock.LockBusy as e:
        raise binary.ChainError("chain_running", "the chain in this directory is running",
                                pid=e.holder.get("pid"), started_at=e.holder.get("started_at"),
                                dir=d)


class Network:
    """The node processes of one network directory."""

    def __init__(self, d):
        self.dir = d
        self.info = load(d)
        self.procs = {}
        self.modes = {}       # node name -> NODE_MODES entry, "ok" when absent

    @property
    def nodes(self):
        return self.info["nodes"]

    def rpc(self, i=0, **kw):
        return RpcClient(self.nodes[i]["rpc"], **kw)

    def start(self):
        for n in self.nodes:
            self._spawn(n)

    def _spawn(self, n):
        log = open(os.path.join(n["home"], "node.log"), "ab")
        self.procs[n["name"]] = subprocess.Popen(
            [binary.binary_path(), "start", "--home", n["home"]], stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        with open(os.path.join(self.dir, "pids.json"), "w") as f:
            json.dump({k: p.pid for k, p in self.procs.items()}, f)

    def node(self, name):
        for n in self.nodes:
            if n["name"] == name:
                return n
        raise binary.ChainError("unknown_node", "no such node in this network", node=name,
                                nodes=",".join(n["name"] for n in self.nodes))

    def set_node_mode(self, name, mode):
        """A fault done to the node's process itself: "stopped" (SIGKILL: gone at once, as a
        crash or a power cut), "paused" (SIGSTOP: its sockets stay open, nothing answers),
        "ok" (continued, or started again on its data after a stop)."""
        n = self.node(name)
        if mode not in NODE_MODES:
            raise binary.ChainError("unknown_mode", "not a node mode", mode=mode,
                                    valid=",".join(NODE_MODES))
        was = self.modes.get(name, "ok")
        if mode == was:
            return
        p = self.procs[name]
        if was == "paused":
            p.send_signal(signal.SIGCONT)
        elif was == "stopped":
            self._spawn(n)                  # on its own data: it catches up with the others
            p = self.procs[name]
        if mode == "stopped":
            p.kill()
            p.wait()
        elif mode == "paused":
            p.send_signal(signal.SIGSTOP)
        self.modes[name] = mode

    def wait_for_height(self, height, timeout=60.0, node=0):
        """Polls node's /status until its latest height reaches `height`; returns it."""
        deadline = time.monotonic() + timeout
        client = self.rpc(node, timeout=2.0)
        while True:
            self._check_processes()
            try:
                h = client.status()["latest_height"]
                if h >= height:
                    return h
            except (SourceError, KeyError, ValueError, TypeError):
                pass
            if time.monotonic() > deadline:
                raise binary.ChainError("chain_timeout", "the chain did not reach the height",
                                        height=height, timeout_s=timeout)
            time.sleep(0.1)

    def _check_processes(self):
        for name, p in self.procs.items():
            if self.modes.get(name) != "stopped" and p.poll() is not None:
                raise binary.ChainError("node_exited", "a node process exited", node=name,
                                        code=p.returncode,
                                        log=_tail(os.path.join(self.dir, name, "node.log")))

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)     # a paused node must see its SIGTERM
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for p in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = {}


def _tail(path, n=600):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def status(d):
    """One dict per node: name, rpc, height or the error of its RPC."""
    out = []
    for n in load(d)["nodes"]:
        row = {"name": n["name"], "rpc": n["rpc"], "grpc": n["grpc"], "rest": n["rest"]}
        try:
            st = RpcClient(n["rpc"], timeout=2.0).status()
            row["height"] = st["latest_height"]
        except (SourceError, KeyError, ValueError, TypeError) as e:
            row["error"] = str(e)[:120]
        out.append(row)
    return out


def down(d, timeout=STOP_GRACE_S + 5):
    """Stops the `chain up` process holding the lock (it stops its nodes); returns its PID."""
    pid = running_pid(d)
    if pid is None:
        raise binary.ChainError("chain_not_running", "no running chain in this directory", dir=d)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        raise binary.ChainError("chain_stop_timeout", "the chain did not stop", pid=pid)
    return pid
