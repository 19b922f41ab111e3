"""x/devices on the local chain: the registration statement the device signs (the Go twin is
tools/chain/x/devices/types/statement.go), the owner's registration message, the store keys and
values the device proves. Transactions are built and signed by lightclient.chip.cosmos_tx and
sent by lightclient.txclient."""

import base64
import json
import os
import tempfile
import time

from lightclient import txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.crypto import backend
from lightclient.localchain import binary

STORE = "devices"
DEVICE_KEY_PREFIX = b"\x01"
STATEMENT_DOMAIN = ct.REGISTRATION_DOMAIN
account_address = ct.account_address
SIGN_ATTEMPTS = 5


def device_key(address20):
    """The store key of a device record in the "devices" store (types/keys.go)."""
    return DEVICE_KEY_PREFIX + bytes(address20)


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


# --- the SDK's own messages as JSON, signed by the test keyring (tests of other modules) -------
# The x/devices transactions of the owner and the device do not come here: they are built and
# signed by lightclient.chip.cosmos_tx and sent by lightclient.txclient.

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


def broadcast_and_wait(rpc, tx, timeout=txclient.INCLUDE_TIMEOUT_S):
    """broadcast_tx_sync, then /tx until included: (tx result, height); TxRejected otherwise."""
    txclient.broadcast(rpc, tx)
    return txclient.wait_included(rpc, tx, timeout)


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


def b64(v):
    """base64 field of an RPC answer -> bytes (None for absent or empty)."""
    return base64.b64decode(v) if v else None


# --- what a device's light client sees of the local chain (tests and bench) ---------------------

DAY_NS = 86400 * 10 ** 9


def trusted_at_1(net, node=0):
    """Block 1, its commit checked against its validators: the anchor of the views below."""
    from lightclient import native
    from lightclient.chip.core.signatures import CachingChecker
    from lightclient.chip.core.verifier import TrustedState, verify_commit_full
    lb = net.rpc(node).light_block(1).light_block
    verify_commit_full(lb.signed_header.header.chain_id, lb.signed_header, lb.validators,
                       CachingChecker(native.verify))
    return TrustedState(lb.signed_header.header, None, lb.validators)


def verified_state(net, height=None, node=0, now_ns=None):
    """The trusted state at `height` (default: the node's head), verified by skipping from
    block 1 with our light client."""
    import time
    from lightclient import native
    from lightclient.chip.core.signatures import CachingChecker
    from lightclient.chip.core.verifier import Options, verify_to_height
    from lightclient.records import SDK_FIRST_PROVABLE_STATE
    from lightclient.rpc import SourceError
    rpc = net.rpc(node)
    if height is None:
        # a head whose state the SDK proves (the chip's checkpoint and the client's anchor are
        # taken here: their staking params and records must be provable against them)
        net.wait_for_height(SDK_FIRST_PROVABLE_STATE + 1, node=node)
        height = rpc.status()["latest_height"]

    def fetch(h):
        # a node's /commit of the head /status just named can answer 500 for a moment (seen
        # under load): asked again, briefly, before it counts
        for attempt in range(5):
            try:
                return rpc.light_block(h).light_block
            except SourceError:
                if attempt == 4:
                    raise
                time.sleep(0.2)

    state, _, _ = verify_to_height(trusted_at_1(net, node), height,
                                   fetch, Options(DAY_NS),
                                   now_ns or time.time_ns(), checker=CachingChecker(native.verify))
    return state


def prove(net, header, store, key, node=0):
    """The value at `key` of `store` in the state a verified `header` commits (after block
    header.height-1), proven with ICS23 against its app_hash; None when proven absent."""
    from lightclient.chip.core import proof_chain
    from lightclient.records import parse_proof_ops
    resp = net.rpc(node).abci_query("/store/%s/key" % store, key, header.height - 1, prove=True)
    value = b64(resp.get("value"))
    proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), header.app_hash,
                                      [store.encode(), key], value)
    return value


def tx_client(net, pub33, sign, node=0, **options):
    """A TxClient whose account number and sequence come from state proven against headers
    verified_state() gives; between re-signs it waits for the next block. options: TxClient's
    (fee, granter, gas_limit)."""
    from lightclient import txclient
    rpc = net.rpc(node)

    def account():
        return txclient.verified_account(rpc, verified_state(net, node=node).header,
                                         ct.account_address(pub33))

    def next_block():
        net.wait_for_height(rpc.status()["latest_height"] + 1)

    return txclient.TxClient(rpc, net.info["chain_id"], pub33, sign, account,
                             wait_new_state=next_block, **options)


def register_device(net, owner_name, device_secret, settings, funding=(), node=0):
    """A device whose secret the caller holds (tests), registered by the test-keyring owner's
    transaction built and signed by our builder; returns the inclusion height."""
    owner_addr, owner_pub = key_info(net.info, owner_name)
    msg = register_device_msg(net.info["chain_id"], owner_addr, owner_pub, device_secret,
                              settings, funding)
    secret = key_secret(net.info, owner_name)
    owner = tx_client(net, backend.secp256k1_public_key(secret), ct.sign_secp256k1(secret), node)
    [(_r, height)] = owner.send([[msg]])
    return height


def register_chip(net, mcu, owner_name, settings=b"", funding=(("stake", 5000),)):
    """A board's account key made on its chip, its checkpoint from our verified view, its
    consent signed on the chip, and the owner's registration (signed by our builder) included;
    returns (account public key, registration height)."""
    acct = mcu.generate_account_key()
    from lightclient.chip.core import trusted_at_rest
    mcu.set_checkpoint(trusted_at_rest.encode_trusted(verified_state(net)))
    return acct, register_consented(net, owner_name, acct, mcu.sign_registration, settings,
                                    funding)


def register_consented(net, owner_name, acct, sign_consent, settings=b"",
                       funding=(("stake", 5000),)):
    """The owner's registration of the device whose account key is `acct` (33 bytes), carrying
    the consent sign_consent(chain_id, owner address20) returns (signed on the chip), sent by
    the test-keyring owner `owner_name` and included; -> the inclusion height. A refusal is
    txclient.TxRejected with the chain's code and log."""
    owner_addr, _pub = key_info(net.info, owner_name)
    return register_consented_by(net, owner_addr, key_secret(net.info, owner_name), acct,
                                 sign_consent, settings, funding)


def register_consented_by(net, owner_addr, owner_secret, acct, sign_consent, settings=b"",
                          funding=(("stake", 5000),)):
    """register_consented by an owner whose secp256k1 secret the caller holds (an `owner init`
    key file); -> the inclusion height. An owner the chain proves no account for is TxRejected
    account_missing (fund it: `mycroft-lc chain fund`)."""
    owner_pub = backend.secp256k1_public_key(owner_secret)
    consent = sign_consent(net.info["chain_id"], ct.account_address(owner_pub))
    reg = ct.msg_register_device(owner_addr, acct, settings, consent, funding)
    owner = tx_client(net, owner_pub, ct.sign_secp256k1(owner_secret))
    [(_r, height)] = owner.send([[reg]])
    return height
