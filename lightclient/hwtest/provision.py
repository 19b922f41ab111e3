"""Provision one board over its UART: the chip generates its key pair (the seed never leaves
it), the tools read back the public key, register the device on the network with the owner's
key, write the trusted checkpoint, and emit a provisioning record (JSON) the tester can file.
On the real chain (hwtest/chain_network.py) the device is its chip-made secp256k1 account: the
chip signs its consent to this owner and chain, the owner's transaction carries it, and the
device is named by its account address.

Order matters for "never lose data": a board that already holds a key or a checkpoint is
refused unless `force` (re-provisioning orphans the old registration); the checkpoint is written
only after the registration was accepted, so a board that fails half-way is left with a key and
no checkpoint, and provisioning it again with force finishes the job.
"""

import datetime
import re
import time
import uuid as uuidlib

from lightclient.chip import cosmos_tx, txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core import trusted_at_rest
from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.link import BoardLink, McuError

RECORD_VERSION = 1


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def chip_info(link):
    """What the chip says about itself (SMP os info, one field per request so no field's
    spaces can be misread): board, chip, machine, firmware version, and the whole "a" text."""
    mcu = link.mcu
    text = link.call("info", mcu.info, "a")
    m = re.search(r"mycroft-lc-fw (\S+)", link.call("info", mcu.info, "v") or "")
    st = link.call("status", mcu.status)
    return {"info": text, "board": link.call("info", mcu.info, "n"),
            "chip": link.call("info", mcu.info, "p"),
            "machine": link.call("info", mcu.info, "m"),
            "firmware_version": m.group(1) if m else None,
            "chip_id": st.get("chip_id"),             # the eFuse MAC on a real chip
            "firmware_hash": st.get("firmware_hash")}  # from the flashed image's manifest


def provision(port, network, owner_seed, board_name, firmware_hash, uuid=None, account="",
              board_id=None, force=False, baudrate=115200, timeout=2.0, log=None, label=None):
    """-> the provisioning record (dict). Raises HwTestError naming the step that failed.
    label(board_id, chain_id, code): when given, the chip also makes its pairing code
    (docs/pairing.md) and this gets it for the board's label; the record never holds it."""
    try:
        return _provision(port, network, owner_seed, board_name, firmware_hash, uuid, account,
                          board_id, force, baudrate, timeout, log, label)
    except McuError as e:   # an answer that is an error where none was expected
        raise HwTestError("board_error", "the board answered with an error: %s" % e)


def _provision(port, network, owner_seed, board_name, firmware_hash, uuid, account, board_id,
               force, baudrate, timeout, log, label):
    t0 = time.monotonic()
    say = log or (lambda s: None)
    if network is not None and not network.takes_registrations:   # before the board is touched
        raise HwTestError("no_registrations", "the %s takes no registrations: its devices are "
                          "fixtures of its history" % network.name,
                          hint="provision on the local chain (--network chain, the default) or "
                               "on --network synthetic")
    if uuid and network.uuid_is_address:
        raise HwTestError("uuid_flag", "on the %s a device is named by its account address, "
                          "made on the chip: leave out --uuid" % network.name)
    with BoardLink(port, baudrate, timeout) as link:
        link.call("echo", link.mcu.echo, "provision")
        info = _check_board(link, port, board_name, force)
        # A board that holds a verified device record lets only its owner re-provision it.
        owner_sign = txs.seed_signer(owner_seed)
        if force:
            _move_trust(link, network, owner_sign, say)
        pub = _generate_key(link, owner_sign, force)
        say("%s: key generated, public key %s" % (port, pub.hex()))
        acct = _generate_account_key(link, owner_sign, force)
        say("%s: account key generated, address %s" % (port, cosmos_tx.bech32_address(acct)))
        if network.uuid_is_address:
            uuid = cosmos_tx.bech32_address(acct)
        uuid = uuid or str(uuidlib.uuid4())
        reg = _register(network, uuid, pub, owner_seed, account, acct, link)
        say("%s: registered %s on %s at height %s" % (port, uuid, network.name, reg["height"]))
        state, header_hash = _network_checkpoint(network, uuid)
        _set_checkpoint(link, owner_sign, state, header_hash, uuid, force,
                        network.trusting_period_ns)
        h = state.header
        board_id = board_id or "%s-%s" % (board_name, pub.hex()[:8])
        x25519 = _pairing_code(link, h.chain_id, board_id, label) if label else None
    rec = {
        "version": RECORD_VERSION,
        "board_id": board_id,
        "board": board_name,
        "port": port,
        "chip": info,
        "uuid": uuid,
        "public_key": pub.hex(),
        # the chain account's secp256k1 key, made on the chip (docs/cosmos-tx.md)
        "account_public_key": acct.hex(),
        "account_address": cosmos_tx.bech32_address(acct),
        "owner_public_key": ed25519.public_key(owner_seed).hex(),
        "network": dict(network.describe(), chain_id=h.chain_id),
        "registration": reg,
        "checkpoint": {"height": h.height, "hash": bytes(header_hash).hex().upper(),
                       "time_ns": h.time_ns},
        "firmware_hash": firmware_hash,
        "time": utc_now(),
        "seconds": round(time.monotonic() - t0, 2),
    }
    if x25519 is not None:
        rec["x25519_public_key"] = x25519.hex()
    return rec


