# Re-provisioning a chip that holds a verified device record needs its owner's signature
# (lc.reprovision_message): a compromised Pi can neither wipe the device's identity (a new key)
# nor re-point it at another chain (a new checkpoint). Before the chip has verified a record
# (the factory step) force alone is enough. Real firmware in MicroPython behind a pty.
import pytest

import fwscenario
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.mcu import McuClient, McuError
from lightclient.chip.smp import lc
from lightclient.hwtest.emulator import EmulatedBoard

OWNER = b"\x21" * 32
OTHER = b"\x22" * 32


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = EmulatedBoard("esp32-devkitc", tmp_path_factory.mktemp("reprov") / "lcstore.img")
    b.start()
    yield b
    b.stop()


def test_force_needs_the_owner_once_the_chip_has_a_verified_record(board):
    with McuClient(board.port) as mcu:
        pub = mcu.generate_key()
        # Factory step: no record yet, force alone re-keys and re-anchors.
        pub = mcu.generate_key(force=True)
        sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(OWNER))
        mcu.set_checkpoint(sc.checkpoint(1), uuid=sc.uuid)
        mcu.set_checkpoint(sc.checkpoint(1), uuid=sc.uuid, force=True)
        mcu.submit_update(sc.update(1, 2), sc.now(2))
        assert mcu.settings()["record"] == sc.record

        new_state = sc.checkpoint(3)
        with pytest.raises(McuError) as e:
            mcu.set_checkpoint(new_state, force=True)
        assert e.value.check == "owner_signature_required"
        with pytest.raises(McuError) as e:
            mcu.generate_key(force=True)
        assert e.value.check == "owner_signature_required"
        # Someone else's signature, or the owner's for another payload or operation: refused.
        wrong = mcu.owner_authorization(txs.seed_signer(OTHER), "set_checkpoint", new_state)
        with pytest.raises(McuError) as e:
            mcu.set_checkpoint(new_state, force=True, owner_sig=wrong)
        assert e.value.check == "owner_signature"
        other_payload = mcu.owner_authorization(txs.seed_signer(OWNER), "set_checkpoint",
                                                sc.checkpoint(1))
        with pytest.raises(McuError):
            mcu.set_checkpoint(new_state, force=True, owner_sig=other_payload)
        for_checkpoint = mcu.owner_authorization(txs.seed_signer(OWNER), "set_checkpoint",
                                                 new_state)
        with pytest.raises(McuError):
            mcu.generate_key(force=True, owner_sig=for_checkpoint)
        assert mcu.public_key() == pub and mcu.status()["height"] == 2  # nothing changed

        # The owner's signature for this chip, operation and generation works, once.
        auth = mcu.owner_authorization(txs.seed_signer(OWNER), "generate_key")
        new_pub = mcu.generate_key(force=True, owner_sig=auth)
        assert new_pub != pub and mcu.public_key() == new_pub
        with pytest.raises(McuError) as e:  # replayed: the store generation has moved on
            mcu.generate_key(force=True, owner_sig=auth)
        assert e.value.check == "owner_signature"
        auth = mcu.owner_authorization(txs.seed_signer(OWNER), "set_checkpoint", new_state)
        assert mcu.set_checkpoint(new_state, force=True, owner_sig=auth)["height"] == 3


def test_the_message_binds_operation_chip_generation_and_payload():
    base = lc.reprovision_message("set_checkpoint", b"\x01" * 32, 7, b"\x02" * 32)
    assert base.startswith(lc.REPROVISION_DOMAIN)
    assert base != lc.reprovision_message("generate_key", b"\x01" * 32, 7, b"\x02" * 32)
    assert base != lc.reprovision_message("set_checkpoint", b"\x03" * 32, 7, b"\x02" * 32)
    assert base != lc.reprovision_message("set_checkpoint", b"\x01" * 32, 8, b"\x02" * 32)
    assert base != lc.reprovision_message("set_checkpoint", b"\x01" * 32, 7, b"\x04" * 32)
