"""chain.up.seconds: from an empty directory (genesis through `mycroftd`, every node started)
to the first block our light client verifies (block 1's commit checked against the genesis
validators, fetched from a real node). The chain's default shape: 4 validators, 3 full nodes.

chain.write_to_verified.blocks: on that chain, a device on the emulated board (the chip's 32-bit
build) registered by its owner signs a skill-settings write on its chip (SMP SIGN_TX); the Pi
sends it with account number and sequence from verified state; another device's light client
(our verifier, from block 1, through a full node) polls the head until it proves the new value
with ICS23: blocks from the write's inclusion height H to the first verified header showing it
(H+1 is the least possible: the header committing the state after block H)."""

import os
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


def _write_to_verified(net, work):
    from lightclient.chip import cosmos_tx as ct
    from lightclient.hwtest.emulator import EmulatedBoard
    from lightclient.localchain import devicetx
    from lightclient.mcu import McuClient
    reader = VALIDATORS                          # a full node: what the other device calls
    board = EmulatedBoard("esp32-devkitc", os.path.join(work, "lcstore.img"), heap=152 * 1024)
    board.start()
    try:
        with McuClient(board.port) as mcu:
            acct, reg_height = devicetx.register_chip(net, mcu, "owner")
            net.wait_for_height(reg_height + 1)
            device = devicetx.tx_client(net, acct, mcu.sign_tx)
            data = b'[{"skill_gid":"bench","settings":{"volume":%d}}]' % time.time_ns()
            t0 = time.monotonic()
            [(_r, height)] = device.send([[ct.msg_device_write(ct.bech32_address(acct),
                                                               "skill_settings", data)]])
    finally:
        board.stop()
    key = devicetx.write_key(ct.account_address(acct), "skill_settings")
    deadline = time.monotonic() + 60
    while True:
        header = devicetx.verified_state(net, node=reader).header
        value = devicetx.prove(net, header, "devices", key, node=reader)
        if value is not None and devicetx.decode_write(value)["data"] == data:
            return header.height - height, time.monotonic() - t0
        if time.monotonic() > deadline:
            raise RuntimeError("the write never became verified")
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
            blocks, seconds = _write_to_verified(net, d)
        finally:
            net.stop()
    shape = "%d validators + %d full nodes" % (VALIDATORS, FULL_NODES)
    return {
        "chain.up.seconds": {"value": round(t2 - t0, 2), "unit": "s", "shape": shape},
        "chain.up.genesis_seconds": {"value": round(t1 - t0, 2), "unit": "s", "shape": shape},
        "chain.up.first_block_seconds": {"value": round(t2 - t1, 2), "unit": "s", "shape": shape},
        "chain.write_to_verified.blocks": {
            "value": blocks, "unit": "blocks", "goal": "<= 2",
            "note": "chip-signed skill-settings write (emulated board, 32-bit build): from its "
                    "inclusion height H to the first header another device's light client "
                    "verified and proved the value against (%.2f s from broadcast, ~300 ms "
                    "blocks)" % seconds},
    }
