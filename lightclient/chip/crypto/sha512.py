# SHA-512 (FIPS 180-4) in plain Python, for runtimes whose hashlib has no sha512 (MicroPython).
# Shared subset: runs unchanged on CPython and MicroPython 1.27.
#
#   sha512(data) -> 64 bytes      fastest available: hashlib.sha512 where the runtime has it
#                                 (CPython), else the pure code below; the digest is identical.
#   sha512_pure(data) -> 64 bytes always the pure code (what the tests pin on both runtimes).
#   SHA512(data=b"")              pure incremental hasher: update(data), digest(), hexdigest(), copy().
#   new(data=b"")                 incremental hasher, hashlib's where available, else SHA512.
#
# Speed notes (MicroPython: 64-bit words are heap-allocated big ints, small ints are 31 bits): the
# compression function is one flat loop over locals, no helper calls; each rotation triple of the
# Sigma functions is done on the word doubled to 128 bits (x | x << 64), so rotr(x, n) is a single
# shift of that value and the three rotations share one final mask.

try:
    import hashlib as _hashlib
    _native = _hashlib.sha512
except (ImportError, AttributeError):
    _native = None

_M64 = 0xFFFFFFFFFFFFFFFF

_K = (
    0x428A2F98D728AE22, 0x7137449123EF65CD, 0xB5C0FBCFEC4D3B2F, 0xE9B5DBA58189DBBC,
    0x3956C25BF348B538, 0x59F111F1B605D019, 0x923F82A4AF194F9B, 0xAB1C5ED5DA6D8118,
    0xD807AA98A3030242, 0x12835B0145706FBE, 0x243185BE4EE4B28C, 0x550C7DC3D5FFB4E2,
    0x72BE5D74F27B896F, 0x80DEB1FE3B1696B1, 0x9BDC06A725C71235, 0xC19BF174CF692694,
    0xE49B69C19EF14AD2, 0xEFBE4786384F25E3, 0x0FC19DC68B8CD5B5, 0x240CA1CC77AC9C65,
    0x2DE92C6F592B0275, 0x4A7484AA6EA6E483, 0x5CB0A9DCBD41FBD4, 0x76F988DA831153B5,
    0x983E5152EE66DFAB, 0xA831C66D2DB43210, 0xB00327C898FB213F, 0xBF597FC7BEEF0EE4,
    0xC6E00BF33DA88FC2, 0xD5A79147930AA725, 0x06CA6351E003826F, 0x142929670A0E6E70,
    0x27B70A8546D22FFC, 0x2E1B21385C26C926, 0x4D2C6DFC5AC42AED, 0x53380D139D95B3DF,
    0x650A73548BAF63DE, 0x766A0ABB3C77B2A8, 0x81C2C92E47EDAEE6, 0x92722C851482353B,
    0xA2BFE8A14CF10364, 0xA81A664BBC423001, 0xC24B8B70D0F89791, 0xC76C51A30654BE30,
    0xD192E819D6EF5218, 0xD69906245565A910, 0xF40E35855771202A, 0x106AA07032BBD1B8,
    0x19A4C116B8D2D0C8, 0x1E376C085141AB53, 0x2748774CDF8EEB99, 0x34B0BCB5E19B48A8,
    0x391C0CB3C5C95A63, 0x4ED8AA4AE3418ACB, 0x5B9CCA4F7763E373, 0x682E6FF3D6B2B8A3,
    0x748F82EE5DEFB2FC, 0x78A5636F43172F60, 0x84C87814A1F0AB72, 0x8CC702081A6439EC,
    0x90BEFFFA23631E28, 0xA4506CEBDE82BDE9, 0xBEF9A3F7B2C67915, 0xC67178F2E372532B,
    0xCA273ECEEA26619C, 0xD186B8C721C0C207, 0xEADA7DD6CDE0EB1E, 0xF57D4F7FEE6ED178,
    0x06F067AA72176FBA, 0x0A637DC5A2C898A6, 0x113F9804BEF90DAE, 0x1B710B35131C471B,
    0x28DB77F523047D84, 0x32CAAB7B40C72493, 0x3C9EBE0A15C9BEBC, 0x431D67C49C100D4C,
    0x4CC5D4BECB3E42B6, 0x597F299CFC657E2A, 0x5FCB6FAB3AD6FAEC, 0x6C44198C4A475817,
)

