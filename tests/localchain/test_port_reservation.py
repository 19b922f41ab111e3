"""Port ranges for local chains are reserved across processes between the check and the nodes'
bind: two networks started at once never get the same range."""
import os
import subprocess
import sys

import pytest

from lightclient.localchain import genesis


class _FreeSocket:
    """Every port binds: these tests are about the reservation files, and a network running on
    this machine may hold the real ports of the ranges they use."""

    def bind(self, addr):
        pass

    def close(self):
        pass


@pytest.fixture(autouse=True)
def _ports_free(monkeypatch):
    monkeypatch.setattr(genesis.socket, "socket", _FreeSocket)


def test_a_reserved_range_is_not_given_twice(monkeypatch, tmp_path):
    monkeypatch.setattr(genesis, "RESERVATIONS", str(tmp_path))
    monkeypatch.setattr(genesis, "PORT_RANGE", (21000, 21300, 100))   # two bases fit 7 nodes
    a = genesis.free_base_port(7, tries=200)
    b = genesis.free_base_port(7, tries=200)
    assert a != b and {a, b} <= {21000, 21100, 21200}
    assert open(os.path.join(str(tmp_path), str(a))).read() == str(os.getpid())


def test_a_dead_processes_reservation_is_taken_over(monkeypatch, tmp_path):
    monkeypatch.setattr(genesis, "RESERVATIONS", str(tmp_path))
    monkeypatch.setattr(genesis, "PORT_RANGE", (21000, 21100, 100))   # one base only
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "21000").write_text(dead)
    assert genesis.free_base_port(2, tries=5) == 21000
    alive = str(os.getppid())
    (tmp_path / "21000").write_text(alive)
    try:
        genesis.free_base_port(2, tries=5)
        raise AssertionError("a live process's reservation was taken")
    except genesis.binary.ChainError as e:
        assert "no free port range" in str(e)
