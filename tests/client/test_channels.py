"""The provider's check of a voucher against a proven channel (lightclient/channels.py), and the
bounded decoders of the stored channel, balance and fee grant. Pure: the chain's own refusals
are tested in tools/chain/x/payments and tests/localchain/test_chain_payments.py."""

import pytest

import lightclient.native  # noqa: F401  (coincurve signs and verifies here)
from lightclient import channels as C
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend
from lightclient.chip.pay import voucher as V

SECRET = b"\x21" * 32
SPENDER = backend.secp256k1_public_key(SECRET)
CH = b"\x5e" * 16
CHAIN = "mycroft-local-1"
ME = "mycroft1provider"


def channel(**over):
    c = {"id": CH, "owner": "o", "device": "d", "spender": SPENDER, "provider": ME,
         "denom": "stake", "deposit": 5000, "redeemed": 0, "settle_delay_s": 60, "settle_at": 0,
         "closed": False, "lanes": []}
    c.update(over)
    return c


def signed(nonce, amount, lane=0, chain=CHAIN, denom="stake", ch=CH, secret=SECRET):
    b = V.sign_bytes(V.Voucher(chain, ch, lane, nonce, amount, denom))
    return b, backend.secp256k1_sign(secret, b)


def refused(p, c, voucher, price=100):
    with pytest.raises(C.PaymentRefused) as e:
        p.accept(c, *voucher, price)
    return e.value.check


def test_the_provider_serves_each_call_once_for_at_least_its_price():
    p = C.Provider(ME, CHAIN)
    assert p.accept(channel(), *signed(1, 100), 100) == 100
    assert p.accept(channel(), *signed(2, 250), 100) == 150
    assert refused(p, channel(), signed(2, 400)) == "nonce_old"         # replayed nonce
    assert refused(p, channel(), signed(3, 300)) == "amount_low"        # adds 50 < 100
    assert p.accept(channel(), *signed(1, 100, lane=1), 100) == 100     # lanes count apart
    assert refused(p, channel(), signed(4, 5000)) == "deposit_exceeded"  # 5000 + 100 > 5000
    # the chain redeemed lane 0 up to nonce 9: older vouchers are spent
    assert refused(p, channel(lanes=[(0, 9, 900)]), signed(5, 1000)) == "nonce_old"
    assert [m[0] for m in p.redeem_messages()] == [C.MSG_REDEEM] * 2   # one per lane
    p.mark_redeemed()
    assert p.redeem_messages() == []


@pytest.mark.parametrize("over, voucher, check", [
    ({}, (b"not a voucher", b"\x00" * 64), "voucher_decode"),
    ({"id": b"\x01" * 16}, None, "channel_unknown"),
    ({}, signed(1, 100, chain="other-chain"), "voucher_chain"),
    ({"provider": "mycroft1someone"}, None, "channel_provider"),
    ({"closed": True}, None, "channel_closed"),
    ({"settle_at": 1700000000}, None, "channel_settling"),
    ({"settle_delay_s": 5}, None, "channel_settle_delay"),
    ({}, signed(1, 100, denom="umyc"), "voucher_denom"),
    ({}, signed(1, 100, secret=b"\x22" * 32), "spender_signature"),
])
def test_what_the_provider_refuses_before_it_answers(over, voucher, check):
    p = C.Provider(ME, CHAIN, min_settle_delay_s=30)
    assert refused(p, channel(**over), voucher or signed(1, 100)) == check
    assert p.latest == {}


def test_stored_values_are_read_strictly():
    lane = proto.varint_field(1, 3) + proto.varint_field(2, 7) + proto.varint_field(3, 900)
    enc = (proto.bytes_field(1, CH) + proto.bytes_field(2, "o") + proto.bytes_field(4, SPENDER)
           + proto.bytes_field(6, "stake") + proto.varint_field(7, 5000)
           + proto.varint_field(8, 900) + proto.message_field(12, lane))
    c = C.decode_channel(enc)
    assert (c["id"], c["deposit"], c["redeemed"], c["lanes"], c["closed"]) == \
        (CH, 5000, 900, [(3, 7, 900)], False)
    for bad in (b"", b"\x0a" * 5000, proto.message_field(12, lane) * 17):
        with pytest.raises(DecodeError):
            C.decode_channel(bad)
    assert C.decode_balance(b"12345") == 12345 and C.decode_balance(None) == 0
    for bad in (b"-1", b"1e3", b"", b"9" * 300):
        with pytest.raises(DecodeError):
            C.decode_balance(bad)
    _u, grant_msg = C.msg_grant_allowance("g", "e", [("stake", 7)], 99)
    g = C.decode_allowance(grant_msg)          # a Grant has the same three fields
    assert g == {"granter": "g", "grantee": "e", "spend_limit": [("stake", 7)],
                 "expiration_s": 99}
    with pytest.raises(DecodeError):
        C.decode_allowance(proto.bytes_field(1, "g") + proto.message_field(
            3, proto.bytes_field(1, "/cosmos.feegrant.v1beta1.PeriodicAllowance")))
