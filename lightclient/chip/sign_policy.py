# What the chip's account key signs, decided from the whole SignDoc it has read (pure: no I/O,
# no clock; docs/sign-policy.md). A Pi asking for anything else gets a typed SignRefused and
# nothing is signed. The owner's limits are an owner-signed CBOR map kept in the chip's store.
# Shared subset: CPython and MicroPython 1.27; imported on the first SIGN_TX only.
#
#   policy = decode_policy(cbor_bytes)             -> Policy (bounded, typed), or DEFAULT
#   text = check(d, me, policy, chain_id, height)  -> "vote YES on proposal 7" (d: decoded doc)

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import cbor, proto
from lightclient.chip.core import cbor_fields as F
from lightclient.chip.core.errors import DecodeError, InvalidData, LightClientError

MSG_VOTE = "/cosmos.gov.v1.MsgVote"
MSG_EXEC = "/cosmos.authz.v1beta1.MsgExec"
MSG_PUT_BLOB = "/mycroft.devices.v1.MsgPutBlob"   # a sealed blob's index record (docs/grants.md)
MAX_BLOB_RECIPIENTS = 32
VOTE_OPTIONS = {1: "YES", 2: "ABSTAIN", 3: "NO", 4: "NO_WITH_VETO"}
DOMAIN = b"mycroft-lc/txpolicy/v1\x00"   # what the owner signs: DOMAIN || deterministic CBOR
MAX_POLICY = 1024
MAX_RECIPIENTS = 8
MAX_ADDRESS = 90          # bech32 account address with our prefix is 46; contracts are longer
MAX_MEMO = 64             # without a policy
MAX_METADATA = 64         # a vote's metadata
MAX_TIMEOUT_BLOCKS = 100000   # a timeout height further than this above the verified head
MAX_EXEC_MSGS = 4
KEYS = ("v", "chain", "dev")
OPTIONAL = ("acct", "owner", "denom", "fee", "send", "to", "memo")
MAX_U64 = 0xFFFFFFFFFFFFFFFF


class SignRefused(LightClientError):
    """The chip will not sign this: `check` names the rule (sign_tx_type, sign_tx_fee, ...)."""


class Policy:
    def __init__(self, m):
        self.version = m.get("v", 0)
        self.chain_id = m.get("chain")
        self.device = m.get("dev")
        self.account_number = m.get("acct")         # None: not pinned
        self.owner = m.get("owner", "")             # the account the device may vote for (authz)
        self.denom = m.get("denom", "")             # "": fees in any denom, no MsgSend
        self.max_fee = m.get("fee", ct.MAX_DEVICE_FEE)
        self.max_send = m.get("send", 0)            # per transaction, summed over its MsgSends
        self.recipients = list(m.get("to", ()))
        self.max_memo = m.get("memo", MAX_MEMO)


DEFAULT = Policy({})   # no owner limits stored: the device's own writes and votes, small fees


def policy_bytes(encoded):
    return DOMAIN + bytes(encoded)


def decode_policy(b):
    if not isinstance(b, (bytes, bytearray)) or not 0 < len(b) <= MAX_POLICY:
        raise DecodeError("policy_length", "policy missing or too long", limit=MAX_POLICY)
    m = F.expect_map(cbor.loads(b), KEYS, OPTIONAL, "policy")
    F.get_uint(m, "v", max=0xFFFFFFFF)
    F.get_text(m, "chain", max_len=ct.MAX_CHAIN_ID)
    F.get_bytes(m, "dev", exact_len=33)
    F.get_uint(m, "acct", max=MAX_U64, default=None)
    F.get_text(m, "owner", max_len=MAX_ADDRESS, default="")
    F.get_text(m, "denom", max_len=64, default="")
    F.get_uint(m, "fee", max=MAX_U64, default=0)
    F.get_uint(m, "send", max=MAX_U64, default=0)
    for a in F.get_list(m, "to", max_len=MAX_RECIPIENTS, default=[]):
        if not isinstance(a, str) or not 0 < len(a) <= MAX_ADDRESS:
            raise DecodeError("policy_recipient", "recipient is not a short address")
    F.get_uint(m, "memo", max=256, default=0)
    if cbor.dumps(m) != bytes(b):
        raise DecodeError("policy_canonical", "policy is not deterministic CBOR")
    return Policy(m)


def _refuse(check, message, **details):
    raise SignRefused(check, message, **details)


def _fields(value, n, what):
    try:
        return proto.fields(value, n)
    except DecodeError:
        raise DecodeError("sign_msg_shape", "message does not parse", msg=what)


def _str(fs, field, what):
    v = proto.get_one(fs, field, proto.LEN, b"")
    try:
        return bytes(v).decode()
    except UnicodeError:
        raise DecodeError("sign_doc_text", "not UTF-8", field=what)


def _only(fs, allowed, what):
    for f in fs:
        if f not in allowed:
            _refuse("sign_msg_field", "message field the chip does not read", msg=what, field=f)


