# The chain side of user-held keys (x/devices PairingMsg, docs/chain-pairing.md): the messages
# the owner's tool sends, the grant statement it signs, and the store keys and records it proves.
# The Go twin: tools/chain/x/devices/types/{sealed,keys_pairing}.go. Pi side (CPython).

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import cbor, proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import secp256k1

STORE = "devices"
PAIRED_PREFIX, OWNER_PREFIX, SEALED_PREFIX, GRANT_PREFIX = b"\x03", b"\x04", b"\x05", b"\x06"
MSG_PAIR_DEVICE = "/mycroft.devices.v1.MsgPairDevice"
MSG_REMOVE_DEVICE = "/mycroft.devices.v1.MsgRemoveDevice"
MSG_PUT_SEALED = "/mycroft.devices.v1.MsgPutSealed"
MSG_GRANT = "/mycroft.devices.v1.MsgGrant"
MSG_REVOKE = "/mycroft.devices.v1.MsgRevoke"
GRANT_DOMAIN = "mycroft-lc/grant/v1"
GRANT_SIGN_PREFIX = b"mycroft-lc/grant/v1 statement\x00"
NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"


# --- messages ---------------------------------------------------------------------------------

def msg_pair_device(owner, statement, owner_sig, device_sig, epoch_envelope):
    return MSG_PAIR_DEVICE, (proto.bytes_field(1, owner) + proto.bytes_field(2, statement)
                             + proto.bytes_field(3, owner_sig) + proto.bytes_field(4, device_sig)
                             + proto.bytes_field(5, epoch_envelope))


def msg_remove_device(owner, device_pub, epoch_envelope):
    return MSG_REMOVE_DEVICE, (proto.bytes_field(1, owner) + proto.bytes_field(2, device_pub)
                               + proto.bytes_field(3, epoch_envelope or b""))


def msg_put_sealed(submitter, envelope):
    return MSG_PUT_SEALED, proto.bytes_field(1, submitter) + proto.bytes_field(2, envelope)


def msg_grant(owner, statement, signature):
    return MSG_GRANT, (proto.bytes_field(1, owner) + proto.bytes_field(2, statement)
                       + proto.bytes_field(3, signature))


def msg_revoke(owner, grantee, klass):
    return MSG_REVOKE, (proto.bytes_field(1, owner) + proto.bytes_field(2, grantee)
                        + proto.bytes_field(3, klass))


# --- grants -----------------------------------------------------------------------------------

def grant_statement(chain_id, owner_pub, grantee, klass, expiry):
    """CBOR {0: domain, 1: chain id, 2: owner secp256k1 key, 3: grantee (bech32), 4: class,
    5: expiry (unix seconds)}."""
    return cbor.dumps({0: GRANT_DOMAIN, 1: chain_id, 2: bytes(owner_pub), 3: grantee,
                       4: klass, 5: int(expiry)})


def sign_grant(owner_secret, statement):
    return secp256k1.sign(owner_secret, GRANT_SIGN_PREFIX + statement)


def parse_grant(statement):
    m = cbor.loads(statement, max_depth=2, max_items=16)
    if not isinstance(m, dict) or sorted(m) != list(range(6)) or m[0] != GRANT_DOMAIN:
        raise DecodeError("grant_shape", "not a grant statement")
    return {"chain_id": m[1], "owner_pub": m[2], "grantee": m[3], "class": m[4], "expiry": m[5]}


def verify_grant(statement, signature, owner_pub):
    """A grant read from the chain, checked again by its reader: the owner's signature."""
    from lightclient.chip.crypto import backend
    return backend.verify("secp256k1", bytes(owner_pub), GRANT_SIGN_PREFIX + statement,
                          bytes(signature))


# --- store keys -------------------------------------------------------------------------------

def address20(bech, hrp=ct.ADDRESS_PREFIX):
    from bip_utils import Bech32Decoder
    try:
        data = Bech32Decoder.Decode(hrp, bech)
    except Exception as e:
        raise DecodeError("address", "not a %s bech32 address: %s" % (hrp, e)) from None
    if len(data) != 20:
        raise DecodeError("address", "an account address is 20 bytes", got=len(data))
    return bytes(data)


def settings_record_key(owner_bech, name):
    if not 1 <= len(name) <= 64 or any(c not in NAME_CHARS for c in name):
        raise DecodeError("setting_name", "a setting name is 1..64 of [A-Za-z0-9._-]",
                          name=name[:64])
    return ("settings/%s/%s" % (owner_bech, name)).encode()


def device_settings_name(device_bech, record="device"):
    """The name of one of a device's owner-written records, "<record>.<its mycroft1...
    account>", record one of epochs.DEVICE_RECORDS (device: its settings; location; skills):
    the chip opens only these for itself (chip.keys.epochs.device_settings_key)."""
    from lightclient.chip.keys.epochs import DEVICE_RECORDS
    address20(device_bech)
    if record not in DEVICE_RECORDS:
        raise DecodeError("record_name", "not a device record", name=str(record)[:16])
    return record + "." + device_bech


def paired_key(device_pub):
    return PAIRED_PREFIX + bytes(device_pub)


def owner_key(owner_bech):
    return OWNER_PREFIX + address20(owner_bech)


def sealed_key(record_key):
    return SEALED_PREFIX + bytes(record_key)


def grant_key(owner_bech, grantee_bech, klass):
    return GRANT_PREFIX + address20(owner_bech) + address20(grantee_bech) + klass.encode()


# --- records ----------------------------------------------------------------------------------

def decode_owner(value):
    """protobuf Owner -> {"pub_key", "epoch", "devices", "grants": [(grantee, class)]}."""
    fs = proto.fields(bytes(value), 128)
    grants = []
    for g in proto.get_all(fs, 4, proto.LEN):
        grantee, _, klass = g.decode().partition("/")
        grants.append((grantee, klass))
    return {"pub_key": proto.get_one(fs, 1, proto.LEN, b""),
            "epoch": proto.get_one(fs, 2, proto.VARINT, 0),
            "devices": proto.get_all(fs, 3, proto.LEN), "grants": grants}


def decode_paired(value):
    """protobuf PairedDevice -> {"owner", "pub_key", "x25519_key", "statement", "owner_signature",
    "device_signature"}."""
    fs = proto.fields(bytes(value), 16)
    names = ["owner", "pub_key", "x25519_key", "statement", "owner_signature",
             "device_signature"]
    out = {n: proto.get_one(fs, i + 1, proto.LEN, b"") for i, n in enumerate(names)}
    out["owner"] = out["owner"].decode()
    return out


def decode_grant(value):
    fs = proto.fields(bytes(value), 8)
    return {"statement": proto.get_one(fs, 1, proto.LEN, b""),
            "signature": proto.get_one(fs, 2, proto.LEN, b"")}


def owner_address(owner_pub):
    return ct.bech32_address(owner_pub)
