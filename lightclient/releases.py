"""Firmware release records of the chain's x/releases (docs/ota.md, "Release record"), as the
Pi handles them: the MsgPublishRelease a governance proposal carries, the record read from
VERIFIED state (an ICS23 proof against a header our light client verified), and the compact
update that proves it to the chip, which checks the headers and the proof again itself.

Nothing here decides for the chip: a wrong record, a forged proof or a header it cannot verify
is refused there; the Pi's own check keeps a lying node from costing the chip an update."""

import hashlib

from lightclient import gov, mcu_bridge
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import release_image as R
from lightclient.chip.core import proto
from lightclient.records import parse_proof_ops

STORE = R.RELEASES_STORE
MSG_PUBLISH_RELEASE = "/mycroft.releases.v1.MsgPublishRelease"
GOV_AUTHORITY20 = hashlib.sha256(b"gov").digest()[:20]   # the gov module account


def gov_authority(prefix=ct.ADDRESS_PREFIX):
    """The only signer x/releases accepts: the gov module account's bech32 address."""
    return ct.bech32_address_of(GOV_AUTHORITY20, prefix)


def msg_publish_release(image, security_version, version, board, proposal_id, authority=None):
    """(type url, bytes) of the MsgPublishRelease approving `image` (its whole file), for the
    messages of the governance proposal `proposal_id` (the id the proposal will get)."""
    rel = R.encode_record(hashlib.sha256(image).digest(), security_version, version, board,
                          proposal_id)
    return MSG_PUBLISH_RELEASE, (proto.bytes_field(1, authority or gov_authority())
                                 + proto.message_field(2, rel))


class ProvenRelease:
    """A release record proven against verified header H+1 (value None: proven absent). What
    mcu_bridge.encode sends the chip: store, key, value, proof_ops, height (H)."""

    store = STORE

    def __init__(self, image_sha256, value, height, proof_ops):
        self.key = R.RECORD_PREFIX + bytes(image_sha256)
        self.value, self.height, self.proof_ops = value, height, proof_ops
        self.record = None if value is None else R.decode_record(self.key, value)


def prove(pool, header, image_sha256, until=None):
    """The record of the image whose SHA-256 is image_sha256, proven against verified `header`
    (H+1), raced over the pool: a source whose proof fails is banned and the next one asked.
    -> ProvenRelease (its record None when the chain proves there is none)."""
    key = R.RECORD_PREFIX + bytes(image_sha256)

    def ask(rpc):
        resp = rpc.abci_query("/store/%s/key" % STORE, key, header.height - 1, True)
        value = gov.verify_answer(resp, header, key, R.MAX_RECORD, store=STORE)
        return ProvenRelease(image_sha256, value, header.height - 1, parse_proof_ops(resp))

    return pool.race(ask, until=until)[0]


def push(mcu, pool, options, image_sha256, now_ns, verify_fn):
    """Bring the chip from its trusted header to the pool's latest height with the proof of
    the image's release record on the last update: the chip verifies the headers, then the
    proof, and remembers the record. -> (ProvenRelease, the chip's answers)."""
    chip = mcu_bridge.chip_state(pool, mcu.status())
    target, _ = pool.race(lambda rpc: rpc.status()["latest_height"])
    steps = mcu_bridge.plan(pool, chip, target, options, now_ns, verify_fn)
    proven = prove(pool, steps[-1].signed_header.header, image_sha256)
    updates = mcu_bridge.encode(chip, steps, proven, (options.trust_num, options.trust_den))
    return proven, [mcu.submit_update(u, now_ns) for u in updates]
