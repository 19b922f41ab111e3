"""One scenario network per directory, one chain per directory: a second `scenarionet up` on a running one is
refused naming it (a lock the real chain's `chain up` reuses, lightclient/runlock.py), a lock
left by a dead launcher is taken over and said so, and a directory keeping another chain is
refused unless --fresh. Also the CLI's answers to mistakes: one line, no traceback."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from scenarionet_helpers import UP_SMALL, alive, cli, up, wait_gone
from lightclient import runlock
from lightclient.scenarionet.launcher import REPO, ChainMismatch, ScenarioNet, ScenarioNetBusy, ScenarioNetError

HOLD = """
import sys, time
from lightclient.runlock import RunLock
lock = RunLock(sys.argv[1], "scenarionet").acquire("holder test")
print("READY", flush=True)
time.sleep(60)
"""


def _holder(d):
    """A separate process holding d's lock (Popen), once it holds it."""
    p = subprocess.Popen([sys.executable, "-c", HOLD, d], cwd=REPO, stdout=subprocess.PIPE,
                         text=True, env=dict(os.environ, PYTHONPATH=REPO))
    assert p.stdout.readline().strip() == "READY"
    return p


def test_a_held_lock_names_its_holder_and_a_dead_holders_lock_is_taken_over(tmp_path):
    d = str(tmp_path)
    p = _holder(d)
    try:
        with pytest.raises(runlock.LockBusy) as e:
            runlock.RunLock(d, "scenarionet").acquire("second")
        assert e.value.holder["pid"] == p.pid and e.value.holder["command"] == "holder test"
        assert "in use by pid %d (holder test), started at 20" % p.pid in str(e.value)
        assert runlock.holder(d, "scenarionet")["pid"] == p.pid
    finally:
        p.kill()
        p.wait()
        p.stdout.close()
    # Killed holding it: the kernel dropped the flock, the record stayed and is reported.
    assert runlock.holder(d, "scenarionet") is None
    with runlock.RunLock(d, "scenarionet").acquire("third") as lock:
        assert lock.previous["pid"] == p.pid
        assert runlock.holder(d, "scenarionet")["pid"] == os.getpid()
    assert runlock.holder(d, "scenarionet") is None  # released


def test_an_unreadable_lock_record_does_not_stop_the_lock(tmp_path):
    with open(tmp_path / "scenarionet.lock", "wb") as f:
        f.write(b"\xff{not json" * 1000)
    with runlock.RunLock(str(tmp_path), "scenarionet").acquire("x") as lock:
        assert lock.previous is None
        with pytest.raises(runlock.LockBusy):
            runlock.RunLock(str(tmp_path), "scenarionet").acquire("y")


def test_a_second_scenarionet_up_is_refused_and_a_dead_ones_lock_taken_over(tmp_path):
    d = str(tmp_path / "dn")
    p1, info1, pids1 = up(d)
    try:
        r = cli(d, "up", *UP_SMALL)
        assert r.returncode == 4 and "Traceback" not in r.stderr
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("mycroft-lc scenarionet: ")
        assert "in use by pid %d (scenarionet up), started at " % p1.pid in r.stderr
        # The first one is untouched: still running, still serving, the same scenarionet.json.
        assert p1.poll() is None and all(alive(x) for x in pids1)
        with open(os.path.join(d, "scenarionet.json")) as f:
            assert json.load(f)["nodes"] == info1["nodes"]
        st = cli(d, "status", "--json")
        assert st.returncode == 0 and json.loads(st.stdout)["chain_id"] == info1["chain_id"]
        assert json.loads(st.stdout)["launcher"]["pid"] == p1.pid
        st = cli(d, "status")
        assert "(pid %d, started at 20" % p1.pid in st.stdout.splitlines()[0]
        os.kill(p1.pid, signal.SIGKILL)  # no clean-up: its lock record stays behind
        p1.wait()
        assert wait_gone(pids1) == []
        p3, info3, pids3 = up(d)
        try:
            assert info3["stale_lock"]["pid"] == p1.pid
            assert info3["chain_state"] == "continued"
            assert info3["genesis_time_ns"] == info1["genesis_time_ns"]
            r = cli(d, "down")
            assert r.returncode == 0 and p3.wait(timeout=15) == 0
        finally:
            if p3.poll() is None:
                p3.kill()
        assert wait_gone(pids3) == []
    finally:
        if p1.poll() is None:
            p1.kill()
    assert cli(d, "down").stdout.startswith("no scenario network is running")


def test_another_chain_in_a_used_directory_is_refused_unless_fresh(tmp_path):
    d = str(tmp_path / "dn")
    kw = dict(peers=0, history_blocks=30, block_interval_s=1)
    with ScenarioNet(d, validators=4, **kw) as n1:
        assert n1.info["chain_state"] == "new"
        genesis = n1.info["genesis_time_ns"]
    with open(os.path.join(d, "chain.json")) as f:
        kept = f.read()
    with pytest.raises(ChainMismatch) as e:
        ScenarioNet(d, validators=5, **kw).start()
    assert "holds another chain mycroft-devnet-1 (validators 4 there, 5 asked)" in str(e.value)
    assert "--fresh" in str(e.value)
    with pytest.raises(ChainMismatch) as e:
        ScenarioNet(d, validators=4, genesis_time_ns=genesis + 10**9, **kw).start()
    assert "genesis_time_ns %d there" % genesis in str(e.value)
    with open(os.path.join(d, "chain.json")) as f:
        assert f.read() == kept  # refused before touching anything
    assert runlock.holder(d, "scenarionet") is None  # and the lock released
    with ScenarioNet(d, validators=4, **kw) as n2:
        assert n2.info["chain_state"] == "continued" and n2.info["genesis_time_ns"] == genesis
    with ScenarioNet(d, validators=5, fresh=True, **kw) as n3:
        assert n3.info["chain_state"] == "replaced" and n3.info["validators"] == 5
    # The CLI says it in one line, exit 4 (local fault), before starting anything.
    r = cli(d, "up", *UP_SMALL)
    assert r.returncode == 4 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "validators 5 there, 4 asked" in r.stderr


