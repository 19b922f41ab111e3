"""Helpers of the devnet's process tests: the CLI in a subprocess, and whether processes live."""

import json
import os
import subprocess
import sys
import time

from tools.devnet.launcher import REPO

UP_SMALL = ["--validators", "4", "--peers", "1", "--history-days", "0.002",
            "--block-interval", "1"]


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
    """`devnet ARGS --dir d` run to its end (CompletedProcess, text)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "tools.devnet.cli", "devnet"] + list(args)
                          + ["--dir", d], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, **kw)


def up(d, *extra):
    """A small `devnet up` subprocess: (Popen, its devnet.json, the children's pids)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "tools.devnet.cli", "devnet", "up", "--dir", d,
                          "--json"] + UP_SMALL + list(extra), cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while True:
        line = p.stdout.readline()
        assert line, "devnet up exited early: %s" % p.stderr.read()
        lines.append(line)
        if line.startswith("}"):
            break
    info = json.loads("".join(lines))
    pids = [info["producer"]["pid"]] + [n["pid"] for n in info["nodes"].values()]
    return p, info, pids


def pids_with(text):
    """Processes whose command line contains `text` (the devnet directory)."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read() and alive(int(pid)):
                    out.append(int(pid))
        except (OSError, ValueError):
            pass
    return out
