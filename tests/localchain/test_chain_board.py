"""The testers' tools on the real chain (conftest's shared net7): `board provision` registers an
emulated board (its secp256k1 account key made on the chip, its consent signed there, the
owner's x/devices transaction, no settings) and writes the device's cosmos-sdk config; `board
selftest --record` then passes with the chip verifying the chain's update itself, and `boot`
proves the board's record through the relays. The failures a tester meets: a chain that refuses
the registration (its code and log shown), a board already provisioned (nothing overwritten), the
chain refusing a second registration of the same account key."""

import json
import time
from pathlib import Path

import pytest

from lightclient import cli
from lightclient.chip import cosmos_tx as ct
from lightclient.exitcodes import EXIT_LOCAL, EXIT_OK
from lightclient.hwtest import provision
from lightclient.hwtest.chain_network import ChainNetwork
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.hwtest.errors import HwTestError
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient
from lightclient.owner.chain import address20
from tests.localchain.chainhelp import UNBONDING_S

OWNER_SEED = bytes(range(32))
BOARD = "esp32-devkitc"


@pytest.fixture(scope="module")
def boards():
    started = []

    def start():
        b = EmulatedBoard(BOARD)
        b.start()
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


@pytest.fixture(scope="module")
def provisioned(net7, relays, boards, tmp_path_factory):
    """One board provisioned with the tester's command: (board, record, --dir)."""
    board = boards()
    d = tmp_path_factory.mktemp("hwtest")
    code, out, err = _board(["provision", "--port", board.port, "--chain-dir", net7.dir,
                             "--dir", str(d), "--board-id", "desk-1", "--timeout", "10"])
    assert code == EXIT_OK, (out, err)
    return board, json.loads(out), d


def _run(argv):
    """`mycroft-lc ARGV` in process: (exit status, stdout, stderr)."""
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _board(argv):
    return _run(["board"] + argv)


def _status(port):
    with McuClient(port, timeout=10) as m:
        return m.status()


def _chain_record(net7, address):
    """The x/devices record of `address`, proven with ICS23 against a header our light client
    verified; None when proven absent."""
    header = devicetx.verified_state(net7).header
    value = devicetx.prove(net7, header, devicetx.STORE, devicetx.device_key(address20(address)))
    return None if value is None else devicetx.decode_device(value)


def test_provision_registers_the_chip_key_and_selftest_passes_verified(net7, provisioned,
                                                                        capsys):
    board, rec, d = provisioned
    st = _status(board.port)
    acct = st["account_pub"]
    # the device is its chain account: named by the address of the key made on the chip
    assert rec["uuid"] == rec["account_address"] == ct.bech32_address(acct)
    assert rec["network"] == {"name": "chain", "chain_id": net7.info["chain_id"],
                              "dir": net7.dir}
    owner = devicetx.key_info(net7.info, "owner")[0]
    assert rec["registration"]["owner_address"] == owner
    # on chain, proven: the owner's record of this key, and no settings written
    on_chain = _chain_record(net7, rec["uuid"])
    assert on_chain["owner"] == owner and on_chain["pub_key"] == acct
    assert on_chain["settings"] == b""
    # the chip trusts the chain at the checkpoint, with the chain's trusting period
    cp = rec["checkpoint"]
    assert st["provisioned"] and st["height"] == cp["height"] > rec["registration"]["height"]
    assert st["trusting_period_ns"] == UNBONDING_S * 2 // 3 * 10 ** 9
    # the device's config: the real chain's layout, the relays as sources
    with open(rec["config"]) as f:
        cfg = json.load(f)
    assert cfg["chain_kind"] == "cosmos-sdk" and cfg["device_uuid"] == rec["uuid"]
    relays = {n["relay"] for n in net7.nodes}
    assert {cfg["central"]} | set(cfg["peers"]) == relays
    assert cfg["checkpoint"]["height"] == cp["height"]

    # the self-test from the record: the chain's update, verified by the chip
    record = str(d / "records" / "desk-1.json")
    code, out, err = _board(["selftest", "--port", board.port, "--record", record,
                             "--timeout", "10"])
    rep = json.loads(out)
    assert code == EXIT_OK and rep["passed"], err
    acc = {c["check"]: c for c in rep["checks"]}["update_accepted"]
    assert _status(board.port)["height"] == acc["height"] > cp["height"]

    # and the Pi boots the device verified from the chain with that config, then brings the
    # chip to its head with the record's proof, which the chip verifies itself
    net7.wait_for_height(acc["height"] + 1)
    code = cli.main(["boot", "--config", rec["config"], "--mcu", board.port, "--json",
                     "--deadline", "30"])
    res = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK and res["ok"] and not res["stale"], res
    assert res["record"]["record"]["uuid"] == rec["uuid"]
    assert res["mcu"]["chip_height"] == res["trusted_height"] > acc["height"], res["mcu"]
    with McuClient(board.port, timeout=10) as m:
        chip = m.settings(time.time_ns())
    assert chip["height"] == res["trusted_height"] and chip["uuid"] == rec["uuid"]
    held = devicetx.decode_device(chip["record"])
    assert held["pub_key"] == acct and held["owner"] == owner
    # the board checked again, as it now is (holding its record): still every check passes
    code, out, err = _board(["selftest", "--port", board.port, "--record", record,
                             "--timeout", "10"])
    assert code == EXIT_OK and json.loads(out)["passed"], err


