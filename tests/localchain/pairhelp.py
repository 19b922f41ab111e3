"""Pairing helpers of the tests on the real chain: emulated boards provisioned for pairing, funded
owner keys, the SPAKE2+ exchange through a relay function, and a device whose owner sealed its
settings (conftest's `sealed_device`)."""

import json
import os

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient
from lightclient.owner import chain as oc
from lightclient.owner.chainview import ChainView
from lightclient.owner.keyfile import OwnerKey
from lightclient.owner.onchain import OwnerChain
from lightclient.owner.pair import pair_over_link

HEAP = 96 * 1024
# what the owner seals for conftest's sealed_device
SEALED_SETTINGS = {"lang": "de-de", "time_format": "full", "system_unit": "metric"}
MCU_TIMEOUT_S = 20


def board(directory, chain_id):
    """A started emulated board at the board's 96 KiB heap, with its Ed25519 key and provisioned
    for pairing on `chain_id`. -> (board, device Ed25519 key, the label's setup code)."""
    b = EmulatedBoard("esp32-devkitc", directory / "lcstore.img", heap=HEAP)
    b.start()
    with McuClient(b.port, timeout=MCU_TIMEOUT_S) as mcu:
        pub = mcu.generate_key()
        code = mcu.keys(H.OP_WRITE, K.PROVISION, {"chain_id": chain_id})["code"]
    return b, pub, code


def view(net):
    anchor = net.rpc(0).light_block(1).light_block.signed_header.header
    return ChainView(net.rpc(0), net.info["chain_id"], 1, anchor.hash())


def fund(net, address):
    """The test keyring's owner pays `address` (the fees of an owner key)."""
    secret = devicetx.key_secret(net.info, "owner")
    funder = devicetx.tx_client(net, devicetx.backend.secp256k1_public_key(secret),
                                ct.sign_secp256k1(secret))
    from_addr, _ = devicetx.key_info(net.info, "owner")
    [(_r, height)] = funder.send([[ct.msg_send(from_addr, address, [("stake", 100000)])]])
    net.wait_for_height(height + 1)         # header height+1 commits the new account


def funded_owner(net):
    key = OwnerKey.generate()
    fund(net, oc.owner_address(key.secp256k1_public))
    return key


def pair(mcu, key, chain_id, code, relay=lambda step, payload: payload):
    return pair_over_link(mcu, code, key, chain_id, os.urandom, relay=relay)


def sealed_device(net, directory, settings):
    """A board registered by the test keyring's owner (its account key made on its chip), paired
    with a fresh owner key by its label's code, and that owner's settings for it sealed on chain
    (settings/<owner>/device.<its address>, version 1). -> dict(board, port, address, owner
    (OwnerChain), settings)."""
    cid = net.info["chain_id"]
    b, _pub, code = board(directory, cid)
    try:
        with McuClient(b.port, timeout=MCU_TIMEOUT_S) as mcu:
            acct, height = devicetx.register_chip(net, mcu, "owner")
            owner = OwnerChain(funded_owner(net), view(net))
            owner.pair(pair(mcu, owner.key, cid, code))
        address = ct.bech32_address(acct)
        owner.set(oc.device_settings_name(address),
                  json.dumps(settings, sort_keys=True, separators=(",", ":")).encode())
        net.wait_for_height(owner.view.min_height + 1)
    except BaseException:
        b.stop()
        raise
    return {"board": b, "port": b.port, "address": address, "owner": owner,
            "settings": settings, "registered_at": height}


def scan_node_files(directory, secrets, control):
    """Every file under `directory` (the nodes' data: state, block store, transaction index,
    logs) -> (files read, whether `control` was seen, [(name, path)] of each secret found).
    The control (a record key, stored in the clear) shows the scan sees what nodes store."""
    found_control, found, files = False, [], 0
    for dirpath, _dirs, names in os.walk(directory):
        for n in names:
            path = os.path.join(dirpath, n)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            files += 1
            found_control = found_control or control in data
            found += [(what, path) for what, v in secrets.items() if v in data]
    return files, found_control, found
