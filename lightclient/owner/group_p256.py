# NIST P-256 as a SPAKE2+ group (lightclient.chip.keys.spake2plus), over the `ecdsa` package's
# point arithmetic: the suite of RFC 9383's test vectors (P256-SHA256-HKDF-SHA256-HMAC-SHA256),
# which pins our generic implementation. The Pi only; the chip uses edwards25519.
# Elements are ecdsa PointJacobi objects; encodings are SEC1 uncompressed (65 bytes), as the RFC's.

from ecdsa import NIST256p
from ecdsa.ellipticcurve import INFINITY, PointJacobi

from lightclient.chip.keys.errors import PairingError

NAME = "P256"
_CURVE = NIST256p.curve
ORDER = NIST256p.order
COFACTOR = 1
SCALAR_SIZE = 32
_G = NIST256p.generator


def decode(data):
    data = bytes(data)
    if len(data) != 65 or data[0] != 4:
        raise PairingError("p256_point", "not a 65-byte uncompressed point")
    x, y = int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big")
    p = _CURVE.p()
    if x >= p or y >= p or not _CURVE.contains_point(x, y):
        raise PairingError("p256_point", "not on the curve")
    return PointJacobi(_CURVE, x, y, 1, ORDER)


def encode(el):
    return b"\x04" + el.x().to_bytes(32, "big") + el.y().to_bytes(32, "big")


def base_mul(k):
    return _G * (k % ORDER)


def mul(k, el):
    return el * k if k % ORDER else INFINITY


def add(a, b):
    return a + b


def neg(a):
    return -a


def is_identity(a):
    return a == INFINITY


# RFC 9383 section 4 (from RFC 9382): the P-256 M and N, compressed there.
M = decode(bytes.fromhex(
    "04886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"
    "5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20"))
N = decode(bytes.fromhex(
    "04d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49"
    "07d60aa6bfade45008a636337f5168c64d9bd36034808cd564490b1e656edbe7"))