def decode_vote(value):
    """cosmos.gov.v1.MsgVote -> (proposal id, voter, option)."""
    fs = _fields(value, 8, "MsgVote")
    _only(fs, (1, 2, 3, 4), "MsgVote")
    meta = proto.get_one(fs, 4, proto.LEN, b"")
    if len(meta) > MAX_METADATA:
        _refuse("sign_vote_metadata", "vote metadata longer than the limit", limit=MAX_METADATA)
    pid = proto.get_one(fs, 1, proto.VARINT, 0)
    option = proto.get_one(fs, 3, proto.VARINT, 0)
    if pid == 0 or option not in VOTE_OPTIONS:
        _refuse("sign_vote_option", "no proposal or not a vote option", option=option)
    return pid, _str(fs, 2, "voter"), option


def _vote_text(value, voter_must_be, for_whom):
    pid, voter, option = decode_vote(value)
    if voter != voter_must_be:
        _refuse("sign_vote_voter", "the vote is cast for another account", voter=voter[:MAX_ADDRESS])
    return "vote %s on proposal %d%s" % (VOTE_OPTIONS[option], pid, for_whom)


def _exec_text(value, me, policy):
    """authz MsgExec by this device (grantee) wrapping the owner's votes only."""
    fs = _fields(value, MAX_EXEC_MSGS + 2, "MsgExec")
    _only(fs, (1, 2), "MsgExec")
    if _str(fs, 1, "grantee") != me:
        _refuse("sign_exec_grantee", "MsgExec names another grantee")
    if not policy.owner:
        _refuse("sign_exec_owner", "no owner account in the owner's limits: the device votes "
                "for no one else")
    inner = proto.get_all(fs, 2, proto.LEN)
    if not 0 < len(inner) <= MAX_EXEC_MSGS:
        _refuse("sign_exec_msgs", "MsgExec wraps 1..%d messages" % MAX_EXEC_MSGS)
    out = []
    for a in inner:
        af = _fields(a, 4, "Any")
        url = _str(af, 1, "type_url")
        if url != MSG_VOTE:
            _refuse("sign_tx_type", "MsgExec may wrap the owner's votes only", type_url=url[:80])
        out.append(_vote_text(proto.get_one(af, 2, proto.LEN, b""), policy.owner,
                              " for " + policy.owner))
    return "; ".join(out)


def _send(value, me, policy):
    """bank MsgSend from this device -> (amount, recipient), within the owner's limits."""
    if not policy.recipients:
        _refuse("sign_tx_type", "the owner's limits allow no MsgSend")
    fs = _fields(value, 3 + 4, "MsgSend")
    _only(fs, (1, 2, 3), "MsgSend")
    if _str(fs, 1, "from") != me:
        _refuse("sign_send_from", "MsgSend from another account")
    to = _str(fs, 2, "to")
    if to not in policy.recipients:
        _refuse("sign_send_to", "recipient not in the owner's list", to=to[:MAX_ADDRESS])
    coins = proto.get_all(fs, 3, proto.LEN)
    if len(coins) != 1:
        _refuse("sign_send_amount", "MsgSend of one coin only")
    cf = _fields(coins[0], 4, "Coin")
    denom, amt = _str(cf, 1, "denom"), _str(cf, 2, "amount")
    if not policy.denom or denom != policy.denom:
        _refuse("sign_send_denom", "not the owner's denom", denom=denom[:64])
    if not 0 < len(amt) <= 20 or not all("0" <= c <= "9" for c in amt):
        _refuse("sign_send_amount", "amount is not a decimal integer")
    return int(amt), to


def _blob_text(value, me):
    """x/devices MsgPutBlob by this device: the hash of a sealed blob the Pi uploaded; the chain
    takes it only while the owner's grants of the class are in force."""
    fs = _fields(value, 5 + MAX_BLOB_RECIPIENTS, "MsgPutBlob")
    _only(fs, (1, 2, 3, 4, 5, 6), "MsgPutBlob")
    if _str(fs, 1, "device") != me:
        _refuse("sign_tx_signer", "the blob record names another device")
    return "index a sealed %s blob of %d bytes for %d grantee(s)" % (
        _str(fs, 2, "class")[:64], proto.get_one(fs, 4, proto.VARINT, 0),
        len(proto.get_all(fs, 6, proto.LEN)))


