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

from lightclient.hwtest.paths import ROOT as REPO, board_dir, firmware_dir

RUNNER = Path(__file__).resolve().parent / "emulator_runner.mjs"
BOARD_DIR = board_dir()
DEFAULT_BOARD = "esp32-devkitc"
READY = "EMULATOR READY"
MP_PACKAGE = "@micropython/micropython-webassembly-pyscript"
MP_ENV = "MYCROFT_LC_MICROPYTHON"
MP_HOWTO = ("the emulated board runs on MicroPython's WebAssembly port from npm: in a checkout "
            "run `make setup`; otherwise `npm install %s@1.27.0` (here, or with -g) or pass "
            "--micropython PATH (its micropython.mjs, or a node_modules folder holding it; "
            "or set %s)" % (MP_PACKAGE, MP_ENV))
_PTY_RE = re.compile(r"PTY is (\S+)")


class EmulatorError(RuntimeError):
    pass


def _mjs_in(path: Path) -> Path | None:
    """micropython.mjs given the file, the package folder or a node_modules folder."""
    for p in (path, path / "micropython.mjs", path / MP_PACKAGE / "micropython.mjs",
              path / "node_modules" / MP_PACKAGE / "micropython.mjs"):
        if p.is_file() and p.name == "micropython.mjs":
            return p
    return None


def find_micropython(given: str | os.PathLike | None = None) -> Path:
    """The chip's interpreter for the emulator: the flag, else $MYCROFT_LC_MICROPYTHON, else
    the checkout's node_modules, the current folder's, then npm's global one. A path that was
    named but holds no interpreter is an error of its own (never silently replaced)."""
    named = given or os.environ.get(MP_ENV)
    if named:
        hit = _mjs_in(Path(named).expanduser().resolve())
        if hit is None:
            raise EmulatorError(f"no {MP_PACKAGE} (micropython.mjs) at {named}; " + MP_HOWTO)
        return hit
    candidates = [REPO / "node_modules", Path.cwd() / "node_modules"]
    for c in candidates:
        hit = _mjs_in(c)
        if hit is not None:
            return hit
    npm = shutil.which("npm")   # asked last: it takes a while
    if npm:
        try:
            root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True,
                                  timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            root = ""
        if root:
            candidates.append(Path(root))
            hit = _mjs_in(Path(root))
            if hit is not None:
                return hit
    raise EmulatorError(f"no MicroPython interpreter found ({MP_PACKAGE} not in "
                        f"{', '.join(str(c) for c in candidates)}); " + MP_HOWTO)


_HASHES: dict = {}


def running_firmware_hash() -> str | None:
    """The hash of the firmware the emulator runs, computed as an image build computes it
    (lightclient/hwtest/image.py firmware_hash over the default variant's files). Walking the
    imports takes a third of a second: kept per process until a source file changes."""
    from lightclient.hwtest import image
    from lightclient.hwtest.errors import HwTestError
    sources = sorted(list(firmware_dir().glob("*.py"))
                     + list((REPO / "lightclient" / "chip").rglob("*.py")))
    key = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in sources)
    if key not in _HASHES:
        try:
            _HASHES.clear()
            _HASHES[key] = image.firmware_hash(image.app_files(REPO))
        except HwTestError:
            return None
    return _HASHES[key]


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
                 boot_timeout: float = 60.0, log_stream=None, flash_delay_ms: float = 0,
                 micropython: str | os.PathLike | None = None):
        self.board = board
        self.board_path = board_file(board)
        self.micropython = find_micropython(micropython)
        self.firmware_hash = running_firmware_hash()
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
        args = [node, str(RUNNER), "--board", str(self.board_path), "--repo", str(REPO),
                "--firmware", str(firmware_dir()), "--micropython", str(self.micropython)]
        if self.firmware_hash:
            args += ["--firmware-hash", self.firmware_hash]
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
                        "(FILE.secret holds the device secret; its folder is created); "
                        "default: RAM only")
    p.add_argument("--micropython", default=None, metavar="PATH",
                   help="MicroPython's WebAssembly port (%s: its micropython.mjs or a "
                        "node_modules holding it); default: $%s, the checkout's node_modules, "
                        "./node_modules, npm's global folder" % (MP_PACKAGE, MP_ENV))


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
        board = EmulatedBoard(args.board, args.state, log_stream=sys.stderr,
                              micropython=getattr(args, "micropython", None))
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
