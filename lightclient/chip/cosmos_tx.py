# Cosmos SDK transactions in SIGN_MODE_DIRECT, built with the core's protobuf encoder: TxBody,
# AuthInfo (one secp256k1 signer), SignDoc and TxRaw, the bytes the SDK's ante handler checks
# (proto: cosmos/tx/v1beta1/tx.proto). Spec and vectors: docs/cosmos-tx.md; the oracle is
# @cosmjs/proto-signing (tests/cosmostx). Also the messages the device sends: x/devices and bank
# MsgSend, and the decoder of a SignDoc the chip uses to see what it signs before it signs.
# Shared subset: CPython and MicroPython 1.27 (no protobuf library, no SHA-512).

import hashlib

from lightclient.chip import bech32
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend as crypto

ADDRESS_PREFIX = "mycroft"   # the chain's bech32 account prefix (docs/chain.md)
SIGN_MODE_DIRECT = 1
SECP256K1_PUBKEY = "/cosmos.crypto.secp256k1.PubKey"
MSG_SEND = "/cosmos.bank.v1beta1.MsgSend"
MSG_REGISTER_DEVICE = "/mycroft.devices.v1.MsgRegisterDevice"
MSG_UPDATE_SETTINGS = "/mycroft.devices.v1.MsgUpdateSettings"
MSG_DEVICE_WRITE = "/mycroft.devices.v1.MsgDeviceWrite"
# What a device signs with its account key: only its own writes (lightclient/chip/app/device.py).
DEVICE_SIGNABLE = (MSG_DEVICE_WRITE,)
# x/devices WriteKind (tools/chain/proto/mycroft/devices/v1/tx.proto) by name.
WRITE_KINDS = {"skill_settings": 1, "settings_meta": 2, "metrics": 3}
MAX_SIGN_DOC = 8192
MAX_MESSAGES = 8
MAX_CHAIN_ID = 50        # CometBFT's MaxChainIDLen
# The most a device pays for one of its writes, per denom: a compromised Pi cannot spend the
# device's funding on fees faster than this per signature (docs/cosmos-tx.md).
MAX_DEVICE_FEE = 100000


def account_address(pub33):
    """The SDK's secp256k1 account address: RIPEMD160(SHA256(compressed key)), 20 bytes."""
    return crypto.ripemd160(hashlib.sha256(bytes(pub33)).digest())


def bech32_address(pub33, prefix=ADDRESS_PREFIX):
    return bech32.encode(prefix, account_address(pub33))


def bech32_address_of(address20, prefix=ADDRESS_PREFIX):
    return bech32.encode(prefix, bytes(address20))


def any_(type_url, value):
    """google.protobuf.Any."""
    return proto.bytes_field(1, type_url) + proto.bytes_field(2, value)


def coin(denom, amount):
    """cosmos.base.v1beta1.Coin: the amount is a decimal string (math.Int)."""
    if not isinstance(amount, int) or amount < 0:
        raise DecodeError("tx_coin", "coin amount must be a non-negative integer")
    return proto.bytes_field(1, denom) + proto.bytes_field(2, str(amount))


def coins(pairs):
    return [coin(d, a) for d, a in pairs]


def _repeated(field, encoded_items):
    return b"".join(proto.message_field(field, m) for m in encoded_items)


def tx_body(messages, memo="", timeout_height=0):
    """messages: [(type_url, encoded message)]."""
    if not 0 < len(messages) <= MAX_MESSAGES:
        raise DecodeError("tx_messages", "a transaction carries 1..%d messages" % MAX_MESSAGES)
    return (_repeated(1, [any_(u, v) for u, v in messages]) + proto.bytes_field(2, memo)
            + proto.varint_field(3, timeout_height))


def secp256k1_pubkey_any(pub33):
    if len(pub33) != 33 or pub33[0] not in (2, 3):
        raise DecodeError("tx_pubkey", "want a 33-byte compressed secp256k1 key")
    return any_(SECP256K1_PUBKEY, proto.bytes_field(1, bytes(pub33)))


def auth_info(pub33, sequence, gas_limit, fee=(), payer="", granter=""):
    """One signer, SIGN_MODE_DIRECT; fee: [(denom, amount)]."""
    single = proto.varint_field(1, SIGN_MODE_DIRECT)
    mode_info = proto.message_field(1, single)          # ModeInfo.single
    signer = (proto.message_field(1, secp256k1_pubkey_any(pub33))
              + proto.message_field(2, mode_info) + proto.varint_field(3, sequence))
    fee_msg = (_repeated(1, coins(fee)) + proto.varint_field(2, gas_limit)
               + proto.bytes_field(3, payer) + proto.bytes_field(4, granter))
    return proto.message_field(1, signer) + proto.message_field(2, fee_msg)


def sign_doc(body_bytes, auth_info_bytes, chain_id, account_number):
    return (proto.bytes_field(1, body_bytes) + proto.bytes_field(2, auth_info_bytes)
            + proto.bytes_field(3, chain_id) + proto.varint_field(4, account_number))


