"""`board flash` with the real esptool against an independent stand-in for the chip's ROM
bootloader: esp32-mock-bootloader (PyPI), whose chip profiles come from esptool's own chip
definitions and which also runs esptool's flasher stub protocol (compressed writes, MD5,
baud change). Ours (hw_fake_rom.py, test_flash.py) stays for the faults it injects.

Every board of board/*.json is flashed with the command's defaults (stub, automatic reset) and
read back; the mock's flash chip is 4 MB (JEDEC id 0x164020), so a board defined with more flash
must be refused as flash_too_small before anything is written: that is what such a module
would answer too."""

import subprocess
import sys

import pytest

import hw_fakes as fakes
from lightclient.hwtest import boards, cli, image

mock = pytest.importorskip("esp32_mock_bootloader")   # a dev dependency: make setup installs it
from esp32_mock_bootloader import mock_bootloader  # noqa: E402
from esp32_mock_bootloader.process import start_pty, stop_subprocess  # noqa: E402

MOCK_FLASH_BYTES = 4 * 1024 * 1024
BOARDS = [p.stem for p in boards.board_files()]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """One build directory per board, from fabricated MicroPython images of the board's chip."""
    tmp = tmp_path_factory.mktemp("mockflash")
    return {name: fakes.build_dir(tmp, name) for name in BOARDS}


def _read_back(url, chip, offset, size, path):
    """esptool read-flash in a session of its own: what the mock's flash holds now (the ROM's
    slow read: the mock's stub read stream stops mid-way, a limit of the mock)."""
    subprocess.run([sys.executable, "-m", "esptool", "--chip", chip, "--port", url, "--no-stub",
                    "read-flash", hex(offset), hex(size), str(path)], check=True,
                   capture_output=True, timeout=120)
    return path.read_bytes()


@pytest.mark.parametrize("name", BOARDS)
def test_board_flash_against_the_mock_bootloader(name, builds, capsys, tmp_path):
    b = boards.load_board(name)
    manifest, _ = image.load_build(builds[name])
    with mock_bootloader(chip=b.chip) as m:
        url = m.url()
        code = cli.main(["flash", "--build", str(builds[name]), "--port", url])
        err = capsys.readouterr().err
        if b.flash_size > MOCK_FLASH_BYTES:
            assert code == 4
            assert "error: flash_too_small" in err and err.splitlines()[-1].endswith(
                "FAIL (flash_too_small)")
            assert "Writing at" not in err and "write " not in err   # nothing was written
            return
        assert code == 0, err
        assert err.splitlines()[-1] == url + ": flashed and VERIFIED: every part read back " \
                                             "matches the build"
        for part in manifest["parts"]:
            assert any(l.split()[:2] == ["verify", part["name"]] for l in err.splitlines())
        # and the bytes are there, read back in a session of esptool's own
        table = [p for p in manifest["parts"] if p["name"] == "partition-table"][0]
        data = (builds[name] / table["file"]).read_bytes()
        assert _read_back(url, b.chip, table["offset"], len(data), tmp_path / "t.bin") == data


def test_merged_image_over_a_pty_served_by_the_mock(builds, capsys, tmp_path):
    """The mock on a pseudo-terminal: a real port path (check_port, DTR/RTS reset lines)."""
    proc, pty = start_pty(chip="esp32", timeout=None)
    try:
        code = cli.main(["flash", "--build", str(builds["esp32-devkitc"]), "--port", pty,
                         "--merged", "--baud", "115200"])
        err = capsys.readouterr().err
        assert code == 0, err
        assert err.splitlines()[-1].endswith("flashed and VERIFIED: every part read back "
                                             "matches the build")
        assert any(l.split()[:2] == ["verify", "merged"] for l in err.splitlines())
    finally:
        stop_subprocess(proc)


def test_a_chip_of_another_model_is_wrong_chip_and_nothing_is_written(builds, capsys):
    with mock_bootloader(chip="esp32s3") as m:
        code = cli.main(["flash", "--build", str(builds["esp32-devkitc"]), "--port", m.url()])
    err = capsys.readouterr().err
    assert code == 4 and "error: wrong_chip" in err and "ESP32-S3" in err
    assert "Writing at" not in err and err.splitlines()[-1].endswith("FAIL (wrong_chip)")
