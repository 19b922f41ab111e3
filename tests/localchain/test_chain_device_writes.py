"""What a device writes itself, and its location and skills, only sealed, on the real chain
(issue 20, docs/device-writes.md). conftest's sealed_device (board A, 96 KiB) seals a
skill-settings write on its chip and sends it as its own MsgDeviceWrite; a second board of the
same owner (B) opens it on its chip, a board of another owner (C) cannot; the chain refuses a
plaintext write, a replay and a write its device did not sign; the owner's sealed location and
skills of A are served by the local device API through A's chip; no node stores any of the
plaintext. On net7 (tests/xdist_scheduling.py's SHARED_NET7)."""

import json
import os
import secrets

import pytest

from lightclient.api.sealed_writes import ChipSealer
from lightclient.api.service import DeviceService
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.crypto import backend
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.client import LightClient
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient, McuError
from lightclient.owner import chain as oc
from lightclient.owner.onchain import OwnerChain
from lightclient.record_layouts import COSMOS_SDK
from lightclient.sealed_settings import ChipOpener
from lightclient.txclient import TxRejected
from tests.localchain import pairhelp
from tests.localchain.chainhelp import client_config

MARKER = ("skill-" + secrets.token_hex(8)).encode()
SKILLS = [{"skill_gid": "@|weather", "settings": {"units": MARKER.decode()}}]
LOCATION = {"city": {"name": "Lyon-" + MARKER.decode()}, "timezone": {"code": "Europe/Paris"}}
OWNER_SKILLS = [{"skill_gid": "@|timer", "display_name": "Timer",
                 "settings": {"sound": "bell"}, "skillMetadata": {"sections": []}}]


def _prove(net, key, node=3):
    """The value at `key` of x/devices, proven with ICS23 against a header verified from block 1
    through `node` (another device's view)."""
    header = devicetx.verified_state(net, node=node).header
    return devicetx.prove(net, header, "devices", key, node=node)


@pytest.fixture(scope="module")
def world(net7, sealed_device, tmp_path_factory):
    d = sealed_device
    owner = d["owner"]
    cid = net7.info["chain_id"]
    b_board, b_pub, b_code = pairhelp.board(tmp_path_factory.mktemp("board-b"), cid)
    c_board, c_pub, c_code = pairhelp.board(tmp_path_factory.mktemp("board-c"), cid)
    try:
        with McuClient(b_board.port, timeout=pairhelp.MCU_TIMEOUT_S) as mcu:
            owner.pair(pairhelp.pair(mcu, owner.key, cid, b_code))
        other = OwnerChain(pairhelp.funded_owner(net7), pairhelp.view(net7))
        with McuClient(c_board.port, timeout=pairhelp.MCU_TIMEOUT_S) as mcu:
            other.pair(pairhelp.pair(mcu, other.key, cid, c_code))
        # A's write: sealed on its chip, its own transaction, signed on its chip too
        with McuClient(d["port"], timeout=pairhelp.MCU_TIMEOUT_S) as mcu:
            acct = bytes(mcu.account_key())
            a_pub = bytes(mcu.public_key())
            header = devicetx.verified_state(net7, node=2).header    # the Pi's verified view
            env = ChipSealer(mcu).seal("skill_settings", json.dumps(SKILLS).encode(),
                                       lambda store, key: devicetx.prove(net7, header, store,
                                                                         key, node=2))
            sender = devicetx.tx_client(net7, acct, mcu.sign_tx, node=1)
            [(_r, height)] = sender.send([[ct.msg_device_write(d["address"], "skill_settings",
                                                               env)]])
        net7.wait_for_height(height + 1)
        yield {"net": net7, "d": d, "owner": owner, "other": other, "acct": acct,
               "a_pub": a_pub, "env": env, "b": (b_board, b_pub), "c": (c_board, c_pub),
               "key": epochs.device_write_key(owner.address, a_pub, "skill_settings")}
    finally:
        b_board.stop()
        c_board.stop()


def _open_on(port, owner_id, epoch_env, key, env):
    with McuClient(port, timeout=pairhelp.MCU_TIMEOUT_S) as mcu:
        return mcu.keys(H.OP_WRITE, K.OPEN_SEALED, {"epoch": 0, "owner_id": owner_id,
                                                    "epoch_env": epoch_env, "key": key,
                                                    "env": env}, timeout=20)


def test_a_skill_settings_write_is_sealed_and_another_device_of_its_owner_reads_it(world):
    stored = _prove(world["net"], oc.sealed_key(world["key"]))
    assert stored == world["env"] and MARKER not in stored         # ciphertext only
    m = envelope.parse(stored)
    assert m[envelope.K_WRITER] == ["ed25519", world["a_pub"]] and m[envelope.K_VERSION] == 1
    owner = world["owner"]
    epoch_env = owner.sealed(epochs.epoch_record_key(owner.address, 0))
    got = _open_on(world["b"][0].port, owner.address, epoch_env, world["key"], stored)
    assert json.loads(got["plaintext"]) == SKILLS and set(got) == {"plaintext", "version",
                                                                   "epoch"}


