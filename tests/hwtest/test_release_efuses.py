"""`board provision --release` on espefuse's virtual eFuses (no hardware): the right fuses in the
right order per chip, nothing burned without the confirmation, a cut between or inside steps
resumed, a key block the tool did not write reported, and the chip's own reading of its eFuses
(lightclient/chip/app/efuse_state.py) agreeing with espefuse's."""

import json
import shutil

import pytest

from lightclient.chip.app import efuse_state
from lightclient.hwtest import cli, release
from lightclient.hwtest.boards import load_board
from lightclient.hwtest.errors import HwTestError

from conftest import REPO

SB_PUB = str(REPO / "tests" / "hwtest" / "data" / "release-sbv2-test-pub.pem")
MAC = "00:00:00:00:00:00"   # a virtual chip's
ORDER = ["flash_encryption_key", "secure_boot_key", "download_hardening", "flash_encryption_on",
         "secure_boot_on", "jtag_off", "download_mode_locked"]


def _fuse(tmp_path, board, rev3=False, name="efuses.bin"):
    f = release.Espefuse(board.chip, efuse_file=str(tmp_path / name))
    if rev3:   # an ESP32 "ECO3": both revision bits (espefuse computes WAFER_VERSION_MAJOR 3)
        f.burn_fuses({"CHIP_VER_REV1": 1, "CHIP_VER_REV2": 1})
    return f


@pytest.fixture(scope="module")
def esp32_rev3_blank(tmp_path_factory):
    d = tmp_path_factory.mktemp("rev3")
    _fuse(d, load_board("esp32-devkitc"), rev3=True)
    return d / "efuses.bin"


def _copy(src, tmp_path, board):
    shutil.copy(src, tmp_path / "efuses.bin")
    return release.Espefuse(board.chip, efuse_file=str(tmp_path / "efuses.bin"))


def test_dry_run_prints_every_fuse_and_burns_nothing(esp32_rev3_blank, tmp_path):
    board = load_board("esp32-devkitc")
    fuse = _copy(esp32_rev3_blank, tmp_path, board)
    before = (tmp_path / "efuses.bin").read_bytes()
    lines = []
    rec = release.run(board, fuse, SB_PUB, log=lines.append)
    assert (tmp_path / "efuses.bin").read_bytes() == before
    assert rec["dry_run"] and rec["burned"] == [] and not rec["complete"]
    assert [s["step"] for s in rec["plan"]] == ORDER
    text = "\n".join(lines)
    for fuse_name in ("FLASH_CRYPT_CNT = 0x7f", "ABS_DONE_1 = 0x1", "UART_DOWNLOAD_DIS = 0x1",
                      "JTAG_DISABLE = 0x1", "DISABLE_DL_DECRYPT = 0x1"):
        assert "burn " + fuse_name in text
    assert "dry run: nothing burned" in text and "--confirm " + MAC in text
    assert rec["key_protection"] == efuse_state.DEVELOPMENT


def test_burning_needs_the_chips_mac_as_confirmation(esp32_rev3_blank, tmp_path):
    board = load_board("esp32-devkitc")
    fuse = _copy(esp32_rev3_blank, tmp_path, board)
    before = (tmp_path / "efuses.bin").read_bytes()
    for wrong in (None, "11:22:33:44:55:66"):
        with pytest.raises(HwTestError) as e:
            release.run(board, fuse, SB_PUB, burn=True, confirm=wrong)
        assert e.value.check == "confirm"
    assert (tmp_path / "efuses.bin").read_bytes() == before


def test_a_real_port_is_never_burned_until_release_images_exist(esp32_rev3_blank, tmp_path):
    board = load_board("esp32-devkitc")
    fuse = _copy(esp32_rev3_blank, tmp_path, board)
    fuse.virtual = False   # what a serial port would be
    with pytest.raises(HwTestError) as e:
        release.run(board, fuse, SB_PUB, burn=True, confirm=MAC)
    assert e.value.check == "release_images"


