"""Provision, self-test and batch against emulated boards (the real firmware inside MicroPython
under node, behind socat ptys: lightclient/hwtest/emulator.py), and against boards that go wrong: one that
never answers, one that answers garbage, one whose key is not the registered one, one whose
store is corrupt."""

import json

import pytest

from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.verifier import Options
from lightclient.chip.core import update
from lightclient.mcu import McuClient
from lightclient.hwtest import batch, network, provision, selftest
from lightclient.hwtest.errors import HwTestError

OWNER = bytes(range(32))
BOARD = "esp32-devkitc"


@pytest.fixture
def net():
    return network.SyntheticNetwork()


def _provision(port, net, **kw):
    return provision.provision(port, net, OWNER, BOARD, "f" * 64, timeout=10, **kw)


def _status(port):
    with McuClient(port, timeout=10) as m:
        return m.status()


def test_provision_then_selftest_passes_every_check(emulated, net):
    board = emulated()
    rec = _provision(board.port, net, uuid="tray-1", board_id="sticker-17")
    st = _status(board.port)
    # the record says what the chip holds and what the network registered
    assert rec["public_key"] == st["pub"].hex()
    # new boards also get their chain account's secp256k1 key, made on the chip
    assert rec["account_public_key"] == st["account_pub"].hex()
    assert rec["account_address"].startswith("mycroft1")
    assert rec["board_id"] == "sticker-17" and rec["board"] == BOARD
    assert "mycroft-lc-fw" in rec["chip"]["info"] and rec["chip"]["firmware_version"]
    assert rec["chip"]["board"] == BOARD and rec["chip"]["chip"] == "esp32"
    assert rec["owner_public_key"] == ed25519.public_key(OWNER).hex()
    reg = net.records["tray-1"]
    assert reg["device_pubkey"] == rec["public_key"]
    assert reg["owner_pubkey"] == rec["owner_public_key"]
    cp = rec["checkpoint"]
    assert st["provisioned"] and st["height"] == cp["height"] and st["uuid"] == "tray-1"
    assert cp["hash"] == net.light_block(cp["height"]).signed_header.header.hash().hex().upper()
    assert cp["height"] >= rec["registration"]["height"]
    assert rec["firmware_hash"] == "f" * 64 and rec["time"].endswith("Z")
    json.dumps(rec)

    rep = selftest.selftest(board.port, net, bytes.fromhex(rec["public_key"]), timeout=10)
    assert rep["passed"], rep
    got = {c["check"]: c["status"] for c in rep["checks"]}
    assert got == {name: "PASS" for name in selftest.CHECKS}
    # the good update moved the chip on; the bad one did not (it went first)
    acc = [c for c in rep["checks"] if c["check"] == "update_accepted"][0]
    assert _status(board.port)["height"] == acc["height"] > cp["height"]
    rej = [c for c in rep["checks"] if c["check"] == "update_rejected"][0]
    assert rej["reason"]


def test_the_known_bad_update_fails_the_core_verifier_too(net):
    trusted_at = net.latest_height()
    good, target, trusted = net.update_from(trusted_at)
    now = net.light_block(target).signed_header.header.time_ns + 1
    opts = Options(network.TRUSTING_PERIOD_NS)
    assert update.apply_update(trusted, good, opts, now).header.height == target
    with pytest.raises(LightClientError):
        update.apply_update(trusted, selftest.corrupt_update(good), opts, now)


def test_a_provisioned_board_is_not_reprovisioned_without_force(emulated, net):
    board = emulated()
    first = _provision(board.port, net)
    with pytest.raises(HwTestError) as e:
        _provision(board.port, net)
    assert e.value.check == "already_provisioned" and "--force" in e.value.hint
    assert _status(board.port)["pub"].hex() == first["public_key"]   # nothing changed
    again = _provision(board.port, net, force=True)
    assert again["public_key"] != first["public_key"]
    assert again["account_public_key"] != first["account_public_key"]
    assert again["uuid"] != first["uuid"]


