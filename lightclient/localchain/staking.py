"""Real staking transactions on the local chain (`mycroftd tx staking ...`, the test keyring):
create-validator, delegate, unbond. Tests and the benchmark use them to change the validator
set the way a live chain changes it, so a light client must bisect across the change."""

import json
import os
import tempfile
import time

from lightclient.chip.core.errors import LightClientError
from lightclient.localchain import binary

TX_TIMEOUT_S = 30.0
GAS = "400000"
ATTEMPTS = 5


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


def _tx(info, account, args, rpc):
    """Signs and broadcasts `mycroftd tx staking args...` from `account`, waits until it is in a
    block; returns the block height. Raises ChainError (tx_rejected, tx_failed, tx_timeout)."""
    cmd = ["tx", "staking"] + args + [
        "--from", account, "--keyring-backend", "test", "--chain-id", info["chain_id"],
        "--node", rpc.url.replace("http", "tcp", 1), "--gas", GAS, "--yes", "--output", "json"]
    for attempt in range(ATTEMPTS):
        try:
            out = binary.run(cmd, home=_home_of(info, account), json_out=True)
            break
        except binary.ChainError as e:
            # the SDK answers the account query at the height being committed with "version
            # does not exist" for a moment: ask again
            if "version does not exist" not in e.details.get("stderr", "") or \
                    attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.2)
    if int(out.get("code", 0)) != 0:
        raise binary.ChainError("tx_rejected", "CheckTx rejected the staking transaction",
                                code=int(out["code"]), log=str(out.get("raw_log"))[:300])
    return _wait_included(rpc, out["txhash"])


def _wait_included(rpc, tx_hash_hex, timeout=TX_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while True:
        try:
            res = rpc.call("tx", hash=bytes.fromhex(tx_hash_hex))
            break
        except LightClientError:     # not yet indexed: the node answers an RPC error
            if time.monotonic() > deadline:
                raise binary.ChainError("tx_timeout", "transaction not included",
                                        hash=tx_hash_hex, timeout_s=timeout)
            time.sleep(0.1)
    result = res["tx_result"]
    if int(result.get("code", 0)) != 0:
        raise binary.ChainError("tx_failed", "the transaction failed in the block",
                                code=int(result["code"]), codespace=result.get("codespace"),
                                log=str(result.get("log"))[:300])
    return int(res["height"])


def create_validator(info, account, node, amount, rpc):
    """`account` bonds `amount` stake behind `node`'s consensus key (a running full node
    becomes a validator two blocks after the returned height)."""
    doc = {"pubkey": consensus_pubkey(node), "amount": "%d%s" % (amount, info["denom"]),
           "moniker": node["name"], "commission-rate": "0.1", "commission-max-rate": "0.2",
           "commission-max-change-rate": "0.01", "min-self-delegation": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "validator.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        return _tx(info, account, ["create-validator", path], rpc)


def delegate(info, account, validator_account, amount, rpc):
    return _tx(info, account, ["delegate", valoper(info, validator_account),
                               "%d%s" % (amount, info["denom"])], rpc)


def unbond(info, account, validator_account, amount, rpc):
    return _tx(info, account, ["unbond", valoper(info, validator_account),
                               "%d%s" % (amount, info["denom"])], rpc)
