# The one crypto interface of the chip package. The implementation is chosen once, at import:
#   "lccrypto"  our native C module (crypto/native.py), when the MicroPython image carries it
#               (the `native` image variant, firmware/manifest.py);
#   "pure"      the pure-Python modules of this folder (crypto/pure.py): the `pure` variant, and
#               CPython until a host installs its own.
# A host installs a faster backend once, before use, with install(): the Pi's lightclient.native
# does (OpenSSL, libsecp256k1), so this package never imports a CPython-only library. Functions a
# host backend leaves out keep the chosen implementation.
#
#   verify(key_type, public_key, message, signature) -> bool   CometBFT's rules (ZIP-215, low s)
#   ed25519_verify(pub, msg, sig), secp256k1_verify(pub33, msg, sig64) -> bool (SHA-256 inside)
#   ed25519_public_key(seed) -> 32 bytes, ed25519_sign(seed, msg) -> 64 bytes
#   secp256k1_public_key(secret) -> 33 bytes (compressed SEC1)
#   secp256k1_sign(secret, msg) -> 64 bytes r || s over SHA-256(msg), RFC 6979, low s
#   sha512(data), ripemd160(data), hmac_sha256(key, msg) -> digest bytes
#   backend_name() -> "lccrypto" | "pure" | the host backend's name
# Shared subset: CPython and MicroPython 1.27.

ED25519 = "ed25519"
SECP256K1 = "secp256k1"
KEY_TYPES = (ED25519, SECP256K1)
FUNCTIONS = ("ed25519_verify", "secp256k1_verify", "ed25519_public_key", "ed25519_sign",
             "secp256k1_public_key", "secp256k1_sign", "sha512", "ripemd160", "hmac_sha256")

try:
    from lightclient.chip.crypto import native as _impl   # ImportError without lccrypto
except ImportError as no_native:
    try:
        from lightclient.chip.crypto import pure as _impl
    except ImportError:   # a `native` image on a MicroPython built without (all of) lccrypto
        raise ImportError("no crypto backend: %s, and this image has no pure-Python crypto"
                          % no_native)


class _Installed:
    """A host backend: its functions, the chosen implementation's for the ones it leaves out."""

    def __init__(self, name, functions, fallback):
        self.NAME = name
        for f in FUNCTIONS:
            setattr(self, f, functions.get(f) or getattr(fallback, f))


def install(name, **functions):
    """Replace the implementation of some FUNCTIONS (called once by a host at import)."""
    global _impl
    unknown = [f for f in functions if f not in FUNCTIONS]
    if unknown:
        raise ValueError("not crypto interface functions: %s" % ", ".join(unknown))
    _impl = _Installed(name, functions, _impl)


def backend_name():
    return _impl.NAME


def verify(key_type, public_key, message, signature):
    if key_type == ED25519:
        return _impl.ed25519_verify(public_key, message, signature)
    if key_type == SECP256K1:
        return _impl.secp256k1_verify(public_key, message, signature)
    return False


def ed25519_verify(public_key, message, signature):
    return _impl.ed25519_verify(public_key, message, signature)


def secp256k1_verify(public_key, message, signature):
    return _impl.secp256k1_verify(public_key, message, signature)


def ed25519_public_key(seed):
    return _impl.ed25519_public_key(seed)


def ed25519_sign(seed, message):
    return _impl.ed25519_sign(seed, message)


def secp256k1_public_key(secret):
    return _impl.secp256k1_public_key(secret)


def secp256k1_sign(secret, message):
    return _impl.secp256k1_sign(secret, message)


def sha512(data):
    return _impl.sha512(data)


def ripemd160(data):
    return _impl.ripemd160(data)


def hmac_sha256(key, msg):
    return _impl.hmac_sha256(key, msg)
