"""`mycroft-lc verify-steps | check-commit | check-query`: auditing what CometBFT nodes serve.

Each reads recorded answers from files, hands the parsed JSON to the pure core and prints its
verdict (one line per result; one JSON object per line with --json). Exit status (cli.EXIT_*):
0 when everything verifies (for verify-steps: every step got the verdict its file expects), 1 when
something does not, 4 when a file can't be read.
"""

import json
import sys

from lightclient import native
from lightclient import verify_steps as steps
from lightclient.chip.core import proof_chain, rpcjson
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_commit_full

from lightclient.exitcodes import EXIT_INVALID, EXIT_OK

MAX_INPUT_BYTES = 64 * 1024 * 1024


def read_json(path):
    """A file's JSON; OSError when it can't be read (a local fault), LightClientError when its
    content is not JSON or too large (the data is invalid)."""
    with open(path, "rb") as f:
        data = f.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise LightClientError("input_too_large", "file exceeds the input limit", path=path,
                               limit=MAX_INPUT_BYTES)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        raise LightClientError("json", "file is not valid JSON: %s" % str(e)[:100], path=path)


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
    return {"type": type(e).__name__, "check": "malformed", "message": str(e)[:200]}


def _emit(args, doc, text):
    sys.stdout.write((json.dumps(doc, sort_keys=True) if args.json else text) + "\n")


# --- verify-steps ---------------------------------------------------------------------------------

def _step_lines(path, doc):
    """One result per step of a single-step file: our verdict beside the file's expected one."""
    for r in steps.single_step(doc, native.verify):
        passed = r["expected"] is not None and r["verdict"] == r["expected"]
        yield {"file": path, "step": r["step"], "verdict": r["verdict"],
               "expected": r["expected"], "result": "pass" if passed else "fail",
               "error": None if r["error"] is None else str(r["error"])}


def _step_text(ln):
    if ln["result"] == "pass":
        return "PASS  %s step %d: %s" % (ln["file"], ln["step"], ln["verdict"])
    why = " (%s)" % ln["error"] if ln["error"] else ""
    return "FAIL  %s step %s: got %s, expected %s%s" % (ln["file"], ln["step"], ln["verdict"],
                                                      ln["expected"], why)


def cmd_verify_steps(args):
    passed = failed = 0
    worst = EXIT_OK
    first = None     # the first failure, for the one line on stderr
    for path in args.files:
        try:
            lines = list(_step_lines(path, read_json(path)))
        except (LightClientError, OSError, KeyError, TypeError, ValueError) as e:
            from lightclient.cli import exit_status
            code = exit_status(e) if isinstance(e, (LightClientError, OSError)) else EXIT_INVALID
            worst = worst or code
            failed += 1
            text = "FAIL  %s: cannot run it: %s" % (path, str(e)[:300])
            first = first or text
            _emit(args, {"file": path, "step": None, "verdict": "ERROR", "expected": None,
                         "result": "fail", "error": str(e)[:300]}, text)
            continue
        for ln in lines:
            if ln["result"] == "pass":
                passed += 1
            else:
                failed += 1
                worst = EXIT_INVALID
                first = first or _step_text(ln)
            _emit(args, ln, _step_text(ln))
    if not args.json:
        print("%d step(s): %d pass, %d fail" % (passed + failed, passed, failed))
    if worst:
        _complain("verify-steps: %d of %d failed; the first: %s" % (failed, passed + failed,
                                                                  first[6:]))
    return worst


def _complain(why):
    """A non-zero exit also says why in one line on stderr (stdout holds the verdicts)."""
    sys.stderr.write("mycroft-lc: %s\n" % why)


# --- check-commit ---------------------------------------------------------------------------------

def _validators(doc):
    res = _result(doc)
    if isinstance(res, dict) and "genesis" in res:
        return rpcjson.validator_set_from_json(res["genesis"]["validators"])
    return rpcjson.validator_set_from_json(res)


def _checked_commit(commit_path, validators_path):
    commit_doc = _result(read_json(commit_path))
    vals_doc = read_json(validators_path)
    try:
        sh = rpcjson.signed_header_from_json(commit_doc["signed_header"])
        vals = _validators(vals_doc)
    except (KeyError, TypeError, ValueError) as e:
        raise LightClientError("rpc_shape", "not a /commit and /validators (or /genesis) answer: "
                               "%s %s" % (type(e).__name__, str(e)[:80]))
    signed, total, checked = verify_commit_full(sh.header.chain_id, sh, vals,
                                                CachingChecker(native.verify))
    return sh, {"height": sh.header.height, "header_hash": sh.header.hash().hex().upper(),
                "signed_power": signed, "total_power": total, "signatures_checked": checked}


def _invalid(args, out, e):
    if isinstance(e, OSError):
        raise e     # a file we can't read is our side's problem: cli says so in one line
    out["verdict"] = "INVALID"
    out["error"] = _err(e)
    _emit(args, out, "INVALID: %s" % (e if isinstance(e, LightClientError) else
                                      "%s: %s" % (type(e).__name__, e)))
    _complain("%s: INVALID: %s" % (args.command, out["error"].get("check")))
    return EXIT_INVALID


def cmd_check_commit(args):
    try:
        _, info = _checked_commit(args.commit, args.validators)
    except (LightClientError, OSError) as e:
        return _invalid(args, {}, e)
    info["verdict"] = "VALID"
    _emit(args, info, "VALID: commit of height %d (header %s), signed by %d of %d voting power, "
          "%d signature(s) checked" % (info["height"], info["header_hash"], info["signed_power"],
                                       info["total_power"], info["signatures_checked"]))
    return EXIT_OK


