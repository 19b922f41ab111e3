# `mycroft-lc owner init` and `owner pair` against the emulated board on the chip's own build
# (32-bit, lccrypto, frozen firmware) at the board's 96 KiB heap: the owner pairs with the code the
# chip made at provisioning, the statement carries both signatures, a wrong code is refused and
# counted, and the chip then backs off.
import json

import pytest

from lightclient import cli
from lightclient.chip.crypto import backend, secp256k1
from lightclient.chip.keys import pairing
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.mcu import McuClient

CHAIN = "mycroft-local-1"


def _board(tmp_path_factory):
    b = EmulatedBoard("esp32-devkitc", tmp_path_factory.mktemp("pairboard") / "lcstore.img",
                      heap=96 * 1024)
    b.start()
    with McuClient(b.port, timeout=10) as mcu:
        pub = mcu.generate_key()
        code = mcu.keys(H.OP_WRITE, K.PROVISION, {"chain_id": CHAIN})["code"]
    return b, pub, code


@pytest.fixture
def board(tmp_path_factory):
    """A provisioned board per test: a paired chip takes no second owner."""
    b = _board(tmp_path_factory)
    yield b
    b[0].stop()


def test_init_then_pair_through_the_emulated_board(board, tmp_path, monkeypatch, capsys):
    b, pub, code = board
    monkeypatch.setenv("MYCROFT_LC_PASSPHRASE", "correct horse")
    key = str(tmp_path / "owner.key")
    assert cli.main(["owner", "init", key, "--json"]) == 0
    owner = json.loads(capsys.readouterr().out)
    assert owner["address"].startswith("mycroft1")
    wrong = "0000-0000-0001" if code != "0000-0000-0001" else "0000-0000-0002"
    assert cli.main(["owner", "pair", key, "--mcu", b.port, "--chain-id", CHAIN, "--code", wrong,
                     "--open-window"]) == 1          # a wrong code: the confirmation fails
    assert "pake_confirmation" in capsys.readouterr().err
    out = str(tmp_path / "pairing.json")
    assert cli.main(["owner", "pair", key, "--mcu", b.port, "--chain-id", CHAIN, "--code", code,
                     "--open-window", "--out", out]) == 0
    doc = json.load(open(out))
    st = bytes.fromhex(doc["statement"])
    msg = pairing.signing_bytes(st)
    assert doc["device_pubkey"] == pub.hex()
    assert secp256k1.verify(bytes.fromhex(owner["secp256k1_public"]), msg,
                            bytes.fromhex(doc["owner_sig"]))
    assert backend.ed25519_verify(pub, msg, bytes.fromhex(doc["device_sig"]))
    with McuClient(b.port, timeout=10) as mcu:
        info = mcu.keys(H.OP_READ, K.KEY_INFO)
    assert info["owner"].hex() == owner["secp256k1_public"] and info["failures"] == 0


def test_too_many_wrong_codes_and_the_chip_backs_off(board, tmp_path, monkeypatch, capsys):
    b, pub, code = board
    monkeypatch.setenv("MYCROFT_LC_PASSPHRASE", "x")
    key = str(tmp_path / "owner2.key")
    assert cli.main(["owner", "init", key]) == 0
    wrong = "9999-9999-9998" if code != "9999-9999-9998" else "9999-9999-9997"

    def attempt():
        return cli.main(["owner", "pair", key, "--mcu", b.port, "--chain-id", CHAIN,
                         "--code", wrong, "--open-window"])
    assert [attempt() for _ in range(pairing.FREE_FAILURES)] == [1] * pairing.FREE_FAILURES
    # then the backoff, 2 s after a failure and doubling: an attempt that comes later than that
    # (a loaded machine: the owner key's scrypt, the PAKE) is let through and counted, and the
    # doubling outgrows any such delay within a few attempts
    codes = []
    while len(codes) < 6 and (not codes or codes[-1] == 1):
        codes.append(attempt())
    assert codes[-1] == 4 and set(codes[:-1]) <= {1}, codes
    assert "pairing_backoff" in capsys.readouterr().err
