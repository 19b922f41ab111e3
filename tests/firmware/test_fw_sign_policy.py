# What the chip's account key signs (chip/sign_policy.py through app/device.py) on CPython over a
# RAM flash: the owner's limits, set only with the owner's signature (the account the chip
# consented to be registered by); the whole SignDoc checked; a summary of what was signed; and
# domain separation: no signature of one kind (tx, registration statement, voucher, receipt, pairing
# statement, owner's limits, message) verifies as another.
import hashlib
import os

import pytest

from lightclient import gov, txpolicy
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import sign_policy as SP
from lightclient.chip import usage_request
from lightclient.chip.app import boot
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import secp256k1
from lightclient.chip.keys import pairing
from lightclient.chip.pay import caps, receipt, voucher
from lightclient.chip.smp import lc
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.sharing import chain as sharing_chain

import fwscenario

OWNER_SECRET = hashlib.sha256(b"owner of the sign-policy chip").digest()
OWNER_PUB = secp256k1.public_key(OWNER_SECRET)
OWNER = ct.bech32_address(OWNER_PUB)
SHOP = ct.bech32_address(secp256k1.public_key(b"\x44" * 32))
ACCOUNT = 17


@pytest.fixture(scope="module")
def chip():
    dev = RamBlockDevice(4096, 16)
    d = boot.build(dev, b"\x09" * 32, {"board": "test"}, os.urandom).device
    pub = d.generate_account_key(False)
    sc = fwscenario.Scenario(d.generate_key(False))
    d.set_checkpoint(sc.checkpoint(1), None, None, False)
    chain = sc.chain.chain_id
    enc = _limits(pub, chain, 1)
    with pytest.raises(lc.LinkError) as e:   # before the chip consented to a registration
        d.set_tx_policy(enc, _owner_sig(enc), OWNER_PUB)
    assert e.value.check == "no_owner"
    d.sign_registration(chain, ct.account_address(OWNER_PUB))
    d.set_tx_policy(enc, _owner_sig(enc), OWNER_PUB)
    return dev, d, pub, chain


def _limits(pub, chain, version, **kw):
    args = dict(owner=OWNER, account_number=ACCOUNT, denom="stake", max_fee=500,
                max_send=2000, recipients=[SHOP], max_memo=16)
    args.update(kw)
    return txpolicy.policy_cbor(version, chain, pub, **args)


def _owner_sig(enc, secret=OWNER_SECRET):
    return secp256k1.sign(secret, txpolicy.signing_bytes(enc))


def _fields(pub, chain, messages, number=ACCOUNT, sequence=3, memo="", timeout=0, fee=()):
    return (ct.tx_body(messages, memo, timeout), ct.auth_info(pub, sequence, 200000, fee),
            chain, number)


def _refused(d, *fields):
    with pytest.raises(lc.LinkError) as e:
        d.sign_tx(*fields)
    assert e.value.rc == lc.E_REFUSED
    return e.value.check


def test_allowed_messages_are_signed_with_a_summary(chip):
    _dev, d, pub, chain = chip
    me = ct.bech32_address(pub)
    cases = [
        ([gov.msg_vote(7, me, "yes")], "vote YES on proposal 7"),
        (gov.vote_messages(9, "no_with_veto", me, OWNER),
         "vote NO_WITH_VETO on proposal 9 for " + OWNER),
        ([ct.msg_send(me, SHOP, [("stake", 2000)])], "send 2000 stake to " + SHOP),
        ([ct.msg_device_write(me, "metrics", fwscenario.sealed_write(d, "metrics")),
          gov.msg_vote(1, me, "abstain")],
         "write metrics; vote ABSTAIN on proposal 1"),
        ([sharing_chain.msg_put_blob(me, "voice_samples", bytes(32), 5000, 2, [SHOP, OWNER])],
         "index a sealed voice_samples blob of 5000 bytes for 2 grantee(s)"),
    ]
    for seq, (msgs, text) in enumerate(cases, 3):
        fields = _fields(pub, chain, msgs, sequence=seq, memo="ok", fee=[("stake", 500)])
        sig, d_, got = d.sign_tx(*fields)
        assert got == text
        assert secp256k1.verify(pub, ct.sign_doc(*fields), sig)


