"""Governance on the real chain, voted through the chip (the emulated board: the chip's 32-bit
build over its serial link): the owner grants the device MsgVote
(authz GenericAuthorization) and signs the chip's limits naming the owner's account; the owner
submits a proposal; the chip signs MsgExec wrapping the owner's MsgVote after reading it (its
summary says what it signed); the vote is proven in verified state before the voting period
ends, and the final tally after it. A replayed vote and an unlisted message are refused.
All on net7 (session fixture, voting period VOTING_PERIOD_S)."""

import base64
import hashlib
import json
import time

import pytest

from lightclient import account_proof, cli, gov, native, txclient, txpolicy
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto, trusted_at_rest
from lightclient.chip.core.errors import ProofError
from lightclient.chip.core.verifier import Options
from lightclient.chip.crypto import backend
from lightclient.chip.smp import lc
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import devicetx, staking
from lightclient.mcu import McuClient, McuError
from lightclient.rpc import SourceError
from lightclient.sources import SourcePool
from tests.localchain.chainhelp import VOTING_PERIOD_S, client_config

DAY_NS = 86400 * 10 ** 9
STAKE = 10 ** 6          # the owner's delegation: its vote weighs this
DEPOSIT = 10 ** 7        # x/gov's default min deposit (genesis default)


class Chip:
    """The emulated board: the chip's 32-bit MicroPython build with its firmware frozen and
    lccrypto, over its serial link (a pty); its account key made on it, its checkpoint from our
    verified view."""

    def __init__(self, net, state_path):
        self.board = EmulatedBoard("esp32-devkitc", state_path)
        self.board.start()
        self.open()
        self.pub = self.mcu.generate_account_key()
        self.address = ct.bech32_address(self.pub)
        self.mcu.set_checkpoint(trusted_at_rest.encode_trusted(devicetx.verified_state(net)))
        self.summaries = []

    def open(self):
        self.mcu = McuClient(self.board.port, timeout=10)

    def close(self):   # the CLI opens the port itself
        self.mcu.close()

    def sign(self, doc):
        sig, text = self.mcu.sign_tx_summary(doc)
        self.summaries.append(text)
        return sig

    def refused(self, doc):
        with pytest.raises(McuError) as e:
            self.mcu.sign_tx(doc)
        assert e.value.rc == lc.E_REFUSED
        return e.value.check


def _cli(capsys, *args):
    """`mycroft-lc gov ARGS --json` in this process -> its JSON document (exit 0 asserted)."""
    capsys.readouterr()
    assert cli.main(["gov"] + list(args) + ["--json"]) == 0, capsys.readouterr()
    return json.loads(capsys.readouterr().out)


def _reader(net):
    header = devicetx.verified_state(net).header
    return gov.GovReader.of_rpc(net.rpc(0), header)


def _fresh(secret):
    """A key of this test's own: no other test on net7 stakes or votes with it (the staking
    test makes owner, alice and bob validators, whose votes would weigh their delegators')."""
    pub = backend.secp256k1_public_key(secret)
    return secret, pub, ct.bech32_address(pub)


OWNER = _fresh(hashlib.sha256(b"gov test owner").digest())
NO_STAKE = _fresh(hashlib.sha256(b"gov test voter without stake").digest())


def msg_delegate(delegator, valoper, amount):
    """cosmos.staking.v1beta1.MsgDelegate (amount: Coin, not nullable)."""
    return "/cosmos.staking.v1beta1.MsgDelegate", (
        proto.bytes_field(1, delegator) + proto.bytes_field(2, valoper)
        + proto.message_field(3, ct.coin("stake", amount), nullable=False))


