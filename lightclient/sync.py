# Sync: from the trusted light block to a target height with the core's skipping verification
# (verifier.verify_to_height), fetching through the source pool, banning whoever served a block
# that fails verification and retrying from the others.
#
# The pivot rule. CometBFT bisects at 9/16 of the distance whatever it learns. But a failed try
# tells us something: the target's commit names its signers, so we know exactly how much of the
# trusted validator set still signs at that distance (the overlap). Churn removes a steady
# fraction of the remaining trusted power, so the overlap decays exponentially with distance; we
# place the pivot where that curve, fitted to what was measured, still leaves a margin above the
# trust level (make_overlap_pivot). The estimate reads signer addresses only (no signature
# checks, nothing trusted from it): a wrong estimate costs one more light block, never safety,
# because every step is still verified by the core.

import math

from lightclient import native
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import NotEnoughTrust, Unavailable, VerificationError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import TrustedState, cometbft_pivot, verify_to_height

MAX_STEPS = 256
PIVOT_MARGIN = 0.1      # aim this far (as a fraction of the untrusted rest) above the trust level
PROBE_DIVISOR = 4         # first pivot when the target kept no trusted signer at all
STEP_TOLERANCE = 0.02     # failed overlaps this close at two distances: a step, not a decay
NOT_THE_SOURCES_FAULT = ("trusting_period_expired", "target_height", "bisection_steps")


class SyncError(Unavailable):
    """Sync could not reach the target with verified data (see check and details)."""


class SyncStats:
    def __init__(self, from_height, target_height):
        self.from_height = from_height
        self.target_height = target_height
        self.to_height = from_height
        self.light_blocks = 0        # light blocks fetched (all attempts)
        self.bytes = 0               # RPC bytes received during the sync
        self.sources = []            # URLs that served light blocks
        self.verified_heights = []
        self.fetched_heights = []
        self.banned = []             # [{"url", "check", "height"}]
        self.attempts = 0
        self.seconds = 0.0
        self.head_source = None      # URL that served the target block (the primary)

    def to_dict(self):
        return {"from_height": self.from_height, "target_height": self.target_height,
                "to_height": self.to_height, "light_blocks": self.light_blocks,
                "bytes": self.bytes, "sources": list(self.sources),
                "verified_heights": list(self.verified_heights),
                "fetched_heights": list(self.fetched_heights), "banned": list(self.banned),
                "attempts": self.attempts, "seconds": round(self.seconds, 4),
                "head_source": self.head_source}


def trusted_state_of(raw):
    """The core's TrustedState for a verified RawLightBlock. Like CometBFT's light client, the
    block's own validators vouch for skipping (its next validators are not fetched)."""
    lb = raw.light_block
    return TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)


def signer_overlap(trusted_validators, commit):
    """Fraction of the trusted set's power whose addresses appear as COMMIT votes in `commit`."""
    total = trusted_validators.total_power
    if total <= 0:
        return 0.0
    signed = 0
    for cs in commit.signatures:
        if cs.flag == T.BLOCK_ID_FLAG_COMMIT:
            found = trusted_validators.get(cs.validator_address)
            if found is not None:
                signed += found[1].voting_power
    return signed / total


