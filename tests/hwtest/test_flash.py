"""Flashing: the esptool commands, and every failure up to and over the serial port. The real
esptool runs against a port that does not exist, a socat pty with nothing behind it, and a
stand-in for the chip's ROM bootloader (hw_fake_rom.py) that can be the wrong chip or stop
answering mid-write. Writing a real chip needs hardware (docs/hardware-testers.md)."""

import subprocess
import sys

import pytest

import hw_fakes as fakes
from hw_fake_rom import FakeRom
from lightclient.hwtest import boards, flash, image
from lightclient.hwtest.errors import HwTestError


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return fakes.build_dir(tmp_path_factory.mktemp("flash"), "esp32-devkitc")


def test_commands_write_every_part_at_its_partition_then_verify(build_dir):
    manifest, board, cmds = flash.commands(str(build_dir), "/dev/ttyUSB0", baud=921600)
    write, verify = cmds
    assert write[:3] == [sys.executable, "-m", "esptool"]
    assert write[write.index("--chip") + 1] == "esp32"
    assert write[write.index("--port") + 1] == "/dev/ttyUSB0"
    assert write[write.index("--baud") + 1] == "921600"
    # each session resets the chip into its ROM loader, and the last one boots it
    assert write[write.index("--before") + 1] == verify[verify.index("--before") + 1] == \
        "default-reset"
    i = write.index("write-flash")
    pairs = write[i + 7:]
    assert pairs == ["0x1000", str(build_dir / "bootloader.bin"),
                     "0x8000", str(build_dir / "partition-table.bin"),
                     "0x10000", str(build_dir / "micropython.bin"),
                     "0x2d0000", str(build_dir / "vfs.bin"),
                     "0x3ba000", str(build_dir / "otadata.bin")]
    # every address is the board's, not typed here
    assert [int(a, 16) for a in pairs[::2]] == [
        board.bootloader_offset, board.partition_table_offset, board.app_offset,
        board.vfs_partition.offset, board.otadata_partition.offset]
    assert "verify-flash" in verify and verify[-10:] == pairs
    assert verify[verify.index("--after") + 1] == "hard-reset"
    _, _, cmds = flash.commands(str(build_dir), "/dev/ttyUSB0", merged=True, verify=False,
                                erase_all=True)
    assert len(cmds) == 1 and "--erase-all" in cmds[0]
    assert cmds[0][-2:] == ["0x1000", str(build_dir / "esp32-devkitc-merged.bin")]
    # BOOT held by hand: the write leaves the chip in the loader for the verify session
    _, _, (w, v) = flash.commands(str(build_dir), "/dev/ttyUSB0", before="no-reset")
    assert w[w.index("--after") + 1] == "no-reset" and v[v.index("--before") + 1] == "no-reset"
    assert v[v.index("--after") + 1] == "hard-reset"


def test_no_port_is_reported_before_esptool_runs(build_dir):
    with pytest.raises(HwTestError) as e:
        flash.flash(str(build_dir), "/dev/ttyDOES-NOT-EXIST")
    assert e.value.check == "port_missing"
    assert "ls /dev/ttyUSB" in e.value.hint


def test_oversize_image_is_refused_before_the_chip_is_touched(build_dir, tmp_path, monkeypatch):
    import shutil
    import json
    d = tmp_path / "b"
    shutil.copytree(build_dir, d)
    big = fakes.app_image(size=boards.load_board("esp32-devkitc").app_partition.size + 64)
    (d / "micropython.bin").write_bytes(big)
    m = json.loads((d / "build.json").read_text())
    for p in m["parts"]:
        if p["name"] == "micropython":
            import hashlib
            p["sha256"], p["size"] = hashlib.sha256(big).hexdigest(), len(big)
    (d / "build.json").write_text(json.dumps(m))
    ran = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: ran.append(a))
    with pytest.raises(HwTestError) as e:
        flash.flash(str(d), "/dev/null")
    assert e.value.check == "image_too_large" and "nothing was written" in e.value.hint
    assert ran == []


def test_a_pty_that_never_answers_is_no_answer(build_dir, socat_pair):
    port, _ = socat_pair()
    with pytest.raises(HwTestError) as e:
        flash.flash(str(build_dir), port, connect_attempts=1)
    assert e.value.check == "no_answer"
    assert "BOOT" in e.value.hint
    assert "Failed to connect" in e.value.details["esptool_output_tail"]