@pytest.fixture(scope="module")
def voting(net7, tmp_path_factory):
    """The owner (a fresh account funded by bob) registers the chip, funds it, grants it
    MsgVote, delegates STAKE to val0 and signs the chip's limits; a text proposal in its voting
    period."""
    net = net7
    secret, owner_pub, owner_addr = OWNER
    owner20 = ct.account_address(owner_pub)
    bob_secret = devicetx.key_secret(net.info, "bob")
    bob = devicetx.tx_client(net, backend.secp256k1_public_key(bob_secret),
                             ct.sign_secp256k1(bob_secret))
    bob_addr = ct.bech32_address(backend.secp256k1_public_key(bob_secret))
    [(_r, funded)] = bob.send([[ct.msg_send(bob_addr, owner_addr, [("stake", 10 ** 8)]),
                                ct.msg_send(bob_addr, NO_STAKE[2], [("stake", 1000)])]])
    net.wait_for_height(funded + 1)       # the header that commits the new accounts
    chip = Chip(net, tmp_path_factory.mktemp("gov-board") / "lcstore.img")
    consent = chip.mcu.sign_registration(net.info["chain_id"], owner20)
    owner = devicetx.tx_client(net, owner_pub, ct.sign_secp256k1(secret))
    [(_r, registered)] = owner.send([[
        ct.msg_register_device(owner_addr, chip.pub, b"", consent, [("stake", 200000)]),
        gov.msg_grant_vote(owner_addr, chip.address),
        msg_delegate(owner_addr, staking.valoper(net.info, "val0"), STAKE)]])
    net.wait_for_height(registered + 1)   # the header that commits the chip's account
    acct = txclient.verified_account(net.rpc(0), devicetx.verified_state(net).header,
                                     ct.account_address(chip.pub))
    enc = txpolicy.policy_cbor(1, net.info["chain_id"], chip.pub, owner=owner_addr,
                               account_number=acct["account_number"], max_fee=1000)
    assert chip.mcu.set_tx_policy(enc, backend.secp256k1_sign(secret, txpolicy.signing_bytes(enc)),
                                  owner_pub) == 1
    chip.account_number = acct["account_number"]
    [(_r, height)] = owner.send([[gov.msg_submit_proposal(
        owner_addr, [("stake", DEPOSIT)], "Raise the STT price", "vouchers cost 2 more",
        "ipfs://stt-price")]])
    net.wait_for_height(height + 1)
    pid = _reader(net).next_id() - 1
    chip.tx = devicetx.tx_client(net, chip.pub, chip.sign)   # one client: its sequences
    try:
        yield chip, owner_addr, owner20, pid
    finally:
        chip.close()
        chip.board.stop()


def test_a_replayed_vote_is_refused_by_the_chip_and_by_the_chain(net7, voting):
    """Runs first: within the voting period. Two votes at sequences n, n+1; then the first
    again."""
    chip, owner_addr, _owner20, pid = voting
    device = chip.tx
    first, second = [device.submit(gov.vote_messages(pid, o, chip.address, owner_addr))
                     for o in ("abstain", "no")]
    _r, included = txclient.wait_included(net7.rpc(0), second)
    # the same bytes again: the node's mempool cache refuses them; past any cache, the chain's
    # own CheckTx (the /check_tx route runs it without the cache) refuses the used sequence
    with pytest.raises((txclient.TxRejected, SourceError)):
        txclient.broadcast(net7.rpc(0), first)
    verdict = net7.rpc(0).call("check_tx", tx=first)
    assert (verdict.get("codespace"), int(verdict.get("code"))) == (
        txclient.CODESPACE_SDK, txclient.CODE_WRONG_SEQUENCE)
    # asked to sign the first again (its sequence is below one it signed since): refused
    raw = proto.fields(first, 8)
    doc = ct.sign_doc(proto.get_one(raw, 1, proto.LEN), proto.get_one(raw, 2, proto.LEN),
                      net7.info["chain_id"], chip.account_number)
    assert chip.refused(doc) == "sequence_replayed"
    # a reset of the board keeps it: the highest sequence signed is on the chip's flash
    chip.close()
    chip.board.stop()
    chip.board.start()
    chip.open()
    assert chip.refused(doc) == "sequence_replayed"
    net7.wait_for_height(included + 1)    # verified state holds both: the next signer reads it
    # the chip's own account, proven to it on an update it verified: both sequences are used,
    # so the chain's sequence is the floor (a chip that lost its log still refuses them)
    pool = SourcePool(net7.rpc(0).url, [net7.rpc(1).url])
    proven, _answers = account_proof.push(chip.mcu, pool, Options(DAY_NS), chip.pub,
                                          time.time_ns(), native.verify)
    n = ct.decode_sign_doc(doc)["sequence"]
    assert proven.account["sequence"] == n + 2
    assert chip.refused(doc) == "sequence_below_proven"


