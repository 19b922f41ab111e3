"""The x/devices transactions our tests send: the registration statement the device signs
(the Go twin is tools/chain/x/devices/types/statement.go) and the owner's transaction, signed
in SIGN_MODE_DIRECT by `mycroftd tx sign` with the test keyring."""

import base64
import hashlib
import json
import os
import struct
import tempfile
import time

from lightclient.chip.core import proto
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import backend
from lightclient.localchain import binary

STORE = "devices"
DEVICE_KEY_PREFIX = b"\x01"
STATEMENT_DOMAIN = b"\x00mycroft/devices/register/v1"
TX_TIMEOUT_S = 30.0
SIGN_ATTEMPTS = 5


def account_address(pub33):
    """The SDK's secp256k1 account address: RIPEMD160(SHA256(compressed key))."""
    return backend.ripemd160(hashlib.sha256(pub33).digest())


def device_key(address20):
    """The store key of a device record in the "devices" store (types/keys.go)."""
    return DEVICE_KEY_PREFIX + bytes(address20)


def registration_statement(chain_id, owner20, pub33):
    c = chain_id.encode()
    return (STATEMENT_DOMAIN + struct.pack(">H", len(c)) + c + struct.pack(">H", len(owner20))
            + bytes(owner20) + bytes(pub33))


def sign_statement(device_priv, statement):
    """64-byte r||s (low s) over sha256(statement): what the SDK's secp256k1 key verifies."""
    return device_priv.sign_recoverable(statement)[:64]   # coincurve hashes with sha256


def key_info(network, name):
    """(bech32 address, compressed public key) of a test account."""
    out = binary.run(["keys", "show", name, "--keyring-backend", "test", "--output", "json"],
                     home=network["client_home"], json_out=True)
    pk = out["pubkey"]
    pk = json.loads(pk) if isinstance(pk, str) else pk
    return out["address"], base64.b64decode(pk["key"])


def _unsigned_tx(msg):
    return {"body": {"messages": [msg], "memo": "", "timeout_height": "0",
                     "extension_options": [], "non_critical_extension_options": []},
            "auth_info": {"signer_infos": [],
                          "fee": {"amount": [], "gas_limit": "300000", "payer": "", "granter": ""}},
            "signatures": []}


def sign_tx(network, signer, msg, rpc_url):
    """Signs a one-message tx with the test keyring (SIGN_MODE_DIRECT); returns its bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        unsigned = os.path.join(tmp, "unsigned.json")
        signed = os.path.join(tmp, "signed.json")
        with open(unsigned, "w") as f:
            json.dump(_unsigned_tx(msg), f)
        args = ["tx", "sign", unsigned, "--from", signer, "--keyring-backend", "test",
                "--chain-id", network["chain_id"], "--node", rpc_url.replace("http", "tcp", 1),
                "--sign-mode", "direct", "--output-document", signed]
        for attempt in range(SIGN_ATTEMPTS):
            try:
                binary.run(args, home=network["client_home"])
                break
            except binary.ChainError as e:
                # The SDK answers the account query at the height being committed with
                # "version does not exist" for a moment: ask again.
                if "version does not exist" not in e.details.get("stderr", "") or \
                        attempt == SIGN_ATTEMPTS - 1:
                    raise
                time.sleep(0.2)
        b64 = binary.run(["tx", "encode", signed], home=network["client_home"]).strip()
    return base64.b64decode(b64)


def broadcast_and_wait(rpc, tx, timeout=TX_TIMEOUT_S):
    """broadcast_tx_sync, then /tx until included; returns the tx result (code 0) and height."""
    r = rpc.broadcast_tx_sync(tx)
    if int(r.get("code", 0)) != 0:
        raise binary.ChainError("tx_rejected", "CheckTx rejected the transaction",
                                code=int(r["code"]), log=str(r.get("log"))[:300])
    tx_hash = hashlib.sha256(tx).digest()
    deadline = time.monotonic() + timeout
    while True:
        try:
            res = rpc.call("tx", hash=tx_hash)
            break
        except LightClientError:    # not yet indexed: the node answers an RPC error
            if time.monotonic() > deadline:
                raise binary.ChainError("tx_timeout", "transaction not included",
                                        hash=tx_hash.hex(), timeout_s=timeout)
            time.sleep(0.1)
    result = res["tx_result"]
    if int(result.get("code", 0)) != 0:
        raise binary.ChainError("tx_failed", "the transaction failed in the block",
                                code=int(result["code"]), codespace=result.get("codespace"),
                                log=str(result.get("log"))[:300])
    return result, int(res["height"])


def register_device_msg(network, owner_name, device_priv, settings):
    owner_bech32, owner_pub = key_info(network, owner_name)
    pub = device_priv.public_key.format(compressed=True)
    statement = registration_statement(network["chain_id"], account_address(owner_pub), pub)
    return {"@type": "/mycroft.devices.v1.MsgRegisterDevice", "owner": owner_bech32,
            "pub_key": base64.b64encode(pub).decode(),
            "settings": base64.b64encode(settings).decode(),
            "device_signature": base64.b64encode(sign_statement(device_priv, statement)).decode()}


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


def b64(v):
    """base64 field of an RPC answer -> bytes (None for absent or empty)."""
    return base64.b64decode(v) if v else None