def test_a_device_of_another_owner_cannot_read_it(world):
    owner, other = world["owner"], world["other"]
    c_port = world["c"][0].port
    # with the writer's owner's epoch envelope: not its owner's, and no wrap for it
    with pytest.raises(McuError) as e:
        _open_on(c_port, owner.address, owner.sealed(epochs.epoch_record_key(owner.address, 0)),
                 world["key"], world["env"])
    assert e.value.rc == K.E_ENVELOPE
    assert e.value.check in ("envelope_record_key", "envelope_writer", "envelope_not_recipient")
    # with its own owner's epoch key: the write is sealed to another key
    with pytest.raises(McuError) as e:
        _open_on(c_port, other.address, other.sealed(epochs.epoch_record_key(other.address, 0)),
                 world["key"], world["env"])
    assert e.value.rc == K.E_ENVELOPE and e.value.check == "envelope_not_recipient"


def test_the_chain_refuses_plaintext_a_replay_and_a_write_its_device_did_not_sign(world):
    """Sent by A's own account: its stored write again is refused by the chain (30); plaintext
    and an envelope under A's write key written by another Ed25519 key are refused by A's chip
    before anything is signed (the chain's 40 and 32 for them: the Go tests, as only a signer
    other than the chip could send them)."""
    net, d, owner = world["net"], world["d"], world["owner"]
    secret = os.urandom(32)
    epoch_pub = epochs.epoch_public(owner.book().epoch_secret(0))
    forged = envelope.seal(net.info["chain_id"], world["key"], 2, 0, b"[]", [epoch_pub],
                           ("ed25519", backend.ed25519_public_key(secret)),
                           lambda msg: backend.ed25519_sign(secret, msg), os.urandom)
    with McuClient(d["port"], timeout=pairhelp.MCU_TIMEOUT_S) as mcu:
        sender = devicetx.tx_client(net, world["acct"], mcu.sign_tx, node=1)
        with pytest.raises(TxRejected) as e:
            sender.send([[ct.msg_device_write(d["address"], "skill_settings", world["env"])]])
        assert (e.value.details.get("codespace"), e.value.details.get("code")) == \
            ("devices", 30), e.value.details
        for env, check in ((b'[{"skill_gid":"plain"}]', "sign_write_plaintext"),
                           (forged, "sign_write_envelope")):
            with pytest.raises(McuError) as e:
                sender.send([[ct.msg_device_write(d["address"], "skill_settings", env)]])
            assert e.value.check == check, e.value
    assert _prove(net, oc.sealed_key(world["key"])) == world["env"]     # still version 1


def test_location_and_skills_are_served_by_the_device_api_from_sealed_records(world,
                                                                              tmp_path):
    """The owner seals A's location and skills (settings/<owner>/location.<A>, skills.<A>);
    the device API answers /location, /skill and /skill/settings from them, opened on A's chip,
    exactly as the unmodified client reads them."""
    net, d, owner = world["net"], world["d"], world["owner"]
    owner.set(oc.device_settings_name(d["address"], "location"), json.dumps(LOCATION).encode())
    owner.set(oc.device_settings_name(d["address"], "skills"), json.dumps(OWNER_SKILLS).encode())
    net.wait_for_height(owner.view.min_height + 1)
    cfg = client_config(net, tmp_path / "state", net.node("val2")["rpc"], [])
    cfg.chain_kind, cfg.device_uuid, cfg.discover = COSMOS_SDK, d["address"], False
    client = LightClient(cfg)
    with McuClient(d["port"], timeout=pairhelp.MCU_TIMEOUT_S) as mcu:
        client.opener = ChipOpener(mcu, client)
        client.sync(20, poll_s=5.0)
        svc = DeviceService(client, d["address"])
        base = "/v1/device/%s/" % d["address"]
        loc = svc.handle("GET", base + "location", {})
        skill = svc.handle("GET", base + "skill", {})
        settings = svc.handle("GET", base + "skill/settings", {})
    assert loc.status == 200 and loc.body == LOCATION, loc
    assert loc.headers["X-Lightclient-Stale"] == "false"
    assert skill.status == 200 and [s["skill_gid"] for s in skill.body] == ["@|timer"]
    assert settings.body == {"timer": {"sound": "bell"}}           # the API's skill id


def test_no_node_stores_a_device_writes_or_its_locations_plaintext(world):
    """The scan of every node's files (tests/localchain/test_chain_pairing.py's, on net7): the
    write's record key is there in the clear, the marker in the skill settings and the
    location nowhere."""
    files, control, found = pairhelp.scan_node_files(world["net"].dir, {"marker": MARKER},
                                                     world["key"])
    assert files > 20 and control
    assert found == []