def test_the_chip_votes_for_its_owner_and_the_vote_is_proven_then_the_tally(net7, voting,
                                                                             tmp_path, capsys):
    chip, owner_addr, owner20, pid = voting
    cfg = str(tmp_path / "config.json")
    client_config(net7, tmp_path / "state", net7.nodes[0]["rpc"], [net7.nodes[1]["rpc"]]).save(cfg)
    p = _reader(net7).proposal(pid)
    assert (p["id"], p["status"], p["title"]) == (pid, "VOTING_PERIOD", "Raise the STT price")
    # `mycroft-lc gov vote --mcu PORT --for OWNER`: the chip reads the vote, signs, says what
    chip.close()
    try:
        out = _cli(capsys, "vote", str(pid), "yes", "--mcu", chip.board.port, "--for",
                   owner_addr, "--config", cfg)
    finally:
        chip.open()
    assert out["summary"] == "vote YES on proposal %d for %s" % (pid, owner_addr)
    assert (out["voter"], out["signer"]) == (owner_addr, chip.address)
    assert out["vote"]["options"] == [["YES", "1.000000000000000000"]]
    height = out["height"]
    # an account without bonded stake votes directly with `mycroft-lc gov vote --key`: it
    # weighs zero
    key = tmp_path / "voter.hex"
    key.write_text(NO_STAKE[0].hex())
    out = _cli(capsys, "vote", str(pid), "no", "--key", str(key), "--config", cfg)
    assert out["vote"] == {"proposal_id": pid, "voter": NO_STAKE[2],
                           "options": [["NO", "1.000000000000000000"]]}
    assert "weight zero" in out["note"] and out["verified_height"] > out["height"]
    net7.wait_for_height(height + 2)
    r = _reader(net7)
    assert r.vote(pid, owner20) == {"proposal_id": pid, "voter": owner_addr,
                                    "options": [("YES", "1.000000000000000000")]}
    assert r.vote(pid, ct.account_address(chip.pub)) is None   # the device did not vote itself
    # after the voting period: the votes are gone, the final tally is in the proposal
    deadline = time.monotonic() + VOTING_PERIOD_S + 30
    while True:
        r = _reader(net7)
        p = r.proposal(pid)
        if p["status"] not in ("VOTING_PERIOD", "DEPOSIT_PERIOD"):
            break
        assert time.monotonic() < deadline, "voting period did not end"
        net7.wait_for_height(r.header.height + 1)
    assert p["status"] == "REJECTED"               # STAKE is far from the quorum
    assert p["final_tally"] == {"yes": STAKE, "abstain": 0, "no": 0, "no_with_veto": 0}
    assert r.vote(pid, owner20) is None
    assert p in r.proposals()
    shown = _cli(capsys, "show", str(pid), "--voter", owner_addr, "--config", cfg)
    assert (shown["status"], shown["final_tally"], shown["vote"]) == (
        "REJECTED", p["final_tally"], None)
    listed = _cli(capsys, "list", "--config", cfg)
    assert pid in [q["id"] for q in listed["proposals"]]
    # a node lying about the proposal (PASSED: status, field 3, right after the id) fails its
    # proof
    key = gov.proposal_key(pid)
    resp = net7.rpc(0).abci_query("/store/gov/key", key, r.header.height - 1, True)
    real = base64.b64decode(resp["value"])
    assert real[0] == 0x08 and real[2:4] == b"\x18\x04"      # id < 128, REJECTED
    forged = real[:2] + b"\x18\x03" + real[4:]
    assert gov.decode_proposal(forged)["status"] == "PASSED"
    resp["value"] = base64.b64encode(forged).decode()
    with pytest.raises(ProofError):
        gov.verify_answer(resp, r.header, key, gov.MAX_PROPOSAL)


@pytest.mark.parametrize("what, check", [
    ("send", "sign_tx_type"), ("grant", "sign_tx_type"), ("vote_for_alice", "sign_vote_voter"),
    ("fee", "sign_tx_fee"), ("other_account", "sign_tx_account")])
def test_what_is_not_allowed_is_refused_with_a_typed_error(net7, voting, what, check):
    chip, owner_addr, _o, pid = voting
    alice = devicetx.key_info(net7.info, "alice")[0]
    msgs = {"send": [ct.msg_send(chip.address, alice, [("stake", 1)])],
            "grant": [gov.msg_grant_vote(chip.address, alice)],
            "vote_for_alice": [gov.msg_exec(chip.address, [gov.msg_vote(pid, alice, "yes")])]}
    msgs = msgs.get(what, gov.vote_messages(pid, "yes", chip.address, owner_addr))
    number = chip.account_number + (what == "other_account")
    fee = [("stake", 1001)] if what == "fee" else []
    doc = ct.sign_doc(ct.tx_body(msgs), ct.auth_info(chip.pub, 10 ** 6, 200000, fee),
                      net7.info["chain_id"], number)
    assert chip.refused(doc) == check
