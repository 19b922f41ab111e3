# The chip's sequence rules for SIGN_TX (docs/sign-policy.md, "The sequence"), on CPython over
# RAM flash that survives a reboot (boot.build again on the same devices): the highest sequence
# signed is on the sequence log's flash before the signature exists, so a reboot keeps the
# replay refusal; the device's own x/auth account, proven with ICS23 in an update the chip
# verified, sets a floor below which nothing is signed; a forged account proof is refused.
import os

import pytest

from lightclient import gov
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import boot, seq_log
from lightclient.chip.core import ics23_types, proto, update_encode
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import secp256k1
from lightclient.chip.smp import lc
from lightclient.chip.store.filedev import RamBlockDevice

import fwscenario

SECRET = b"\x09" * 32
ACCOUNT = 17
ib = fwscenario.ics23_build


def base_account(pub33, number, sequence):
    """x/auth's stored value: Any(BaseAccount{address, pub_key, account_number, sequence})."""
    acc = (proto.bytes_field(1, ct.bech32_address(pub33).encode())
           + proto.message_field(2, ct.secp256k1_pubkey_any(pub33))
           + proto.varint_field(3, number) + proto.varint_field(4, sequence))
    return ct.any_(ct.BASE_ACCOUNT, acc)


class Board:
    """A chip whose store and sequence log survive `boot()` (a reset); its chain's app hash
    commits to an "acc" store holding the chip's account at `sequence` (x/auth's layout)."""

    def __init__(self, sequence=1, named=None):
        self.store_dev = RamBlockDevice(4096, 16)
        self.seq_dev = RamBlockDevice(4096, 2)
        self.boot()
        self.pub = self.d.generate_account_key(False)
        self.sc = sc = fwscenario.Scenario(self.d.generate_key(False))
        self.key = ct.account_key(ct.account_address(self.pub))
        self.value = base_account(named or self.pub, ACCOUNT, sequence)
        self.acc = ib.IavlTree({self.key: self.value}, version=1)
        self.stores = ib.multistore({"bank": ib.IavlTree({b"b": b"1"}, 1).root,
                                     "devices": sc.devices.root, "acc": self.acc.root})
        sc.chain = fwscenario.Chain("fw-test-chain", fwscenario.make_validators(4),
                                    fwscenario.START)
        sc.chain.run(4, app_hash=lambda h: self.stores.root)
        self.d.set_checkpoint(sc.checkpoint(1), None, None, False)

    def boot(self):
        self.d = boot.build(self.store_dev, SECRET, {"board": "test"}, os.urandom,
                            seqlog=self.seq_dev).device

    def sign(self, sequence, number=ACCOUNT):
        me = ct.bech32_address(self.pub)
        body = ct.tx_body([gov.msg_vote(7, me, "yes")])
        return self.d.sign_tx(body, ct.auth_info(self.pub, sequence, 200000),
                              self.sc.chain.chain_id, number)

    def refused(self, sequence, number=ACCOUNT):
        with pytest.raises(lc.LinkError) as e:
            self.sign(sequence, number)
        assert e.value.rc == lc.E_REFUSED
        return e.value.check

    def account_update(self, frm=1, to=2, forge=None):
        """The update frm -> to with the account's proof; forge: a sequence put into the
        proof in place of the committed value."""
        value = self.value
        ops = ib.abci_proof_ops(self.acc, self.stores, "acc", self.key)
        if forge is not None:
            value = base_account(self.pub, ACCOUNT, forge)
            p = ics23_types.decode_commitment_proof(ops[0][2])
            p.value = value
            ops = [(ops[0][0], ops[0][1], ics23_types.encode_commitment_proof(p))] + ops[1:]
        steps = [self.sc.chain.blocks[h] for h in range(frm + 1, to + 1)]
        return update_encode.encode_update(steps, self.sc.trusted(frm),
                                           proofs=[("acc", self.key, value, ops)])


def test_a_reboot_between_two_signs_keeps_the_replay_refusal():
    b = Board()
    b.sign(10)
    stats = b.d._sequence_log().log.stats
    programs = stats["programs"]
    b.sign(10)                       # the same again: CheckTx may have refused it
    assert stats["programs"] == programs and stats["bytes_programmed"] == 96 + 32  # no flash
    b.boot()
    assert b.refused(9) == "sequence_replayed"
    b.sign(10)
    b.sign(11)
    b.boot()
    assert b.refused(10) == "sequence_replayed"
    assert b.d._sequence_log().log.stats["erases"] == 0   # mounting never writes


