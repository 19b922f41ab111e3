# HMAC-SHA256 (RFC 2104) over hashlib.sha256, for runtimes without the hmac module (MicroPython).
# Every runtime has SHA-256 in C, so this stays the implementation on every image variant.
# Shared subset: runs unchanged on CPython and MicroPython 1.27.

import hashlib


def pads(key):
    # The HMAC inner and outer padded keys. A key may be given as its pads already (the store
    # keeps its keys that way, so a MAC over a header costs two SHA-256 calls, nothing more).
    if isinstance(key, tuple):
        return key
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = bytes(key) + bytes(64 - len(key))
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


_key_pads = pads


class Hmac:
    """Incremental HMAC-SHA256; `pads` (from pads(key)) skips re-deriving the padded keys."""

    def __init__(self, key, msg=None, pads=None):
        ipad, self._opad = pads or _key_pads(key)
        self._inner = hashlib.sha256(ipad)
        if msg is not None:
            self._inner.update(msg)

    def update(self, data):
        self._inner.update(data)

    def digest(self):
        return hashlib.sha256(self._opad + self._inner.digest()).digest()


def hmac_sha256(key, msg):
    return Hmac(key, msg).digest()


def equal(a, b):
    """Constant-time comparison of two MACs or tags (the time must not leak the match length)."""
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0
