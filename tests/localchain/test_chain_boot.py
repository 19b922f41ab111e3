"""The device's boot on the real chain, through the `mycroft-lc` commands: `provision --chain`
names the device by its account address, `boot --mcu` syncs, verifies and proves its x/devices
record (the Go module's key and protobuf value) and its owner-sealed settings with ICS23, and
the chip opens them (the settings exist on chain only sealed); with the central node's process
killed (what `chain fault full0 stopped` does) it boots from peers; a relay forging signatures is
banned with its reason; with every source gone it serves the cache, marked stale; a device the
chain has no record of exits 6 saying so. The relays are the ones `chain up` runs in front of
each node (faults.Supervisor, on the ports network.json names). On conftest's net7 chain."""

import hashlib
import json
import time

import coincurve
import pytest

from lightclient import cli
from lightclient.chip import cosmos_tx as ct
from lightclient.exitcodes import EXIT_NO_RECORD, EXIT_OK
from lightclient.localchain import devicetx
from lightclient.rpc import SourceError

def _run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _boot(capsys, config, port, deadline=20):
    code, out, err = _run(capsys, "boot", "--config", config, "--json", "--deadline",
                          str(deadline), "--mcu", port)
    return code, json.loads(out), err


@pytest.fixture(scope="module")
def device(sealed_device):
    """conftest's sealed_device: its address, its registration height, its board's port and
    the settings its owner sealed last (test_chain_sealed_settings.py may write a second
    version)."""
    d = sealed_device
    return d["address"], d["registered_at"], d["port"], d["settings"]


def _provision(capsys, net7, tmp_path, uuid):
    config = str(tmp_path / "config.json")
    code, out, _ = _run(capsys, "provision", "--config", config, "--chain", net7.dir,
                        "--uuid", uuid, "--json")
    assert code == EXIT_OK, out
    doc = json.loads(out)
    assert doc["chain_kind"] == "cosmos-sdk" and doc["check_unbonding"]
    return config, doc


def test_boot_central_stopped_liar_banned_then_offline_from_the_cache(
        net7, device, relays, tmp_path, capsys):
    address, reg_height, port, settings = device
    config, doc = _provision(capsys, net7, tmp_path, address)
    assert doc["central"] == relays.relay_url("full0")
    assert doc["checkpoint"]["height"] > reg_height
    # the sources are the relays alone (an operator's pinned list): the nodes' own RPC, which
    # /net_info would add, stays up on this shared chain when step 4 takes the relays away
    with open(config) as f:
        pinned = json.load(f)
    pinned["discover"] = False
    with open(config, "w") as f:
        json.dump(pinned, f)

    # 1. all up: verified from the central node, the record as x/devices stores it
    net7.wait_for_height(doc["checkpoint"]["height"] + 2)
    code, res, _ = _boot(capsys, config, port)
    assert code == EXIT_OK and res["ok"] and not res["stale"], res
    rec = res["record"]["record"]
    assert rec["uuid"] == address and rec["setting"] == settings and rec["version"] == 1
    assert rec["sealed"]["state"] == "opened"
    assert rec["owner"] == devicetx.key_info(net7.info, "owner")[0]
    assert doc["central"] in res["sync"]["sources"]

    # 2. the central node's process killed: peers serve, the record is still proven
    net7.set_node_mode("full0", "stopped")
    try:
        first = res["trusted_height"]
        net7.wait_for_height(first + 2, node=1)
        code, res, _ = _boot(capsys, config, port)
        assert code == EXIT_OK and res["ok"] and not res["stale"], res
        assert res["trusted_height"] > first
        assert doc["central"] not in res["sync"]["sources"] and res["sync"]["sources"]
        assert res["record"]["record"]["setting"] == settings

        # 3. a peer forges signatures; the honest ones are far away, so it answers first
        liar = relays.relay_url("full1")
        relays.relays["full1"].set_fault("forged_signatures")
        for name in ("full2", "val1", "val2", "val3", "val0"):
            relays.relays[name].set_fault("slow", {"latency_s": 1.0, "delay_s": 0,
                                                   "bytes_per_step": 1 << 20})
        banned = {}
        for _ in range(5):          # until the client has met the liar
            net7.wait_for_height(res["trusted_height"] + 1, node=1)
            code, res, _ = _boot(capsys, config, port, deadline=30)
            assert code == EXIT_OK and not res["stale"], res
            code, out, _ = _run(capsys, "status", "--config", config, "--json")
            banned = {b["url"]: b["reason"] for b in json.loads(out)["banned"]}
            if liar in banned:
                break
        assert liar in banned, banned
        assert "signature" in banned[liar]["check"], banned[liar]
        assert res["record"]["record"]["setting"] == settings
        verified_height = res["trusted_height"]

        # 4. every source gone (the central stopped, every relay closed): the cache, stale
        for r in relays.relays.values():
            r.set_fault("ok")
        relays.close()
        code, res, err = _boot(capsys, config, port, deadline=5)
        assert code == EXIT_OK and res["ok"] and res["stale"] and res["source"] == "cache", res
        assert res["record"]["record"]["setting"] == settings
        assert res["record"]["stale"] and res["record"]["height"] + 1 == verified_height
        code, out, _ = _run(capsys, "settings", "--config", config, "--json", "--deadline", "3")
        assert code == EXIT_OK and json.loads(out)["stale"]
    finally:
        net7.set_node_mode("full0", "ok")
        _caught_up(net7, "full0")


def _caught_up(net, name, timeout=60.0):
    """Waits until the restarted node has left block sync and reached the others' head, so the
    next user of the session chain finds it as it was."""
    rpc = net.rpc(net.nodes.index(net.node(name)), timeout=2.0)
    deadline = time.monotonic() + timeout
    while True:
        try:
            si = rpc.call("status")["sync_info"]
            if not si["catching_up"] and \
                    int(si["latest_block_height"]) >= net.rpc(1).status()["latest_height"]:
                return
        except SourceError:
            pass
        assert time.monotonic() < deadline, "%s did not catch up" % name
        time.sleep(0.2)


def test_a_device_with_no_record_on_chain_exits_6_saying_so(net7, tmp_path, capsys):
    stranger = coincurve.PrivateKey(hashlib.sha256(b"never registered").digest())
    address = ct.bech32_address(stranger.public_key.format(compressed=True))
    config = str(tmp_path / "config.json")
    code, out, _ = _run(capsys, "provision", "--config", config, "--chain", net7.dir,
                        "--uuid", address, "--central-node", "val0")
    assert code == EXIT_OK, out
    # the relays `chain up` would run are not running here: the nodes' own RPC instead
    cfg = json.load(open(config))
    cfg["central"] = net7.node("val0")["rpc"]
    cfg["peers"] = [net7.node("full2")["rpc"]]
    json.dump(cfg, open(config, "w"))
    code, out, err = _run(capsys, "boot", "--config", config, "--deadline", "20")
    assert code == EXIT_NO_RECORD, out + err
    assert "NO RECORD ON CHAIN" in out and "proven" in out
    assert "the chain has no record for device %s" % address in err
    code, out, err = _run(capsys, "settings", "--config", config)
    assert code == EXIT_NO_RECORD and address in err


def test_a_config_naming_a_device_by_anything_but_its_address_is_refused(net7, tmp_path,
                                                                         capsys):
    code, out, err = _run(capsys, "provision", "--config", str(tmp_path / "c.json"),
                          "--chain", net7.dir, "--uuid", "mark2-kitchen")
    assert code != EXIT_OK
    assert "device_uuid" in err and "mycroft1" in err
