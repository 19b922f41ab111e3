# secp256k1 ECDSA (lightclient.chip.crypto.secp256k1) as CometBFT verifies secp256k1 votes, against
# every Wycheproof ECDSA secp256k1 / SHA-256 vector, RFC 6979 signing vectors, and malformed
# input. Dual-runtime: runs on CPython (pytest) and inside MicroPython (lightclient/hwtest/mp_runner.mjs).
import hashlib

import dual
from lightclient.chip.crypto import secp256k1
from lightclient.chip.crypto import secp256k1_group as group
from lightclient.chip.core.errors import DecodeError, SignatureError

N = group.N
P = group.P
HALF_N = secp256k1.HALF_N
P1363 = "wycheproof/ecdsa_secp256k1_sha256_p1363_test.json"
BITCOIN = "wycheproof/ecdsa_secp256k1_sha256_bitcoin_test.json"

# Wycheproof marks high-s signatures "valid" in the plain P1363 file; CometBFT rejects s > n/2.
# This many of that file's "valid" vectors have high s (checked below, and each one's low-s twin
# (r, n - s) is checked to verify, so the rejection is the low-s rule and nothing else).
P1363_VALID_HIGH_S = 72
# Signatures of the Bitcoin-flavoured file that are not strict DER (all marked "invalid").
BITCOIN_DER_INVALID = 232


def _compress(pub65):
    return (b"\x03" if pub65[64] & 1 else b"\x02") + pub65[1:33]


def _groups(rel):
    return dual.load_json(rel)["testGroups"]


def _check_p1363(part, parts):
    # Vectors split over `parts` test functions by group index, so each MicroPython call stays
    # small (the WebAssembly port reclaims no garbage within one call).
    counts = {"valid": 0, "invalid": 0, "high_s": 0}
    for gi, g in enumerate(_groups(P1363)):
        if gi % parts != part:
            continue
        pub65 = bytes.fromhex(g["publicKey"]["uncompressed"])
        pub33 = _compress(pub65)
        for t in g["tests"]:
            msg = bytes.fromhex(t["msg"])
            sig = bytes.fromhex(t["sig"])
            got = secp256k1.verify(pub33, msg, sig)
            assert got == secp256k1.verify(pub65, msg, sig), t["tcId"]
            assert t["result"] in ("valid", "invalid"), t["tcId"]  # no "acceptable" in this file
            if t["result"] == "invalid":
                assert not got, (t["tcId"], t["comment"])
                counts["invalid"] += 1
                continue
            s = int.from_bytes(sig[32:], "big")
            if s > HALF_N:
                # valid ECDSA, but high s: CometBFT's VerifySignature rejects it
                assert not got, (t["tcId"], "high s accepted")
                low = sig[:32] + (N - s).to_bytes(32, "big")
                assert secp256k1.verify(pub33, msg, low), (t["tcId"], "low-s twin rejected")
                counts["high_s"] += 1
            else:
                assert got, (t["tcId"], t["comment"])
                counts["valid"] += 1
    return counts


def test_p1363_part0():
    c = _check_p1363(0, 3)
    assert c["valid"] and c["invalid"] and c["high_s"]


def test_p1363_part1():
    c = _check_p1363(1, 3)
    assert c["valid"] and c["invalid"] and c["high_s"]


def test_p1363_part2():
    c = _check_p1363(2, 3)
    assert c["valid"] and c["invalid"] and c["high_s"]


def test_p1363_totals():
    # Every test of the file is covered by the three parts, and the high-s count is as stated.
    total = valid = high = 0
    for g in _groups(P1363):
        for t in g["tests"]:
            total += 1
            if t["result"] == "valid":
                valid += 1
                if int.from_bytes(bytes.fromhex(t["sig"])[32:], "big") > HALF_N:
                    high += 1
    assert total == dual.load_json(P1363)["numberOfTests"] == 252
    assert high == P1363_VALID_HIGH_S
    assert valid == 167


# --- strict DER (for the Bitcoin-flavoured file) -------------------------------------------