def tx_raw(body_bytes, auth_info_bytes, signature):
    # repeated bytes: an element is emitted even when empty, so not bytes_field
    sig = bytes(signature)
    return (proto.bytes_field(1, body_bytes) + proto.bytes_field(2, auth_info_bytes)
            + b"\x1a" + proto.uvarint(len(sig)) + sig)


def sign_secp256k1(secret):
    """A sign(sign_doc) function for a key held in this process (the owner's, tools, tests):
    RFC 6979, low s, over SHA-256 (the SDK's secp256k1 rules). The chip signs with its own."""
    return lambda doc: crypto.secp256k1_sign(secret, doc)


def build(messages, pub33, chain_id, account_number, sequence, sign, gas_limit=200000,
          fee=(), memo="", payer="", granter=""):
    """(tx bytes, sign doc bytes); sign(sign_doc) -> 64-byte r || s (low s)."""
    body = tx_body(messages, memo)
    auth = auth_info(pub33, sequence, gas_limit, fee, payer, granter)
    doc = sign_doc(body, auth, chain_id, account_number)
    sig = sign(doc)
    if len(sig) != 64:
        raise DecodeError("tx_signature", "signature must be 64 bytes r || s")
    return tx_raw(body, auth, sig), doc


# --- messages --------------------------------------------------------------------------------

def msg_send(from_addr, to_addr, amount):
    """cosmos.bank.v1beta1.MsgSend; amount: [(denom, n)]."""
    return MSG_SEND, (proto.bytes_field(1, from_addr) + proto.bytes_field(2, to_addr)
                      + _repeated(3, coins(amount)))


def msg_register_device(owner, pub33, settings, device_signature, funding=()):
    return MSG_REGISTER_DEVICE, (proto.bytes_field(1, owner) + proto.bytes_field(2, bytes(pub33))
                                 + proto.bytes_field(3, settings)
                                 + proto.bytes_field(4, device_signature)
                                 + _repeated(5, coins(funding)))


def msg_update_settings(owner, device, settings):
    return MSG_UPDATE_SETTINGS, (proto.bytes_field(1, owner) + proto.bytes_field(2, device)
                                 + proto.bytes_field(3, settings))


def msg_device_write(device, kind, data):
    """kind: a WRITE_KINDS name; data: bytes, the write's envelope sealed on the chip
    (SEAL_OWN, docs/device-writes.md: x/devices refuses anything else)."""
    if kind not in WRITE_KINDS:
        raise DecodeError("tx_write_kind", "unknown device write kind", kind=str(kind)[:32])
    return MSG_DEVICE_WRITE, (proto.bytes_field(1, device)
                              + proto.varint_field(2, WRITE_KINDS[kind])
                              + proto.bytes_field(3, data))


REGISTRATION_DOMAIN = b"\x00mycroft/devices/register/v1"


def registration_statement(chain_id, owner20, pub33):
    """What the device signs to consent to its registration (x/devices types/statement.go):
    0x00 (protobuf field 0: never a SignDoc) || domain || u16be len || chain id ||
    u16be len || owner address || device key."""
    c = chain_id.encode()
    return (REGISTRATION_DOMAIN + len(c).to_bytes(2, "big") + c
            + len(owner20).to_bytes(2, "big") + bytes(owner20) + bytes(pub33))


# --- what the chip reads before signing --------------------------------------------------------

def _one(fs, field, wire, what, default=None):
    try:
        return proto.get_one(fs, field, wire, default)
    except DecodeError:
        raise DecodeError("sign_doc_field", "field has the wrong wire type", field=what)


def _text(b, what):
    try:
        return bytes(b).decode()
    except UnicodeError:
        raise DecodeError("sign_doc_text", "not UTF-8", field=what)


