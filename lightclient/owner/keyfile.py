# The owner key (issue 20): a Cosmos account key (secp256k1, BIP-44 path m/44'/118'/0'/0/0 from a
# BIP-39 mnemonic, so a Cosmos wallet holds the same account) and an X25519 key for receiving,
# derived from the same seed. On disk only passphrase-encrypted: scrypt (n=2^15, r=8, p=1) makes
# the key of a ChaCha20-Poly1305 box holding the mnemonic; the file is written 0600, atomically,
# never over an existing one. bip_utils does BIP-39 and BIP-32 (a well-kept library of the field).

import hashlib
import json
import os

from bip_utils import (Bech32Encoder, Bip32Secp256k1, Bip39MnemonicGenerator,
                       Bip39MnemonicValidator, Bip39SeedGenerator, Bip39WordsNum)
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from lightclient import atomic_file
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import LocalFault
from lightclient.chip.crypto import backend, ripemd160

COSMOS_PATH = "m/44'/118'/0'/0/0"
X25519_INFO = b"mycroft-lc/owner-x25519/v1"
FORMAT = "mycroft-lc-owner-key/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1


class OwnerKeyError(LocalFault):
    """The owner key file cannot be used: missing, not ours, a wrong passphrase (exit 4)."""


class OwnerKey:
    def __init__(self, mnemonic, passphrase=""):
        mnemonic = " ".join(mnemonic.split())
        if not Bip39MnemonicValidator().IsValid(mnemonic):
            raise OwnerKeyError("mnemonic", "not a valid BIP-39 mnemonic")
        self.mnemonic = mnemonic
        seed = Bip39SeedGenerator(mnemonic).Generate(passphrase)
        node = Bip32Secp256k1.FromSeedAndPath(seed, COSMOS_PATH)
        self.secp256k1_secret = node.PrivateKey().Raw().ToBytes()
        self.secp256k1_public = node.PublicKey().RawCompressed().ToBytes()
        # the receiving key comes from the same seed, so the mnemonic restores it too
        self.x25519_secret = backend.hkdf_sha256(seed, b"", X25519_INFO, 32)
        self.x25519_public = backend.x25519_public_key(self.x25519_secret)

    @classmethod
    def generate(cls):
        return cls(str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_24)))

    def address(self, hrp=ct.ADDRESS_PREFIX):
        """The account address: bech32(hrp, RIPEMD-160(SHA-256(compressed key))), with the
        chain's prefix (mycroft1...; hrp="cosmos" gives the Cosmos Hub's form of the same key)."""
        return Bech32Encoder.Encode(hrp, ripemd160.ripemd160(
            hashlib.sha256(self.secp256k1_public).digest()))


def _box_key(passphrase, salt):
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode())


def write(path, key, passphrase):
    """Seal the mnemonic under the passphrase; refuses to overwrite."""
    if os.path.exists(path):
        raise OwnerKeyError("exists", "%s exists: an owner key is never overwritten" % path)
    salt, nonce = os.urandom(16), os.urandom(12)
    box = ChaCha20Poly1305(_box_key(passphrase, salt)).encrypt(
        nonce, key.mnemonic.encode(), FORMAT.encode())
    doc = {"format": FORMAT, "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R,
                                      "p": SCRYPT_P, "salt": salt.hex()},
           "aead": "chacha20poly1305", "nonce": nonce.hex(), "box": box.hex(),
           "secp256k1_public": key.secp256k1_public.hex(), "x25519_public": key.x25519_public.hex(),
           "address": key.address()}
    atomic_file.write_atomic(path, (json.dumps(doc, indent=1) + "\n").encode(), mode=0o600)


def read(path, passphrase):
    try:
        with open(path) as f:
            doc = json.load(f)
        if doc.get("format") != FORMAT:
            raise OwnerKeyError("format", "not an owner key file (%s)" % path)
        kdf = doc["kdf"]
        if (kdf["name"], kdf["n"], kdf["r"], kdf["p"]) != ("scrypt", SCRYPT_N, SCRYPT_R, SCRYPT_P):
            raise OwnerKeyError("format", "unknown key derivation parameters")
        salt, nonce, box = (bytes.fromhex(doc[k]) if k != "salt" else bytes.fromhex(kdf[k])
                            for k in ("salt", "nonce", "box"))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise OwnerKeyError("file", "cannot read %s: %s" % (path, e))
    try:
        mnemonic = ChaCha20Poly1305(_box_key(passphrase, salt)).decrypt(nonce, box,
                                                                         FORMAT.encode())
    except InvalidTag:
        raise OwnerKeyError("passphrase", "wrong passphrase (or the file was changed)")
    return OwnerKey(mnemonic.decode())
