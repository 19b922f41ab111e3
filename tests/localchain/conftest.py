import pytest

from lightclient.localchain import binary, genesis, network


def _running_chain(tmp_path_factory, name):
    """A running 4-validator chain (the real `mycroftd`; `make setup` builds it, and a missing
    binary fails here with ChainError mycroftd_missing: it never skips)."""
    binary.binary_path()
    d = str(tmp_path_factory.mktemp(name))
    genesis.build(d, validators=4, full_nodes=0, base_port=genesis.free_base_port(4))
    net = network.Network(d)
    net.start()
    try:
        net.wait_for_height(2, timeout=60)
        yield net
    finally:
        net.stop()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    yield from _running_chain(tmp_path_factory, "chain")


@pytest.fixture(scope="session")
def attacked_chain(tmp_path_factory):
    """One chain for the light-client attack (which jails two of its validators, so no module
    that expects a static validator set may use it) and the real clients that read it."""
    yield from _running_chain(tmp_path_factory, "attacked-chain")