@pytest.mark.parametrize("case, check", [
    ("other_chain", "sign_tx_chain"),
    ("account_number", "sign_tx_account"),
    ("send_over_cap", "sign_send_cap"),
    ("send_split_over_cap", "sign_send_cap"),
    ("send_stranger", "sign_send_to"),
    ("send_denom", "sign_send_denom"),
    ("send_from_owner", "sign_send_from"),
    ("vote_for_stranger", "sign_vote_voter"),
    ("vote_as_owner_directly", "sign_vote_voter"),
    ("exec_other_grantee", "sign_exec_grantee"),
    ("exec_a_send", "sign_tx_type"),
    ("grant", "sign_tx_type"),
    ("submit_proposal", "sign_tx_type"),
    ("register", "sign_tx_type"),
    ("blob_of_another_device", "sign_tx_signer"),
    ("blob_unknown_field", "sign_msg_field"),
    ("set_recipient_key", "sign_tx_type"),
    ("vote_bad_option", "sign_vote_option"),
    ("memo", "sign_tx_memo"),
    ("timeout_passed", "sign_tx_timeout"),
    ("fee_over", "sign_tx_fee"),
    ("fee_denom", "sign_tx_fee"),
    ("fee_two_denoms", "sign_tx_fee"),
    ("fee_payer", "sign_tx_fee"),
    ("fee_granter_stranger", "sign_tx_fee"),
])
def test_what_the_limits_do_not_allow_is_refused_and_nothing_is_signed(chip, case, check):
    _dev, d, pub, chain = chip
    me = ct.bech32_address(pub)
    send = lambda frm, to, n, denom="stake": ct.msg_send(frm, to, [(denom, n)])  # noqa: E731
    f = lambda msgs, **kw: _fields(pub, chain, msgs, sequence=50, **kw)  # noqa: E731
    vote = gov.msg_vote(3, me, "yes")
    fields = {
        "other_chain": _fields(pub, "other", [vote], sequence=50),
        "account_number": _fields(pub, chain, [vote], number=ACCOUNT + 1, sequence=50),
        "send_over_cap": f([send(me, SHOP, 2001)]),
        "send_split_over_cap": f([send(me, SHOP, 1500), send(me, SHOP, 501)]),
        "send_stranger": f([send(me, OWNER, 1)]),
        "send_denom": f([send(me, SHOP, 1, "uatom")]),
        "send_from_owner": f([send(OWNER, SHOP, 1)]),
        "vote_for_stranger": f([gov.msg_exec(me, [gov.msg_vote(3, SHOP, "yes")])]),
        "vote_as_owner_directly": f([gov.msg_vote(3, OWNER, "yes")]),
        "exec_other_grantee": f([gov.msg_exec(SHOP, [gov.msg_vote(3, OWNER, "yes")])]),
        "exec_a_send": f([gov.msg_exec(me, [send(OWNER, me, 5)])]),
        "grant": f([gov.msg_grant_vote(me, SHOP)]),
        "submit_proposal": f([gov.msg_submit_proposal(me, [("stake", 1)], "t", "s")]),
        "register": f([ct.msg_register_device(me, pub, b"", b"\x00" * 64)]),
        "blob_of_another_device": f([sharing_chain.msg_put_blob(SHOP, "v", bytes(32), 1, 0,
                                                                [OWNER])]),
        "blob_unknown_field": f([(SP.MSG_PUT_BLOB, sharing_chain.msg_put_blob(
            me, "v", bytes(32), 1, 0, [OWNER])[1] + b"\x38\x01")]),
        "set_recipient_key": f([sharing_chain.msg_set_recipient_key(me, b"\x01" * 32)]),
        "vote_bad_option": f([(SP.MSG_VOTE, gov.msg_vote(3, me, "yes")[1][:-1] + b"\x09")]),
        "memo": f([vote], memo="x" * 17),
        "timeout_passed": f([vote], timeout=1),
        "fee_over": f([vote], fee=[("stake", 501)]),
        "fee_denom": f([vote], fee=[("uatom", 1)]),
        "fee_two_denoms": f([vote], fee=[("stake", 1), ("uatom", 1)]),
    }.get(case)
    if case == "fee_payer":
        fields = (ct.tx_body([vote]), ct.auth_info(pub, 50, 1, payer=SHOP), chain, ACCOUNT)
    if case == "fee_granter_stranger":
        fields = (ct.tx_body([vote]), ct.auth_info(pub, 50, 1, granter=SHOP), chain, ACCOUNT)
    assert _refused(d, *fields) == check


