"""A second implementation of docs/store-format.md, written from the document (CPython's hmac,
whole-image byte strings), independent of lightclient/chip/store/store.py.

The tests use it to decode images the store wrote, to build images the store must read, and to
forge hostile images that carry valid MACs (so the store's bounds checks, not its MAC checks,
are what rejects them).
"""

import hashlib
import hmac
import struct

HDR = 48
SHDR = 16
TAG = 32


def keys(secret):
    enc = hmac.new(secret, b"mycroft-lightclient securestore v1 encryption key", hashlib.sha256).digest()
    mac = hmac.new(secret, b"mycroft-lightclient securestore v1 authentication key", hashlib.sha256).digest()
    return enc, mac


def mac(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def keystream(enc_key, nonce, n):
    out = b""
    j = 0
    while len(out) < n:
        out += mac(enc_key, b"MLS1ks", nonce, struct.pack("<I", j))
        j += 1
    return out[:n]


def crypt(enc_key, nonce, data):
    return bytes(a ^ b for a, b in zip(data, keystream(enc_key, nonce, len(data))))


def header(mac_key, part, nsect, gen, ec, slen, salt):
    body = b"MLS1" + struct.pack("<BBHHHIII", 1, 0, part, nsect, 0, gen, ec, slen) + salt
    return body + mac(mac_key, b"MLS1hdr", body)[:16]


def record(enc_key, mac_key, name, value, nonce):
    nb = name.encode()
    ct = crypt(enc_key, nonce, value)
    tag = mac(mac_key, b"MLS1rec", nonce, bytes([len(nb)]), nb, struct.pack("<I", len(ct)), ct)
    return bytes([len(nb), 0]) + struct.pack("<I", len(ct)) + nonce + nb + ct + tag


def stream(secret, gen, salt, records, raw_records=None):
    """The stream of a snapshot. records: [(name, value)] (nonce = gen|salt|index)."""
    enc, mk = keys(secret)
    body = struct.pack("<I", gen) + salt + struct.pack("<HH", len(records), 0)
    if raw_records is not None:
        body = raw_records
    else:
        for i, (name, value) in enumerate(records):
            body += record(enc, mk, name, value, struct.pack("<I", gen) + salt + struct.pack("<I", i))
    return body + mac(mk, b"MLS1snap", body)


def place(image, secret, sector_size, sector_count, start, gen, salt, strm, ec=1, nsect=None,
          slen=None):
    """Write a stream into a bytearray image at sector `start` (ring order), with headers."""
    _, mk = keys(secret)
    d = sector_size - HDR
    n = nsect or (len(strm) + d - 1) // d
    for k in range(n):
        s = (start + k) % sector_count
        base = s * sector_size
        image[base:base + sector_size] = b"\xff" * sector_size
        image[base:base + HDR] = header(mk, k, n, gen, ec, slen if slen is not None else len(strm), salt)
        chunk = strm[k * d:(k + 1) * d]
        image[base + HDR:base + HDR + len(chunk)] = chunk
    return image


def decode(image, secret, sector_size, max_value=8192, max_records=32):
    """{name: value} of the newest valid snapshot, and its generation; ValueError if none."""
    enc, mk = keys(secret)
    count = len(image) // sector_size
    d = sector_size - HDR
    heads = {}
    for s in range(count):
        h = image[s * sector_size:s * sector_size + HDR]
        if h[:4] != b"MLS1" or not hmac.compare_digest(mac(mk, b"MLS1hdr", h[:32])[:16], h[32:48]):
            continue
        ver, flags, part, nsect, res, gen, ec, slen = struct.unpack_from("<BBHHHIII", h, 4)
        if ver != 1 or flags or res or not (1 <= nsect <= count // 2 and part < nsect and gen >= 1):
            continue
        if not ((nsect - 1) * d < slen <= nsect * d and slen >= SHDR + TAG):
            continue
        heads[s] = (part, nsect, gen, slen, h[24:32])
    for s in sorted((s for s in heads if heads[s][0] == 0), key=lambda s: -heads[s][2]):
        part, nsect, gen, slen, salt = heads[s]
        ok = all(heads.get((s + k) % count) == (k, nsect, gen, slen, salt) for k in range(nsect))
        if not ok:
            continue
        strm = b"".join(image[((s + k) % count) * sector_size + HDR:((s + k) % count + 1) * sector_size]
                        for k in range(nsect))[:slen]
        try:
            return _parse(strm, enc, mk, gen, salt, max_value, max_records), gen
        except ValueError:
            continue
    raise ValueError("no valid snapshot")


def _parse(strm, enc, mk, gen, salt, max_value, max_records):
    end = len(strm) - TAG
    if not hmac.compare_digest(mac(mk, b"MLS1snap", strm[:end]), strm[end:]):
        raise ValueError("snapshot mac")
    g, = struct.unpack_from("<I", strm, 0)
    n, res = struct.unpack_from("<HH", strm, 12)
    if g != gen or strm[4:12] != salt or res or n > max_records:
        raise ValueError("stream header")
    pos, out, prev = SHDR, {}, None
    for _ in range(n):
        nlen, r = strm[pos], strm[pos + 1]
        vlen, = struct.unpack_from("<I", strm, pos + 2)
        if not 1 <= nlen <= 32 or r or vlen > max_value or pos + 22 + nlen + vlen + TAG > end:
            raise ValueError("record header")
        nonce = strm[pos + 6:pos + 22]
        nb = strm[pos + 22:pos + 22 + nlen]
        if any(c < 0x21 or c > 0x7E for c in nb) or (prev is not None and nb.decode() <= prev):
            raise ValueError("record name")
        ct = strm[pos + 22 + nlen:pos + 22 + nlen + vlen]
        tag = strm[pos + 22 + nlen + vlen:pos + 22 + nlen + vlen + TAG]
        if not hmac.compare_digest(mac(mk, b"MLS1rec", nonce, bytes([nlen]), nb, struct.pack("<I", vlen), ct), tag):
            raise ValueError("record mac")
        prev = nb.decode()
        out[prev] = crypt(enc, nonce, ct)
        pos += 22 + nlen + vlen + TAG
    if pos != end:
        raise ValueError("stream length")
    return out
