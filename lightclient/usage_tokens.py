"""Skill-usage tokens on the Pi (docs/usage-tokens.md): the token message layout (the same
bytes tools/chain/x/usage/types/token.go parses), x/usage's messages, its store read with ICS23
proofs, and the device's side of issuance: blind (RFC 9474, lightclient/blind_rsa.py), have the
chip sign the request, let the issuer sign blinded, unblind and check each token.

The chain never sees the device in a redemption: tokens go to the skill's creator or a relay,
who submits MsgRedeemTokens from its own account."""

import hashlib
import secrets

from lightclient import blind_rsa, channels
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import usage_request
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, LightClientError

STORE = "usage"
LAYOUT_KEY = b"\x00"
ISSUER_KEY_KEY = b"\x01"
SPENT_PREFIX = b"\x02"
SKILL_PREFIX = b"\x03"
EPOCH_TOTAL_PREFIX = b"\x04"
SKILL_TALLY_PREFIX = b"\x05"
PARAMS_KEY = b"\x06"
MAX_VALUE = 1024

TOKEN_PREFIX = b"mycroft-lc/usage-token/v1\x00"
KEY_ID_LEN = NONCE_LEN = 32
MAX_ID = 64
MAX_TOKENS_PER_TX = 64

MSG_SET_ISSUER_KEY = "/mycroft.usage.v1.MsgSetIssuerKey"
MSG_REGISTER_SKILL = "/mycroft.usage.v1.MsgRegisterSkill"
MSG_REDEEM_TOKENS = "/mycroft.usage.v1.MsgRedeemTokens"
MSG_FUND_POOL = "/mycroft.usage.v1.MsgFundPool"
MSG_CLAIM_REWARD = "/mycroft.usage.v1.MsgClaimReward"

# x/usage's registered errors (codespace "usage"; tools/chain/x/usage/types/errors.go)
CODESPACE = "usage"
ERRORS = {2: "not_authority", 3: "invalid_issuer_key", 4: "no_issuer_key", 5: "malformed_token",
          6: "wrong_chain", 7: "epoch_window", 8: "unknown_skill", 9: "issuer_key_replaced",
          10: "bad_signature", 11: "double_spend", 12: "skill_exists", 13: "invalid_skill",
          14: "epoch_open", 15: "already_paid", 16: "nothing_to_claim", 17: "too_many_tokens",
          18: "invalid_amount", 19: "invalid_params", 20: "device_submitter"}


class UsageError(LightClientError):
    """A usage-token step refused; check names it (token_*, issuer_*, ...)."""


def error_name(code):
    return ERRORS.get(code, "unknown_%d" % code)


def _skill_id(s):
    b = s.encode() if isinstance(s, str) else b""
    if not 0 < len(b) <= MAX_ID or not all(c in b"abcdefghijklmnopqrstuvwxyz0123456789._-"
                                          for c in b) or b[:1] in (b".", b"_", b"-"):
        raise DecodeError("skill_id", "a skill id is 1..64 of [a-z0-9._-]", skill=str(s)[:70])
    return b


# --- the token message --------------------------------------------------------------------------

def token_message(chain_id, epoch, skill_id, key_id, nonce=None):
    """prefix || u8 len || chain id || epoch (8) || u8 len || skill id || key id (32) || nonce
    (32, random: the device's, never seen by the issuer)."""
    c = chain_id.encode()
    s = _skill_id(skill_id)
    nonce = secrets.token_bytes(NONCE_LEN) if nonce is None else nonce
    if not 0 < len(c) <= MAX_ID or len(key_id) != KEY_ID_LEN or len(nonce) != NONCE_LEN:
        raise DecodeError("token_message", "field out of range")
    return (TOKEN_PREFIX + bytes([len(c)]) + c + int(epoch).to_bytes(8, "big") + bytes([len(s)])
            + s + bytes(key_id) + bytes(nonce))


