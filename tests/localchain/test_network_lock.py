"""The chain directory's lock and config edits (no chain needed)."""

import subprocess

import pytest

from lightclient.localchain import binary, network
from lightclient.localchain.config_files import set_keys


def test_second_up_is_refused_with_the_running_pid(tmp_path):
    holder = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / network.LOCK).write_text("%d\n" % holder.pid)
        with pytest.raises(binary.ChainError) as e:
            network.acquire_lock(str(tmp_path))
        assert e.value.check == "chain_running" and e.value.details["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    network.acquire_lock(str(tmp_path))       # the holder is gone: a stale lock is taken over
    assert network.running_pid(str(tmp_path)) is not None
    network.release_lock(str(tmp_path))
    assert not (tmp_path / network.LOCK).exists()


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
