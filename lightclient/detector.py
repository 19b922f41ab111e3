# The attack detector (CometBFT light/detector.go, tendermint-rs light-client detector): a head
# verified from the primary is only adopted after a witness (another source) agrees on it.
# - Same header hash at that height: agreed.
# - Witness unreachable: try the next witness; if none answers, the result says "unchecked" (the
#   head is still verified, but status shows that no one cross-checked it).
# - Different hash: the witness's block is verified from the same trusted block. If it does not
#   verify, the witness lied: banned, next witness. If it verifies, two validly signed histories
#   exist, a light-client attack (or a fork): find where they diverge by walking the primary's
#   verification trace against the witness, build LightClientAttackEvidence against each side,
#   persist both, send each to the other side, record a halt and raise AttackDetected. The
#   client then refuses to sync until an operator clears the halt.

import time

from lightclient import evidence as ev
from lightclient.chip.core.errors import LightClientError, NotEnoughTrust, VerificationError
from lightclient.sources import NoSource
from lightclient.sync import verify_range


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
                deadline_s=3.0):
    """trace: the RawLightBlocks of the primary's verification, the trusted start first and
    the new head last. Returns a CrossCheck; raises AttackDetected."""
    head = trace[-1]
    start = trace[0]
    result = CrossCheck()
    tried = [primary_url]
    end = time.monotonic() + deadline_s
    while len([w for w in result.witnesses if w["result"] != "unreachable"]) < max_witnesses \
            and not result.agreed:
        left = end - time.monotonic()
        if left <= 0:
            break
        cands = pool.candidates(exclude=tried)
        if not cands:
            break
        w = cands[0]
        tried.append(w.url)
        cache = {}

        def fetch_w(h, w=w):
            if h not in cache:
                cache[h], _ = pool.race(lambda rpc: rpc.light_block(h), only=[w],
                                        deadline_s=max(0.2, end - time.monotonic()))
            return cache[h]

        try:
            wb = fetch_w(head.height)
        except NoSource:
            result.witnesses.append({"url": w.url, "result": "unreachable"})
            continue
        except LightClientError as e:  # malformed block: race already banned it
            result.witnesses.append({"url": w.url, "result": "banned", "check": e.check})
            continue
        if wb.light_block.signed_header.header.hash() == \
                head.light_block.signed_header.header.hash():
            result.witnesses.append({"url": w.url, "result": "agreed"})
            result.agreed = True
            break
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
    detected = int(time.time())
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
        try:
            r = pool.get(url).rpc.broadcast_evidence(evidence, timeout=2.0)
            doc["submitted"][url] = {"ok": True, "result": str(r)[:200]}
        except Exception as e:  # noqa: BLE001 - whatever a side does, the halt stands
            doc["submitted"][url] = {"ok": False, "error": str(e)[:200]}
    try:
        store.save_evidence(name, doc)
    except OSError:
        pass    # the evidence without the outcome and the halt are on disk already
    return AttackDetected("conflicting validly signed headers at height %d (primary %s, "
                          "witness %s): client halted" % (diverged_p.height, primary_url, w.url),
                          path, common_height=common.height, conflict_height=diverged_p.height,
                          primary=primary_url, witness=w.url)
