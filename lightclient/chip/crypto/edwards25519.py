# Edwards25519, the curve under Ed25519, as the verifier needs it: field arithmetic mod 2^255-19,
# point encoding and decoding (ZIP-215's rules, see ed25519.py), the group law in extended
# coordinates (Hisil-Wong-Carter-Dawson 2008, a = -1: "add-2008-hwcd-3", "dbl-2008-hwcd"), wNAF
# schedules, the lazily built tables of odd multiples of B, and the multi-scalar multiplication
# the halved verification equation runs. Variable time: every input is public.
# Shared subset: runs unchanged on CPython and MicroPython 1.27 (no int.bit_length).

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
D2 = (2 * D) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
_MASK255 = (1 << 255) - 1
_HALF = 1 << 126  # the Euclid loop stops once the remainder is below 2^126 (~ sqrt(L))
_M128 = (1 << 128) - 1

# Base point B: y = 4/5, x even.
_BY = (4 * pow(5, P - 2, P)) % P
_BX = 15112221349535400772501151409588531511454012693041857206046113283949847762202

# Window width for the base-point tables: 2^(W_BASE-2) odd multiples of B and of 2^128*B, each
# stored as 3 field elements. They stay live once built, so they count against the
# microcontroller's heap: on MicroPython 1.27 W_BASE = 7 (2 x 32 points) held 16.7 KB, 6 held
# 8.4 KB, 5 (2 x 8 points, 48 values) holds 4.2 KB. Each +1 doubles the memory and saves ~2
# point additions per verification; applying a 100-validator update (67 checks,
# bench/update_bench.py) took the same 0.40-0.41 s with 5, 6 and 7 (within noise), so 5.
W_BASE = 5
# Window width for A and R, whose tables are built per verification: W_VAR = 4 (4 points each)
# holds ~3.1 KB live during a check on MicroPython, 5 (8 points) ~5.7 KB; the time is the same
# (fewer table additions balance the denser digits).
W_VAR = 4


# ---------------------------------------------------------------------------------------------
# Encoding and decoding

def _pow_p58(z):
    """z^((p-5)/8) = z^(2^252-3) by the usual addition chain: the squaring runs are pow(x, 2^n, p)
    (n squarings in C, no multiplications), 11 multiplications in Python. On MicroPython this is
    about twice as fast as pow(z, (p-5)//8, p), whose exponent has almost every bit set."""
    p = P
    z2 = z * z % p
    z9 = pow(z2, 4, p) * z % p
    z11 = z9 * z2 % p
    z_5 = z11 * z11 % p * z9 % p            # z^(2^5 - 1)
    z_10 = pow(z_5, 1 << 5, p) * z_5 % p    # z^(2^10 - 1)
    z_20 = pow(z_10, 1 << 10, p) * z_10 % p
    z_40 = pow(z_20, 1 << 20, p) * z_20 % p
    z_50 = pow(z_40, 1 << 10, p) * z_10 % p
    z_100 = pow(z_50, 1 << 50, p) * z_50 % p
    z_200 = pow(z_100, 1 << 100, p) * z_100 % p
    z_250 = pow(z_200, 1 << 50, p) * z_50 % p
    return pow(z_250, 4, p) * z % p         # z^(2^252 - 4 + 1)


def _sqrt_ratio(u, v):
    """x with v*x^2 == u (mod P), x even, or None when u/v is not a square (RFC 8032 5.1.3)."""
    v3 = v * v % P * v % P
    uv3 = u * v3 % P
    x = uv3 * _pow_p58(uv3 * v3 % P * v % P) % P
    vx2 = v * x % P * x % P
    if vx2 != u % P:
        if vx2 == (-u) % P:
            x = x * SQRT_M1 % P
        else:
            return None
    if x & 1:
        x = P - x
    return x


