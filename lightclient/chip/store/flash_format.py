# The store's on-flash format (docs/store-format.md): sizes and domain separation, the keys a
# device secret gives, the HMAC-SHA256 keystream, and the MACed sector header. store.py builds
# snapshots from these; a second implementation needs only this module and the document.
# Shared subset: runs unchanged on CPython and MicroPython 1.27.

import struct

from lightclient.chip.crypto import backend as _crypto
from lightclient.chip.crypto.hmac_sha256 import Hmac as _Hmac, hmac_sha256, pads as _pads

FORMAT_VERSION = 1
MAGIC = b"MLS1"
HEADER_SIZE = 48  # sector header, at offset 0 of every sector
STREAM_HEADER_SIZE = 16  # gen u32, salt 8, count u16, reserved u16
RECORD_FIXED = 22  # name_len u8, reserved u8, value_len u32, nonce 16
TAG_SIZE = 32
HEADER_TAG_SIZE = 16
SALT_SIZE = 8
NONCE_SIZE = 16
MAX_NAME = 32
MIN_SECRET = 32
MIN_BLOCK = 256
MAX_BLOCK = 65536
MAX_GEN = 0xFFFFFFFF
IO_CHUNK = 256  # bytes read or programmed per device call (one NOR page)

# Domain separation of every HMAC use (docs/store-format.md, "Keys and MACs").
D_ENC_KEY = b"mycroft-lightclient securestore v1 encryption key"
D_MAC_KEY = b"mycroft-lightclient securestore v1 authentication key"
D_HDR = b"MLS1hdr"
D_REC = b"MLS1rec"
D_SNAP = b"MLS1snap"
D_KS = b"MLS1ks"
D_SALT = b"MLS1salt"

IOCTL_BLOCK_COUNT = 4
IOCTL_BLOCK_SIZE = 5
IOCTL_BLOCK_ERASE = 6


def _same(a, b):
    """Constant-time comparison of two byte strings (a MAC check must not leak the match length)."""
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0


def derive_keys(secret):
    """(encryption key, MAC key) from the device secret."""
    return hmac_sha256(secret, D_ENC_KEY), hmac_sha256(secret, D_MAC_KEY)


def keystream_xor(enc_key, nonce, data, start=0, raw_key=None):
    """data XOR keystream(nonce), from keystream byte `start` (a multiple of 32).

    Keystream block j = HMAC-SHA256(enc_key, "MLS1ks" || nonce || u32le(j)). raw_key (the key
    itself, when enc_key is given as its pads): with the native backend each block is one C
    HMAC and the chunk is XORed at once.
    """
    prefix = D_KS + nonce
    block = start // 32
    n = len(data)
    if raw_key is not None and _crypto.backend_name() == "lccrypto":
        ks = bytearray((n + 31) // 32 * 32)
        msg = bytearray(len(prefix) + 4)  # the HMAC input, its counter rewritten in place
        msg[:len(prefix)] = prefix
        for j in range(0, n, 32):
            struct.pack_into("<I", msg, len(prefix), block)
            ks[j:j + 32] = _crypto.hmac_sha256(raw_key, msg)
            block += 1
        x = int.from_bytes(bytes(data), "big") ^ int.from_bytes(bytes(memoryview(ks)[:n]), "big")
        return bytearray(x.to_bytes(n, "big")) if n else bytearray()
    pads = _pads(enc_key)
    out = bytearray(n)
    i = 0
    while i < n:
        ks = _Hmac(None, prefix + struct.pack("<I", block), pads).digest()
        m = n - i if n - i < 32 else 32
        x = int.from_bytes(bytes(data[i:i + m]), "big") ^ int.from_bytes(ks[:m], "big")
        out[i:i + m] = x.to_bytes(m, "big")
        i += m
        block += 1
    return out


def _u32(b, off):
    return struct.unpack_from("<I", b, off)[0]


def _u16(b, off):
    return struct.unpack_from("<H", b, off)[0]


# --- sector header ------------------------------------------------------------------------------


def _header_tag(mac_key, body, raw_key):
    # raw_key (the MAC key itself, mac_key being its pads): one C HMAC on the native backend,
    # the same bytes (a mount checks up to N of these: 64 on the boards).
    if raw_key is not None and _crypto.backend_name() == "lccrypto":
        return _crypto.hmac_sha256(raw_key, D_HDR + body)[:HEADER_TAG_SIZE]
    return hmac_sha256(mac_key, D_HDR + body)[:HEADER_TAG_SIZE]


def pack_header(mac_key, part, nsect, gen, erase_count, stream_len, salt, raw_key=None):
    fields = struct.pack("<BBHHHIII", FORMAT_VERSION, 0, part, nsect, 0, gen, erase_count, stream_len)
    body = MAGIC + fields + salt
    return body + _header_tag(mac_key, body, raw_key)


_BLANK_HEADER = b"\xff" * HEADER_SIZE


class _Header:
    # Parsed, MAC-verified sector header.
    def __init__(self, part, nsect, gen, erase_count, stream_len, salt):
        self.part = part
        self.nsect = nsect
        self.gen = gen
        self.erase_count = erase_count
        self.stream_len = stream_len
        self.salt = salt


def parse_header(mac_key, b, data_size, max_sectors, raw_key=None):
    """A verified _Header, or a string saying why not ("blank", "magic", "mac", "field")."""
    if b[:4] != MAGIC:
        return "blank" if b == _BLANK_HEADER else "magic"  # compared in C (most of a new ring)
    if not _same(_header_tag(mac_key, bytes(b[:32]), raw_key), b[32:48]):
        return "mac"
    ver, flags, part, nsect, res, gen, ec, slen = struct.unpack_from("<BBHHHIII", b, 4)
    if ver != FORMAT_VERSION or flags != 0 or res != 0:
        return "field"
    if not (1 <= nsect <= max_sectors and part < nsect and gen >= 1):
        return "field"
    if not ((nsect - 1) * data_size < slen <= nsect * data_size and slen >= STREAM_HEADER_SIZE + TAG_SIZE):
        return "field"
    return _Header(part, nsect, gen, ec, slen, bytes(b[24:32]))
