# Ed25519 (lightclient.chip.crypto.ed25519) on both runtimes: every Wycheproof vector, RFC 8032 test 1-3,
# and the ZIP-215 cases that set CometBFT's rules (curve25519-voi VerifyOptionsZIP_215) apart from
# RFC 8032 / OpenSSL: non-canonical A and R, small- and mixed-order A, the cofactored equation,
# S >= L rejected, "x = 0 with the sign bit set" accepted.
import dual
from lightclient.chip.crypto import ed25519 as ed
from lightclient.chip.crypto import edwards25519 as curve
from lightclient.chip.crypto.sha512 import sha512

P = curve.P
L = curve.L

# Wycheproof marks these invalid; ZIP-215 (and so CometBFT) accepts them. Our verdict is asserted.
ZIP215_ACCEPTS = {
    # R = 0100..0080: y = 1 with the sign bit of x set. RFC 8032 5.1.3 step 4 rejects "x = 0 and
    # sign bit 1"; curve25519-voi's decompression negates the (zero) root conditionally and so
    # decodes it to the identity, and under VerifyOptionsZIP_215 (AllowNonCanonicalR) it is only a
    # non-canonical encoding, which ZIP-215 allows ("A and R MUST be encodings of points"; "it is
    # not required that A and R are canonical encodings"). With R = identity the cofactored
    # equation holds for this vector's S, so CometBFT accepts the signature.
    151: "R is y = 1 with the x sign bit set (non-canonical identity), accepted by ZIP-215",
}


def _wycheproof_cases():
    data = dual.load_json("wycheproof/ed25519_test.json")
    for g in data["testGroups"]:
        pk = bytes.fromhex(g["publicKey"]["pk"])
        for t in g["tests"]:
            yield t["tcId"], pk, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]), t["result"]


def test_wycheproof_every_vector():
    seen = valid = invalid = 0
    for tc, pk, msg, sig, result in _wycheproof_cases():
        assert result in ("valid", "invalid"), (tc, result)  # the file has no "acceptable"
        got = ed.verify(pk, msg, sig)
        if tc in ZIP215_ACCEPTS:
            assert result == "invalid", tc
            assert got is True, tc
        else:
            assert got is (result == "valid"), (tc, result, got)
        seen += 1
        valid += result == "valid"
        invalid += result == "invalid"
    assert (seen, valid, invalid) == (151, 88, 63)


def test_wycheproof_direct_equation_gives_the_same_verdicts():
    # verify() halves the scalars (lattice trick); verify_unhalved() computes the plain
    # [8]([S]B - [k]A) == [8]R. Both must agree everywhere.
    for tc, pk, msg, sig, _ in _wycheproof_cases():
        assert ed.verify_unhalved(pk, msg, sig) is ed.verify(pk, msg, sig), tc


RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


def test_rfc8032_tests_1_to_3_public_key_sign_verify():
    for sk, pk, msg, sig in RFC8032:
        seed, msg = bytes.fromhex(sk), bytes.fromhex(msg)
        assert ed.public_key(seed).hex() == pk
        assert ed.sign(seed, msg).hex() == sig
        assert ed.verify(bytes.fromhex(pk), msg, bytes.fromhex(sig)) is True


def _rand(i, n=32):
    return sha512(b"test_ed25519 " + str(i).encode())[:n]