def make_overlap_pivot(blocks, trust_num=1, trust_den=3, margin=None):
    """A pivot(t, h) for verify_to_height that reads the light blocks fetched so far (`blocks`:
    height -> LightBlock, including the trusted one).

    Validator churn removes a roughly constant FRACTION of the remaining trusted power per unit
    of time (validators leave and powers move independently of who is left), so the overlap of
    a trusted set with later signers decays exponentially: ov(d) = exp(-rate * d). Each pair of
    blocks with 0 < overlap < 1 measures the rate: the failed try (t, h) and the steps that
    verified. The pivot goes where the most pessimistic of the two latest rates still leaves
    `goal` (a margin above the trust level): d = ln(1 / goal) / rate. A linear model would aim
    too far when most trusted signers are gone and fail again. With no rate yet (no trusted
    signer left at h), it probes at 1/PROBE_DIVISOR of the distance: a short step that likely
    verifies and measures the rate, where CometBFT's 9/16 would fail again and again."""
    if margin is None:
        margin = PIVOT_MARGIN
    trust = trust_num / trust_den
    goal = trust + margin * (1 - trust)
    want = math.log(1.0 / goal)
    trail = []    # trusted heights seen, in order: consecutive ones are verified steps
    rates = []
    failed = []   # overlaps of the failed tries from the current trusted height

    def overlap(a, b):
        va = blocks[a].next_validators or blocks[a].validators
        return signer_overlap(va, blocks[b].signed_header.commit)

    def measure(a, b):
        if a < b and a in blocks and b in blocks:
            ov = overlap(a, b)
            if 0 < ov < 1:
                rates.append(-math.log(ov) / (b - a))
            return ov
        return None

    def pivot(t, h):
        if t not in blocks or h not in blocks or h - t < 2:
            return cometbft_pivot(t, h)
        if not trail or trail[-1] != t:
            if trail:
                measure(trail[-1], t)   # the step that just verified
            trail.append(t)
            failed.clear()
        ov = measure(t, h)
        # Two failed tries from t with the same (non-zero) overlap at different distances
        # contradict the decay model: the set changed at once (a staking change), somewhere
        # before the nearer one. The decay fit would creep towards it by a third each time;
        # bisect instead. (No overlap at all says nothing of the shape: the probe stays.)
        if ov:
            step = any(abs(ov - o) <= STEP_TOLERANCE for o in failed)
            failed.append(ov)
            if step:
                return cometbft_pivot(t, h)
        if not rates:
            return max(t + 1, min(h - 1, t + (h - t) // PROBE_DIVISOR))
        d = int(want / max(rates[-2:]))
        # The fit said h would verify, and it did not (e.g. the trusted signers left at a
        # staking change were absent from h's commit: overlap 0): clamping to h - 1 would creep
        # towards t one block at a time. The fit is wrong here: bisect.
        if t + d >= h:
            return cometbft_pivot(t, h)
        return max(t + 1, t + d)
    return pivot


def verify_range(trusted_raw, target_height, fetch_raw, options, now_ns, pivot="overlap",
                 checker=None, max_steps=MAX_STEPS):
    """Pure skipping verification over a fetch function (height -> RawLightBlock). Returns
    (new trusted RawLightBlock, [verified RawLightBlocks], [fetched heights])."""
    raws = {trusted_raw.height: trusted_raw}
    blocks = {trusted_raw.height: trusted_raw.light_block}

    def fetch(h):
        raw = fetch_raw(h)
        raws[h] = raw
        blocks[h] = raw.light_block
        return raw.light_block

    if pivot == "overlap":
        rule = make_overlap_pivot(blocks, options.trust_num, options.trust_den)
    elif pivot == "cometbft":
        rule = cometbft_pivot
    else:
        rule = pivot
    state, verified, fetched = verify_to_height(
        trusted_state_of(trusted_raw), target_height, fetch, options, now_ns, pivot=rule,
        checker=checker or CachingChecker(native.verify), max_steps=max_steps)
    return raws[target_height], [raws[h] for h in verified], fetched


def compare_pivots(trusted_raw, target_height, fetch_raw, options, now_ns):
    """Both rules on the same history, side by side: {"overlap": light blocks fetched,
    "cometbft": light blocks fetched} (the benchmark's sync13d figures)."""
    cache = {}

    def fetch(h):
        if h not in cache:
            cache[h] = fetch_raw(h)
        return cache[h]

    out = {}
    for rule in ("overlap", "cometbft"):
        _, _, fetched = verify_range(trusted_raw, target_height, fetch, options, now_ns, rule)
        out[rule] = len(fetched)
    return out


def sync_from_pool(pool, trusted_raw, target_height, options, now_ns, pivot="overlap",
                   progress=None, max_attempts=4, checker=None, until=None):
    """Verify from `trusted_raw` to `target_height` fetching from `pool`. A source whose block
    fails verification is banned (reason kept) and the sync restarts from the same trusted
    block without it. Returns (new trusted RawLightBlock, [verified RawLightBlocks], SyncStats)."""
    t0 = pool.clock.monotonic()
    stats = SyncStats(trusted_raw.height, target_height)
    bytes0 = pool.counters.snapshot()["bytes"]
    checker = checker or CachingChecker(native.verify)
    last_error = None
    for attempt in range(max_attempts):
        stats.attempts = attempt + 1
        served = {}

        def fetch(h):
            raw, src = pool.race(lambda rpc: rpc.light_block(h), until=until)
            served[h] = src
            stats.light_blocks += 1
            stats.fetched_heights.append(h)
            if src.url not in stats.sources:
                stats.sources.append(src.url)
            if progress is not None:
                progress({"fetched": stats.light_blocks, "height": h, "from": trusted_raw.height,
                          "target": target_height})
            return raw

        try:
            new, verified, _ = verify_range(trusted_raw, target_height, fetch, options, now_ns,
                                            pivot, checker)
        except (VerificationError, NotEnoughTrust) as e:
            if e.check in NOT_THE_SOURCES_FAULT:
                raise
            h = e.details.get("height", e.details.get("requested"))
            src = served.get(h)
            if src is None and stats.fetched_heights:
                src = served.get(stats.fetched_heights[-1])
            if src is None:
                raise
            e.details.setdefault("url", src.url)
            pool.ban(src, e)
            stats.banned.append({"url": src.url, "check": e.check, "height": h})
            last_error = e
            continue
        stats.to_height = new.height
        stats.head_source = served[target_height].url if target_height in served else None
        stats.verified_heights = [r.height for r in verified]
        stats.bytes = pool.counters.snapshot()["bytes"] - bytes0
        stats.seconds = pool.clock.monotonic() - t0
        return new, verified, stats
    raise SyncError("sync_failed", "every attempt met invalid data", attempts=max_attempts,
                    last=str(last_error)[:200])
