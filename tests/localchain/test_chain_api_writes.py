"""The local device API's writes on the real chain: the unmodified ovos-backend-client's write
calls through `serve-api`'s app become the device's own SDK transactions (MsgDeviceWrite,
SIGN_MODE_DIRECT, signed on the emulated board's chip over SMP), each carrying only the write
sealed on the chip to its owner's key epoch (docs/device-writes.md); sequences from verified
state, a sequence mismatch re-signed, a refusal kept with the chain's codespace, code and log;
what lands in x/devices is proven (ICS23) through another node and opened by the owner, and
the chip signs no plaintext write nor one it did not seal itself."""

import json
import os

import pytest

from lightclient.api.chain_writes import ChainWriter, is_cosmos_chain
from lightclient.api.queue import WriteQueue
from lightclient.api.sealed_writes import ChipSealer
from lightclient.api.server import ApiApp
from lightclient.api.signer import McuSigner
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.client import LightClient
from lightclient.localchain import devicetx
from lightclient.owner import chain as oc
from lightclient.owner.onchain import OwnerChain
# the device API's own end-to-end helpers: the same unmodified client, the same waits
from tests.api.test_api_scenarionet import TOKEN, ovos_api, wait_for
from tests.localchain.chainhelp import client_config
from tests.localchain.pairhelp import funded_owner, pair, view

UUID = "pi-chain-1"


@pytest.fixture(scope="module")
def device(chain, tmp_path_factory):
    """A board registered on the chain (its account key made on its chip) and paired with an
    owner by its label's code, and the Pi's light client for it (central node 0, peer node 1)."""
    from lightclient.hwtest.emulator import EmulatedBoard
    from lightclient.mcu import McuClient
    root = tmp_path_factory.mktemp("chain-api")
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME",
                                             "XDG_CACHE_HOME", "XDG_STATE_HOME")}
    for k in saved:                  # ovos-backend-client writes under XDG dirs: keep them here
        os.environ[k] = str(root / k.lower())
    board = EmulatedBoard("esp32-devkitc", root / "lcstore.img", heap=152 * 1024)
    board.start()
    mcu = McuClient(board.port)
    try:
        cid = chain.info["chain_id"]
        pub = mcu.generate_key()
        code = mcu.keys(H.OP_WRITE, K.PROVISION, {"chain_id": cid})["code"]
        acct, height = devicetx.register_chip(chain, mcu, "owner")
        owner = OwnerChain(funded_owner(chain), view(chain))
        owner.pair(pair(mcu, owner.key, cid, code))
        chain.wait_for_height(owner.view.min_height + 1)
        cfg = client_config(chain, root / "state", chain.nodes[0]["rpc"], [chain.nodes[1]["rpc"]])
        assert is_cosmos_chain(cfg)
        yield {"root": root, "mcu": mcu, "acct": acct, "cfg": cfg, "owner": owner, "pub": pub}
    finally:
        mcu.close()
        board.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _app(chain, device, queue_name, submit=True, **kw):
    client = LightClient(device["cfg"])
    queue = WriteQueue(device["root"] / queue_name)
    signer = McuSigner(device["mcu"], account=True)
    writer = ChainWriter(client, chain.info["chain_id"], signer, queue,
                         sealer=ChipSealer(device["mcu"]), **kw)
    return ApiApp(client, UUID, chain.info["chain_id"], signer, queue, TOKEN, port=0,
                  submit=submit, writer=writer, backoff_base=0.2, backoff_max=1.0,
                  confirm_poll_s=0.2, confirm_timeout_s=30.0, refusals_to_drop=1).start()


def _write_key(device, kind):
    return epochs.device_write_key(device["owner"].address, device["pub"], kind)


def _proven_by_another_device(chain, device, kind):
    """Another view: a header verified from block 1 through node 3, the write's envelope proven
    with ICS23 against it (ciphertext: no plaintext on chain), then opened by the owner, who
    checks it is signed by this device. -> the plaintext JSON, or None (proven absent)."""
    header = devicetx.verified_state(chain, node=3).header
    key = _write_key(device, kind)
    value = devicetx.prove(chain, header, "devices", oc.sealed_key(key), node=3)
    if value is None:
        return None
    m = envelope.parse(value)
    assert m[envelope.K_WRITER] == ["ed25519", device["pub"]] and m[envelope.K_KEY] == key
    opened = device["owner"].book().open(key, value, writers=[("ed25519", device["pub"])])
    assert opened.writer == ("ed25519", device["pub"])
    return json.loads(opened.plaintext)