def test_write_and_verify_end_to_end_against_a_rom_loader(build_dir):
    seen = []
    with FakeRom() as rom:
        r = flash.flash(str(build_dir), rom.port, baud=115200, no_stub=True,
                        before="no-reset", connect_attempts=1,
                        progress=lambda *a: seen.append(a))
        flash_bytes = bytes(rom.flash)
    assert r["verified"]
    manifest, _ = image.load_build(build_dir)
    for p in manifest["parts"]:
        data = (build_dir / p["file"]).read_bytes()
        assert flash_bytes[p["offset"]:p["offset"] + len(data)] == data, p["name"]
    merged = (build_dir / manifest["merged"]["file"]).read_bytes()
    base = manifest["merged"]["offset"]
    # what the parts wrote is the merged image, wherever the merged image is not a gap
    vfs = [p for p in manifest["parts"] if p["name"] == "vfs"][0]
    assert flash_bytes[vfs["offset"]:vfs["offset"] + vfs["size"]] == \
        merged[vfs["offset"] - base:vfs["offset"] - base + vfs["size"]]
    phases = {s[0] for s in seen}
    assert "write" in phases and max(s[2] for s in seen) == 100.0
    # every progress line names the part being written, in flash order
    names = [s[3] for s in seen if s[0] == "write"]
    assert [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n] == list(PART_NAMES)
    # the read-back reports each part as it starts and as its digest matches (issue 22)
    verify = [(s[3], s[2]) for s in seen if s[0] == "verify"]
    assert verify == [(n, pc) for n in PART_NAMES for pc in (0.0, 100.0)]


PART_NAMES = ("bootloader", "partition-table", "micropython", "vfs", "otadata")
ROM_ARGS = ["--baud", "115200", "--no-stub", "--before", "no-reset", "--connect-attempts", "1"]


def test_flash_command_shows_the_read_back_and_ends_with_a_verdict(build_dir, capsys):
    from lightclient.hwtest import cli
    with FakeRom() as rom:
        assert cli.main(["flash", "--build", str(build_dir), "--port", rom.port] + ROM_ARGS) == 0
    err = capsys.readouterr().err.splitlines()
    for name in PART_NAMES:
        assert any(l.split()[:2] == ["verify", name] and l.endswith("100.0%") for l in err), name
    assert err[-1] == rom.port + ": flashed and VERIFIED: every part read back matches the build"


def test_a_read_back_that_differs_is_verify_failed_with_a_fail_verdict(build_dir, capsys):
    from lightclient.hwtest import cli
    # write-flash checks each part's MD5 once (4 requests); the 5th on is verify-flash's
    with FakeRom(bad_md5_from=5) as rom:
        assert cli.main(["flash", "--build", str(build_dir), "--port", rom.port]
                        + ROM_ARGS) == 4
    err = capsys.readouterr().err
    assert "error: verify_failed" in err and "Traceback" not in err
    assert err.splitlines()[-1] == rom.port + ": FAIL (verify_failed)"


def test_wrong_chip_is_named(build_dir):
    with FakeRom(chip_id=9) as rom:            # an ESP32-S3 answering
        with pytest.raises(HwTestError) as e:
            flash.flash(str(build_dir), rom.port, baud=115200, no_stub=True,
                        before="no-reset", connect_attempts=1)
        assert 3 not in rom.commands           # no FLASH_DATA ever sent
    assert e.value.check == "wrong_chip"
    assert e.value.details["detected"] == "ESP32-S3"
    assert "nothing was written" in e.value.hint


def test_interrupted_write_says_rerun_not_bricked(build_dir):
    with FakeRom(stop_after_blocks=40) as rom:
        with pytest.raises(HwTestError) as e:
            flash.flash(str(build_dir), rom.port, baud=115200, no_stub=True,
                        before="no-reset", connect_attempts=1)
    assert e.value.check == "write_interrupted"
    assert "not bricked" in e.value.hint and "same command again" in e.value.hint


def test_diagnose_maps_esptool_port_errors():
    # esptool 5's own wording (esptool/loader.py) for a port it cannot open
    d = flash.diagnose("A fatal error occurred: Could not open /dev/ttyUSB0, the port is busy "
                       "or doesn't exist.\n([Errno 13] could not open port /dev/ttyUSB0: "
                       "[Errno 13] Permission denied: '/dev/ttyUSB0')", 2, "write", None)
    assert d.check == "port_permission" and "dialout" in d.hint
    d = flash.diagnose("Could not open /dev/ttyUSB0, the port is busy or doesn't exist.\n"
                       "([Errno 16] Device or resource busy)", 2, "write", None)
    assert d.check == "port_busy"
    d = flash.diagnose("File 'x' (length 5000000) at offset 0x00001000 will not fit in 4194304 "
                       "bytes of flash.", 2, "write", None)
    assert d.check == "flash_too_small"
    d = flash.diagnose("Verification failed: 3 differences", 2, "verify", None)
    assert d.check == "verify_failed"