def der_to_rs(der):
    """Strict DER ECDSA-Sig-Value -> 64-byte r || s, or None if it is not canonical DER or an
    integer does not fit 32 bytes. Short-form lengths only (every valid secp256k1 signature
    is shorter than 128 bytes), no trailing bytes, minimal positive INTEGERs."""
    if len(der) < 8 or der[0] != 0x30 or der[1] >= 0x80 or der[1] != len(der) - 2:
        return None
    out = b""
    pos = 2
    for _ in range(2):
        if pos + 2 > len(der) or der[pos] != 0x02:
            return None
        n = der[pos + 1]
        if n == 0 or n >= 0x80 or pos + 2 + n > len(der):
            return None
        v = der[pos + 2 : pos + 2 + n]
        if v[0] & 0x80:
            return None  # negative
        if n > 1 and v[0] == 0 and not v[1] & 0x80:
            return None  # not minimal
        if v[0] == 0:
            v = v[1:]
        if len(v) > 32:
            return None
        out += b"\x00" * (32 - len(v)) + v
        pos += 2 + n
    if pos != len(der):
        return None
    return out


def _check_bitcoin(part, parts):
    counts = {"valid": 0, "invalid": 0, "der_invalid": 0}
    for gi, g in enumerate(_groups(BITCOIN)):
        if gi % parts != part:
            continue
        pub65 = bytes.fromhex(g["publicKey"]["uncompressed"])
        pub33 = _compress(pub65)
        for t in g["tests"]:
            assert t["result"] in ("valid", "invalid"), t["tcId"]  # no "acceptable" here
            msg = bytes.fromhex(t["msg"])
            rs = der_to_rs(bytes.fromhex(t["sig"]))
            if rs is None:
                assert t["result"] == "invalid", (t["tcId"], "valid DER rejected by der_to_rs")
                counts["der_invalid"] += 1
                continue
            got = secp256k1.verify(pub33, msg, rs)
            assert got == secp256k1.verify(pub65, msg, rs), t["tcId"]
            if t["result"] == "valid":
                assert got, (t["tcId"], t["comment"])
                counts["valid"] += 1
            else:
                assert not got, (t["tcId"], t["comment"])
                counts["invalid"] += 1
    return counts


def test_bitcoin_part0():
    c = _check_bitcoin(0, 3)
    assert c["valid"] and c["invalid"]


def test_bitcoin_part1():
    c = _check_bitcoin(1, 3)
    assert c["valid"] and c["invalid"]


def test_bitcoin_part2():
    c = _check_bitcoin(2, 3)
    assert c["valid"] and c["invalid"]


def test_bitcoin_totals():
    # All tests are covered by the three parts; BITCOIN_DER_INVALID of them are not strict DER
    # (BER forms, wrong lengths, padding, ...) and are all "invalid"; every "valid" one has s <= n/2.
    total = valid = der_invalid = 0
    for g in _groups(BITCOIN):
        for t in g["tests"]:
            total += 1
            rs = der_to_rs(bytes.fromhex(t["sig"]))
            if rs is None:
                der_invalid += 1
            if t["result"] == "valid":
                valid += 1
                assert int.from_bytes(rs[32:], "big") <= HALF_N, t["tcId"]
    assert total == dual.load_json(BITCOIN)["numberOfTests"] == 463
    assert valid == 162
    assert der_invalid == BITCOIN_DER_INVALID


def test_der_parser_strictness():
    good = der_to_rs(bytes.fromhex("3006020101020102"))
    assert good == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
    big = der_to_rs(bytes.fromhex("3026022100" + "ff" * 32 + "020101"))
    assert big == b"\xff" * 32 + (1).to_bytes(32, "big")
    for bad in (
        "3007020101020102",  # wrong total length
        "300602010102010200",  # trailing byte
        "3081060201010201",  # long-form length
        "30060201ff020102",  # negative r
        "300702020001020102",  # non-minimal r
        "3027022200" + "01" * 33 + "020101",  # r does not fit 32 bytes
        "3006020101030102",  # s not an INTEGER
        "3005020101020100"[:-2],  # truncated
    ):
        assert der_to_rs(bytes.fromhex(bad)) is None, bad


