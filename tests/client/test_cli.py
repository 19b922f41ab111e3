# The three operator commands, run as a user runs them (the console script, real files).
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VEC = ROOT.parent / "shared" / "vectors" / "cometbft"
RPC = VEC / "rpc" / "kvstore-v0.38"
SINGLE = VEC / "light-client" / "single_step"


def mycroft_lc(*args):
    p = subprocess.run([sys.executable, "-m", "lightclient.cli", *map(str, args)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    lines = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
    return p.returncode, lines, p.stderr


def test_verify_steps_reports_every_step_with_the_expected_verdict():
    files = sorted(SINGLE.glob("*.json"))
    rc, lines, err = mycroft_lc("verify-steps", *files)
    assert rc == 0, err
    expected = []
    for f in files:
        for i, step in enumerate(json.loads(f.read_text())["input"]):
            expected.append((str(f), i, step["verdict"]))
    got = [(ln["file"], ln["step"], ln["verdict"]) for ln in lines]
    assert got == expected
    assert all(set(ln) == {"file", "step", "verdict", "error"} for ln in lines)
    assert all((ln["error"] is None) == (ln["verdict"] == "SUCCESS") for ln in lines)


def test_verify_steps_exits_zero_on_a_broken_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    rc, lines, _ = mycroft_lc("verify-steps", bad)
    assert rc == 0 and lines[0]["verdict"] == "ERROR" and "json" in lines[0]["error"]


def test_check_commit_on_a_real_node_answer():
    rc, lines, err = mycroft_lc("check-commit", RPC / "commit_at_height_10.json", RPC / "genesis.json")
    assert rc == 0, err
    out = lines[0]
    assert out["verdict"] == "VALID" and out["height"] == 10
    assert out["header_hash"] == json.loads((RPC / "commit_at_height_10.json").read_text())[
        "result"]["signed_header"]["commit"]["block_id"]["hash"]
    assert out["signatures_checked"] == 1


def _tampered(tmp_path, mutate):
    doc = json.loads((RPC / "commit_at_height_10.json").read_text())
    mutate(doc["result"]["signed_header"])
    p = tmp_path / "commit.json"
    p.write_text(json.dumps(doc))
    return p


def test_check_commit_names_the_failed_check(tmp_path):
    def flip_sig(sh):
        s = sh["commit"]["signatures"][0]["signature"]
        sh["commit"]["signatures"][0]["signature"] = ("A" if s[0] != "A" else "B") + s[1:]

    def change_app_hash(sh):
        sh["header"]["app_hash"] = "0000000000000001"

    def change_vote_time(sh):
        sh["commit"]["signatures"][0]["timestamp"] = "2023-05-17T14:12:53.605374525Z"

    for mutate, check in ((flip_sig, "invalid_signature"),
                          (change_app_hash, "header_commit_mismatch"),
                          (change_vote_time, "invalid_signature")):
        rc, lines, _ = mycroft_lc("check-commit", _tampered(tmp_path, mutate), RPC / "genesis.json")
        assert rc == 1 and lines[0]["verdict"] == "INVALID", lines
        assert lines[0]["error"]["check"] == check, lines


def test_check_commit_with_another_validator_set_fails(tmp_path):
    doc = json.loads((RPC / "genesis.json").read_text())
    doc["result"]["genesis"]["validators"][0]["power"] = "11"
    p = tmp_path / "genesis.json"
    p.write_text(json.dumps(doc))
    rc, lines, _ = mycroft_lc("check-commit", RPC / "commit_at_height_10.json", p)
    assert rc == 1 and lines[0]["error"]["check"] == "validators_hash_mismatch"


def test_check_query_without_a_proof_is_not_accepted():
    # The recorded kvstore answer was queried without prove=true: nothing can be verified.
    rc, lines, _ = mycroft_lc("check-query", RPC / "abci_query_with_existing_key.json",
                              RPC / "commit_at_height_10.json", RPC / "genesis.json")
    assert rc == 1 and lines[0]["error"]["check"] == "query_no_proof"
    assert lines[0]["key"] == b"tx0".hex()
