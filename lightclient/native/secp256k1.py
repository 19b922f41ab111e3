# secp256k1 ECDSA verification with libsecp256k1 (coincurve), CPython only, with exactly the
# acceptance rules of the pure lightclient.chip.crypto.secp256k1.verify (CometBFT's VerifySignature):
# 33-byte compressed or 65-byte 0x04 uncompressed key on the curve, 64-byte r || s with
# 1 <= r, s < n and s <= (n-1)/2, message hashed with SHA-256.
#
# What libsecp256k1 does by itself, and what is checked here first:
#   - secp256k1_ecdsa_verify rejects high s (it requires the lower-S form) -- tested in
#     tests/native/test_secp256k1_native.py; the range check below makes the rule independent of it.
#   - secp256k1_ecdsa_signature_parse_compact rejects r or s >= n but accepts 0 (verify then
#     fails); checked here explicitly.
#   - secp256k1_ec_pubkey_parse also takes the "hybrid" 65-byte forms 0x06 / 0x07, which
#     CometBFT (decred secp256k1) does not: only 0x02 / 0x03 (33 bytes) and 0x04 (65) pass here.
import hashlib

from coincurve import PublicKey
from coincurve.ecdsa import deserialize_compact
from coincurve._libsecp256k1 import lib
from coincurve.context import GLOBAL_CONTEXT

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = (N - 1) >> 1
_CTX = GLOBAL_CONTEXT.ctx


def _public_key(pub):
    if not isinstance(pub, (bytes, bytearray)):
        return None
    if not ((len(pub) == 33 and pub[0] in (2, 3)) or (len(pub) == 65 and pub[0] == 4)):
        return None
    try:
        return PublicKey(bytes(pub))
    except (ValueError, TypeError):
        return None


def verify(public_key, message, signature):
    """True iff `signature` (64 bytes r || s, low s) signs SHA-256(`message`) under
    `public_key`; same verdicts as lightclient.chip.crypto.secp256k1.verify."""
    if not isinstance(message, (bytes, bytearray)):
        return False
    return verify_digest(public_key, hashlib.sha256(message).digest(), signature)


def verify_digest(public_key, digest, signature):
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != 32:
        return False
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != 64:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < N and 0 < s <= HALF_N):
        return False
    key = _public_key(public_key)
    if key is None:
        return False
    try:
        sig = deserialize_compact(bytes(signature))
    except ValueError:
        return False
    return bool(lib.secp256k1_ecdsa_verify(_CTX, sig, bytes(digest), key.public_key))


def sign(secret, message):
    """64-byte r || s (low s: libsecp256k1 always normalises) over SHA-256(`message`), RFC 6979;
    the same bytes as the chip's lccrypto.secp256k1_sign and the pure sign."""
    from coincurve import PrivateKey
    return PrivateKey(bytes(secret)).sign_recoverable(bytes(message))[:64]


def public_key(secret):
    from coincurve import PrivateKey
    return PrivateKey(bytes(secret)).public_key.format(compressed=True)
