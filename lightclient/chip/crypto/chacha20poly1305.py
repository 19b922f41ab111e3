# ChaCha20-Poly1305 AEAD (RFC 8439), pure Python: the fallback of the crypto interface's
# aead_seal / aead_open. Opening checks the tag before it decrypts anything, and says only
# "authentication failed" (no hint of which byte was wrong).
# Not constant time: the chip's image uses lccrypto's (Monocypher), the Pi OpenSSL's.
# Shared subset: CPython and MicroPython 1.27.

import struct

from lightclient.chip.crypto.hmac_sha256 import equal

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
_M32 = 0xFFFFFFFF
_SIGMA = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)
_P1305 = (1 << 130) - 5


def _rotl(v, n):
    return ((v << n) & _M32) | (v >> (32 - n))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & _M32
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _M32
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _M32
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _M32
    s[b] = _rotl(s[b] ^ s[c], 7)


def _block(key_words, counter, nonce_words):
    init = list(_SIGMA) + list(key_words) + [counter & _M32] + list(nonce_words)
    s = list(init)
    for _ in range(10):
        _qr(s, 0, 4, 8, 12)
        _qr(s, 1, 5, 9, 13)
        _qr(s, 2, 6, 10, 14)
        _qr(s, 3, 7, 11, 15)
        _qr(s, 0, 5, 10, 15)
        _qr(s, 1, 6, 11, 12)
        _qr(s, 2, 7, 8, 13)
        _qr(s, 3, 4, 9, 14)
    return struct.pack("<16I", *[(s[i] + init[i]) & _M32 for i in range(16)])


def _chacha20_xor(key, counter, nonce, data):
    kw = struct.unpack("<8I", key)
    nw = struct.unpack("<3I", nonce)
    out = bytearray(len(data))
    for off in range(0, len(data), 64):
        ks = _block(kw, counter, nw)
        counter += 1
        chunk = data[off:off + 64]
        for i in range(len(chunk)):
            out[off + i] = chunk[i] ^ ks[i]
    return bytes(out)


def _poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:32], "little")
    acc = 0
    for off in range(0, len(msg), 16):
        chunk = msg[off:off + 16]
        acc = (acc + int.from_bytes(chunk + b"\x01", "little")) * r % _P1305
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _pad16(n):
    return bytes((16 - n % 16) % 16)


def _tag(key, nonce, aad, ct):
    otk = _block(struct.unpack("<8I", key), 0, struct.unpack("<3I", nonce))[:32]
    mac_data = (aad + _pad16(len(aad)) + ct + _pad16(len(ct))
                + struct.pack("<QQ", len(aad), len(ct)))
    return _poly1305(otk, mac_data)


def _check(key, nonce):
    if len(key) != KEY_SIZE:
        raise ValueError("aead: key must be 32 bytes")
    if len(nonce) != NONCE_SIZE:
        raise ValueError("aead: nonce must be 12 bytes")


def seal(key, nonce, plaintext, aad=b""):
    """ciphertext || 16-byte tag."""
    key, nonce, aad = bytes(key), bytes(nonce), bytes(aad)
    _check(key, nonce)
    ct = _chacha20_xor(key, 1, nonce, bytes(plaintext))
    return ct + _tag(key, nonce, aad, ct)


def open_(key, nonce, sealed, aad=b""):
    """The plaintext; ValueError when the tag does not verify."""
    key, nonce, aad, sealed = bytes(key), bytes(nonce), bytes(aad), bytes(sealed)
    _check(key, nonce)
    if len(sealed) < TAG_SIZE:
        raise ValueError("aead: ciphertext shorter than its tag")
    ct, tag = sealed[:-TAG_SIZE], sealed[-TAG_SIZE:]
    if not equal(_tag(key, nonce, aad, ct), tag):
        raise ValueError("aead: authentication failed")
    return _chacha20_xor(key, 1, nonce, ct)
