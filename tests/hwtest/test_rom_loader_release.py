"""A Pi that tries the ROM loader on a release board (issue 19): `board flash` drives EN/IO0
through DTR/RTS (esptool's automatic reset) into the ROM's download mode. On a board locked by
`board provision --release` (espefuse's virtual eFuses: UART_DOWNLOAD_DIS burned) the emulated
ROM refuses, as a locked ESP32 does, and the tool reports a typed download_disabled error with
nothing read or written; the same board before the burn enters its loader on the same lines
and answers (the reset circuit works, so the refusal is the eFuse's).
The board: hw_reset_rom.py (an RFC 2217 port, modem lines included)."""

import shutil
import subprocess
import sys

import pytest

import hw_fakes as fakes
from hw_fake_rom import SYNC
from hw_reset_rom import ResetLineRom
from lightclient.chip.app import efuse_state
from lightclient.exitcodes import EXIT_LOCAL
from lightclient.hwtest import cli, flash, release
from lightclient.hwtest.boards import load_board

ARGS = ["--baud", "115200", "--no-stub", "--connect-attempts", "1"]   # default-reset: DTR/RTS


@pytest.fixture(scope="module")
def efuses(tmp_path_factory):
    """(open, locked) virtual eFuse files of one ESP32 rev3 chip: before and after the fuse
    `board provision --release` burns to lock the download mode (release.download_lock; the
    whole release burn is tests/hwtest/test_release_efuses.py's)."""
    d = tmp_path_factory.mktemp("rom-release")
    board = load_board("esp32-devkitc")
    fuse = release.Espefuse(board.chip, efuse_file=str(d / "open.bin"))
    fuse.burn_fuses({"CHIP_VER_REV1": 1, "CHIP_VER_REV2": 1})
    shutil.copy(d / "open.bin", d / "locked.bin")
    locked = release.Espefuse(board.chip, efuse_file=str(d / "locked.bin"))
    name, value = release.download_lock(board, locked.summary())
    assert name == "UART_DOWNLOAD_DIS"
    locked.burn_fuses({name: value})
    return d / "open.bin", d / "locked.bin"


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return fakes.build_dir(tmp_path_factory.mktemp("rom-build"), "esp32-devkitc")


def test_the_rom_loader_of_a_release_board_refuses_and_the_tool_says_why(efuses, build_dir,
                                                                         capsys):
    _open, locked = efuses
    read = release.virtual_block0_reader("esp32", str(locked))
    assert efuse_state.read_fields("esp32", read)["download_off"] == 1
    with ResetLineRom(efuse_file=str(locked)) as rom:
        code = cli.main(["flash", "--build", str(build_dir), "--port", rom.url] + ARGS)
        err = capsys.readouterr().err
    assert code == EXIT_LOCAL, err
    assert "error: download_disabled: download mode disabled by eFuse (release board)" in err
    assert err.splitlines()[-1].endswith("FAIL (download_disabled)")
    # the lines did reset it with IO0 low, every time; the loader never answered
    assert rom.boots and set(rom.boots) == {"refused"}
    assert set(rom.commands) == {SYNC}
    assert rom.flash == bytearray(b"\xff" * len(rom.flash))


def test_the_same_board_before_the_burn_enters_its_loader_on_the_same_lines(efuses):
    """esptool's own reset on the same lines (what `board flash` runs; a whole flash over this
    RFC 2217 line would take minutes): the loader answers and reads the chip."""
    open_, _locked = efuses
    with ResetLineRom(efuse_file=str(open_)) as rom:
        r = subprocess.run([sys.executable, "-m", "esptool", "--chip", "esp32", "--port",
                            rom.url] + ARGS + ["read-mac"], capture_output=True, text=True,
                           timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MAC:" in r.stdout
    assert rom.boots[0] == "download" and "refused" not in rom.boots


@pytest.mark.parametrize("mode, chip, check", [
    (0x3, "esp32", "download_disabled"),        # IO0 low, no loader: the eFuse refused it
    (0x13, "esp32", "not_download_mode"),       # IO0 high: the reset lines did not do it
    (0x3, "esp32s3", "not_download_mode"),      # its strapping bits are not read here
])
def test_the_boot_mode_esptool_saw_names_the_cause(mode, chip, check):
    out = ("A fatal error occurred: Failed to connect to ESP32: Wrong boot mode detected (0x%x)! "
           "The chip needs to be in download mode." % mode)
    e = flash.diagnose(out, 2, "write", None, chip)
    assert (e.check, e.details["boot_mode"]) == (check, mode)