def test_unmodified_clients_writes_land_in_x_devices_signed_on_the_chip(chain, device):
    app = _app(chain, device, "queue")
    try:
        api = ovos_api(device["root"], app.url, UUID)
        r = api.backend.device_report_metric("timing", {"stt": 0.25, "n": 3})
        assert r.status_code == 202 and r.json()["queued"] is True
        assert int(r.headers["X-Lightclient-Height"]) >= 2          # a verified view
        r = api.backend.device_upload_skill_metadata(
            {"skill_gid": "@|ovos-skill-timer.openvoiceos", "skillMetadata": {"sections": []}})
        assert r.status_code == 202
        entries = app.service.queue.pending()
        assert [e.nonce for e in entries] == list(range(entries[0].nonce,
                                                        entries[0].nonce + len(entries)))
        wait_for(lambda: not app.service.queue.pending(), timeout=60, what="the queue drained")
        assert app.service.queue.dead_letters() == []
        assert app.submitter.delivered == 2
    finally:
        app.stop()
    metric = _proven_by_another_device(chain, device, "metrics")
    assert metric == {"name": "timing", "data": {"stt": "0.25", "n": 3}}
    meta = _proven_by_another_device(chain, device, "settings_meta")
    assert meta["skill_gid"] == "@|ovos-skill-timer.openvoiceos"


def test_a_skill_handlers_report_counts_a_use_in_the_chains_epoch(chain, device):
    """The unmodified client's skill-handler timing report counts one use, in the epoch of the
    writer's verified header under x/usage's proven epoch_seconds (docs/usage-tokens.md)."""
    from lightclient.api.skill_uses import SkillUses, chain_epoch
    from lightclient.usage_counter import UsageCounter
    app = _app(chain, device, "queue-uses", submit=False)
    try:
        (device["root"] / "uses").mkdir()
        counter = UsageCounter(str(device["root"] / "uses"))
        app.service.uses = SkillUses(counter, chain_epoch(app.service.writer))
        before = devicetx.verified_state(chain, node=3).header
        r = ovos_api(device["root"], app.url, UUID).backend.device_report_metric(
            "timing", {"id": "utt-1", "system": "skill_handler", "handler": "handle_timer",
                       "skill_id": "ovos-skill-timer.openvoiceos", "start_time": 1, "time": 0.1})
        after = devicetx.verified_state(chain, node=3).header
    finally:
        app.stop()
    assert r.status_code == 202
    kind, skill, epoch, uses = r.headers["X-Lightclient-Skill-Use"].split(":")
    assert (kind, skill, uses) == ("counted", "ovos-skill-timer.openvoiceos", "1")
    epoch_s = _epoch_seconds(chain, after)
    assert before.time_ns // 10 ** 9 // epoch_s <= int(epoch) <= after.time_ns // 10 ** 9 // epoch_s
    assert counter.counts() == {int(epoch): {"ovos-skill-timer.openvoiceos": 1}}


def _epoch_seconds(chain, header):
    """x/usage's epoch_seconds, proven through another node (field 1 of the stored Params)."""
    from lightclient import usage_tokens as U
    from lightclient.chip.core import proto
    value = devicetx.prove(chain, header, U.STORE, U.PARAMS_KEY, node=3)
    return proto.get_one(proto.fields(value, 4), 1, proto.VARINT, 0)