def test_the_owner_as_fee_granter_is_allowed(chip):
    _dev, d, pub, chain = chip
    me = ct.bech32_address(pub)
    fields = (ct.tx_body([gov.msg_vote(2, me, "no")]), ct.auth_info(pub, 60, 1, granter=OWNER),
              chain, ACCOUNT)
    assert d.sign_tx(*fields)[2] == "vote NO on proposal 2"


def test_an_older_sequence_is_a_replay_and_refused(chip):
    _dev, d, pub, chain = chip
    me = ct.bech32_address(pub)
    vote = [gov.msg_vote(5, me, "yes")]
    d.sign_tx(*_fields(pub, chain, vote, sequence=100))
    d.sign_tx(*_fields(pub, chain, vote, sequence=100))   # again: CheckTx may have refused it
    assert _refused(d, *_fields(pub, chain, vote, sequence=99)) == "sequence_replayed"


def test_limits_need_the_owner_a_newer_version_and_this_chip(chip):
    dev, d, pub, chain = chip
    stranger = b"\x66" * 32

    def rc_check(enc, sig, owner_pub=OWNER_PUB):
        with pytest.raises(lc.LinkError) as e:
            d.set_tx_policy(enc, sig, owner_pub)
        return e.value.check

    enc = _limits(pub, chain, 2, max_send=10 ** 9)
    assert rc_check(enc, _owner_sig(enc, stranger)) == "owner_signature"
    assert rc_check(enc, _owner_sig(enc, stranger),
                    secp256k1.public_key(stranger)) == "no_owner"   # not the consented account
    old = _limits(pub, chain, 1)
    assert rc_check(old, _owner_sig(old)) == "policy_version"
    other = _limits(secp256k1.public_key(b"\x02" * 32), chain, 3)
    assert rc_check(other, _owner_sig(other)) == "policy_device"
    assert rc_check(_limits(pub, "x", 3), _owner_sig(_limits(pub, "x", 3))) == "policy_chain"
    wrong_owner = _limits(pub, chain, 3, owner=SHOP)
    assert rc_check(wrong_owner, _owner_sig(wrong_owner)) == "policy_owner"
    # kept across a reboot
    again = boot.build(dev, b"\x09" * 32, {"board": "test"}, os.urandom).device
    assert again._tx_policy().version == 1 and again._tx_policy().owner == OWNER


def test_malformed_limits_are_typed_errors():
    with pytest.raises(DecodeError) as e:
        SP.decode_policy(b"\xa1\x61v\x01")
    assert e.value.check.startswith("cbor") or e.value.check.startswith("policy")
    with pytest.raises(DecodeError):
        SP.decode_policy(b"\x00" * 2000)


# --- domain separation -------------------------------------------------------------------------

