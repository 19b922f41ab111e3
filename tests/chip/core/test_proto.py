# Our protobuf wire-format subset: encoding rules CometBFT's hashes depend on, strict decoding.
import dual
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError


def test_uvarint_boundaries():
    cases = [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"),
             ((1 << 63) - 1, "ffffffffffffffff7f"), ((1 << 64) - 1, "ffffffffffffffffff01")]
    for n, h in cases:
        b = proto.uvarint(n)
        assert b.hex() == h, n
        assert proto.read_uvarint(b, 0, len(b)) == (n, len(b))



def test_uvarint_past_small_ints_equals_seven_bits_at_a_time():
    # uvarint takes the low 28 bits of a value above 2**30 (the chip's small ints) in one go:
    # every length and the values around each boundary give the plain 7-bit grouping.
    def plain(n):
        out = []
        while n > 0x7F:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
        return bytes(out)
    values = [1700000000, 253402300799, (1 << 63) + 12345]
    for k in range(26, 65):
        values += [(1 << k) - 1, 1 << k, (1 << k) + 1, (1 << k) - 129]
    for n in values:
        if n < 1 << 64:
            assert proto.uvarint(n) == plain(n), n

def test_zero_values_are_omitted_and_negatives_are_64_bit():
    assert proto.varint_field(1, 0) == b""
    assert proto.bytes_field(2, b"") == b""
    assert proto.bytes_field(2, "") == b""
    assert proto.sfixed64_field(2, 0) == b""
    assert proto.varint_field(1, -1).hex() == "08ffffffffffffffffff01"
    assert proto.sfixed64_field(2, -1).hex() == "11ffffffffffffffff"
    assert proto.sfixed64_field(2, 10).hex() == "110a00000000000000"


def test_non_nullable_empty_message_is_emitted():
    assert proto.message_field(4, b"", nullable=False).hex() == "2200"
    assert proto.message_field(4, None) == b""
    dual.raises(DecodeError, proto.message_field, 4, None, False)


def test_timestamp():
    ts = proto.timestamp(1684332773, 605374524)
    assert proto.fields(ts) == {1: [(0, 1684332773)], 2: [(0, 605374524)]}
    dual.raises(DecodeError, proto.timestamp, 1, 1000000000)


def test_decoder_roundtrip_and_wire_types():
    msg = (proto.varint_field(1, 5) + proto.bytes_field(2, b"abc") +
           proto.sfixed64_field(3, -2) + proto.message_field(4, proto.varint_field(1, 7)))
    fs = proto.fields(msg)
    assert proto.get_one(fs, 1, proto.VARINT) == 5
    assert proto.get_one(fs, 2, proto.LEN) == b"abc"
    assert proto.to_int64(proto.get_one(fs, 3, proto.FIXED64)) == -2
    inner = proto.fields(proto.get_one(fs, 4, proto.LEN))
    assert proto.get_one(inner, 1, proto.VARINT) == 7
    assert proto.get_one(fs, 9, proto.VARINT, 42) == 42
    e = dual.raises(DecodeError, proto.get_one, fs, 2, proto.VARINT)
    assert e.check == "proto_wire_type"


def test_last_one_wins_and_repeated():
    msg = proto.varint_field(1, 5) + proto.varint_field(1, 6)
    fs = proto.fields(msg)
    assert proto.get_one(fs, 1, proto.VARINT) == 6
    assert proto.get_all(fs, 1, proto.VARINT) == [5, 6]


def test_hostile_inputs_give_typed_errors():
    bad = [
        (b"\x0a\x05abc", "proto_truncated"),           # length past the end
        (b"\x08", "proto_truncated"),                  # varint missing
        (b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "proto_varint_overflow"),
        (b"\x0b", "proto_wire_type"),                  # start group
        (b"\x00\x01", "proto_field_number"),           # field 0
        (b"\x09\x01\x02", "proto_truncated"),          # fixed64 short
        (b"\x0a\xff\xff\xff\xff\x0f", "proto_truncated"),  # 4 GiB declared, nothing there
    ]
    for data, check in bad:
        e = dual.raises(DecodeError, proto.fields, data)
        assert e.check == check, (data, e.check)
    many = proto.varint_field(1, 1) * 10
    e = dual.raises(DecodeError, proto.fields, many, 5)
    assert e.check == "proto_too_many_fields"


def test_int32_range():
    assert proto.to_int32(proto.to_int64((1 << 64) - 1) + (1 << 64)) == -1
    dual.raises(DecodeError, proto.to_int32, 1 << 40)
