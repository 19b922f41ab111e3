# Signature backend selection on CPython: the same verify(key_type, pub, msg, sig) -> bool as
# lightclient.core.signatures, backed by native libraries when they are installed (OpenSSL via
# `cryptography` for Ed25519, libsecp256k1 via `coincurve`), the pure core otherwise. Both native
# paths keep CometBFT's acceptance rules exactly; see their modules.

from lightclient.core import signatures


def _load():
    table = {}
    try:
        from lightclient import native_ed25519
        table[signatures.ED25519] = native_ed25519.verify
    except ImportError:
        pass
    try:
        from lightclient import native_secp256k1
        table[signatures.SECP256K1] = native_secp256k1.verify
    except ImportError:
        pass
    return table


_NATIVE = _load()


def backend_names():
    """Which implementation serves each key type, for status output and benchmarks."""
    return {kt: ("native" if kt in _NATIVE else "pure") for kt in signatures.KEY_TYPES}


def verify(key_type, public_key, message, signature):
    fn = _NATIVE.get(key_type)
    if fn is None:
        return signatures.verify(key_type, public_key, message, signature)
    return fn(public_key, message, signature)