def _signed_kinds(pub, chain):
    """Each kind of bytes a device key signs, built from the same inputs."""
    owner20 = ct.account_address(OWNER_PUB)
    me = ct.bech32_address(pub)
    doc = ct.sign_doc(*_fields(pub, chain, [gov.msg_vote(1, me, "yes")]))
    v = voucher.Voucher(chain, b"\x01" * 32, 0, 1, 5, "stake")
    stmt = pairing.statement(chain, OWNER_PUB, b"\x07" * 32, b"\x08" * 32, b"\x09" * 32)
    return {"tx": doc,
            "registration": ct.registration_statement(chain, owner20, pub),
            "voucher": voucher.sign_bytes(v),
            "pairing": pairing.signing_bytes(stmt),
            "limits": txpolicy.signing_bytes(_limits(pub, chain, 1)),
            "caps": caps.message_bytes(b"\xa0"),
            "message": lc.sign_message("message", doc),
            "reprovision": lc.reprovision_message("set_checkpoint", b"\x01" * 32, 1, b"\x00" * 32),
            "usage": usage_request.encode(chain, 1, b"\x05" * 32, ct.account_address(pub),
                                          [b"\x06" * 32]),
            "receipt": receipt.sign_bytes(chain, b"\x02" * 20, ct.account_address(pub), 7,
                                          b"\x04" * 32)}


def test_no_signature_of_one_kind_verifies_as_another(chip):
    _dev, _d, pub, chain = chip
    secret = b"\x21" * 32
    key = secp256k1.public_key(secret)
    kinds = _signed_kinds(pub, chain)
    sigs = {k: secp256k1.sign(secret, m) for k, m in kinds.items()}
    for a, sig in sigs.items():
        for b, m in kinds.items():
            assert secp256k1.verify(key, m, sig) == (a == b), (a, b)
    # and none but the SignDoc parses as one (a SignDoc's first byte is field 1's tag, 0x0a)
    for k, m in kinds.items():
        if k == "tx":
            ct.decode_sign_doc(m)
            continue
        assert m[0] != 0x0a, k
        with pytest.raises(DecodeError):
            ct.decode_sign_doc(m)
    # no kind's bytes start with another's prefix (a prefix is each domain, up to its NUL)
    prefixes = {k: m[:m.index(b"\x00", 1) + 1] if b"\x00" in m[1:40] else m[:1]
                for k, m in kinds.items()}
    for a, pa in prefixes.items():
        for b, m in kinds.items():
            if a != b:
                assert not m.startswith(pa), (a, b)
    with pytest.raises(DecodeError):
        voucher.decode(kinds["tx"])
    for k, m in kinds.items():
        if k != "receipt":
            with pytest.raises(DecodeError):
                receipt.decode(m)


def test_usage_request_signed_for_own_address_and_chain_only(chip):
    """A usage-token request is signed with the account key (the key x/devices names) only
    for this chip's address on its verified chain; anything else is refused, unsigned."""
    _dev, d, pub, chain = chip
    me20 = ct.account_address(pub)
    req = usage_request.encode(chain, 7, b"\x05" * 32, me20, [b"\x06" * 32, b"\x07" * 32])
    assert secp256k1.verify(pub, req, d.sign_usage_request(req))
    assert usage_request.decode(req) == (chain, 7, b"\x05" * 32, me20, [b"\x06" * 32, b"\x07" * 32])
    for bad, check in ((usage_request.encode("other-chain", 7, b"\x05" * 32, me20, [b"\x06" * 32]),
                        "sign_tx_chain"),
                       (usage_request.encode(chain, 7, b"\x05" * 32, b"\x01" * 20, [b"\x06" * 32]),
                        "usage_address")):
        with pytest.raises(lc.LinkError) as e:
            d.sign_usage_request(bad)
        assert (e.value.rc, e.value.check) == (lc.E_REFUSED, check)
    for bad in (req[:-1], req + b"\x00", b"x" + req[1:], req[:len(usage_request.PREFIX)]):
        with pytest.raises(lc.LinkError) as e:
            d.sign_usage_request(bad)
        assert (e.value.rc, e.value.check) == (lc.E_DECODE, "usage_request")


# --- over the link: McuClient -> SMP frames -> the firmware, in process --------------------------

from tests.chiplink import Wire  # noqa: E402


