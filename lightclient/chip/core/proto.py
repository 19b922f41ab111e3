# Minimal protobuf wire format (proto3) for the shared subset: MicroPython has no protobuf library.
# Encoding follows what Go's gogoproto emits for CometBFT types, which is what gets hashed and
# signed: fields in field-number order, zero values omitted, except non-nullable embedded messages
# (gogoproto.nullable = false), which are always emitted, even when empty.
# Decoding is strict and bounded: every length is checked against the remaining input before use.

from lightclient.chip.core.errors import DecodeError

VARINT = 0
FIXED64 = 1
LEN = 2
FIXED32 = 5

_U64 = (1 << 64) - 1
_2_63 = 1 << 63
_2_64 = 1 << 64
_2_31 = 1 << 31


# --- encoding -------------------------------------------------------------------------------

def uvarint(n):
    if n < 0 or n > _U64:
        raise DecodeError("proto_varint_range", "value outside uint64", value=n)
    out = bytearray()
    if n > 0x3FFFFFFF:
        # Past the chip's small ints (31 bits; seconds since 1970 are past them): the low 28
        # bits in one big-int operation, then small-int arithmetic, instead of three big-int
        # operations (each an allocation) for every 7 bits.
        lo = n & 0xFFFFFFF
        n >>= 28
        for _ in range(4):
            out.append((lo & 0x7F) | 0x80)
            lo >>= 7
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field, wire):
    return uvarint((field << 3) | wire)


def varint_field(field, n):
    """int32/int64/uint64/enum/bool field; negative values as 64-bit two's complement."""
    if not n:
        return b""
    if n < 0:
        n += 1 << 64
    return _key(field, VARINT) + uvarint(n)


def sfixed64_field(field, n):
    if not n:
        return b""
    if n < 0:
        n += 1 << 64
    return _key(field, FIXED64) + (n & _U64).to_bytes(8, "little")


def bytes_field(field, b):
    """bytes or string (pass str: it is UTF-8 encoded); empty is omitted."""
    if isinstance(b, str):
        b = b.encode()
    if not b:
        return b""
    return _key(field, LEN) + uvarint(len(b)) + b


def message_field(field, encoded, nullable=True):
    """An embedded message already encoded. A nullable one that is None is omitted; a
    non-nullable one (gogoproto nullable=false) is emitted even when empty."""
    if encoded is None:
        if not nullable:
            raise DecodeError("proto_required_message", "non-nullable message is missing",
                              field=field)
        return b""
    return _key(field, LEN) + uvarint(len(encoded)) + encoded


def timestamp(seconds, nanos):
    """google.protobuf.Timestamp."""
    if nanos < 0 or nanos > 999999999:
        raise DecodeError("timestamp_nanos", "nanos outside [0, 1e9)", nanos=nanos)
    return varint_field(1, seconds) + varint_field(2, nanos)


# --- decoding -------------------------------------------------------------------------------

def read_uvarint(buf, pos, end):
    """Returns (value, new_pos). At most 10 bytes; the 10th may only hold the top bit."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise DecodeError("proto_truncated", "varint runs past the end", offset=pos)
        b = buf[pos]
        pos += 1
        if shift == 63 and b > 1:
            raise DecodeError("proto_varint_overflow", "varint exceeds 64 bits", offset=pos - 1)
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def iter_fields(buf, start=0, end=None):
    """Yields (field_number, wire_type, value): int for VARINT / FIXED64 / FIXED32, bytes for LEN.
    Groups (wire types 3, 4) and field number 0 are rejected."""
    if end is None:
        end = len(buf)
    pos = start
    while pos < end:
        key, pos = read_uvarint(buf, pos, end)
        field = key >> 3
        wire = key & 7
        if field == 0 or field > 0x1FFFFFFF:
            raise DecodeError("proto_field_number", "invalid field number", field=field)
        if wire == VARINT:
            value, pos = read_uvarint(buf, pos, end)
        elif wire == LEN:
            n, pos = read_uvarint(buf, pos, end)
            if n > end - pos:
                raise DecodeError("proto_truncated", "length exceeds remaining input",
                                  field=field, declared=n, available=end - pos)
            value = bytes(buf[pos:pos + n])
            pos += n
        elif wire == FIXED64 or wire == FIXED32:
            size = 8 if wire == FIXED64 else 4
            if size > end - pos:
                raise DecodeError("proto_truncated", "fixed field runs past the end", field=field)
            value = int.from_bytes(bytes(buf[pos:pos + size]), "little")
            pos += size
        else:
            raise DecodeError("proto_wire_type", "unsupported wire type", field=field, wire=wire)
        yield field, wire, value


def fields(buf, max_fields=4096):
    """All fields of one message as {field_number: [(wire_type, value), ...]}, bounded."""
    out = {}
    count = 0
    for field, wire, value in iter_fields(buf):
        count += 1
        if count > max_fields:
            raise DecodeError("proto_too_many_fields", "message has too many fields", limit=max_fields)
        if field in out:
            out[field].append((wire, value))
        else:
            out[field] = [(wire, value)]
    return out


def get_one(fs, field, wire, default=None):
    """The last occurrence of a singular field (protobuf's last-one-wins), type-checked."""
    items = fs.get(field)
    if not items:
        return default
    w, v = items[-1]
    if w != wire:
        raise DecodeError("proto_wire_type", "field has the wrong wire type", field=field,
                          wire=w, expected=wire)
    return v


def get_all(fs, field, wire):
    out = []
    for w, v in fs.get(field, ()):
        if w != wire:
            raise DecodeError("proto_wire_type", "field has the wrong wire type", field=field,
                              wire=w, expected=wire)
        out.append(v)
    return out


def to_int64(u):
    return u - _2_64 if u >= _2_63 else u


def to_int32(u):
    """int32 fields: negative values are sign-extended to 64 bits on the wire."""
    if 0 <= u < 0x40000000:
        # the usual enum: a small int on the chip, where each (1 << 63) was a big-int allocation
        return u
    v = to_int64(u)
    if v < -_2_31 or v >= _2_31:
        raise DecodeError("proto_int32_range", "value outside int32", value=v)
    return v