def test_an_in_process_scenarionet_holds_the_lock_too(tmp_path):
    d = str(tmp_path / "dn")
    with ScenarioNet(d, validators=4, peers=0, history_blocks=30, block_interval_s=1):
        assert runlock.holder(d, "scenarionet")["pid"] == os.getpid()
        with pytest.raises(ScenarioNetBusy):
            ScenarioNet(d, validators=4, peers=0, history_blocks=30, block_interval_s=1).start()


CLI_MISTAKES = [  # (args, exit status, what the one line says)
    (["fault", "peer9", "ok"], 2, "unknown node 'peer9' (valid: central, peer1)"),
    (["fault", "peer1", "teleport"], 2, "unknown fault mode 'teleport' (valid: ok, down, "),
    (["fault", "peer1", "slow", "delay=abc"], 2, "slow: 'delay' is not a parameter (valid: "
                                                 "delay_s, bytes_per_step, latency_s)"),
    (["fault", "peer1", "slow", "delay_s=abc"], 2, "slow: delay_s must be a number in [0, 60]"),
    (["fault", "peer1", "slow", "delay_s"], 2, "expected name=value, got 'delay_s'"),
    (["fault", "peer1", "stale", "height=999999"], 2, "peer1 refused it: stale: height must "
                                                      "be at most the head"),
    # device fixtures are refused before anything starts (the directory is busy, too)
    (["up", "--device", "u1=" + "00" * 32], 2, "--device needs --owner-pubkey"),
    (["up", "--device", "u1=zz", "--owner-pubkey", "11" * 32], 2,
     "--device u1 must be 32 bytes of hex"),
    (["up", "--device", "u 1=" + "00" * 32, "--owner-pubkey", "11" * 32], 2,
     "device fixture 0: "),
]


def test_cli_mistakes_get_one_line_and_a_documented_status(tmp_path):
    d = str(tmp_path / "dn")
    r = cli(d, "status")
    assert r.returncode == 4 and r.stderr == (
        "mycroft-lc scenarionet: no scenario network is running in %s (start one with `scenarionet up --dir %s`)\n" % (d, d))
    p, info, pids = up(d)
    try:
        for args, code, says in CLI_MISTAKES:
            r = cli(d, *args)
            assert (r.returncode, r.stderr.count("\n")) == (code, 1), (args, r.stderr)
            assert r.stderr.startswith("mycroft-lc scenarionet: ") and says in r.stderr, (args, r.stderr)
            assert "Traceback" not in r.stderr and r.stdout == ""
        # The same through the installed entry point (`mycroft-lc scenarionet ...`).
        r = subprocess.run([sys.executable, "-m", "lightclient.cli", "scenarionet", "fault", "peer1",
                            "slow", "delay=abc", "--dir", d], cwd=REPO, capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
        assert r.returncode == 2 and r.stderr == (
            "mycroft-lc scenarionet: slow: 'delay' is not a parameter (valid: delay_s, bytes_per_step, latency_s)\n")
        r = cli(d, "fault", "--help")
        assert r.returncode == 0 and "delay_s=<number>" in r.stdout and "lunatic" in r.stdout
        assert cli(d, "status", "--json").returncode == 0
    finally:
        cli(d, "down")
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
    assert wait_gone(pids) == [] and runlock.holder(d, "scenarionet") is None


def test_a_start_forgets_the_endpoints_of_the_scenarionet_before(tmp_path):
    # scenarionet.json of a scenario network that is gone names ports someone else may hold by now:
    # a start removes it at once, so nothing attaches to them while it starts (or after it failed).
    d = tmp_path / "dn"
    d.mkdir()
    (d / "scenarionet.json").write_text(json.dumps({"central_url": "http://127.0.0.1:9"}))
    with pytest.raises(ScenarioNetError):
        ScenarioNet(str(d), validators=4, peers=0, history_blocks=30, block_interval_s=1,
                    startup_timeout=0.001).start()
    assert not (d / "scenarionet.json").exists()
    assert runlock.holder(str(d), "scenarionet") is None


def test_a_damaged_chain_spec_is_named_not_replaced(tmp_path):
    d = tmp_path / "dn"
    d.mkdir()
    for junk in (b"{not json", b"[1, 2]", b'{"chain_id": "x"}'):
        (d / "chain.json").write_bytes(junk)
        with pytest.raises(ScenarioNetError) as e:
            ScenarioNet(str(d), validators=4, peers=0, history_blocks=30, block_interval_s=1).start()
        assert "chain.json" in str(e.value) and "--fresh replaces it" in str(e.value)
        assert (d / "chain.json").read_bytes() == junk


def test_a_probe_of_the_lock_never_makes_a_start_fail(tmp_path):
    # `scenarionet status` probes the lock with a shared flock for an instant; a start landing in
    # that instant must wait it out, not report "in use by another process".
    lock = runlock.RunLock(str(tmp_path), "scenarionet")
    fd = os.open(lock.path, os.O_RDONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)  # a probe caught holding it
    threading.Timer(0.1, os.close, (fd,)).start()  # ... and done a moment later
    with lock.acquire("scenarionet up") as held:
        assert held.fd is not None
