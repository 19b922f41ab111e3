# The Pi feeding its microcontroller. The chip holds its own trusted header and accepts a new
# one only after verifying it itself, so nothing here needs to be right for the chip to stay
# safe: a wrong or malicious update is rejected by the chip with the reason. What this module
# does is choose WHAT to send: the fewest light blocks that take the chip from its trusted
# height to the Pi's verified head (skipping verification with the chip's own vouching set, the
# next validators of its header), each with the next validator set only when it changed, plus
# the ICS23 proof of the device's record at head - 1, cut into updates that fit the chip's
# limits (update.Limits: 4 steps, 32 KiB; the SMP buffer: 16 KiB).

from lightclient import native, records
from lightclient.chip import txs
from lightclient.chip.core import rpcjson, update
from lightclient.chip.core import update_encode
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import LocalFault, VerificationError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import TrustedState, verify_to_height
from lightclient.sync import make_overlap_pivot

MAX_UPDATE_BYTES = 16 * 1024 - 512  # the chip's SMP buffer, less the request's other fields
MAX_STEPS = update.DEFAULT_LIMITS.max_steps


class BridgeError(LocalFault):
    """The Pi could not build an update the chip can take (see check)."""


def _next_validators(pool, lb):
    """The block's next validator set, fetched (at height + 1) only when it differs from its
    validators, and checked against next_validators_hash."""
    h = lb.signed_header.header
    if h.next_validators_hash == lb.validators.hash():
        return lb.validators

    def ask(rpc):
        vs = rpcjson.validator_set_from_json(rpc.validators(h.height + 1))
        if vs.hash() != h.next_validators_hash:
            raise VerificationError("next_validators_hash", "next validators do not hash to "
                                    "the header's next_validators_hash", height=h.height)
        return vs

    vs, _ = pool.race(ask)
    return vs


def _full(pool, lb):
    return T.LightBlock(lb.signed_header, lb.validators, _next_validators(pool, lb))


def chip_state(pool, status):
    """The chip's TrustedState (header + the next validators it vouches with), rebuilt from the
    light block at its trusted height and checked against what the chip reports."""
    try:
        height = int(status["height"])
    except (KeyError, TypeError, ValueError):
        raise BridgeError("chip_not_provisioned", "the chip reports no trusted height")
    raw, _ = pool.race(lambda rpc: rpc.light_block(height))
    lb = _full(pool, raw.light_block)
    h = lb.signed_header.header
    if status.get("chain_id") not in (None, h.chain_id) or \
            (status.get("app_hash") is not None and bytes(status["app_hash"]) != h.app_hash) or \
            (status.get("time_ns") is not None and int(status["time_ns"]) != h.time_ns):
        raise BridgeError("chip_state_mismatch", "the chip's trusted header is not the network's "
                          "header at its height (another chain, or a fork)", height=height)
    return TrustedState(h, lb.next_validators, lb.validators)


def plan(pool, chip, target_height, options, now_ns, verify_fn):
    """The light blocks the chip needs, in order, from TrustedState `chip` to target_height,
    each verified here the way the chip will verify it."""
    blocks = {chip.header.height: T.LightBlock(T.SignedHeader(chip.header, None),
                                               chip.validators or chip.next_validators,
                                               chip.next_validators)}
    fetched = {}

    def fetch(h):
        raw, _ = pool.race(lambda rpc: rpc.light_block(h))
        lb = _full(pool, raw.light_block)
        fetched[h] = lb
        blocks[h] = lb
        return lb

    pivot = make_overlap_pivot(blocks, options.trust_num, options.trust_den)
    _, verified, _ = verify_to_height(chip, target_height, fetch, options, now_ns, pivot=pivot,
                                      checker=CachingChecker(verify_fn))
    return [fetched[h] for h in verified]


def encode(chip, steps, record=None, trust_level=(1, 3), max_bytes=MAX_UPDATE_BYTES):
    """Cut `steps` into compact updates of at most MAX_STEPS steps and max_bytes each; the
    record's proof (a lightclient.records.ProvenRecord, or another store's record with a
    `store` attribute such as releases.ProvenRelease, proven against the last step) rides on
    the last one. Returns [update bytes]."""
    proofs = None
    if record is not None:
        last = steps[-1].signed_header.header if steps else chip.header
        if record.height + 1 != last.height or record.proof_ops is None:
            raise BridgeError("record_height", "the record is not proven against the last step",
                              record_height=record.height, last_height=last.height)
        proofs = [(getattr(record, "store", txs.STORE), record.key, record.value,
                   record.proof_ops)]
    if not steps:
        raise BridgeError("chip_up_to_date", "the chip is already at the target height")
    out = []
    state = chip
    i = 0
    while i < len(steps):
        n = min(MAX_STEPS, len(steps) - i)
        while True:
            chunk = steps[i:i + n]
            last_chunk = i + n == len(steps)
            data = update_encode.encode_update(chunk, state, trust_level,
                                        proofs=proofs if last_chunk else None)
            if len(data) <= max_bytes or n == 1:
                break
            n -= 1
        if len(data) > max_bytes:
            raise BridgeError("update_too_large", "one step does not fit the chip's buffer",
                              height=chunk[-1].signed_header.header.height, size=len(data),
                              limit=max_bytes)
        out.append(data)
        lb = chunk[-1]
        state = TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)
        i += n
    return out


def push(mcu, client, now_ns=None):
    """Bring the chip to the light client's verified head with the device's record: the chip
    verifies every update itself. Returns a summary dict (updates sent, bytes, chip answers)."""
    status = mcu.status()
    head = client.trusted()
    if head is None:
        raise BridgeError("pi_not_synced", "the light client has no verified head yet")
    now = client.clock.now_ns() if now_ns is None else now_ns
    chip = chip_state(client.pool, status)
    target = head.height
    if chip.header.height >= target:
        return {"updates": 0, "bytes": 0, "chip_height": chip.header.height}
    steps = plan(client.pool, chip, target, client.options, now, native.verify)
    record = None
    if client.config.device_uuid:
        record, _ = records.fetch_record(client.pool, client.config.device_uuid, head, now,
                                         kind=client.config.chain_kind)
    updates = encode(chip, steps, record, (client.options.trust_num, client.options.trust_den))
    answers = [mcu.submit_update(u, now) for u in updates]
    return {"updates": len(updates), "bytes": sum(len(u) for u in updates),
            "steps": [lb.signed_header.header.height for lb in steps],
            "chip_height": answers[-1].get("height") if answers else chip.header.height,
            "answers": answers}


__all__ = ["BridgeError", "chip_state", "plan", "encode", "push"]