def parse_token_message(b):
    """-> {"chain_id", "epoch", "skill_id", "key_id", "nonce"}; DecodeError("token_message")."""
    b = bytes(b)
    if len(b) > len(TOKEN_PREFIX) + 2 * (1 + MAX_ID) + 8 + KEY_ID_LEN + NONCE_LEN or \
            not b.startswith(TOKEN_PREFIX):
        raise DecodeError("token_message", "not a token message")
    i = len(TOKEN_PREFIX)

    def text(i):
        if i >= len(b) or not 0 < b[i] <= MAX_ID or len(b) < i + 1 + b[i]:
            raise DecodeError("token_message", "text field")
        try:
            return b[i + 1:i + 1 + b[i]].decode(), i + 1 + b[i]
        except UnicodeError:
            raise DecodeError("token_message", "text field is not UTF-8") from None

    chain_id, i = text(i)
    if len(b) < i + 8:
        raise DecodeError("token_message", "epoch")
    epoch = int.from_bytes(b[i:i + 8], "big")
    skill, i = text(i + 8)
    _skill_id(skill)
    if len(b) != i + KEY_ID_LEN + NONCE_LEN:
        raise DecodeError("token_message", "key id and nonce")
    return {"chain_id": chain_id, "epoch": epoch, "skill_id": skill,
            "key_id": b[i:i + KEY_ID_LEN], "nonce": b[i + KEY_ID_LEN:]}


def epoch_of(time_s, epoch_seconds):
    """The epoch of a verified header's time (never the Pi's clock)."""
    return int(time_s) // int(epoch_seconds)


# --- messages -----------------------------------------------------------------------------------

def msg_set_issuer_key(authority, pk):
    return MSG_SET_ISSUER_KEY, (proto.bytes_field(1, authority)
                                + proto.bytes_field(2, pk.modulus_bytes())
                                + proto.varint_field(3, pk.e))


def msg_register_skill(creator, skill_id):
    return MSG_REGISTER_SKILL, proto.bytes_field(1, creator) + proto.bytes_field(2, _skill_id(skill_id))


def msg_redeem_tokens(submitter, tokens):
    """tokens: [(message, signature)], 1..64 (the relay's or the creator's account signs)."""
    if not 0 < len(tokens) <= MAX_TOKENS_PER_TX:
        raise DecodeError("too_many_tokens", "1..%d tokens per message" % MAX_TOKENS_PER_TX)
    return MSG_REDEEM_TOKENS, proto.bytes_field(1, submitter) + b"".join(
        proto.message_field(2, proto.bytes_field(1, bytes(m)) + proto.bytes_field(2, bytes(s)))
        for m, s in tokens)


def msg_fund_pool(funder, amount):
    return MSG_FUND_POOL, proto.bytes_field(1, funder) + proto.message_field(2, ct.coin(*amount))


def msg_claim_reward(submitter, skill_id, epoch):
    return MSG_CLAIM_REWARD, (proto.bytes_field(1, submitter)
                              + proto.bytes_field(2, _skill_id(skill_id))
                              + proto.varint_field(3, epoch))


# --- proven state -------------------------------------------------------------------------------

def _proven(rpc, header, key):
    return channels.proven(rpc, header, STORE, key, MAX_VALUE)


def issuer_key(rpc, header):
    """The proven issuer key (blind_rsa.PublicKey), its id checked; None when proven unset."""
    v = _proven(rpc, header, ISSUER_KEY_KEY)
    if v is None:
        return None
    fs = proto.fields(v, 4)
    pk = blind_rsa.PublicKey.from_bytes(proto.get_one(fs, 1, proto.LEN, b""),
                                        proto.get_one(fs, 2, proto.VARINT, 0))
    if proto.get_one(fs, 3, proto.LEN, b"") != pk.key_id():
        raise DecodeError("issuer_key_id", "the stored key id is not the key's")
    return pk


