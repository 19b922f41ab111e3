# The secp256k1 group as the ECDSA code (secp256k1.py) needs it, fast with plain integers:
# curve constants, field helpers (reduction "fold, then %", square roots by an addition chain),
# Jacobian doubling and mixed addition (a = 0), the GLV split, wNAF schedules, the lazily built
# table of odd multiples of G and of its BETA image, per-key tables, and u1*G + u2*Q in one
# Straus pass (_mul_add). How and why: the header of secp256k1.py. Variable time (public data).
# Shared subset: runs unchanged on CPython and MicroPython 1.27.

from lightclient.chip.core.errors import SignatureError

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8

# GLV: LAMBDA * (x, y) = (BETA * x, y). Reduced lattice basis (A1, -B1), (A2, B2) of
# {(a, b): a + b * LAMBDA = 0 mod n}; B1 is stored as its absolute value.
BETA = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE
LAMBDA = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72
_A1 = 0x3086D221A7D46BCDE86C90E49284EB15
_B1 = 0xE4437ED6010E88286F547FA90ABFE4C3  # the basis has -_B1
_A2 = 0x114CA50F7A8E2F3F657C1108D9D44CFD8
_B2 = _A1

_W_Q = 5  # wNAF width for the variable point: 2^(5-2) = 8 odd multiples per verify
_W_G = 9  # wNAF width for G: 2^(9-2) = 128 odd multiples, times two (G and LAMBDA*G)
_POSITIONS = 136  # bit positions a GLV half-scalar (< 2^129) can use in a wNAF, with margin

_MASK = (1 << 256) - 1
_C = (1 << 32) + 977  # P = 2^256 - _C
_G_TABLE = None  # lazily built constant: see _g_table()


def _sqn(a, n):
    # a^(2^n) mod p
    p = P
    mask = _MASK
    c = _C
    for _ in range(n):
        a = a * a
        a = ((a & mask) + (a >> 256) * c) % p
    return a


def _fmul(a, b):
    a = a * b
    return ((a & _MASK) + (a >> 256) * _C) % P


def _sqrt_candidate(x):
    """x^((p+1)/4) mod p, the square root of x if it has one (p = 3 mod 4), by the addition
    chain of libsecp256k1's field sqrt: 253 squarings and 13 multiplications. On MicroPython
    about 1.5x faster than pow(x, (p+1)//4, p); the caller checks the result squares to x."""
    x2 = _fmul(_sqn(x, 1), x)
    x3 = _fmul(_sqn(x2, 1), x)
    x6 = _fmul(_sqn(x3, 3), x3)
    x9 = _fmul(_sqn(x6, 3), x3)
    x11 = _fmul(_sqn(x9, 2), x2)
    x22 = _fmul(_sqn(x11, 11), x11)
    x44 = _fmul(_sqn(x22, 22), x22)
    x88 = _fmul(_sqn(x44, 44), x44)
    x176 = _fmul(_sqn(x88, 88), x88)
    x220 = _fmul(_sqn(x176, 44), x44)
    x223 = _fmul(_sqn(x220, 3), x3)
    t = _fmul(_sqn(x223, 23), x22)
    t = _fmul(_sqn(t, 6), x2)
    return _sqn(t, 2)


# --- verification -------------------------------------------------------------------------


def _inv(x, m):
    # x^-1 mod m for 0 < x < m, m prime: extended Euclid (on MicroPython several times faster
    # than Fermat's pow(x, m - 2, m); pow(x, -1, m) silently gives 0 there).
    a, b = x, m
    x0, x1 = 1, 0
    while b:
        q, r = divmod(a, b)
        a, b = b, r
        x0, x1 = x1, x0 - q * x1
    if a != 1:
        raise SignatureError("secp256k1_inverse", "not invertible")
    return x0 % m


def _to_affine(J):
    X, Y, Z = J
    if Z == 0:
        raise SignatureError("secp256k1_infinity", "point at infinity")
    zi = pow(Z, P - 2, P)
    zi2 = zi * zi % P
    return (X * zi2 % P, Y * zi2 * zi % P)


def _split(k):
    # GLV: k = k1 + k2 * LAMBDA (mod n) with |k1|, |k2| < 2^129, for 0 <= k < n. Signed.
    c1 = (2 * _B2 * k + N) // (2 * N)
    c2 = (2 * _B1 * k + N) // (2 * N)
    return k - c1 * _A1 - c2 * _A2, c1 * _B1 - c2 * _B2


def _make_tz():
    t = bytearray(256)
    for i in range(1, 256):
        z = 0
        while not (i >> z) & 1:
            z += 1
        t[i] = z
    return bytes(t)


_TZ = _make_tz()  # _TZ[i]: trailing zero bits of i, 1 <= i < 256


