"""The scenario network's processes: the CLI, clean stops with no process left (also after SIGKILL of
the launcher, and Ctrl-C while starting), restarts in the same directory."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lightclient.chip.crypto import ed25519
from lightclient.scenarionet.app import device_fixture
from lightclient.scenarionet.launcher import ChainMismatch, ScenarioNet
from scenarionet_helpers import DAY, REPO, SECOND, alive, cli, pids_with, up, wait_gone


def test_cli_up_status_fault_down_leaves_no_process(tmp_path):
    d = str(tmp_path / "dn")
    p, info, pids = up(d)
    try:
        assert all(alive(x) for x in pids)
        r = cli(d, "status", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["nodes"]["peer1"]["mode"] == "ok"
        r = cli(d, "fault", "peer1", "stale", "height=3")
        assert r.returncode == 0 and "stale" in r.stdout
        r = cli(d, "down")
        assert r.returncode == 0, r.stderr
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
    assert wait_gone(pids) == []


def test_ctrl_c_while_starting_stops_at_once(tmp_path):
    # Weeks of history take a while to generate; Ctrl-C must not wait for the start to finish.
    d = str(tmp_path / "dn-interrupted")
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "lightclient.scenarionet.cli", "scenarionet", "up",
                          "--dir", d, "--history-days", "60", "--peers", "1"], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(d, "logs", "producer.log")):
            assert p.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(p.pid, signal.SIGINT)
        assert p.wait(timeout=8) == 130
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "interrupted while starting" in p.stderr.read()
    deadline = time.monotonic() + 10
    while pids_with(d) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids_with(d) == []


def test_a_producer_orphaned_while_generating_exits_at_once(tmp_path):
    # Its stdin closes (the launcher died) long before 60 days of history are generated.
    from lightclient.scenarionet.history import Spec
    spec = Spec(genesis_time_ns=time.time_ns() - 60 * DAY)
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "lightclient.scenarionet.producer",
                          "--dir", str(tmp_path), "--spec", json.dumps(spec.to_json()), "--watch-stdin"], cwd=REPO,
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.close()
    try:
        p.wait(timeout=8)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.stdout.read() == b""  # never got to READY
    p.stdout.close()


def test_children_exit_when_the_launcher_is_killed(tmp_path):
    p, info, pids = up(str(tmp_path / "dn"))
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert wait_gone(pids) == []


def test_restart_in_the_same_directory_continues_the_same_chain(tmp_path):
    d = str(tmp_path / "dn")
    h = 25
    kw = dict(validators=4, peers=1, history_blocks=30, block_interval_s=1, devices=[
        device_fixture("restart-1", ed25519.public_key(b"\x22" * 32),
                       ed25519.public_key(b"\x21" * 32), height=h)])
    with ScenarioNet(d, **kw) as n1:
        n1.wait_height(h + 1)
        before = n1.checkpoint(h + 1)
    with ScenarioNet(d, **kw) as n2:
        assert n2.info["loaded_from_cache"] >= h + 1
        assert n2.checkpoint(h + 1) == before
        assert n2.record("restart-1")["uuid"] == "restart-1"
    kw["devices"] = []
    with pytest.raises(ChainMismatch, match="devices"):   # other fixtures: another chain
        ScenarioNet(d, **kw).start()
    with ScenarioNet(d, fresh=True, **kw) as n3:
        assert n3.record("restart-1") is None


def test_restart_with_a_fixed_genesis_time_keeps_the_fixtures(tmp_path):
    # Benchmarks fix the genesis time; the same spec in the same directory is the same chain,
    # with its device fixtures.
    d = str(tmp_path / "dn")
    h = 22
    kw = dict(validators=4, peers=0, block_interval_s=1,
              genesis_time_ns=(time.time_ns() // SECOND - 20) * SECOND, devices=[
                  device_fixture("restart-2", ed25519.public_key(b"\x24" * 32),
                                 ed25519.public_key(b"\x23" * 32), height=h)])
    with ScenarioNet(d, **kw) as n1:
        n1.wait_height(h + 1)
        before = n1.checkpoint(h + 1)
    with ScenarioNet(d, **kw) as n2:
        assert n2.checkpoint(h + 1) == before
        assert n2.record("restart-2")["uuid"] == "restart-2"
