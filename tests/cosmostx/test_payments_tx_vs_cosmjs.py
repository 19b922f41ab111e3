"""lightclient.channels' messages in SIGN_MODE_DIRECT transactions against @cosmjs/proto-signing
(x/payments from its .proto files, x/feegrant's MsgGrantAllowance from cosmjs-types), byte for
byte; the recorded answers are docs/vectors/payments-tx.json."""

import json
from pathlib import Path

import pytest

from lightclient import channels as C
from lightclient.chip import sign_policy
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import pure
from tests.cosmostx import payments_cases
from tests.cosmostx.oracle import cosmjs

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "payments-tx.json"
SIGN = lambda secret: lambda doc: pure.secp256k1_sign(secret, doc)  # noqa: E731


@pytest.fixture(scope="module")
def theirs():
    return cosmjs(payments_cases.oracle_cases())


def test_every_payments_case_is_byte_equal_to_cosmjs(theirs):
    assert len(theirs) == len(payments_cases.CASES)
    for i, want in enumerate(theirs):
        raw, doc = payments_cases.ours(i, SIGN)
        name = payments_cases.CASES[i][0]
        assert doc.hex() == want["sign_doc"], name
        assert raw.hex() == want["tx_raw"], name


def test_the_recorded_payments_vectors_still_hold(theirs):
    recorded = json.loads(VECTORS.read_text())["cases"]
    assert [v["tx_raw"] for v in recorded] == [t["tx_raw"] for t in theirs]


def test_the_chip_signs_a_write_whose_fee_the_owners_grant_pays_and_no_other_granter():
    """The device's write naming the owner as fee granter passes the chip's policy when the
    owner's limits name that owner; another granter, or the owner's channel messages, do not."""
    from lightclient.chip import cosmos_tx as ct
    from lightclient.chip.crypto import secp256k1
    secret = bytes.fromhex("7f" * 32)
    pub = secp256k1.public_key(secret)
    me = ct.bech32_address(pub)

    def doc(msgs, granter):
        return ct.decode_sign_doc(ct.build(msgs, pub, "mycroft-local-1", 41, 0, SIGN(secret),
                                           200000, [("stake", 200)], "", "", granter)[1])

    # a write the chip sealed itself (the only kind it signs): its device key's envelope
    import os
    from lightclient.chip.crypto import backend
    from lightclient.chip.keys import envelope, epochs
    seed = bytes.fromhex("5e" * 32)
    dpub = backend.ed25519_public_key(seed)
    env = envelope.seal("mycroft-local-1",
                        epochs.device_write_key(payments_cases.OWNER, dpub, "metrics"), 1, 0,
                        b'{"n":1}', [backend.x25519_public_key(os.urandom(32))],
                        ("ed25519", dpub), lambda m: backend.ed25519_sign(seed, m), os.urandom)
    write = [ct.msg_device_write(me, "metrics", env)]
    ok = sign_policy.Policy({"owner": payments_cases.OWNER})
    assert sign_policy.check(doc(write, payments_cases.OWNER), me, pub, ok, "mycroft-local-1",
                             10, device_pub=dpub) == "write metrics"
    for msgs, granter, policy in (
            (write, payments_cases.OWNER, sign_policy.Policy({"owner": payments_cases.PROVIDER})),
            (write, payments_cases.OWNER, sign_policy.DEFAULT),
            ([C.msg_start_settle(me, payments_cases.CH)], "", ok)):
        with pytest.raises(sign_policy.SignRefused) as e:
            sign_policy.check(doc(msgs, granter), me, pub, policy, "mycroft-local-1", 10,
                              device_pub=dpub)
        assert e.value.check in ("sign_tx_fee", "sign_tx_type")


def test_ids_and_store_keys_are_bounded():
    with pytest.raises(DecodeError):
        C.msg_open_channel("o", b"short", "d", b"\x02" * 33, "p", ("stake", 1), 1)
    with pytest.raises(DecodeError):
        C.channel_key(b"\x01" * 33)
    assert C.channel_key(b"\x07" * 8) == b"\x01" + b"\x07" * 8
    assert C.balance_key(b"\x01" * 20, "stake") == b"\x02\x14" + b"\x01" * 20 + b"stake"
    assert C.allowance_key(b"\x01" * 20, b"\x02" * 20) == \
        b"\x00\x14" + b"\x02" * 20 + b"\x14" + b"\x01" * 20     # grantee, then granter
