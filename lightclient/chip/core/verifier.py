# The CometBFT light-client verifier: pure functions over decoded light blocks. Time is an
# argument (int nanoseconds since the Unix epoch); nothing here reads a clock, a file or a socket.
#
# Every rule is one named predicate that raises a typed error naming the rule and the values
# involved. verify_step() runs them in a fixed order: all structural checks (cheap, no signature)
# first, then the trust-level tally against the trusted validators (skipping only), then the 2/3
# tally of the new validators. Tallies visit signers in descending voting power, stop as soon as
# the threshold is passed, and share one CachingChecker so no signature is verified twice.
#
# The rules follow CometBFT light/verifier.go and types/validation.go (VerifyCommitLight,
# VerifyCommitLightTrusting); the step structure follows tendermint-rs's light-client-verifier.

from lightclient.chip.core import types
from lightclient.chip.core import votes
from lightclient.chip.core.errors import LightClientError, NotEnoughTrust, Tally, VerificationError
from lightclient.chip.core.signatures import CachingChecker

SUCCESS = "SUCCESS"
NOT_ENOUGH_TRUST = "NOT_ENOUGH_TRUST"
INVALID = "INVALID"

SECOND = 1000000000
BLOCK_PROTOCOL = 11          # version.Block of the headers we verify (CometBFT 0.34 .. 1.x)
MAX_CHAIN_ID_LEN = 50
MAX_SIGNATURE_SIZE = 64


class Options:
    """Trust level num/den in [1/3, 1] (default 1/3), trusting period, maximum clock drift."""

    def __init__(self, trusting_period_ns, trust_num=1, trust_den=3, clock_drift_ns=10 * SECOND):
        if trust_den <= 0 or 3 * trust_num < trust_den or trust_num > trust_den:
            raise VerificationError("trust_level", "trust level must be within [1/3, 1]",
                                    numerator=trust_num, denominator=trust_den)
        if trusting_period_ns <= 0:
            raise VerificationError("trusting_period", "trusting period must be positive",
                                    trusting_period_ns=trusting_period_ns)
        if clock_drift_ns < 0:
            raise VerificationError("clock_drift", "clock drift must not be negative",
                                    clock_drift_ns=clock_drift_ns)
        self.trusting_period_ns = trusting_period_ns
        self.trust_num = trust_num
        self.trust_den = trust_den
        self.clock_drift_ns = clock_drift_ns


class TrustedState:
    """What the client already trusts: a verified header and the validator set that vouches for
    the next headers (the header's next validators, or its own validators when only those are
    known: CometBFT's light client uses the latter for skipping, tendermint-rs the former)."""

    def __init__(self, header, next_validators=None, validators=None, header_hash=None):
        if next_validators is None and validators is None:
            raise VerificationError("trusted_validators", "a trusted state needs a validator set",
                                    height=header.height)
        self.header = header
        self.next_validators = next_validators
        self.validators = validators
        self.header_hash = header_hash  # header.hash() when known (verified, or stored)

    def vouching_set(self):
        return self.next_validators if self.next_validators is not None else self.validators


class Verdict:
    """SUCCESS, NOT_ENOUGH_TRUST (bisect further) or INVALID, with the error that decided it."""

    def __init__(self, kind, error=None, checked=0, trusted=None):
        self.kind = kind
        self.error = error
        self.checked = checked  # signatures verified for this verdict
        self.trusted = trusted  # the new TrustedState, on SUCCESS

    def __repr__(self):
        return "Verdict(%s%s)" % (self.kind, ", " + str(self.error) if self.error else "")


# --- predicates: structural, no signatures ----------------------------------------------------

def is_within_trust_period(trusted_header, trusting_period_ns, now_ns):
    expires = trusted_header.time_ns + trusting_period_ns
    if expires <= now_ns:
        raise VerificationError("trusting_period_expired",
                                "the trusted header is older than the trusting period",
                                height=trusted_header.height, expires_ns=expires, now_ns=now_ns)


def is_header_from_past(header, clock_drift_ns, now_ns):
    if header.time_ns >= now_ns + clock_drift_ns:
        raise VerificationError("header_from_future", "header time is past now + clock drift",
                                height=header.height, time_ns=header.time_ns, now_ns=now_ns,
                                clock_drift_ns=clock_drift_ns)


def _hash_ok(name, value, height, exact=32):
    if len(value) not in (0, exact):
        raise VerificationError("header_field_length", "hash field has the wrong length",
                                field=name, length=len(value), height=height)