def decode_point(s):
    """ZIP-215 decoding of a 32-byte encoding to extended coordinates [X, Y, Z, T], or None."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y = (y & _MASK255) % P  # non-canonical y (>= p) is accepted and reduced
    yy = y * y % P
    x = _sqrt_ratio(yy - 1, D * yy + 1)
    if x is None:
        return None
    if sign and x:  # x = 0 with the sign bit set decodes to x = 0 (as in curve25519-voi)
        x = P - x
    return [x, y, 1, x * y % P]


def encode_point(pt):
    """Canonical 32-byte encoding of an extended point."""
    X, Y, Z = pt[0], pt[1], pt[2]
    zi = pow(Z, P - 2, P)
    x = X * zi % P
    y = Y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def is_canonical_point_encoding(s):
    """True when `s` is the canonical encoding of the point it decodes to (RFC 8032 strictness)."""
    pt = decode_point(s)
    return pt is not None and encode_point(pt) == bytes(s)


# ---------------------------------------------------------------------------------------------
# Group arithmetic helpers (used outside the hot loop: table building, signing, tests)

def _dbl(pt):
    X1, Y1, Z1 = pt[0], pt[1], pt[2]
    A = X1 * X1 % P
    B = Y1 * Y1 % P
    C = 2 * Z1 * Z1 % P
    s = X1 + Y1
    E = (s * s - A - B) % P
    G = B - A
    F = G - C
    H = -A - B
    return [E * F % P, G * H % P, F * G % P, E * H % P]


def _add(p1, p2):
    X1, Y1, Z1, T1 = p1
    X2, Y2, Z2, T2 = p2
    A = (Y1 - X1) * (Y2 - X2) % P
    B = (Y1 + X1) * (Y2 + X2) % P
    C = T1 * D2 % P * T2 % P
    Dd = 2 * Z1 * Z2 % P
    E = B - A
    F = Dd - C
    G = Dd + C
    H = B + A
    return [E * F % P, G * H % P, F * G % P, E * H % P]


def _neg(pt):
    return [(-pt[0]) % P, pt[1], pt[2], (-pt[3]) % P]


def point_equal(p1, p2):
    """Projective equality, no inversion."""
    return ((p1[0] * p2[2] - p2[0] * p1[2]) % P == 0
            and (p1[1] * p2[2] - p2[1] * p1[2]) % P == 0)


IDENTITY = (0, 1, 1, 0)
BASE = (_BX, _BY, 1, _BX * _BY % P)


# ---------------------------------------------------------------------------------------------
# Scalars

def _wnaf_into(sched, k, w, code, table):
    """Width-w NAF of k >= 0 (k < 2^256) appended to `sched`: sched[pos] gets code ^ sign and the
    table entry for every nonzero digit d (odd, |d| < 2^(w-1); entry = table[|d| >> 1]; sign 1 if
    d < 0). Reads the scalar a byte pair at a time with small ints (no big-int shifts, no
    int.bit_length). Returns the highest position written, or -1."""
    kb = k.to_bytes(33, "little")
    n = 33
    while n and kb[n - 1] == 0:
        n -= 1
    kb = kb[:n] + b"\0\0\0"
    end = 8 * n
    width = 1 << w
    half = width >> 1
    mask = width - 1
    pos = 0
    carry = 0
    top = -1
    while pos < end or carry:
        i = pos >> 3
        window = carry + (((kb[i] | (kb[i + 1] << 8)) >> (pos & 7)) & mask)
        if not window & 1:
            pos += 1
            continue
        if window < half:
            carry = 0
            ops = sched[pos]
            if ops is None:
                sched[pos] = [code, table[window >> 1]]
            else:
                ops.append(code)
                ops.append(table[window >> 1])
        else:
            carry = 1
            ops = sched[pos]
            if ops is None:
                sched[pos] = [code | 1, table[(width - window) >> 1]]
            else:
                ops.append(code | 1)
                ops.append(table[(width - window) >> 1])
        top = pos
        pos += w
    return top


def wnaf(k, w):
    """Width-w NAF digits of k >= 0, least significant first (for tests and tools)."""
    sched = [None] * 270
    table = list(range(1 << (w - 2)))
    top = _wnaf_into(sched, k, w, 0, table)
    out = []
    for i in range(top + 1):
        e = sched[i]
        out.append(0 if e is None else (2 * e[1] + 1) * (-1 if e[0] & 1 else 1))
    return out


def _half_size(k):
    """(delta, c) with c == delta * k (mod L), 0 <= c < 2^126, 0 < |delta| <= 2^127."""
    r0, r1 = L, k
    t0, t1 = 0, 1
    while r1 >= _HALF:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    return t1, r1


def bit_length(n):
    """Number of bits of n >= 0 (int.bit_length is missing on MicroPython)."""
    b = 0
    while n >= 1 << 64:
        n >>= 64
        b += 64
    while n:
        n >>= 1
        b += 1
    return b


# ---------------------------------------------------------------------------------------------
# Tables

_TABLES = None  # (odd multiples of B, of 2^128 B) in affine Niels form; built once, read-only after


def _affine_niels(points):
    """[(y+x, y-x, 2d*x*y)] for extended points, with one shared inversion (Montgomery's trick)."""
    n = len(points)
    acc = [1] * n
    run = 1
    for i in range(n):
        acc[i] = run
        run = run * points[i][2] % P
    inv = pow(run, P - 2, P)
    out = [None] * n
    for i in range(n - 1, -1, -1):
        zi = inv * acc[i] % P
        inv = inv * points[i][2] % P
        x = points[i][0] * zi % P
        y = points[i][1] * zi % P
        out[i] = [(y + x) % P, (y - x) % P, D2 * x % P * y % P]
    return out


def _odd_multiples(pt, count):
    out = [list(pt)]
    two = _dbl(pt)
    for _ in range(count - 1):
        out.append(_add(out[-1], two))
    return out


def _tables():
    global _TABLES
    if _TABLES is None:
        n = 1 << (W_BASE - 2)
        b = list(BASE)
        b128 = b
        for _ in range(128):
            b128 = _dbl(b128)
        _TABLES = (_affine_niels(_odd_multiples(b, n)), _affine_niels(_odd_multiples(b128, n)))
    return _TABLES


def table_size_info():
    """(number of stored field elements, their bytes as little-endian 32-byte values)."""
    t = _tables()
    n = sum(len(e) for tab in t for e in tab)
    return n, 32 * n


def _cached(pt):
    """Projective Niels form [Y+X, Y-X, 2d*T, 2Z] of an extended point."""
    X, Y, Z, T = pt
    return [(Y + X) % P, (Y - X) % P, D2 * T % P, 2 * Z % P]


def _var_table(pt):
    return [_cached(q) for q in _odd_multiples(pt, 1 << (W_VAR - 2))]


# ---------------------------------------------------------------------------------------------
# The multi-scalar multiplication

_AFFINE = 0  # schedule codes: bit 1 = entry is projective (4 values), bit 0 = subtract the entry
_PROJ = 2


def _multi_mul(terms):
    """sum of [k_i]Q_i for terms [(k_i, table_i, affine_i)], 0 <= k_i < 2^256. table_i holds the
    odd multiples 1Q, 3Q, 5Q, ... of Q in Niels form: affine [y+x, y-x, 2dxy] (wNAF width W_BASE)
    or projective [Y+X, Y-X, 2dT, 2Z] (width W_VAR). Straus: one shared chain of doublings from
    the top digit down, adding the table entry for every nonzero digit.
    Returns [X, Y, Z] of the result (extended T is not needed by the callers)."""
    sched = [None] * 270
    top = -1
    for k, table, affine in terms:
        if affine:
            t = _wnaf_into(sched, k, W_BASE, _AFFINE, table)
        else:
            t = _wnaf_into(sched, k, W_VAR, _PROJ, table)
        if t > top:
            top = t
    p = P
    X, Y, Z, T = 0, 1, 1, 0  # identity
    for i in range(top, -1, -1):
        ops = sched[i]
        if i != top:
            # doubling: dbl-2008-hwcd (a = -1) with the signs of F and H flipped, which scales
            # (X:Y:Z:T) by -1 (the same point) and saves the negations. T only if an add follows.
            A = X * X % p
            B = Y * Y % p
            C = Z * Z * 2 % p
            E = X * Y * 2 % p
            G = B - A
            H = A + B
            F = C - G
            X = E * F % p
            Y = G * H % p
            Z = F * G % p
            if ops is not None:
                T = E * H % p
        if ops is not None:
            n = len(ops)
            j = 0
            while j < n:
                code = ops[j]
                e = ops[j + 1]
                j += 2
                # add-2008-hwcd-3 (a = -1, k = 2d) with a Niels-form second operand; a negative
                # digit adds -Q: swap y+x / y-x and negate 2dT (done by swapping F and G).
                if code & 1:
                    A = (Y - X) * e[0] % p
                    B = (Y + X) * e[1] % p
                else:
                    A = (Y - X) * e[1] % p
                    B = (Y + X) * e[0] % p
                C = T * e[2] % p
                if code & 2:
                    Dd = Z * e[3] % p
                else:
                    Dd = Z + Z
                if code & 1:
                    F = Dd + C
                    G = Dd - C
                else:
                    F = Dd - C
                    G = Dd + C
                E = B - A
                H = B + A
                X = E * F % p
                Y = G * H % p
                Z = F * G % p
                if j < n:
                    T = E * H % p
    return [X, Y, Z]


def _times8_is_identity(X, Y, Z):
    p = P
    for _ in range(3):
        A = X * X % p
        B = Y * Y % p
        C = Z * Z * 2 % p
        E = X * Y * 2 % p
        G = B - A
        H = A + B
        F = C - G
        X = E * F % p
        Y = G * H % p
        Z = F * G % p
    return X % p == 0 and (Y - Z) % p == 0
