# Sync: from the trusted light block to a target height with the core's skipping verification
# (verifier.verify_step, bisecting as verifier.verify_to_height does), fetching through the
# source pool, banning whoever served a block that fails verification and retrying from the
# others.
#
# The pivot rule. CometBFT bisects at 9/16 of the distance whatever it learns. But a failed try
# tells us something: the target's commit names its signers, so we know exactly how much of the
# trusted validator set still signs at that distance (the overlap). Churn removes a steady
# fraction of the remaining trusted power, so the overlap decays exponentially with distance; we
# place the pivot where that curve, fitted to what was measured, still leaves a margin above the
# trust level (make_overlap_pivot). The estimate reads signer addresses only (no signature
# checks, nothing trusted from it): a wrong estimate costs one more light block, never safety,
# because every step is still verified by the core.
#
# Validator sets on demand (verify_lazily). A probe's commit alone says whether the trusted set
# vouches for it (the trust tally reads the trusted set's keys, not the probe's own set), so its
# /validators (about a third of a light block) is fetched only once the tally passes. After each
# verified step the farthest block already held is tried first: a probe that failed earlier and
# is now jumped over never costs its validator set.

import math

from lightclient import native
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import InvalidData, NotEnoughTrust, Unavailable, \
    VerificationError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (TrustedState, cometbft_pivot, commit_validate_basic,
                                            header_matches_commit, header_validate_basic,
                                            is_header_from_past, is_monotonic,
                                            is_within_trust_period,
                                            tally_trust_level, validator_sets_match, verify_step)
