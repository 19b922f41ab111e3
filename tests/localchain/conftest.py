import pytest

from lightclient.localchain import binary, genesis, network


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A running 4-validator chain (the real `mycroftd`; `make setup` builds it, and a missing
    binary fails here with ChainError mycroftd_missing: it never skips)."""
    binary.binary_path()
    d = str(tmp_path_factory.mktemp("chain"))
    genesis.build(d, validators=4, full_nodes=0, base_port=genesis.free_base_port(4))
    net = network.Network(d)
    net.start()
    try:
        net.wait_for_height(2, timeout=60)
        yield net
    finally:
        net.stop()
