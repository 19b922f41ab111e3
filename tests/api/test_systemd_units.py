# The shipped systemd units, as systemd reads them: `systemd-analyze verify` passes on them once
# the light client is installed where they say (docs/device-api.md, step 2: /opt/
# mycroft-lightclient/.venv), and they agree with the server's port and backlog.

import os
import re
import shutil
import subprocess
import sys

from lightclient.api.limits import BACKLOG, DEFAULT_PORT

UNITS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "deploy", "systemd")
PREFIX = "/opt/mycroft-lightclient"


def _read(name):
    with open(os.path.join(UNITS, name)) as f:
        return f.read()


def test_units_verify_with_the_light_client_installed_where_they_say(tmp_path):
    tool = shutil.which("systemd-analyze")
    assert tool, "needs systemd-analyze (Debian: apt-get install systemd)"
    # The install the walk-through describes, under a temporary prefix: a venv whose bin holds
    # mycroft-lc (this checkout's own).
    prefix = tmp_path / "opt"
    (prefix / ".venv" / "bin").mkdir(parents=True)
    exe = os.path.join(os.path.dirname(sys.executable), "mycroft-lc")
    assert os.access(exe, os.X_OK), "mycroft-lc is not installed beside " + sys.executable
    os.symlink(exe, prefix / ".venv" / "bin" / "mycroft-lc")
    names = sorted(n for n in os.listdir(UNITS) if n.endswith((".socket", ".service")))
    assert names == ["mycroft-lightclient-api.service", "mycroft-lightclient-api.socket"]
    for n in names:
        text = _read(n)
        (tmp_path / n).write_text(text.replace(PREFIX, str(prefix)))
    out = subprocess.run([tool, "verify"] + ["./" + n for n in names], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), \
        out.stdout + out.stderr


def test_units_agree_with_the_server():
    sock = _read("mycroft-lightclient-api.socket")
    assert re.search(r"^ListenStream=127\.0\.0\.1:%d$" % DEFAULT_PORT, sock, re.M)
    assert re.search(r"^Backlog=%d$" % BACKLOG, sock, re.M)
    service = _read("mycroft-lightclient-api.service")
    assert re.search(r"^ExecStart=%s/\.venv/bin/mycroft-lc serve-api" % re.escape(PREFIX),
                     service, re.M)
