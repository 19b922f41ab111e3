"""The `mycroft-lc` tester subcommands end to end (argument parsing, files written, exit codes),
and platformio.ini / its extra script running the same commands."""

import configparser
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import hw_fakes as fakes
from lightclient.hwtest import boards, cli

REPO = Path(__file__).resolve().parents[2]


def run(argv):
    return cli.main(argv)


def test_provision_then_selftest_from_the_command_line(emulated, tmp_path, capsys):
    board = emulated()
    d = tmp_path / "hw"
    common = ["--port", board.port, "--network", "synthetic", "--dir", str(d)]
    assert run(["provision"] + common + ["--board-id", "b-1", "--uuid", "cli-1"]) == 0
    out = capsys.readouterr()
    rec = json.loads(out.out)
    assert rec["board_id"] == "b-1" and rec["uuid"] == "cli-1"
    # the board reports the hash of the firmware it runs (issue 22: null on the emulator): the
    # image variant its runtime carries (chip32: native), as an image build computes it; the
    # record's own hash, without --build, is this checkout's default variant
    from lightclient.hwtest import image
    running = "native" if board.runtime == "chip32" else None
    assert rec["chip"]["firmware_hash"] == image.firmware_hash(image.app_files(variant=running))
    assert rec["firmware_hash"] == image.firmware_hash(image.app_files())
    assert json.loads((d / "records" / "b-1.json").read_text()) == rec
    assert "new owner key" in out.err
    key = (d / "owner.key")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    seed = key.read_text().strip()
    assert len(bytes.fromhex(seed)) == 32 and rec["owner_public_key"] != seed
    assert seed not in out.out + out.err                        # the owner's seed is never shown
    # a second run, later, sees the same synthetic chain and the same owner key
    report = tmp_path / "st.json"
    assert run(["selftest"] + common + ["--record", str(d / "records" / "b-1.json"),
                                        "--report", str(report)]) == 0
    out = capsys.readouterr()
    rep = json.loads(report.read_text())
    assert rep["passed"] and json.loads(out.out) == rep
    assert seed not in out.out + out.err + report.read_text()
    assert out.err.count("PASS") >= len(rep["checks"])
    # with --record alone, selftest takes the network the record names (issue 22: it used the
    # scenarionet and failed); a --network that contradicts the record is refused, saying why
    rec_only = ["--port", board.port, "--dir", str(d), "--chain-dir", str(tmp_path / "none"),
                "--record", str(d / "records" / "b-1.json")]
    assert run(["selftest"] + rec_only) == 0
    assert json.loads(capsys.readouterr().out)["passed"]
    assert run(["selftest"] + rec_only + ["--network", "scenarionet"]) == 2
    err = capsys.readouterr().err
    assert "network_mismatch" in err and "provisioned on the synthetic network" in err
    # neither --record nor --network: the chain (the default) is not there, and the tester is
    # told both ways
    assert run(["selftest", "--port", board.port, "--dir", str(d), "--chain-dir",
                str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "--network synthetic needs the same flag here (or --record" in err
    assert "mycroft-lc chain up --dir %s" % (tmp_path / "none") in err
    # the board is provisioned: provisioning again without --force is a local fault, with the reason
    assert run(["provision"] + common) == 4
    assert json.loads(capsys.readouterr().out)["error"]["check"] == "already_provisioned"


def test_the_chain_is_the_default_network_and_its_absence_is_a_clear_error(tmp_path, capsys):
    """No chain running in --chain-dir: one line naming the command that starts it, exit 4,
    before any board is touched; --uuid on the chain is a usage error (a device is named by its
    account address); --help says which network is the default."""
    nothing = str(tmp_path / "no-chain")
    assert run(["provision", "--port", "/dev/ttyNOPE-hwtest", "--chain-dir", nothing,
                "--dir", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert "chain_down: no local chain is running in %s" % os.path.abspath(nothing) in err
    assert "mycroft-lc chain up --dir %s" % nothing in err
    assert not (tmp_path / "records").exists()
    assert run(["provision", "--port", "/dev/ttyNOPE-hwtest", "--uuid", "u-1",
                "--chain-dir", nothing]) == 2
    assert "uuid_flag" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(["provision", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "chain (the default" in text and "no longer the default" in text
    assert "--start-chain" in text and "--chain-dir" in text


def test_the_old_network_name_devnet_still_works_and_says_the_new_name(tmp_path, capsys):
    """--network devnet and --devnet-dir (the scenario network's names before issue 18) reach
    the same check as the new ones; the old name adds one line saying the new one."""
    nothing = str(tmp_path / "none")
    argv = ["provision", "--port", "/dev/ttyNOPE-hwtest", "--dir", str(tmp_path)]
    assert run(argv + ["--network", "scenarionet", "--scenarionet-dir", nothing]) == 4
    new = capsys.readouterr().err
    assert run(argv + ["--network", "devnet", "--devnet-dir", nothing]) == 4
    old = capsys.readouterr().err
    assert "scenarionet_down" in new and "deprecated" not in new
    assert old == "--network devnet is deprecated: it is now --network scenarionet\n" + new
    rec = tmp_path / "old-record.json"      # a board provisioned while it was called devnet
    rec.write_text(json.dumps({"public_key": "00" * 32, "network": {"name": "devnet"}}))
    assert run(["selftest", "--port", "/dev/ttyNOPE-hwtest", "--record", str(rec),
                "--network", "scenarionet", "--scenarionet-dir", nothing,
                "--dir", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "names no network" not in err and "network_mismatch" not in err, err


def test_selftest_exit_code_is_nonzero_on_any_fail(socat_pair, tmp_path, capsys):
    port, _ = socat_pair()
    code = run(["selftest", "--port", port, "--timeout", "0.3", "--network", "synthetic",
                "--dir", str(tmp_path)])
    assert code == 1
    rep = json.loads(capsys.readouterr().out)
    assert not rep["passed"] and rep["checks"][0]["status"] == "FAIL"


def test_batch_prints_a_summary_table_and_writes_a_report(emulated, socat_pair, tmp_path,
                                                          capsys):
    ports = [emulated().port, emulated().port]
    dead, _ = socat_pair()
    report = tmp_path / "batch.json"
    argv = ["batch", "--network", "synthetic", "--dir", str(tmp_path), "--report", str(report),
            "--timeout", "2"]
    for p in ports + [dead]:
        argv += ["--port", p]
    assert run(argv) == 1
    cap = capsys.readouterr()
    out = cap.out
    assert out.splitlines()[-1] == "2 of 3 boards passed"
    # progress on stderr as each board finishes
    assert sorted(re.findall(r"\((\d) of 3 boards done\)", cap.err)) == ["1", "2", "3"]
    assert dead + ": FAIL: " in cap.err
    rep = json.loads(report.read_text())
    assert rep["passed"] == 2 and rep["failed"] == 1
    assert len(list((tmp_path / "records").glob("*.json"))) == 2
    # the same tray again: each board says it is provisioned AND what to run instead (issue 22)
    argv = ["batch", "--network", "synthetic", "--dir", str(tmp_path), "--report", str(report),
            "--port", ports[0], "--port", ports[1]]
    assert run(argv) == 1
    lines = capsys.readouterr().out.splitlines()
    assert sum("FAIL: already_provisioned" in l for l in lines) == 2
    assert "--selftest-only" in lines[-2] and "--force" in lines[-2]
    for b in json.loads(report.read_text())["boards"]:
        assert "--selftest-only" in b["error"]["hint"]
    assert run(argv + ["--selftest-only"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 of 2 boards passed"


def test_image_build_and_flash_dry_run_from_the_command_line(tmp_path, capsys, monkeypatch,
                                                             fake_repo):
    import functools
    from lightclient.hwtest import image
    monkeypatch.setattr(image, "build", functools.partial(image.build, root=fake_repo))
    b = boards.load_board("esp32-devkitc")
    fw = tmp_path / "mp.bin"
    fw.write_bytes(fakes.released_firmware(b, fakes.app_image(), fakes.bootloader_image()))
    out = tmp_path / "build"
    assert run(["image", "build", "--board", b.name, "--firmware", str(fw),
                "--out", str(out)]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m == json.loads((out / "build.json").read_text())
    assert run(["flash", "--build", str(out), "--port", "/dev/ttyUSB7", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "write-flash" in lines[0] and "verify-flash" in lines[1]
    assert run(["flash", "--build", str(out), "--port", "/dev/ttyNOPE-hw"]) == 4
    assert "port_missing" in capsys.readouterr().err
    assert run(["image", "build", "--board", "no-such-board", "--firmware", str(fw)]) == 2
    assert "known boards" in capsys.readouterr().err


# --- PlatformIO ----------------------------------------------------------------------------------

def _ini():
    c = configparser.ConfigParser()
    c.read(REPO / "platformio.ini")
    return c


def test_platformio_has_one_environment_per_board_file():
    c = _ini()
    envs = {s[4:] for s in c.sections() if s.startswith("env:")}
    assert envs == set(boards.board_names())
    assert c["env"]["platform"] == "espressif32"
    assert c["env"]["upload_protocol"] == "custom"
    script = c["env"]["extra_scripts"].split(":", 1)[1]
    assert (REPO / script).is_file()
    for name in envs:
        assert c["env:" + name]["custom_mycroft_board"] == name
        b = boards.load_board(name)
        assert b.raw["micropython_firmware"] in c["env:" + name]["custom_micropython_firmware"]


class _StubEnv(dict):
    """What pio_extra.py uses of PlatformIO's SCons environment."""

    def __init__(self, options, project):
        super().__init__(ENV={})
        self.options = options
        self.project = project
        self.targets = {}

    def GetProjectOption(self, name, default=""):
        return self.options.get(name, default)

    def subst(self, s):
        return s.replace("$PROJECT_DIR", str(self.project))

    def AddCustomTarget(self, name, dependencies, actions, title=None, description=None):
        self.targets[name] = actions

    def Replace(self, **kw):
        self.update(kw)


def test_platformio_targets_run_the_same_tools(tmp_path):
    b = boards.load_board("esp32-devkitc")
    fw = tmp_path / "mp.bin"
    fw.write_bytes(fakes.released_firmware(b, fakes.app_image(), fakes.bootloader_image()))
    opts = dict(_ini()["env:esp32-devkitc"])
    opts.update(custom_micropython_firmware=str(fw), custom_python=sys.executable)
    env = _StubEnv(opts, tmp_path / "proj")
    src = (REPO / "lightclient" / "hwtest" / "pio_extra.py").read_text()
    exec(compile(src, "pio_extra.py", "exec"), {"Import": lambda name: None, "env": env,
                                                "__name__": "SCons"})
    image_cmd, flash_cmd = env.targets["mycroft_flash"]
    assert env.targets["mycroft_image"] == [image_cmd]
    assert env["UPLOADCMD"] == image_cmd + " && " + flash_cmd
    # the flash half is `mycroft-lc flash` with PlatformIO's port and speed
    assert flash_cmd.split()[3:] == ["flash", "--build", str(tmp_path / "proj" / "build" /
                                     "esp32-devkitc"), "--port", "$UPLOAD_PORT", "--baud",
                                     "$UPLOAD_SPEED"]
    # the image half, run as PlatformIO would, gives the same images as the tools' API
    if not (REPO / "firmware" / "main.py").is_file():
        pytest.fail("firmware/main.py (issue 4) is needed for a real image build")
    env_vars = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run(shlex.split(image_cmd), capture_output=True, text=True, cwd=REPO,
                       env=env_vars, timeout=120)
    assert r.returncode == 0, r.stderr
    from lightclient.hwtest import image
    api = image.build(b.name, fw, tmp_path / "api")
    pio = json.loads((tmp_path / "proj" / "build" / "esp32-devkitc" / "build.json").read_text())
    assert [p["sha256"] for p in pio["parts"]] == [p["sha256"] for p in api["parts"]]
    assert pio["merged"]["sha256"] == api["merged"]["sha256"]


def test_a_new_owner_key_is_on_disk_before_it_is_used(tmp_path, monkeypatch):
    """Boards get registered to the owner key right after it is made: it is fsynced (file and
    directory) first, or a power cut could leave devices owned by a key nobody has."""
    import argparse
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_ino), real(fd)))
    d = tmp_path / "hw"
    seed = cli._owner_seed(argparse.Namespace(owner_key=None, dir=str(d)))
    key = d / "owner.key"
    assert bytes.fromhex(key.read_text().strip()) == seed
    assert key.stat().st_ino in synced and d.stat().st_ino in synced
    assert key.stat().st_mode & 0o077 == 0
    synced.clear()
    assert cli._owner_seed(argparse.Namespace(owner_key=None, dir=str(d))) == seed
    assert synced == []                          # made once, then only read
