# Release images built from the frozen firmware (`mycroft-lc board release build`,
# lightclient/hwtest/release_build.py): the freeze manifest's modules compiled with MicroPython
# 1.27's mpy-cross into a ROMFS, signed. MicroPython's own vfs.VfsRom reads the ROMFS; on the
# emulated board (the chip's 32-bit interpreter) the update really changes the running code:
# the release's version is what the firmware itself reports after the update, a trial that is
# not confirmed gives the old code back at the next reset, a confirmed one keeps the new.
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from lightclient.chip.app import release_image as R
from lightclient.hwtest import release_build as RB
from lightclient.hwtest.emulator import EmulatedBoard, find_chip32
from lightclient.mcu import McuClient

import test_fw_ota as T
import test_fw_ota_smpmgr as S

VERSION = "0.2.0-rc.frozen"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    img, summary = RB.build(T.REL_SEED, VERSION, 1)
    path = tmp_path_factory.mktemp("release") / "release.img"
    path.write_bytes(img)
    return img, summary, path


def test_the_image_is_signed_and_its_payload_is_a_romfs_micropython_mounts(release):
    img, summary, path = release
    m, _, _, start = R.parse_head(img)
    assert m["v"] == VERSION and m["sv"] == 1 and summary["modules"] > 50
    assert R.check_image(lambda o, n: img[o:o + n], len(img), T.REL_PUB,
                         {hashlib.sha256(img).digest(): 1}, 0)["v"] == VERSION
    # MicroPython 1.27's own ROMFS reader (vfs.VfsRom, given the payload in RAM) imports the
    # compiled modules, and the version is stamped into the firmware's code
    script = ("import vfs, sys\nd = open(%r, 'rb').read()\n"
              "vfs.mount(vfs.VfsRom(memoryview(d)[%d:]), '/rom')\nsys.path[:] = ['/rom/lib']\n"
              "from lightclient.chip.app import common, firmware, release_key\n"
              "print(common.FIRMWARE_VERSION, common.__file__, release_key.RELEASE_KEY)\n"
              ) % (str(path), start)
    r = subprocess.run([str(find_chip32()), "-X", "heapsize=4M", "-c", script],
                       capture_output=True, text=True, env={"MICROPYPATH": ""}, timeout=60)
    # ... and the release key frozen in (a release build never reads /board.json's)
    assert r.stdout.split() == [VERSION, "/rom/lib/lightclient/chip/app/common.mpy",
                                T.REL_PUB.hex()], r


def test_a_release_without_a_version_line_or_mpy_cross_is_refused_by_name(tmp_path):
    from lightclient.hwtest.errors import HwTestError
    with pytest.raises(HwTestError, match="mpy_cross_missing"):
        RB.compile_modules("1.0", mpy_cross=tmp_path / "none")
    with pytest.raises(HwTestError, match="release_version"):
        RB.compile_modules("x" * 33)


def _fw(port):
    with McuClient(port, timeout=20) as mcu:
        return mcu.status()


def _reset(port):
    with McuClient(port, timeout=20) as mcu:
        mcu.reset()


def test_the_update_changes_the_running_code_and_a_rollback_restores_it(release, tmp_path):
    img, _, path = release
    state = tmp_path / "board.img"
    Path(str(state) + ".release_key").write_text(T.REL_PUB.hex())
    chain = T.ReleaseChain(b"\x42" * 32, board="esp32-devkitc", approved=[(img, 1, VERSION)])
    with EmulatedBoard("esp32-devkitc", state_path=state) as b:
        with McuClient(b.port, timeout=20) as mcu:
            mcu.generate_key()
            mcu.set_checkpoint(chain.checkpoint(1))
            mcu.submit_update(chain.release_update(1, 2, [img]), chain.now(2))
        assert _fw(b.port)["fw"] == "0.1.0"                  # the frozen firmware
        rc, out = S.smpmgr(b.port, "upgrade", "--slot", "1", "--format", "any", str(path))
        assert rc == 0, out
        st = _fw(b.port)                                     # smpmgr reset it: the trial
        assert (st["fw"], st["image"], st["image_trial"]) == (VERSION, VERSION, True), st
        _reset(b.port)                                       # never confirmed: rolled back
        st = _fw(b.port)
        assert st["fw"] == "0.1.0" and st["last_boot"].startswith("rolled back"), st
        # the slot still holds it: marked for test again by its hash (no new upload)
        rc, out = S.smpmgr(b.port, "image", "state-write", hashlib.sha256(img).hexdigest())
        assert rc == 0, out
        _reset(b.port)
        assert _fw(b.port)["fw"] == VERSION
        rc, out = S.smpmgr(b.port, "image", "state-write", "--confirm")
        assert rc == 0, out
        _reset(b.port)
        st = _fw(b.port)
        assert (st["fw"], st["image_trial"], st["security_version"]) == (VERSION, False, 1), st
        # the slot's code, not the frozen one: ota_1 of the board's flash holds the image
        flash = Path(str(state) + ".flash").read_bytes()
        assert flash[0x170000:0x170000 + len(img)] == img
        # the slot damaged behind the chip's back: its bootloader does not start it
        with open(str(state) + ".flash", "r+b") as f:
            f.seek(0x170000 + len(img) - 100)
            f.write(bytes([flash[0x170000 + len(img) - 100] ^ 1]))
        _reset(b.port)
        st = _fw(b.port)
        assert (st["fw"], st["last_boot"]) == ("0.1.0", "slot 0"), st
