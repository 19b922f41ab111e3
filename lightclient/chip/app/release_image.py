# Release images and release records: what the chip checks before it boots new firmware.
# Format and rules: docs/ota.md. Shared subset: CPython and MicroPython.
#
#   image  = "MLCI" | u8 format (2) | u8 0 | u16 manifest length (big endian) | manifest
#            | signature (64) | payload
#   manifest = CBOR {"v": version text, "sv": security version, "n": payload length,
#                    "h": SHA-256 of the payload, "k": payload kind}
#   kind 0: a ROMFS of the app modules (the emulated board's slots hold the whole image);
#   kind 1: an ESP-IDF app image (a real chip's slot holds the payload alone, docs/ota.md)
#   signature = Ed25519 by the release key over IMAGE_DOMAIN | manifest
#
#   release record (the chain's x/releases: store "releases", key RECORD_PREFIX | SHA-256 of the
#   whole image), written only by a passed governance proposal: protobuf mycroft.releases.v1.
#   Release {1 image_sha256, 2 security_version, 3 board, 4 version, 5 proposal_id}
#
# An image is approved when its whole-file hash has a release record the chip saw proven (ICS23)
# against a header it verified itself, the record agrees with the manifest, the release key
# signed the manifest, the payload hashes to the manifest's "h", and its security version is not
# below the one the store holds.

import hashlib

from lightclient.chip.core import cbor, proto
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.crypto import backend as crypto

MAGIC = b"MLCI"
FORMAT = 2                   # 1 (no "k": ROMFS only) is refused: the kind must be signed
KIND_ROMFS = 0
KIND_APP = 1
HEAD = 8                     # magic, format, reserved, manifest length
SIG = 64
MAX_MANIFEST = 256
MAX_VERSION = 32
MAX_SECURITY_VERSION = 0xFFFF
IMAGE_DOMAIN = b"mycroft-lc/release-image/v1\x00"
RELEASES_STORE = "releases"
RECORD_PREFIX = b"\x01"     # tools/chain/x/releases/types/keys.go
MAX_RECORD = 128
MAX_BOARD = 32


class ReleaseError(LightClientError):
    """An image or release record the chip refuses; `check` names the rule."""


def _u(v, name, hi):
    if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > hi:
        raise DecodeError("release_field", "not an integer in range", field=name)
    return v


def _text(v, name):
    if not isinstance(v, str) or not 0 < len(v) <= MAX_VERSION:
        raise DecodeError("release_field", "not a short text", field=name)
    return v


def _hash(v, name):
    if not isinstance(v, (bytes, bytearray)) or len(v) != 32:
        raise DecodeError("release_field", "not a 32-byte hash", field=name)
    return bytes(v)


def decode_manifest(m):
    d = cbor.loads(m, 2, 16, MAX_MANIFEST)
    if not isinstance(d, dict) or sorted(d.keys()) != ["h", "k", "n", "sv", "v"]:
        raise DecodeError("release_manifest", "manifest keys must be h, k, n, sv, v")
    return {"v": _text(d["v"], "v"), "sv": _u(d["sv"], "sv", MAX_SECURITY_VERSION),
            "n": _u(d["n"], "n", 1 << 30), "h": _hash(d["h"], "h"),
            "k": _u(d["k"], "k", KIND_APP)}


def head_length(first):
    """The first HEAD bytes of an image -> the length of its head (HEAD, manifest, signature):
    where the payload starts. DecodeError naming what is wrong."""
    if len(first) < HEAD or bytes(first[:4]) != MAGIC:
        raise DecodeError("release_magic", "not a release image (no MLCI header)")
    if first[4] != FORMAT:
        raise DecodeError("release_format", "unknown image format", format=first[4])
    n = (first[6] << 8) | first[7]
    if not 0 < n <= MAX_MANIFEST:
        raise DecodeError("release_manifest", "manifest length out of range", length=n)
    return HEAD + n + SIG


def parse_head(head):
    """The first bytes of an image (at least HEAD + manifest + SIG) -> (manifest dict, manifest
    bytes, signature, payload offset). DecodeError naming what is wrong."""
    start = head_length(head)
    if len(head) < start:
        raise DecodeError("release_manifest", "image shorter than its head", length=len(head))
    n = start - HEAD - SIG
    m = bytes(head[HEAD:HEAD + n])
    return decode_manifest(m), m, bytes(head[HEAD + n:HEAD + n + SIG]), HEAD + n + SIG


# Release's fields: number -> (name, wire type); each at most once, no other field
_RECORD_FIELDS = {1: ("h", proto.LEN), 2: ("sv", proto.VARINT), 3: ("board", proto.LEN),
                  4: ("v", proto.LEN), 5: ("p", proto.VARINT)}


