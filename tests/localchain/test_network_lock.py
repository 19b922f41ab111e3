"""The chain directory's lock (a flock on D/chain.lock, lightclient/runlock.py) and config edits
(no chain needed)."""

import subprocess
import sys

import pytest

from lightclient.localchain import binary, network
from lightclient.localchain.config_files import set_keys

HOLD = ("import sys; from lightclient.localchain import network\n"
        "lock = network.acquire_lock(sys.argv[1])\n"
        "print('held', flush=True); sys.stdin.read()\n")


def test_second_up_is_refused_with_the_running_pid(tmp_path):
    d = str(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, d], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"     # event-driven: it holds the lock
        assert network.running_pid(d) == holder.pid
        with pytest.raises(binary.ChainError) as e:
            network.acquire_lock(d)
        assert e.value.check == "chain_running" and e.value.details["pid"] == holder.pid
    finally:
        holder.kill()               # SIGKILL: no release runs, the kernel drops the flock
        holder.wait()
    assert (tmp_path / "chain.lock").exists()                 # its record is left behind ...
    assert network.running_pid(d) is None                     # ... and names nobody running
    lock = network.acquire_lock(d)          # a dead holder's lock is taken over
    assert lock.previous["pid"] == holder.pid
    assert network.running_pid(d) is not None
    lock.release()
    assert network.running_pid(d) is None


def test_down_without_a_running_chain_is_a_typed_error(tmp_path):
    with pytest.raises(binary.ChainError) as e:
        network.down(str(tmp_path))
    assert e.value.check == "chain_not_running"


def test_config_edits_by_section_and_missing_keys_refused(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('laddr = "x"\n[rpc]\nladdr = "tcp://0.0.0.0:26657"\n[p2p]\nladdr = "a"\n')
    set_keys(str(p), {("rpc", "laddr"): "tcp://127.0.0.1:1", ("p2p", "laddr"): "b"})
    assert p.read_text() == ('laddr = "x"\n[rpc]\nladdr = "tcp://127.0.0.1:1"\n[p2p]\n'
                             'laddr = "b"\n')
    with pytest.raises(KeyError):
        set_keys(str(p), {("consensus", "timeout_commit"): "300ms"})
