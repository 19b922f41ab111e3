"""RFC 9474 RSA blind signatures, RSABSSA-SHA384-PSS (on the Pi: the chip has no SHA-384).

No well-kept PyPI package implements RFC 9474, so this is the RFC's few steps over Python
ints; keys, key loading and the final signature check are `cryptography`'s (the check is its
RSASSA-PSS verify with SHA-384, MGF1-SHA-384 and a 48-byte salt: a finalized signature is an
ordinary PSS signature, verifiable by any RSA library). Pinned by RFC 9474 Appendix A's vectors
(docs/vectors/rfc9474-blindrsa.json, tests/usage/test_blind_rsa.py).

The project uses the PSS-Deterministic variant (no Prepare prefix): a token message already
ends in a 32-byte random nonce the device chooses, as Privacy Pass's publicly verifiable tokens
(RFC 9578) do, so the Randomized variant's extra 32 random bytes would add nothing but size.
"""

import hashlib
import math
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HASH_LEN = 48                      # SHA-384
SALT_LEN = 48                      # RSABSSA-SHA384-PSS: sLen = hLen
MIN_MODULUS_BITS = 2048
MAX_MODULUS_BITS = 4096


class BlindRsaError(ValueError):
    """A typed refusal: `check` names the step that failed."""

    def __init__(self, check, detail=""):
        super().__init__("%s%s" % (check, (": " + detail) if detail else ""))
        self.check = check


def _i2osp(x, length):
    return x.to_bytes(length, "big")


def _os2ip(b):
    return int.from_bytes(b, "big")


def _mgf1_sha384(seed, length):
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def emsa_pss_encode(msg, em_bits, salt):
    """RFC 8017 9.1.1 with SHA-384 and MGF1-SHA-384."""
    em_len = (em_bits + 7) // 8
    if em_len < HASH_LEN + len(salt) + 2:
        raise BlindRsaError("encoding_error", "modulus too small")
    m_hash = hashlib.sha384(msg).digest()
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - HASH_LEN - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, _mgf1_sha384(h, em_len - HASH_LEN - 1)))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked) + h + b"\xbc"


class PublicKey:
    """The issuer's public key: modulus n and exponent e (bounded sizes: 2048-4096 bits)."""

    def __init__(self, n, e):
        if not MIN_MODULUS_BITS <= n.bit_length() <= MAX_MODULUS_BITS or n % 2 == 0:
            raise BlindRsaError("issuer_key_size", "%d bits" % n.bit_length())
        if e != 65537:
            raise BlindRsaError("issuer_key_exponent", str(e))
        self.n, self.e = n, e
        self.modulus_len = (n.bit_length() + 7) // 8
        self._key = rsa.RSAPublicNumbers(e, n).public_key()

    @classmethod
    def from_bytes(cls, modulus, exponent):
        return cls(_os2ip(modulus), exponent)

    def modulus_bytes(self):
        return _i2osp(self.n, self.modulus_len)

    def key_id(self):
        """SHA-256(modulus || e as 4 bytes big-endian): x/usage's IssuerKey.key_id."""
        return hashlib.sha256(self.modulus_bytes() + self.e.to_bytes(4, "big")).digest()

    def verify(self, msg, sig, salt_len=SALT_LEN):
        """RSASSA-PSS-VERIFY (cryptography's), raising BlindRsaError("signature")."""
        if len(sig) != self.modulus_len:
            raise BlindRsaError("signature", "length %d" % len(sig))
        try:
            self._key.verify(sig, msg, padding.PSS(padding.MGF1(hashes.SHA384()), salt_len),
                             hashes.SHA384())
        except InvalidSignature:
            raise BlindRsaError("signature", "does not verify under the issuer key") from None


class BlindState:
    """What the client keeps between Blind and Finalize: the message and the blind's inverse."""

    def __init__(self, msg, inv):
        self.msg, self.inv = msg, inv


def blind(pk, msg, salt=None, r=None):
    """RFC 9474 4.2 Blind: (blinded_msg, state). `salt` and `r` are for the RFC's vectors only."""
    salt = secrets.token_bytes(SALT_LEN) if salt is None else salt
    m = _os2ip(emsa_pss_encode(msg, pk.n.bit_length() - 1, salt))
    if math.gcd(m, pk.n) != 1:
        raise BlindRsaError("invalid_input", "message not coprime to n")
    while True:
        rr = secrets.randbelow(pk.n - 1) + 1 if r is None else r
        try:
            inv = pow(rr, -1, pk.n)
            break
        except ValueError:
            if r is not None:
                raise BlindRsaError("invalid_blind") from None
    z = m * pow(rr, pk.e, pk.n) % pk.n
    return _i2osp(z, pk.modulus_len), BlindState(msg, inv)


def finalize(pk, state, blind_sig, salt_len=SALT_LEN):
    """RFC 9474 4.4 Finalize: the unblinded signature, checked (cryptography's PSS verify)."""
    if len(blind_sig) != pk.modulus_len:
        raise BlindRsaError("unexpected_input_size", "blind signature of %d bytes" % len(blind_sig))
    z = _os2ip(blind_sig)
    if z >= pk.n:
        raise BlindRsaError("invalid_input", "blind signature not below n")
    sig = _i2osp(z * state.inv % pk.n, pk.modulus_len)
    pk.verify(state.msg, sig, salt_len)
    return sig


class SecretKey:
    """The issuer's key (a `cryptography` RSA private key); it signs blinded messages only."""

    def __init__(self, private_key):
        nums = private_key.private_numbers()
        self.private_key = private_key
        self.public = PublicKey(nums.public_numbers.n, nums.public_numbers.e)
        self._p, self._q, self._d = nums.p, nums.q, nums.d
        self._dp, self._dq, self._qinv = nums.dmp1, nums.dmq1, nums.iqmp

    @classmethod
    def generate(cls, bits=2048):
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def from_numbers(cls, p, q, e, d):
        """From the RFC vectors' numbers."""
        nums = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                     rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, p * q))
        return cls(nums.private_key())

    def blind_sign(self, blinded_msg):
        """RFC 9474 4.3 BlindSign: RSASP1 by CRT, then checked back with RSAVP1 (a faulty
        computation would otherwise leak a factor of n)."""
        pk = self.public
        if len(blinded_msg) != pk.modulus_len:
            raise BlindRsaError("unexpected_input_size", "blinded message of %d bytes" % len(blinded_msg))
        m = _os2ip(blinded_msg)
        if m >= pk.n:
            raise BlindRsaError("invalid_input", "blinded message not below n")
        s1, s2 = pow(m, self._dp, self._p), pow(m, self._dq, self._q)
        s = s2 + self._q * ((s1 - s2) * self._qinv % self._p)
        if pow(s, pk.e, pk.n) != m:
            raise BlindRsaError("signing_failure")
        return _i2osp(s, pk.modulus_len)

