"""`mycroft-lc chain up / status / fault / down` as a user runs them (one validator, one full
node)."""

import json
import subprocess
import sys
import time

import pytest

from lightclient.localchain import genesis
from lightclient.rpc import RpcClient, SourceError


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "lightclient.cli"] + list(args),
                          capture_output=True, text=True, timeout=60, **kw)


def test_up_prints_endpoints_refuses_a_second_up_and_stops_on_down(tmp_path):
    d = str(tmp_path / "chain")
    base = genesis.free_base_port(2)
    up = subprocess.Popen([sys.executable, "-m", "lightclient.cli", "chain", "up", "--dir", d,
                           "--validators", "1", "--full-nodes", "1", "--base-port", str(base)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in up.stdout:            # blocks until `up` reports, event-driven
            lines.append(json.loads(line))
            if "chain_id" in lines[-1] or "error" in lines[-1]:
                break
        assert [x.get("node") for x in lines[:2]] == ["val0", "full0"], lines
        assert lines[1]["cometbft_rpc"] == "http://127.0.0.1:%d" % (base + 11)
        assert lines[2]["pid"] == up.pid and lines[2]["height"] >= 1

        second = _cli("chain", "up", "--dir", d, "--base-port", str(base))
        err = json.loads(second.stdout)["error"]
        assert second.returncode == 4 and err["check"] == "chain_running"   # local fault
        assert err["pid"] == up.pid

        st = json.loads(_cli("chain", "status", "--dir", d).stdout)
        assert st["running_pid"] == up.pid
        assert [n["name"] for n in st["nodes"]] == ["val0", "full0"]
        assert all(n.get("height", 0) >= 1 for n in st["nodes"]), st

        _faults_through_the_cli(d, lines)

        down = _cli("chain", "down", "--dir", d)
        assert json.loads(down.stdout) == {"stopped_pid": up.pid}
        assert up.wait(30) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def _status_of(d, name):
    st = json.loads(_cli("chain", "status", "--dir", d).stdout)
    return {n["name"]: n for n in st["nodes"]}[name]


def _faults_through_the_cli(d, lines):
    """`chain fault` on the running `up`: in effect when the command returns."""
    f = _cli("chain", "fault", "full0", "stopped", "--dir", d)
    assert f.returncode == 0 and json.loads(f.stdout) == {"node": "full0", "mode": "stopped",
                                                          "params": {}}, f.stdout + f.stderr
    row = _status_of(d, "full0")
    assert "error" in row and row["fault"]["mode"] == "stopped"
    assert json.loads(_cli("chain", "fault", "full0", "ok", "--dir", d).stdout)["mode"] == "ok"
    deadline = time.monotonic() + 60       # started again: its RPC comes back by itself
    while "height" not in _status_of(d, "full0"):
        assert time.monotonic() < deadline, "full0 did not come back"
        time.sleep(0.2)

    relay = lines[0]["relay"]                  # val0's relay
    assert RpcClient(relay).status()["latest_height"] >= 1
    f = _cli("chain", "fault", "val0", "5xx", "--dir", d)
    assert f.returncode == 0, f.stdout + f.stderr
    with pytest.raises(SourceError) as e:
        RpcClient(relay).status()
    assert e.value.details["status"] == 503
    assert RpcClient(lines[0]["cometbft_rpc"]).status()["latest_height"] >= 1   # node honest
    assert _status_of(d, "val0")["fault"]["mode"] == "5xx"

    bad = _cli("chain", "fault", "val0", "slow", "bogus=1", "--dir", d)
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["check"] == "bad_fault"
    bad = _cli("chain", "fault", "nope", "ok", "--dir", d)
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["check"] == "unknown_node"
    assert _cli("chain", "fault", "val0", "ok", "--dir", d).returncode == 0
    assert RpcClient(relay).status()["latest_height"] >= 1