# --- RFC 6979 -------------------------------------------------------------------------------

# (secret, message, r || s): deterministic ECDSA secp256k1 / SHA-256 vectors with low s, as
# published with the nonces in https://bitcointalk.org/index.php?topic=285142.40 and used by
# trezor-crypto (tests/test_check.c) and python-bitcoinlib (test_key.py, Test_RFC6979).
RFC6979 = (
    (
        "0000000000000000000000000000000000000000000000000000000000000001",
        "Satoshi Nakamoto",
        "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
        "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000001",
        "All those moments will be lost in time, like tears in rain. Time to die...",
        "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b"
        "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21",
    ),
    (
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
        "Satoshi Nakamoto",
        "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0"
        "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5",
    ),
    (
        "f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181",
        "Alan Turing",
        "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c"
        "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea",
    ),
    (
        "e91671c46231f833a6406ccbea0e3e392c76c167bac1cb013f6f1013980455c2",
        "There is a computer disease that anybody who works with computers knows about. It's a "
        "very serious disease and it interferes completely with the work. The trouble with "
        "computers is that you 'play' with them!",
        "b552edd27580141f3b2a5463048cb7cd3e047b97c9f98076c32dbdf85a68718b"
        "279fa72dd19bfae05577e06c7c0c1900c371fcd5893f7e1d56a37d30174671f6",
    ),
)


def test_rfc6979_vectors():
    for secret_hex, text, sig_hex in RFC6979:
        secret = bytes.fromhex(secret_hex)
        msg = text.encode()
        sig = secp256k1.sign(secret, msg)
        assert sig.hex() == sig_hex, text
        pub = secp256k1.public_key(secret)
        assert secp256k1.verify(pub, msg, sig)
        assert secp256k1.verify(secp256k1.public_key(secret, False), msg, sig)
        assert not secp256k1.verify(pub, msg + b"!", sig)


def test_public_key_known_points():
    g = secp256k1.public_key((1).to_bytes(32, "big"), False)
    assert g == b"\x04" + group.GX.to_bytes(32, "big") + group.GY.to_bytes(32, "big")
    assert secp256k1.public_key((1).to_bytes(32, "big")) == b"\x02" + g[1:33]
    # (n-1)*G = -G: same x, y = p - Gy (odd, so prefix 03)
    neg = secp256k1.public_key((N - 1).to_bytes(32, "big"), False)
    assert neg[1:33] == g[1:33]
    assert int.from_bytes(neg[33:], "big") == P - group.GY
    assert secp256k1.public_key((N - 1).to_bytes(32, "big"))[0] == 3
    # 2*G, from the SEC 2 / Bitcoin wiki lists of small multiples
    two = secp256k1.public_key((2).to_bytes(32, "big"))
    assert two.hex() == "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
    assert secp256k1.decompress(two) == secp256k1.public_key((2).to_bytes(32, "big"), False)


# --- the arithmetic against a plain reference ------------------------------------------------


def _ref_mul(k, pt):
    # affine double-and-add, the plainest possible reference (None = infinity)
    def add(a, b):
        if a is None:
            return b
        if b is None:
            return a
        if a[0] == b[0]:
            if (a[1] + b[1]) % P == 0:
                return None
            lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
        else:
            lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
        x = (lam * lam - a[0] - b[0]) % P
        return (x, (lam * (a[0] - x) - a[1]) % P)

    acc = None
    while k:
        if k & 1:
            acc = add(acc, pt)
        pt = add(pt, pt)
        k >>= 1
    return acc


def _affine(J):
    X, Y, Z = J
    if Z == 0:
        return None
    return group._to_affine(J)


def test_glv_constants():
    G = (group.GX, group.GY)
    assert _ref_mul(group.LAMBDA, G) == (group.GX * group.BETA % P, group.GY)
    for k in (1, 2, 3, N - 1, N >> 1, group.LAMBDA, 0xDEADBEEF << 200, (1 << 255) + 12345):
        k1, k2 = group._split(k)
        assert (k1 + k2 * group.LAMBDA - k) % N == 0
        assert -(1 << 129) < k1 < (1 << 129) and -(1 << 129) < k2 < (1 << 129)


