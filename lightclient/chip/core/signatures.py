# The verifier's signature checker: every check goes through a CachingChecker, which asks the
# crypto interface (lightclient.chip.crypto.backend: lccrypto, pure Python, or a host's backend)
# or the verify(key_type, public_key, message, signature) -> bool function it is handed.

import hashlib

from lightclient.chip.crypto import backend


class CachingChecker:
    """Remembers verdicts so that no signature is verified twice: across the trust-level and the
    2/3 tallies of one header, and across the pivots of one bisection. The key binds the public
    key, the signature and the exact sign bytes, so a cached verdict can't be reused for another
    message. Bounded: past `max_entries` the oldest half is dropped. The keys are kept in one
    flat buffer (32 bytes each, found with bytes.find in C): on MicroPython a dict of 32-byte
    keys cost ~80 bytes of heap per verdict, this ~33."""

    def __init__(self, verify_fn=None, max_entries=1024):
        self.verify_fn = verify_fn or backend.verify
        self.max_entries = max_entries
        self._keys = bytearray()  # SHA-256 keys, oldest first
        self._verdicts = bytearray()  # 1 (valid) or 0, one per key
        # The first two bytes of each kept key (small ints): most checks are first checks, and
        # a prefix never seen means no search of the whole buffer.
        self._prefixes = set()
        self.verified = 0  # signatures actually checked (for tests and benchmarks)

    def _find(self, key):
        if ((key[0] << 8) | key[1]) not in self._prefixes:
            return -1
        keys = self._keys
        start = 0
        while True:
            j = keys.find(key, start)
            if j < 0:
                return -1
            if j % 32 == 0:
                return j // 32
            start = j + 1

    def check(self, key_type, public_key, message, signature):
        h = hashlib.sha256(public_key)
        h.update(signature)
        h.update(message)
        key = h.digest()
        i = self._find(key)
        if i >= 0:
            return self._verdicts[i] == 1
        ok = bool(self.verify_fn(key_type, public_key, message, signature))
        self.verified += 1
        if len(self._verdicts) >= self.max_entries:
            half = self.max_entries // 2
            self._keys = keys = self._keys[32 * half:]
            self._verdicts = self._verdicts[half:]
            self._prefixes = set((keys[j] << 8) | keys[j + 1] for j in range(0, len(keys), 32))
        self._keys.extend(key)
        self._prefixes.add((key[0] << 8) | key[1])
        self._verdicts.append(1 if ok else 0)
        return ok
