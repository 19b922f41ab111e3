# The service receipt a client device's chip signs for the device that served it light blocks
# (docs/rewards.md): it names the header the chip itself verified, so x/servicerewards can check
# the hash against the block hash it kept at that height. Shared subset: CPython and
# MicroPython 1.27.
#
#   "mycroft-lc/receipt/v1\0" || u8 n || chain id || server address (20) || client address (20)
#   || u64 height (big-endian) || header hash (32)
#
# The domain starts with "mycroft-lc/receipt/", which no other kind the chip signs starts with
# (docs/sign-policy.md, "Domain separation"); ECDSA secp256k1 over SHA-256 of these bytes.

from lightclient.chip.core.errors import DecodeError

DOMAIN = b"mycroft-lc/receipt/v1\x00"
ADDRESS_LEN = 20
HASH_LEN = 32
MAX_CHAIN_ID = 64
MAX_U64 = 0xFFFFFFFFFFFFFFFF
MAX_BYTES = len(DOMAIN) + 1 + MAX_CHAIN_ID + 2 * ADDRESS_LEN + 8 + HASH_LEN


def sign_bytes(chain_id, server, client, height, header_hash):
    c = chain_id.encode() if isinstance(chain_id, str) else b""
    if not (1 <= len(c) <= MAX_CHAIN_ID) or any(b < 0x21 or b > 0x7E for b in c):
        raise DecodeError("receipt_chain_id", "chain id must be 1..64 printable ASCII")
    for what, v, n in (("server", server, ADDRESS_LEN), ("client", client, ADDRESS_LEN),
                       ("hash", header_hash, HASH_LEN)):
        if not isinstance(v, (bytes, bytearray)) or len(v) != n:
            raise DecodeError("receipt_" + what, what + " must be %d bytes" % n)
    if isinstance(height, bool) or not isinstance(height, int) or not (1 <= height <= MAX_U64):
        raise DecodeError("receipt_height", "height out of range")
    return (DOMAIN + bytes([len(c)]) + c + bytes(server) + bytes(client)
            + height.to_bytes(8, "big") + bytes(header_hash))


def decode(b):
    """Sign bytes -> (chain_id, server, client, height, hash); anything else is a DecodeError
    naming the check (length checked before reading)."""
    if not isinstance(b, (bytes, bytearray, memoryview)) or len(b) > MAX_BYTES:
        raise DecodeError("receipt_length", "not receipt bytes or too long")
    b = bytes(b)
    n = len(DOMAIN)
    if len(b) <= n or b[:n] != DOMAIN:
        raise DecodeError("receipt_domain", "not a receipt (domain)")
    size = b[n]
    if len(b) != n + 1 + size + 2 * ADDRESS_LEN + 8 + HASH_LEN:
        raise DecodeError("receipt_length", "receipt length does not match its chain id")
    pos = n + 1 + size
    try:
        chain_id = b[n + 1:pos].decode()
    except UnicodeError:
        raise DecodeError("receipt_chain_id", "chain id is not ASCII")
    server, client = b[pos:pos + 20], b[pos + 20:pos + 40]
    height = int.from_bytes(b[pos + 40:pos + 48], "big")
    out = (chain_id, server, client, height, b[pos + 48:])
    sign_bytes(*out)  # the same bounds as encoding: decode(b) re-encodes to b
    return out
