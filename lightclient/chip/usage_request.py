# A device's request for skill-usage tokens (docs/usage-tokens.md): the bytes the chip signs
# with its secp256k1 account key, and the issuer checks against the device's x/devices record.
# It names the blinded messages only by their SHA-256: neither the chip nor this signature
# carries anything of the token messages the Pi blinded.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.core.errors import DecodeError

PREFIX = b"mycroft-lc/usage-request/v1\x00"   # a kind of its own (docs/sign-policy.md)
MAX_CHAIN_ID = 50
MAX_TOKENS = 64       # per request; the issuer's N per device per epoch is at most this
KEY_ID_LEN = 32
ADDRESS_LEN = 20


def encode(chain_id, epoch, key_id, address20, blinded_hashes):
    """prefix || u8 len || chain id || epoch (8, big-endian) || issuer key id (32) ||
    device address (20) || u8 count || count x SHA-256(blinded message)."""
    c = chain_id.encode()
    if not 0 < len(c) <= MAX_CHAIN_ID or len(key_id) != KEY_ID_LEN or \
            len(address20) != ADDRESS_LEN or not 0 < len(blinded_hashes) <= MAX_TOKENS or \
            not 0 <= epoch < (1 << 64):
        raise DecodeError("usage_request", "field out of range")
    out = bytearray(PREFIX)
    out.append(len(c))
    out += c
    out += epoch.to_bytes(8, "big")
    out += key_id
    out += address20
    out.append(len(blinded_hashes))
    for h in blinded_hashes:
        if len(h) != 32:
            raise DecodeError("usage_request", "a blinded message hash is not 32 bytes")
        out += h
    return bytes(out)


def decode(b):
    """-> (chain_id, epoch, key_id, address20, [hash, ...]); DecodeError("usage_request")."""
    b = bytes(b)
    n = len(PREFIX)
    if len(b) > n + 1 + MAX_CHAIN_ID + 8 + KEY_ID_LEN + ADDRESS_LEN + 1 + 32 * MAX_TOKENS or \
            b[:n] != PREFIX or len(b) < n + 1:
        raise DecodeError("usage_request", "not a usage request")
    lc = b[n]
    if not 0 < lc <= MAX_CHAIN_ID:
        raise DecodeError("usage_request", "chain id length")
    i = n + 1 + lc
    try:
        chain_id = b[n + 1:i].decode()
    except UnicodeError:
        raise DecodeError("usage_request", "chain id is not UTF-8")
    if len(b) < i + 8 + KEY_ID_LEN + ADDRESS_LEN + 1:
        raise DecodeError("usage_request", "truncated")
    epoch = int.from_bytes(b[i:i + 8], "big")
    i += 8
    key_id = b[i:i + KEY_ID_LEN]
    i += KEY_ID_LEN
    address20 = b[i:i + ADDRESS_LEN]
    i += ADDRESS_LEN
    count = b[i]
    i += 1
    if not 0 < count <= MAX_TOKENS or len(b) != i + 32 * count:
        raise DecodeError("usage_request", "count")
    return chain_id, epoch, key_id, address20, [b[i + 32 * k:i + 32 * k + 32] for k in range(count)]
