"""The testers' walk-through (docs/hardware-testers.md, section 2) runs as written: every
`.venv/bin/mycroft-lc ...` line of the section's code blocks, in order, in a fresh folder, on
emulated boards and the real local chain. Editing the document changes this test.

How a line is run: `chain up` and `board emulate` stay in the background (`chain up` on a port
range reserved for this test, so it never meets another chain on this machine; the emulator's
first line of output is its port, which replaces the document's `/dev/pts/N` from then on); a
port the document names without starting it ("start one emulator per board") gets an emulator
of its own; every other line must exit 0, or the status its trailing comment gives (`# exits
1`). Where the document shows output, its shape is checked: the record's fields (on the chain's
record), the self-test's checks, the batch table's header and verdict line."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from journeys_common import Background
from lightclient.localchain import genesis

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "hardware-testers.md"
CLI = Path(sys.executable).parent / "mycroft-lc"
PTY = re.compile(r"/dev/pts/\d+")
PROMPT = ".venv/bin/mycroft-lc "


def section(text, number):
    m = re.search(r"^## %d\..*?(?=^## )" % number, text, re.S | re.M)
    assert m, "docs/hardware-testers.md has no section %d" % number
    return m.group(0)


def code_blocks(text):
    return re.findall(r"^```\n(.*?)^```", text, re.S | re.M)


def doc_steps(text):
    """[(command line, expected exit, [output lines the document shows])] in document order,
    and the other blocks (examples of output without a command)."""
    steps, others = [], []
    for block in code_blocks(text):
        lines = block.splitlines()
        if not any(l.startswith(PROMPT) for l in lines):
            others.append(block)
            continue
        for line in lines:
            if line.startswith(PROMPT):
                cmd, _, comment = line.partition("#")
                m = re.search(r"exits (\d+)", comment)
                steps.append([cmd.strip(), int(m.group(1)) if m else 0, []])
            elif line.strip() and not line.startswith("#") and steps:
                steps[-1][2].append(line)
    return steps, others


def _keys(obj, prefix=""):
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(prefix + k)
            out |= _keys(v, prefix + k + ".")
    return out


def _doc_record_keys(example):
    """Dotted keys of the document's record example (JSON with `...` elisions)."""
    keys, stack = set(), []
    for m in re.finditer(r'"(\w+)":\s*(\{)?|(\{)|(\})', example):
        if m.group(3):
            stack.append(None)          # the record's own brace
        elif m.group(4):
            stack.pop()
        else:
            keys.add(".".join([k for k in stack if k] + [m.group(1)]))
            if m.group(2):
                stack.append(m.group(1))
    return keys


class Journey(Background):
    """The background commands, and the document's ports mapped to the emulators' real ones."""

    def __init__(self, cwd):
        super().__init__(cwd)
        self.ports = {}

    def emulator(self, argv):
        return self.spawn(argv, lambda l: l.startswith("/dev/"), 120)[-1]

    def argv(self, cmd):
        args = shlex.split(cmd[len(PROMPT):])
        out = [str(CLI)]
        for a in args:
            for ph in PTY.findall(a):
                if ph not in self.ports:   # "start one emulator per board"
                    self.ports[ph] = self.emulator([str(CLI), "board", "emulate"])
                a = a.replace(ph, self.ports[ph])
            out.append(a)
        return out


def test_the_testers_walk_through_runs_as_written(tmp_path):
    text = section(DOC.read_text(), 2)
    steps, others = doc_steps(text)
    kinds = [" ".join(shlex.split(c[len(PROMPT):])[:2]) for c, _, _ in steps]
    for needed in ("chain up", "board emulate", "board provision", "board selftest",
                   "board batch", "boot --config"):
        assert needed in kinds, "the walk-through lost its `%s` step" % needed
    record_example = [b for b in others if b.lstrip().startswith("{")]
    check_example = [b for b in others if b.lstrip().startswith("PASS")]
    j = Journey(tmp_path)
    try:
        for cmd, expected, shown in steps:
            argv = j.argv(cmd)
            kind = " ".join(argv[1:3])
            if kind == "chain up":
                argv += ["--base-port", str(genesis.free_base_port(7))]
                j.spawn(argv, lambda l: '"chain_id"' in l, 240)
                continue
            if kind == "board emulate":
                port = j.emulator(argv)
                for ph in PTY.findall(" ".join(shown)):
                    j.ports[ph] = port
                continue
            p = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
            assert p.returncode == expected, (cmd, p.returncode, p.stdout[-2000:],
                                              p.stderr[-2000:])
            assert "Traceback" not in p.stderr, (cmd, p.stderr[-3000:])
            if kind == "board provision":
                rec = json.loads(p.stdout)
                assert (tmp_path / ".hwtest" / "records" / (rec["board_id"] + ".json")).is_file()
                assert rec["chip"]["firmware_hash"], "the board named no firmware hash"
                chain = rec["network"]["name"] == "chain"
                if chain:
                    assert rec["uuid"] == rec["account_address"] and Path(rec["config"]).is_file()
                if record_example and chain:   # every field the example shows is in the record
                    missing = _doc_record_keys(record_example[0]) - _keys(rec)
                    assert not missing, "the document shows fields the record lacks: %s" \
                        % sorted(missing)
            elif kind == "board selftest":
                rep = json.loads(p.stdout)
                assert rep["passed"]
                names = {c["check"] for c in rep["checks"]}
                for block in check_example:
                    for line in block.splitlines():
                        if line.startswith("PASS "):
                            assert line.split()[1] in names, line
            elif kind == "board batch" and shown:
                out = p.stdout.splitlines()
                assert out[0].split() == shown[0].split()       # the table's header
                assert out[-1] == shown[-1]                     # "3 of 3 boards passed"
                assert list((tmp_path / ".hwtest" / "reports").glob("batch-*.json"))
            elif kind == "board batch" and expected == 1:
                assert "--selftest-only" in p.stdout and "already_provisioned" in p.stdout
    finally:
        j.close()
        subprocess.run([str(CLI), "chain", "down", "--dir", ".chain"], cwd=tmp_path,
                       capture_output=True, timeout=60)
