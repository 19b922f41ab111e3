"""Payment channels on the chain (x/payments, docs/payments.md) as the Pi, the owner and a
provider see them: the module's messages, the sign-up grant (x/feegrant's BasicAllowance and a
first channel deposit in the owner's registration transaction), channel state and balances
read from VERIFIED state (ICS23 proofs against the app_hash of headers our light client
verified, never a node's word), and the provider's check of a voucher against the proven
channel before it answers a paid call. The vouchers themselves are the chip's
(docs/vouchers.md); the chain checks the same bytes."""

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proof_chain, proto
from lightclient.chip.core.errors import DecodeError, LightClientError, ProofError
from lightclient.chip.crypto import backend
from lightclient.chip.pay import voucher as V
from lightclient.records import check_answer_head, parse_proof_ops
from lightclient.rpc import b64_field

STORE = "payments"
LAYOUT_KEY = b"\x00"
CHANNEL_PREFIX = b"\x01"          # 0x01 || channel id (8..32 bytes) -> Channel
MIN_CHANNEL_ID, MAX_CHANNEL_ID = 8, 32
MAX_CHANNEL = 4096
MAX_LANES = 16

MSG_OPEN_CHANNEL = "/mycroft.payments.v1.MsgOpenChannel"
MSG_TOP_UP = "/mycroft.payments.v1.MsgTopUp"
MSG_REDEEM = "/mycroft.payments.v1.MsgRedeem"
MSG_START_SETTLE = "/mycroft.payments.v1.MsgStartSettle"
MSG_RECLAIM = "/mycroft.payments.v1.MsgReclaim"
MSG_GRANT_ALLOWANCE = "/cosmos.feegrant.v1beta1.MsgGrantAllowance"
BASIC_ALLOWANCE = "/cosmos.feegrant.v1beta1.BasicAllowance"

# x/payments' registered errors (codespace "payments"; tools/chain/x/payments/types/errors.go)
CODESPACE = "payments"
ERRORS = {2: "invalid_voucher", 3: "voucher_signature", 4: "channel_not_found",
          5: "channel_exists", 6: "not_owner", 7: "not_provider", 8: "not_owners_device",
          9: "voucher_chain", 10: "voucher_denom", 11: "nonce_used", 12: "amount_not_increasing",
          13: "insufficient_deposit", 14: "channel_settling", 15: "settle_delay_not_over",
          16: "channel_closed", 17: "too_many_lanes", 18: "invalid_deposit",
          19: "invalid_settle_delay", 20: "invalid_spender", 21: "invalid_channel_id",
          22: "channel_settled", 23: "invalid_service", 24: "invalid_endpoint",
          25: "invalid_price", 26: "too_many_providers", 27: "provider_not_found"}

# The SDK's stores a balance and a fee grant are proven from (collections layouts, SDK v0.53)
BANK_STORE = "bank"
BALANCE_PREFIX = b"\x02"          # BalancesPrefix || len(addr) || addr || denom -> math.Int text
FEEGRANT_STORE = "feegrant"
ALLOWANCE_PREFIX = b"\x00"        # FeeAllowanceKeyPrefix || len || grantee || len || granter
MAX_BALANCE = 256
MAX_GRANT = 1024


class PaymentRefused(LightClientError):
    """A voucher the provider will not serve a call for; check names the rule (voucher_*,
    channel_*, spender_signature, nonce_old, amount_low, deposit_exceeded, ...)."""


def error_name(code):
    """The name of an x/payments error code (a TxRejected's details['code'])."""
    return ERRORS.get(code, "unknown_%d" % code)


# --- messages ---------------------------------------------------------------------------------

def _channel_id(cid):
    if not isinstance(cid, (bytes, bytearray)) or not \
            MIN_CHANNEL_ID <= len(cid) <= MAX_CHANNEL_ID:
        raise DecodeError("channel_id", "a channel id is 8..32 bytes")
    return bytes(cid)


def msg_open_channel(owner, channel_id, device, spender33, provider, deposit, settle_delay_s):
    """deposit: (denom, amount); the device must be the owner's (x/devices), spender33 its
    chip's spender key: b"" (the sign-up's choice) is the device's account key, as its x/devices
    record holds it, which is the key the chip signs vouchers with."""
    return MSG_OPEN_CHANNEL, (proto.bytes_field(1, owner)
                              + proto.bytes_field(2, _channel_id(channel_id))
                              + proto.bytes_field(3, device)
                              + proto.bytes_field(4, bytes(spender33))
                              + proto.bytes_field(5, provider)
                              + proto.message_field(6, ct.coin(*deposit), nullable=False)
                              + proto.varint_field(7, settle_delay_s))


