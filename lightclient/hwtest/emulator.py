"""The emulated board: the firmware inside real MicroPython 1.27 behind a pseudo-terminal made by
socat, so the Pi's client, smpclient or mcumgr open it exactly as they would open /dev/ttyS0.

    mycroft-lc board emulate [--board esp32-devkitc] [--state FILE] [--runtime chip32|wasm]
        prints the pty path as its first line of output, serves until SIGINT/SIGTERM.

    from lightclient.hwtest.emulator import EmulatedBoard
    with EmulatedBoard(state_path="/tmp/board.img") as board:
        McuClient(board.port) ...
        board.power_cut()        # SIGKILL: what a pulled plug does (flash keeps what was synced)
        board.start()            # boot again from the same flash image, maybe on a new pty

Two runtimes:
- "chip32" (default): the chip's own interpreter, build/chip/micropython32 (`make chip`:
  MicroPython 1.27.0's unix port, 32-bit, the chip package frozen in its native variant, lccrypto
  compiled in) with the fixed heap the board definition names (`micropython_heap`), running
  firmware/emulated32.py (SMP in on its stdin, out on a pipe of its own).
- "wasm": the pure-Python image inside MicroPython's WebAssembly port under node
  (lightclient/hwtest/emulator_runner.mjs, SMP on its stdin/stdout); its heap grows on demand.

--state FILE is the lcstore partition's flash image (FILE.secret: the device secret, FILE.counter:
the rollback counter; on a real chip both in NVS/eFuse). Every erase and program reaches the file
as the store issues it, so a restarted board keeps its key, checkpoint and cached record, and
killing the emulator (power_cut) is a power cut at that point of the store's write sequence.

socat joins the firmware's two serial pipes to a new pty (`socat PTY,raw,echo=0 STDIO`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from lightclient.exitcodes import EXIT_LOCAL
from lightclient.hwtest.paths import ROOT as REPO, board_dir, firmware_dir

RUNNER = Path(__file__).resolve().parent / "emulator_runner.mjs"
BOARD_DIR = board_dir()
RUNTIMES = ("chip32", "wasm")
DEFAULT_RUNTIME = "chip32"
CHIP32_ENV = "MYCROFT_LC_CHIP32"
CHIP32_HOWTO = ("the chip32 runtime is MicroPython 1.27's unix port built 32-bit with the firmware "
                "frozen and lccrypto compiled in: in a checkout run `make chip` (it lands in "
                "build/chip/micropython32); otherwise pass --chip32 PATH (or set %s), or use "
                "--runtime wasm (pure Python on MicroPython's WebAssembly port)" % CHIP32_ENV)
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


def running_firmware_hash(variant: str | None = None) -> str | None:
    """The hash of the firmware the emulator runs, computed as an image build computes it
    (lightclient/hwtest/image.py firmware_hash over the default variant's files). Walking the
    imports takes a third of a second: kept per process until a source file changes."""
    from lightclient.hwtest import image
    from lightclient.hwtest.errors import HwTestError
    sources = sorted(list(firmware_dir().glob("*.py"))
                     + list((REPO / "lightclient" / "chip").rglob("*.py")))
    key = (variant,) + tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in sources)
    if key not in _HASHES:
        try:
            _HASHES.clear()
            _HASHES[key] = image.firmware_hash(image.app_files(REPO, variant))
        except HwTestError:
            return None
    return _HASHES[key]


def find_chip32(given: str | os.PathLike | None = None) -> Path:
    """The chip's 32-bit interpreter: the flag, else $MYCROFT_LC_CHIP32, else the checkout's
    build/chip/micropython32. A named path that holds none is an error of its own."""
    named = given or os.environ.get(CHIP32_ENV)
    path = Path(named).expanduser().resolve() if named else REPO / "build" / "chip" / "micropython32"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise EmulatorError(f"no chip interpreter at {path}; " + CHIP32_HOWTO)
    return path


def _board_heap(path: Path) -> int:
    heap = json.loads(path.read_text()).get("micropython_heap")
    if not isinstance(heap, int):
        raise EmulatorError(f"{path.name} names no micropython_heap")
    return heap


RESET_STATUS = 75   # firmware/emulated32.py exits with it to be started again (a reset)


def _erased_flash(path: Path, board_path: Path) -> None:
    """The board's whole SPI flash as a file (erased when new): the emulated board's otadata and
    ota_0 / ota_1 partitions sit in it at the board's offsets (firmware/emulated32.py)."""
    if path.exists():
        return
    size = json.loads(Path(board_path).read_text())["flash_size"]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        for _ in range(size // 65536):
            f.write(b"\xff" * 65536)
    os.replace(tmp, path)


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
                 runtime: str = DEFAULT_RUNTIME, heap: int | None = None,
                 micropython: str | os.PathLike | None = None,
                 chip32: str | os.PathLike | None = None):
        if runtime not in RUNTIMES:
            raise EmulatorError(f"unknown runtime {runtime!r}; known: {', '.join(RUNTIMES)}")
        self.board = board
        self.board_path = board_file(board)
        self.runtime = runtime
        # the interpreter is found (or its absence explained) before anything starts
        if runtime == "chip32":
            self.interpreter = find_chip32(chip32)
        else:
            self.interpreter = find_micropython(micropython)
        self.firmware_hash = running_firmware_hash("native" if runtime == "chip32" else None)
        # chip32: the board's own heap unless a caller asks for another (tests of jobs that do
        # not fit the budget yet say so with the heap they measured)
        self.heap = heap if heap is not None else _board_heap(self.board_path)
        # Resolved here: the node runner works from the repository, the caller from anywhere.
        self.state_path = Path(state_path).resolve() if state_path is not None else None
        self.boot_timeout = boot_timeout
        self.log_stream = log_stream  # also write the log lines here (the CLI: stderr)
        self.flash_delay_ms = flash_delay_ms  # each erase/program takes this long (power-cut tests)
        self.port: str | None = None
        self.boot_status: str | None = None
        self.log: list[str] = []
        self._node: subprocess.Popen | None = None  # the firmware's process (node or micropython32)
        self._group = False   # _node leads its own process group (chip32): signals go to it
        self._scratch: str | None = None  # chip32 without state_path: the erased flash's folder
        self._socat: subprocess.Popen | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        if self._node is not None:
            raise EmulatorError("already running")
        socat = shutil.which("socat")
        if not socat:
            raise EmulatorError("the emulator needs socat on PATH")
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
        ready = threading.Event()
        try:
            if self.runtime == "chip32":
                serial_out, log = self._start_chip32()
            else:
                serial_out, log = self._start_wasm()
            self._follow(log, ready, "fw")
            # socat's stdin is the firmware's serial output and its stdout the firmware's stdin;
            # the parent keeps no copy, so either side ending closes the other.
            self._socat = subprocess.Popen([socat, "-d", "-d", "PTY,raw,echo=0", "STDIO"],
                                           stdin=serial_out, stdout=self._node.stdin,
                                           stderr=subprocess.PIPE)
            serial_out.close()
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

    def _start_wasm(self):
        """node + the WebAssembly port; returns (serial out, log) streams."""
        node = shutil.which("node")
        if not node:
            raise EmulatorError("the wasm runtime needs node on PATH")
        args = [node, str(RUNNER), "--board", str(self.board_path), "--repo", str(REPO),
                "--firmware", str(firmware_dir()), "--micropython", str(self.interpreter)]
        if self.firmware_hash:
            args += ["--firmware-hash", self.firmware_hash]
        if self.state_path is not None:
            args += ["--state", str(self.state_path)]
        if self.flash_delay_ms:
            args += ["--flash-delay-ms", str(self.flash_delay_ms)]
        self._node = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, cwd=str(REPO))
        return self._node.stdout, self._node.stderr

    def _start_chip32(self):
        """The chip's 32-bit interpreter at the board's heap; returns (serial out, log)."""
        state = self.state_path
        if state is None:
            # A board without --state starts erased each time. Its flash cannot sit in the
            # MicroPython heap (256 KiB against 96), so it is a scratch file removed at stop.
            self._scratch = tempfile.mkdtemp(prefix="mycroft-lc-emu-")
            state = Path(self._scratch) / "lcstore.img"
        serial_r, serial_w = os.pipe()
        args = [str(self.interpreter), "-X", f"heapsize={self.heap}",
                str(firmware_dir() / "emulated32.py"), str(self.board_path), str(serial_w),
                str(state), str(int(self.flash_delay_ms)), self.firmware_hash or ""]
        if Path(str(state) + ".release_key").exists():
            # a board that takes firmware updates: its flash holds the slots, and the new
            # interpreter of a reset boots whatever slot otadata names
            _erased_flash(Path(str(state) + ".flash"), self.board_path)
        # a reset is a new interpreter (exit status RESET_STATUS), as machine.reset() starts
        # the chip with an empty heap, on the same serial line (the shell keeps its descriptors)
        args = ["sh", "-c", 'while :; do "$@"; rc=$?; [ "$rc" -eq %d ] || exit "$rc"; done'
                % RESET_STATUS, "sh"] + args
        try:
            # only the frozen image: the repository's files must not stand in for it
            env = dict(os.environ, MICROPYPATH=".frozen")
            self._node = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, cwd=str(REPO), env=env,
                                          pass_fds=(serial_w,), start_new_session=True)
            self._group = True
        except BaseException:
            os.close(serial_r)
            raise
        finally:
            os.close(serial_w)
        return os.fdopen(serial_r, "rb"), self._node.stdout

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
                    if proc is self._node and self._group:   # the interpreter and its shell
                        os.killpg(proc.pid, sig)
                    else:
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
        self._group = False
        self.port = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

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
    p.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_RUNTIME,
                   help="chip32: the chip's 32-bit interpreter at the board's heap, native "
                        "crypto (default); wasm: the pure-Python image in MicroPython's "
                        "WebAssembly port under node")
    p.add_argument("--chip32", default=None, metavar="PATH",
                   help="the chip32 runtime's interpreter (default: $%s, then the checkout's "
                        "build/chip/micropython32 from `make chip`)" % CHIP32_ENV)
    p.add_argument("--micropython", default=None, metavar="PATH",
                   help="the wasm runtime's MicroPython WebAssembly port (%s: its micropython.mjs "
                        "or a node_modules holding it); default: $%s, the checkout's "
                        "node_modules, ./node_modules, npm's global folder" % (MP_PACKAGE, MP_ENV))


def register(subparsers) -> argparse.ArgumentParser:
    """Adds `emulate` to the `board` command group's subparsers (mycroft-lc board emulate)."""
    p = subparsers.add_parser("emulate", help="run the firmware on an emulated board behind a pty",
                              description="Starts the firmware inside MicroPython (by default the "
                              "chip's 32-bit interpreter at the board's heap, `make chip`) behind a "
                              "socat pseudo-terminal; prints the pty path on the first line and "
                              "serves until SIGINT/SIGTERM.")
    add_arguments(p)
    p.set_defaults(func=cmd_emulate)
    return p


def cmd_emulate(args) -> int:
    try:
        board = EmulatedBoard(args.board, args.state, log_stream=sys.stderr,
                              runtime=args.runtime, chip32=args.chip32,
                              micropython=args.micropython)
    except EmulatorError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_LOCAL
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            port = board.start()
        except EmulatorError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_LOCAL
        print(port, flush=True)
        print(f"board {board.board}: {board.boot_status}; stop with Ctrl-C", file=sys.stderr,
              flush=True)
        while not stop.wait(0.2):
            if not board.running():
                print("error: the firmware stopped:\n" + "\n".join(board.log[-20:]),
                      file=sys.stderr)
                return EXIT_LOCAL
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