def _wnaf(k, w, xs, ys, aff):
    """Width-w NAF of the signed scalar k (|k| < 2^130), scattered into aff: for each nonzero
    digit d at bit i, the affine point d*P (from the odd multiples xs[j], ys[j] = (2j+1)*P) is
    appended to the list aff[i]. Returns 1 + the highest bit used (0 for k == 0)."""
    neg = k < 0
    if neg:
        k = -k
    full = 1 << w
    half = full >> 1
    mask = full - 1
    tz = _TZ
    p = P
    i = 0
    top = 0
    while k:
        t = k & 255
        if t & 1:
            d = k & mask
            k >>= w
            if d >= half:
                k += 1
                d = (full - d) >> 1
                y = ys[d] if neg else p - ys[d]
            else:
                d >>= 1
                y = p - ys[d] if neg else ys[d]
            lst = aff[i]
            if lst is None:
                aff[i] = [(xs[d], y)]
            else:
                lst.append((xs[d], y))
            top = i + 1
            i += w
            t = k & 255
            if t and not t & 1:  # skip the zeros that follow at once
                t = tz[t]
                k >>= t
                i += t
        elif t:
            t = tz[t]
            k >>= t
            i += t
        else:
            k >>= 8
            i += 8
    return top


def _jdouble(X, Y, Z):
    if Z == 0:
        return 0, 1, 0
    YY = Y * Y % P
    S = 4 * X * YY % P
    M = 3 * X * X % P
    X3 = (M * M - 2 * S) % P
    return X3, (M * (S - X3) - 8 * YY * YY) % P, 2 * Y * Z % P


def _jadd(X1, Y1, Z1, X2, Y2, Z2):
    # General Jacobian addition, all special cases handled (used outside the hot loop).
    if Z1 == 0:
        return X2, Y2, Z2
    if Z2 == 0:
        return X1, Y1, Z1
    Z1Z1 = Z1 * Z1 % P
    Z2Z2 = Z2 * Z2 % P
    U1 = X1 * Z2Z2 % P
    S1 = Y1 * Z2 * Z2Z2 % P
    H = X2 * Z1Z1 % P - U1
    R = Y2 * Z1 * Z1Z1 % P - S1
    if H == 0:
        if R == 0:
            return _jdouble(X1, Y1, Z1)
        return 0, 1, 0
    HH = H * H % P
    HHH = H * HH % P
    V = U1 * HH % P
    X3 = (R * R - HHH - 2 * V) % P
    return X3, (R * (V - X3) - S1 * HHH) % P, Z1 * Z2 * H % P


def _compact(v):
    return int.from_bytes(v.to_bytes(32, "big"), "big")


def _g_table():
    # Affine odd multiples (2i+1)*G for i < 2^(_W_G-2), and the x of their LAMBDA-images:
    # three lists (xs, ys, beta_xs) of 128 integers each, built once on first use with one
    # inversion (Montgomery's batch trick). Live heap measured on MicroPython 1.27 (WebAssembly,
    # bench/secp256k1_mp.py heap_steps): ~21 KB for _W_G = 9 (10 KB for 8, 40 KB for 10; each
    # step up saves ~3 of the ~29 additions of G per verify, ~50 us there).
    global _G_TABLE
    if _G_TABLE is not None:
        return _G_TABLE
    count = 1 << (_W_G - 2)
    dx, dy, dz = _jdouble(GX, GY, 1)
    jac = [(GX, GY, 1)]
    for _ in range(count - 1):
        X, Y, Z = jac[-1]
        jac.append(_jadd(X, Y, Z, dx, dy, dz))
    prefix = []
    acc = 1
    for X, Y, Z in jac:
        prefix.append(acc)
        acc = acc * Z % P
    inv = pow(acc, P - 2, P)
    xs = [0] * count
    ys = [0] * count
    for i in range(count - 1, -1, -1):
        X, Y, Z = jac[i]
        zi = inv * prefix[i] % P
        inv = inv * Z % P
        zi2 = zi * zi % P
        xs[i] = X * zi2 % P
        ys[i] = Y * zi2 * zi % P
    # Re-created from bytes so that each integer holds exactly its 256 bits (the results of %
    # keep the digit space of their 512-bit dividends): halves the table's heap on MicroPython.
    _G_TABLE = (
        [_compact(x) for x in xs],
        [_compact(y) for y in ys],
        [_compact(x * BETA % P) for x in xs],
    )
    return _G_TABLE