# --- check-query ----------------------------------------------------------------------------------

def _query_parts(doc):
    """(key, value or None, query height, [(type, key, data)]) of an abci_query answer."""
    resp = _result(doc)
    resp = resp.get("response") if isinstance(resp, dict) else None
    if not isinstance(resp, dict):
        raise LightClientError("query_shape", "not an abci_query answer (no result.response)")
    if int(resp.get("code") or 0) != 0:
        raise LightClientError("query_failed", "the node answered with an error code",
                               code=resp.get("code"), log=str(resp.get("log", ""))[:120])
    if not resp.get("key"):
        raise LightClientError("query_no_key", "the answer does not name its key")
    key = rpcjson.b64decode(resp["key"], "key")
    value = rpcjson.b64decode(resp.get("value") or "", "value") or None
    proof_ops = resp.get("proofOps") or resp.get("proof_ops")
    if not isinstance(proof_ops, dict) or not proof_ops.get("ops"):
        raise LightClientError("query_no_proof", "the answer carries no proof (asked without "
                               "prove=true?)", key=key.hex())
    ops = [(op["type"], rpcjson.b64decode(op.get("key") or "", "op key"),
            rpcjson.b64decode(op.get("data") or "", "op data")) for op in proof_ops["ops"]]
    return key, value, int(resp.get("height") or 0), ops


def _key_path(ops, key, store):
    """[store, key] as proof_chain.verify_abci_proof_ops takes it, outermost first: the queried key for
    the innermost op; the outer ops name their own keys (the store), which --store pins."""
    path = [op_key for _, op_key, _ in reversed(ops[1:])] + [key]
    if store is not None and (len(path) < 2 or path[0] != store.encode()):
        raise LightClientError("query_store", "the proof is for another store", store=store,
                               proven=path[0].decode("utf-8", "replace") if len(path) > 1 else "")
    return path


def _text(b):
    try:
        return json.dumps(b.decode("utf-8"))
    except UnicodeDecodeError:
        return "0x" + b.hex()


def cmd_check_query(args):
    out = {}
    try:
        doc = read_json(args.query)
        sh, info = _checked_commit(args.commit, args.validators)
        try:
            key, value, query_height, ops = _query_parts(doc)
        except (KeyError, TypeError, ValueError) as e:
            raise LightClientError("query_shape", "malformed abci_query answer: %s %s"
                                   % (type(e).__name__, str(e)[:80]))
        out["key"] = key.hex()
        if query_height + 1 != sh.header.height:
            raise LightClientError("query_height", "a query at height H is proven by the app_hash "
                                   "of the header at H+1", query_height=query_height,
                                   header_height=sh.header.height)
        path = _key_path(ops, key, args.store)
        proof_chain.verify_abci_proof_ops(ops, sh.header.app_hash, path, value)
    except (LightClientError, OSError) as e:
        if isinstance(e, LightClientError) and e.check == "query_no_proof":
            out["key"] = e.details.get("key")
        return _invalid(args, out, e)
    store = path[0].decode("utf-8", "replace") if len(path) > 1 else None
    out.update({"verdict": "VALID", "exists": value is not None, "store": store,
                "value": None if value is None else value.hex(), "height": query_height,
                "header_height": info["height"], "app_hash": sh.header.app_hash.hex().upper()})
    what = ("= %s" % _text(value)) if value is not None else "is ABSENT (proven)"
    _emit(args, out, "VALID: key %s %s in store %s at height %d (app_hash of the checked header "
          "%d)" % (_text(key), what, store, query_height, info["height"]))
    return EXIT_OK


def register(subparsers):
    def common(p):
        p.add_argument("--json", action="store_true", help="one JSON object per line on stdout")

    s = subparsers.add_parser(
        "verify-steps", help="run light-client test files (tendermint-rs single-step format) "
        "and compare each verdict with the one the file expects",
        description="Runs each step of the files through the verifier and prints PASS or FAIL "
        "per step (our verdict beside the file's). Exits 1 on any FAIL.")
    s.add_argument("files", nargs="+", metavar="FILE", help="single-step JSON files, e.g. "
                   "../shared/vectors/cometbft/light-client/single_step/*.json")
    common(s)
    s.set_defaults(func=cmd_verify_steps)

    s = subparsers.add_parser(
        "check-commit", help="check a recorded /commit against /validators or /genesis",
        description="Verifies the commit's signatures (>2/3 of the voting power) and that the "
        "validator set hashes to the header's validators_hash. Exits 0 VALID, 1 INVALID.")
    s.add_argument("commit", help="a /commit answer (JSON-RPC envelope or its result)")
    s.add_argument("validators", help="the /validators or /genesis answer for that height")
    common(s)
    s.set_defaults(func=cmd_check_commit)

    s = subparsers.add_parser(
        "check-query", help="check an abci_query proof (prove=true) against a checked commit",
        description="Checks the commit of height H+1 first, then the answer's ICS23 proof chain "
        "(store, then multistore) against that header's app_hash: the key's value, or its "
        "absence. Exits 0 VALID, 1 INVALID.")
    s.add_argument("query", help="an abci_query answer at height H, asked with prove=true")
    s.add_argument("commit", help="the /commit answer of height H+1")
    s.add_argument("validators", help="the /validators (or /genesis) answer of height H+1")
    s.add_argument("--store", help="require the proof to be for this store (e.g. devices)")
    common(s)
    s.set_defaults(func=cmd_check_query)
