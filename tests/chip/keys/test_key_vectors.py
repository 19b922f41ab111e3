# The vectors of docs/envelopes.md and docs/pairing.md (vectors.json) still come out of the code,
# on the pure and the Pi's native backend, and the recorded envelopes open to their plaintext.
import json
from pathlib import Path

import pytest

import keyvectors
from lightclient.chip.crypto import backend, pure
from lightclient.chip.keys import envelope as E, epochs

VECTORS = json.loads((Path(__file__).resolve().parent / "vectors.json").read_text())


@pytest.mark.parametrize("impl", ["pure", "host"])
def test_vectors_are_reproduced(impl):
    saved = backend._impl
    if impl == "pure":
        backend._impl = pure
    else:
        import lightclient.native  # noqa: F401
    try:
        assert keyvectors.compute() == VECTORS
    finally:
        backend._impl = saved


def test_recorded_envelopes_open():
    v = VECTORS
    dev_sk, dev_pub = bytes.fromhex(v["device_x25519_secret"]), bytes.fromhex(v["device_x25519_public"])
    owner = keyvectors.Owner("vector-owner")
    secret = epochs.open_epoch(bytes.fromhex(v["epoch0_envelope"]), v["chain_id"], "owner-1", 0,
                               owner.writer, dev_sk, dev_pub)
    assert secret.hex() == v["epoch0_secret"]
    got = E.open_(bytes.fromhex(v["record_envelope"]), v["chain_id"], b"settings/dev-1", 7,
                  [owner.writer], epochs.epoch_identity(secret))
    assert got.plaintext.decode() == v["record_plaintext"]
