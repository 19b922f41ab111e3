# The Pi feeding its microcontroller, end to end: a light client synced against the local
# network (real processes, sockets, signatures) builds compact updates with the device record's
# proof (lightclient.mcu_bridge), the firmware inside real MicroPython behind a pty verifies them
# itself and serves the record back. A tampered update is refused by the chip with the reason,
# and its trusted state stays where it was: the chip never depends on the Pi being honest.
import pytest

from lightclient import mcu_bridge, native
from lightclient.chip import txs
from lightclient.client import LightClient
from lightclient.config import from_scenarionet
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core.verifier import TrustedState
from lightclient.mcu import McuClient, McuError
from lightclient.chip.crypto import ed25519
from lightclient.scenarionet.app import device_fixture
from lightclient.scenarionet.launcher import ScenarioNet
from lightclient.hwtest.emulator import EmulatedBoard

UUID = "bridge-dev-1"
OWNER = b"\x07" * 32


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("bridge")
    history = 2 * 86400 + 200
    board = EmulatedBoard("esp32-devkitc", d / "lcstore.img")
    board.start()
    try:
        with McuClient(board.port) as mcu:
            # The chip makes its key first: the network's history registers it (a fixture).
            pub = mcu.generate_key()
            device = device_fixture(UUID, pub, ed25519.public_key(OWNER), height=history - 10)
            # 1 s blocks, two days of history with half the power moving on day 1 (the scenario
            # network's first changes): the chip's catch-up from late day 0 crosses all of them.
            with ScenarioNet(str(d / "net"), validators=13, peers=2, history_blocks=history,
                             block_interval_s=1, churn_per_day=0.5, devices=[device]) as net:
                start = 86400 - 100
                cp = net.checkpoint(start)
                config = from_scenarionet(str(d / "net"), str(d / "pi"), UUID,
                                          checkpoint={"height": start, "hash": cp["hash"]})
                client = LightClient(config)
                anchor = client.init_from_anchor()
                chip = mcu_bridge.chip_state(client.pool, {"height": start})
                assert chip.header.hash() == anchor.light_block.signed_header.header.hash()
                mcu.set_checkpoint(trusted_at_rest.encode_trusted(chip), uuid=UUID,
                                   trusting_period_ns=client.options.trusting_period_ns,
                                   header_hash=chip.header.hash())
                res = client.boot(10)
                assert res.ok and not res.stale, res.error
                yield net, client, mcu, pub, chip, board
    finally:
        board.stop()


def _addresses(vals_json):
    return {v["address"] for v in vals_json["validators"]}


def test_plan_crosses_validator_changes(world):
    net, client, mcu, pub, chip, _ = world
    head = client.trusted().height
    assert _addresses(net.validators(chip.header.height)) != _addresses(net.validators(head))
    steps = mcu_bridge.plan(client.pool, chip, head, client.options, client.clock.now_ns(),
                            native.verify)
    assert steps[-1].signed_header.header.height == head
    heights = [lb.signed_header.header.height for lb in steps]
    assert heights == sorted(heights) and heights[0] > chip.header.height
    # Each step carries the next validators the chip will vouch with after it.
    for lb in steps:
        assert lb.next_validators.hash() == lb.signed_header.header.next_validators_hash


def test_tampered_update_is_refused_and_the_chip_keeps_its_state(world):
    net, client, mcu, pub, chip, _ = world
    before = mcu.status()
    steps = mcu_bridge.plan(client.pool, chip, client.trusted().height, client.options,
                            client.clock.now_ns(), native.verify)
    good = mcu_bridge.encode(chip, steps)[0]
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0x01
    with pytest.raises(McuError) as e:
        mcu.submit_update(bytes(bad), client.clock.now_ns())
    assert e.value.check  # the chip names the failed check
    after = mcu.status()
    assert after["height"] == before["height"] and after["generation"] == before["generation"]


def test_push_brings_the_chip_to_the_head_with_the_verified_record(world):
    net, client, mcu, pub, chip, _ = world
    summary = mcu_bridge.push(mcu, client)
    print("bridge:", {k: v for k, v in summary.items() if k != "answers"})
    assert summary["updates"] >= 1
    status = mcu.status()
    assert status["height"] == client.trusted().height
    s = mcu.settings()
    rec = txs.decode_record(s["record"]) if isinstance(s["record"], bytes) else s["record"]
    assert rec["uuid"] == UUID and rec["device_pubkey"] == pub.hex()
    assert rec == net.record(UUID)
    assert s["height"] == client.trusted().height  # the header whose app hash proved it
    # Already at the head: nothing to send.
    assert mcu_bridge.push(mcu, client)["updates"] == 0


def test_cli_boot_feeds_the_chip(world, tmp_path, capsys):
    import json

    from lightclient import cli
    net, client, mcu, pub, chip, board = world
    before = mcu.status()["height"]
    net.wait_height(before + 2)
    path = tmp_path / "config.json"
    client.config.save(str(path))
    mcu._ser.close()  # one reader of the pty at a time
    try:
        assert cli.main(["boot", "--config", str(path), "--json", "--mcu", board.port]) == 0
    finally:
        mcu._ser.open()
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and not doc["stale"]
    assert doc["mcu"]["updates"] >= 1
    assert doc["mcu"]["key_protection"] == "no (development board)"   # an emulated board
    assert mcu.status()["height"] == doc["trusted_height"] > before
