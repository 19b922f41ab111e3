import socket

import pytest

from lightclient.localchain import binary, genesis, network


def _free_base(nodes, tries=50):
    """A base port whose p2p/RPC/gRPC/REST ports for every node are free on 127.0.0.1."""
    import random
    for _ in range(tries):
        base = random.randrange(40000, 60000, 100)
        socks = []
        try:
            for i in range(nodes):
                for off in genesis.PORT_OFFSETS.values():
                    s = socket.socket()
                    socks.append(s)
                    s.bind(("127.0.0.1", base + 10 * i + off))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A running 4-validator chain (the real `mycroftd`; `make setup` builds it, and a missing
    binary fails here with ChainError mycroftd_missing: it never skips)."""
    binary.binary_path()
    d = str(tmp_path_factory.mktemp("chain"))
    genesis.build(d, validators=4, full_nodes=0, base_port=_free_base(4))
    net = network.Network(d)
    net.start()
    try:
        net.wait_for_height(2, timeout=60)
        yield net
    finally:
        net.stop()
