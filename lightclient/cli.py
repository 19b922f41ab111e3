"""`mycroft-lc`: the device's light client, its local device API, the local network and the board tools.

The device, API, network and board subcommands live in their own modules (SUBCOMMAND_MODULES,
BOARD_MODULES). The audit subcommands here read recorded RPC answers, hand the parsed JSON to the
pure core and print one JSON line per result: they exit 0 only when everything verifies;
`verify-steps` exits 0 whenever it ran, whatever the verdicts (it reports them).
"""

import argparse
import json
import sys

from lightclient import native
from lightclient import verify_steps as steps
from lightclient.chip.core import proof_chain, rpcjson
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_commit_full

MAX_INPUT_BYTES = 64 * 1024 * 1024


def _read_json(path):
    with open(path, "rb") as f:
        data = f.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise LightClientError("input_too_large", "file exceeds the input limit", path=path,
                               limit=MAX_INPUT_BYTES)
    try:
        return json.loads(data)
    except ValueError as e:
        raise LightClientError("json", "file is not valid JSON: %s" % e, path=path)


def _result(doc):
    """The `result` of a JSON-RPC envelope, or the document itself when it has none."""
    if isinstance(doc, dict) and "result" in doc and "jsonrpc" in doc:
        if doc.get("error"):
            raise LightClientError("rpc_error", "the recorded answer is an RPC error",
                                   error=str(doc["error"])[:200])
        return doc["result"]
    return doc


def _err(e):
    if isinstance(e, LightClientError):
        return e.to_dict()
    return {"type": type(e).__name__, "message": str(e)}


def _emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")


def cmd_verify_steps(args):
    for path in args.files:
        try:
            doc = _read_json(path)
            for r in steps.single_step(doc, native.verify):
                _emit({"file": path, "step": r["step"], "verdict": r["verdict"],
                       "error": None if r["error"] is None else str(r["error"])})
        except (LightClientError, KeyError, TypeError, ValueError) as e:
            _emit({"file": path, "step": None, "verdict": "ERROR", "error": str(e)})
    return 0


def _validators(doc):
    res = _result(doc)
    if isinstance(res, dict) and "genesis" in res:
        return rpcjson.validator_set_from_json(res["genesis"]["validators"])
    return rpcjson.validator_set_from_json(res)


def _checked_commit(commit_path, validators_path):
    commit_doc = _result(_read_json(commit_path))
    sh = rpcjson.signed_header_from_json(commit_doc["signed_header"])
    vals = _validators(_read_json(validators_path))
    checker = CachingChecker(native.verify)
    signed, total, checked = verify_commit_full(sh.header.chain_id, sh, vals, checker)
    return sh, {"height": sh.header.height, "header_hash": sh.header.hash().hex().upper(),
                "signed_power": signed, "total_power": total, "signatures_checked": checked}


def cmd_check_commit(args):
    try:
        _, info = _checked_commit(args.commit, args.validators)
    except (LightClientError, KeyError, TypeError, ValueError) as e:
        _emit({"verdict": "INVALID", "error": _err(e)})
        return 1
    info["verdict"] = "VALID"
    _emit(info)
    return 0


def cmd_check_query(args):
    out = {"verdict": "INVALID"}
    try:
        sh, info = _checked_commit(args.commit, args.validators)
        resp = _result(_read_json(args.query))["response"]
        key = rpcjson.b64decode(resp.get("key") or "")
        value = rpcjson.b64decode(resp.get("value") or "")
        out["key"] = key.hex()
        proof_ops = resp.get("proofOps") or resp.get("proof_ops")
        if not proof_ops or not proof_ops.get("ops"):
            raise LightClientError("query_no_proof", "the answer carries no proof (prove=true?)")
        query_height = int(resp.get("height") or 0)
        if query_height + 1 != sh.header.height:
            raise LightClientError("query_height", "a query at height H is proven by the app_hash "
                                   "of the header at H+1", query_height=query_height,
                                   header_height=sh.header.height)
        ops = [(op["type"], rpcjson.b64decode(op.get("key") or ""),
                rpcjson.b64decode(op.get("data") or "")) for op in proof_ops["ops"]]
        exists = bool(value)
        proof_chain.verify_abci_proof_ops(ops, sh.header.app_hash, key, value if exists else None)
    except (LightClientError, KeyError, TypeError, ValueError) as e:
        out["error"] = _err(e)
        _emit(out)
        return 1
    out.update({"verdict": "VALID", "exists": exists, "value": value.hex() if exists else None,
                "height": info["height"]})
    _emit(out)
    return 0


# Modules that add their own subcommands with register(subparsers); each sets `func`.
SUBCOMMAND_MODULES = (
    "lightclient.commands",      # provision, boot, status, settings (the device's light client)
    "lightclient.api.cli",       # serve-api (the verified local device API)
    "lightclient.devnet.cli",    # devnet up / status / fault / ... (the local network)
    "lightclient.localchain.cli",  # chain up / status / down (the real Cosmos SDK chain)
)
# ... and those that add theirs under `mycroft-lc board` (the microcontroller and testers' tools).
BOARD_MODULES = (
    "lightclient.hwtest.emulator",   # board emulate (the firmware in MicroPython behind a pty)
    "lightclient.hwtest.cli",        # board image build / flash / provision / selftest / batch
)


def build_parser():
    import importlib

    p = argparse.ArgumentParser(prog="mycroft-lc", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    board = sub.add_parser("board", help="the board's microcontroller: emulate, build images, "
                           "flash, provision, self-test")
    board_sub = board.add_subparsers(dest="board_command", required=True)
    for name in BOARD_MODULES:
        importlib.import_module(name).register(board_sub)
    s = sub.add_parser("verify-steps", help="run tendermint-rs single-step test files")
    s.add_argument("files", nargs="+")
    s.set_defaults(func=cmd_verify_steps)
    s = sub.add_parser("check-commit", help="check a recorded /commit against /validators or /genesis")
    s.add_argument("commit")
    s.add_argument("validators")
    s.set_defaults(func=cmd_check_commit)
    s = sub.add_parser("check-query", help="check an abci_query proof against a checked commit")
    s.add_argument("query")
    s.add_argument("commit")
    s.add_argument("validators")
    s.set_defaults(func=cmd_check_query)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