def test_limits_and_the_summary_travel_the_link():
    from lightclient.mcu import McuClient, McuError
    fw = boot.build(RamBlockDevice(4096, 16), b"\x09" * 32, {"board": "test"}, os.urandom)
    sc = fwscenario.Scenario(fw.device.generate_key(False))
    fw.device.set_checkpoint(sc.checkpoint(1), None, None, False)
    chain = sc.chain.chain_id
    mcu = McuClient(Wire(fw), timeout=5)
    pub = mcu.generate_account_key()
    me = ct.bech32_address(pub)
    mcu.sign_registration(chain, ct.account_address(OWNER_PUB))
    enc = _limits(pub, chain, 1)
    assert mcu.set_tx_policy(enc, _owner_sig(enc), OWNER_PUB) == 1
    doc = ct.sign_doc(*_fields(pub, chain, gov.vote_messages(4, "yes", me, OWNER)))
    sig, text = mcu.sign_tx_summary(doc)
    assert text == "vote YES on proposal 4 for " + OWNER and secp256k1.verify(pub, doc, sig)
    with pytest.raises(McuError) as e:
        mcu.sign_tx(ct.sign_doc(*_fields(pub, chain, [gov.msg_grant_vote(me, SHOP)],
                                         sequence=4)))
    assert e.value.rc == lc.E_REFUSED and e.value.check == "sign_tx_type"
    with pytest.raises(McuError) as e:
        mcu.set_tx_policy(enc, _owner_sig(enc), OWNER_PUB)
    assert e.value.check == "policy_version"


def test_the_chip_signs_a_receipt_only_for_the_header_it_verified():
    """SIGN_RECEIPT (docs/rewards.md): the chain id, height and hash are the chip's trusted
    header's; the Pi names only the server. No trusted header, no account key, or itself as the
    server: refused, nothing signed."""
    from lightclient.chip.smp import pay as P
    from lightclient.mcu import McuError
    from lightclient.mcu import McuClient
    from lightclient.pay import PayClient
    fw = boot.build(RamBlockDevice(4096, 16), b"\x09" * 32, {"board": "test"}, os.urandom)
    pay = PayClient(McuClient(Wire(fw), timeout=5))
    server = b"\x05" * 20
    with pytest.raises(McuError) as e:
        pay.sign_receipt(server)
    assert e.value.check == "not_provisioned"
    sc = fwscenario.Scenario(fw.device.generate_key(False))
    fw.device.set_checkpoint(sc.checkpoint(1), None, None, False)
    with pytest.raises(McuError) as e:
        pay.sign_receipt(server)
    assert (e.value.check, e.value.rc) == ("no_account_key", P.E_NO_KEY)
    pub = pay.mcu.generate_account_key()
    me = ct.account_address(pub)
    r = pay.sign_receipt(server)
    head = fw.device.trusted.header
    assert receipt.decode(r["receipt"]) == (head.chain_id, server, me, head.height, head.hash())
    assert secp256k1.verify(pub, r["receipt"], r["sig"])
    assert r["summary"] == "receipt for block %d" % head.height
    with pytest.raises(McuError) as e:
        pay.sign_receipt(me)
    assert e.value.check == "receipt_self"
    with pytest.raises(McuError) as e:
        pay.sign_receipt(b"\x05" * 19)
    assert (e.value.check, e.value.rc) == ("receipt_server", P.E_DECODE)


def test_the_receipt_vector_is_the_chips_bytes_and_signature():
    import json
    from lightclient.chip.crypto import backend
    v = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "vectors",
                                    "rewards-receipt.json")))
    secret = hashlib.sha256(b"rewards vector client device").digest()
    assert backend.secp256k1_public_key(secret).hex() == v["client_public_key"]
    b = receipt.sign_bytes(v["chain_id"], bytes.fromhex(v["server"]), bytes.fromhex(v["client"]),
                           v["height"], bytes.fromhex(v["header_hash"]))
    assert b.hex() == v["sign_bytes"]
    assert bytes(backend.secp256k1_sign(secret, b)).hex() == v["signature"]
    assert receipt.decode(b)[3] == v["height"]
    for bad, check in ((b[:-1], "receipt_length"), (b"x" + b[1:], "receipt_domain"),
                       (b[:-40] + bytes(8) + b[-32:], "receipt_height")):
        with pytest.raises(DecodeError) as e:
            receipt.decode(bad)
        assert e.value.check == check
