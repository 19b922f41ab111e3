"""Real staking transactions on the local chain: create-validator, delegate, unbond, signed in
SIGN_MODE_DIRECT with the test keyring (`mycroftd tx sign`: mycroftd has no per-module tx
commands, docs/chain.md) and broadcast to a node. Tests and the benchmark use them to change
the validator set the way a live chain changes it, so a light client must bisect across it."""

import json

from lightclient.localchain import binary, devicetx


def consensus_pubkey(node):
    """The node's CometBFT consensus key as the SDK's JSON ({"@type", "key"})."""
    return json.loads(binary.run(["comet", "show-validator"], home=node["home"]))


def _home_of(info, account):
    """Whose keyring holds `account`: a validator's own home, else the test accounts'."""
    for n in info["nodes"]:
        if n["name"] == account and n["validator"]:
            return n["home"]
    return info["client_home"]


def valoper(info, account):
    """The bech32 operator address (mycroftvaloper...) of `account`'s key."""
    return binary.run(["keys", "show", account, "--bech", "val", "-a", "--keyring-backend",
                       "test"], home=_home_of(info, account)).strip()


def address(info, account):
    return binary.run(["keys", "show", account, "-a", "--keyring-backend", "test"],
                      home=_home_of(info, account)).strip()


def _tx(info, account, msg, rpc):
    """Signs (SIGN_MODE_DIRECT, `mycroftd tx sign` with the account's test keyring) and
    broadcasts a one-message transaction, waits until it is in a block; returns the height.
    Raises ChainError (tx_rejected, tx_failed, tx_timeout)."""
    keyring = dict(info, client_home=_home_of(info, account))
    tx = devicetx.sign_tx(keyring, account, msg, rpc.url)
    return devicetx.broadcast_and_wait(rpc, tx)[1]


def _coin(info, amount):
    return {"denom": info["denom"], "amount": str(amount)}


def create_validator(info, account, node, amount, rpc):
    """`account` bonds `amount` stake behind `node`'s consensus key (a running full node
    becomes a validator two blocks after the returned height)."""
    msg = {"@type": "/cosmos.staking.v1beta1.MsgCreateValidator",
           "description": {"moniker": node["name"], "identity": "", "website": "",
                           "security_contact": "", "details": ""},
           "commission": {"rate": "0.1", "max_rate": "0.2", "max_change_rate": "0.01"},
           "min_self_delegation": "1", "delegator_address": "",
           "validator_address": valoper(info, account), "pubkey": consensus_pubkey(node),
           "value": _coin(info, amount)}
    return _tx(info, account, msg, rpc)


def delegate(info, account, validator_account, amount, rpc):
    msg = {"@type": "/cosmos.staking.v1beta1.MsgDelegate",
           "delegator_address": address(info, account),
           "validator_address": valoper(info, validator_account), "amount": _coin(info, amount)}
    return _tx(info, account, msg, rpc)


def unbond(info, account, validator_account, amount, rpc):
    msg = {"@type": "/cosmos.staking.v1beta1.MsgUndelegate",
           "delegator_address": address(info, account),
           "validator_address": valoper(info, validator_account), "amount": _coin(info, amount)}
    return _tx(info, account, msg, rpc)
