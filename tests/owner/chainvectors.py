"""Vectors that pin the bytes x/devices' PairingMsg accepts to what the Python side makes:
pairing statements signed by the owner (secp256k1) and the device (Ed25519), epoch envelopes,
settings envelopes of the owner and of a device, a grant. Deterministic keys and randomness
(tests/chip/keys/keyhelpers.py), so `python -m tests.owner.chainvectors` rebuilds
tools/chain/x/devices/keeper/testdata/pairing.json byte for byte; the Go tests read it and
tests/owner/test_chain_vectors.py checks it is current."""

import json
import os

from lightclient.chip.keys import envelope, epochs, pairing
from lightclient.owner import chain
from tests.chip.keys.keyhelpers import Device, Drbg, Owner

CHAIN_ID = "mycroft-test-1"
PATH = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "chain", "x", "devices",
                    "keeper", "testdata", "pairing.json")
GRANT_EXPIRY = 4102444800          # 2100-01-01: later than any test block time


def _paired(owner, device, thash):
    st = pairing.statement(CHAIN_ID, owner.pub, device.pub, device.x_pub, thash)
    signed = pairing.signing_bytes(st)
    return {"statement": st.hex(), "owner_sig": owner.sign(signed).hex(),
            "device_sig": device.sign(signed).hex()}


def build():
    random = Drbg("chain vectors")
    owner, stranger = Owner("chain-owner"), Owner("chain-stranger")
    d1, d2 = Device("chain-device-1"), Device("chain-device-2")
    addr = chain.owner_address(owner.pub)

    def epoch_env(n, devices, who=owner):
        secret = epochs.epoch_secret(who.x_sk, CHAIN_ID, n)
        return epochs.seal_epoch(CHAIN_ID, chain.owner_address(who.pub), n, secret,
                                 [d.x_pub for d in devices], who.writer, who.sign, random).hex()

    def setting(version, epoch, writer, name="location"):
        pub = epochs.epoch_public(epochs.epoch_secret(owner.x_sk, CHAIN_ID, epoch))
        return envelope.seal(CHAIN_ID, chain.settings_record_key(addr, name), version, epoch,
                             b'{"city":"Lyon","version":%d}' % version, [pub], writer.writer,
                             writer.sign, random).hex()

    grant = chain.grant_statement(CHAIN_ID, owner.pub, chain.owner_address(stranger.pub),
                                  "voice_samples", GRANT_EXPIRY)
    return {
        "chain_id": CHAIN_ID,
        "owner": {"address": addr, "pub": owner.pub.hex()},
        "stranger": {"address": chain.owner_address(stranger.pub), "pub": stranger.pub.hex()},
        "devices": [{"pub": d.pub.hex(), "x25519": d.x_pub.hex()} for d in (d1, d2)],
        "pair1": dict(_paired(owner, d1, bytes(range(32))), epoch_env=epoch_env(0, [d1])),
        "pair2": dict(_paired(owner, d2, bytes(range(32, 64))), epoch_env=epoch_env(0, [d1, d2])),
        # the stranger signs as owner of d2: a valid statement of another owner
        "pair2_by_stranger": _paired(stranger, d2, bytes(range(32, 64))),
        "settings_v1_owner": setting(1, 0, owner),
        "settings_v2_device1": setting(2, 0, d1),
        "settings_v2_device2": setting(2, 0, d2),
        "settings_v2_stranger": setting(2, 0, stranger),
        "settings_v1_other_chain": envelope.seal(
            "another-chain", chain.settings_record_key(addr, "location"), 1, 0, b"{}",
            [d1.x_pub], owner.writer, owner.sign, random).hex(),
        "remove2_epoch1_env": epoch_env(1, [d1]),
        "settings_v3_epoch1": setting(3, 1, owner),
        "settings_v3_epoch0": setting(3, 0, owner),
        "grant": {"statement": grant.hex(), "signature": chain.sign_grant(owner.sk, grant).hex(),
                  "grantee": chain.owner_address(stranger.pub), "class": "voice_samples"},
        # last, so that the vectors above keep their bytes (one random stream)
        "settings_v2_owner": setting(2, 0, owner),
    }


def text():
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    with open(PATH, "w") as f:
        f.write(text())