def decode_record(key, value):
    """A proven x/releases record -> {"h", "sv", "board", "v", "p"}; its key must name its
    hash. Bounded before it is parsed; DecodeError("release_record", ...) naming the rule."""
    if len(value) > MAX_RECORD:
        raise DecodeError("release_record", "record too long", length=len(value))
    r = {"sv": 0, "p": 0}       # proto3: a zero number is left out
    seen = 0
    for field, wire, v in proto.iter_fields(value):
        spec = _RECORD_FIELDS.get(field)
        if spec is None or spec[1] != wire or seen & (1 << field):
            raise DecodeError("release_record", "unknown, repeated or mistyped field",
                              field=field)
        seen |= 1 << field
        r[spec[0]] = v
    if "h" not in r or "v" not in r or "board" not in r:
        raise DecodeError("release_record", "record needs image_sha256, board and version")
    r["h"] = _hash(r["h"], "h")
    r["sv"] = _u(r["sv"], "sv", MAX_SECURITY_VERSION)
    r["v"] = _text(_utf8(r["v"]), "v")
    r["board"] = _utf8(r["board"])
    if not 0 < len(r["board"]) <= MAX_BOARD or r["p"] == 0:
        raise DecodeError("release_record", "record needs a board name and a proposal id")
    if bytes(key) != RECORD_PREFIX + r["h"]:
        raise DecodeError("release_record", "record key does not name the record's hash")
    return r


def _utf8(b):
    try:
        return bytes(b).decode()
    except UnicodeError:
        raise DecodeError("release_field", "text is not UTF-8")


# Slots are hashed in pieces this small: on a 96 KiB heap after a long session the largest
# free block can be a few KiB, and a piece is allocated afresh for every read.
HASH_CHUNK = 1024


def hash_range(read, off, end):
    """SHA-256 of bytes [off, end) of a slot, read(off, n) HASH_CHUNK bytes at a time."""
    h = hashlib.sha256()
    while off < end:
        n = min(HASH_CHUNK, end - off)
        h.update(read(off, n))
        off += n
    return h.digest()


def _kind(manifest, kind):
    if manifest["k"] != kind:
        raise ReleaseError("release_kind", "this board's slots do not take this payload kind",
                           image=manifest["k"], slot=kind)


def _signed(head, length, release_key, kind):
    """The head's format, payload kind, signature and payload length -> (manifest, payload
    offset)."""
    manifest, m, sig, start = parse_head(head)
    _kind(manifest, kind)
    if not crypto.ed25519_verify(release_key, IMAGE_DOMAIN + m, sig):
        raise ReleaseError("release_signature", "the image is not signed by the release key")
    if length - start != manifest["n"]:
        raise ReleaseError("release_length", "payload length is not the manifest's",
                           length=length - start, manifest=manifest["n"])
    return manifest, start


def _no_key(release_key):
    if release_key is None:
        raise ReleaseError("release_key", "this firmware has no release key: it takes no update")


def check_head(head, length, release_key, kind):
    """The head of an image whose payload is streamed into a slot (a real chip's slot holds
    the ESP-IDF app alone): checked before a single block of the slot is written, so an image
    the release key did not sign never touches flash. -> (manifest dict, payload offset);
    DecodeError / ReleaseError naming the rule. The whole-file hash is checked at the test
    mark, once every byte is in (check_image)."""
    _no_key(release_key)
    return _signed(head, length, release_key, kind)


def check_image(read, length, release_key, approved, min_sv, kind=KIND_ROMFS):
    """read(off, n) -> bytes of the image (the slot, or the kept head followed by the slot);
    length: the image's length. approved: {image hash: security version} proven to the chip;
    kind: the payload kind this board's slots hold. -> manifest dict, or ReleaseError naming
    the rule. Cheap checks first: the whole-file hash must be approved before any signature
    is checked."""
    _no_key(release_key)
    image_hash = hash_range(read, 0, length)
    sv = approved.get(image_hash)
    if sv is None:
        raise ReleaseError("release_not_approved", "no release record proven to this chip "
                           "names this image")
    head = bytes(read(0, min(length, HEAD + MAX_MANIFEST + SIG)))
    manifest, start = _signed(head, length, release_key, kind)
    if manifest["sv"] != sv:
        raise ReleaseError("release_record_mismatch", "the release record's security version "
                           "is not the image's", record=sv, image=manifest["sv"])
    if hash_range(read, start, length) != manifest["h"]:
        raise ReleaseError("release_payload_hash", "the payload does not hash to the manifest's")
    if manifest["sv"] < min_sv:
        raise ReleaseError("release_rollback", "security version below the chip's",
                           image=manifest["sv"], chip=min_sv)
    manifest["image_hash"] = image_hash
    return manifest


# --- the release side (host tools and tests; plain Python, also runs on the chip) -------------

def build_image(payload, version, security_version, sign, kind=KIND_ROMFS):
    """sign(message) -> 64-byte Ed25519 signature by the release key."""
    m = cbor.dumps({"v": version, "sv": security_version, "n": len(payload),
                    "h": hashlib.sha256(payload).digest(), "k": kind})
    sig = sign(IMAGE_DOMAIN + m)
    return MAGIC + bytes((FORMAT, 0, len(m) >> 8, len(m) & 0xFF)) + m + sig + bytes(payload)


def encode_record(image_sha256, security_version, version, board, proposal_id):
    """mycroft.releases.v1.Release as the chain stores it (gogoproto's field order, zero
    numbers left out)."""
    return (proto.bytes_field(1, image_sha256) + proto.varint_field(2, security_version)
            + proto.bytes_field(3, board) + proto.bytes_field(4, version)
            + proto.varint_field(5, proposal_id))


def record_for(image, security_version, version, board, proposal_id):
    """(key, value) of the x/releases record approving `image`."""
    h = hashlib.sha256(image).digest()
    return RECORD_PREFIX + h, encode_record(h, security_version, version, board, proposal_id)
