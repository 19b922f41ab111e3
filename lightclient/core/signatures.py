# One small interface for signature checks: verify(key_type, public_key, message, signature) -> bool.
# The pure verifiers below run everywhere; lightclient.native offers the same function backed by
# native libraries on CPython, and the verifier takes whichever it is handed.

import hashlib

ED25519 = "ed25519"
SECP256K1 = "secp256k1"
KEY_TYPES = (ED25519, SECP256K1)


def verify(key_type, public_key, message, signature):
    """Pure-Python check with CometBFT's acceptance rules (ZIP-215 / low-s secp256k1)."""
    if key_type == ED25519:
        from lightclient.core import ed25519
        return ed25519.verify(public_key, message, signature)
    if key_type == SECP256K1:
        from lightclient.core import secp256k1
        return secp256k1.verify(public_key, message, signature)
    return False


class CachingChecker:
    """Remembers verdicts so that no signature is verified twice: across the trust-level and the
    2/3 tallies of one header, and across the pivots of one bisection. The key binds the public
    key, the signature and the exact sign bytes, so a cached verdict can't be reused for another
    message. Bounded: past `max_entries` the oldest half is dropped."""

    def __init__(self, verify_fn=None, max_entries=1024):
        self.verify_fn = verify_fn or verify
        self.max_entries = max_entries
        self.cache = {}
        self.order = []
        self.verified = 0  # signatures actually checked (for tests and benchmarks)

    def check(self, key_type, public_key, message, signature):
        h = hashlib.sha256(public_key)
        h.update(signature)
        h.update(message)
        key = h.digest()
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        ok = bool(self.verify_fn(key_type, public_key, message, signature))
        self.verified += 1
        if len(self.order) >= self.max_entries:
            drop = self.order[: self.max_entries // 2]
            self.order = self.order[self.max_entries // 2:]
            for k in drop:
                del self.cache[k]
        self.cache[key] = ok
        self.order.append(key)
        return ok
