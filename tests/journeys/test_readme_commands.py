"""The README's command list (section "Commands") is true: every command it lists exists and
takes the options it shows (`--help` of each), and the device journey it lists runs on the local
network and exits as the README says (0 when verified data was shown). The commands come from
the README's code block, so editing the list changes this test.

How the block's shorthand is read: `a ... / b / c` and `x | y` are alternatives of the last
word (or of the last two, `board image build | flash`: the first that exists); `[...]` is
optional and left out; `<uuid>` and `...` are filled in by this test (a registered device). The
scenarionet runs with 4 validators and 1 peer instead of the listed defaults, to stay quick."""

import functools
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import uuid as uuidlib
from pathlib import Path

from journeys_common import Background

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
CLI = Path(sys.executable).parent / "mycroft-lc"
WORD = re.compile(r"^[a-z][a-z0-9-]*$")


def command_block():
    text = README.read_text()
    m = re.search(r"^## Commands\n.*?^```\n(.*?)^```", text, re.S | re.M)
    assert m, "README.md lost its Commands block"
    return [l for l in m.group(1).splitlines() if l.startswith("mycroft-lc ")]


def _help(path):
    return _help_of(tuple(path))


@functools.lru_cache(maxsize=None)
def _help_of(path):
    # each command's --help runs once (a README line and its alternatives name some twice)
    p = subprocess.run([str(CLI)] + list(path) + ["--help"], capture_output=True, text=True,
                       timeout=60)
    return p.stdout if p.returncode == 0 else None


def listed_commands():
    """[(command words, options the line shows for it, the README line)]."""
    out = []
    for line in command_block():
        code = line.split("#")[0][len("mycroft-lc "):]
        alts = [a.strip() for a in re.split(r"\s[/|]\s", code)]
        first = alts[0].split()
        path = []
        for w in first:
            if not WORD.match(w):
                break
            path.append(w)
        out.append((path, re.findall(r"--[a-z][a-z-]*", alts[0]), line))
        for alt in alts[1:]:
            word = alt.split()[0]
            for keep in range(len(path) - 1, 0, -1):   # replace the last word, then two
                cand = path[:keep] + [word]
                if _help(cand) is not None:
                    out.append((cand, re.findall(r"--[a-z][a-z-]*", alt), line))
                    break
            else:
                raise AssertionError("README lists `%s` in %r: no such command" % (word, line))
    return out


def test_every_listed_command_exists_with_the_options_shown():
    listed = listed_commands()
    assert len(listed) >= 15
    for path, options, line in listed:
        text = _help(path)
        assert text is not None, "README lists `mycroft-lc %s`: --help fails" % " ".join(path)
        for opt in options:
            assert opt in text, "README shows %s for `%s`; its --help has no such option" % (
                opt, " ".join(path))


def _readme_line(prefix):
    """The README's line for a command, brackets and comment dropped, as argv."""
    for line in command_block():
        code = line.split("#")[0][len("mycroft-lc "):]
        if code.startswith(prefix):
            code = re.sub(r"\[[^\]]*\]", "", code.split(" / ")[0].split(" | ")[0])
            return shlex.split(code)
    raise AssertionError("README lists no `mycroft-lc %s`" % prefix)


def test_the_device_journey_runs_and_exits_as_the_readme_says(tmp_path):
    env = dict(os.environ, MYCROFT_LC_CONFIG=str(tmp_path / "config.json"))
    bg = Background(tmp_path)

    def run(argv, expected=0):
        p = subprocess.run([str(CLI)] + argv, cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=180)
        assert p.returncode == expected, (argv, p.returncode, p.stdout[-1500:],
                                          p.stderr[-1500:])
        assert "Traceback" not in p.stderr, (argv, p.stderr[-2000:])
        return p

    uuid = str(uuidlib.uuid4())
    run(["keys", "new", "owner.key"])
    run(["keys", "new", "device.key"])
    keys = {"$(mycroft-lc keys show %s.key -q)" % k: run(["keys", "show", k + ".key", "-q"])
            .stdout.strip() for k in ("owner", "device")}
    try:
        up = _readme_line("scenarionet up") + ["--validators", "4", "--peers", "1"]
        for shell, value in keys.items():
            up = [w.replace("<uuid>", uuid).replace(shell, value) for w in up]
        bg.spawn([str(CLI)] + up, lambda l: "scenarionet.json" in l, 240, env=env)
        run(_readme_line("scenarionet fault"))                 # central blackholed
        run(["scenarionet", "status"])
        run([w.replace("<uuid>", uuid) for w in _readme_line("provision")])
        boot = run(_readme_line("boot") + ["--json"])     # fresh and verified: exit 0
        assert json.loads(boot.stdout)
        run(_readme_line("status"))
        settings = run(_readme_line("settings") + ["--json"])
        assert "MDY" in settings.stdout                 # the fixture's default settings
        steps = _readme_line("verify-steps")
        files = glob.glob(str(REPO / steps[1]))
        assert files, "README's verify-steps example names no files: %s" % steps[1]
        run(["verify-steps"] + files)
        run(["scenarionet", "down"])
    finally:
        bg.close()
        subprocess.run([str(CLI), "scenarionet", "down", "--dir", ".scenarionet"], cwd=tmp_path,
                       capture_output=True, timeout=60)