def msg_top_up(owner, channel_id, amount):
    return MSG_TOP_UP, (proto.bytes_field(1, owner) + proto.bytes_field(2, _channel_id(channel_id))
                        + proto.message_field(3, ct.coin(*amount), nullable=False))


def msg_redeem(provider, voucher, signature):
    """The provider's redemption of the chip's voucher bytes as they were signed."""
    return MSG_REDEEM, (proto.bytes_field(1, provider) + proto.bytes_field(2, bytes(voucher))
                        + proto.bytes_field(3, bytes(signature)))


def _owner_and_id(owner, channel_id):
    return proto.bytes_field(1, owner) + proto.bytes_field(2, _channel_id(channel_id))


def msg_start_settle(owner, channel_id):
    return MSG_START_SETTLE, _owner_and_id(owner, channel_id)


def msg_reclaim(owner, channel_id):
    return MSG_RECLAIM, _owner_and_id(owner, channel_id)


def msg_grant_allowance(granter, grantee, spend_limit, expiration_s=None):
    """x/feegrant MsgGrantAllowance of a BasicAllowance: the granter pays the grantee's fees,
    at most spend_limit [(denom, amount)] in all, until expiration_s (unix time) or for ever."""
    allowance = b"".join(proto.message_field(1, c) for c in ct.coins(spend_limit))
    if expiration_s is not None:
        allowance += proto.message_field(2, proto.varint_field(1, int(expiration_s)))
    return MSG_GRANT_ALLOWANCE, (proto.bytes_field(1, granter) + proto.bytes_field(2, grantee)
                                 + proto.message_field(3, ct.any_(BASIC_ALLOWANCE, allowance)))


def signup_messages(owner, registration, device, spender33, provider, channel_id, deposit,
                    fee_limit, settle_delay_s):
    """The sign-up grant in the owner's one transaction: the device's registration, a fee
    allowance for it (x/feegrant: fees only) and a first channel deposit for its paid calls."""
    return [registration, msg_grant_allowance(owner, device, fee_limit),
            msg_open_channel(owner, channel_id, device, spender33, provider, deposit,
                             settle_delay_s)]


# --- store keys and values ---------------------------------------------------------------------

def channel_key(channel_id):
    return CHANNEL_PREFIX + _channel_id(channel_id)


def balance_key(address20, denom):
    if len(address20) != 20:
        raise DecodeError("account_address", "want a 20-byte account address")
    return BALANCE_PREFIX + bytes([20]) + bytes(address20) + denom.encode()


def allowance_key(granter20, grantee20):
    """x/feegrant's key: the grantee first (FeeAllowanceKey), so a grantee's grants are a range."""
    return ALLOWANCE_PREFIX + bytes([20]) + bytes(grantee20) + bytes([20]) + bytes(granter20)


def _text(b, what):
    try:
        return bytes(b).decode()
    except UnicodeError:
        raise DecodeError("payments_text", "not UTF-8", field=what)


def _int_text(b, what):
    t = _text(b, what)
    if not 0 < len(t) <= 80 or not t.isdigit():
        raise DecodeError("payments_amount", "not a decimal integer", field=what)
    return int(t)


def decode_channel(value):
    """A stored mycroft.payments.v1.Channel -> dict (lanes: [(lane, nonce, amount)])."""
    if not 0 < len(value) <= MAX_CHANNEL:
        raise DecodeError("channel_size", "channel missing or larger than the limit")
    fs = proto.fields(bytes(value), 12 + MAX_LANES)
    lanes = []
    for lb in proto.get_all(fs, 12, proto.LEN):
        lf = proto.fields(lb, 4)
        lanes.append((proto.get_one(lf, 1, proto.VARINT, 0), proto.get_one(lf, 2, proto.VARINT, 0),
                      proto.get_one(lf, 3, proto.VARINT, 0)))
    if len(lanes) > MAX_LANES:
        raise DecodeError("channel_lanes", "more lanes than the module keeps")
    return {"id": proto.get_one(fs, 1, proto.LEN, b""),
            "owner": _text(proto.get_one(fs, 2, proto.LEN, b""), "owner"),
            "device": _text(proto.get_one(fs, 3, proto.LEN, b""), "device"),
            "spender": proto.get_one(fs, 4, proto.LEN, b""),
            "provider": _text(proto.get_one(fs, 5, proto.LEN, b""), "provider"),
            "denom": _text(proto.get_one(fs, 6, proto.LEN, b""), "denom"),
            "deposit": proto.get_one(fs, 7, proto.VARINT, 0),
            "redeemed": proto.get_one(fs, 8, proto.VARINT, 0),
            "settle_delay_s": proto.get_one(fs, 9, proto.VARINT, 0),
            "settle_at": proto.to_int64(proto.get_one(fs, 10, proto.VARINT, 0)),
            "closed": bool(proto.get_one(fs, 11, proto.VARINT, 0)),
            "lanes": lanes}