def decode_sign_doc(doc):
    """Untrusted SignDoc bytes -> {"chain_id", "account_number", "sequence", "pub_key",
    "messages": [(type_url, value)], "body": body bytes, "fee": [(denom, amount)],
    "gas_limit", "payer", "granter"}: the fields a signer must see.
    Refuses what it cannot fully read: more than one signer, a mode other than DIRECT,
    non-secp256k1 keys, extension options and unknown fields of TxBody."""
    if not isinstance(doc, (bytes, bytearray)) or len(doc) > MAX_SIGN_DOC:
        raise DecodeError("sign_doc_size", "sign doc missing or longer than the limit",
                          limit=MAX_SIGN_DOC)
    fs = proto.fields(doc, 8)
    if sorted(fs) != [f for f in (1, 2, 3, 4) if f in fs] or any(len(v) > 1 for v in fs.values()):
        raise DecodeError("sign_doc_shape", "unknown or repeated SignDoc field")
    body = _one(fs, 1, proto.LEN, "body_bytes", b"")
    auth = _one(fs, 2, proto.LEN, "auth_info_bytes", b"")
    chain = _one(fs, 3, proto.LEN, "chain_id", b"")
    account_number = _one(fs, 4, proto.VARINT, "account_number", 0)
    if not 0 < len(chain) <= MAX_CHAIN_ID:
        raise DecodeError("sign_doc_chain_id", "chain id empty or too long")
    bf = proto.fields(body, MAX_MESSAGES + 3)
    for f in bf:
        if f not in (1, 2, 3):    # extension options, unordered, timeout_timestamp: refused
            raise DecodeError("sign_doc_body", "TxBody field the signer does not read", field=f)
    messages = []
    for a in proto.get_all(bf, 1, proto.LEN):
        af = proto.fields(a, 4)
        url = _one(af, 1, proto.LEN, "type_url", b"")
        messages.append((_text(url, "type_url"), _one(af, 2, proto.LEN, "value", b"")))
    if not messages:
        raise DecodeError("sign_doc_body", "transaction without messages")
    af = proto.fields(auth, 8)
    signers = proto.get_all(af, 1, proto.LEN)
    if len(signers) != 1:
        raise DecodeError("sign_doc_signers", "want exactly one signer", count=len(signers))
    sf = proto.fields(signers[0], 8)
    pk = proto.fields(_one(sf, 1, proto.LEN, "public_key", b""), 4)
    if _one(pk, 1, proto.LEN, "pubkey type_url", b"") != SECP256K1_PUBKEY.encode():
        raise DecodeError("sign_doc_pubkey", "signer key is not secp256k1")
    pub = _one(proto.fields(_one(pk, 2, proto.LEN, "pubkey", b""), 4), 1, proto.LEN, "key", b"")
    fee = proto.fields(_one(af, 2, proto.LEN, "fee", b""), 16)
    amounts = []
    for c in proto.get_all(fee, 1, proto.LEN):
        cf = proto.fields(c, 4)
        amt = _text(_one(cf, 2, proto.LEN, "amount", b""), "amount")
        if not 0 < len(amt) <= 40 or not all("0" <= ch <= "9" for ch in amt):
            raise DecodeError("sign_doc_fee", "fee amount is not a decimal integer")
        amounts.append((_text(_one(cf, 1, proto.LEN, "denom", b""), "denom"), int(amt)))
    mode = proto.fields(_one(sf, 2, proto.LEN, "mode_info", b""), 4)
    single = _one(mode, 1, proto.LEN, "mode_info.single", None)
    if single is None or _one(proto.fields(single, 4), 1, proto.VARINT, "mode", 0) != \
            SIGN_MODE_DIRECT:
        raise DecodeError("sign_doc_mode", "signer mode is not SIGN_MODE_DIRECT")
    return {"chain_id": _text(chain, "chain_id"), "account_number": account_number,
            "sequence": _one(sf, 3, proto.VARINT, "sequence", 0), "pub_key": pub,
            "messages": messages, "body": body, "fee": amounts,
            "gas_limit": _one(fee, 2, proto.VARINT, "gas_limit", 0),
            "payer": _text(_one(fee, 3, proto.LEN, "payer", b""), "payer"),
            "granter": _text(_one(fee, 4, proto.LEN, "granter", b""), "granter")}


def write_signer(value):
    """The `device` (field 1, bech32) of an encoded MsgDeviceWrite."""
    return _text(_one(proto.fields(value, 8), 1, proto.LEN, "device", b""), "device")


# --- the signer's account, as x/auth stores it (store "acc") -----------------------------------

ACC_STORE = "acc"
ACC_KEY_PREFIX = b"\x01"     # x/auth AddressStoreKeyPrefix (collections prefix 1) || address
BASE_ACCOUNT = "/cosmos.auth.v1beta1.BaseAccount"
MAX_ACCOUNT = 512


def account_key(address20):
    """The key of an account in the "acc" store: 0x01 || 20-byte address."""
    if len(address20) != 20:
        raise DecodeError("account_address", "want a 20-byte account address")
    return ACC_KEY_PREFIX + bytes(address20)


def decode_account(value):
    """A stored account (Any of BaseAccount, as proven from the "acc" store) ->
    {"address", "account_number", "sequence", "pub_key" (the Any's key bytes or None)}."""
    if not isinstance(value, (bytes, bytearray)) or not 0 < len(value) <= MAX_ACCOUNT:
        raise DecodeError("account_size", "account value missing or too long", limit=MAX_ACCOUNT)
    fs = proto.fields(value, 4)
    if _one(fs, 1, proto.LEN, "type_url", b"") != BASE_ACCOUNT.encode():
        raise DecodeError("account_type", "not a BaseAccount")
    af = proto.fields(_one(fs, 2, proto.LEN, "value", b""), 8)
    pub = None
    pk = _one(af, 2, proto.LEN, "pub_key", None)
    if pk is not None:
        pf = proto.fields(pk, 4)
        if _one(pf, 1, proto.LEN, "pubkey type_url", b"") == SECP256K1_PUBKEY.encode():
            pub = _one(proto.fields(_one(pf, 2, proto.LEN, "pubkey", b""), 4), 1, proto.LEN,
                       "key", b"")
    return {"address": _text(_one(af, 1, proto.LEN, "address", b""), "address"),
            "account_number": _one(af, 3, proto.VARINT, "account_number", 0),
            "sequence": _one(af, 4, proto.VARINT, "sequence", 0), "pub_key": pub}
