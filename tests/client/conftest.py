import time

import pytest

from lightclient.client import LightClient
from lightclient.clock import Clock
from lightclient.config import Config
from tests.client.fakenode import FakeChain, FakeNode


class Net:
    """A FakeChain served by `n` FakeNodes (node 0 is the central API) and a config for a device
    provisioned at `checkpoint` height."""

    def __init__(self, tmp_path, data, n=3, checkpoint=1, **cfg):
        self.data = data
        self.nodes = [FakeNode(data, "node%d" % i) for i in range(n)]
        self.tmp = tmp_path
        self.now = data.head_time_ns() / 1e9 + 20
        self.cfg = Config(data.chain_id, checkpoint, data.header_hash(checkpoint),
                          str(tmp_path / "state"), self.nodes[0].url,
                          [x.url for x in self.nodes[1:]], "dev-1", **cfg)

    @property
    def central(self):
        return self.nodes[0]

    def client(self, wall=None, clock=None, **kw):
        """A client on `clock`, else on the system's monotonic clock with `wall` (the test's
        fixed wall time by default)."""
        return LightClient(self.cfg, clock=clock or Clock(wall or (lambda: self.now)), **kw)

    def close(self):
        for x in self.nodes:
            x.close()


@pytest.fixture
def make_net(tmp_path):
    made = []

    def make(data=None, n=3, checkpoint=1, **cfg):
        net = Net(tmp_path / ("net%d" % len(made)), data or FakeChain(), n, checkpoint, **cfg)
        made.append(net)
        return net

    yield make
    for net in made:
        net.close()


@pytest.fixture(scope="module")
def chain40():
    return FakeChain(n_blocks=40, head_time_ns=time.time_ns())
