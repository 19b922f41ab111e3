"""Runs tests/cosmostx/cosmjs_oracle.js (@cosmjs/proto-signing) on a batch of cases."""

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("cosmjs_oracle.js")


def cosmjs(cases):
    """[case] -> [{address, pub, body, auth_info, sign_doc, signature, tx_raw} as hex]."""
    if not (REPO / "node_modules" / "@cosmjs" / "proto-signing").is_dir():
        raise RuntimeError("node_modules has no @cosmjs/proto-signing: run `make setup`")
    p = subprocess.run(["node", str(SCRIPT)], input=json.dumps(cases), capture_output=True,
                       text=True, timeout=120, cwd=REPO)
    if p.returncode != 0:
        raise AssertionError("cosmjs oracle failed: " + p.stderr[-2000:])
    return json.loads(p.stdout)


def record(path=REPO / "docs" / "vectors" / "cosmos-tx.json"):
    """Writes the vectors of docs/cosmos-tx.md: `python -m tests.cosmostx.oracle`."""
    from tests.cosmostx import cases
    inputs = cases.oracle_cases()
    out = {"about": "SIGN_MODE_DIRECT transactions: the inputs and what @cosmjs/proto-signing "
                    "0.39.0 built for them (hex). Spec: docs/cosmos-tx.md; checked by "
                    "tests/cosmostx.", "cases": []}
    for (name, _m, _t), c, r in zip(cases.CASES, inputs, cosmjs(inputs)):
        out["cases"].append({"name": name, "input": c, **r})
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    record()
