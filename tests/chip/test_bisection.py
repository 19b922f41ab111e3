# Skipping verification (bisection) on synthetic chains with real signatures: the rules that
# tendermint-rs's pre-protobuf bisection files target (see tests/chip/core/test_verifier.py).
from lightclient.scenarionet.chain import Chain

from lightclient.native import verify as fast_verify

from lightclient.chip.core.errors import NotEnoughTrust, VerificationError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (Options, TrustedState, cometbft_pivot, verify_step,
                                       verify_to_height)

SECOND = 10 ** 9
DAY = 86400 * SECOND
T0 = 1_700_000_000 * SECOND


def _rotating_chain(n_blocks, n_vals=4, every=10):
    """Every `every` blocks the longest-serving validator leaves and a fresh one joins, so trust
    in a set fades with distance and long skips need pivots."""
    seeds = [bytes([i + 1]) * 32 for i in range(n_vals)]
    chain = Chain("bisect-chain", [("ed25519", s, 10) for s in seeds], T0)
    for k, h in enumerate(range(every, n_blocks, every)):
        fresh = bytes([100 + k]) * 32
        chain.schedule_change(h, add=[("ed25519", fresh, 10)], remove=[seeds.pop(0)])
        seeds.append(fresh)
    chain.run(n_blocks)
    return chain


def _trusted(chain, h=1):
    b = chain.blocks[h]
    return TrustedState(b.signed_header.header, b.next_validators, b.validators)


def _fetcher(chain, log):
    def fetch(h):
        log.append(h)
        return chain.blocks[h]
    return fetch


def test_skipping_reaches_the_target_through_pivots():
    chain = _rotating_chain(60)
    opts = Options(14 * DAY)
    now = chain.time_at(60) + SECOND
    # One direct skip is impossible: by height 60 every original validator has left.
    checker = CachingChecker(fast_verify)
    try:
        verify_step(_trusted(chain), chain.blocks[60], opts, now, checker)
        raise AssertionError("a skip over a fully rotated set must not be trusted")
    except NotEnoughTrust as e:
        assert e.details["signed_power"] == 0
    log = []
    state, verified, fetched = verify_to_height(_trusted(chain), 60, _fetcher(chain, log), opts,
                                                now, checker=CachingChecker(fast_verify))
    assert state.header.height == 60 and verified[-1] == 60
    assert fetched == log and len(set(fetched)) == len(fetched)  # nothing fetched twice
    assert all(1 < h <= 60 for h in verified)
    assert len(fetched) < 59  # far fewer than sequential verification


def test_no_signature_is_verified_twice_across_pivots():
    chain = _rotating_chain(60)
    seen = []

    def counting(kt, pub, msg, sig):
        seen.append((pub, msg, sig))
        return fast_verify(kt, pub, msg, sig)

    verify_to_height(_trusted(chain), 60, _fetcher(chain, []), Options(14 * DAY),
                     chain.time_at(60) + SECOND, checker=CachingChecker(counting))
    assert seen and len(seen) == len(set(seen))


def test_trusted_header_out_of_trusting_period():
    chain = _rotating_chain(30)
    opts = Options(30 * 5 * SECOND)  # the trusted header (height 1) expires at height 31's time
    now = chain.time_at(1) + opts.trusting_period_ns
    try:
        verify_to_height(_trusted(chain), 30, _fetcher(chain, []), opts, now,
                         checker=CachingChecker(fast_verify))
        raise AssertionError("expired trust must not verify")
    except VerificationError as e:
        assert e.check == "trusting_period_expired"


def test_not_enough_commits_fails_even_when_adjacent():
    chain = Chain("bisect-chain", [("ed25519", bytes([i + 1]) * 32, 10) for i in range(6)], T0)
    chain.run(5)
    chain.next_block(signers=[0, 1, 2, 3])  # 40 of 60: not more than 2/3
    opts = Options(14 * DAY)
    fetched = []
    try:
        verify_to_height(_trusted(chain), 6, _fetcher(chain, fetched), opts,
                         chain.time_at(6) + SECOND, checker=CachingChecker(fast_verify))
        raise AssertionError("a commit with 2/3 of the power or less must not verify")
    except VerificationError as e:
        assert e.check == "insufficient_signatures"
        assert e.details["signed_power"] == 40 and e.details["total"] == 60
    assert fetched == [6]  # the trust level passed (40 > 20): no pivot was needed


def test_cometbft_pivots_are_what_the_rule_says():
    chain = _rotating_chain(60)
    log = []
    verify_to_height(_trusted(chain), 60, _fetcher(chain, log), Options(14 * DAY),
                     chain.time_at(60) + SECOND, pivot=cometbft_pivot,
                     checker=CachingChecker(fast_verify))
    assert log[0] == 60 and log[1] == cometbft_pivot(1, 60)