def test_a_skill_upload_builds_on_the_proven_skills_and_a_stale_sequence_is_re_signed(
        chain, device):
    """Queued while the submitter is off; then the same account key spends that sequence
    elsewhere (as another process sharing the key would): the entry is refused with the SDK's
    code 32, re-signed with the sequence verified state shows, and lands."""
    from ovos_backend_client.database import SkillSettingsModel
    WEATHER = {"skill_gid": "@|ovos-skill-weather.openvoiceos", "display_name": "Weather",
               "skillMetadata": {"sections": [{"name": "Options", "fields": [
                   {"name": "units", "type": "select", "label": "Units",
                    "value": "metric"}]}]}}
    queued = _app(chain, device, "queue-2", submit=False)
    try:
        api = ovos_api(device["root"], queued.url, UUID)
        model = SkillSettingsModel.deserialize(WEATHER)
        model.skill_settings["units"] = "kelvin"
        api.put_skill_settings_v1(model.serialize())
        [entry] = queued.service.queue.pending()
    finally:
        queued.stop()
    other = devicetx.tx_client(chain, device["acct"], device["mcu"].sign_tx, node=2)
    # the other process spends the sequence on a write of another kind, sealed on the chip too
    env = device["mcu"].keys(H.OP_WRITE, K.SEAL_OWN, {
        "epoch": 0, "epoch_env": device["owner"].sealed(epochs.epoch_record_key(
            device["owner"].address, 0)), "kind": "metrics", "version": 2,
        "plaintext": b'{"name":"elsewhere"}'}, timeout=20)["env"]
    [(_r, h)] = other.send([[ct.msg_device_write(ct.bech32_address(device["acct"]), "metrics",
                                                 env)]])
    chain.wait_for_height(h + 1)
    app = _app(chain, device, "queue-2")
    try:
        wait_for(lambda: not app.service.queue.pending(), timeout=60,
                 what="the re-signed write landed")
        assert app.submitter.resigned >= 1 and app.service.queue.dead_letters() == []
    finally:
        app.stop()
    [skill] = _proven_by_another_device(chain, device, "skill_settings")
    assert skill["skill_gid"] == "@|ovos-skill-weather.openvoiceos"
    assert SkillSettingsModel.deserialize(skill).skill_settings["units"] == "kelvin"
    assert entry.nonce < other.next_sequence      # its first sequence had been spent


def test_a_refused_write_is_kept_with_the_chains_code_and_log(chain, device):
    """Too little gas for the ante handler: CheckTx refuses it (codespace sdk, code 11, out of
    gas); the write goes to the dead letters with the chain's words, never silently."""
    app = _app(chain, device, "queue-3", gas_limit=1000)
    try:
        api = ovos_api(device["root"], app.url, UUID)
        assert api.backend.device_report_metric("refused", {"n": 1}).status_code == 202
        wait_for(lambda: app.service.queue.dead_letters(), timeout=60, what="the refusal")
    finally:
        app.stop()
    [dead] = app.service.queue.dead_letters()
    reason = dead["reason"]
    assert reason["codespace"] == "sdk" and reason["code"] == 11, reason
    assert "out of gas" in reason["log"]


def test_a_write_that_fails_in_its_block_is_a_proven_dead_letter(chain, device):
    """Gas enough for the ante handler (CheckTx accepts it) but not for storing 3 KB: it fails
    in its block, which spends the sequence; verified state shows the sequence spent without the
    write, and a node knows the transaction failed: the entry goes to the dead letters with the
    chain's code and log."""
    app = _app(chain, device, "queue-4", gas_limit=80000)
    try:
        api = ovos_api(device["root"], app.url, UUID)
        r = api.backend.device_report_metric("big", {"blob": "x" * 3000})
        assert r.status_code == 202, (r.status_code, r.text)
        wait_for(lambda: app.service.queue.dead_letters(), timeout=60,
                 what="the failure in its block")
    finally:
        app.stop()
    [dead] = app.service.queue.dead_letters()
    assert dead["reason"]["check"] == "tx_failed", dead["reason"]
    assert dead["reason"].get("code") == 11 and "out of gas" in dead["reason"].get("log", "")
    assert app.submitter.resigned == 0


def test_the_chip_signs_no_plaintext_write_nor_one_it_did_not_seal(chain, device):
    """MsgDeviceWrite with plaintext JSON (the old path): not signed (sign_write_plaintext;
    the chain's 40). The device's own stored envelope under another kind's key, and an
    envelope of its record key signed by another key (the owner's): not signed either
    (sign_write_envelope; the chain's 29 and 32, x/devices' Go tests)."""
    client = devicetx.tx_client(chain, device["acct"], device["mcu"].sign_tx, node=2)
    me = ct.bech32_address(device["acct"])
    stored = devicetx.prove(chain, devicetx.verified_state(chain, node=2).header, "devices",
                            oc.sealed_key(_write_key(device, "metrics")), node=2)
    owner = device["owner"]
    forged = owner.book().seal(_write_key(device, "skill_settings"), b"[]", 9)
    for env, check in ((b'{"name":"plain"}', "sign_write_plaintext"),
                       (stored, "sign_write_envelope"), (forged, "sign_write_envelope")):
        with pytest.raises(Exception) as e:
            client.send([[ct.msg_device_write(me, "skill_settings", env)]])
        assert getattr(e.value, "check", "") == check, e.value