def test_mul_add_matches_reference():
    G = (group.GX, group.GY)
    Q = _ref_mul(0x1234567, G)
    cases = (
        (1, 0), (0, 1), (N - 1, 0), (0, N - 1), (1, 1), (2, N - 0x1234567 * 2 % N),
        (0x1234567, N - 1),  # u1*G + u2*Q = infinity
        (N - 0x1234567, 1),  # infinity the other way round
        (0x1234567, 1),  # = 2Q: the doubling branch of the addition
        (0xFEDCBA9876543210 << 100, 0x1111111111111111 << 130),
    )
    for u1, u2 in cases:
        want = None
        for k, pt in ((u1, G), (u2, Q)):
            part = _ref_mul(k, pt)
            if part is None:
                continue
            if want is None:
                want = part
            else:
                want = _ref_mul(1, want)  # copy
                s = _ref_add_points(want, part)
                want = s
        got = _affine(group._mul_add(u1, u2, Q[0], Q[1]))
        assert got == want, (u1, u2)


def _ref_add_points(a, b):
    # a + b via the reference: k*a for k=1 does nothing, so use the group law directly
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0:
            return None
        return _ref_mul(2, a)
    lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def test_sqrt_chain():
    # the addition chain equals pow(x, (p+1)/4, p), for squares and non-squares alike
    for x in (0, 1, 4, 7, 132, P - 1, group.GY * group.GY % P, 0xDEADBEEF << 180):
        y = group._sqrt_candidate(x)
        assert y == pow(x, (P + 1) >> 2, P), x
        assert (y * y % P == x) == (x == 0 or pow(x, (P - 1) >> 1, P) == 1), x


def test_inverse():
    for x in (1, 2, N - 1, HALF_N, 0x1234567890ABCDEF << 150):
        assert secp256k1._inv_n(x) * x % N == 1
    assert group._inv(3, P) * 3 % P == 1


# --- round trips, mutations, malformed input --------------------------------------------------


def _secret(i):
    return hashlib.sha256(b"secp256k1 test key " + str(i).encode()).digest()


def test_sign_verify_roundtrip_and_mutations():
    for i in range(12):
        secret = _secret(i)
        msg = b"vote " + str(i).encode() * i
        sig = secp256k1.sign(secret, msg)
        pub = secp256k1.public_key(secret)
        assert len(sig) == 64 and len(pub) == 33
        s = int.from_bytes(sig[32:], "big")
        assert 0 < s <= HALF_N
        assert secp256k1.verify(pub, msg, sig)
        assert secp256k1.verify_digest(pub, hashlib.sha256(msg).digest(), sig)
        assert secp256k1.verify_point(secp256k1.decode_point(pub), msg, sig)
        prepared = secp256k1.prepare(pub)
        assert secp256k1.verify_prepared(prepared, msg, sig)
        assert not secp256k1.verify_prepared(prepared, msg + b"\x00", sig)
        assert not secp256k1.verify_prepared(prepared, msg, sig[:32] + (N - s).to_bytes(32, "big"))
        assert not secp256k1.verify_prepared(prepared, msg, sig[:63])
        assert secp256k1.sign(secret, msg) == sig  # deterministic
        # high-s twin: valid ECDSA, rejected by the CometBFT rule
        assert not secp256k1.verify(pub, msg, sig[:32] + (N - s).to_bytes(32, "big"))
        # one flipped bit anywhere
        for pos in (0, 17, 31, 32, 50, 63):
            bad = bytearray(sig)
            bad[pos] ^= 1 << (pos % 8)
            assert not secp256k1.verify(pub, msg, bytes(bad)), pos
        assert not secp256k1.verify(pub, msg + b"\x00", sig)
        other = secp256k1.public_key(_secret(i + 100))
        assert not secp256k1.verify(other, msg, sig)
        # the other y for the same x
        assert not secp256k1.verify(bytes([pub[0] ^ 1]) + pub[1:], msg, sig)