def test_a_board_that_never_answers(socat_pair, net):
    port, _ = socat_pair()
    with pytest.raises(HwTestError) as e:
        provision.provision(port, net, OWNER, BOARD, None, timeout=0.5)
    assert e.value.check == "no_answer"
    rep = selftest.selftest(port, net, timeout=0.5)
    assert not rep["passed"]
    assert rep["checks"][0]["check"] == "link" and rep["checks"][0]["status"] == "FAIL"
    assert "sent nothing" in rep["checks"][0]["detail"]
    assert {c["status"] for c in rep["checks"][1:]} == {"NOT RUN"}
    assert net.records == {}                         # nothing registered for it


def test_a_board_that_answers_garbage(garbage_board, net):
    rep = selftest.selftest(garbage_board, net, timeout=0.5)
    assert not rep["passed"]
    link = rep["checks"][0]
    assert link["status"] == "FAIL" and "no valid SMP answer" in link["detail"]
    with pytest.raises(HwTestError) as e:
        provision.provision(garbage_board, net, OWNER, BOARD, None, timeout=0.5)
    assert e.value.check == "garbage_on_line" and "baud" in e.value.hint


def test_a_board_of_another_type_than_given(emulated, net):
    board = emulated(board="esp32s3-devkitc")
    with pytest.raises(HwTestError) as e:
        _provision(board.port, net)
    assert e.value.check == "board_mismatch" and "esp32s3-devkitc" in e.value.message
    assert not _status(board.port)["has_key"]          # refused before anything was written
    rec = provision.provision(board.port, net, OWNER, "esp32s3-devkitc", None, timeout=10)
    assert rec["chip"]["chip"] == "esp32s3"


def test_a_missing_port():
    with pytest.raises(HwTestError) as e:
        provision.provision("/dev/ttyNOPE-hwtest", None, OWNER, BOARD, None)
    assert e.value.check == "port_missing"


def test_a_key_that_does_not_verify_against_the_registered_one(emulated, net):
    board = emulated()
    rec = _provision(board.port, net)
    with McuClient(board.port, timeout=10) as m:
        m.generate_key(force=True)                   # someone re-keyed the board since
    rep = selftest.selftest(board.port, net, bytes.fromhex(rec["public_key"]), timeout=10)
    key = [c for c in rep["checks"] if c["check"] == "key"][0]
    assert key["status"] == "FAIL" and "not the provisioned" in key["detail"]
    assert not rep["passed"]


def test_a_corrupt_store(emulated, net, tmp_path):
    state = tmp_path / "lcstore.img"
    board = emulated(state)
    _provision(board.port, net)
    board.stop()
    data = bytearray(state.read_bytes())
    used = [i for i in range(0, len(data), 4096) if data[i:i + 4096] != b"\xff" * 4096]
    assert used
    for i in used:                                   # one flipped byte in every written sector
        data[i + 200] ^= 0xFF
    state.write_bytes(bytes(data))
    board = emulated(state)
    rep = selftest.selftest(board.port, net, timeout=10)
    got = {c["check"]: c for c in rep["checks"]}
    assert got["link"]["status"] == "PASS" and got["firmware"]["status"] == "PASS"
    assert got["store"]["status"] == "FAIL" and "store not usable" in got["store"]["detail"]
    assert not rep["passed"]
    with pytest.raises(HwTestError) as e:            # and provisioning leaves it alone
        _provision(board.port, net, force=True)
    assert e.value.check == "store"
    assert state.read_bytes() == bytes(data)


def test_batch_over_a_tray_with_one_dead_board(emulated, socat_pair, net):
    ports = [emulated().port for _ in range(3)]
    dead, _ = socat_pair()
    rep = batch.run_batch(ports + [dead], net, OWNER, BOARD, "f" * 64, timeout=2)
    assert rep["passed"] == 3 and rep["failed"] == 1
    by_port = {b["port"]: b for b in rep["boards"]}
    keys = set()
    for p in ports:
        b = by_port[p]
        assert b["passed"] and b["selftest"]["passed"]
        keys.add(b["provision"]["public_key"])
    assert len(keys) == 3 and len(net.records) == 3
    assert by_port[dead]["error"]["check"] == "no_answer" and not by_port[dead]["passed"]
    table = batch.summary_table(rep)
    lines = table.splitlines()
    assert len(lines) == 2 + 4 + 1 and lines[-1] == "3 of 4 boards passed"
    assert sum("PASS" in line for line in lines[2:-1]) == 3
    assert "FAIL: no_answer" in table
    json.dumps(rep)


