# Weak subjectivity. Once the trusted header is older than the trusting period, the validators
# that signed it may have unbonded and can sign anything without being punished: a chain served
# to us now can't be checked against what we trusted. So the device must not trust whatever it
# reaches first. It takes a fresh checkpoint from one of:
# - k of n independent sources agreeing: the same height and the same header hash, and that
#   header's commit carries >2/3 of the validator set it names (a forger must control k sources
#   and still sign like a full validator set);
# - a checkpoint signed by the device's owner (Ed25519 key from the config), format below and in
#   docs/client.md; the light block it names is then fetched from anyone and must hash to it.
#
# Owner checkpoint: {"checkpoint": {"chain_id", "hash" (hex, 32 bytes), "height", "time"
# (unix seconds, informative), "type": "mycroft-lc/checkpoint"}, "sig": hex(64)} where sig is
# Ed25519 by the owner key over txs.canonical_json(checkpoint).

import time

from lightclient import native
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import LightClientError, SignatureError, VerificationError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (header_validate_basic, is_header_from_past,
                                       verify_commit_full)

CHECKPOINT_TYPE = "mycroft-lc/checkpoint"


class RecoveryError(LightClientError):
    """No fresh checkpoint could be agreed on: the device stays on its cache (stale)."""


def checkpoint_body(chain_id, height, header_hash, time_s=0):
    return {"chain_id": chain_id, "hash": bytes(header_hash).hex().upper(), "height": int(height),
            "time": int(time_s), "type": CHECKPOINT_TYPE}


def sign_checkpoint(sign, chain_id, height, header_hash, time_s=0):
    """sign(message) -> 64-byte Ed25519 signature by the owner's key (txs.seed_signer(seed))."""
    body = checkpoint_body(chain_id, height, header_hash, time_s)
    return {"checkpoint": body, "sig": bytes(sign(txs.canonical_json(body))).hex()}


def verify_owner_checkpoint(doc, owner_pubkey, chain_id):
    """-> (height, header hash bytes); SignatureError / VerificationError otherwise."""
    if not isinstance(doc, dict) or not isinstance(doc.get("checkpoint"), dict):
        raise VerificationError("checkpoint_shape", "owner checkpoint must have a checkpoint")
    body = doc["checkpoint"]
    if body.get("type") != CHECKPOINT_TYPE or body.get("chain_id") != chain_id:
        raise VerificationError("checkpoint_chain", "checkpoint type or chain id is wrong")
    h = body.get("height")
    if not isinstance(h, int) or isinstance(h, bool) or h <= 0:
        raise VerificationError("checkpoint_height", "bad checkpoint height")
    try:
        hh = bytes.fromhex(body.get("hash", ""))
        sig = bytes.fromhex(doc.get("sig", ""))
    except (ValueError, TypeError):
        raise VerificationError("checkpoint_hex", "hash or sig is not hex")
    if len(hh) != 32 or len(sig) != 64:
        raise VerificationError("checkpoint_hex", "hash or sig has the wrong length")
    if not owner_pubkey or len(owner_pubkey) != 32:
        raise SignatureError("owner_key", "no owner key configured")
    if not ed25519.verify(owner_pubkey, txs.canonical_json(body), sig):
        raise SignatureError("checkpoint_signature", "owner signature does not verify")
    return h, hh


def check_self_signed(raw, chain_id, now_ns, clock_drift_ns, checker=None):
    """A light block standing on its own: well formed, for our chain, not from the future, its
    validators match its header and >2/3 of them signed it. (Not proof it is the canonical
    chain, which is why k sources must agree or the owner must vouch.)"""
    lb = raw.light_block
    header = lb.signed_header.header
    header_validate_basic(header, chain_id)
    is_header_from_past(header, clock_drift_ns, now_ns)
    verify_commit_full(chain_id, lb.signed_header, lb.validators,
                       checker or CachingChecker(native.verify))
    return header.hash()


def recover_k_of_n(pool, chain_id, k, now_ns, clock_drift_ns, deadline_s=5.0):
    """A fresh trusted light block agreed by k independent sources. Returns (RawLightBlock,
    info dict)."""
    t0 = time.monotonic()
    statuses = pool.ask_all(lambda rpc: rpc.status(), deadline_s=min(2.0, deadline_s),
                            enough=None)
    heights = sorted((st["latest_height"] for _, st in statuses), reverse=True)
    if len(heights) < k:
        raise RecoveryError("ws_not_enough_sources", "fewer sources answered than needed",
                            answered=len(heights), k=k)
    height = heights[k - 1]  # at least k sources have this height
    left = max(0.5, deadline_s - (time.monotonic() - t0))
    answers = pool.ask_all(lambda rpc: rpc.light_block(height), deadline_s=left)
    groups = {}
    checker = CachingChecker(native.verify)
    rejected = []
    for src, raw in answers:
        try:
            h = check_self_signed(raw, chain_id, now_ns, clock_drift_ns, checker)
        except LightClientError as e:
            pool.ban(src, e)
            rejected.append({"url": src.url, "check": e.check})
            continue
        groups.setdefault(h, []).append((src, raw))
    best = max(groups.values(), key=len) if groups else []
    info = {"height": height, "k": k, "asked": len(statuses), "answers": len(answers),
            "groups": {h.hex().upper(): [s.url for s, _ in g] for h, g in groups.items()},
            "rejected": rejected, "seconds": round(time.monotonic() - t0, 4)}
    if len(best) < k or sum(1 for g in groups.values() if len(g) >= k) != 1:
        raise RecoveryError("ws_no_agreement", "no header hash agreed by k sources", **{
            "k": k, "height": height, "largest_group": len(best)})
    info["agreed_by"] = [s.url for s, _ in best]
    return best[0][1], info


def recover_owner(pool, doc, owner_pubkey, chain_id, now_ns, clock_drift_ns):
    """A fresh trusted light block named by the owner's signed checkpoint."""
    height, want = verify_owner_checkpoint(doc, owner_pubkey, chain_id)

    def accept(raw, src):
        h = check_self_signed(raw, chain_id, now_ns, clock_drift_ns)
        if h != want:
            raise VerificationError("checkpoint_hash", "block does not match the owner's "
                                    "checkpoint", height=height)

    raw, src = pool.race(lambda rpc: rpc.light_block(height), accept=accept)
    return raw, {"height": height, "source": src.url, "by": "owner"}
