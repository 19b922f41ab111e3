# lightclient.chip.core.cbor on both runtimes: RFC 8949 Appendix A vectors, one rejection test per
# check of the strict decoder, the encoder's canonical form, loads_prefix framing and the schema
# helpers. Dual-runtime module (docs/core-subset.md).

import dual
from lightclient.chip.core.cbor import dumps, loads, loads_prefix, MAX_DEPTH_CEILING
from lightclient.chip.core.cbor_fields import (
    expect_map, get_bytes, get_text, get_int, get_uint, get_bool, get_list, get_map,
)
from lightclient.chip.core.errors import DecodeError


def _h(s):
    return bytes.fromhex(s.replace(" ", ""))


def _rejects(check, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except DecodeError as e:
        assert e.check == check, "expected " + check + ", got " + str(e)
        return e
    raise AssertionError("expected DecodeError " + check)


def _bad(check, hexstr, **kw):
    return _rejects(check, loads, _h(hexstr), **kw)


def _same(a, b):
    # Equality that also tells bool from int (True == 1 in Python) and bytes from str.
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        for k in a:
            if k not in b or not _same(a[k], b[k]):
                return False
        return True
    return a == b


# ---------------------------------------------------------------------------------------------
# RFC 8949 Appendix A

# Vectors with no JSON `decoded` (byte strings, and a map with int keys, which JSON cannot hold)
# but inside the subset: their value, from the `diagnostic` notation.
APPENDIX_A_FROM_DIAGNOSTIC = {
    "40": b"",
    "4401020304": b"\x01\x02\x03\x04",
    "a201020304": {1: 2, 3: 4},
}

# Vectors outside the subset, each with the check that rejects it.
APPENDIX_A_REJECTED = {
    # Floats (major type 7, additional info 25/26/27), including the non-shortest ones.
    "f90000": "cbor_float", "f98000": "cbor_float", "f93c00": "cbor_float",
    "fb3ff199999999999a": "cbor_float", "f93e00": "cbor_float", "f97bff": "cbor_float",
    "fa47c35000": "cbor_float", "fa7f7fffff": "cbor_float", "fb7e37e43c8800759c": "cbor_float",
    "f90001": "cbor_float", "f90400": "cbor_float", "f9c400": "cbor_float",
    "fbc010666666666666": "cbor_float", "f97c00": "cbor_float", "f97e00": "cbor_float",
    "f9fc00": "cbor_float", "fa7f800000": "cbor_float", "fa7fc00000": "cbor_float",
    "faff800000": "cbor_float", "fb7ff0000000000000": "cbor_float",
    "fb7ff8000000000000": "cbor_float", "fbfff0000000000000": "cbor_float",
    # Simple values other than false/true/null: undefined, simple(16), simple(24), simple(255).
    "f7": "cbor_simple_value", "f0": "cbor_simple_value", "f818": "cbor_simple_value",
    "f8ff": "cbor_simple_value",
    # Tags: bignums 2**64 and -2**64-1 (beyond the native 64-bit range), date/time, epoch
    # (int and float), expected-base16, embedded CBOR, URI.
    "c249010000000000000000": "cbor_tag", "c349010000000000000000": "cbor_tag",
    "c074323031332d30332d32315432303a30343a30305a": "cbor_tag", "c11a514b67b0": "cbor_tag",
    "c1fb41d452d9ec200000": "cbor_tag", "d74401020304": "cbor_tag",
    "d818456449455446": "cbor_tag",
    "d82076687474703a2f2f7777772e6578616d706c652e636f6d": "cbor_tag",
    # Indefinite lengths (byte string, text string, arrays, maps; also nested in a definite one).
    "5f42010243030405ff": "cbor_indefinite_length",
    "7f657374726561646d696e67ff": "cbor_indefinite_length",
    "9fff": "cbor_indefinite_length", "9f018202039f0405ffff": "cbor_indefinite_length",
    "9f01820203820405ff": "cbor_indefinite_length",
    "83018202039f0405ff": "cbor_indefinite_length",
    "83019f0203ff820405": "cbor_indefinite_length",
    "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff": "cbor_indefinite_length",
    "bf61610161629f0203ffff": "cbor_indefinite_length",
    "826161bf61626163ff": "cbor_indefinite_length",
    "bf6346756ef563416d7421ff": "cbor_indefinite_length",
}


def _appendix_a():
    return dual.load_json("cbor/appendix_a.json")


def test_appendix_a_every_vector_classified():
    vectors = _appendix_a()
    assert len(vectors) == 82
    hexes = [v["hex"] for v in vectors]
    for h in APPENDIX_A_REJECTED:
        assert h in hexes, h
    for h in APPENDIX_A_FROM_DIAGNOSTIC:
        assert h in hexes, h
    accepted = [v for v in vectors if v["hex"] not in APPENDIX_A_REJECTED]
    assert len(accepted) == 37
    for v in accepted:
        assert "decoded" in v or v["hex"] in APPENDIX_A_FROM_DIAGNOSTIC, v["hex"]


def test_appendix_a_subset_decodes_and_roundtrips():
    n = 0
    for v in _appendix_a():
        h = v["hex"]
        if h in APPENDIX_A_REJECTED:
            continue
        want = APPENDIX_A_FROM_DIAGNOSTIC[h] if h in APPENDIX_A_FROM_DIAGNOSTIC else v["decoded"]
        got = loads(_h(h))
        assert _same(got, want), h
        # Every accepted vector is marked roundtrip and is in deterministic form.
        assert v["roundtrip"] is True, h
        assert dumps(got).hex() == h, h
        assert dumps(want).hex() == h, h
        n += 1
    assert n == 37


def test_appendix_a_outside_subset_rejected():
    seen = 0
    for v in _appendix_a():
        check = APPENDIX_A_REJECTED.get(v["hex"])
        if check is not None:
            _bad(check, v["hex"])
            seen += 1
    assert seen == len(APPENDIX_A_REJECTED) == 45


def test_appendix_a_native_64_bit_extremes():
    assert loads(_h("1bffffffffffffffff")) == 18446744073709551615
    assert loads(_h("3bffffffffffffffff")) == -18446744073709551616
    _rejects("cbor_encode_int_range", dumps, 18446744073709551616)
    _rejects("cbor_encode_int_range", dumps, -18446744073709551617)


# ---------------------------------------------------------------------------------------------
# Encoder


def test_encode_int_argument_boundaries():
    cases = [
        (0, "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"),
        (65535, "19ffff"), (65536, "1a00010000"), (4294967295, "1affffffff"),
        (4294967296, "1b0000000100000000"),
        (-1, "20"), (-24, "37"), (-25, "3818"), (-256, "38ff"), (-257, "390100"),
        (-65537, "3a00010000"), (-4294967297, "3b0000000100000000"),
    ]
    for value, h in cases:
        assert dumps(value).hex() == h, value
        assert loads(_h(h)) == value


def test_encode_string_and_container_lengths():
    for n, head in ((0, "40"), (23, "57"), (24, "5818"), (255, "58ff"), (256, "590100"),
                    (65536, "5a00010000")):
        enc = dumps(b"\x07" * n)
        assert enc[:len(head) // 2].hex() == head, n
        assert len(enc) == len(head) // 2 + n
        assert loads(enc, max_bytes=70000) == b"\x07" * n
    assert dumps("a" * 24)[:2].hex() == "7818"
    assert dumps([0] * 24)[:2].hex() == "9818"
    big = {}
    for i in range(24):
        big[i] = None
    assert dumps(big)[:2].hex() == "b818"
    assert loads(dumps(big)) == big


def test_encode_types():
    assert dumps(None).hex() == "f6"
    assert dumps(False).hex() == "f4"
    assert dumps(True).hex() == "f5"
    assert dumps((1, 2)) == dumps([1, 2])
    assert dumps(bytearray(b"ab")) == dumps(b"ab") == _h("426162")
    assert dumps("\u00fc\u6c34").hex() == "65c3bce6b0b4"
    _rejects("cbor_encode_type", dumps, 1.5)
    _rejects("cbor_encode_type", dumps, [1, {2: set()}])
    _rejects("cbor_encode_type", dumps, object())


def test_encode_map_keys_sorted_bytewise():
    # RFC 8949 section 4.2.1: bytewise lexicographic order of the encoded keys. This differs
    # from RFC 7049 "length-first" canonical order across major types: 24 (0x1818) sorts before
    # -1 (0x20), 100 (0x1864) before "a" (0x6161). Within one major type the two agree:
    # "b" (0x6162) before "aa" (0x626161).
    m = {"aa": 0, -1: 0, "b": 0, 24: 0, b"": 0, 10: 0, 100: 0, -100: 0, "a": 0}
    enc = dumps(m)
    assert enc.hex() == ("a9" + "0a00" + "181800" + "186400" + "2000" + "386300"
                         + "4000" + "616100" + "616200" + "62616100")
    assert loads(enc) == m
    # Insertion order does not matter.
    m2 = {}
    for k in sorted(m, key=lambda k: dumps(k), reverse=True):
        m2[k] = m[k]
    assert dumps(m2) == enc


def test_encode_rejects_bad_keys():
    _rejects("cbor_encode_key_type", dumps, {True: 1})
    _rejects("cbor_encode_key_type", dumps, {None: 1})
    _rejects("cbor_encode_key_type", dumps, {(1, 2): 1})
    _rejects("cbor_encode_key_type", dumps, {1.5: 1})


def test_encode_depth_bounded():
    x = 0
    for _ in range(16):
        x = [x]
    assert loads(dumps(x)) == x
    _rejects("cbor_encode_depth", dumps, [x])
    y = []
    y.append(y)  # self-reference: bounded, not a recursion error
    _rejects("cbor_encode_depth", dumps, y)
    assert dumps([[1]], max_depth=2) == _h("818101")
    _rejects("cbor_encode_depth", dumps, [[1]], max_depth=1)
    _rejects("cbor_encode_depth", dumps, {1: {}}, max_depth=1)
    _rejects("cbor_bad_limits", dumps, 0, max_depth=MAX_DEPTH_CEILING + 1)


def test_encode_rejects_lone_surrogate():
    _rejects("cbor_encode_utf8", dumps, "a\ud800b")


def test_roundtrip_mixed_values():
    values = [
        0, 1, -1, 23, -24, 2 ** 63, -(2 ** 63), 2 ** 64 - 1, -(2 ** 64), b"", b"\x00\xff",
        "", "x", "\u00e9t\u00e9", "\U0001f600", [], [[], [[]]], {}, True, False, None,
        {"chain_id": "test-chain", "height": 12345, 0: [b"\x01" * 32, -5], b"k": {"n": None}},
        [1, "two", b"three", [4], {5: 6}, True, None],
    ]
    for v in values:
        enc = dumps(v)
        got = loads(enc)
        assert _same(got, v), v
        assert dumps(got) == enc


# ---------------------------------------------------------------------------------------------
# Decoder: one test per check


def test_reject_truncated():
    for h in ("", "18", "19", "1901", "1a000100", "1b00000001000000", "38", "58", "7901",
              "9a0001", "8118", "a11901"):
        _bad("cbor_truncated", h)


def test_reject_length_exceeds_input():
    e = _bad("cbor_length_exceeds_input", "43 6162")
    assert e.details["needed"] == 3 and e.details["available"] == 2
    # Huge declared lengths: rejected from the header alone, nothing allocated.
    _bad("cbor_length_exceeds_input", "5a ffffffff")
    _bad("cbor_length_exceeds_input", "5b ffffffffffffffff 00")
    _bad("cbor_length_exceeds_input", "7b 7fffffffffffffff 61")
    _bad("cbor_length_exceeds_input", "9b ffffffffffffffff 00")
    _bad("cbor_length_exceeds_input", "bb 8000000000000000 0000")
    # An array or map needs at least one byte per element.
    _bad("cbor_length_exceeds_input", "83 0102")
    _bad("cbor_length_exceeds_input", "a2 010203")
    _bad("cbor_length_exceeds_input", "82 41")


def test_reject_noncanonical_argument():
    for h in ("1800", "1817", "190000", "1900ff", "1a00000000", "1a0000ffff",
              "1b0000000000000000", "1b00000000ffffffff", "3817", "3900ff", "5801 61",
              "7800", "9800", "b800", "59000161", "9a0000000100"):
        e = _bad("cbor_noncanonical_argument", h)
        assert e.details["offset"] == 0, h
    # Also inside containers, with the offset of the offending item.
    e = _bad("cbor_noncanonical_argument", "82 01 1802")
    assert e.details["offset"] == 2


def test_reject_indefinite_length():
    for h in ("5f ff", "7f ff", "9f ff", "bf ff", "5f 4100 ff", "81 9f ff"):
        _bad("cbor_indefinite_length", h)


def test_reject_reserved_additional_info():
    for major in range(8):
        if major == 6:
            continue  # tags are rejected as tags first
        for ai in (28, 29, 30):
            _rejects("cbor_reserved_info", loads, bytes(((major << 5) | ai,)))
    # Additional info 31 on the integer major types is not well-formed.
    _bad("cbor_reserved_info", "1f")
    _bad("cbor_reserved_info", "3f")


def test_reject_tags():
    for h in ("c0 60", "c2 40", "d8 18 40", "d9 d9f7 00", "db 0000000000000000 00", "c1",
              "81 c6 00", "dc", "df"):
        _bad("cbor_tag", h)


def test_reject_floats():
    for h in ("f9 3c00", "fa 3f800000", "fb 3ff0000000000000", "f9", "81 fa 00000000"):
        _bad("cbor_float", h)


def test_reject_simple_values():
    for h in ("e0", "f0", "f3", "f7", "f8 00", "f8 13", "f8 14", "f8 20", "f8 ff", "f8"):
        _bad("cbor_simple_value", h)


def test_reject_break():
    _bad("cbor_unexpected_break", "ff")
    _bad("cbor_unexpected_break", "81 ff")
    _bad("cbor_unexpected_break", "a1 01 ff")


def test_reject_invalid_utf8():
    for h in (
        "61 80",            # lone continuation byte
        "61 ff", "61 fe",   # never valid
        "61 c3",            # sequence cut by the end of the string
        "62 c3 28",         # bad continuation
        "62 c0 80", "62 c1 bf",        # overlong 2-byte
        "63 e0 80 80", "63 e0 9f bf",  # overlong 3-byte
        "63 ed a0 80", "63 ed bf bf",  # UTF-16 surrogates
        "64 f0 80 80 80", "64 f0 8f bf bf",  # overlong 4-byte
        "64 f4 90 80 80", "64 f7 bf bf bf",  # above U+10FFFF
        "64 f8 88 80 80", "62 e2 82",  # 5-byte lead; 3-byte sequence cut short
        "65 61 62 63 64 80",  # ASCII then a stray continuation
    ):
        _bad("cbor_invalid_utf8", h)
    # The edges that are valid.
    assert loads(_h("62 c2 80")) == "\u0080"
    assert loads(_h("63 e0 a0 80")) == "\u0800"
    assert loads(_h("63 ed 9f bf")) == "\ud7ff"
    assert loads(_h("63 ee 80 80")) == "\ue000"
    assert loads(_h("63 ef bf bf")) == "\uffff"
    assert loads(_h("64 f0 90 80 80")) == "\U00010000"
    assert loads(_h("64 f4 8f bf bf")) == "\U0010ffff"


def test_reject_map_key_type():
    for h in ("a1 80 00", "a1 a0 00", "a1 f5 00", "a1 f4 00", "a1 f6 00", "a1 8100 00"):
        _bad("cbor_map_key_type", h)


def test_reject_map_key_order():
    _bad("cbor_map_key_order", "a2 02 00 01 00")
    _bad("cbor_map_key_order", "a2 6162 00 6161 00")
    # RFC 7049 length-first order is not RFC 8949 bytewise order: -1 (0x20) before 24 (0x1818).
    _bad("cbor_map_key_order", "a2 20 00 1818 00")
    # "aa" (0x626161) before "b" (0x6162): out of order (in both orders: the head carries the
    # length).
    _bad("cbor_map_key_order", "a2 626161 00 6162 00")
    # Major types order: ints < negative ints < bytes < text.
    _bad("cbor_map_key_order", "a2 6161 00 4161 00")
    _bad("cbor_map_key_order", "a2 20 00 01 00")
    assert loads(_h("a2 1818 00 20 00")) == {24: 0, -1: 0}
    assert loads(_h("a2 6162 00 626161 00")) == {"b": 0, "aa": 0}
    assert loads(_h("a3 01 00 20 00 4161 00")) == {1: 0, -1: 0, b"a": 0}


def test_reject_duplicate_map_key():
    _bad("cbor_map_duplicate_key", "a2 01 00 01 01")
    _bad("cbor_map_duplicate_key", "a2 6161 00 6161 00")
    _bad("cbor_map_duplicate_key", "a3 01 00 02 00 02 00")


def test_reject_trailing_bytes():
    e = _bad("cbor_trailing_bytes", "00 00")
    assert e.details["offset"] == 1 and e.details["trailing"] == 1
    _bad("cbor_trailing_bytes", "80 00")
    _bad("cbor_trailing_bytes", "4161 ff")


def test_depth_limit():
    ok = b"\x81" * 15 + b"\x80"  # 16 nested arrays: the default limit
    assert loads(ok) is not None
    _rejects("cbor_depth", loads, b"\x81" + ok)
    _rejects("cbor_depth", loads, b"\xa1\x01" * 17 + b"\x00")
    assert loads(b"\xa1\x01" * 16 + b"\x00") is not None
    _rejects("cbor_depth", loads, b"\x80", max_depth=0)
    assert loads(b"\x01", max_depth=0) == 1
    assert loads(_h("8180"), max_depth=2) == [[]]
    _rejects("cbor_depth", loads, _h("818180"), max_depth=2)
    # A hostile nesting far deeper than any stack: stopped at max_depth.
    _rejects("cbor_depth", loads, b"\x81" * 100000 + b"\x00", max_bytes=200000)
    # The ceiling itself is safe for the interpreter's stack, both ways.
    deepest = b"\x81" * (MAX_DEPTH_CEILING - 1) + b"\xa1\x00\x00"
    x = loads(deepest, max_depth=MAX_DEPTH_CEILING)
    assert dumps(x, max_depth=MAX_DEPTH_CEILING) == deepest
    _rejects("cbor_depth", loads, b"\x81" + deepest, max_depth=MAX_DEPTH_CEILING)
    _rejects("cbor_bad_limits", loads, b"\x00", max_depth=MAX_DEPTH_CEILING + 1)
    _rejects("cbor_bad_limits", loads, b"\x00", max_depth=-1)


def test_items_limit():
    assert loads(_h("83 010203"), max_items=4) == [1, 2, 3]
    _bad("cbor_too_many_items", "83 010203", max_items=3)
    # A map of n pairs counts 1 + 2n items.
    assert loads(_h("a1 01 02"), max_items=3) == {1: 2}
    _bad("cbor_too_many_items", "a1 01 02", max_items=2)
    # Nested items count too.
    _bad("cbor_too_many_items", "82 8101 8101", max_items=4)
    # A large declared count is refused from its header, before decoding any element.
    e = _rejects("cbor_too_many_items", loads, b"\x99\xff\xff" + b"\x00" * 65535,
                 max_items=1000)
    assert e.details["offset"] == 0


def test_bytes_limit():
    _rejects("cbor_too_large", loads, b"\x41\x00", max_bytes=1)
    assert loads(b"\x41\x00", max_bytes=2) == b"\x00"
    e = _rejects("cbor_too_large", loads, b"\x00" * 300000)
    assert e.details["length"] == 300000


def test_input_type():
    _rejects("cbor_input_type", loads, "00")
    _rejects("cbor_input_type", loads, [0])
    _rejects("cbor_input_type", loads_prefix, None, 0)
    assert loads(bytearray(b"\x42ab")) == b"ab"
    assert type(loads(bytearray(b"\x42ab"))) is bytes
    assert loads(bytearray(_h("a1 4161 01"))) == {b"a": 1}


# ---------------------------------------------------------------------------------------------
# loads_prefix (framing)


def test_loads_prefix_sequence():
    stream = dumps({"a": 1}) + dumps([1, 2]) + dumps(b"xyz")
    out = []
    pos = 0
    while pos < len(stream):
        obj, pos = loads_prefix(stream, pos)
        out.append(obj)
    assert out == [{"a": 1}, [1, 2], b"xyz"]
    assert pos == len(stream)


def test_loads_prefix_incomplete_vs_too_large():
    enc = dumps(b"\x01" * 100)
    for cut in range(len(enc)):
        try:
            loads_prefix(enc[:cut], 0)
            raise AssertionError("accepted a cut item")
        except DecodeError as err:
            assert err.check in ("cbor_truncated", "cbor_length_exceeds_input"), err.check
    # An item that would span more than max_bytes from its offset is final, however much
    # input has arrived so far.
    _rejects("cbor_too_large", loads_prefix, enc[:5], 0, max_bytes=50)
    _rejects("cbor_too_large", loads_prefix, b"\x00\x00" + enc, 2, max_bytes=101)
    assert loads_prefix(b"\x00\x00" + enc, 2, max_bytes=102) == (b"\x01" * 100, 104)
    _rejects("cbor_offset", loads_prefix, b"\x00", 2)
    _rejects("cbor_offset", loads_prefix, b"\x00", -1)
    _rejects("cbor_truncated", loads_prefix, b"\x00", 1)


def test_error_reports_are_printable():
    e = _bad("cbor_map_key_order", "a2 6162 00 6161 00")
    s = str(e)
    assert s.startswith("cbor_map_key_order")
    d = e.to_dict()
    assert d["type"] == "DecodeError" and d["key"] == "6161" and d["previous"] == "6162"


# ---------------------------------------------------------------------------------------------
# Schema helpers


def test_schema_expect_map():
    m = loads(dumps({1: b"\x00" * 32, 2: 7, "n": "chain"}))
    assert expect_map(m, (1, 2), ("n", "opt")) is m
    e = _rejects("cbor_field_missing", expect_map, m, (1, 2, 3), ("n",))
    assert e.details["field"] == 3
    e = _rejects("cbor_field_unknown", expect_map, m, (1, 2), ())
    assert e.details["field"] == "n"
    _rejects("cbor_field_type", expect_map, [1], (), ())
    e = _rejects("cbor_field_type", expect_map, None, (), (), "update")
    assert e.details["field"] == "update"


def test_schema_getters():
    m = {1: b"\x00" * 32, 2: 7, 3: -7, 4: "chain", 5: [1, 2, 3], 6: {"a": 1}, 7: True,
         8: None, 9: 0}
    assert get_bytes(m, 1, exact_len=32) == b"\x00" * 32
    assert get_bytes(m, 1, max_len=32) == b"\x00" * 32
    e = _rejects("cbor_field_length", get_bytes, m, 1, exact_len=20)
    assert e.details["field"] == 1 and e.details["length"] == 32
    _rejects("cbor_field_length", get_bytes, m, 1, max_len=31)
    _rejects("cbor_field_type", get_bytes, m, 4)
    e = _rejects("cbor_field_missing", get_bytes, m, 99)
    assert e.details["field"] == 99
    assert get_bytes(m, 99, default=None) is None
    # A present key is checked even when a default is given.
    _rejects("cbor_field_type", get_bytes, m, 8, default=None)

    assert get_uint(m, 2, max=7) == 7
    assert get_uint(m, 9) == 0
    _rejects("cbor_field_range", get_uint, m, 2, max=6)
    _rejects("cbor_field_range", get_uint, m, 3)
    assert get_int(m, 3, min=-10, max=10) == -7
    _rejects("cbor_field_range", get_int, m, 3, min=0)
    _rejects("cbor_field_type", get_uint, m, 7)  # a bool is not an integer here
    _rejects("cbor_field_type", get_int, m, 1)
    assert get_uint(m, 99, default=0) == 0

    assert get_text(m, 4, max_len=5) == "chain"
    _rejects("cbor_field_length", get_text, m, 4, max_len=4)
    _rejects("cbor_field_type", get_text, m, 1)
    assert get_list(m, 5, max_len=3) == [1, 2, 3]
    _rejects("cbor_field_length", get_list, m, 5, max_len=2)
    _rejects("cbor_field_type", get_list, m, 6)
    assert get_map(m, 6, ("a",)) == {"a": 1}
    _rejects("cbor_field_missing", get_map, m, 6, ("b",), ("a",))
    _rejects("cbor_field_type", get_map, m, 5)
    assert get_bool(m, 7) is True
    _rejects("cbor_field_type", get_bool, m, 9)
    assert get_bool(m, 99, default=False) is False
