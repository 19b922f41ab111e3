"""Settings only as sealed envelopes, on the real chain (issue 20). The device's boot proves its
owner-sealed settings and their key epoch's envelope with ICS23 against the verified header of
its record, and its chip opens them. A relay that swaps in another device's envelope, replays an
older version, strips this device's wrap from the epoch envelope or forges the owner's signature
fails a proof, named, and is banned: the device keeps its last good settings, never wrong ones.
A Pi that hands the chip those envelopes itself is refused by the chip, which verifies their
proofs against the header it trusts: an older version's proof, another device's envelope, an
envelope forged inside its proof, each with its check, also after the chip's power cut. The device
API serves the opened settings to the unmodified ovos-backend-client. On net7 with conftest's
sealed_device."""

import base64
import json
import os

import coincurve
import pytest

from lightclient import records, sealed_settings
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import txs
from lightclient.chip.core import cbor, ics23_types
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import keys as K
from lightclient.client import LightClient
from lightclient.localchain.relay import Relay
from lightclient.mcu import McuClient, McuError
from lightclient.owner import chain as oc
from lightclient.record_layouts import COSMOS_SDK
from lightclient.sealed_settings import SEALED_PREFIX, ChipOpener
from tests.localchain.chainhelp import client_config
from tests.localchain.pairhelp import MCU_TIMEOUT_S

# the proof check each lie fails on the Pi (the value no longer matches the verified app_hash)
CHECKS = {"swap": "abci_proof_op_key", "replay": "abci_app_hash_mismatch",
          "strip": "ics23_value_mismatch", "forge": "ics23_value_mismatch"}
NEW = {"lang": "fr-fr", "system_unit": "imperial", "time_format": "half"}
OTHER = {"lang": "xx-other"}


def _json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def world(net7, sealed_device, tmp_path_factory):
    """The owner also seals another device's settings, then a second version of this device's
    (NEW, the last good settings from here on); the first version's state height is kept for
    the replay. The device's light client (its state directory, shared by the boots below)
    reads it once through an honest relay, its chip opening the settings."""
    d = sealed_device
    owner = d["owner"]
    other_addr = ct.bech32_address(coincurve.PrivateKey(os.urandom(32)).public_key.format())
    owner.set(oc.device_settings_name(other_addr), _json(OTHER))
    mine = oc.settings_record_key(owner.address, oc.device_settings_name(d["address"]))
    v1 = owner.sealed(mine)
    v1_state = owner.view.head().height - 1          # a state in which version 1 is current
    owner.set(oc.device_settings_name(d["address"]), _json(NEW))
    d["settings"] = NEW                                # test_chain_boot reads it from here
    net7.wait_for_height(owner.view.min_height + 1)
    w = {"net": net7, "d": d, "owner": owner, "mine": mine, "v1": v1, "v1_state": v1_state,
         "other": oc.settings_record_key(owner.address, oc.device_settings_name(other_addr)),
         "epoch0": epochs.epoch_record_key(owner.address, 0),
         "state": tmp_path_factory.mktemp("sealed-state")}
    relay = Relay(net7.node("val1")["rpc"])
    try:
        rec, error, _ = _read(w, relay)
        assert not rec.stale, error
        assert rec.record["setting"] == NEW
        assert rec.record["sealed"]["state"] == "opened" and rec.record["sealed"]["version"] == 2
    finally:
        relay.close()
    return w


def _read(w, relay):
    """The device's light client with `relay` as its only source: it syncs (patient as a first
    boot, done as soon as the relay answers), then reads its record and settings, the chip on
    the link opening them; a refusal there serves the cache. -> (ProvenRecord, the client's
    last error, {banned url: reason})."""
    cfg = client_config(w["net"], w["state"], relay.url, [])
    cfg.chain_kind, cfg.device_uuid, cfg.discover = COSMOS_SDK, w["d"]["address"], False
    client = LightClient(cfg)
    with McuClient(w["d"]["port"], timeout=MCU_TIMEOUT_S) as mcu:
        client.opener = ChipOpener(mcu, client)
        client.sync(20, poll_s=5.0)
        rec = client.device_record(deadline_s=20)
    banned = {s["url"]: s.get("ban_reason") for s in client.pool.status() if s["banned"]}
    return rec, client.last_error, banned