def params(rpc, header):
    """The proven params: {"epoch_seconds", "reward": (denom, amount)}."""
    v = _proven(rpc, header, PARAMS_KEY)
    if v is None:
        raise DecodeError("usage_params", "the chain proves no x/usage params")
    fs = proto.fields(v, 4)
    coin = proto.fields(proto.get_one(fs, 2, proto.LEN, b""), 4)
    epoch_s = proto.get_one(fs, 1, proto.VARINT, 0)
    try:
        reward = (proto.get_one(coin, 1, proto.LEN, b"").decode(),
                  int(proto.get_one(coin, 2, proto.LEN, b"0").decode() or "0"))
    except (UnicodeError, ValueError):
        raise DecodeError("usage_params", "the reward coin does not parse") from None
    if epoch_s <= 0:
        raise DecodeError("usage_params", "epoch_seconds is 0")
    return {"epoch_seconds": epoch_s, "reward": reward}


def skill_creator(rpc, header, skill_id):
    """The proven creator (bech32) of a registered skill, or None when proven unregistered."""
    v = _proven(rpc, header, SKILL_PREFIX + _skill_id(skill_id))
    return None if v is None else proto.get_one(proto.fields(v, 4), 2, proto.LEN, b"").decode()


def skill_tally(rpc, header, epoch, skill_id):
    """(tokens redeemed, paid) of one skill in one epoch, proven (0, False when absent)."""
    v = _proven(rpc, header, SKILL_TALLY_PREFIX + int(epoch).to_bytes(8, "big") + _skill_id(skill_id))
    if v is None:
        return 0, False
    fs = proto.fields(v, 4)
    return proto.get_one(fs, 1, proto.VARINT, 0), bool(proto.get_one(fs, 2, proto.VARINT, 0))


def is_spent(rpc, header, message):
    return _proven(rpc, header, SPENT_PREFIX + hashlib.sha256(bytes(message)).digest()) is not None


# --- the device's side of issuance --------------------------------------------------------------

def request_tokens(pk, chain_id, epoch, address20, counts, sign_request, issue):
    """Tokens for this epoch's uses: counts {skill_id: uses}. For each use a token message with
    a fresh nonce is blinded here (RFC 9474, SHA-384: on the Pi); the chip signs the request
    naming only the blinded messages' hashes (sign_request(bytes) -> 64-byte signature, e.g.
    McuClient.sign_usage_request); issue(request, signature, [blinded]) -> [blind signature] is
    the issuer's answer. Each token is unblinded and checked; -> [(message, signature)]."""
    key_id = pk.key_id()
    msgs = [token_message(chain_id, epoch, skill, key_id)
            for skill, n in sorted(counts.items()) for _ in range(int(n))]
    if not 0 < len(msgs) <= usage_request.MAX_TOKENS:
        raise UsageError("token_count", "1..%d tokens per request" % usage_request.MAX_TOKENS,
                         count=len(msgs))
    blinded, states = [], []
    for m in msgs:
        b, st = blind_rsa.blind(pk, m)
        blinded.append(b)
        states.append(st)
    req = usage_request.encode(chain_id, epoch, key_id, address20,
                               [hashlib.sha256(b).digest() for b in blinded])
    answers = issue(req, sign_request(req), blinded)
    if len(answers) != len(blinded):
        raise UsageError("issuer_answer", "the issuer answered %d of %d" % (len(answers), len(blinded)))
    out = []
    for st, bs in zip(states, answers):
        try:
            out.append((st.msg, blind_rsa.finalize(pk, st, bs)))
        except blind_rsa.BlindRsaError as e:
            raise UsageError("issuer_signature", str(e)) from None
    return out


def check_token(pk, chain_id, message, signature):
    """What a relay or creator checks before it submits a token: its layout, chain, key id and
    signature (the chain checks them all again, and the epoch and the spent set)."""
    t = parse_token_message(message)
    if t["chain_id"] != chain_id:
        raise UsageError("token_chain", "token for another chain", chain_id=t["chain_id"][:50])
    if t["key_id"] != pk.key_id():
        raise UsageError("token_key", "token names another issuer key")
    try:
        pk.verify(message, signature)
    except blind_rsa.BlindRsaError as e:
        raise UsageError("token_signature", str(e)) from None
    return t
