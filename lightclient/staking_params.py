# The chain's unbonding time, read from verified state: a light client's trusting period must be
# shorter than it (CometBFT's light-client rule), or a validator set that has already unbonded
# its stake, and can no longer be slashed, could still sign headers we trust.
#
# The staking module keeps its Params under key 0x51 of the `staking` store (Cosmos SDK v0.50+:
# x/staking/types/keys.go ParamsKey, a collections Item holding the protobuf
# cosmos.staking.v1beta1.Params). abci_query at H with prove=true answers the value and its
# ICS23 proof chain to the app_hash of verified header H+1, as for device records (records.py).

from lightclient.chip.core import proof_chain, proto
from lightclient.chip.core.errors import DecodeError, ProofError
from lightclient.config import ConfigError
from lightclient.records import check_answer_head, parse_proof_ops
from lightclient.rpc import b64_field

STORE = b"staking"
PARAMS_KEY = b"\x51"
QUERY_PATH = "/store/staking/key"
MAX_PARAMS = 4096
SECOND = 10 ** 9
MAX_SECONDS = 100 * 365 * 86400    # a Duration beyond a century is not an unbonding time


class TrustingPeriodTooLong(ConfigError):
    """The configured trusting period is not below the chain's verified unbonding time."""


def unbonding_ns(params):
    """Params bytes -> unbonding_time in nanoseconds (field 1, a google.protobuf.Duration)."""
    fs = proto.fields(params, max_fields=64)
    dur = proto.get_one(fs, 1, proto.LEN)
    if dur is None:
        raise DecodeError("staking_params_shape", "staking params carry no unbonding time")
    d = proto.fields(dur, max_fields=8)
    seconds = proto.to_int64(proto.get_one(d, 1, proto.VARINT, 0))
    nanos = proto.to_int32(proto.get_one(d, 2, proto.VARINT, 0))
    if not 0 < seconds <= MAX_SECONDS or not 0 <= nanos < SECOND:
        raise DecodeError("staking_params_range", "unbonding time out of range",
                          seconds=seconds, nanos=nanos)
    return seconds * SECOND + nanos


def verify_params_answer(resp, height, app_hash):
    """One abci_query answer for the staking params at state height `height`, checked against
    `app_hash` (of verified header height+1) -> unbonding time (ns). Raises ProofError /
    DecodeError: the source lied or is broken."""
    check_answer_head(resp, height)
    value = b64_field(resp.get("value"), "value")
    if value is not None and len(value) > MAX_PARAMS:
        raise DecodeError("staking_params_too_large", "params larger than the limit",
                          length=len(value))
    proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), app_hash, [STORE, PARAMS_KEY],
                                      value)
    if value is None:
        raise ProofError("staking_params_absent", "the chain proves it has no staking params")
    return unbonding_ns(value)


def fetch_unbonding(pool, header_raw, until=None):
    """The unbonding time (ns) proven against verified light block `header_raw` (H+1), asked of
    the pool (a source whose proof fails is banned). Returns (ns, source)."""
    header = header_raw.light_block.signed_header.header
    h = header.height - 1
    if h < 1:
        raise ProofError("no_state_height", "need a verified header above height 1")

    def ask(rpc):
        resp = rpc.abci_query(QUERY_PATH, PARAMS_KEY, h, True)
        return verify_params_answer(resp, h, header.app_hash)

    return pool.race(ask, until=until)


def check_trusting_period(trusting_period_ns, unbonding):
    """Raises TrustingPeriodTooLong unless the trusting period is below the unbonding time."""
    if trusting_period_ns >= unbonding:
        raise TrustingPeriodTooLong(
            "trusting_period_unbonding", "the trusting period must be shorter than the chain's "
            "unbonding time (read from verified staking params)",
            trusting_period_s=trusting_period_ns // SECOND, unbonding_s=unbonding // SECOND)