def _lie(relay, record_key, edit):
    """The relay answers the proven query for `record_key`'s envelope with edit(params, the
    node's response); every other answer is the node's."""
    want = (SEALED_PREFIX + record_key).hex()

    def hook(params, result):
        data = str(params.get("data", "")).lower()
        if (data[2:] if data.startswith("0x") else data) == want:
            result["response"] = edit(params, result["response"])
        return result
    relay.hooks["abci_query"] = hook


def _value_edit(change):
    def edit(_params, resp):
        m = envelope.parse(base64.b64decode(resp["value"]))
        change(m)
        return dict(resp, value=base64.b64encode(cbor.dumps(m)).decode())
    return edit


def _strip_wrap(m):
    # this device's wrap gone, another recipient's in its place (the shape stays an envelope)
    m[envelope.K_WRAPS] = [[os.urandom(32), os.urandom(32), os.urandom(48)]]


def _forge_signature(m):
    m[envelope.K_SIG] = bytes([m[envelope.K_SIG][0] ^ 1]) + m[envelope.K_SIG][1:]


def _lies(w):
    def swap(params, resp):
        other = w["relay"].upstream_result("abci_query", dict(
            params, data=(SEALED_PREFIX + w["other"]).hex()))["response"]
        return dict(other, key=resp.get("key"))

    def replay(params, resp):
        old = w["relay"].upstream_result("abci_query", dict(
            params, height=str(w["v1_state"])))["response"]
        return dict(old, height=resp.get("height"))

    return {"swap": (w["mine"], swap), "replay": (w["mine"], replay),
            "strip": (w["epoch0"], _value_edit(_strip_wrap)),
            "forge": (w["mine"], _value_edit(_forge_signature))}


def _new_version(w):
    """The owner writes the device's settings again (the same NEW, version + 1): the envelope
    the chip opened before changes, so the boot proves the epoch envelope too (an unchanged
    envelope is served from the chip's cached opening without it)."""
    owner = w["owner"]
    owner.set(oc.device_settings_name(w["d"]["address"]), _json(NEW))
    w["net"].wait_for_height(owner.view.min_height + 1)


@pytest.mark.parametrize("lie", ["swap", "replay", "strip", "forge"])
def test_a_lying_relay_fails_a_proof_and_the_device_keeps_its_last_good_settings(world, lie):
    relay = world["relay"] = Relay(world["net"].node("val1")["rpc"])
    try:
        key, edit = _lies(world)[lie]
        if key == world["epoch0"]:
            _new_version(world)
        _lie(relay, key, edit)
        rec, error, banned = _read(world, relay)
    finally:
        relay.close()
    # the lie is a typed proof failure: the relay is banned with the check that failed
    reason = banned.get(relay.url)
    assert reason is not None, (lie, error)
    assert reason["check"] == CHECKS[lie], reason
    # the last good settings, from the cache, marked stale; never the other device's or v1
    assert rec.stale and rec.record["setting"] == NEW and rec.record["sealed"]["version"] == 2


def _forged(ops, change):
    """ops whose existence proof carries the envelope edited by change(map)."""
    p = ics23_types.decode_commitment_proof(ops[0][2])
    m = envelope.parse(p.value)
    change(m)
    p.value = cbor.dumps(m)
    return [(ops[0][0], ops[0][1], ics23_types.encode_commitment_proof(p))] + list(ops[1:])


