# The owner key (lightclient.owner.keyfile): published Cosmos vectors (a mnemonic's cosmos1...
# address on m/44'/118'/0'/0/0; the tools print it with the chain's mycroft1 prefix), the
# passphrase-encrypted file (0600, never overwritten, a wrong passphrase or a changed byte
# refused), and the same keys back from the mnemonic.
import json
import os
import stat
import subprocess

import pytest
from bip_utils import Bech32Decoder

from lightclient.chip import cosmos_tx as ct
from lightclient.localchain import binary
from lightclient.owner import keyfile
from lightclient.owner.keyfile import OwnerKey, OwnerKeyError

# Published pairs: the "abandon ... about" BIP-39 test mnemonic's Cosmos Hub account (as wallets
# show it), and the cosmos/testnets README's example account.
VECTORS = [
    ("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
     "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"),
    ("write sense wage direct salute north now dog divorce inflict pole provide spike welcome "
     "bring sister fetch upset chimney direct siren trash cruise mother",
     "cosmos19kzdcmysekqu926fwdcjg5pdqlx3saujcldys5"),
]


@pytest.mark.parametrize("mnemonic,address", VECTORS)
def test_published_cosmos_addresses(mnemonic, address):
    assert OwnerKey(mnemonic).address("cosmos") == address


@pytest.mark.parametrize("mnemonic,address", VECTORS)
def test_the_address_carries_the_chains_prefix(mnemonic, address):
    """owner init / show print the address the local chain uses for the same key (its bech32
    prefix is mycroft, tools/chain/app/app_config.go), as every other command does."""
    key = OwnerKey(mnemonic)
    assert key.address().startswith("mycroft1")
    assert key.address() == ct.bech32_address(key.secp256k1_public)
    same = Bech32Decoder.Decode("cosmos", address)
    assert Bech32Decoder.Decode("mycroft", key.address()) == same


def test_the_chain_derives_the_same_address_from_the_mnemonic(tmp_path):
    """The chain's own key tool (mycroftd keys add --recover, the SDK's keyring) agrees."""
    mnemonic = VECTORS[0][0]
    p = subprocess.run([binary.binary_path(), "keys", "add", "o", "--recover", "--keyring-backend",
                        "test", "--home", str(tmp_path), "--output", "json"], input=mnemonic + "\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip() or p.stderr.strip().splitlines()[-1])
    assert out["address"] == OwnerKey(mnemonic).address()


def test_a_bad_mnemonic_is_refused():
    with pytest.raises(OwnerKeyError) as e:
        OwnerKey("abandon " * 11 + "abandon")
    assert e.value.check == "mnemonic"


def test_file_round_trip_mode_and_refusals(tmp_path):
    key = OwnerKey(VECTORS[0][0])
    path = str(tmp_path / "owner.key")
    keyfile.write(path, key, "correct horse")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = open(path).read()
    assert "abandon" not in text and key.secp256k1_secret.hex() not in text
    back = keyfile.read(path, "correct horse")
    assert (back.secp256k1_secret, back.x25519_secret) == (key.secp256k1_secret, key.x25519_secret)
    with pytest.raises(OwnerKeyError) as e:
        keyfile.read(path, "wrong")
    assert e.value.check == "passphrase"
    with pytest.raises(OwnerKeyError) as e:
        keyfile.write(path, key, "x")
    assert e.value.check == "exists"
    doc = json.loads(text)
    doc["box"] = ("%02x" % (int(doc["box"][:2], 16) ^ 1)) + doc["box"][2:]
    bad = tmp_path / "bad.key"
    bad.write_text(json.dumps(doc))
    with pytest.raises(OwnerKeyError) as e:
        keyfile.read(str(bad), "correct horse")
    assert e.value.check == "passphrase"


def test_generated_keys_differ_and_restore_from_their_mnemonic():
    a, b = OwnerKey.generate(), OwnerKey.generate()
    assert a.address() != b.address() and len(a.mnemonic.split()) == 24
    assert OwnerKey(a.mnemonic).x25519_public == a.x25519_public
