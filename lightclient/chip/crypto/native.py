# The native backend of crypto/backend.py on the chip: our C module `lccrypto`
# (firmware/cmodules/lccrypto, contract in docs/chip-native-crypto.md). Its verify functions apply
# CometBFT's rules themselves (ZIP-215 for Ed25519; for secp256k1 the pure verifier's key forms,
# 1 <= r, s < n and low s) and return False for malformed bytes, so this adapter only turns a
# non-bytes argument into the False the pure verifiers give it. Importing this module raises
# ImportError when the image has no lccrypto, or one without a function below: backend.py then
# takes the pure modules. RIPEMD-160 is trezor-crypto's C where the image has it (older images:
# the pure module).
# MicroPython 1.27 only in practice; CPython never has lccrypto.

import lccrypto

try:
    from lccrypto import ripemd160  # noqa: F401 (interface function)
except ImportError:
    from lightclient.chip.crypto.ripemd160 import ripemd160  # noqa: F401

NAME = "lccrypto"
REQUIRED = ("ed25519_verify", "ed25519_sign", "ed25519_public_key", "secp256k1_verify",
            "secp256k1_sign", "secp256k1_public_key", "sha512", "hmac_sha256", "x25519",
            "x25519_public_key", "chacha20poly1305_encrypt", "chacha20poly1305_decrypt",
            "hkdf_sha256")
for _f in REQUIRED:
    if not hasattr(lccrypto, _f):
        raise ImportError("lccrypto has no " + _f)


def _bytes_like(*args):
    for a in args:
        if not isinstance(a, (bytes, bytearray, memoryview)):
            return False
    return True


def ed25519_verify(public_key, message, signature):
    if not _bytes_like(public_key, message, signature):
        return False
    return lccrypto.ed25519_verify(public_key, message, signature)


def secp256k1_verify(public_key, message, signature):
    # the pure verifier refuses anything but bytes / bytearray for the key and signature
    if not (isinstance(public_key, (bytes, bytearray)) and isinstance(signature, (bytes, bytearray))
            and isinstance(message, (bytes, bytearray))):
        return False
    return lccrypto.secp256k1_verify(public_key, message, signature)


def ed25519_public_key(seed):
    return lccrypto.ed25519_public_key(seed)


def ed25519_sign(seed, message):
    return lccrypto.ed25519_sign(seed, message)


def secp256k1_public_key(secret):
    return lccrypto.secp256k1_public_key(secret)


def secp256k1_sign(secret, message):
    return lccrypto.secp256k1_sign(secret, message)


def sha512(data):
    return lccrypto.sha512(data)


def hmac_sha256(key, msg):
    return lccrypto.hmac_sha256(key, msg)


x25519 = lccrypto.x25519
x25519_public_key = lccrypto.x25519_public_key
aead_seal = lccrypto.chacha20poly1305_encrypt
aead_open = lccrypto.chacha20poly1305_decrypt
hkdf_sha256 = lccrypto.hkdf_sha256
