# The attack detector (CometBFT light/detector.go, tendermint-rs light-client detector): a head
# verified from the primary is only adopted after a witness (another source) agrees on it.
# - Same header hash at that height: agreed.
# - The witnesses are asked hedged (the pool's race over every witness): the first to answer by
#   `answer_by` counts, so a blackholed witness costs that budget, not a request timeout. If
#   none answers in time, the result is `agreed: false` (the head is still verified; the
#   answer and status show that no one cross-checked it).
# - Different hash: the witness's block is verified from the same trusted block. If it does not
#   verify, the witness lied: banned, next witness. If it verifies, two validly signed histories
#   exist, a light-client attack (or a fork): find where they diverge by walking the primary's
#   verification trace against the witness, build LightClientAttackEvidence against each side,
#   persist both, send each to the other side, record a halt and raise AttackDetected. The
#   client then refuses to sync until an operator clears the halt.

import base64
import time

from lightclient import evidence as ev
from lightclient.chip.core import rpcjson
from lightclient.chip.core.errors import LightClientError, NotEnoughTrust, VerificationError
from lightclient.sources import NoSource
from lightclient.sync import verify_range

ANSWER_S = 0.5   # how long the witnesses get to answer for the new head (hedged among them)
# A CometBFT node checks evidence against its commit at the conflicting height, which it only
# has once the next block is committed: when the conflict is at its head, it refuses ("don't
# have commit at height"). A refused submission is made again once the node's head has passed
# that height, within this long.
RESUBMIT_WITHIN_S = 5.0


class AttackDetected(LightClientError):
    """Two validly signed, conflicting headers: evidence written to `evidence_path`; the client
    is halted until an operator clears it (`mycroft-lc status` shows it)."""

    def __init__(self, message, evidence_path, **details):
        super().__init__("light_client_attack", message, evidence_path=evidence_path, **details)
        self.evidence_path = evidence_path


class CrossCheck:
    def __init__(self):
        self.witnesses = []      # [{"url", "result": agreed|unreachable|banned}]
        self.agreed = False

    def to_dict(self):
        return {"agreed": self.agreed, "witnesses": list(self.witnesses)}


def cross_check(pool, primary_url, trace, options, now_ns, store, max_witnesses=2,
                answer_by=None, until=None):
    """trace: the RawLightBlocks of the primary's verification, the trusted start first and
    the new head last. Witnesses must answer for the head by `answer_by` (monotonic; default
    ANSWER_S from now); a conflict's own checks may take until `until`. Returns a CrossCheck;
    raises AttackDetected."""
    mono = pool.clock.monotonic
    if answer_by is None:
        answer_by = mono() + ANSWER_S
    if until is None:
        until = max(answer_by, mono() + pool.timeout)
    head = trace[-1]
    start = trace[0]
    result = CrossCheck()
    tried = [primary_url]
    while len([w for w in result.witnesses if w["result"] != "unreachable"]) < max_witnesses \
            and not result.agreed and mono() < answer_by:
        cands = pool.candidates(exclude=tried)
        if not cands:
            break
        # The header alone first (/header, not /commit: a third of a light block's bytes):
        # agreement needs only its hash; the witness's commit and validators matter only for a
        # conflict.
        try:
            wh, w = pool.race(lambda rpc: rpcjson.header_from_json(rpc.header(head.height)),
                              only=cands, until=answer_by)
        except NoSource as e:   # none answered in time, or only with malformed blocks
            now = mono()
            for url in e.details.get("asked", [s.url for s in cands[:1]]):
                src = pool.get(url)
                banned = src is not None and src.banned(now)
                result.witnesses.append({"url": url,
                                         "result": "banned" if banned else "unreachable"})
            break
        tried.append(w.url)
        if wh.hash() == head.light_block.signed_header.header.hash():
            result.witnesses.append({"url": w.url, "result": "agreed"})
            result.agreed = True
            break
        cache = {}

        def fetch_w(h, w=w, cache=cache):
            if h not in cache:
                cache[h], _ = pool.race(lambda rpc: rpc.light_block(h), only=[w],
                                        deadline_s=max(0.2, until - mono()))
            return cache[h]

        # Conflict: does the witness's header verify from our trusted start?
        try:
            verify_range(start, head.height, fetch_w, options, now_ns)
        except (VerificationError, NotEnoughTrust) as e:
            if e.check in ("trusting_period_expired",):
                raise
            pool.ban(w, VerificationError("witness_invalid_conflict",
                                          "witness served a conflicting header that does not "
                                          "verify: " + e.check, height=head.height))
            result.witnesses.append({"url": w.url, "result": "banned", "check": e.check})
            continue
        except NoSource:
            result.witnesses.append({"url": w.url, "result": "unreachable"})
            continue
        raise _attack(pool, primary_url, w, trace, fetch_w, store)
    return result


