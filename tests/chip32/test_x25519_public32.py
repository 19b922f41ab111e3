# lccrypto.x25519_public_key takes the Edwards fixed-base comb (Monocypher's
# crypto_x25519_dirty_fast with the low three bits cleared) instead of the Montgomery ladder: it
# must give the ladder's result, X25519(k, 9), for every scalar, the clamped bits included.
import hashlib

from tests.chip32.chip32 import run


def test_x25519_public_key_equals_the_ladder_on_the_base_point():
    scalars = [hashlib.sha256(b"x%d" % i).digest() for i in range(200)]
    scalars += [bytes(32), b"\xff" * 32, b"\x07" + bytes(31), bytes(31) + b"\x80",
                bytes(31) + b"\x40", b"\x08" + bytes(31)]
    code = ("import lccrypto\nB = bytes([9]) + bytes(31)\nn = 0\n"
            "for k in %r:\n"
            "    assert lccrypto.x25519_public_key(k) == lccrypto.x25519(k, B), k\n"
            "    n += 1\nprint(n)\n" % (scalars,))
    p = run(code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [str(len(scalars))]