def header_validate_basic(header, chain_id):
    """CometBFT Header.ValidateBasic, plus the chain id of the trusted header."""
    h = header.height
    if header.version_block != BLOCK_PROTOCOL:
        raise VerificationError("header_version", "unsupported block protocol version",
                                height=h, version=header.version_block, expected=BLOCK_PROTOCOL)
    if header.chain_id != chain_id:
        raise VerificationError("chain_id", "header is for another chain", height=h,
                                chain_id=header.chain_id, expected=chain_id)
    if len(header.chain_id) > MAX_CHAIN_ID_LEN:
        raise VerificationError("chain_id", "chain id too long", height=h)
    if h <= 0:
        raise VerificationError("header_height", "height must be positive", height=h)
    lb = header.last_block_id
    if lb is not None:
        _hash_ok("last_block_id.hash", lb.hash, h)
        _hash_ok("last_block_id.part_set_hash", lb.part_set_hash, h)
        if lb.part_set_total < 0:
            raise VerificationError("header_last_block_id", "negative part set total", height=h)
    for name in ("last_commit_hash", "data_hash", "evidence_hash", "validators_hash",
                 "next_validators_hash", "consensus_hash", "last_results_hash"):
        _hash_ok(name, getattr(header, name), h)
    if len(header.proposer_address) != 20:
        raise VerificationError("proposer_address", "proposer address must be 20 bytes",
                                height=h, length=len(header.proposer_address))
    if not header.validators_hash:
        raise VerificationError("validators_hash", "header has no validators hash", height=h)


def commit_validate_basic(commit):
    """CometBFT Commit.ValidateBasic and CommitSig.ValidateBasic."""
    h = commit.height
    if h <= 0 or commit.round < 0:
        raise VerificationError("commit_height_round", "commit height / round out of range",
                                height=h, round=commit.round)
    if commit.block_id is None or commit.block_id.is_zero():
        raise VerificationError("commit_block_id", "commit is for a nil block", height=h)
    n = commit.size()
    if not n:
        raise VerificationError("commit_empty", "commit has no signatures", height=h)
    for i in range(n):
        flag = commit.flag_at(i)
        if flag == types.BLOCK_ID_FLAG_ABSENT:
            # An absent vote's timestamp is neither signed nor used here; peers disagree on its
            # "zero" (Go's year 1 vs tendermint-rs's Unix epoch), so only address and signature
            # must be empty.
            if commit.address_at(i) or commit.signature_at(i):
                raise VerificationError("commit_sig_absent", "absent vote carries data",
                                        height=h, index=i)
        elif flag == types.BLOCK_ID_FLAG_COMMIT or flag == types.BLOCK_ID_FLAG_NIL:
            if len(commit.address_at(i)) != 20:
                raise VerificationError("commit_sig_address", "validator address must be 20 bytes",
                                        height=h, index=i)
            sig = commit.signature_at(i)
            if not sig or len(sig) > MAX_SIGNATURE_SIZE:
                raise VerificationError("commit_sig_size", "signature missing or too large",
                                        height=h, index=i, length=len(sig))
            sig = None
        else:
            raise VerificationError("commit_sig_flag", "unknown block id flag", height=h,
                                    index=i, flag=flag)


def validator_sets_match(validators, expected_hash, height, which):
    got = validators.hash()
    if got != expected_hash:
        raise VerificationError(which + "_hash_mismatch",
                                "validator set does not hash to the header's " + which + "_hash",
                                height=height, expected=expected_hash, got=got)


def header_matches_commit(header, header_hash, commit):
    if commit.height != header.height:
        raise VerificationError("commit_height", "commit is for another height",
                                height=header.height, commit_height=commit.height)
    if commit.block_id.hash != header_hash:
        raise VerificationError("header_commit_mismatch", "commit signs another block",
                                height=header.height, header_hash=header_hash,
                                commit_block_hash=commit.block_id.hash)


def is_monotonic(trusted_header, header):
    if header.height <= trusted_header.height:
        raise VerificationError("non_monotonic_height", "header height is not above trusted",
                                height=header.height, trusted_height=trusted_header.height)
    if header.time_ns <= trusted_header.time_ns:
        raise VerificationError("non_monotonic_time", "header time is not after trusted",
                                height=header.height, time_ns=header.time_ns,
                                trusted_time_ns=trusted_header.time_ns)


def valid_next_validator_set(trusted_header, header):
    if header.validators_hash != trusted_header.next_validators_hash:
        raise VerificationError("next_validators_mismatch",
                                "adjacent header's validators are not the trusted next validators",
                                height=header.height, expected=trusted_header.next_validators_hash,
                                got=header.validators_hash)


def commit_signers_match(commit, validators):
    """VerifyCommitLight looks signers up by index: the commit must have one entry per validator
    and each non-absent entry must name the validator at its index."""
    n = commit.size()
    if n != len(validators):
        raise VerificationError("commit_signature_count",
                                "commit and validator set differ in length", height=commit.height,
                                signatures=n, validators=len(validators))
    for i in range(n):
        if commit.flag_at(i) != types.BLOCK_ID_FLAG_ABSENT:
            address = commit.address_at(i)
            if address != validators.address_at(i):
                raise VerificationError("commit_signer_mismatch",
                                        "signature's validator is not the validator at its index",
                                        height=commit.height, index=i, address=address)


