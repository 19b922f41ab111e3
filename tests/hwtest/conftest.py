import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_repo(tmp_path):
    """A small firmware tree with every import shape the closure must follow: a package of the
    firmware root, relative imports (one and two levels), a namespace package, shared modules
    from the repository root, MicroPython built-ins inside try blocks, and files nobody imports
    (which must stay out of the image)."""
    root = tmp_path / "repo"
    fw = root / "firmware"
    (fw / "app" / "link").mkdir(parents=True)
    (fw / "app" / "__init__.py").write_text("")
    (fw / "main.py").write_text("import sys\nfrom app import boot\nboot.run()\n")
    (fw / "app" / "boot.py").write_text(
        "from . import device\nfrom .link import smp\ntry:\n    import esp32\n"
        "except ImportError:\n    esp32 = None\n\ndef run():\n    pass\n")
    (fw / "app" / "device.py").write_text(
        "import struct\nfrom lightclient.core.errors import DecodeError\n"
        "def f():\n    from lightclient import txs\n")
    (fw / "app" / "link" / "smp.py").write_text("from ..device import f\nimport machine\n")
    (fw / "app" / "unused.py").write_text("raise RuntimeError('not in the image')\n")
    (fw / "emulated.py").write_text("from app import boot\n")   # emulator glue, not imported
    lc = root / "lightclient"
    (lc / "core").mkdir(parents=True)
    (lc / "__init__.py").write_text("")
    (lc / "core" / "errors.py").write_text("class DecodeError(Exception):\n    pass\n")
    (lc / "core" / "unused.py").write_text("")
    (lc / "txs.py").write_text("from lightclient.core import errors\nimport json\n")
    return root




@pytest.fixture
def socat_pair():
    """Two joined pseudo-terminals from socat: (port for the tool, the other end)."""
    procs = []

    def make():
        d = Path(os.environ.get("TMPDIR", "/tmp"))
        tag = "%d-%d" % (os.getpid(), len(procs))
        a, b = d / ("hwt-a-" + tag), d / ("hwt-b-" + tag)
        p = subprocess.Popen(["socat", "pty,raw,echo=0,link=%s" % a,
                              "pty,raw,echo=0,link=%s" % b], stderr=subprocess.DEVNULL)
        procs.append(p)
        deadline = time.monotonic() + 10
        while not (a.exists() and b.exists()):
            assert p.poll() is None, "socat exited"
            assert time.monotonic() < deadline, "socat made no ptys"
            time.sleep(0.02)
        return str(a), str(b)

    yield make
    for p in procs:
        p.terminate()
        p.wait(5)


@pytest.fixture
def garbage_board(socat_pair):
    """A pty whose other end a thread floods with random bytes (a board at the wrong baud
    rate, or one stuck printing a boot loop)."""
    port, other = socat_pair()
    stop = threading.Event()

    def spew():
        fd = os.open(other, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            while not stop.is_set():
                try:
                    os.write(fd, os.urandom(64))
                except BlockingIOError:
                    pass   # nobody reads yet: the pty's buffer is full
                time.sleep(0.01)
        finally:
            os.close(fd)

    t = threading.Thread(target=spew, daemon=True)
    t.start()
    yield port
    stop.set()
    t.join(5)


@pytest.fixture
def emulated():
    """Start emulated boards (lightclient/hwtest/emulator.py); all stopped at the end."""
    from lightclient.hwtest.emulator import EmulatedBoard
    boards = []

    def start(state_path=None, board="esp32-devkitc"):
        b = EmulatedBoard(board, state_path)
        b.start()
        boards.append(b)
        return b

    yield start
    for b in boards:
        b.stop()