def _attack(pool, primary_url, w, trace, fetch_w, store):
    """Both histories verify: locate the divergence on the primary's trace, then evidence."""
    common = trace[0]
    diverged_p = trace[-1]
    for raw in trace[1:]:
        try:
            wraw = fetch_w(raw.height)
        except LightClientError:
            break
        if wraw.light_block.signed_header.header.hash() != \
                raw.light_block.signed_header.header.hash():
            diverged_p = raw
            break
        common = raw
    diverged_w = fetch_w(diverged_p.height)
    against_primary = ev.attack_evidence(diverged_p, diverged_w, common)
    against_witness = ev.attack_evidence(diverged_w, diverged_p, common)
    detected = int(pool.clock.wall())
    name = "attack-%d-%d.json" % (diverged_p.height, detected)
    doc = {"detected_at_unix": detected, "primary": primary_url, "witness": w.url,
           "common_height": common.height, "conflict_height": diverged_p.height,
           "primary_hash": diverged_p.light_block.signed_header.header.hash().hex().upper(),
           "witness_hash": diverged_w.light_block.signed_header.header.hash().hex().upper(),
           "against_primary": against_primary, "against_witness": against_witness,
           "submitted": {}}
    # Evidence and halt on disk before any network call: what a side answers to the submission
    # (or a power cut meanwhile) must not be able to undo the halt.
    path = store.save_evidence(name, doc)
    store.set_halt({"reason": "light client attack", "evidence_path": path,
                    "common_height": common.height, "conflict_height": diverged_p.height,
                    "primary": primary_url, "witness": w.url})
    # Each side gets the evidence against the other (CometBFT's detector); we can't tell which
    # one is honest, the chain can.
    for url, evidence in ((w.url, against_primary), (primary_url, against_witness)):
        doc["submitted"][url] = _submit(pool.get(url).rpc, evidence, diverged_p.height,
                                        pool.clock.monotonic)
    try:
        store.save_evidence(name, doc)
    except OSError:
        pass    # the evidence without the outcome and the halt are on disk already
    return AttackDetected("conflicting validly signed headers at height %d (primary %s, "
                          "witness %s): client halted" % (diverged_p.height, primary_url, w.url),
                          path, common_height=common.height, conflict_height=diverged_p.height,
                          primary=primary_url, witness=w.url)


def _submit(rpc, evidence, conflict_height, monotonic, sleep=time.sleep):
    """broadcast_evidence; if the node refuses it, once more after its head passed the
    conflicting height. -> {"ok", "hash" (hex, as the node answered) | "error", "attempts"}."""
    deadline = monotonic() + RESUBMIT_WITHIN_S
    out = _broadcast(rpc, evidence, 1)
    if not out["ok"] and _head_passes(rpc, conflict_height, deadline, monotonic, sleep):
        out = _broadcast(rpc, evidence, 2)
    return out


def _broadcast(rpc, evidence, attempt):
    try:
        r = rpc.broadcast_evidence(evidence, timeout=2.0)
        return {"ok": True, "hash": _answered_hash(r), "attempts": attempt}
    except Exception as e:  # noqa: BLE001 - whatever a side does, the halt stands
        return {"ok": False, "error": str(e)[:200], "attempts": attempt}


def _answered_hash(result):
    """The evidence hash a node answered: base64 from CometBFT, hex from the Python network."""
    h = result.get("hash") if isinstance(result, dict) else None
    if not isinstance(h, str) or len(h) > 100:
        return None
    try:
        raw = bytes.fromhex(h) if len(h) == 64 else base64.b64decode(h, validate=True)
    except ValueError:
        return None
    return raw.hex().upper() if len(raw) == 32 else None


def _head_passes(rpc, height, deadline, monotonic, sleep):
    """Waits (polling /status) until the node's head is above `height`; False if it is not by
    the deadline or the node does not answer."""
    while monotonic() < deadline:
        try:
            if rpc.status(timeout=1.0)["latest_height"] > height:
                return True
        except LightClientError:
            return False
        sleep(0.2)
    return False