def _pairing_code(link, chain_id, board_id, label):
    """The chip makes its X25519 key and its pairing code, keeping only the SPAKE2+ verifier;
    the code goes to the label and nowhere else. -> the X25519 public key."""
    from lightclient.chip.smp import header as H
    from lightclient.chip.smp import keys as K
    try:
        a = link.call("pairing_code", link.mcu.keys, H.OP_WRITE, K.PROVISION,
                      {"chain_id": chain_id})
    except McuError as e:
        raise HwTestError("pairing_code", "the board did not make its pairing code: %s" % e,
                          hint="a board made for pairing before keeps its code until a factory "
                               "reset")
    label(board_id, chain_id, a["code"])
    return bytes(a["x25519"])


def _check_board(link, port, board_name, force):
    """The chip's info, once it is the board named, its store is usable, and it is not
    provisioned already (unless force)."""
    info = chip_info(link)
    if info["board"] != board_name:
        raise HwTestError("board_mismatch", "the board on %s says it is a %s, not a %s"
                          % (port, info["board"], board_name),
                          hint="give the right --board (its board.json was flashed with "
                               "the image)", reported=info["board"])
    st = link.call("status", link.mcu.status)
    if not st.get("store_ok", False):
        raise HwTestError("store", "the board's secure store is not usable: %s"
                          % st.get("store_error", "unknown"),
                          hint="run the self-test for details; a corrupt store is never "
                               "reformatted by these tools (it may hold the only key)")
    if (st.get("has_key") or st.get("provisioned")) and not force:
        raise HwTestError("already_provisioned", "the board already holds a %s"
                          % ("checkpoint" if st.get("provisioned") else "key"),
                          hint="use --force to re-provision (a new key: the old "
                               "registration no longer matches this board)",
                          public_key=st.get("pub"))
    return info


def _move_trust(link, network, owner_sign, say):
    """--force onto a board that trusts another chain: the chip consents to registrations on
    the chain it trusts only, so its trust moves first to this network's head, with the owner's
    authorization (the chip's own re-provisioning step); the checkpoint after the registration
    replaces it as on any forced run."""
    st = link.call("status", link.mcu.status)
    if not st.get("provisioned") or st.get("chain_id") == network.chain_id:
        return
    state, header_hash = _network_checkpoint(network, st.get("uuid") or "")
    try:
        _set_checkpoint(link, owner_sign, state, header_hash, st.get("uuid") or "reprovision",
                        True, network.trusting_period_ns)
    except HwTestError as e:
        raise HwTestError("move_trust", "the board trusts chain %s; moving its trust to %s "
                          "before the registration failed: %s" % (st.get("chain_id"),
                                                                  network.chain_id, e.message),
                          hint="the owner key that provisioned the board must authorize it "
                               "(--owner-key)", chain_id=st.get("chain_id"))
    say("trust moved from chain %s to %s" % (st.get("chain_id"), network.chain_id))


