"""`mycroft-lc chain up / status / down` as a user runs them (one validator, one full node)."""

import json
import subprocess
import sys

from lightclient.localchain import genesis


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
        assert second.returncode == 1 and err["check"] == "chain_running"
        assert err["pid"] == up.pid

        st = json.loads(_cli("chain", "status", "--dir", d).stdout)
        assert st["running_pid"] == up.pid
        assert [n["name"] for n in st["nodes"]] == ["val0", "full0"]
        assert all(n.get("height", 0) >= 1 for n in st["nodes"]), st

        down = _cli("chain", "down", "--dir", d)
        assert json.loads(down.stdout) == {"stopped_pid": up.pid}
        assert up.wait(30) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
