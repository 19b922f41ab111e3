# The native backend of crypto/backend.py on the chip: our C module `lccrypto` (Monocypher's
# cofactored Ed25519 check, which agrees with ZIP-215; libsecp256k1, which refuses high-s
# signatures as CometBFT does). Importing this module raises ImportError when the image has no
# lccrypto, or one without a function below: backend.py then takes the pure modules.
# RIPEMD-160 and HMAC-SHA256 stay the small modules of this folder (no C version needed: SHA-256
# is already C in every MicroPython). MicroPython 1.27 only in practice; CPython never has lccrypto.

import hashlib

import lccrypto

from lightclient.chip.crypto.hmac_sha256 import hmac_sha256  # noqa: F401 (interface function)
from lightclient.chip.crypto.ripemd160 import ripemd160  # noqa: F401 (interface function)

NAME = "lccrypto"
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # secp256k1 group order
REQUIRED = ("ed25519_verify", "ed25519_sign", "ed25519_public_key", "secp256k1_verify", "sha512")
for _f in REQUIRED:
    if not hasattr(lccrypto, _f):
        raise ImportError("lccrypto has no " + _f)


def ed25519_verify(public_key, message, signature):
    if len(public_key) != 32 or len(signature) != 64:
        return False
    return bool(lccrypto.ed25519_verify(bytes(public_key), bytes(signature), bytes(message)))


def secp256k1_verify(public_key, message, signature):
    # CometBFT keys are 33-byte compressed points (types checks it before any signature is seen);
    # 1 <= r < n and 1 <= s <= (n-1)/2 checked here, so the verdict never rests on how the C
    # parser treats zero or out-of-range scalars (the pure verifier's rules exactly).
    if len(public_key) != 33 or public_key[0] not in (2, 3) or len(signature) != 64:
        return False
    r = int.from_bytes(bytes(signature[:32]), "big")
    s = int.from_bytes(bytes(signature[32:]), "big")
    if not (0 < r < _N and 0 < s <= (_N - 1) >> 1):
        return False
    digest = hashlib.sha256(bytes(message)).digest()
    return bool(lccrypto.secp256k1_verify(bytes(public_key), bytes(signature), digest))


def ed25519_public_key(seed):
    return lccrypto.ed25519_public_key(bytes(seed))


def ed25519_sign(seed, message):
    return lccrypto.ed25519_sign(bytes(seed), bytes(message))


def sha512(data):
    return lccrypto.sha512(bytes(data))
