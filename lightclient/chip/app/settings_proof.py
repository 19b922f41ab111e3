# The device's settings envelopes proven on the chip itself (issue 20, docs/envelopes.md "Proven
# on the chip"): OPEN_SETTINGS takes, instead of the envelope bytes, the x/devices `abci_query`
# proof ops of each envelope at the chip's own trusted header; the envelope is the value the
# existence proof carries (sent once), and the proof chain must lead to that header's app hash
# under the key the chip makes itself (0x05 || record key). So the Pi can hand the chip only what
# the state at a header the chip verified holds, never an older version it kept aside.
# Shared subset: CPython and MicroPython 1.27; imported on the first OPEN_SETTINGS.

import hashlib

from lightclient.chip import bech32
from lightclient.chip.core import ics23_native, ics23_types, proof_chain, proto
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import backend as crypto
from lightclient.chip.keys.errors import EnvelopeError

STORE = "devices"          # x/devices' multistore store (chip/txs.STORE)
SEALED_PREFIX = b"\x05"    # x/devices: 0x05 || record key -> an envelope (docs/chain-pairing.md)
MAX_OP_DATA = 18432        # one op's bytes: an envelope (<= 12 KiB here) and its IAVL path
ADDRESS_PREFIX = "mycroft"  # cosmos_tx.ADDRESS_PREFIX (that module stays out of this heap)


def account_bech32(pub33):
    """The SDK account address of a secp256k1 key, as cosmos_tx.bech32_address makes it."""
    return bech32.encode(ADDRESS_PREFIX, crypto.ripemd160(hashlib.sha256(bytes(pub33)).digest()))


def _buffer(v, copy):
    # without copy, the request's bytes stay views into it: copied one op at a time, when verified
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v) if copy else v
    raise EnvelopeError("envelope_proof", "a proof op field is not bytes")


def decode_ops(v, what, copy=False):
    """The payload's [[type, key, data], ...] (innermost first, as abci_query gives them) ->
    [(type, key, data)], shape and sizes bounded; EnvelopeError("envelope_proof") otherwise.
    copy: the bytes copied out of the request (else views into it, where it gave views)."""
    if not isinstance(v, (list, tuple)) or not 0 < len(v) <= ics23_types.MAX_PROOF_OPS:
        raise EnvelopeError("envelope_proof", "want 1.." + str(ics23_types.MAX_PROOF_OPS)
                            + " proof ops", field=what)
    ops = []
    for op in v:
        if not isinstance(op, (list, tuple)) or len(op) != 3 or not isinstance(op[0], str):
            raise EnvelopeError("envelope_proof", "a proof op is [type, key, data]", field=what)
        data = _buffer(op[2], copy)
        if len(data) > MAX_OP_DATA:
            raise EnvelopeError("envelope_proof", "proof op too long", field=what,
                                length=len(data), max_len=MAX_OP_DATA)
        ops.append((op[0], _buffer(op[1], copy), data))
    return ops


def _carried_value(data):
    # ExistenceProof.value (field 2) of CommitmentProof.exist (field 1), without decoding the
    # path (1.3 M instructions for a 4 KB envelope): the proof chain decodes and checks all of
    # it next, this value included
    for field, wire, body in proto.iter_fields(data):
        if field == 1 and wire == proto.LEN:
            for f, w, value in proto.iter_fields(body):
                if f == 2 and w == proto.LEN:
                    return value
    return None


def _native_envelope(ops, app_hash, key):
    # The whole chain in C (ics23_native): the store's IAVL proof of key, the multistore's proof
    # of that store's root, app_hash at the end; the value copied out once. None for anything
    # else: the Python chain below then gives the verdict (and names the check).
    if ics23_native.ics23_exist_root is None or len(ops) != 2:
        return None
    (t0, k0, d0), (t1, k1, d1) = ops
    if t0 != "ics23:iavl" or t1 != "ics23:simple" or k0 != key or k1 != STORE.encode():
        return None
    r0 = ics23_native.exist_root(d0, t0, key)
    if isinstance(r0, str):
        return None
    r1 = ics23_native.exist_root(d1, t1, k1, r0[1])
    if isinstance(r1, str) or r1[1] != app_hash:
        return None
    return bytes(r0[0])


def proven_envelope(ops, app_hash, record_key, what):
    """The envelope at record_key in the state whose app hash is `app_hash` (the chip's trusted
    header's): the value inside the first op's existence proof, the whole chain verified up to
    app_hash. EnvelopeError("envelope_proof", cause=the proof's own check) for anything else: a
    forged value, another key, a proof of absence, a proof at another height."""
    fast = _native_envelope(ops, app_hash, SEALED_PREFIX + record_key)
    if fast is not None:
        return fast
    try:
        ops = [(t, bytes(k), bytes(d)) for t, k, d in ops]
        value = _carried_value(ops[0][2])
        if not value:
            raise EnvelopeError("envelope_proof", "not a proof that the envelope is there",
                                field=what)
        proof_chain.verify_abci_proof_ops(ops, app_hash, [STORE, SEALED_PREFIX + record_key],
                                          value)
    except EnvelopeError:
        raise
    except LightClientError as e:
        raise EnvelopeError("envelope_proof", "the envelope's proof does not verify at the "
                            "chip's trusted header", field=what, cause=e.check)
    return value
