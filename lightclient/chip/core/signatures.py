# The verifier's signature checker: every check goes through a CachingChecker, which asks the
# crypto interface (lightclient.chip.crypto.backend: lccrypto, pure Python, or a host's backend)
# or the verify(key_type, public_key, message, signature) -> bool function it is handed.

import hashlib

from lightclient.chip.crypto import backend


_PER_BUF = 32     # verdicts per buffer: 32 keys of 32 bytes, then their 32 verdict bytes
_PREFIX_BITS = 12  # the bitmap of seen key prefixes: 4,096 bits in 512 bytes


class CachingChecker:
    """Remembers verdicts so that no signature is verified twice: across the trust-level and the
    2/3 tallies of one header, and across the pivots of one bisection. The key binds the public
    key, the signature and the exact sign bytes, so a cached verdict can't be reused for another
    message. Bounded: past `max_entries` the oldest half is dropped.
    On the chip's fixed heap nothing here grows by reallocation (a buffer extended 32 bytes per
    check left a trail of freed blocks behind the update's large buffers, and the 100-validator
    update then failed for want of a contiguous 2 KB): the keys go into buffers of a fixed size
    (32 keys each, searched with bytes.find in C, about 33 bytes a verdict), and the key
    prefixes seen so far into a fixed bitmap (a prefix never seen means no search at all)."""

    def __init__(self, verify_fn=None, max_entries=1024):
        self.verify_fn = verify_fn or backend.verify
        # a buffer holds `per` keys (fewer for a small bound), and the bound is whole buffers
        self._per = per = max(1, min(_PER_BUF, max_entries // 2))
        self.max_entries = max(1, max_entries // (2 * per)) * 2 * per
        self._bufs = []   # each: `per` keys of 32 bytes, then one verdict byte per key
        self._n = 0       # keys kept: every buffer but the last is full
        self._seen = bytearray(1 << (_PREFIX_BITS - 3))
        self.verified = 0  # signatures actually checked (for tests and benchmarks)

    def _find(self, key):
        """The verdict kept for `key` (True or False), or None."""
        p = ((key[0] << 8) | key[1]) >> (16 - _PREFIX_BITS)
        if not self._seen[p >> 3] & (1 << (p & 7)):
            return None
        n, per = self._n, self._per
        for buf in self._bufs:
            end = 32 * (n if n < per else per)
            start = 0
            while True:
                j = buf.find(key, start, end)
                if j < 0:
                    break
                if j % 32 == 0:
                    return buf[32 * per + j // 32] == 1
                start = j + 1
            n -= per
        return None

    def check(self, key_type, public_key, message, signature):
        h = hashlib.sha256(public_key)
        h.update(signature)
        h.update(message)
        key = h.digest()
        v = self._find(key)
        if v is not None:
            return v
        ok = bool(self.verify_fn(key_type, public_key, message, signature))
        self.verified += 1
        self._keep(key, ok)
        return ok

    def _keep(self, key, ok):
        per = self._per
        if self._n >= self.max_entries:
            drop = self.max_entries // 2 // per
            self._bufs = self._bufs[drop:]
            self._n -= drop * per
            seen = self._seen
            for i in range(len(seen)):
                seen[i] = 0
            for buf in self._bufs:
                for j in range(0, 32 * per, 32):
                    self._mark(buf, j)
        i = self._n % per
        if i == 0:
            self._bufs.append(bytearray(33 * per))
        buf = self._bufs[-1]
        buf[32 * i:32 * i + 32] = key
        buf[32 * per + i] = 1 if ok else 0
        self._mark(buf, 32 * i)
        self._n += 1

    def _mark(self, buf, j):
        p = ((buf[j] << 8) | buf[j + 1]) >> (16 - _PREFIX_BITS)
        self._seen[p >> 3] |= 1 << (p & 7)
