"""Finds and runs `mycroftd` (built by `make chain` into build/chain/)."""

import json
import os
import subprocess

from lightclient.chip.core.errors import LightClientError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(REPO, "build", "chain", "mycroftd")


class ChainError(LightClientError):
    """A local-chain operation failed; `check` names which."""


def binary_path():
    path = os.environ.get("MYCROFTD", DEFAULT_BINARY)
    if not os.access(path, os.X_OK):
        raise ChainError("mycroftd_missing", "mycroftd is not built: run `make chain`", path=path)
    return path


def run(args, home=None, json_out=False, timeout=60):
    """Runs `mycroftd args...` and returns its stdout (parsed when json_out)."""
    cmd = [binary_path()] + list(args)
    if home is not None:
        cmd += ["--home", home]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise ChainError("mycroftd_failed", "mycroftd %s failed" % args[0],
                         args=" ".join(args)[:200], stderr=p.stderr.strip()[-400:])
    if json_out:
        # some SDK commands print JSON to stderr
        text = p.stdout.strip() or p.stderr.strip()
        return json.loads(text)
    return p.stdout
