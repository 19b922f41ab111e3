"""Helpers of the tests on the real chain (fixtures are in conftest.py)."""

from lightclient.chip.core import proof_chain
from lightclient.config import Config
from lightclient.localchain import devicetx
from lightclient.records import parse_proof_ops
from lightclient.rpc import RpcClient

UNBONDING_S = 2 * 86400     # shortened in genesis: the client's trusting period must stay below
VOTING_PERIOD_S = 15        # shortened in net7's genesis: a vote proven within it, then the tally
USAGE_EPOCH_S = 10          # x/usage's epoch in net7's genesis (a day by default)


def rpc_of(net, name):
    return net.node(name)["rpc"]


def client_config(net, state_dir, central, peers, trusting_period_s=86400, anchor=1):
    """A light client's config for this chain, anchored at block `anchor`."""
    lb = RpcClient(net.nodes[0]["rpc"]).light_block(anchor).light_block
    return Config(net.info["chain_id"], anchor, lb.signed_header.header.hash(), str(state_dir),
                  central=central, peers=peers, trusting_period_s=trusting_period_s,
                  check_unbonding=True)


def prove_device(pool, header_raw, device, until=None):
    """The x/devices record of `device` proven through the pool against verified header
    `header_raw` (H+1): a source whose proof fails is banned by the pool. (record, source)."""
    header = header_raw.light_block.signed_header.header
    h = header.height - 1
    key = devicetx.device_key(devicetx.account_address(device.public_key.format(True)))

    def ask(rpc):
        resp = rpc.abci_query("/store/devices/key", key, h, True)
        value = devicetx.b64(resp.get("value"))
        proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), header.app_hash,
                                          [b"devices", key], value)
        return None if value is None else devicetx.decode_device(value)

    return pool.race(ask, until=until)