_H0 = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)


def _compress(h, block, off):
    # One 128-byte block of `block` starting at `off`; updates the list `h` in place.
    M = _M64
    K = _K
    w = [int.from_bytes(block[off + 8 * i:off + 8 * i + 8], "big") for i in range(16)]
    for t in range(16, 80):
        x = w[t - 15]
        xx = x | (x << 64)
        s0 = (((xx >> 1) ^ (xx >> 8)) & M) ^ (x >> 7)
        x = w[t - 2]
        xx = x | (x << 64)
        s1 = (((xx >> 19) ^ (xx >> 61)) & M) ^ (x >> 6)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & M)
    a, b, c, d, e, f, g, hh = h
    bc = b ^ c
    for t in range(80):
        ee = e | (e << 64)
        t1 = (hh + (((ee >> 14) ^ (ee >> 18) ^ (ee >> 41)) & M) + (g ^ (e & (f ^ g)))
              + K[t] + w[t])
        aa = a | (a << 64)
        # Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)); this round's a ^ b is the next round's b ^ c
        ab = a ^ b
        t2 = (((aa >> 28) ^ (aa >> 34) ^ (aa >> 39)) & M) + (b ^ (ab & bc))
        bc = ab
        hh = g
        g = f
        f = e
        e = (d + t1) & M
        d = c
        c = b
        b = a
        a = (t1 + t2) & M
    h[0] = (h[0] + a) & M
    h[1] = (h[1] + b) & M
    h[2] = (h[2] + c) & M
    h[3] = (h[3] + d) & M
    h[4] = (h[4] + e) & M
    h[5] = (h[5] + f) & M
    h[6] = (h[6] + g) & M
    h[7] = (h[7] + hh) & M


class SHA512:
    """Pure incremental SHA-512. update() takes bytes-like data; digest() does not finalize."""

    digest_size = 64
    block_size = 128

    def __init__(self, data=b""):
        self._h = list(_H0)
        self._buf = b""
        self._n = 0  # total bytes fed
        if data:
            self.update(data)

    def update(self, data):
        data = bytes(data)
        n = len(data)
        self._n += n
        buf = self._buf
        if buf:
            need = 128 - len(buf)
            if n < need:
                self._buf = buf + data
                return
            _compress(self._h, buf + data[:need], 0)
            off = need
        else:
            off = 0
        h = self._h
        end = n - 127
        while off < end:
            _compress(h, data, off)
            off += 128
        self._buf = data[off:]

    def copy(self):
        c = SHA512()
        c._h = list(self._h)
        c._buf = self._buf
        c._n = self._n
        return c

    def digest(self):
        h = list(self._h)
        buf = self._buf
        bits = self._n * 8
        pad = b"\x80" + bytes((111 - len(buf)) % 128) + (bits & ((1 << 128) - 1)).to_bytes(16, "big")
        tail = buf + pad
        for off in range(0, len(tail), 128):
            _compress(h, tail, off)
        return b"".join(x.to_bytes(8, "big") for x in h)

    def hexdigest(self):
        return self.digest().hex()


def sha512_pure(data):
    """SHA-512 of `data` computed by the pure code, on every runtime."""
    return SHA512(data).digest()


if _native is not None:
    def sha512(data):
        """SHA-512 of `data` (hashlib's where the runtime has it: same digest, faster)."""
        return _native(data).digest()

    def new(data=b""):
        return _native(data)
else:
    sha512 = sha512_pure

    def new(data=b""):
        return SHA512(data)

HAS_NATIVE = _native is not None
