"""Who signs the lunatic block (lunatic.byzantine_subset) and the validator key files it reads:
no chain needed."""

import base64
import json

import pytest

from lightclient.chip.core import types as T
from lightclient.chip.core import valset as V
from lightclient.scenarionet.chain import Key
from lightclient.localchain import lunatic


def _set(powers):
    keys = [Key(T.ED25519, bytes([i + 1]) * 32) for i in range(len(powers))]
    vals = V.ValidatorSet(V.sort_validators(
        [V.Validator(k.address, T.ED25519, k.pub_key, p) for k, p in zip(keys, powers)]))
    return vals, {k.address: k for k in keys}


def test_the_fewest_smallest_validators_over_a_third_and_never_all():
    vals, keys = _set([10, 10, 10, 10])
    chosen = lunatic.byzantine_subset(vals, keys)
    assert len(chosen) == 2          # 20 of 40 > 1/3; one alone (10) is not
    vals, keys = _set([50, 30, 10, 10])
    chosen = lunatic.byzantine_subset(vals, keys)
    assert sorted(v.voting_power for v in chosen) == [10, 10, 30]   # 50 of 100 > 1/3


def test_no_strict_subset_over_a_third_is_refused():
    vals, keys = _set([10, 10])
    assert len(lunatic.byzantine_subset(vals, keys)) == 1   # one of two is 1/2, fine ...
    with pytest.raises(lunatic.AttackSetupError):
        lunatic.byzantine_subset(vals, {})                  # ... but not without a key
    vals, keys = _set([100, 1])
    small = vals.validators[-1]
    assert small.voting_power == 1
    only_small = {small.address: keys[small.address]}
    with pytest.raises(lunatic.AttackSetupError):
        lunatic.byzantine_subset(vals, only_small)
    vals, keys = _set([10])
    with pytest.raises(lunatic.AttackSetupError):            # all of the set is not a subset
        lunatic.byzantine_subset(vals, keys)


def _write_key(home, key, address=None, pub=None):
    (home / "config").mkdir(parents=True, exist_ok=True)
    doc = {"address": (address or key.address).hex().upper(),
           "pub_key": {"type": "tendermint/PubKeyEd25519",
                       "value": base64.b64encode(key.pub_key).decode()},
           "priv_key": {"type": "tendermint/PrivKeyEd25519",
                        "value": base64.b64encode(key.seed + (pub or key.pub_key)).decode()}}
    (home / "config" / "priv_validator_key.json").write_text(json.dumps(doc))


def test_validator_key_file_is_checked(tmp_path):
    k = Key(T.ED25519, b"\x07" * 32)
    _write_key(tmp_path / "a", k)
    assert lunatic.validator_key(str(tmp_path / "a")).address == k.address
    _write_key(tmp_path / "b", k, address=b"\x01" * 20)
    with pytest.raises(lunatic.AttackSetupError):
        lunatic.validator_key(str(tmp_path / "b"))
    _write_key(tmp_path / "c", k, pub=b"\x02" * 32)
    with pytest.raises(lunatic.AttackSetupError):
        lunatic.validator_key(str(tmp_path / "c"))
