# Ed25519 verification with ZIP-215 verdicts at native speed (CPython only, on the Pi).
#
#   verify(public_key, message, signature) -> bool   same verdict as lightclient.chip.crypto.ed25519.verify
#
# Fast path: `cryptography`'s Ed25519 (OpenSSL). If OpenSSL accepts, the answer is True. If it
# rejects (or cannot parse the key), the pure core verifier decides. Honest signatures are accepted
# by OpenSSL, so the pure code runs only for rejected or exotic inputs.
#
# Why an OpenSSL "accept" is a ZIP-215 "accept" (OpenSSL's acceptance set is contained in ZIP-215's):
# OpenSSL (crypto/ec/curve25519.c, ossl_ed25519_verify, ref10 lineage) accepts only if
#   (a) S < L (checked on all 256 bits);
#   (b) A_bytes decodes with ref10's ge_frombytes_vartime: y = the low 255 bits taken as a field
#       element (so reduced mod p), x a square root of (y^2-1)/(dy^2+1) (else failure), negated when
#       its parity differs from the sign bit. Where it succeeds this is exactly ZIP-215's decoding
#       (for x = 0 the negation gives 0 again, as in curve25519-voi); if some OpenSSL version
#       additionally rejects non-canonical y, it only accepts less;
#   (c) with k = SHA-512(R_bytes || A_bytes || M) mod L over the raw bytes (the same k as ZIP-215's),
#       the canonical encoding of R' = [S]B - [k]A equals R_bytes byte for byte.
# Given (c), R_bytes is the canonical encoding of R', so it is a valid encoding and decodes (under
# ZIP-215's rules too) to R = R'. Then [S]B = R + [k]A, and multiplying by 8 gives
# [8][S]B = [8]R + [8][k]A: the ZIP-215 equation. With (a) and (b) every ZIP-215 condition holds,
# so OpenSSL-accept implies ZIP-215-accept. The converse fails (cofactored equation, small-order or
# mixed-order A/R, non-canonical R, x = 0 with the sign bit set), which is why a rejection falls
# back to the pure verifier: the combined verdict is always exactly ZIP-215's.
# tests/native/test_ed25519_native.py checks agreement on Wycheproof, random and mutated signatures, and
# on the ZIP-215-only cases where the fallback decides.

from lightclient.chip.crypto import ed25519 as _pure  # the ZIP-215 re-check of a rejection

try:
    from cryptography.exceptions import InvalidSignature as _InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey as _PublicKey
except ImportError:  # pragma: no cover - cryptography is a declared dependency
    _PublicKey = None
    _InvalidSignature = None

AVAILABLE = _PublicKey is not None


def native_accepts(public_key, message, signature):
    """OpenSSL's own verdict (cofactorless, ref10-style decoding); False on any error."""
    if _PublicKey is None:
        return False
    try:
        _PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), bytes(message))
        return True
    except (_InvalidSignature, ValueError, TypeError):
        return False


def verify(public_key, message, signature):
    """ZIP-215 Ed25519 verification: OpenSSL fast path, pure fallback on rejection."""
    try:
        if len(public_key) != 32 or len(signature) != 64:
            return False
    except TypeError:
        return False
    if native_accepts(public_key, message, signature):
        return True
    return _pure.verify(public_key, message, signature)