# --- tallies: the only place signatures are checked -------------------------------------------

def _by_power(c):
    return (-c[0], c[1])


def _check_signature(checker, commit, builder, i, vset, j):
    """The vote at commit index i, by validator j of `vset`, must verify."""
    key_type, pub_key = vset.key_at(j)
    if not checker.check(key_type, pub_key, builder.for_index(i), commit.signature_at(i)):
        raise VerificationError("invalid_signature", "a commit signature does not verify",
                                height=commit.height, index=i, validator=vset.address_at(j))


def _short_of_two_thirds(commit, tally):
    raise VerificationError("insufficient_signatures",
                            "validators behind the commit have 2/3 of the power or less",
                            height=commit.height, **tally.to_details())


def _tally(commit, candidates, vset, tally, checker, on_short, builder):
    """candidates: list of (power, commit index, index in vset); `tally`: a Tally whose `signed`
    is the power all candidates hold. Verifies in descending power until the tallied power
    exceeds the threshold. If even all candidates can't pass, fails before any check."""
    if not tally.passed():
        on_short(commit, tally)
    candidates.sort(key=_by_power)
    tallied = 0
    for power, i, j in candidates:
        _check_signature(checker, commit, builder, i, vset, j)
        tallied += power
        if tallied > tally.needed:
            return tallied
    on_short(commit, tally)  # not reached: the sum check above guarantees passing


def _not_enough_trust(commit, tally):
    raise NotEnoughTrust(tally, height=commit.height)


