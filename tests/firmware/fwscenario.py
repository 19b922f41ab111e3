# A small chain whose app hash is a multistore over device records, and the compact updates a Pi
# would send the board: the provisioning and update scenario the firmware tests share.
from lightclient.scenarionet import ics23_build
from lightclient.chip import txs
from lightclient.chip.core import ics23_types
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core import update_encode
from lightclient.chip.core.verifier import TrustedState
from lightclient.scenarionet.chain import Chain, make_validators  # noqa: F401  (tests build chains too)

SECOND = 10**9
DAY = 86400 * SECOND
START = 1_700_000_000 * SECOND
UUID = "kitchen"


def record_for(pub: bytes, lang="en-us", uuid=UUID, owner_pub=b"\x11" * 32) -> bytes:
    return txs.canonical_json({"uuid": uuid, "device_pubkey": pub.hex(),
                               "owner_pubkey": owner_pub.hex(), "account": "alice", "version": 1,
                               "device": {"name": "kitchen"}, "setting": {"lang": lang},
                               "location": {}, "skills": [], "subscription": {}})


class Scenario:
    """Blocks 1..n of a chain; block 1 is the checkpoint; every block's app hash commits to the
    device's record (which names the device's public key)."""

    def __init__(self, pub: bytes, n_validators=4, uuid=UUID, lang="en-us",
                 owner_pub=b"\x11" * 32):
        self.uuid = uuid
        self.key = txs.record_key(uuid)
        self.record = record_for(pub, lang, uuid, owner_pub)
        self.devices = ics23_build.IavlTree({self.key: self.record}, version=1)
        self.stores = ics23_build.multistore({"bank": ics23_build.IavlTree({b"b": b"1"}, 1).root,
                                              "devices": self.devices.root})
        self.chain = Chain("fw-test-chain", make_validators(n_validators), START)
        self.chain.run(16, app_hash=lambda h: self.stores.root)

    def trusted(self, height=1) -> TrustedState:
        lb = self.chain.blocks[height]
        return TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)

    def checkpoint(self, height=1) -> bytes:
        return trusted_at_rest.encode_trusted(self.trusted(height))

    def proof(self, value=None):
        """The record's proof; with `value`, a forgery: that value put inside the existence
        proof (where the compact update carries it), which the chip must refuse."""
        ops = ics23_build.abci_proof_ops(self.devices, self.stores, "devices", self.key)
        if value is None:
            return ("devices", self.key, self.record, ops)
        p = ics23_types.decode_commitment_proof(ops[0][2])
        p.value = value
        ops = [(ops[0][0], ops[0][1], ics23_types.encode_commitment_proof(p))] + list(ops[1:])
        return ("devices", self.key, value, ops)

    def update(self, frm=1, to=2, value=None, proofs=True) -> bytes:
        steps = [self.chain.blocks[h] for h in range(frm + 1, to + 1)]
        return update_encode.encode_update(steps, self.trusted(frm),
                                    proofs=[self.proof(value)] if proofs else None)

    def now(self, height) -> int:
        return self.chain.time_at(height) + 60 * SECOND


def sealed_write(device, kind, plaintext=b"{}", chain_id=None, owner_id="mycroft1owner",
                 version=1, writer_seed=None):
    """A device write's envelope as the chip's SEAL_OWN makes it for `device` (a firmware
    Device with its Ed25519 key): its write key, one wrap, signed with its device key, read
    from its store here (tests only; `writer_seed`: sign with another key instead)."""
    import os
    from lightclient.chip.crypto import backend
    from lightclient.chip.keys import envelope, epochs
    seed = writer_seed or device._get("key")
    chain_id = chain_id or device.trusted.header.chain_id
    return envelope.seal(chain_id, epochs.device_write_key(owner_id, device.pub, kind), version,
                         0, plaintext, [backend.x25519_public_key(os.urandom(32))],
                         ("ed25519", device.pub), lambda m: backend.ed25519_sign(seed, m),
                         os.urandom)