def _odd_multiples(qx, qy):
    """Affine Q, 3Q, ..., (2^(_W_Q-1) - 1)Q as two lists (xs, ys), for Q of order n.

    D = 2Q = (Xd, Yd, Zd) is affine on the isomorphic curve y^2 = x^3 + 7*Zd^6, where Q is
    (qx*Zd^2, qy*Zd^3); so the multiples are built there with mixed additions, and all brought
    back to affine with one inversion (Montgomery's trick) of the Z's times Zd."""
    p = P
    YY = qy * qy % p
    M = qx * qx * 3 % p
    S = qx * YY * 4 % p
    dx = (M * M - 2 * S) % p
    dy = (M * (S - dx) - YY * YY * 8) % p
    zd = qy * 2 % p
    zd2 = zd * zd % p
    X = qx * zd2 % p
    Y = qy * zd2 * zd % p
    Z = 1
    count = 1 << (_W_Q - 2)
    jac = []
    for _ in range(count - 1):
        # (X, Y, Z) + (dx, dy, 1); the sum is never D or -D for odd multiples below n
        ZZ = Z * Z % p
        H = dx * ZZ % p - X
        R = dy * ZZ * Z % p - Y
        if H == 0:
            raise SignatureError("secp256k1_point", "point of small order")
        HH = H * H % p
        HHH = H * HH % p
        V = X * HH % p
        X = (R * R - HHH - 2 * V) % p
        Y = (R * (V - X) - Y * HHH) % p
        Z = Z * H % p
        jac.append((X, Y, Z * zd % p))
    prefix = []
    acc = 1
    for X, Y, Z in jac:
        prefix.append(acc)
        acc = acc * Z % p
    inv = _inv(acc, p)
    xs = [qx] * count
    ys = [qy] * count
    for j in range(count - 2, -1, -1):
        X, Y, Z = jac[j]
        zi = inv * prefix[j] % p
        inv = inv * Z % p
        zi2 = zi * zi % p
        xs[j + 1] = X * zi2 % p
        ys[j + 1] = Y * zi2 * zi % p
    return xs, ys


def _q_table(qx, qy):
    # (xs, ys, beta_xs): affine odd multiples of Q and the x of their LAMBDA-images
    xs, ys = _odd_multiples(qx, qy)
    return xs, ys, [x * BETA % P for x in xs]


def _mul_add(u1, u2, qx, qy, qtab=None):
    """u1*G + u2*(qx, qy) in Jacobian coordinates (X, Y, Z); Z == 0 is the point at infinity.
    u2 == 0 skips Q entirely (k*G). qtab: _q_table(qx, qy) if the caller has it already."""
    gxs, gys, gbxs = _g_table()
    p = P
    # aff[i]: the affine points to add after the doubling at bit i (|k1|, |k2| < 2^129)
    aff = [None] * _POSITIONS
    g1, g2 = _split(u1 % N)
    top = _wnaf(g1, _W_G, gxs, gys, aff)
    t = _wnaf(g2, _W_G, gbxs, gys, aff)
    if t > top:
        top = t
    u2 %= N
    if u2:
        if qtab is None:
            qtab = _q_table(qx, qy)
        qxs, qys, qbxs = qtab
        q1, q2 = _split(u2)
        t = _wnaf(q1, _W_Q, qxs, qys, aff)
        if t > top:
            top = t
        t = _wnaf(q2, _W_Q, qbxs, qys, aff)
        if t > top:
            top = t

    # Reductions: on MicroPython x % p costs about in proportion to the bits of x above 256,
    # and a fold (x & MASK) + (x >> 256) * C (p = 2^256 - C) removes 223 of them for less, so
    # every reduction is "fold, then %" (768-bit intermediates: fold twice). Exact, as x % p is;
    # Python's & and >> on negative x keep x == hi * 2^256 + lo on both runtimes. Measured:
    # ~7% less time per verify on MicroPython, no loss on CPython.
    mask = _MASK
    c = _C
    X, Y, Z = 0, 1, 0
    for i in range(top - 1, -1, -1):
        if Z:
            # doubling, a = 0 (3M + 4S); S is left unreduced. Every reduction below is a fold
            # then %: same result as x % p, cheaper on MicroPython.
            YY = Y * Y
            YY = ((YY & mask) + (YY >> 256) * c) % p
            Z = Y * Z * 2
            Z = ((Z & mask) + (Z >> 256) * c) % p
            S = X * YY * 4
            M = X * X * 3
            M = ((M & mask) + (M >> 256) * c) % p
            X = M * M - 2 * S
            X = ((X & mask) + (X >> 256) * c) % p
            Y = M * (S - X) - YY * YY * 8
            Y = (Y & mask) + (Y >> 256) * c
            Y = ((Y & mask) + (Y >> 256) * c) % p
        lst = aff[i]
        if lst is not None:
            for x2, y2 in lst:
                if Z == 0:
                    X, Y, Z = x2, y2, 1
                    continue
                # mixed addition (Z2 = 1); HHH and V left unreduced
                ZZ = Z * Z
                ZZ = ((ZZ & mask) + (ZZ >> 256) * c) % p
                H = x2 * ZZ
                H = ((H & mask) + (H >> 256) * c) % p - X
                R = y2 * ZZ * Z
                R = (R & mask) + (R >> 256) * c
                R = ((R & mask) + (R >> 256) * c) % p - Y
                if H == 0:
                    if R == 0:
                        X, Y, Z = _jdouble(X, Y, Z)
                    else:
                        X, Y, Z = 0, 1, 0
                    continue
                HH = H * H
                HH = ((HH & mask) + (HH >> 256) * c) % p
                HHH = H * HH
                V = X * HH
                X = R * R - HHH - 2 * V
                X = ((X & mask) + (X >> 256) * c) % p
                Y = R * (V - X) - Y * HHH
                Y = (Y & mask) + (Y >> 256) * c
                Y = ((Y & mask) + (Y >> 256) * c) % p
                Z = Z * H
                Z = ((Z & mask) + (Z >> 256) * c) % p
    return X, Y, Z