def test_a_board_already_provisioned_is_refused_and_nothing_changes(net7, provisioned):
    board, rec, d = provisioned
    before = _status(board.port)
    code, out, err = _board(["provision", "--port", board.port, "--chain-dir", net7.dir,
                             "--dir", str(d), "--timeout", "10"])
    assert code == EXIT_LOCAL
    doc = json.loads(out)
    assert doc["error"]["check"] == "already_provisioned" and "--force" in err
    after = _status(board.port)
    for k in ("pub", "account_pub", "height", "generation"):
        assert after[k] == before[k], k
    assert _chain_record(net7, rec["uuid"])["pub_key"] == before["account_pub"]
    # the chain itself refuses the same account key twice, with its code and log
    net = ChainNetwork(net7.dir)
    with McuClient(board.port, timeout=10) as m:
        with pytest.raises(HwTestError) as e:
            net.register_device(rec["uuid"], before["pub"], OWNER_SEED,
                                account_pub=before["account_pub"],
                                sign_consent=m.sign_registration)
    assert e.value.check == "already_registered"
    assert e.value.details["code"] == 4 and e.value.details["codespace"] == "devices"
    assert "already registered" in e.value.message and "--force" in e.value.hint


def test_a_chain_that_refuses_the_registration_says_why(net7, boards):
    """The owner cannot pay the funding asked: the chain's code (sdk 5, insufficient funds) and
    log in the error; the board keeps its key and gets no checkpoint."""
    board = boards()
    net = ChainNetwork(net7.dir, funding=(("stake", 10 ** 18),))
    with pytest.raises(HwTestError) as e:
        provision.provision(board.port, net, OWNER_SEED, BOARD, None, timeout=10)
    err = e.value
    assert err.check == "register_refused"
    assert err.details["codespace"] == "sdk" and err.details["code"] == 5
    assert "insufficient funds" in err.details["log"] and "insufficient funds" in err.message
    st = _status(board.port)
    assert st["has_key"] and not st["provisioned"]
    assert _chain_record(net7, ct.bech32_address(st["account_pub"])) is None


def test_start_chain_attaches_to_a_running_chain_and_leaves_it_running(net7):
    """--start-chain with a chain already running there: the tools use it, start nothing, and
    closing them stops nothing (the chain belongs to whoever started it)."""
    pids = {name: p.pid for name, p in net7.procs.items()}
    net = ChainNetwork(net7.dir, start=True)
    assert net._lock is None and net.chain_id == net7.info["chain_id"]
    h = net.latest_height()
    net.close()
    assert {name: p.pid for name, p in net7.procs.items()} == pids
    assert all(p.poll() is None for p in net7.procs.values())
    net7.wait_for_height(h + 1)


