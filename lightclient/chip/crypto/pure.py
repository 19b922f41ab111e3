# The pure-Python backend of crypto/backend.py: the modules of this folder. The curve modules are
# imported on first use, so a board that never sees a secp256k1 key never loads its tables.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.crypto.hmac_sha256 import hmac_sha256  # noqa: F401 (interface function)
from lightclient.chip.crypto.ripemd160 import ripemd160  # noqa: F401 (interface function)

NAME = "pure"


def ed25519_verify(public_key, message, signature):
    """ZIP-215 (CometBFT's rules)."""
    from lightclient.chip.crypto import ed25519
    return ed25519.verify(public_key, message, signature)


def secp256k1_verify(public_key, message, signature):
    """ECDSA over SHA-256(message), low s (CometBFT's rules)."""
    from lightclient.chip.crypto import secp256k1
    return secp256k1.verify(public_key, message, signature)


def verify(key_type, public_key, message, signature):
    """The pure check whatever backend is installed (an oracle for tests and host backends)."""
    if key_type == "ed25519":
        return ed25519_verify(public_key, message, signature)
    if key_type == "secp256k1":
        return secp256k1_verify(public_key, message, signature)
    return False


def ed25519_public_key(seed):
    from lightclient.chip.crypto import ed25519
    return ed25519.public_key(seed)


def ed25519_sign(seed, message):
    from lightclient.chip.crypto import ed25519
    return ed25519.sign(seed, message)


def secp256k1_public_key(secret):
    from lightclient.chip.crypto import secp256k1
    return secp256k1.public_key(secret)


def secp256k1_sign(secret, message):
    from lightclient.chip.crypto import secp256k1
    return secp256k1.sign(secret, message)


def sha512(data):
    from lightclient.chip.crypto import sha512 as _sha512
    return _sha512.sha512(data)
