# Runs light-client test files in tendermint-rs's formats (model-based single-step files and
# bisection files, as in ../shared/vectors/cometbft/light-client) through our verifier. Used by
# the tests and by `mycroft-lc verify-steps`; takes already-parsed JSON, so it stays pure.

from lightclient.chip.core import rpcjson
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (INVALID, Options, TrustedState, verify,
                                       verify_to_height)


def single_step(doc, verify_fn=None):
    """Yields one dict per step: step index, our verdict, the file's expected verdict, and the
    error that decided a non-SUCCESS verdict. A step that succeeds becomes the trusted state for
    the next one; clock drift is zero in these files."""
    init = doc["initial"]
    sh = rpcjson.signed_header_from_json(init["signed_header"])
    trusted = TrustedState(sh.header,
                           next_validators=rpcjson.validator_set_from_json(init["next_validator_set"]))
    options = Options(int(init["trusting_period"]), clock_drift_ns=0)
    checker = CachingChecker(verify_fn)
    for i, step in enumerate(doc["input"]):
        b = step["block"]
        try:
            now = rpcjson.parse_rfc3339_ns(step["now"])
            block = rpcjson.light_block_from_json(b["signed_header"], b["validator_set"],
                                                  b.get("next_validator_set"))
        except LightClientError as e:
            yield {"step": i, "verdict": INVALID, "expected": step.get("verdict"), "error": e}
            continue
        v = verify(trusted, block, options, now, checker)
        if v.trusted is not None:
            trusted = v.trusted
        yield {"step": i, "verdict": v.kind, "expected": step.get("verdict"), "error": v.error,
               "checked": v.checked}


def bisection(doc, verify_fn=None, pivot=None):
    """Skipping verification as a bisection file describes it. Returns (ok, error, verified
    heights, fetched heights)."""
    opts = doc["trust_options"]
    tl = opts["trust_level"]
    blocks = {}
    for lb in doc["primary"]["lite_blocks"]:
        block = rpcjson.light_block_from_json(lb["signed_header"], lb["validator_set"],
                                              lb.get("next_validator_set"))
        blocks[block.signed_header.header.height] = block
    start = blocks[int(opts["height"])]
    if start.signed_header.header.hash() != rpcjson.hex_decode(opts["hash"]):
        raise LightClientError("trust_options_hash", "trusted header does not match the hash",
                               height=int(opts["height"]))
    trusted = TrustedState(start.signed_header.header, start.next_validators, start.validators)
    options = Options(int(opts["period"]), int(tl["numerator"]), int(tl["denominator"]))
    now = rpcjson.parse_rfc3339_ns(doc["now"])
    fetched = []

    def fetch(h):
        fetched.append(h)
        if h not in blocks:
            raise LightClientError("missing_block", "the primary has no block at this height",
                                   height=h)
        return blocks[h]

    kw = {} if pivot is None else {"pivot": pivot}
    try:
        _, verified, _ = verify_to_height(trusted, int(doc["height_to_verify"]), fetch, options,
                                          now, checker=CachingChecker(verify_fn), **kw)
    except LightClientError as e:
        return False, e, None, fetched
    return True, None, verified, fetched
