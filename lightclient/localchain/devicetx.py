"""x/devices on the local chain: the registration statement the device signs (the Go twin is
tools/chain/x/devices/types/statement.go), the owner's registration message, the store keys and
values the device proves. Transactions are built and signed by lightclient.chip.cosmos_tx and
sent by lightclient.txclient."""

import base64
import json

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.crypto import backend
from lightclient.localchain import binary

STORE = "devices"
DEVICE_KEY_PREFIX = b"\x01"
WRITE_KEY_PREFIX = b"\x02"
STATEMENT_DOMAIN = ct.REGISTRATION_DOMAIN
account_address = ct.account_address


def device_key(address20):
    """The store key of a device record in the "devices" store (types/keys.go)."""
    return DEVICE_KEY_PREFIX + bytes(address20)


def write_key(address20, kind):
    """The store key of a device's last write of one kind: 0x02 || address || kind byte."""
    return WRITE_KEY_PREFIX + bytes(address20) + bytes([ct.WRITE_KINDS[kind]])


registration_statement = ct.registration_statement


def sign_statement(device_secret, statement):
    """64-byte r||s (low s) over sha256(statement): what the SDK's secp256k1 key verifies."""
    return backend.secp256k1_sign(device_secret, statement)


def key_info(network, name):
    """(bech32 address, compressed public key) of a test account."""
    out = binary.run(["keys", "show", name, "--keyring-backend", "test", "--output", "json"],
                     home=network["client_home"], json_out=True)
    pk = out["pubkey"]
    pk = json.loads(pk) if isinstance(pk, str) else pk
    return out["address"], base64.b64decode(pk["key"])


def key_secret(network, name):
    """The 32-byte secret of a test-keyring account (tests sign with it through our builder)."""
    out = binary.run(["keys", "export", name, "--unarmored-hex", "--unsafe", "-y",
                      "--keyring-backend", "test"], home=network["client_home"])
    return bytes.fromhex(out.strip().splitlines()[-1])


def register_device_msg(chain_id, owner_bech32, owner_pub, device_secret, settings,
                        funding=()):
    """The owner's MsgRegisterDevice carrying the device's signed consent; funding
    [(denom, amount)] goes from the owner to the device's new account."""
    pub = backend.secp256k1_public_key(device_secret)
    statement = registration_statement(chain_id, ct.account_address(owner_pub), pub)
    return ct.msg_register_device(owner_bech32, pub, settings,
                                  sign_statement(device_secret, statement), funding)


def decode_device(value):
    """A stored mycroft.devices.v1.Device -> {"owner", "pub_key", "settings", "version"}."""
    out = {"owner": "", "pub_key": b"", "settings": b"", "version": 0}
    names = {1: "owner", 2: "pub_key", 3: "settings", 4: "version"}
    for field, _wire, v in proto.iter_fields(bytes(value)):
        name = names.get(field)
        if name == "owner":
            out[name] = v.decode()
        elif name is not None:
            out[name] = v
    return out


def decode_write(value):
    """A stored mycroft.devices.v1.DeviceWrite -> {"kind", "data", "count"}."""
    fs = proto.fields(bytes(value), 16)
    return {"kind": proto.get_one(fs, 1, proto.VARINT, 0),
            "data": proto.get_one(fs, 2, proto.LEN, b""),
            "count": proto.get_one(fs, 3, proto.VARINT, 0)}


def b64(v):
    """base64 field of an RPC answer -> bytes (None for absent or empty)."""
    return base64.b64decode(v) if v else None