def _generate_key(link, owner_sign, force):
    """The chip makes its key (with the owner's authorization when forced); -> the public key,
    read back and compared."""
    mcu = link.mcu
    try:
        auth = (link.call("status", mcu.owner_authorization, owner_sign, "generate_key")
                if force else None)
        pub = link.call("generate_key", mcu.generate_key, force=force, owner_sig=auth)
        back = link.call("public_key", mcu.public_key)
    except McuError as e:
        raise HwTestError("generate_key", "the board refused to generate its key: %s" % e)
    if bytes(back) != bytes(pub) or len(pub) != 32:
        raise HwTestError("public_key", "the public key read back differs from the one "
                          "generated", generated=bytes(pub), read=bytes(back))
    return bytes(pub)


def _generate_account_key(link, owner_sign, force):
    """The chip makes its secp256k1 account key (owner-authorized when forced over one it
    holds); -> the 33-byte public key, read back and compared."""
    mcu = link.mcu
    try:
        has = link.call("status", mcu.status).get("account_pub") is not None
        auth = (link.call("status", mcu.owner_authorization, owner_sign, "generate_account_key")
                if force and has else None)
        pub = link.call("generate_account_key", mcu.generate_account_key, force=force and has,
                        owner_sig=auth)
        back = link.call("account_key", mcu.account_key)
    except McuError as e:
        raise HwTestError("generate_account_key", "the board refused to generate its account "
                          "key: %s" % e)
    if bytes(back) != bytes(pub):
        raise HwTestError("account_key", "the account key read back differs from the one "
                          "generated", generated=bytes(pub), read=bytes(back))
    return bytes(pub)


def _register(network, uuid, pub, owner_seed, account, acct, link):
    def consent(chain_id, owner20):   # the chip signs its consent to this owner, this chain
        return link.call("sign_registration", link.mcu.sign_registration, chain_id, owner20)
    try:
        return network.register_device(uuid, pub, owner_seed, account=account,
                                       account_pub=acct, sign_consent=consent)
    except HwTestError:
        raise
    except Exception as e:
        raise HwTestError("register", "the network refused the registration: %s" % e,
                          hint="check the network is up and the owner key is right")


def _network_checkpoint(network, uuid):
    try:
        return network.checkpoint()
    except HwTestError:
        raise
    except Exception as e:
        raise HwTestError("checkpoint", "registered %s, but the network gave no checkpoint: "
                          "%s" % (uuid, e), hint="the board holds a key and no checkpoint: "
                          "provision it again with --force once the network answers",
                          uuid=uuid)


def _set_checkpoint(link, owner_sign, state, header_hash, uuid, force, trusting_period_ns):
    """The checkpoint onto the chip (with the owner's authorization when forced), then read back
    through the chip's status."""
    mcu = link.mcu
    try:
        trusted = trusted_at_rest.encode_trusted(state)
        auth = (link.call("status", mcu.owner_authorization, owner_sign, "set_checkpoint",
                          trusted) if force else None)
        link.call("set_checkpoint", mcu.set_checkpoint, trusted, force=force,
                  trusting_period_ns=trusting_period_ns, uuid=uuid, header_hash=header_hash,
                  owner_sig=auth)
    except McuError as e:
        raise HwTestError("set_checkpoint", "the board refused the checkpoint: %s" % e)
    st = link.call("status", mcu.status)
    h = state.header
    if not st.get("provisioned") or st.get("height") != h.height:
        raise HwTestError("set_checkpoint", "the board does not report the checkpoint it "
                          "was given", expected_height=h.height, reported=st.get("height"))