from lightclient.chip.core import rpcjson
from lightclient.rpc import RawLightBlock
from lightclient.sources import NoSource

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
        self.light_blocks = 0        # signed headers fetched (all attempts)
        self.validator_sets = 0      # their validator sets fetched: only for blocks tried in full
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
                "validator_sets": self.validator_sets,
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
    """A pivot(t, h) for the bisection that reads the light blocks fetched so far (`blocks`:
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


def trust_precheck(trusted, signed_header, options, now_ns, checker):
    """Does the trusted state vouch for `signed_header` (more than the trust level of its power
    signed it)? What can be checked without the block's own validator set: the header's and the
    commit's basic checks, the commit for this header, then the trust tally (which fails before
    any signature check when the signers' power falls short). Raises NotEnoughTrust or
    VerificationError. An adjacent block needs no tally: the full step decides."""
    header, commit = signed_header.header, signed_header.commit
    if header.height == trusted.header.height + 1:
        return
    # verifier.check_structure's order, without the checks of the block's own validator set
    is_within_trust_period(trusted.header, options.trusting_period_ns, now_ns)
    header_validate_basic(header, trusted.header.chain_id)
    is_header_from_past(header, options.clock_drift_ns, now_ns)
    is_monotonic(trusted.header, header)
    commit_validate_basic(commit)
    header_matches_commit(header, header.hash(), commit)
    tally_trust_level(trusted.header.chain_id, commit, trusted.vouching_set(), options.trust_num,
                      options.trust_den, checker)


def _pivot_rule(pivot, blocks, options):
    if pivot == "overlap":
        return make_overlap_pivot(blocks, options.trust_num, options.trust_den)
    if pivot == "cometbft":
        return cometbft_pivot
    return pivot


def verify_lazily(trusted_raw, target_height, fetch_header, fetch_validators, options, now_ns,
                  pivot="overlap", checker=None, max_steps=MAX_STEPS):
    """Skipping verification from `trusted_raw` to `target_height` (pure: the I/O is handed in).
    fetch_header(h) -> (SignedHeader, its JSON); fetch_validators(h, header) -> (ValidatorSet,
    its JSON), asked only for a block whose commit the trusted state vouches for. Each try goes
    to the farthest held block the trusted state reaches; when none does, a new probe at
    pivot(trusted height, nearest held height). Returns (new trusted RawLightBlock, [verified
    RawLightBlocks], [heights whose header was fetched], [heights whose validators were])."""
    checker = checker or CachingChecker(native.verify)
    if target_height <= trusted_raw.height:
        raise VerificationError("target_height", "target is not above the trusted height",
                                target=target_height, trusted_height=trusted_raw.height)
    blocks = {trusted_raw.height: trusted_raw.light_block}   # what the pivot rule reads
    rule = _pivot_rule(pivot, blocks, options)
    state, last = trusted_state_of(trusted_raw), trusted_raw
    headers = {}        # height -> (SignedHeader, JSON): held, not verified
    held = []           # their heights, farthest first
    verified, fetched, with_validators = [], [], []
    h, steps = target_height, 0
    while True:
        steps += 1
        if steps > max_steps:
            raise VerificationError("bisection_steps", "too many bisection steps",
                                    limit=max_steps, target=target_height)
        sh, sh_json = fetch_header(h)
        fetched.append(h)
        if sh.header.height != h:
            raise VerificationError("fetched_height", "source returned another height",
                                    requested=h, got=sh.header.height)
        headers[h] = (sh, sh_json)
        blocks[h] = T.LightBlock(sh, None)
        held.append(h)
        short = None
        while held:
            reach = None
            for x in held:
                try:
                    trust_precheck(state, headers[x][0], options, now_ns, checker)
                except NotEnoughTrust as e:
                    short = e
                    continue
                reach = x
                break
            if reach is None:
                break
            sh, sh_json = headers[reach]
            vals, vals_json = fetch_validators(reach, sh.header)
            with_validators.append(reach)
            lb = T.LightBlock(sh, vals)
            state = verify_step(state, lb, options, now_ns, checker)
            blocks[reach] = lb
            last = RawLightBlock(lb, sh_json, vals_json)
            verified.append(last)
            held = [x for x in held if x > reach]
        if not held:
            return last, verified, fetched, with_validators
        t, n = state.header.height, held[-1]
        h = rule(t, n)
        if not t < h < n:
            h = (t + n) // 2   # a pivot rule must land strictly between; halve otherwise
        if not t < h < n:       # not reached: an adjacent block always gets its full step
            raise short or VerificationError("bisection_steps", "no height left to probe",
                                             trusted_height=t, height=n)


def verify_range(trusted_raw, target_height, fetch_raw, options, now_ns, pivot="overlap",
                 checker=None, max_steps=MAX_STEPS):
    """verify_lazily over a fetch function of whole light blocks (height -> RawLightBlock).
    Returns (new trusted RawLightBlock, [verified RawLightBlocks], [fetched heights])."""
    raws = {}

    def header(h):
        raws[h] = fetch_raw(h)
        return raws[h].light_block.signed_header, raws[h].signed_header_json

    def validators(h, _header):
        return raws[h].light_block.validators, raws[h].validators_json

    new, verified, fetched, _ = verify_lazily(trusted_raw, target_height, header, validators,
                                              options, now_ns, pivot, checker, max_steps)
    return new, verified, fetched


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

        def note(h, src):
            served[h] = src
            if src.url not in stats.sources:
                stats.sources.append(src.url)

        def fetch_header(h):
            (sh, sh_json), src = pool.race(lambda rpc: _signed_header(rpc, h), until=until)
            note(h, src)
            stats.light_blocks += 1
            stats.fetched_heights.append(h)
            if progress is not None:
                progress({"fetched": stats.light_blocks, "height": h, "from": trusted_raw.height,
                          "target": target_height})
            return sh, sh_json

        def fetch_validators(h, header):
            stats.validator_sets += 1
            return _validators_for(pool, h, header, served, note, until)

        try:
            new, verified, _, _ = verify_lazily(trusted_raw, target_height, fetch_header,
                                                fetch_validators, options, now_ns, pivot, checker)
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
            if not src.banned(pool.monotonic()):    # the pool may have banned it already
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


def _parsed(rpc, decode, doc):
    """(decode(doc), doc); a decoding error names the source that served `doc`."""
    try:
        return decode(doc), doc
    except InvalidData as e:
        e.details["url"] = rpc.url
        raise


def _signed_header(rpc, h):
    return _parsed(rpc, rpcjson.signed_header_from_json, rpc.signed_header(h))


def _validators_for(pool, h, header, served, note, until):
    """The validator set at `h` for `header`, from the source that served the header: a set
    that does not hash to its own header's validators_hash bans it (the pool's accept). When
    that source cannot answer, a whole light block from the others replaces the held header
    (served[h] follows, so a failure is blamed on whoever served what failed)."""
    def parse(rpc):
        return _parsed(rpc, rpcjson.validator_set_from_json, rpc.validators(h))

    def matches(value, _src):
        validator_sets_match(value[0], header.validators_hash, h, "validators")

    try:
        value, _ = pool.race(parse, accept=matches, only=[served[h]], until=until)
        return value
    except NoSource:
        if served[h].banned(pool.monotonic()):      # it lied: the attempt restarts without it
            reason = served[h].ban_reason or {}
            raise VerificationError(reason.get("check", "validators_refused"),
                                    "the validator set served with the header was refused",
                                    height=h, url=served[h].url)
    served_first = served[h].url
    raw, src = pool.race(lambda rpc: rpc.light_block(h), exclude=[served[h]], until=until)
    note(h, src)
    lb = raw.light_block
    if lb.signed_header.header.hash() != header.hash():
        # one of the two lies and nothing says which: no ban, this sync attempt ends
        raise SyncError("header_changed", "two sources served different headers at one height",
                        height=h, first=served_first, then=src.url)
    return lb.validators, raw.validators_json
