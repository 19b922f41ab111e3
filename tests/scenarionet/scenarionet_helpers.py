"""Helpers of the scenario network tests: talking to its nodes over HTTP, the CLI in a subprocess, and
whether processes live."""

import base64
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

from lightclient.chip import txs
from lightclient.chip.core import proof_chain, rpcjson, verifier
from lightclient.scenarionet.launcher import REPO

VECTORS = os.path.join(REPO, "..", "shared", "vectors", "cometbft", "rpc", "kvstore-v0.38")
SECOND = 10**9
DAY = 86400 * SECOND

UP_SMALL = ["--validators", "4", "--peers", "1", "--history-days", "0.002",
            "--block-interval", "1"]

# A device of the shared network's history (test_scenarionet_network.py proves it): its uuid,
# the block that registers it, the block that changes its settings.
TEST_DEVICE = ("test-dev-1", 89000, 89500)


def alive(pid):
    """True while pid runs (a zombie is not alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, timeout=10):
    """The pids still alive after waiting up to `timeout` s for them to go."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def cli(d, *args, **kw):
    """`scenarionet ARGS --dir d` run to its end (CompletedProcess, text)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "lightclient.scenarionet.cli", "scenarionet"] + list(args)
                          + ["--dir", d], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, **kw)


def up(d, *extra):
    """A small `scenarionet up` subprocess: (Popen, its scenarionet.json, the children's pids)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "lightclient.scenarionet.cli", "scenarionet", "up",
                          "--dir", d, "--json"] + UP_SMALL + list(extra), cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while True:
        line = p.stdout.readline()
        assert line, "scenarionet up exited early: %s" % p.stderr.read()
        lines.append(line)
        if line.startswith("}"):
            break
    info = json.loads("".join(lines))
    pids = [info["producer"]["pid"]] + [n["pid"] for n in info["nodes"].values()]
    return p, info, pids


def pids_with(text):
    """Processes whose command line contains `text` (the scenario network directory)."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read() and alive(int(pid)):
                    out.append(int(pid))
        except (OSError, ValueError):
            pass
    return out


def hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def get(url, path, timeout=10):
    """(status, parsed JSON body) of a GET."""
    conn = http.client.HTTPConnection(*hostport(url), timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def post(url, method, params=None, rpc_id=7, raw=None, timeout=10):
    conn = http.client.HTTPConnection(*hostport(url), timeout=timeout)
    try:
        body = raw if raw is not None else json.dumps(
            {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params or {}}).encode()
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if r.status == 200 else data)
    finally:
        conn.close()


def result(url, method, **params):
    status, env = post(url, method, {k: str(v) if isinstance(v, int) and not isinstance(v, bool)
                                     else v for k, v in params.items()})
    assert status == 200 and "error" not in env, env
    return env["result"]


def light_block(url, height):
    c = result(url, "commit", height=height)
    v = result(url, "validators", height=height, per_page=100)
    nv = result(url, "validators", height=height + 1, per_page=100)
    return rpcjson.light_block_from_json(c["signed_header"], v, nv)


def same_shape(ours, recorded, path="$"):
    """Every key of the recorded answer is in ours with the same JSON type (recursively)."""
    if isinstance(recorded, dict):
        assert isinstance(ours, dict), path
        for k, v in recorded.items():
            assert k in ours, "%s.%s missing" % (path, k)
            if v is not None and ours[k] is not None:
                same_shape(ours[k], v, path + "." + k)
    elif isinstance(recorded, list):
        assert isinstance(ours, list), path
        if recorded and ours:
            same_shape(ours[0], recorded[0], path + "[0]")
    else:
        assert type(ours) is type(recorded), "%s: %r vs %r" % (path, ours, recorded)


def vector(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def options():
    return verifier.Options(trusting_period_ns=14 * DAY)


def now_ns():
    return time.time_ns()


class fault:
    """with fault(net, "peer1", "5xx"): ... (back to ok afterwards)."""

    def __init__(self, net, node, mode, **params):
        self.net, self.node, self.mode, self.params = net, node, mode, params

    def __enter__(self):
        return self.net.fault(self.node, self.mode, **self.params)

    def __exit__(self, *exc):
        self.net.fault(self.node, "ok")


def record_query(url, uuid, height, style="post"):
    key = txs.record_key(uuid)
    if style == "get":
        status, env = get(url, "/abci_query?path=%%22%s%%22&data=0x%s&height=%d&prove=true"
                          % (txs.QUERY_PATH, key.hex(), height))
        assert status == 200
        return env["result"]["response"]
    return result(url, "abci_query", path=txs.QUERY_PATH, data=key.hex(), height=height,
                  prove=True)["response"]


def verify_query(resp, app_hash, uuid):
    ops = [(op["type"], base64.b64decode(op["key"]), base64.b64decode(op["data"]))
           for op in resp["proofOps"]["ops"]]
    value = base64.b64decode(resp["value"]) if resp["value"] is not None else None
    proof_chain.verify_abci_proof_ops(ops, app_hash, ["devices", txs.record_key(uuid)], value)
    return value