def test_the_floor_is_on_flash_before_the_signature():
    b = Board()
    log = b.d._sequence_log()
    sig = {}
    real = log.remember

    def remember(n, s):   # the sequence log's program happens before the chip signs
        assert not sig
        real(n, s)
        sig["after"] = True
    log.remember = remember
    b.sign(4)
    assert sig and log.floor(ACCOUNT) == 4


def test_a_proven_sequence_of_5_refuses_a_request_at_3():
    b = Board(sequence=5)
    b.sign(3)
    b.d.submit_update(b.account_update(), b.sc.now(2))
    assert b.d.acct_seq == {"n": ACCOUNT, "s": 5, "h": 2}
    assert b.refused(3) == "sequence_below_proven"
    assert b.refused(4) == "sequence_below_proven"
    b.sign(5)
    b.boot()                                   # the proven account is a store record
    assert b.refused(4) == "sequence_below_proven"
    assert b.sign(3, number=ACCOUNT + 1)       # another account number: no proven floor


def test_a_forged_account_proof_is_refused_by_the_chip():
    b = Board()
    with pytest.raises(LightClientError) as e:
        b.d.submit_update(b.account_update(forge=9), b.sc.now(2))
    assert e.value.check == "ics23_value_mismatch"
    assert b.d.acct_seq is None and b.d.trusted.header.height == 1
    b.sign(3)


def test_the_sequence_log_is_bounded_and_typed():
    dev = RamBlockDevice(4096, 2)
    log = seq_log.SeqLog(dev, SECRET)
    for n in range(seq_log.MAX_ACCOUNTS):
        log.remember(n, 1)
    with pytest.raises(seq_log.SeqLogError) as e:
        log.remember(99, 1)
    assert e.value.check == "seqlog_full"
    for s in range(2, 60):      # past one sector: compaction keeps every account's highest
        log.remember(0, s)
    again = seq_log.SeqLog(dev, SECRET)
    assert again.highest == log.highest and again.floor(0) == 59 and again.floor(5) == 1


def test_a_proven_value_naming_another_account_is_refused():
    b = Board(sequence=5, named=secp256k1.public_key(b"\x33" * 32))
    with pytest.raises(lc.LinkError) as e:
        b.d.submit_update(b.account_update(), b.sc.now(2))
    assert e.value.check == "account_mismatch" and b.d.acct_seq is None
    assert b.d.trusted.header.height == 1   # nothing of that update is kept


def test_an_older_account_proof_never_lowers_the_floor():
    """A later header whose state proves a lower sequence for the same account number (no honest
    chain lowers one; a re-created account has another number): the floor stays at the higher
    one proven before, also after a reboot."""
    b = Board(sequence=5)
    older = base_account(b.pub, ACCOUNT, 3)
    acc3 = ib.IavlTree({b.key: older}, version=1)
    stores3 = ib.multistore({"bank": ib.IavlTree({b"b": b"1"}, 1).root,
                             "devices": b.sc.devices.root, "acc": acc3.root})
    b.sc.chain = fwscenario.Chain("fw-test-chain", fwscenario.make_validators(4),
                                  fwscenario.START)
    b.sc.chain.run(4, app_hash=lambda h: (b.stores if h <= 2 else stores3).root)
    b.d.set_checkpoint(b.sc.checkpoint(1), None, None, True)
    b.d.submit_update(b.account_update(1, 2), b.sc.now(2))
    assert b.d.acct_seq == {"n": ACCOUNT, "s": 5, "h": 2}
    ops = ib.abci_proof_ops(acc3, stores3, "acc", b.key)
    steps = [b.sc.chain.blocks[3]]
    b.d.submit_update(update_encode.encode_update(steps, b.sc.trusted(2),
                                                  proofs=[("acc", b.key, older, ops)]),
                      b.sc.now(3))
    assert b.d.trusted.header.height == 3                # the update itself is taken
    assert b.d.acct_seq == {"n": ACCOUNT, "s": 5, "h": 2}
    assert b.refused(4) == "sequence_below_proven"
    b.boot()
    assert b.d.acct_seq["s"] == 5 and b.refused(3) == "sequence_below_proven"
    b.sign(5)
