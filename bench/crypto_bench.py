"""Verifying a 100-validator commit on the Pi (CPython, native backends) against the bare cost
of the signature checks it needs, and the python-ecdsa path against ours.

Figures:
  commit100.{ed25519,secp256k1}.core_over_bare  one adjacent verify_step of a 100-validator light
      block (every structural check, hashing, the 2/3 tally) over just the native signature
      checks that step performs (the same 67 (key, sign bytes, signature) triples, in a loop).
  commit100.secp256k1.python_ecdsa_over_core    the same verify_step with python-ecdsa as the
      signature backend over it with ours (libsecp256k1 through lightclient.native).
Times are the median of interleaved rounds, so load on the machine hits both sides alike.
"""

import hashlib
import statistics
import time

import ecdsa
from ecdsa.util import sigdecode_string

from lightclient import native
from lightclient.chip.core import types
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import Options, TrustedState, verify_step
from lightclient.scenarionet.chain import Chain, make_validators

SECOND = 10 ** 9
N = 100


def _block_pair(key_type):
    chain = Chain("bench-chain", make_validators(N, key_type), 1_700_000_000 * SECOND)
    b1, b2 = chain.run(2)
    trusted = TrustedState(b1.signed_header.header, b1.next_validators, b1.validators)
    return trusted, b2, chain.time_at(2) + SECOND


def _needed_triples(trusted, block, now):
    """The exact signature checks verify_step makes, recorded through a counting backend."""
    triples = []

    def record(kt, pub, msg, sig):
        triples.append((kt, pub, msg, sig))
        return native.verify(kt, pub, msg, sig)

    verify_step(trusted, block, Options(14 * 86400 * SECOND), now, CachingChecker(record))
    return triples


def _median_pair(f1, f2, rounds):
    a, b = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        f1()
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        f2()
        b.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def _python_ecdsa_verify(key_type, pub, msg, sig):
    """python-ecdsa with CometBFT's rules: 64-byte r||s over SHA-256, high s rejected."""
    if len(sig) != 64:
        return False
    n = ecdsa.SECP256k1.order
    r, s = sigdecode_string(sig, n)
    if not (0 < r < n and 0 < s <= n // 2):
        return False
    try:
        vk = ecdsa.VerifyingKey.from_string(pub, curve=ecdsa.SECP256k1)
        return vk.verify(sig, msg, hashfunc=hashlib.sha256)
    except (ecdsa.BadSignatureError, ecdsa.MalformedPointError):
        return False


def _commit_figures(key_type, rounds):
    trusted, block, now = _block_pair(key_type)
    opts = Options(14 * 86400 * SECOND)
    triples = _needed_triples(trusted, block, now)

    def core():
        verify_step(trusted, block, opts, now, CachingChecker(native.verify))

    def bare():
        for kt, pub, msg, sig in triples:
            if not native.verify(kt, pub, msg, sig):
                raise AssertionError("bare check failed")

    core_s, bare_s = _median_pair(core, bare, rounds)
    return trusted, block, now, opts, len(triples), core_s, bare_s


def run(rounds=15):
    out = {}
    for kt in (types.ED25519, types.SECP256K1):
        trusted, block, now, opts, checks, core_s, bare_s = _commit_figures(kt, rounds)
        out["commit100.%s.core_over_bare" % kt] = {"value": round(core_s / bare_s, 3), "unit": "x",
                                                   "goal": "<= 1.2"}
        out["commit100.%s.core_ms" % kt] = {"value": round(core_s * 1e3, 3), "unit": "ms"}
        out["commit100.%s.signatures_checked" % kt] = {"value": checks, "unit": "signatures"}
        if kt == types.SECP256K1:
            def ours():
                verify_step(trusted, block, opts, now, CachingChecker(native.verify))

            def theirs():
                verify_step(trusted, block, opts, now, CachingChecker(_python_ecdsa_verify))

            ours_s, theirs_s = _median_pair(ours, theirs, max(3, rounds // 3))
            out["commit100.secp256k1.python_ecdsa_over_core"] = {
                "value": round(theirs_s / ours_s, 1), "unit": "x", "goal": ">= 25"}
            out["commit100.secp256k1.python_ecdsa_ms"] = {"value": round(theirs_s * 1e3, 2),
                                                         "unit": "ms"}
    return out