def test_malformed_inputs_give_false():
    secret = _secret(1)
    msg = b"m"
    sig = secp256k1.sign(secret, msg)
    pub = secp256k1.public_key(secret)
    r = sig[:32]
    s = sig[32:]
    bad_sigs = (
        b"", sig[:63], sig + b"\x00", b"\x00" * 64,
        b"\x00" * 32 + s, r + b"\x00" * 32,
        N.to_bytes(32, "big") + s, r + N.to_bytes(32, "big"),
        (int.from_bytes(r, "big") + N).to_bytes(33, "big")[1:] + s,  # r + n mod 2^256
        r + (HALF_N + 1).to_bytes(32, "big"),
        b"\xff" * 64, None, "0" * 64, 12345,
    )
    for bad in bad_sigs:
        assert secp256k1.verify(pub, msg, bad) is False, bad
    x_not_on_curve = 5  # x^3 + 7 = 132 is not a square mod p
    assert pow(132, (P - 1) >> 1, P) != 1
    bad_pubs = (
        b"", pub[:32], pub + b"\x00", b"\x04" + pub[1:], b"\x05" + pub[1:], b"\x00" + pub[1:],
        b"\x02" + P.to_bytes(32, "big"), b"\x02" + (P + 1).to_bytes(33, "big")[1:],
        b"\x02" + x_not_on_curve.to_bytes(32, "big"),
        b"\x04" + b"\x00" * 64,
        secp256k1.decompress(pub)[:64] + b"\x00",  # 65 bytes, y changed: off the curve
        b"\x02" + secp256k1.decompress(pub)[1:],  # 65 bytes with a compressed prefix
        b"\x06" + secp256k1.decompress(pub)[1:],  # hybrid encoding: not accepted
        None, "02" * 33, bytes(33),
    )
    for bad in bad_pubs:
        assert secp256k1.verify(bad, msg, sig) is False, bad
    assert secp256k1.verify(pub, "m", sig) is False
    assert secp256k1.verify(pub, None, sig) is False
    assert secp256k1.verify_digest(pub, b"\x00" * 31, sig) is False
    assert secp256k1.verify_digest(pub, None, sig) is False
    assert secp256k1.verify(bytearray(pub), bytearray(msg), bytearray(sig)) is True


def test_typed_errors():
    e = dual.raises(SignatureError, secp256k1.decode_point, b"\x02" + b"\x00" * 31)
    assert e.check == "secp256k1_pubkey"
    e = dual.raises(SignatureError, secp256k1.decompress, b"\x02" + (5).to_bytes(32, "big"))
    assert e.check == "secp256k1_pubkey"
    dual.raises(SignatureError, secp256k1.decompress, secp256k1.public_key(_secret(2), False))
    for bad in (b"\x00" * 32, N.to_bytes(32, "big"), b"\x01" * 31, None, (N + 1).to_bytes(33, "big")):
        e = dual.raises(DecodeError, secp256k1.sign, bad, b"m")
        assert e.check == "secp256k1_secret"
        dual.raises(DecodeError, secp256k1.public_key, bad)
    dual.raises(DecodeError, secp256k1.sign, _secret(3), "text")
    e = dual.raises(SignatureError, secp256k1.prepare, b"\x03" + (5).to_bytes(32, "big"))
    assert e.check == "secp256k1_pubkey"
    dual.raises(DecodeError, secp256k1.sign_digest, _secret(3), b"\x00" * 31)


def test_g_table_size():
    points, ints = secp256k1.g_table_size()
    assert points == 128 and ints == 384
    xs, ys, bxs = group._g_table()
    for i in (0, 1, 77, 127):  # (2i+1)*G on the curve, and its LAMBDA-image
        assert (ys[i] * ys[i] - xs[i] ** 3 - 7) % P == 0
        assert bxs[i] == xs[i] * group.BETA % P
    assert _ref_mul(2 * 77 + 1, (group.GX, group.GY)) == (xs[77], ys[77])
