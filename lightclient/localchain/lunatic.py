"""A lunatic light-client attack on the real local chain: the validators of a strict subset
holding more than 1/3 of the power sign, with their own keys (each node's
config/priv_validator_key.json), a conflicting block at a height the chain already has. Its
header is the real one with other state hashes: the subset as validators and next validators,
a forged app_hash. Built with our own CometBFT encoders (header hash, validator-set hash, vote
sign bytes); a light client that trusts an earlier block accepts it by skipping (the subset is
> 1/3 of the trusted set, and all of its own set), and CometBFT's evidence check does too."""

import base64
import hashlib
import json
import os
import threading

from lightclient.chip.core import rpcjson
from lightclient.chip.core import types as T
from lightclient.chip.core import valset as V
from lightclient.scenarionet.chain import Key, commit_json, header_json, sign_commit, validator_json

PRIV_VALIDATOR_KEY = os.path.join("config", "priv_validator_key.json")
ED25519_PRIV = "tendermint/PrivKeyEd25519"


class AttackSetupError(ValueError):
    """The network cannot be attacked as asked (no such key file, a subset too small or not
    strict)."""


def validator_key(home):
    """The Ed25519 consensus key of the node at `home` (its 64-byte private key is seed ||
    public key); the file's address and public key must be the key's own."""
    with open(os.path.join(home, PRIV_VALIDATOR_KEY)) as f:
        doc = json.load(f)
    priv = doc.get("priv_key") or {}
    raw = base64.b64decode(priv.get("value", ""))
    if priv.get("type") != ED25519_PRIV or len(raw) != 64:
        raise AttackSetupError("%s: not an Ed25519 validator key" % home)
    key = Key(T.ED25519, raw[:32])
    if key.pub_key != raw[32:] or key.address.hex().upper() != doc.get("address", "").upper():
        raise AttackSetupError("%s: key file's address or public key is not its key's" % home)
    return key


def byzantine_subset(validators, keys):
    """The fewest validators of `validators` (a ValidatorSet) we hold keys for whose power is
    more than 1/3 of the total (the smallest first), and never all of them."""
    total = validators.total_power
    chosen, power = [], 0
    for v in sorted(validators.validators, key=lambda v: (v.voting_power, v.address)):
        if v.address not in keys:
            continue
        chosen.append(v)
        power += v.voting_power
        if 3 * power > total:
            break
    if 3 * power <= total or len(chosen) == len(validators.validators):
        raise AttackSetupError("no strict subset with > 1/3 of the power among the keys held "
                               "(%d of %d power)" % (power, total))
    return chosen


class LunaticForger:
    """Forges the conflicting light block for any height from the real one (cached per height)."""

    def __init__(self, signers, keys):
        """signers: the Validators that sign (from the trusted set); keys: address -> Key."""
        self.vals = V.ValidatorSet(V.sort_validators(
            [V.Validator(v.address, v.key_type, v.pub_key, v.voting_power) for v in signers]))
        self.vals.proposer = self.vals.validators[0]
        self._keys = keys
        self._cache = {}
        self._lock = threading.Lock()

    def forge(self, real_signed_header_json):
        """(signed_header JSON, validator list JSON) of the conflicting block at the real
        signed header's height."""
        sh = rpcjson.signed_header_from_json(real_signed_header_json)
        h = sh.header
        with self._lock:
            if h.height in self._cache:
                return self._cache[h.height]
        vhash = self.vals.hash()
        forged = h.copy(validators_hash=vhash, next_validators_hash=vhash,
                        app_hash=hashlib.sha256(b"lunatic app state" + h.app_hash).digest(),
                        proposer_address=self.vals.proposer.address)
        real_id = sh.commit.block_id
        block_id = T.BlockID(forged.hash(), real_id.part_set_total, real_id.part_set_hash)
        commit = sign_commit(forged, block_id, self.vals, self._keys.__getitem__)
        out = ({"header": header_json(forged), "commit": commit_json(commit)},
               [validator_json(v) for v in self.vals.validators])
        with self._lock:
            self._cache[h.height] = out
        return out