def test_a_pi_handing_the_chip_bad_proofs_itself_is_refused_by_the_chip(world):
    """Past the Pi's own checks: the chip verifies the proofs against the header it trusts
    (after a power cut, from its flash). Version 1's proof from its older state
    (envelope_proof_height, or claimed at the chip's header: envelope_proof), another device's
    envelope with its own valid proof, a forged owner signature or a stripped wrap put inside
    a proof (envelope_proof); then the honest proofs open the latest settings."""
    d = world["d"]
    d["board"].stop()               # a power cut: the chip boots again from its flash
    d["board"].start()
    d["port"] = d["board"].port
    cfg = client_config(world["net"], world["state"], world["net"].node("val2")["rpc"], [])
    cfg.chain_kind, cfg.device_uuid, cfg.discover = COSMOS_SDK, d["address"], False
    client = LightClient(cfg)
    client.sync(20, poll_s=5.0)
    pool = client.pool
    head = client.trusted().light_block.signed_header.header.height
    with McuClient(d["port"], timeout=MCU_TIMEOUT_S) as mcu:
        chip = ChipOpener(mcu, client)
        height, app_hash = chip.trusted_header(head)
        assert height >= head

        def ops(name):
            return sealed_settings._prove(pool, world[name], height, app_hash, None)[1]

        def raw_ops(name, state):   # unverified here: what a lying Pi could send
            return pool.race(lambda rpc: records.parse_proof_ops(rpc.abci_query(
                txs.QUERY_PATH, SEALED_PREFIX + world[name], state, True)))[0]

        mine, epoch0, v1 = ops("mine"), ops("epoch0"), raw_ops("mine", world["v1_state"])
        cases = [(world["v1_state"] + 1, v1, epoch0, "envelope_proof_height", None),
                 (height, v1, epoch0, "envelope_proof", "abci_app_hash_mismatch"),
                 (height, ops("other"), epoch0, "envelope_proof", "abci_proof_op_key"),
                 (height, _forged(mine, _forge_signature), epoch0, "envelope_proof",
                  "ics23_value_mismatch"),
                 (height, mine, _forged(epoch0, _strip_wrap), "envelope_proof",
                  "ics23_value_mismatch")]
        for at, env_ops, epoch_ops, check, cause in cases:
            with pytest.raises(McuError) as e:
                chip.open(at, env_ops, epoch_ops)
            assert e.value.rc == K.E_ENVELOPE and e.value.check == check, (check, e.value)
            assert cause is None or cause in str(e.value), (cause, e.value)
        out = chip.open(height, mine, epoch0)
    assert json.loads(out["plaintext"]) == NEW
    assert out["version"] >= 2 and out["height"] == height
    assert set(out) == {"plaintext", "version", "epoch", "key", "height"}      # never a key


def test_a_device_whose_owner_sealed_nothing_for_it_reads_defaults_and_says_so(world):
    """The chain proves there is no envelope under the record key: empty settings, "none"."""
    cfg = client_config(world["net"], world["state"], world["net"].node("val2")["rpc"], [])
    cfg.chain_kind, cfg.discover = COSMOS_SDK, False
    client = LightClient(cfg)
    client.sync(20, poll_s=5.0)
    stranger = ct.bech32_address(coincurve.PrivateKey(os.urandom(32)).public_key.format())
    with McuClient(world["d"]["port"], timeout=MCU_TIMEOUT_S) as mcu:
        got = sealed_settings.read(client.pool, client.trusted(), stranger, ChipOpener(mcu))
    assert got["state"] == sealed_settings.NONE_YET and got["setting"] == {}
    assert got["owner"] == world["owner"].address


def test_the_device_api_serves_the_opened_settings_to_ovos_backend_client(world, tmp_path,
                                                                          monkeypatch):
    from lightclient.api.server import ApiApp
    from tests.api.test_api_scenarionet import TOKEN, ovos_api
    for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(k, str(tmp_path / k.lower()))
    d = world["d"]
    # a state directory of its own: nothing cached, the chip opens the settings for the API
    cfg = client_config(world["net"], tmp_path / "state", world["net"].node("val2")["rpc"], [])
    cfg.chain_kind, cfg.device_uuid, cfg.discover = COSMOS_SDK, d["address"], False
    client = LightClient(cfg)
    client.sync(20, poll_s=5.0)      # the API's read then proves at once (REFRESH_S)
    with McuClient(d["port"], timeout=MCU_TIMEOUT_S) as mcu:
        client.opener = ChipOpener(mcu)
        app = ApiApp(client, d["address"], cfg.chain_id, None, None, TOKEN, port=0,
                     submit=False).start()
        try:
            assert ovos_api(tmp_path, app.url, d["address"]).get_settings() == NEW
        finally:
            app.stop()
