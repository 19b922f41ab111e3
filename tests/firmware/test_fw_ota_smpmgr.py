# smpmgr (the ecosystem's SMP tool, PyPI) updates the emulated board (the chip's 32-bit
# interpreter, its slots in files beside its flash image): `upgrade --format any` uploads the
# image, marks it for test and resets; the board boots it on trial; `image state-write
# --confirm` keeps it. An image with no release record is refused and the old one keeps running.
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.mcu import McuClient

import test_fw_ota as T

SMPMGR = Path(sys.executable).with_name("smpmgr")


def smpmgr(port, *args):
    r = subprocess.run([str(SMPMGR), "--port", port, "--timeout", "20"] + list(args),
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    return r.returncode, r.stdout + r.stderr


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    d = tmp_path_factory.mktemp("ota-board")
    state = d / "board.img"
    Path(str(state) + ".release_key").write_text(T.REL_PUB.hex())
    chain = T.ReleaseChain(b"\x42" * 32, board="esp32-devkitc")
    with EmulatedBoard("esp32-devkitc", state_path=state) as b:
        with McuClient(b.port, timeout=20) as mcu:
            mcu.generate_key()
            mcu.set_checkpoint(chain.checkpoint(1))
            # one record per update: the 96 KiB heap holds the update and the commit
            mcu.submit_update(chain.release_update(1, 2, [T.V2]),
                              chain.now(2))
        yield b, d


def _status(port):
    with McuClient(port, timeout=20) as mcu:
        return mcu.status()


def test_unapproved_then_approved_image_with_smpmgr(board):
    b, d = board
    bad = d / "unapproved.bin"
    bad.write_bytes(T.UNAPPROVED)
    rc, out = smpmgr(b.port, "upgrade", "--slot", "1", "--format", "any", str(bad))
    assert rc != 0, out                       # refused at the test mark, nothing reset
    st = _status(b.port)
    assert st["image"] == "0.1.0" and not st["image_trial"]

    good = d / "v2.bin"
    good.write_bytes(T.V2)
    rc, out = smpmgr(b.port, "upgrade", "--slot", "1", "--format", "any", str(good))
    assert rc == 0, out
    st = _status(b.port)                      # smpmgr reset the board: it runs the trial
    assert st["image"] == "0.2.0" and st["image_trial"] and st["last_boot"] == "trial of slot 1"
    rc, out = smpmgr(b.port, "image", "state-write", "--confirm")
    assert rc == 0, out
    st = _status(b.port)
    assert not st["image_trial"] and st["security_version"] == 1
    rc, out = smpmgr(b.port, "image", "state-read")
    assert rc == 0 and "0.2.0" in out and "active=True" in out.replace(" ", ""), out
    assert st["key_protection"] == "no (development board)"
