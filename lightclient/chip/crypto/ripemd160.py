# RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996) in plain integer arithmetic: the second hash of
# a secp256k1 address (validators', the owner's and the device's account). MicroPython's hashlib
# has none (nor does OpenSSL 3 by default).
# Shared subset: runs unchanged on CPython and MicroPython 1.27.

# Every 32-bit word is kept as two 16-bit halves (hi, lo): MicroPython's small ints on the chip
# hold 31 bits, so 32-bit words were big ints, each operation an allocation (an account address
# cost 5.2 M instructions on the chip's build; now 2.3 M, 1.7 M of it this hash, and no big int).
_M = 0xFFFF

_RL = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
       7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
       3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
       1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
       4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13)
_RR = (5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
       6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
       15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
       8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
       12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11)
_SL = (11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
       7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
       11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
       11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
       9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6)
_SR = (8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
       9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
       9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
       15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
       8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11)
# the round constants' halves: left line, right line
_KLH = (0x0000, 0x5A82, 0x6ED9, 0x8F1B, 0xA953)
_KLL = (0x0000, 0x7999, 0xEBA1, 0xBCDC, 0xFD4E)
_KRH = (0x50A2, 0x5C4D, 0x6D70, 0x7A6D, 0x0000)
_KRL = (0x8BE6, 0xD124, 0x3EF3, 0x76E9, 0x0000)


def _line(s, xh, xl, order, shifts, kh, kl, left):
    """The 80 steps of one line (left or right) on the state s (five words as ten halves)."""
    M = _M
    ah, al, bh, bl, ch, cl, dh, dl, eh, el = s
    for j in range(80):
        r = j >> 4
        fj = r if left else 4 - r
        if fj == 0:
            fh = bh ^ ch ^ dh
            fl = bl ^ cl ^ dl
        elif fj == 1:
            fh = (bh & ch) | (~bh & dh)
            fl = (bl & cl) | (~bl & dl)
        elif fj == 2:
            fh = (bh | (~ch & M)) ^ dh
            fl = (bl | (~cl & M)) ^ dl
        elif fj == 3:
            fh = (bh & dh) | (ch & ~dh)
            fl = (bl & dl) | (cl & ~dl)
        else:
            fh = bh ^ (ch | (~dh & M))
            fl = bl ^ (cl | (~dl & M))
        i = order[j]
        lo = al + fl + xl[i] + kl[r]
        hi = (ah + fh + xh[i] + kh[r] + (lo >> 16)) & M
        lo &= M
        n = shifts[j]
        if n >= 16:
            hi, lo = lo, hi
            n -= 16
        if n:   # rotate left by n < 16, masking before the shift: no value passes 16 bits
            m = M >> n
            hi, lo = ((hi & m) << n) | (lo >> (16 - n)), ((lo & m) << n) | (hi >> (16 - n))
        lo += el
        hi = (hi + eh + (lo >> 16)) & M
        ah, al = eh, el
        eh, el = dh, dl
        dh, dl = ((ch & 0x3F) << 10) | (cl >> 6), ((cl & 0x3F) << 10) | (ch >> 6)  # rol 10
        ch, cl = bh, bl
        bh, bl = hi, lo & M
    return (ah, al, bh, bl, ch, cl, dh, dl, eh, el)


def _add3(a, b, c, i, j, k):
    # (a + b + c) mod 2**32 of the words at half-indices i, j, k -> (hi, lo)
    lo = a[i + 1] + b[j + 1] + c[k + 1]
    return (a[i] + b[j] + c[k] + (lo >> 16)) & _M, lo & _M


def ripemd160(data):
    """RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), plain integer arithmetic."""
    data = bytes(data)
    n = len(data)
    msg = (data + b"\x80" + b"\x00" * ((55 - n) % 64)
           + ((n * 8) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))
    h = (0x6745, 0x2301, 0xEFCD, 0xAB89, 0x98BA, 0xDCFE, 0x1032, 0x5476, 0xC3D2, 0xE1F0)
    for off in range(0, len(msg), 64):
        xh = [msg[off + 4 * i + 3] << 8 | msg[off + 4 * i + 2] for i in range(16)]
        xl = [msg[off + 4 * i + 1] << 8 | msg[off + 4 * i] for i in range(16)]
        L = _line(h, xh, xl, _RL, _SL, _KLH, _KLL, True)
        R = _line(h, xh, xl, _RR, _SR, _KRH, _KRL, False)
        # h1 + cl + dr, h2 + dl + er, h3 + el + ar, h4 + al + br, h0 + bl + cr (halves: 2 each)
        h = (_add3(h, L, R, 2, 4, 6) + _add3(h, L, R, 4, 6, 8) + _add3(h, L, R, 6, 8, 0)
             + _add3(h, L, R, 8, 0, 2) + _add3(h, L, R, 0, 2, 4))
    out = bytearray(20)
    for i in range(5):
        hi, lo = h[2 * i], h[2 * i + 1]
        out[4 * i], out[4 * i + 1] = lo & 0xFF, lo >> 8
        out[4 * i + 2], out[4 * i + 3] = hi & 0xFF, hi >> 8
    return bytes(out)
