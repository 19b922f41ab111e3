# The 8-byte SMP header and whole SMP messages (header + CBOR payload).
# Layout (big endian): byte 0 = res:3 | version:2 | op:3, byte 1 = flags, u16 payload length,
# u16 group, u8 sequence, u8 command id. Spec: docs/smp-link.md.
# Shared subset: CPython and MicroPython.

from lightclient.chip.core import cbor
from lightclient.chip.core.errors import DecodeError

HEADER_SIZE = 8

OP_READ = 0
OP_READ_RSP = 1
OP_WRITE = 2
OP_WRITE_RSP = 3

V1 = 0  # legacy: errors as {"rc": n}
V2 = 1  # errors of a group as {"err": {"group": g, "rc": n}}

GROUP_OS = 0
OS_ECHO = 0
OS_RESET = 5
OS_MCUMGR_PARAMS = 6
OS_INFO = 7

# General SMP error codes (MGMT_ERR_*), the same for every group.
MGMT_EOK = 0
MGMT_EUNKNOWN = 1
MGMT_ENOMEM = 2
MGMT_EINVAL = 3
MGMT_ETIMEOUT = 4
MGMT_ENOENT = 5
MGMT_EBADSTATE = 6
MGMT_EMSGSIZE = 7
MGMT_ENOTSUP = 8
MGMT_ECORRUPT = 9
MGMT_EBUSY = 10
MGMT_EACCESSDENIED = 11
MGMT_EUNSUPPORTED_TOO_OLD = 12
MGMT_EUNSUPPORTED_TOO_NEW = 13  # a request of an SMP version above what we speak

# CBOR payload bounds (a payload is one map; our project payloads nest at most 3 deep).
PAYLOAD_DEPTH = 4
PAYLOAD_MAX_ITEMS = 256


class Header:
    def __init__(self, op, group, command, seq=0, length=0, version=V2, flags=0):
        self.op = op
        self.version = version
        self.flags = flags
        self.length = length
        self.group = group
        self.seq = seq
        self.command = command

    def pack(self):
        if not (0 <= self.op <= 7 and 0 <= self.version <= 3 and 0 <= self.flags <= 255
                and 0 <= self.length <= 0xFFFF and 0 <= self.group <= 0xFFFF
                and 0 <= self.seq <= 255 and 0 <= self.command <= 255):
            raise DecodeError("smp_header_range", "header field out of range")
        return bytes((((self.version & 3) << 3) | (self.op & 7), self.flags,
                      self.length >> 8, self.length & 0xFF, self.group >> 8, self.group & 0xFF,
                      self.seq, self.command))

    def __repr__(self):
        return "Header(op=%d, v=%d, group=%d, id=%d, seq=%d, len=%d)" % (
            self.op, self.version, self.group, self.command, self.seq, self.length)


def unpack_header(b):
    if len(b) < HEADER_SIZE:
        raise DecodeError("smp_header_short", "SMP message shorter than its header",
                          length=len(b))
    return Header(b[0] & 7, (b[4] << 8) | b[5], b[7], b[6], (b[2] << 8) | b[3],
                  (b[0] >> 3) & 3, b[1])


def encode_message(header, payload, size_for=None):
    """Header + CBOR of `payload` (a dict), as one bytearray; header.length is set from the
    payload. One buffer: an answer carrying 4 KB of settings is not made three times over on
    the chip's heap (encoded, copied to bytes, joined to its header).
    size_for(n): the length of the buffer to make for an n-byte message, which then fills its
    end (frame.packet_size: room in front to frame it in place, frame.encode_in_place)."""
    n = cbor.encoded_size(payload, PAYLOAD_DEPTH)
    total = HEADER_SIZE + n
    msg = bytearray(total if size_for is None else size_for(total))
    off = len(msg) - total
    header.length = n
    msg[off:off + HEADER_SIZE] = header.pack()
    cbor.encode_into(payload, msg, off + HEADER_SIZE, PAYLOAD_DEPTH)
    return msg


def decode_message(msg, max_bytes=None, view_min=None):
    """SMP message bytes -> (Header, payload dict). Raises DecodeError: short message, length
    field that disagrees with the bytes, payload that is not one bounded CBOR map. view_min:
    byte strings that long or longer are memoryviews into `msg` (cbor.loads_prefix)."""
    h = unpack_header(msg)
    n = len(msg) - HEADER_SIZE
    if h.length != n:
        raise DecodeError("smp_length", "header length does not match the payload",
                          length=h.length, actual=n)
    if max_bytes is not None and n > max_bytes:
        raise DecodeError("smp_too_large", "payload longer than the limit", length=n,
                          max_bytes=max_bytes)
    if n == 0:
        return h, {}  # an empty payload is accepted as an empty map (some clients send none)
    # Decoded in place (bytes or the frame decoder's bytearray): a copy of the body would be a
    # third buffer of the request's size.
    p, end = cbor.loads_prefix(msg, HEADER_SIZE, PAYLOAD_DEPTH, PAYLOAD_MAX_ITEMS, None,
                               view_min)
    if end != len(msg):
        raise DecodeError("cbor_trailing_bytes", "bytes after the item", offset=end - HEADER_SIZE,
                          trailing=len(msg) - end)
    if not isinstance(p, dict):
        raise DecodeError("smp_payload_type", "SMP payload must be a CBOR map")
    return h, p


def response_header(req):
    """The header of the answer to `req`: op + 1, same version, group, sequence and id."""
    return Header(req.op + 1, req.group, req.command, req.seq, 0, req.version, 0)
