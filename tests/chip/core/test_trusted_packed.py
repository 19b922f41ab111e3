# The trusted state as the chip's store keeps it (trusted_at_rest.pack_trusted / unpack_trusted,
# version 2, docs/store-format.md "The trusted state record"), on both runtimes: the vector below
# pins the bytes; a round trip gives the same state, hashes and lookups without re-hashing; every
# malformed record (cut short, longer, a bad field) is a typed DecodeError naming its check.
import binascii
import hashlib

import dual
from lightclient.chip.core import trusted_at_rest as tr
from lightclient.chip.core import valset
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.verifier import TrustedState

# The trusted state of tests/chip/core/fixtures/upd4.py (chain fixture-4, height 1, its 4 next
# validators: 3 Ed25519, 1 secp256k1) in version 1 (encode_trusted), the checkpoint form.
V1 = binascii.unhexlify(
    "84018f0b0169666978747572652d34011b17979cfe362a0000834000405820e3b0c44298fc1c149afbf4c899"
    "6fb92427ae41e4649b934ca495991b7852b8555820e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b93"
    "4ca495991b7852b8555820a75ff4f1086d9f41d28f2560228dabfb1c71a8fbabf2b541159d2642ccc66a9658"
    "20a75ff4f1086d9f41d28f2560228dabfb1c71a8fbabf2b541159d2642ccc66a96582092dbf998c5beba4027"
    "8c4aa37d1b84ad47a4b63243d1d9ffc8122d86e218fcc34800000000000000005820e3b0c44298fc1c149afb"
    "f4c8996fb92427ae41e4649b934ca495991b7852b8555820e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
    "649b934ca495991b7852b85554fca08899e3031da4ba3e27478c8cf19b25a53057848301582102a0bb990c6e"
    "c958658d253d174ad01c8c9b5dcc5dc3731b111cd981cd49cf35951483005820393e326bb76a962d18bda8d2"
    "44180645c53fd57784216f55a2403454dabb8c0c0a83005820c49b7edc97b8ba38f718046ace2079320b1051"
    "61d856ee480b044f1ef46722920a83005820297b95343a8b00c89d01ede50f12ad26e50263f268feea408fe6"
    "ad5629d1ffd60af6")

# pack_trusted of that state.
# The same hex is in docs/store-format.md (tests/chip/store/test_trusted_record_doc.py checks it).
VECTOR_SHA256 = "ec8f9803b4f4740884af6e6d3fb308589c4b6b5fffb1a7381f0af17fe826e194"
VECTOR_HEAD = ("4c4354530201270191c6a4660589571245c1743c5dc9c0b581605cfb63231aff0f14064846a7a9b9"
               "8f0b0169666978747572652d34")  # magic, 2, sets 1, header length 0x127, header hash


def _plain():
    # With a plain ValidatorSet (Validator objects), as the Pi's tools hold one.
    s = tr.decode_trusted(V1)
    return TrustedState(s.header, valset.ValidatorSet(s.next_validators.validators))


def _packed_bytes():
    return tr.pack_trusted(_plain())