def _write_text(value, me, device_pub, chain_id):
    """x/devices MsgDeviceWrite by this device, carrying an envelope this chip sealed itself
    (SEAL_OWN: its record key, signed by its Ed25519 key, docs/device-writes.md). The device key
    signs envelopes nowhere else, so a verified signature means the payload was sealed here: a
    Pi cannot get a plaintext write, or plaintext dressed as an envelope, signed and into a
    block."""
    from lightclient.chip.crypto import backend
    from lightclient.chip.keys import envelope, epochs
    fs = _fields(value, 8, "MsgDeviceWrite")
    _only(fs, (1, 2, 3), "MsgDeviceWrite")
    if _str(fs, 1, "device") != me:
        _refuse("sign_tx_signer", "the write names another device")
    kind = proto.get_one(fs, 2, proto.VARINT, 0)
    names = [k for k in ct.WRITE_KINDS if ct.WRITE_KINDS[k] == kind]
    if not names:
        _refuse("sign_write_kind", "not a device write kind", kind=kind)
    try:
        m = envelope.parse(bytes(proto.get_one(fs, 3, proto.LEN, b"")))
    except InvalidData as e:
        _refuse("sign_write_plaintext", "the write is not a sealed envelope", cause=e.check)
    writer = (m[envelope.K_WRITER][0], bytes(m[envelope.K_WRITER][1]))
    suffix = b"." + epochs.WRITE_KINDS[names[0]].encode()
    if (device_pub is None or writer != ("ed25519", bytes(device_pub))
            or epochs.write_writer(m[envelope.K_KEY]) != writer
            or not m[envelope.K_KEY].endswith(suffix) or m[envelope.K_CHAIN] != chain_id):
        _refuse("sign_write_envelope", "not this device's envelope of this kind on this chain")
    sig = m.pop(envelope.K_SIG)
    if not backend.ed25519_verify(writer[1], envelope.signing_bytes(m), sig):
        _refuse("sign_write_signature", "the envelope is not signed by this device's key")
    return "write " + names[0]


def body_extras(body):
    """(memo, timeout_height) of TxBody bytes (decode_sign_doc refused fields beyond 1..3)."""
    bf = proto.fields(body, ct.MAX_MESSAGES + 3)
    memo = proto.get_one(bf, 2, proto.LEN, b"")
    return memo, proto.get_one(bf, 3, proto.VARINT, 0)


def check(d, me, pub, policy, chain_id, height, min_sequence=0, proven_sequence=0,
          device_pub=None):
    """d: cosmos_tx.decode_sign_doc of the doc to sign; me: this chip's bech32 account; pub:
    its key; chain_id, height: of the chip's verified header; min_sequence: the highest sequence
    it signed for this account number (persisted); proven_sequence: the account's sequence in
    state the chip verified (0: none proven for this account number); device_pub: its Ed25519
    device key (None: no device write is signed). Returns the human summary; raises
    SignRefused / DecodeError."""
    if d["chain_id"] != chain_id:
        _refuse("sign_tx_chain", "transaction for another chain", chain_id=d["chain_id"][:50])
    if bytes(d["pub_key"]) != bytes(pub):
        _refuse("sign_tx_pubkey", "the signer is another key")
    if policy.account_number is not None and d["account_number"] != policy.account_number:
        _refuse("sign_tx_account", "not this device's account number",
                account_number=d["account_number"], want=policy.account_number)
    if d["sequence"] < proven_sequence:   # already used on chain: it can only be a replay
        _refuse("sequence_below_proven", "a sequence below the account's proven one",
                sequence=d["sequence"], proven=proven_sequence)
    if d["sequence"] < min_sequence:
        _refuse("sequence_replayed", "a sequence below one already signed (a replay)",
                sequence=d["sequence"], min=min_sequence)
    if d["payer"] not in ("", me):
        _refuse("sign_tx_fee", "another account pays the fee", payer=d["payer"][:MAX_ADDRESS])
    if d["granter"] not in ("", policy.owner):
        _refuse("sign_tx_fee", "a fee granter the owner did not name")
    if len(d["fee"]) > 1:
        _refuse("sign_tx_fee", "fee in more than one denom")
    for denom, amount in d["fee"]:
        if amount > policy.max_fee or (policy.denom and denom != policy.denom):
            _refuse("sign_tx_fee", "fee over the owner's limit or in another denom",
                    amount=amount, limit=policy.max_fee)
    memo, timeout = body_extras(d["body"])
    if len(memo) > policy.max_memo:
        _refuse("sign_tx_memo", "memo longer than the limit", limit=policy.max_memo)
    if timeout and not height < timeout <= height + MAX_TIMEOUT_BLOCKS:
        _refuse("sign_tx_timeout", "timeout height passed or too far ahead", timeout=timeout,
                height=height)
    parts = []
    sent = 0
    for url, value in d["messages"]:
        if url == ct.MSG_DEVICE_WRITE:
            parts.append(_write_text(value, me, device_pub, chain_id))
        elif url == MSG_VOTE:
            parts.append(_vote_text(value, me, ""))
        elif url == MSG_PUT_BLOB:
            parts.append(_blob_text(value, me))
        elif url == MSG_EXEC:
            parts.append(_exec_text(value, me, policy))
        elif url == ct.MSG_SEND:
            amount, to = _send(value, me, policy)
            sent += amount
            if sent > policy.max_send:
                _refuse("sign_send_cap", "over the owner's send limit", amount=sent,
                        limit=policy.max_send)
            parts.append("send %d %s to %s" % (amount, policy.denom, to))
        else:
            _refuse("sign_tx_type", "a message type the chip does not sign", type_url=url[:80])
    return "; ".join(parts)