def decode_balance(value):
    """x/bank's stored balance: math.Int as decimal text (the SDK's BalanceValueCodec)."""
    if value is None:
        return 0
    if len(value) > MAX_BALANCE:
        raise DecodeError("balance_size", "balance larger than the limit")
    return _int_text(value, "balance")


def decode_allowance(value):
    """x/feegrant's stored Grant of a BasicAllowance -> {"granter", "grantee", "spend_limit":
    [(denom, amount)] what is left, "expiration_s" or None}."""
    if not 0 < len(value) <= MAX_GRANT:
        raise DecodeError("grant_size", "grant missing or larger than the limit")
    fs = proto.fields(bytes(value), 4)
    af = proto.fields(proto.get_one(fs, 3, proto.LEN, b""), 4)
    if proto.get_one(af, 1, proto.LEN, b"") != BASIC_ALLOWANCE.encode():
        raise DecodeError("grant_type", "not a BasicAllowance")
    bf = proto.fields(proto.get_one(af, 2, proto.LEN, b""), 8)
    limit = []
    for c in proto.get_all(bf, 1, proto.LEN):
        cf = proto.fields(c, 4)
        limit.append((_text(proto.get_one(cf, 1, proto.LEN, b""), "denom"),
                      _int_text(proto.get_one(cf, 2, proto.LEN, b"0"), "amount")))
    exp = proto.get_one(bf, 2, proto.LEN, None)
    return {"granter": _text(proto.get_one(fs, 1, proto.LEN, b""), "granter"),
            "grantee": _text(proto.get_one(fs, 2, proto.LEN, b""), "grantee"),
            "spend_limit": limit,
            "expiration_s": None if exp is None else
            proto.to_int64(proto.get_one(proto.fields(exp, 4), 1, proto.VARINT, 0))}


# --- proven reads ------------------------------------------------------------------------------

def proven(rpc, header, store, key, limit):
    """The value at `key` of `store` in the state a verified `header` commits (after block
    header.height-1), checked against its app_hash; None when the chain proves it absent.
    A node that lies fails here with ProofError / DecodeError."""
    if header.height - 1 < 2:
        raise ProofError("no_state_height", "the SDK proves no state this early: verify a "
                         "later header", height=header.height)
    resp = rpc.abci_query("/store/%s/key" % store, key, header.height - 1, True)
    check_answer_head(resp, header.height - 1)
    value = b64_field(resp.get("value"), "value")
    if value is not None and len(value) > limit:
        raise DecodeError("value_size", "value larger than the limit", length=len(value))
    proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), header.app_hash,
                                      [store.encode(), key], value)
    return value


def channel(rpc, header, channel_id):
    """The proven channel, or None when the chain proves there is none."""
    v = proven(rpc, header, STORE, channel_key(channel_id), MAX_CHANNEL)
    return None if v is None else decode_channel(v)


def balance(rpc, header, address20, denom):
    """The proven balance of an account in one denom (0 when proven absent)."""
    return decode_balance(proven(rpc, header, BANK_STORE, balance_key(address20, denom),
                                 MAX_BALANCE))


def allowance(rpc, header, granter20, grantee20):
    """The proven fee allowance granter gives grantee, or None when proven absent."""
    v = proven(rpc, header, FEEGRANT_STORE, allowance_key(granter20, grantee20), MAX_GRANT)
    return None if v is None else decode_allowance(v)