def test_the_vector():
    p = _packed_bytes()
    assert len(p) == 531
    assert binascii.hexlify(hashlib.sha256(p).digest()).decode() == VECTOR_SHA256
    assert binascii.hexlify(p[:len(VECTOR_HEAD) // 2]).decode() == VECTOR_HEAD


def test_round_trip_keeps_state_hashes_and_lookups():
    s = _plain()
    u = tr.unpack_trusted(_packed_bytes())
    assert u.header.hash() == s.header.hash() == u.header_hash
    assert u.header.chain_id == s.header.chain_id and u.header.app_hash == s.header.app_hash
    assert u.validators is None
    a, b = s.next_validators, u.next_validators
    assert b.hash() == a.hash() and b.total_power == a.total_power and len(b) == len(a)
    for i in range(len(a)):
        assert b.key_at(i) == a.key_at(i)
        assert b.address_at(i) == a.address_at(i)
        assert b.power_at(i) == a.power_at(i)
        assert b.index_of(a.address_at(i)) == i
    assert tr.pack_trusted(u) == _packed_bytes()  # deterministic, from either kind of set


def test_powers_above_32_bits_take_8_bytes():
    s = tr.decode_trusted(V1)
    vals = s.next_validators.validators
    vals[0].voting_power = 1 << 40   # (the header's hash no longer matches: not checked here)
    big = valset.ValidatorSet(vals)
    parts = tr._packed_set(big)
    assert parts[0][2] == 8 and len(parts[-1]) == 8 * len(vals)
    small = tr._packed_set(s.next_validators)
    assert small[0][2] == 4 and len(small[-1]) == 4 * len(vals)
    u, end = tr._unpack_set(b"".join(parts), 0, tr.DEFAULT_LIMITS, "next_validators")
    assert end == len(b"".join(parts)) and u.power_at(0) == 1 << 40
    assert u.total_power == big.total_power and u.address_at(3) == big.address_at(3)


def test_both_sets_and_the_version_1_form():
    s = _plain()
    both = TrustedState(s.header, s.next_validators, s.next_validators)
    u = tr.unpack_trusted(tr.pack_trusted(both))
    assert u.validators.hash() == u.next_validators.hash() == s.header.validators_hash
    v1 = tr.encode_trusted(s)
    st, packed = tr.load_trusted(v1)
    assert not packed and st.next_validators.hash() == s.next_validators.hash()
    st, packed = tr.load_trusted(_packed_bytes())
    assert packed and st.header_hash == s.header.hash()


def _check(data):
    return dual.raises(DecodeError, tr.unpack_trusted, data).check


def test_every_truncation_and_extension_is_a_typed_error():
    p = _packed_bytes()
    for n in range(len(p)):
        assert _check(p[:n]) in ("trusted_packed_magic", "trusted_packed_length", "cbor_truncated",
                                 "cbor_trailing_bytes", "update_field_type"), n
    assert _check(p + b"\x00") == "trusted_packed_length"


def _set_at():
    # Offset of the first (only) set: the fixed part, then the header.
    p = _packed_bytes()
    return tr.PACKED_FIXED + p[6] + 256 * p[7]


def _with(p, off, data):
    return p[:off] + data + p[off + len(data):]


def test_each_bad_field_names_its_check():
    p = _packed_bytes()
    s = _set_at()
    n = 4
    codes = s + tr.SET_FIXED
    keys = codes + n
    powers = keys + n * tr.KEY_SLOT
    cases = [
        (_with(p, 0, b"LCTX"), "trusted_packed_magic"),
        (_with(p, 4, b"\x03"), "trusted_version"),
        (_with(p, 5, b"\x00"), "trusted_packed_sets"),
        (_with(p, 5, b"\x05"), "trusted_packed_sets"),
        (_with(p, 5, b"\x03"), "trusted_packed_length"),        # a second set announced
        (_with(p, s, b"\x00\x00"), "trusted_packed_set"),       # no validator
        (_with(p, s, b"\x97\x00"), "trusted_packed_set"),       # 151 > max_validators
        (_with(p, s + 2, b"\x05"), "trusted_packed_set"),       # power width
        (_with(p, s + 3, b"\x01"), "trusted_packed_set"),       # reserved
        (_with(p, codes, b"\x02"), "trusted_packed_key"),       # no such key type
        (_with(p, keys + tr.KEY_SLOT + 32, b"\x01"), "trusted_packed_key"),  # ed25519 padding
        (_with(p, powers, b"\x00" * 4), "trusted_packed_power"),   # power 0
        (_with(p, powers, b"\x15"), "trusted_packed_power"),       # not the stored total
        (_with(p, s + 4, b"\x33"), "trusted_packed_power"),        # total not the sum
        (_with(p, s + 12, b"\x00"), "trusted_validators_hash"),    # not the header's
    ]
    for data, check in cases:
        assert len(data) == len(p)
        assert _check(data) == check, check
    e = dual.raises(DecodeError, tr.unpack_trusted, _with(p, codes, b"\x02"))
    assert e.details["field"] == "trusted" and e.details["index"] == 0


def test_limits_and_types_are_checked_before_anything_else():
    p = _packed_bytes()
    assert tr.unpack_trusted(bytearray(p)).header_hash == _plain().header.hash()
    assert dual.raises(DecodeError, tr.unpack_trusted, "text").check == "trusted_type"
    from lightclient.chip.core.update import Limits
    e = dual.raises(DecodeError, tr.unpack_trusted, p, Limits(max_bytes=len(p) - 1))
    assert e.check == "trusted_too_large"
    e = dual.raises(DecodeError, tr.unpack_trusted, p, Limits(max_validators=3))
    assert e.check == "trusted_packed_set"