def test_esp32_rev3_cut_after_every_step_resumes_and_stays_bootable(esp32_rev3_blank, tmp_path):
    """One step per run (a power cut after each): every run starts where the last stopped, the
    eFuses are safe to boot after each, and the chip's own reading ends at "yes"."""
    board = load_board("esp32-devkitc")
    fuse = _copy(esp32_rev3_blank, tmp_path, board)
    digest = release.sbv2_digest(SB_PUB)
    done = []
    for _ in range(len(ORDER)):
        rec = release.run(board, fuse, SB_PUB, burn=True, confirm=MAC, cut_after=1)
        assert rec["safe_to_boot"], rec
        assert rec["already"] == done
        done += [b["step"] for b in rec["burned"]]
    assert done == ORDER and rec["complete"]
    assert rec["key_protection"].startswith("yes")
    after = fuse.summary()
    assert after["BLOCK2"]["value"].replace(" ", "") == digest.hex()
    assert after["RD_DIS"]["raw_value"] in ("0x1", 1)        # the flash key: not readable
    assert not after["BLOCK1"]["readable"]
    # a run on a locked board burns nothing more
    again = release.run(board, fuse, SB_PUB, burn=True, confirm=MAC)
    assert again["burned"] == [] and again["already"] == ORDER


def test_a_step_cut_inside_is_finished_with_only_its_missing_fuses(esp32_rev3_blank, tmp_path):
    board = load_board("esp32-devkitc")
    fuse = _copy(esp32_rev3_blank, tmp_path, board)
    release.run(board, fuse, SB_PUB, burn=True, confirm=MAC, cut_after=3)
    fuse.burn_fuses({"FLASH_CRYPT_CNT": 0x0F})   # the counter half burned when power went
    rec = release.run(board, fuse, SB_PUB, burn=True, confirm=MAC, cut_after=1)
    assert rec["burned"] == [{"step": "flash_encryption_on",
                              "fuses": {"FLASH_CRYPT_CONFIG": 0xF, "FLASH_CRYPT_CNT": 0x7F}}]
    assert fuse.summary()["FLASH_CRYPT_CNT"]["raw_value"] == "0x7f"


def test_esp32_below_rev3_gets_no_secure_boot_and_says_so(tmp_path):
    board = load_board("esp32-devkitc")
    fuse = _fuse(tmp_path, board)
    rec = release.run(board, fuse, None, burn=True, confirm=MAC)
    assert [b["step"] for b in rec["burned"]] == [
        "flash_encryption_key", "download_hardening", "flash_encryption_on", "jtag_off"]
    assert {n["what"] for n in rec["not_burned"]} == {"secure_boot_v2", "download_mode"}
    assert rec["complete"] and rec["safe_to_boot"]
    assert rec["key_protection"] == "partial (open: secure boot, download mode)"
    assert fuse.summary()["ABS_DONE_1"]["raw_value"] == "0x0"


@pytest.mark.parametrize("name", ["esp32s3-devkitc", "esp32c3-devkitm"])
def test_s3_and_c3_get_secure_download_mode_through_the_cli(name, tmp_path, capsys):
    efuses = str(tmp_path / "efuses.bin")
    base = ["provision", "--release", "--board", name, "--efuse-file", efuses,
            "--dir", str(tmp_path / "hw"), "--secure-boot-key", SB_PUB]
    assert cli.main(base + ["--board-id", "tray-1"]) == 0                 # the dry run
    assert cli.main(base + ["--board-id", "tray-1", "--burn", "--confirm", MAC]) == 0
    rec = json.loads((tmp_path / "hw" / "records" / "tray-1.release.json").read_text())
    assert [b["step"] for b in rec["burned"]] == ORDER and rec["complete"]
    burned = {f: v for b in rec["burned"] for f, v in b["fuses"].items()}
    assert burned["ENABLE_SECURITY_DOWNLOAD"] == 1 and "DIS_DOWNLOAD_MODE" not in burned
    assert burned["SPI_BOOT_CRYPT_CNT"] == 7 and burned["SECURE_BOOT_EN"] == 1
    assert rec["efuses_after"]["KEY_PURPOSE_0"] == "0x4"                   # XTS_AES_128_KEY
    assert rec["efuses_after"]["KEY_PURPOSE_1"] == "0x9"                   # SECURE_BOOT_DIGEST0
    assert rec["key_protection"].startswith("yes")
    assert "LOCKED" in capsys.readouterr().err


