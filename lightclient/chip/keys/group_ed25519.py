# edwards25519 as a SPAKE2+ group (RFC 9383's SPAKE2+-edwards25519 suite; M and N from RFC 9382
# section 6): the group the chip pairs in. Pure Python over crypto/edwards25519.py; elements are
# extended points, encodings the canonical 32-byte RFC 8032 form (a non-canonical or off-curve
# encoding is refused). The order is the prime subgroup's L and the cofactor 8.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.crypto import ed25519, edwards25519 as ed
from lightclient.chip.keys.errors import PairingError

NAME = "edwards25519"
ORDER = ed.L
COFACTOR = 8
SCALAR_SIZE = 32


def decode(data):
    data = bytes(data)
    pt = ed.decode_point(data)
    if pt is None or ed.encode_point(pt) != data:
        raise PairingError("ed25519_point", "not a canonical edwards25519 point")
    return pt


def encode(el):
    return ed.encode_point(el)


def base_mul(k):
    return ed25519.scalar_mult_base(k)


def mul(k, el):
    # k is not reduced: h*y with a cofactor must clear the torsion part of el
    return ed25519.scalar_mult(k, el)


def add(a, b):
    return ed._add(a, b)


def neg(a):
    return ed._neg(a)


def is_identity(a):
    return ed.point_equal(a, ed.IDENTITY)


M = decode(bytes.fromhex("d048032c6ea0b6d697ddc2e86bda85a33adac920f1bf18e1b0c6d166a5cecdaf"))
N = decode(bytes.fromhex("d3bfb518f44f3430f29d0c92af503865a1ed3281dc69b35dd868ba85f886c4ab"))
