"""Runs a built network directory: one `mycroftd start` process per node, a lock file naming
the supervising process, status from each node's CometBFT RPC."""

import json
import os
import signal
import subprocess
import time

from lightclient.localchain import binary
from lightclient.rpc import RpcClient, SourceError
from lightclient.runlock import pid_alive

LOCK = "chain.lock"
STOP_GRACE_S = 10.0


def load(d):
    path = os.path.join(d, "network.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise binary.ChainError("no_network", "no network.json: run `chain up` first", dir=d)


def running_pid(d):
    """PID in the lock file when that process is alive, else None."""
    try:
        with open(os.path.join(d, LOCK)) as f:
            pid = int(f.read().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def acquire_lock(d):
    """Claims d for this process; refuses when a live process holds it."""
    path = os.path.join(d, LOCK)
    pid = running_pid(d)
    if pid is not None:
        raise binary.ChainError("chain_running", "the chain in this directory is running", pid=pid,
                                dir=d)
    tmp = path + ".%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(tmp, path)


def release_lock(d):
    path = os.path.join(d, LOCK)
    if running_pid(d) == os.getpid():
        os.remove(path)


class Network:
    """The node processes of one network directory."""

    def __init__(self, d):
        self.dir = d
        self.info = load(d)
        self.procs = {}

    @property
    def nodes(self):
        return self.info["nodes"]

    def rpc(self, i=0, **kw):
        return RpcClient(self.nodes[i]["rpc"], **kw)

    def start(self):
        exe = binary.binary_path()
        for n in self.nodes:
            log = open(os.path.join(n["home"], "node.log"), "ab")
            self.procs[n["name"]] = subprocess.Popen(
                [exe, "start", "--home", n["home"]], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
            log.close()
        with open(os.path.join(self.dir, "pids.json"), "w") as f:
            json.dump({k: p.pid for k, p in self.procs.items()}, f)

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
            if p.poll() is not None:
                raise binary.ChainError("node_exited", "a node process exited", node=name,
                                        code=p.returncode,
                                        log=_tail(os.path.join(self.dir, name, "node.log")))

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
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
