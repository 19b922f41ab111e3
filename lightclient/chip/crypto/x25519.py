# X25519 (RFC 7748, section 5): the Montgomery ladder over Curve25519, pure Python. The fallback
# of the crypto interface's x25519 (crypto/backend.py), where neither lccrypto nor a host library
# is there. It returns RFC 7748's output for every input, the all-zero value of a small-order
# point included: backend.x25519 refuses that one, whatever the implementation.
# Not constant time (Python integers are not): the chip's image uses lccrypto's, the Pi OpenSSL's.
# Shared subset: CPython and MicroPython 1.27.

P = 2 ** 255 - 19
_A24 = 121665
BASE_POINT = b"\x09" + bytes(31)


def _clamp(k):
    if len(k) != 32:
        raise ValueError("x25519: scalar must be 32 bytes")
    b = bytearray(k)
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return int.from_bytes(bytes(b), "little")


def _decode_u(u):
    if len(u) != 32:
        raise ValueError("x25519: point must be 32 bytes")
    b = bytearray(u)
    b[31] &= 127          # RFC 7748: the top bit is masked; a non-canonical u is reduced below
    return int.from_bytes(bytes(b), "little") % P


def x25519(scalar, point):
    k = _clamp(scalar)
    x1 = _decode_u(point)
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    t = 254
    while t >= 0:
        kt = (k >> t) & 1
        if swap ^ kt:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = kt
        a = x2 + z2
        aa = a * a % P
        b = x2 - z2
        bb = b * b % P
        e = aa - bb
        c = x3 + z3
        d = x3 - z3
        da = d * a % P
        cb = c * b % P
        s = da + cb
        x3 = s * s % P
        s = da - cb
        z3 = x1 * (s * s % P) % P
        x2 = aa * bb % P
        z2 = e * (aa + _A24 * e) % P
        t -= 1
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def x25519_public_key(scalar):
    return x25519(scalar, BASE_POINT)
