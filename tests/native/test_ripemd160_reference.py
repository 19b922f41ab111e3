# The chip's RIPEMD-160 (32-bit words as 16-bit halves, so MicroPython never needs a big int)
# against OpenSSL's through CPython's hashlib, on every length across the padding edges and on
# words whose halves carry. CPython only; the vectors in test_ripemd160.py run on both runtimes.
import hashlib

import pytest

from lightclient.chip.crypto.ripemd160 import ripemd160


def _reference(m):
    try:
        return hashlib.new("ripemd160", m).digest()
    except ValueError:  # an OpenSSL 3 without the legacy provider
        from Crypto.Hash import RIPEMD160
        return RIPEMD160.new(m).digest()


@pytest.mark.parametrize("n", list(range(0, 140)) + [200, 1000])
def test_ripemd160_equals_the_reference(n):
    for m in (bytes((i * 167 + n) & 0xFF for i in range(n)), b"\xff" * n):
        assert ripemd160(m) == _reference(m)
