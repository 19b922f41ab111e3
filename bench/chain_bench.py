"""chain.up.seconds: from an empty directory (genesis through `mycroftd`, every node started)
to the first block our light client verifies (block 1's commit checked against the genesis
validators, fetched from a real node). The chain's default shape: 4 validators, 3 full nodes."""

import tempfile
import time

from lightclient import native
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_commit_full
from lightclient.localchain import genesis, network
from lightclient.rpc import SourceError

VALIDATORS, FULL_NODES = 4, 3


def _first_verified_block(net, timeout=120.0):
    deadline = time.monotonic() + timeout
    rpc = net.rpc(VALIDATORS, timeout=2.0)      # a full node: what a device would call
    while True:
        net._check_processes()
        try:
            lb = rpc.light_block(1).light_block
            verify_commit_full(lb.signed_header.header.chain_id, lb.signed_header, lb.validators,
                               CachingChecker(native.verify))
            return
        except SourceError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run():
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        genesis.build(d, VALIDATORS, FULL_NODES, genesis.free_base_port(VALIDATORS + FULL_NODES))
        t1 = time.monotonic()
        net = network.Network(d)
        net.start()
        try:
            _first_verified_block(net)
            t2 = time.monotonic()
        finally:
            net.stop()
    shape = "%d validators + %d full nodes" % (VALIDATORS, FULL_NODES)
    return {
        "chain.up.seconds": {"value": round(t2 - t0, 2), "unit": "s", "shape": shape},
        "chain.up.genesis_seconds": {"value": round(t1 - t0, 2), "unit": "s", "shape": shape},
        "chain.up.first_block_seconds": {"value": round(t2 - t1, 2), "unit": "s", "shape": shape},
    }
