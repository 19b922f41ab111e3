"""The packager's journey: the built wheel, installed into a fresh venv (no checkout on its
path), runs `board image build` and `board emulate`, ships only names under `lightclient`, and
an installed `board emulate` with no interpreter at hand says how to get one.

Offline and quick: the wheel is built from a copy of the repository's files with the .venv's
setuptools (no build isolation, no download), the fresh venv gets the .venv's installed
dependencies through a path entry (not its .pth hooks, so the checkout's editable install stays
out) and the wheel with --no-deps."""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hwtest"))
import hw_fakes as fakes  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"


def _project_files():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f and (REPO / f).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for f in _project_files():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f, src / f)
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(src)], check=True,
                   capture_output=True)
    (wheel,) = wheels.glob("mycroft_lightclient-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True,
                          check=True).stdout.strip()
    # the dependencies: the project's .venv, as a plain path (its editable hook not run)
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    work = tmp / "work"
    work.mkdir()
    return {"wheel": wheel, "bin": venv / "bin", "site": Path(site), "work": work}


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MYCROFT_LC_MICROPYTHON", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def test_the_wheel_holds_only_the_lightclient_namespace_and_its_data(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"lightclient", "mycroft_lightclient-0.1.0.dist-info"}, top
    for board in sorted((REPO / "board").glob("*.json")):
        assert "lightclient/_data/board/" + board.name in names
    for f in ("main.py", "emulated.py", "manifest.py"):
        assert "lightclient/_data/firmware/" + f in names
    assert "lightclient/hwtest/emulator_runner.mjs" in names
    # and it is that copy the installed package imports, not the checkout
    out = subprocess.run([str(installed["bin"] / "python"), "-c",
                          "import lightclient; print(lightclient.__file__)"],
                         cwd=installed["work"], env=_env(), capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith(str(installed["site"])), out


def test_installed_board_image_build(installed):
    from lightclient.hwtest import boards, image
    work = installed["work"]
    b = boards.load_board("esp32-devkitc")
    fw = work / "mp.bin"
    fw.write_bytes(fakes.released_firmware(b, fakes.app_image(), fakes.bootloader_image()))
    p = subprocess.run([str(installed["bin"] / "mycroft-lc"), "board", "image", "build",
                        "--board", "esp32-devkitc", "--firmware", str(fw), "--out", "out"],
                       cwd=work, env=_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    m = json.loads(p.stdout)
    assert m == json.loads((work / "out" / "build.json").read_text())
    # the same firmware as the checkout's: the installed copy of firmware/ and lightclient/chip
    assert m["firmware_hash"] == image.firmware_hash(image.app_files())


def _first_line(proc, timeout):
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        assert left > 0, "no first line from board emulate"
        r, _, _ = select.select([proc.stdout], [], [], left)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    return buf.split(b"\n")[0].decode()


@pytest.mark.skipif(not (NODE_MODULES / "@micropython").is_dir() or not shutil.which("socat"),
                    reason="make setup installs the MicroPython npm package and socat")
def test_installed_board_emulate_with_the_interpreter_named_by_a_flag(installed):
    from lightclient.hwtest import image
    from lightclient.mcu import McuClient
    proc = subprocess.Popen([str(installed["bin"] / "mycroft-lc"), "board", "emulate",
                             "--runtime", "wasm", "--micropython", str(NODE_MODULES),
                             "--state", "st/board.img"],
                            cwd=installed["work"], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        port = _first_line(proc, 90)
        assert port.startswith("/dev/"), port
        with McuClient(port, timeout=10) as mcu:
            assert mcu.echo("from the wheel") == "from the wheel"
            st = mcu.status()
        assert st["firmware_hash"] == image.firmware_hash(image.app_files())
        assert (installed["work"] / "st" / "board.img").is_file()   # --state's folder made
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 0


def test_installed_board_emulate_with_the_chip_interpreter_named_by_a_flag(installed):
    """The default runtime, the chip's 32-bit interpreter (`make chip` in the checkout), named by
    --chip32: the installed firmware glue runs in it and reports the native image's hash."""
    from lightclient.hwtest import image
    from lightclient.mcu import McuClient
    chip32 = REPO / "build" / "chip" / "micropython32"
    proc = subprocess.Popen([str(installed["bin"] / "mycroft-lc"), "board", "emulate",
                             "--chip32", str(chip32)], cwd=installed["work"], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = _first_line(proc, 90)
        assert port.startswith("/dev/"), port
        with McuClient(port, timeout=10) as mcu:
            assert mcu.echo("chip32 from the wheel") == "chip32 from the wheel"
            st = mcu.status()
        assert st["firmware_hash"] == image.firmware_hash(image.app_files(variant="native"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 0


def test_installed_board_emulate_without_an_interpreter_says_how_to_get_one(installed,
                                                                            tmp_path):
    p = subprocess.run([str(installed["bin"] / "mycroft-lc"), "board", "emulate"],
                       cwd=installed["work"], capture_output=True, text=True, timeout=60)
    # the default runtime: no chip interpreter beside an installed package
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "no chip interpreter at" in p.stderr and "make chip" in p.stderr
    assert "--chip32" in p.stderr and "--runtime wasm" in p.stderr
    p = subprocess.run([str(installed["bin"] / "mycroft-lc"), "board", "emulate",
                        "--runtime", "wasm"],
                       cwd=installed["work"], capture_output=True, text=True, timeout=60,
                       env=_env(npm_config_prefix=str(tmp_path / "no-global-npm")))
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    assert "no MicroPython interpreter found" in p.stderr
    assert "npm install @micropython/micropython-webassembly-pyscript" in p.stderr
    assert "--micropython" in p.stderr
    # a path that was named but holds none is its own error, never silently replaced
    p = subprocess.run([str(installed["bin"] / "mycroft-lc"), "board", "emulate",
                        "--runtime", "wasm", "--micropython", str(tmp_path)], cwd=installed["work"],
                       capture_output=True, text=True, timeout=60, env=_env())
    assert p.returncode != 0 and "no @micropython/micropython-webassembly-pyscript" in p.stderr
