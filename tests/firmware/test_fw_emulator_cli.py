# `board emulate` as testers run it: the pty path is the first line of output, the board answers
# on it, SIGTERM stops it cleanly and the flash image it leaves boots again with the same key.
import argparse
import signal
import subprocess
import sys

import pytest

from lightclient.mcu import McuClient
from lightclient.hwtest import emulator

REPO = emulator.REPO


def _start(state):
    p = subprocess.Popen([sys.executable, "-m", "lightclient.hwtest.emulator", "--board", "esp32c3-devkitm",
                          "--state", str(state)], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    port = p.stdout.readline().strip()
    if not port.startswith("/dev/"):
        p.kill()  # never leave the emulator running behind a failed start
        _, err = p.communicate(timeout=20)
        raise AssertionError((port, err))
    return p, port


def test_emulate_prints_the_pty_first_and_stops_cleanly(tmp_path):
    state = tmp_path / "board.img"
    p, port = _start(state)
    try:
        with McuClient(port) as mcu:
            assert mcu.echo("cli") == "cli"
            pub = mcu.generate_key()
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
    assert state.stat().st_size == 64 * 4096
    p, port = _start(state)
    try:
        with McuClient(port) as mcu:
            assert mcu.public_key() == pub
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(20) == 0


def test_register_adds_board_emulate():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd")
    board = sub.add_parser("board").add_subparsers(dest="board_cmd")
    emulator.register(board)
    args = parser.parse_args(["board", "emulate", "--board", "esp32s3-devkitc", "--state", "x"])
    assert args.func is emulator.cmd_emulate and args.board == "esp32s3-devkitc"
    assert args.state == "x"


def test_unknown_board_is_refused():
    with pytest.raises(emulator.EmulatorError):
        emulator.EmulatedBoard("no-such-board")
    with pytest.raises(emulator.EmulatorError):
        emulator.EmulatedBoard("../pyproject")


def test_a_start_that_fails_half_way_leaves_no_process_behind(monkeypatch):
    real = subprocess.Popen
    started = []

    def popen(args, **kw):
        if "socat" in str(args[0]):
            raise OSError("socat could not be started")
        p = real(args, **kw)
        started.append(p)
        return p
    monkeypatch.setattr(subprocess, "Popen", popen)
    board = emulator.EmulatedBoard("esp32-devkitc")
    try:
        with pytest.raises(OSError):
            board.start()
        assert len(started) == 1 and started[0].poll() is not None  # node was stopped
        assert not board.running() and board.port is None
    finally:
        for p in started:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.parametrize("runtime,crypto", [("chip32", "lccrypto"), ("wasm", "pure")])
def test_both_runtimes_serve_the_firmware_and_say_which_crypto_runs(runtime, crypto):
    with emulator.EmulatedBoard("esp32-devkitc", runtime=runtime) as board:
        with McuClient(board.port) as mcu:
            assert mcu.echo(runtime) == runtime
            pub = mcu.generate_key()
            assert mcu.status()["crypto"] == crypto
            sig = mcu.sign(b"m", kind="request")
        if runtime == "chip32":  # the board definition's heap, fixed
            assert board.heap == 96 * 1024
            args = board._node.args          # the interpreter, behind the shell that restarts it
            i = args.index(str(board.interpreter))
            assert ["-X", "heapsize=98304"] == args[i + 1:i + 3]
    from lightclient.chip.crypto import ed25519
    from lightclient.chip.smp import lc
    assert ed25519.verify(pub, lc.sign_message("request", b"m"), sig)


def test_default_runtime_is_the_chip_build_and_needs_make_chip(monkeypatch, tmp_path):
    assert emulator.DEFAULT_RUNTIME == "chip32"
    with pytest.raises(emulator.EmulatorError, match="unknown runtime"):
        emulator.EmulatedBoard("esp32-devkitc", runtime="qemu")
    # no interpreter where it is looked for: said before anything starts, with how to get one
    monkeypatch.setenv(emulator.CHIP32_ENV, str(tmp_path / "micropython32"))
    with pytest.raises(emulator.EmulatorError, match="make chip"):
        emulator.EmulatedBoard("esp32-devkitc")
