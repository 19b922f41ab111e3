# The chip build's own checks: the make and cmake descriptions of lccrypto agree, the
# interpreter has the fixed heap asked for, and `make esp32` without ESP-IDF says what is missing.
import os
import re
import subprocess
from pathlib import Path

from tests.chip32.chip32 import REPO, run

CMODULES = REPO / "firmware" / "cmodules"
ESP32_BUILD = REPO / "firmware" / "ports" / "esp32" / "build.sh"


def _sources_make():
    # make itself reads micropython.mk, as the port's py/py.mk does
    probe = ("include lccrypto/micropython.mk\n"
             "all:\n\t@echo $(SRC_USERMOD_C) $(SRC_USERMOD_LIB_C)\n")
    p = subprocess.run(["make", "-s", "-f", "-", "USERMOD_DIR=lccrypto", "USER_C_MODULES=.", "BUILD=b"],
                       input=probe, cwd=CMODULES, capture_output=True, text=True, check=True)
    return {os.path.normpath(f) for f in p.stdout.split()}


def _sources_cmake():
    text = (CMODULES / "lccrypto" / "micropython.cmake").read_text()
    var = {"CMAKE_CURRENT_LIST_DIR": "lccrypto"}
    for name, value in re.findall(r"^set\((LCC_\w+) (\S+)\)$", text, re.M):
        var[name] = value

    def expand(v):
        return re.sub(r"\$\{(\w+)\}", lambda m: expand(var[m.group(1)]), v)
    return {os.path.normpath(expand(v)) for v in re.findall(r"(\$\{\w+\}/\S+\.c)", text)}


def test_make_and_cmake_build_the_same_sources_with_the_same_tables():
    make, cmake = _sources_make(), _sources_cmake()
    assert len(make) == 20 and make == cmake
    for path in make:
        assert (CMODULES / path).is_file(), path
    mk = (CMODULES / "lccrypto" / "micropython.mk").read_text()
    cm = (CMODULES / "lccrypto" / "micropython.cmake").read_text()
    fuzz = (CMODULES / "fuzz" / "Makefile").read_text()  # the libFuzzer host build: same core, same tables
    for define in ("ECMULT_WINDOW_SIZE=8", "COMB_BLOCKS=2", "COMB_TEETH=5"):
        assert f"-D{define}" in mk and f" {define}" in cm and f"-D{define}" in fuzz


def test_interpreter_is_32_bit_with_a_fixed_heap():
    p = run("import gc, sys, lccrypto\ngc.collect()\n"
            "print(sys.maxsize, gc.mem_alloc() + gc.mem_free(), sys.implementation.version[:3])")
    maxsize, heap, version = p.stdout.split(None, 2)
    assert int(maxsize) == 2**31 - 1
    assert 92 * 1024 < int(heap) <= 96 * 1024  # the rest is the GC's allocation table
    assert version.strip() == "(1, 27, 0)"
    # the heap does not grow: 200 KiB live fails with MemoryError
    p = run("x = [bytearray(1024) for i in range(200)]")
    assert p.returncode != 0 and "MemoryError" in p.stdout  # the unix port prints tracebacks there


def test_esp32_target_without_esp_idf_names_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "IDF_PATH"}
    p = subprocess.run([str(ESP32_BUILD)], env=env, capture_output=True, text=True)
    assert p.returncode != 0 and "ESP-IDF 5.x is missing: IDF_PATH is not set" in p.stderr
    # an ESP-IDF 4 is refused by version
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "idf.py").write_text("#!/bin/sh\necho 'ESP-IDF v4.4.7'\n")
    (fake / "idf.py").chmod(0o755)
    env.update(IDF_PATH=str(tmp_path), PATH=f"{fake}:{env['PATH']}")
    p = subprocess.run([str(ESP32_BUILD)], env=env, capture_output=True, text=True)
    assert p.returncode != 0 and "ESP-IDF 4.4.7" in p.stderr and "needs 5.x" in p.stderr


UNIX32_BUILD = REPO / "firmware" / "ports" / "unix32" / "build.sh"


def test_chip_build_names_how_to_get_the_source(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path / "out"))
    # neither a checkout nor the tarball
    env["MICROPYTHON_TARBALL"] = str(tmp_path / "absent.tar.gz")
    p = subprocess.run([str(UNIX32_BUILD)], env=env, capture_output=True, text=True)
    assert p.returncode != 0 and "no MicroPython v1.27.0 source" in p.stderr
    assert "git clone --depth 1 --branch v1.27.0" in p.stderr and "MICROPYTHON_SRC=" in p.stderr
    # a tarball with other contents
    (tmp_path / "other.tar.gz").write_bytes(b"not micropython")
    env["MICROPYTHON_TARBALL"] = str(tmp_path / "other.tar.gz")
    p = subprocess.run([str(UNIX32_BUILD)], env=env, capture_output=True, text=True)
    assert p.returncode != 0 and "does not have sha256 4f64398b" in p.stderr
    # a folder that is not a MicroPython tree, and one that is not at the tag
    env["MICROPYTHON_SRC"] = str(tmp_path)
    p = subprocess.run([str(UNIX32_BUILD)], env=env, capture_output=True, text=True)
    assert p.returncode != 0 and "is not a MicroPython source tree" in p.stderr
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "mpconfig.h").write_text("")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    p = subprocess.run([str(UNIX32_BUILD)], env=env, capture_output=True, text=True)
    assert p.returncode != 0 and "need v1.27.0" in p.stderr