def test_sign_verify_and_every_single_bit_flip_rejected_sampled():
    for i in range(6):
        seed = _rand(i)
        msg = _rand(1000 + i, 1 + 17 * i)
        pk = ed.public_key(seed)
        sig = ed.sign(seed, msg)
        assert ed.verify(pk, msg, sig)
        # flip bits of R, S, A and the message (sampled positions)
        for pos in range(0, 512, 37):
            bad = bytearray(sig)
            bad[pos // 8] ^= 1 << (pos % 8)
            assert not ed.verify(pk, msg, bytes(bad)), (i, pos)
        for pos in range(0, 256, 41):
            bad = bytearray(pk)
            bad[pos // 8] ^= 1 << (pos % 8)
            assert not ed.verify(bytes(bad), msg, sig), (i, pos)
        assert not ed.verify(pk, msg + b"\x00", sig)
        if msg:
            assert not ed.verify(pk, msg[:-1], sig)


def test_wrong_lengths_and_types_are_false_not_errors():
    seed = _rand(7)
    pk = ed.public_key(seed)
    sig = ed.sign(seed, b"m")
    assert ed.verify(pk, b"m", sig)
    for bad_pk in (b"", pk[:31], pk + b"\x00"):
        assert ed.verify(bad_pk, b"m", sig) is False
    for bad_sig in (b"", sig[:63], sig + b"\x00", sig[:32]):
        assert ed.verify(pk, b"m", bad_sig) is False
    assert ed.verify(None, b"m", sig) is False
    assert ed.verify(pk, b"m", None) is False
    assert ed.verify(pk, None, sig) is False
    # bytearray / memoryview inputs are fine
    assert ed.verify(bytearray(pk), memoryview(b"m"), bytearray(sig)) is True


def test_s_not_below_L_is_rejected():
    seed = _rand(8)
    pk = ed.public_key(seed)
    msg = b"S range"
    sig = ed.sign(seed, msg)
    s = int.from_bytes(sig[32:], "little")
    assert ed.verify(pk, msg, sig)
    for bad_s in (s + L, L, (1 << 256) - 1, s + 8 * L if s + 8 * L < (1 << 256) else L + 1):
        assert not ed.verify(pk, msg, sig[:32] + bad_s.to_bytes(32, "little")), bad_s
    assert ed.verify(pk, msg, sig[:32] + (s % L).to_bytes(32, "little"))


# Encodings of the eight points of order dividing 8, including non-canonical ones
# (y = p + y0, and x = 0 with the sign bit set).
def _small_order_encodings():
    out = []
    for y in (1, P - 1, 0):
        for sign in (0, 1):
            out.append((y | (sign << 255)).to_bytes(32, "little"))
    # the four points of order 8 have y = +-y8 (encodings 26e8958f...05 / c7176a70...7a)
    y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022
    for sign in (0, 1):
        for y in (y8, P - y8):
            out.append((y | (sign << 255)).to_bytes(32, "little"))
    # non-canonical: y + p for y in {0, 1} (y + p < 2^255), both signs
    for y in (0, 1):
        for sign in (0, 1):
            out.append(((y + P) | (sign << 255)).to_bytes(32, "little"))
    return out


def _is_identity(pt):
    return pt[0] % P == 0 and (pt[1] - pt[2]) % P == 0


def test_small_order_encodings_decode_and_have_order_dividing_8():
    encs = _small_order_encodings()
    orders = []
    for enc in encs:
        pt = curve.decode_point(enc)
        assert pt is not None, enc.hex()
        assert _is_identity(ed.scalar_mult(8, pt)), enc.hex()
        o = 1
        while not _is_identity(ed.scalar_mult(o, pt)):
            o *= 2
        orders.append(o)
    assert sorted(set(orders)) == [1, 2, 4, 8]


def test_x_zero_with_sign_bit_decodes_like_curve25519_voi():
    ident = curve.decode_point(bytes.fromhex("01" + "00" * 30 + "80"))
    assert ident is not None and _is_identity(ident)
    minus_one = curve.decode_point(((P - 1) | (1 << 255)).to_bytes(32, "little"))
    assert minus_one is not None and minus_one[0] == 0 and minus_one[1] == P - 1
    # y = p + 1 (non-canonical identity), with and without the sign bit
    for sign in (0, 1):
        pt = curve.decode_point(((P + 1) | (sign << 255)).to_bytes(32, "little"))
        assert pt is not None and _is_identity(pt)
        assert not curve.is_canonical_point_encoding(((P + 1) | (sign << 255)).to_bytes(32, "little"))
    assert curve.is_canonical_point_encoding(bytes.fromhex("01" + "00" * 31))


def test_encodings_off_the_curve_are_rejected():
    # y values whose (y^2-1)/(dy^2+1) has no square root, used as A and as R
    off = []
    y = 2
    while len(off) < 3:
        if curve.decode_point(y.to_bytes(32, "little")) is None:
            off.append(y.to_bytes(32, "little"))
        y += 1
    seed = _rand(9)
    pk = ed.public_key(seed)
    sig = ed.sign(seed, b"x")
    for enc in off:
        assert curve.decode_point(enc) is None
        assert not ed.verify(enc, b"x", sig)
        assert not ed.verify(pk, b"x", enc + sig[32:])
        # also the same y + p (non-canonical) when it fits below 2^255
        y = int.from_bytes(enc, "little")
        if y + P < (1 << 255):
            assert curve.decode_point((y + P).to_bytes(32, "little")) is None


def _cofactorless_holds(pk, msg, sig):
    # [S]B == R + [k]A (RFC 8032's alternate equation, as OpenSSL checks it, modulo encodings)
    A = curve.decode_point(pk)
    R = curve.decode_point(sig[:32])
    k = int.from_bytes(sha512(sig[:32] + pk + msg), "little") % L
    s = int.from_bytes(sig[32:], "little")
    lhs = ed.scalar_mult(s, curve.BASE)
    rhs = curve._add(R, ed.scalar_mult(k, A))
    return curve.point_equal(lhs, rhs)


def test_small_order_A_with_crafted_signature_is_accepted():
    # With A of order dividing 8, [8][k]A = 0, so R = [r]B, S = r verifies for every message:
    # ZIP-215 accepts such weak keys (CometBFT does too); only the key holder is hurt.
    r = 1234567
    R = curve.encode_point(ed.scalar_mult_base(r))
    sig = R + r.to_bytes(32, "little")
    for enc in _small_order_encodings():
        for msg in (b"", b"any message"):
            assert ed.verify(enc, msg, sig) is True, enc.hex()


def test_noncanonical_A_accepted_and_hashed_as_given():
    # A = y = p + 1, a non-canonical encoding of the identity (RFC 8032 decoding rejects y >= p).
    # Being small-order, any k works with R = [r]B, S = r; ZIP-215 must accept it.
    A_nc = (P + 1).to_bytes(32, "little")
    r = 987654321
    R = curve.encode_point(ed.scalar_mult_base(r))
    sig = R + r.to_bytes(32, "little")
    assert ed.verify(A_nc, b"msg", sig)
    # A non-canonical encoding of an order-4 point (y = p + 0 -> y = 0)
    A_nc4 = P.to_bytes(32, "little")
    assert ed.verify(A_nc4, b"msg", sig)


def test_noncanonical_R_accepted_and_hashed_as_given():
    seed = _rand(10)
    a, _ = ed._expand_seed(seed)
    pk = ed.public_key(seed)
    msg = b"non-canonical R"
    for R_bytes in ((P + 1).to_bytes(32, "little"),                       # identity, y = p + 1
                    ((P + 1) | (1 << 255)).to_bytes(32, "little"),        # ... with sign bit
                    P.to_bytes(32, "little")):                            # order 4, y = p + 0
        k = int.from_bytes(sha512(R_bytes + pk + msg), "little") % L
        S = k * a % L  # [S]B = [k]A, and [8]R = 0
        sig = R_bytes + S.to_bytes(32, "little")
        assert ed.verify(pk, msg, sig) is True, R_bytes.hex()
        assert not curve.is_canonical_point_encoding(R_bytes)
    # The canonical encoding of the identity gives a different k: the same S must fail there.
    R_nc = (P + 1).to_bytes(32, "little")
    S = (int.from_bytes(sha512(R_nc + pk + msg), "little") % L) * a % L
    assert not ed.verify(pk, msg, bytes.fromhex("01" + "00" * 31) + S.to_bytes(32, "little"))


def test_mixed_order_A_needs_the_cofactored_equation():
    # A = [a]B + T with T of order 8: an honest-looking signature (S = r + k*a) satisfies
    # [8][S]B = [8]R + [8][k]A but not [S]B = R + [k]A unless 8 | k. ZIP-215 accepts it.
    seed = _rand(11)
    a, _ = ed._expand_seed(seed)
    T8 = curve.decode_point(_small_order_encodings()[6])
    assert not _is_identity(ed.scalar_mult(4, T8))  # order 8
    A = curve._add(ed.scalar_mult_base(a), T8)
    pk = curve.encode_point(A)
    cofactorless_failed = 0
    for i in range(4):
        msg = b"mixed " + bytes([i])
        r = int.from_bytes(sha512(b"nonce" + msg), "little") % L
        R = curve.encode_point(ed.scalar_mult_base(r))
        k = int.from_bytes(sha512(R + pk + msg), "little") % L
        sig = R + ((r + k * a) % L).to_bytes(32, "little")
        assert ed.verify(pk, msg, sig) is True
        assert ed.verify_unhalved(pk, msg, sig) is True
        if not _cofactorless_holds(pk, msg, sig):
            cofactorless_failed += 1
            assert k % 8 != 0
    assert cofactorless_failed >= 1


def test_half_size_scalars():
    for i in range(20):
        k = int.from_bytes(_rand(100 + i, 64), "little") % L
        delta, c = curve._half_size(k)
        assert (delta * k - c) % L == 0
        assert 0 <= c < (1 << 126)
        assert delta != 0 and -(1 << 127) <= delta <= (1 << 127)
    assert curve._half_size(0) == (1, 0)
    assert curve._half_size(5) == (1, 5)


def test_wnaf_and_bit_length_helpers():
    for w in (4, 5, 7, 8):
        for i in range(10):
            k = int.from_bytes(_rand(200 + i), "little") >> (i * 20)
            digits = curve.wnaf(k, w)
            total = 0
            for j in range(len(digits) - 1, -1, -1):
                total = total * 2 + digits[j]
            assert total == k
            for j in range(len(digits)):
                d = digits[j]
                assert d == 0 or (d & 1 and -(1 << (w - 1)) < d < (1 << (w - 1)))
                if d:  # non-adjacent: the next w-1 digits are zero
                    for t in range(j + 1, min(j + w, len(digits))):
                        assert digits[t] == 0
    assert curve.bit_length(0) == 0 and curve.bit_length(1) == 1 and curve.bit_length(L) == 253
    assert curve.bit_length((1 << 300) - 1) == 300


def test_base_point_table_size():
    values, nbytes = curve.table_size_info()
    assert values == 2 * 3 * (1 << (curve.W_BASE - 2))
    assert nbytes == 32 * values