def status_text(c, header):
    """What the owner is shown of a proven channel."""
    state = ("closed" if c["closed"] else
             "settling until %d" % c["settle_at"] if c["settle_at"] else "open")
    return ("channel %s [%s] to %s\n  deposit %d %s, redeemed %d, left %d (proven at height %d)"
            % (c["id"].hex(), state, c["provider"], c["deposit"], c["denom"], c["redeemed"],
               c["deposit"] - c["redeemed"], header.height - 1))


# --- the provider's side -----------------------------------------------------------------------

class Provider:
    """A paid service's side of its channels: before it answers a call it checks the voucher
    against the channel as the chain proves it (its provider, spender, denom, deposit, state,
    settle delay) and against the latest voucher it accepted on that lane; it answers only when
    the voucher adds at least the call's price. It then redeems the latest voucher of each lane
    whenever it likes (redeem_messages)."""

    def __init__(self, address, chain_id, min_settle_delay_s=1):
        self.address = address
        self.chain_id = chain_id
        self.min_settle_delay_s = min_settle_delay_s
        self.latest = {}      # (channel id, lane) -> (nonce, amount, voucher bytes, signature)
        self.redeemed = {}    # (channel id, lane) -> nonce redeemed on chain

    def _refuse(self, check, message, **details):
        raise PaymentRefused(check, message, **details)

    def check(self, proven_channel, voucher, sig):
        """-> the decoded voucher if it is for this provider's proven channel, on this chain,
        in its denom and signed by its spender key (what redeeming needs); PaymentRefused."""
        c = proven_channel
        try:
            v = V.decode(voucher)
        except DecodeError as e:
            self._refuse("voucher_decode", "not a voucher", reason=e.check)
        if c is None or v.channel != c["id"]:
            self._refuse("channel_unknown", "no proven channel for this voucher")
        if v.chain_id != self.chain_id:
            self._refuse("voucher_chain", "voucher for another chain")
        if c["provider"] != self.address:
            self._refuse("channel_provider", "the channel pays another provider")
        if c["closed"]:
            self._refuse("channel_closed", "the channel is closed")
        if v.denom != c["denom"]:
            self._refuse("voucher_denom", "voucher in another denom")
        if not backend.secp256k1_verify(c["spender"], bytes(voucher), bytes(sig)):
            self._refuse("spender_signature", "not signed by the channel's spender key")
        return v

    def accept(self, proven_channel, voucher, sig, price):
        """-> the increment this voucher pays, >= price, before a call is answered: check()'s
        rules, and the channel neither settling nor with too short a settle delay, the nonce
        above the lane's latest (redeemed or accepted), the deposit enough; PaymentRefused."""
        c = proven_channel
        v = self.check(c, voucher, sig)
        if c["settle_at"]:
            self._refuse("channel_settling", "the channel is settling")
        if c["settle_delay_s"] < self.min_settle_delay_s:
            self._refuse("channel_settle_delay", "settle delay too short to redeem in time")
        # each lane's latest: what the chain redeemed, or what this provider accepted since
        lanes = {lane: (nonce, amount) for lane, nonce, amount in c["lanes"]}
        for (ch, lane), (nonce, amount, _v, _s) in self.latest.items():
            if ch == v.channel and amount >= lanes.get(lane, (0, 0))[1]:
                lanes[lane] = (nonce, amount)
        key = (v.channel, v.lane)
        if v.lane in lanes and v.nonce <= lanes[v.lane][0]:
            self._refuse("nonce_old", "a nonce not above the lane's latest",
                         latest=lanes[v.lane][0])
        inc = v.amount - lanes.get(v.lane, (0, 0))[1]
        if inc < max(price, 1):
            self._refuse("amount_low", "the voucher adds less than the price", adds=inc,
                         price=price)
        lanes[v.lane] = (v.nonce, v.amount)
        if sum(a for _n, a in lanes.values()) > c["deposit"]:
            self._refuse("deposit_exceeded", "vouchers would pass the channel's deposit",
                         deposit=c["deposit"])
        self.latest[key] = (v.nonce, v.amount, bytes(voucher), bytes(sig))
        return inc

    def redeem_messages(self):
        """MsgRedeem of the latest accepted voucher of each lane not redeemed yet."""
        out = []
        for key, (nonce, _a, voucher, sig) in sorted(self.latest.items()):
            if self.redeemed.get(key) != nonce:
                out.append(msg_redeem(self.address, voucher, sig))
        return out

    def mark_redeemed(self):
        for key, (nonce, _a, _v, _s) in self.latest.items():
            self.redeemed[key] = nonce
