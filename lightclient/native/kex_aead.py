# X25519, ChaCha20-Poly1305 and HKDF-SHA256 on the Pi through `cryptography` (OpenSSL), shaped as
# the chip package's crypto interface (lightclient.chip.crypto.backend) wants them: same
# arguments, same ValueError texts as lccrypto, so a caller cannot tell which one ran.
# OpenSSL refuses an all-zero X25519 secret itself; we return it as the zero value, which the
# interface refuses with its own message for every implementation alike.
# CPython only (the Pi). AVAILABLE is False without `cryptography`.

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    AVAILABLE = True
except ImportError:  # pragma: no cover - the Pi always has it (pyproject.toml)
    AVAILABLE = False

ZERO32 = bytes(32)


def _len32(v, what):
    if len(v) != 32:
        raise ValueError("x25519: %s must be 32 bytes" % what)


def x25519(scalar, point):
    _len32(scalar, "scalar")
    _len32(point, "point")
    try:
        return X25519PrivateKey.from_private_bytes(bytes(scalar)).exchange(
            X25519PublicKey.from_public_bytes(bytes(point)))
    except ValueError:   # OpenSSL: "the shared secret is all zeros" (small-order point)
        return ZERO32


def x25519_public_key(scalar):
    _len32(scalar, "scalar")
    return X25519PrivateKey.from_private_bytes(bytes(scalar)).public_key().public_bytes_raw()


def _aead(key, nonce):
    if len(key) != 32:
        raise ValueError("aead: key must be 32 bytes")
    if len(nonce) != 12:
        raise ValueError("aead: nonce must be 12 bytes")
    return ChaCha20Poly1305(bytes(key))


def aead_seal(key, nonce, plaintext, aad):
    return _aead(key, nonce).encrypt(bytes(nonce), bytes(plaintext), bytes(aad))


def aead_open(key, nonce, sealed, aad):
    box = _aead(key, nonce)
    if len(sealed) < 16:
        raise ValueError("aead: ciphertext shorter than its tag")
    try:
        return box.decrypt(bytes(nonce), bytes(sealed), bytes(aad))
    except InvalidTag:
        raise ValueError("aead: authentication failed") from None


def hkdf_sha256(ikm, salt, info, length):
    if not 0 <= length <= 8160:
        raise ValueError("hkdf_sha256: length must be 0..8160")
    if length == 0:     # OpenSSL's HKDF wants at least one byte; RFC 5869 allows none
        return b""
    return HKDF(hashes.SHA256(), length, bytes(salt) or None, bytes(info)).derive(bytes(ikm))
