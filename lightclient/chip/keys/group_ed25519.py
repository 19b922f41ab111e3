# edwards25519 as a SPAKE2+ group (RFC 9383's SPAKE2+-edwards25519 suite; M and N from RFC 9382
# section 6): the group the chip pairs in. On the chip's image, libsodium's ref10 through lccrypto
# (constant-time scalar multiplication; elements are their 32-byte encodings); elsewhere pure
# Python over crypto/edwards25519.py (elements are extended points). Either way an encoding must
# be the canonical RFC 8032 form of a curve point, or decode() raises PairingError. The order is
# the prime subgroup's L, the cofactor 8; scalars are not reduced (h*y must clear torsion).
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.keys.errors import PairingError

NAME = "edwards25519"
ORDER = 2 ** 252 + 27742317777372353535851937790883648493
COFACTOR = 8
SCALAR_SIZE = 32
_M_BYTES = bytes.fromhex("d048032c6ea0b6d697ddc2e86bda85a33adac920f1bf18e1b0c6d166a5cecdaf")
_N_BYTES = bytes.fromhex("d3bfb518f44f3430f29d0c92af503865a1ed3281dc69b35dd868ba85f886c4ab")
_IDENTITY = b"\x01" + bytes(31)
_TOP = 1 << 255

try:
    import lccrypto
    _native = lccrypto.ed25519_point_mul and lccrypto
except (ImportError, AttributeError):
    _native = None

if _native is not None:
    BACKEND = "lccrypto"

    def decode(data):
        data = bytes(data)
        try:
            return _native.ed25519_point_add(data, _IDENTITY)   # refuses a bad encoding
        except ValueError:
            raise PairingError("ed25519_point", "not a canonical edwards25519 point")

    def encode(el):
        return el

    def _scalar(k):
        return k.to_bytes(32, "little")

    def base_mul(k):
        return _native.ed25519_base_mul(_scalar(k % ORDER))

    def mul(k, el):
        if k >= _TOP:   # ref10's ladder takes k < 2^255: 8*y with y < L is split as 8 then y
            if k % COFACTOR:
                raise ValueError("ed25519 group: scalar too large")
            el = _native.ed25519_point_mul(_scalar(COFACTOR), el)
            k //= COFACTOR
        return _native.ed25519_point_mul(_scalar(k), el)

    def add(a, b):
        return _native.ed25519_point_add(a, b)

    def neg(a):
        return _native.ed25519_point_sub(_IDENTITY, a)

    def is_identity(a):
        return a == _IDENTITY

    M, N = _M_BYTES, _N_BYTES   # constants (decoding them is a test), no C call at import

else:
    from lightclient.chip.crypto import ed25519, edwards25519 as ed
    BACKEND = "pure"

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
        return ed25519.scalar_mult(k, el)

    def add(a, b):
        return ed._add(a, b)

    def neg(a):
        return ed._neg(a)

    def is_identity(a):
        return ed.point_equal(a, ed.IDENTITY)

    M, N = decode(_M_BYTES), decode(_N_BYTES)