def test_the_scenarionet_takes_no_registrations_and_still_serves_a_selftest(tmp_path):
    """--network scenarionet: its devices are fixtures of its history, so provisioning there is
    refused, naming the networks that register, before the board is opened; a board provisioned
    on it before still gets its self-test's light blocks (boards are provisioned on the chain:
    tests/journeys/test_testers_guide.py)."""
    net = network.ScenarioNetNetwork(str(tmp_path / "scenarionet"), start=True, validators=4,
                                     peers=0, history_blocks=10, block_interval_s=1)
    try:
        with pytest.raises(HwTestError) as e:
            _provision("/dev/ttyNOPE-hwtest", net, uuid="scenarionet-board-1")
        assert e.value.check == "no_registrations" and "--network chain" in e.value.hint
        lb = net.light_block(3)
        assert lb.signed_header.header.height == 3 and net.latest_height() >= 10
        assert lb.signed_header.header.chain_id == net.chain_id
    finally:
        net.close()
    # a scenario network that is not running is a clear error, not a hang
    with pytest.raises(HwTestError) as e:
        network.ScenarioNetNetwork(str(tmp_path / "nothing-here"))
    assert e.value.check == "scenarionet_down" and "scenarionet up" in e.value.hint


def test_selftest_of_a_board_from_another_network_says_so(emulated, net):
    board = emulated()
    _provision(board.port, net)
    other = network.SyntheticNetwork(chain_id="some-other-chain")
    other.wait_for_height(net.latest_height() + 2)
    rep = selftest.selftest(board.port, other, timeout=10)
    upd = [c for c in rep["checks"] if c["check"] == "update_rejected"][0]
    assert upd["status"] == "FAIL" and "not this network" in upd["detail"]
    assert "provisioned on another network" in upd["detail"]


def test_a_network_that_stops_answering_is_a_fail_not_a_crash(emulated, net):
    """The network going away between the steps: the self-test reports the check as FAIL with
    the reason (the report is still written), and provisioning says the board is registered
    but holds no checkpoint, and what to do."""
    class Gone(network.SyntheticNetwork):
        def update_from(self, *a, **kw):
            raise LightClientError("no_source", "no source answered")

        def checkpoint(self):
            raise ConnectionError("connection refused")

    board = emulated()
    _provision(board.port, net)
    gone = Gone()
    rep = selftest.selftest(board.port, gone, timeout=10)
    upd = {c["check"]: c for c in rep["checks"]}["update_rejected"]
    assert upd["status"] == "FAIL" and "no source answered" in upd["detail"]
    assert not rep["passed"]
    with pytest.raises(HwTestError) as e:
        _provision(board.port, gone, force=True, uuid="half-way")
    assert e.value.check == "checkpoint" and "half-way" in e.value.message
    assert "--force" in e.value.hint


def test_provision_with_a_pairing_code_for_the_label(emulated, net):
    board = emulated()
    labels = []
    rec = _provision(board.port, net, uuid="tray-9", label=lambda *a: labels.append(a))
    (board_id, chain_id, code), = labels
    assert board_id == rec["board_id"] and chain_id == rec["network"]["chain_id"]
    assert len(code.replace("-", "")) == 12
    assert code not in json.dumps(rec) and code.replace("-", "") not in json.dumps(rec)
    with McuClient(board.port, timeout=10) as m:
        from lightclient.chip.smp import header as H, keys as K
        info = m.keys(H.OP_READ, K.KEY_INFO)
    assert info["has_verifier"] and info["x25519"].hex() == rec["x25519_public_key"]
