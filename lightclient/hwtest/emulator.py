"""The emulated board: the firmware inside real MicroPython 1.27 (WebAssembly port, under node)
behind a pseudo-terminal made by socat, so the Pi's client, smpclient or mcumgr open it exactly
as they would open /dev/ttyS0.

    mycroft-lc board emulate [--board esp32-devkitc] [--state FILE]
        prints the pty path as its first line of output, serves until SIGINT/SIGTERM.

    from lightclient.hwtest.emulator import EmulatedBoard
    with EmulatedBoard(state_path="/tmp/board.img") as board:
        McuClient(board.port) ...
        board.power_cut()        # SIGKILL: what a pulled plug does (flash keeps what was synced)
        board.start()            # boot again from the same flash image, maybe on a new pty

--state FILE is the lcstore partition's flash image (FILE.secret: the device secret, FILE.counter:
the rollback counter; on a real chip both in NVS/eFuse). Every erase and program reaches the file
as the store issues it, so a restarted board keeps its key, checkpoint and cached record, and
killing the emulator (power_cut) is a power cut at that point of the store's write sequence.

Layout: node lightclient/hwtest/emulator_runner.mjs speaks SMP on its stdin/stdout; socat joins those two
pipes to a new pty (`socat PTY,raw,echo=0 STDIO`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "emulator_runner.mjs"
BOARD_DIR = REPO / "board"
DEFAULT_BOARD = "esp32-devkitc"
READY = "EMULATOR READY"
_PTY_RE = re.compile(r"PTY is (\S+)")


class EmulatorError(RuntimeError):
    pass


def board_file(name: str) -> Path:
    p = BOARD_DIR / (name + ".json")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not p.is_file():
        known = sorted(x.stem for x in BOARD_DIR.glob("*.json"))
        raise EmulatorError(f"unknown board {name!r}; known: {', '.join(known)}")
    return p


class EmulatedBoard:
    """One emulated board. start() / stop() / power_cut(); .port is the pty path; .log holds
    what the firmware and socat wrote to stderr (never the serial data)."""

    def __init__(self, board: str = DEFAULT_BOARD, state_path: str | os.PathLike | None = None,
                 boot_timeout: float = 60.0, log_stream=None, flash_delay_ms: float = 0):
        self.board = board
        self.board_path = board_file(board)
        # Resolved here: the node runner works from the repository, the caller from anywhere.
        self.state_path = Path(state_path).resolve() if state_path is not None else None
        self.boot_timeout = boot_timeout
        self.log_stream = log_stream  # also write the log lines here (the CLI: stderr)
        self.flash_delay_ms = flash_delay_ms  # each erase/program takes this long (power-cut tests)
        self.port: str | None = None
        self.boot_status: str | None = None
        self.log: list[str] = []
        self._node: subprocess.Popen | None = None
        self._socat: subprocess.Popen | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        if self._node is not None:
            raise EmulatorError("already running")
        node, socat = shutil.which("node"), shutil.which("socat")
        if not node or not socat:
            raise EmulatorError("the emulator needs node and socat on PATH")
        args = [node, str(RUNNER), "--board", str(self.board_path), "--repo", str(REPO)]
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            args += ["--state", str(self.state_path)]
        if self.flash_delay_ms:
            args += ["--flash-delay-ms", str(self.flash_delay_ms)]
        ready = threading.Event()
        self._node = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, cwd=str(REPO))
        try:
            self._follow(self._node.stderr, ready, "fw")
            # socat's stdin is node's stdout and the other way round; the parent keeps no copy,
            # so either side ending closes the other.
            self._socat = subprocess.Popen([socat, "-d", "-d", "PTY,raw,echo=0", "STDIO"],
                                           stdin=self._node.stdout, stdout=self._node.stdin,
                                           stderr=subprocess.PIPE)
            self._node.stdout.close()
            self._node.stdin.close()
            got_pty = threading.Event()
            self._follow(self._socat.stderr, got_pty, "socat")
            deadline = time.monotonic() + self.boot_timeout
            for ev, proc, what in ((got_pty, self._socat, "socat"),
                                   (ready, self._node, "firmware")):
                while not ev.wait(0.05):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        tail = "\n".join(self.log[-20:])
                        raise EmulatorError(f"{what} did not start:\n{tail}")
        except BaseException:
            self.stop()  # whatever failed (or was interrupted), no node or socat is left behind
            raise
        return self.port

    def _follow(self, stream, event, tag):
        def run():
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if tag == "socat" and self.port is None:
                    m = _PTY_RE.search(line)
                    if m:
                        self.port = m.group(1)
                        event.set()
                if tag == "fw" and line.startswith(READY):
                    self.boot_status = line[len(READY):].strip()
                    event.set()
                self.log.append(tag + ": " + line)
                if self.log_stream is not None and not line.startswith(READY):
                    print(tag + ": " + line, file=self.log_stream, flush=True)
                if len(self.log) > 2000:
                    del self.log[:1000]
            stream.close()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        """Clean shutdown: the firmware syncs its flash image and exits, then socat."""
        self._end(signal.SIGTERM, timeout)

    def power_cut(self) -> None:
        """Pull the plug: SIGKILL, no chance to write anything more."""
        self._end(signal.SIGKILL, 10.0)

    def _end(self, sig, timeout):
        for proc in (self._node, self._socat):
            if proc is not None and proc.poll() is None:
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    pass
        for proc in (self._node, self._socat):
            if proc is None:
                continue
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for t in self._threads:
            t.join(2.0)
        self._threads = []
        self._node = self._socat = None
        self.port = None

    def running(self) -> bool:
        return self._node is not None and self._node.poll() is None

    def __enter__(self) -> "EmulatedBoard":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- command line --------------------------------------------------------------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", default=DEFAULT_BOARD,
                   help="board definition in board/ (default %(default)s)")
    p.add_argument("--state", default=None,
                   help="flash image of the lcstore partition, kept across runs "
                        "(FILE.secret holds the device secret); default: RAM only")


def register(subparsers) -> argparse.ArgumentParser:
    """Adds `emulate` to the `board` command group's subparsers (mycroft-lc board emulate)."""
    p = subparsers.add_parser("emulate", help="run the firmware on an emulated board behind a pty",
                              description="Starts the firmware inside MicroPython (WebAssembly, "
                              "under node) behind a socat pseudo-terminal; prints the pty path on "
                              "the first line and serves until SIGINT/SIGTERM.")
    add_arguments(p)
    p.set_defaults(func=cmd_emulate)
    return p


def cmd_emulate(args) -> int:
    try:
        board = EmulatedBoard(args.board, args.state, log_stream=sys.stderr)
    except EmulatorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            port = board.start()
        except EmulatorError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(port, flush=True)
        print(f"board {board.board}: {board.boot_status}; stop with Ctrl-C", file=sys.stderr,
              flush=True)
        while not stop.wait(0.2):
            if not board.running():
                print("error: the firmware stopped:\n" + "\n".join(board.log[-20:]),
                      file=sys.stderr)
                return 1
        return 0
    finally:
        board.stop()
        for s, h in old.items():
            signal.signal(s, h)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="emulator", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    return cmd_emulate(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