def test_a_key_block_this_tool_did_not_write_stops_everything(tmp_path):
    """A cut inside the key burn (data written, purpose not): the key is unknown, so nothing
    more is burned and the board keeps booting as it did."""
    board = load_board("esp32s3-devkitc")
    fuse = _fuse(tmp_path, board)
    (tmp_path / "blk").write_bytes(bytes(range(1, 33)))
    fuse._run(["burn-block-data", "BLOCK_KEY0", str(tmp_path / "blk")], confirm=True)
    before = (tmp_path / "efuses.bin").read_bytes()
    with pytest.raises(HwTestError) as e:
        release.run(board, fuse, SB_PUB, burn=True, confirm=MAC)
    assert e.value.check == "efuse_conflict" and "BLOCK_KEY0" in e.value.message
    assert (tmp_path / "efuses.bin").read_bytes() == before


def test_download_locked_early_is_an_unsafe_state():
    """The invariant itself fails when it should: a lock before encryption is reported."""
    board = load_board("esp32s3-devkitc")
    s = {k: {"raw_value": "0x0", "value": "00", "readable": True}
         for k in ("SPI_BOOT_CRYPT_CNT", "SECURE_BOOT_EN", "ENABLE_SECURITY_DOWNLOAD",
                   "DIS_DOWNLOAD_MODE", "KEY_PURPOSE_0", "KEY_PURPOSE_1", "RD_DIS",
                   "BLOCK_KEY0", "BLOCK_KEY1")}
    s["WAFER_VERSION_MAJOR"] = {"value": 0, "raw_value": "0x0"}
    assert release.safe_to_boot(board, s) == []
    s["ENABLE_SECURITY_DOWNLOAD"]["raw_value"] = "0x1"
    assert release.safe_to_boot(board, s) == [
        "download mode locked before the board was fully protected"]
    s["SPI_BOOT_CRYPT_CNT"]["raw_value"] = "0x1"
    assert "flash encryption on without its protected key" in release.safe_to_boot(board, s)


def test_the_chips_eFuse_table_matches_espefuses(esp32_rev3_blank, tmp_path):
    """Every field efuse_state reads, at the position espefuse's own summary gives it."""
    fields = {"esp32": {"crypt_cnt": "FLASH_CRYPT_CNT", "secure_boot": "ABS_DONE_1",
                        "download_off": "UART_DOWNLOAD_DIS", "jtag_off": "JTAG_DISABLE"},
              "esp32s3": {"crypt_cnt": "SPI_BOOT_CRYPT_CNT", "secure_boot": "SECURE_BOOT_EN",
                          "download_off": "DIS_DOWNLOAD_MODE",
                          "secure_download": "ENABLE_SECURITY_DOWNLOAD",
                          "jtag_off": "DIS_PAD_JTAG", "usb_jtag_off": "DIS_USB_JTAG"}}
    fields["esp32c3"] = fields["esp32s3"]
    for chip, names in fields.items():
        board = load_board({"esp32": "esp32-devkitc", "esp32s3": "esp32s3-devkitc",
                            "esp32c3": "esp32c3-devkitm"}[chip])
        summary = _fuse(tmp_path, board, name=chip + ".bin").summary()
        for ours, theirs in names.items():
            f = summary[theirs]
            assert f["block"] == 0
            assert efuse_state.FIELDS[chip][ours] == (f["word"], f["pos"], f["bit_len"]), theirs


def test_command_line_mistakes_are_usage_errors(tmp_path, capsys):
    """No target, or a burn without the chip's MAC: exit 2, nothing burned."""
    efuses = tmp_path / "efuses.bin"
    assert cli.main(["provision", "--release", "--board", "esp32c3-devkitm"]) == 2
    assert cli.main(["provision", "--board", "esp32c3-devkitm"]) == 2          # no --port
    assert cli.main(["provision", "--release", "--board", "esp32c3-devkitm", "--efuse-file",
                     str(efuses), "--secure-boot-key", SB_PUB, "--burn"]) == 2
    assert "confirm" in capsys.readouterr().err
    fuse = release.Espefuse("esp32c3", efuse_file=str(efuses))
    assert release.run(load_board("esp32c3-devkitm"), fuse, SB_PUB)["efuses_before"][
        "SPI_BOOT_CRYPT_CNT"] in ("0x0", 0)
