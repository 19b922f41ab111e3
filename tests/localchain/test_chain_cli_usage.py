"""`mycroft-lc chain ...` exit statuses (the README's table): a wrong command line is 2
("usage"), a failure on our side is 4 ("local fault"), never 1 (that means "verification
failed"). Each case runs before any node would start: no chain is needed."""

import json
import subprocess
import sys

import pytest

from lightclient.exitcodes import EXIT_LOCAL, EXIT_USAGE


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lightclient.cli"] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("argv, check", [
    (["fault", "val0", "slow", "bogus=1"], "bad_fault"),       # a parameter the mode lacks
    (["fault", "val0", "melted"], "bad_fault"),                # no such mode
    (["up", "--validators", "0"], "chain_shape"),
])
def test_usage_mistakes_exit_2_with_one_line_and_the_check(tmp_path, argv, check):
    p = _cli("chain", *argv, "--dir", str(tmp_path / "c"))
    assert p.returncode == EXIT_USAGE, (p.returncode, p.stdout, p.stderr)
    doc = json.loads(p.stdout)
    assert doc["error"]["check"] == check and doc["exit"] == EXIT_USAGE
    [line] = p.stderr.splitlines()
    assert line.startswith("mycroft-lc chain: " + check) and "Traceback" not in p.stderr


def test_argparse_mistakes_exit_2():
    p = _cli("chain", "up")                       # --dir is required
    assert p.returncode == EXIT_USAGE and "--dir" in p.stderr


def test_a_directory_without_a_chain_is_a_local_fault(tmp_path):
    p = _cli("chain", "down", "--dir", str(tmp_path))
    assert p.returncode == EXIT_LOCAL, (p.returncode, p.stdout, p.stderr)
    assert json.loads(p.stdout)["error"]["check"] == "chain_not_running"
