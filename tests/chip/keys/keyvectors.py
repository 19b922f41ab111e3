# The vectors of docs/envelopes.md and docs/pairing.md, computed from fixed inputs; vectors.json
# holds them (python tests/chip/keys/keyvectors.py rewrites it; test_key_vectors.py checks that
# the code still gives them, on the pure and the native backends).
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keyhelpers import Device, Drbg, Owner  # noqa: E402

from lightclient.chip.crypto import backend  # noqa: E402
from lightclient.chip.keys import envelope as E, epochs, group_ed25519, pairing  # noqa: E402
from lightclient.chip.keys import spake2plus  # noqa: E402

HERE = Path(__file__).resolve().parent
CHAIN = "mycroft-local-1"


def compute():
    owner, dev = Owner("vector-owner"), Device("vector-device")
    out = {"chain_id": CHAIN, "owner_secp256k1_secret": owner.sk.hex(),
           "owner_secp256k1_public": owner.pub.hex(),
           "owner_x25519_secret": owner.x_sk.hex(), "device_ed25519_seed": dev.seed.hex(),
           "device_x25519_secret": dev.x_sk.hex(), "device_x25519_public": dev.x_pub.hex()}
    # an epoch key and its envelope to the device
    secret = epochs.epoch_secret(owner.x_sk, CHAIN, 0)
    out["epoch0_secret"] = secret.hex()
    out["epoch0_public"] = epochs.epoch_public(secret).hex()
    out["epoch0_envelope"] = epochs.seal_epoch(CHAIN, "owner-1", 0, secret, [dev.x_pub],
                                               owner.writer, owner.sign, Drbg("epoch")).hex()
    # a settings record sealed to the epoch key, written by the owner
    out["record_key"] = "settings/dev-1"
    out["record_plaintext"] = '{"lang":"de-de","date_format":"DMY"}'
    rec = E.seal(CHAIN, b"settings/dev-1", 7, 0, out["record_plaintext"].encode(),
                 [epochs.epoch_public(secret)], owner.writer, owner.sign, Drbg("record"))
    out["record_envelope"] = rec.hex()
    out["record_associated_data"] = E.associated_data(CHAIN, b"settings/dev-1", 7, 0).hex()
    # one wrap's derivation step by step (the record's wrap: Drbg("record") gave the file key
    # first, then the ephemeral secret)
    d = Drbg("record")
    file_key, eph = d(32), d(32)
    eph_pub = backend.x25519_public_key(eph)
    shared = backend.x25519(eph, epochs.epoch_public(secret))
    out["wrap"] = {"file_key": file_key.hex(), "ephemeral_secret": eph.hex(),
                   "ephemeral_public": eph_pub.hex(), "shared": shared.hex(),
                   "wrap_key": E.wrap_key(shared, eph_pub, epochs.epoch_public(secret)).hex()}
    # pairing: the code's w0 / w1 / L, and a statement
    code = "1234-5678-9012"
    w0, w1 = pairing.derive_w0_w1(code, dev.pub)
    w0b, L = spake2plus.verifier_record(group_ed25519, w0, w1)
    out["pairing"] = {"code": code, "device_ed25519_public": dev.pub.hex(), "w0": w0b.hex(),
                      "w1": spake2plus.scalar_bytes(group_ed25519, w1).hex(), "L": L.hex(),
                      "statement": pairing.statement(CHAIN, owner.pub, dev.pub, dev.x_pub,
                                                     bytes(range(32))).hex()}
    return out


if __name__ == "__main__":
    (HERE / "vectors.json").write_text(json.dumps(compute(), indent=1) + "\n")