def test_an_owner_key_file_funded_by_the_faucet_registers_boards(net7, boards, tmp_path,
                                                                 monkeypatch):
    """`owner init`'s key file as --owner-key: before anything funds it the chain proves no
    account for it (owner_unfunded, naming `chain fund`); `chain fund` pays it from the genesis
    faucet, refusing what is not a local chain's; then the board is registered as that owner."""
    from lightclient.owner import keyfile
    key = keyfile.OwnerKey.generate()
    path = str(tmp_path / "owner.json")
    keyfile.write(path, key, "correct horse")
    monkeypatch.setenv("MYCROFT_LC_PASSPHRASE", "correct horse")
    argv = ["provision", "--chain-dir", net7.dir, "--dir", str(tmp_path / "hw"),
            "--owner-key", path, "--timeout", "10"]
    code, out, err = _board(argv + ["--port", boards().port])
    assert code == EXIT_LOCAL and json.loads(out)["error"]["check"] == "owner_unfunded", out
    assert "chain fund %s" % key.address() in err
    code, out, err = _chain(["fund", key.address(), "100000stake", "--dir", net7.dir])
    assert code == EXIT_OK, err
    assert json.loads(out)["amount"] == 100000
    code, out, err = _board(argv + ["--port", boards().port])
    assert code == EXIT_OK, (out, err)
    rec = json.loads(out)
    assert _chain_record(net7, rec["uuid"])["owner"] == key.address()
    # the chip's owner word is still the Ed25519 seed made in --dir, never the key file
    assert (tmp_path / "hw" / "owner.key").exists()


def test_the_faucet_refuses_what_it_must_not_pay(net7, tmp_path):
    addr = ct.bech32_address(b"\x02" * 33)
    for args, check in ((["fund", "cosmos1xyz", "5"], "bad_address"),
                        (["fund", addr, "5uatom"], "bad_amount"),
                        (["fund", addr, str(10 ** 12)], "bad_amount")):
        code, out, err = _chain(args + ["--dir", net7.dir])
        assert code == 2 and json.loads(out)["error"]["check"] == check, (args, out)
    other = tmp_path / "other"            # a directory naming another chain: never signed for
    other.mkdir()
    info = json.loads((Path(net7.dir) / "network.json").read_text())
    (other / "network.json").write_text(json.dumps(dict(info, chain_id="mycroft-main-1")))
    code, out, err = _chain(["fund", addr, "5", "--dir", str(other)])
    assert code == EXIT_LOCAL and json.loads(out)["error"]["check"] == "not_local_chain"


def _chain(argv):
    return _run(["chain"] + argv)


def test_force_moves_a_board_that_trusts_another_chain(net7, boards):
    """`provision --force` of a board provisioned on another chain: the chip consents to
    registrations on the chain it trusts only ("registration on another chain"), so its trust
    moves first (the owner-authorized checkpoint), then it is registered and anchored here."""
    from lightclient.hwtest.network import SyntheticNetwork
    board = boards()
    first = provision.provision(board.port, SyntheticNetwork(chain_id="some-other-chain"),
                                OWNER_SEED, BOARD, None, timeout=10)
    assert _status(board.port)["chain_id"] == "some-other-chain"
    rec = provision.provision(board.port, ChainNetwork(net7.dir), OWNER_SEED, BOARD, None,
                              force=True, timeout=10)
    st = _status(board.port)
    assert st["chain_id"] == net7.info["chain_id"] and st["height"] == rec["checkpoint"]["height"]
    assert _chain_record(net7, rec["uuid"])["pub_key"] == st["account_pub"]
    assert rec["public_key"] != first["public_key"]
