# HKDF-SHA256 (RFC 5869) over our HMAC-SHA256: the fallback of the crypto interface's
# hkdf_sha256. An empty salt is HashLen zero bytes, as the RFC says (HMAC pads its key with zeros,
# so the two are the same key).
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.crypto.hmac_sha256 import hmac_sha256

MAX_LENGTH = 255 * 32


def hkdf_sha256(ikm, salt, info, length):
    if not 0 <= length <= MAX_LENGTH:
        raise ValueError("hkdf_sha256: length must be 0..8160")
    prk = hmac_sha256(salt, ikm)
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes((i,)))
        out += block
        i += 1
    return out[:length]