def tally_trust_level(chain_id, commit, trusted_validators, num, den, checker, builder=None):
    """VerifyCommitLightTrusting: more than num/den of the trusted power signed this commit.
    Signers unknown to the trusted set are skipped; one trusted validator signing twice is an
    error. Raises NotEnoughTrust (bisect) when the tally falls short."""
    total = trusted_validators.total_power
    seen = {}
    candidates = []
    for i in range(commit.size()):
        if commit.flag_at(i) != types.BLOCK_ID_FLAG_COMMIT:
            continue
        idx = trusted_validators.index_of(commit.address_at(i))
        if idx is None:
            continue
        if idx in seen:
            raise VerificationError("duplicate_signer", "a validator signed the commit twice",
                                    height=commit.height,
                                    validator=trusted_validators.address_at(idx),
                                    first_index=seen[idx], index=i)
        seen[idx] = i
        candidates.append((trusted_validators.power_at(idx), i, idx))
    tally = Tally(sum(c[0] for c in candidates), total * num // den, total, num, den)
    if builder is None:
        builder = votes.SignBytesBuilder(chain_id, commit)
    return _tally(commit, candidates, trusted_validators, tally, checker, _not_enough_trust,
                  builder)


def tally_two_thirds(chain_id, commit, validators, checker, builder=None):
    """VerifyCommitLight: more than 2/3 of the commit's own validator set signed the block."""
    total = validators.total_power
    candidates = []
    for i in range(commit.size()):
        if commit.flag_at(i) == types.BLOCK_ID_FLAG_COMMIT:
            candidates.append((validators.power_at(i), i, i))
    tally = Tally(sum(c[0] for c in candidates), total * 2 // 3, total, 2, 3)
    if builder is None:
        builder = votes.SignBytesBuilder(chain_id, commit)
    return _tally(commit, candidates, validators, tally, checker, _short_of_two_thirds, builder)


def verify_commit_full(chain_id, signed_header, validators, checker):
    """CometBFT VerifyCommit, for auditing one recorded commit: the structural checks, then every
    signature present (commit and nil votes) must verify, and the commit votes must carry more
    than 2/3 of the power. Returns (signed_power, total_power, signatures_checked)."""
    header = signed_header.header
    commit = signed_header.commit
    header_validate_basic(header, chain_id)
    validator_sets_match(validators, header.validators_hash, header.height, "validators")
    commit_validate_basic(commit)
    header_matches_commit(header, header.hash(), commit)
    commit_signers_match(commit, validators)
    builder = votes.SignBytesBuilder(chain_id, commit)
    signed = 0
    checked = 0
    for i in range(commit.size()):
        flag = commit.flag_at(i)
        if flag == types.BLOCK_ID_FLAG_ABSENT:
            continue
        checked += 1
        _check_signature(checker, commit, builder, i, validators, i)
        if flag == types.BLOCK_ID_FLAG_COMMIT:
            signed += validators.power_at(i)
    total = validators.total_power
    tally = Tally(signed, total * 2 // 3, total, 2, 3)
    if not tally.passed():
        _short_of_two_thirds(commit, tally)
    return signed, validators.total_power, checked


# --- one verification step ---------------------------------------------------------------------

def check_structure(trusted, untrusted, options, now_ns):
    """Every check that needs no signature, in order; returns the untrusted header's hash."""
    th = trusted.header
    sh = untrusted.signed_header
    header = sh.header
    commit = sh.commit
    is_within_trust_period(th, options.trusting_period_ns, now_ns)
    header_validate_basic(header, th.chain_id)
    is_header_from_past(header, options.clock_drift_ns, now_ns)
    is_monotonic(th, header)
    validator_sets_match(untrusted.validators, header.validators_hash, header.height, "validators")
    if untrusted.next_validators is not None:
        validator_sets_match(untrusted.next_validators, header.next_validators_hash,
                             header.height, "next_validators")
    header_hash = header.hash()
    commit_validate_basic(commit)
    header_matches_commit(header, header_hash, commit)
    commit_signers_match(commit, untrusted.validators)
    if header.height == th.height + 1:
        valid_next_validator_set(th, header)
    return header_hash


def verify_step(trusted, untrusted, options, now_ns, checker=None):
    """Verifies `untrusted` (a LightBlock) from `trusted` (a TrustedState): adjacent when it is
    the next height, skipping otherwise. Returns the new TrustedState; raises VerificationError
    (INVALID) or NotEnoughTrust."""
    if checker is None:
        checker = CachingChecker()
    header_hash = check_structure(trusted, untrusted, options, now_ns)
    sh = untrusted.signed_header
    chain_id = trusted.header.chain_id
    builder = votes.SignBytesBuilder(chain_id, sh.commit)
    if sh.header.height != trusted.header.height + 1:
        tally_trust_level(chain_id, sh.commit, trusted.vouching_set(), options.trust_num,
                          options.trust_den, checker, builder)
    tally_two_thirds(chain_id, sh.commit, untrusted.validators, checker, builder)
    return TrustedState(sh.header, untrusted.next_validators, untrusted.validators, header_hash)


def verify(trusted, untrusted, options, now_ns, checker=None):
    """verify_step as a Verdict (SUCCESS / NOT_ENOUGH_TRUST / INVALID); never raises for bad
    input, only for programming errors."""
    if checker is None:
        checker = CachingChecker()
    before = checker.verified
    try:
        new_state = verify_step(trusted, untrusted, options, now_ns, checker)
    except NotEnoughTrust as e:
        return Verdict(NOT_ENOUGH_TRUST, e, checker.verified - before)
    except LightClientError as e:
        return Verdict(INVALID, e, checker.verified - before)
    return Verdict(SUCCESS, None, checker.verified - before, new_state)


# --- skipping verification (bisection) -------------------------------------------------------

def cometbft_pivot(trusted_height, target_height):
    """CometBFT's rule: the next try sits 9/16 of the way from the trusted to the target."""
    return trusted_height + (target_height - trusted_height) * 9 // 16


def verify_to_height(trusted, target_height, fetch, options, now_ns, pivot=cometbft_pivot,
                     checker=None, max_steps=64):
    """Skipping verification from `trusted` to `target_height`. `fetch(height)` returns the
    LightBlock at that height (the shell's I/O, handed in). Tries the target first; on
    NotEnoughTrust moves the target to pivot(trusted, target) and retries; every verified block
    becomes the new trusted state. Returns (TrustedState at target, [verified heights],
    [fetched heights])."""
    if checker is None:
        checker = CachingChecker()
    if target_height <= trusted.header.height:
        raise VerificationError("target_height", "target is not above the trusted height",
                                target=target_height, trusted_height=trusted.header.height)
    blocks = {}
    verified = []
    fetched = []
    pending = [target_height]
    steps = 0
    while True:
        h = pending[-1]
        steps += 1
        if steps > max_steps:
            raise VerificationError("bisection_steps", "too many bisection steps",
                                    limit=max_steps, target=target_height)
        block = blocks.get(h)
        if block is None:
            block = fetch(h)
            fetched.append(h)
            blocks[h] = block
            if block.signed_header.header.height != h:
                raise VerificationError("fetched_height", "source returned another height",
                                        requested=h, got=block.signed_header.header.height)
        try:
            trusted = verify_step(trusted, block, options, now_ns, checker)
        except NotEnoughTrust:
            t = trusted.header.height
            p = pivot(t, h)
            if not t < p < h:
                p = (t + h) // 2  # a pivot rule must land strictly between; halve otherwise
            if not t < p < h:
                raise
            pending.append(p)
            continue
        verified.append(h)
        pending.pop()
        if not pending:
            return trusted, verified, fetched
