# valset.PackedValidatorSet / ValidatorPacker (the compact validator sets the update decoder and
# decode_trusted build for the microcontroller), on both runtimes: the same hash, order, lookups
# and errors as ValidatorSet built from Validator objects, and the streamed Merkle root equals
# merkle.hash_from_byte_slices for every size.
import hashlib

import dual
from lightclient.chip.crypto import ed25519
from lightclient.chip.core import merkle, update
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core import types as T
from lightclient.chip.core import votes
from lightclient.chip.core import valset
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.verifier import TrustedState


def _keys(n, tag=b"k"):
    # Distinct 32-byte strings; packing needs only the right length (no curve point check).
    return [hashlib.sha256(tag + bytes([i & 255, i >> 8])).digest() for i in range(n)]


def _plain(entries):
    return valset.ValidatorSet([valset.Validator(valset.address_from_pubkey(kt, pub), kt, pub, p)
                           for kt, pub, p in entries])


def _packed(entries):
    pk = valset.ValidatorPacker(len(entries))
    for kt, pub, p in entries:
        pk.add(kt, pub, p)
    return pk.finish()


def _mixed(n):
    out = []
    for i, k in enumerate(_keys(n)):
        if i % 3 == 2:
            out.append((T.SECP256K1, b"\x02" + k, 1000 - i))
        else:
            out.append((T.ED25519, k, 1000 - i))
    return out


def test_streamed_merkle_root_equals_the_recursive_one():
    for n in range(0, 40):
        items = [bytes([i]) * (i % 7 + 1) for i in range(n)]
        r = valset._MerkleRoot()
        for it in items:
            r.add(it)
        assert r.root() == merkle.hash_from_byte_slices(items), n


def test_packed_set_matches_the_plain_set():
    for n in (1, 2, 3, 7, 33):
        entries = _mixed(n)
        plain = _plain(entries)
        packed = _packed(entries)
        assert isinstance(packed, valset.ValidatorSet)
        assert packed.hash() == plain.hash()
        assert len(packed) == len(plain) == n
        assert packed.total_power == plain.total_power
        for i in range(n):
            assert packed.address_at(i) == plain.address_at(i)
            assert packed.power_at(i) == plain.power_at(i)
            kt, pub = packed.key_at(i)
            assert (kt, bytes(pub)) == plain.key_at(i)
            assert packed.index_of(plain.address_at(i)) == i
            j, v = packed.get(plain.address_at(i))
            assert j == i and v.address == plain.address_at(i) and v.voting_power == entries[i][2]
        full = packed.validators  # built on demand, same as the plain set's
        assert [v.address for v in full] == [v.address for v in plain.validators]
        assert [v.key_type for v in full] == [v.key_type for v in plain.validators]
        assert valset.ValidatorSet(full).hash() == plain.hash()
        assert packed.index_of(b"\x00" * 20) is None
        assert packed.get(b"\x00" * 20) is None
        assert packed.index_of(b"short") is None
        dual.raises(IndexError, packed.address_at, n)
        dual.raises(IndexError, packed.address_at, -1)


def test_lookup_ignores_matches_across_two_addresses():
    # An address made of the tail of one packed address and the head of the next is found by
    # bytes.find but is no validator: index_of must say None.
    packed = _packed(_mixed(4))
    straddle = packed.address_at(0)[10:] + packed.address_at(1)[:10]
    assert packed.index_of(straddle) is None


def test_packer_errors_are_validator_set_errors():
    ks = _keys(3)
    dup = [(T.ED25519, ks[0], 5), (T.ED25519, ks[1], 5), (T.ED25519, ks[0], 5)]
    e = dual.raises(DecodeError, _packed, dup)
    e2 = dual.raises(DecodeError, _plain, dup)
    assert e.check == e2.check == "validator_duplicate"
    assert e.details["index"] == e2.details["index"] == 2
    big = T.MAX_TOTAL_VOTING_POWER
    over = [(T.ED25519, ks[0], big), (T.ED25519, ks[1], 1)]
    assert dual.raises(DecodeError, _packed, over).check == "voting_power_overflow"
    assert dual.raises(DecodeError, _plain, over).check == "voting_power_overflow"
    pk = valset.ValidatorPacker(2)
    assert dual.raises(DecodeError, pk.add, T.ED25519, ks[0][:31], 1).check == "pub_key_length"
    assert dual.raises(DecodeError, pk.add, "sr25519", ks[0], 1).check == "pub_key_type"
    pk.add(T.ED25519, ks[0], 1)
    assert dual.raises(DecodeError, pk.finish).check == "validator_count"
    assert dual.raises(DecodeError, valset.ValidatorPacker, T.MAX_VALIDATORS + 1).check == \
        "too_many_validators"


def test_duplicates_are_found_among_addresses_that_share_their_first_bytes():
    # finish() searches the earlier addresses only for an address whose first two bytes it has
    # seen: two distinct addresses with the same prefix are a set, a repeat behind them is not.
    # (a birthday search over 16 bits, made one key at a time: it must fit the chip's heap)
    first = {}
    pair = None
    i = 0
    while pair is None and i < 4096:
        a = valset.address_from_pubkey(T.ED25519, _keys(1, b"prefix" + str(i).encode())[0])
        prefix = (a[0] << 8) | a[1]
        if prefix in first:
            pair = (first[prefix], i)
        first[prefix] = i
        i += 1
    assert pair is not None
    pair = [_keys(1, b"prefix" + str(j).encode())[0] for j in pair]
    other = _keys(1, b"other")[0]
    ok = [(T.ED25519, pair[0], 3), (T.ED25519, other, 2), (T.ED25519, pair[1], 1)]
    assert _packed(ok).hash() == _plain(ok).hash()
    for dup in (ok + [(T.ED25519, pair[1], 1)], ok + [(T.ED25519, pair[0], 1)]):
        e = dual.raises(DecodeError, _packed, dup)
        assert e.check == "validator_duplicate" and e.details["index"] == 3


def _state(n):
    seeds = [hashlib.sha256(b"seed" + bytes([i])).digest() for i in range(n)]
    pubs = [ed25519.public_key(s) for s in seeds]
    vals = valset.ValidatorSet(valset.sort_validators(
        [valset.Validator(valset.address_from_pubkey(T.ED25519, p), T.ED25519, p, 10 + i)
         for i, p in enumerate(pubs)]))
    h = T.Header(11, 1, "packed-chain", 5, 1700000000 * 1000000000,
                 T.BlockID(b"\x01" * 32, 1, b"\x02" * 32), b"", b"", vals.hash(), vals.hash(),
                 b"\x03" * 32, b"\x04" * 8, b"", b"", vals.address_at(0))
    return TrustedState(h, vals, None), vals


def test_trusted_state_decodes_to_packed_sets_and_round_trips():
    state, vals = _state(5)
    data = trusted_at_rest.encode_trusted(state)
    back = trusted_at_rest.decode_trusted(data, state.header.hash())
    assert isinstance(back.next_validators, valset.PackedValidatorSet)
    assert back.next_validators.hash() == vals.hash()
    assert back.validators is None
    assert trusted_at_rest.encode_trusted(back) == data  # the packed set encodes to the same bytes


# --- PackedCommit (the update decoder's commits) ----------------------------------------------

def _commits(n):
    vals = _packed(_mixed(n))
    base = 1700000000 * 1000000000
    sigs = []
    packed = votes.PackedCommit(7, 2, T.BlockID(b"\x05" * 32, 1, b"\x06" * 32), vals, n, n)
    for i in range(n):
        if i % 3 == 1:
            sigs.append(votes.CommitSig(T.BLOCK_ID_FLAG_ABSENT, b"", T.ZERO_TIME_NS, b""))
            continue
        flag = T.BLOCK_ID_FLAG_NIL if i % 5 == 4 else T.BLOCK_ID_FLAG_COMMIT
        ts = base + i * 1000003 - (3 if i == 0 else 0)
        sig = hashlib.sha256(bytes([i])).digest() * 2
        sigs.append(votes.CommitSig(flag, vals.address_at(i), ts, sig))
        packed.add(i, flag, ts, sig)
    plain = votes.Commit(7, 2, T.BlockID(b"\x05" * 32, 1, b"\x06" * 32), sigs)
    return plain, packed


def test_packed_commit_answers_like_the_plain_commit():
    plain, packed = _commits(12)
    assert isinstance(packed, votes.Commit)
    assert packed.size() == plain.size() == 12
    pb = votes.SignBytesBuilder("chain", plain)
    kb = votes.SignBytesBuilder("chain", packed)
    for i in range(12):
        assert packed.flag_at(i) == plain.flag_at(i)
        assert packed.address_at(i) == plain.address_at(i)
        assert packed.timestamp_at(i) == plain.timestamp_at(i)
        assert packed.signature_at(i) == plain.signature_at(i)
        if plain.flag_at(i) != T.BLOCK_ID_FLAG_ABSENT:
            assert kb.for_index(i) == pb.for_index(i)
    full = packed.signatures  # built on demand
    assert [(c.flag, c.validator_address, c.timestamp_ns, c.signature) for c in full] == \
        [(c.flag, c.validator_address, c.timestamp_ns, c.signature) for c in plain.signatures]
    dual.raises(IndexError, packed.flag_at, 12)
    dual.raises(IndexError, packed.flag_at, -1)


def test_packed_commit_times_span_the_protobuf_range():
    vals = _packed(_mixed(2))
    c = votes.PackedCommit(1, 0, T.BlockID(b"\x05" * 32, 1, b"\x06" * 32), vals, 2, 2)
    c.add(0, T.BLOCK_ID_FLAG_COMMIT, T.MIN_TIME_NS, b"\x01" * 64)
    c.add(1, T.BLOCK_ID_FLAG_COMMIT, T.MAX_TIME_NS, b"\x02" * 64)
    assert c.timestamp_at(0) == T.MIN_TIME_NS and c.timestamp_at(1) == T.MAX_TIME_NS
    full = votes.PackedCommit(1, 0, T.BlockID(b"\x05" * 32, 1, b"\x06" * 32), vals, 2, 1)
    full.add(0, T.BLOCK_ID_FLAG_COMMIT, 0, b"\x01" * 64)
    e = dual.raises(DecodeError, full.add, 1, T.BLOCK_ID_FLAG_COMMIT, 0, b"\x01" * 64)
    assert e.check == "commit_pack"


def test_packed_commit_refuses_what_its_buffers_cannot_hold_on_both_runtimes():
    # A plain Commit keeps such a vote and the verifier rejects it later; the packed one must not
    # keep a different vote instead: MicroPython stores flag 258 as 2 (a commit vote) and packs
    # a time before year 1 as a huge one, where CPython raises an untyped error.
    vals = _packed(_mixed(2))
    bid = T.BlockID(b"\x05" * 32, 1, b"\x06" * 32)
    for flag in (T.BLOCK_ID_FLAG_COMMIT + 256, T.BLOCK_ID_FLAG_ABSENT, 0, 4):
        c = votes.PackedCommit(1, 0, bid, vals, 2, 2)
        e = dual.raises(DecodeError, c.add, 0, flag, 0, b"\x01" * 64)
        assert e.check == "block_id_flag", (flag, e)
        assert c.flag_at(0) == T.BLOCK_ID_FLAG_ABSENT
    for ts in (T.MIN_TIME_NS - 1, T.MAX_TIME_NS + 1):
        c = votes.PackedCommit(1, 0, bid, vals, 2, 2)
        e = dual.raises(DecodeError, c.add_ref, 0, T.BLOCK_ID_FLAG_COMMIT, ts, b"\x01" * 64, 0)
        assert e.check == "timestamp_range", (ts, e)
    for index in (-1, 2):
        c = votes.PackedCommit(1, 0, bid, vals, 2, 2)
        e = dual.raises(DecodeError, c.add, index, T.BLOCK_ID_FLAG_COMMIT, 0, b"\x01" * 64)
        assert e.check == "commit_pack", (index, e)
        assert c.flag_at(1) == T.BLOCK_ID_FLAG_ABSENT


# --- CachingChecker (flat key buffer) ---------------------------------------------------------

def test_caching_checker_remembers_both_verdicts_and_drops_the_oldest_half():
    from lightclient.chip.core.signatures import CachingChecker
    calls = []

    def fn(key_type, pub, msg, sig):
        calls.append(msg)
        return msg.startswith(b"ok")

    c = CachingChecker(fn, max_entries=4)
    assert c.check("ed25519", b"p", b"ok1", b"s") is True
    assert c.check("ed25519", b"p", b"bad", b"s") is False
    assert c.check("ed25519", b"p", b"ok1", b"s") is True   # cached
    assert c.check("ed25519", b"p", b"bad", b"s") is False  # cached
    assert c.check("ed25519", b"q", b"ok1", b"s") is True   # another key: checked
    assert c.check("ed25519", b"p", b"ok1", b"t") is True   # another signature: checked
    assert len(calls) == 4 and c.verified == 4
    c.check("ed25519", b"p", b"ok2", b"s")                  # 5th: the oldest two are dropped
    assert c.verified == 5
    c.check("ed25519", b"p", b"ok1", b"s")                  # dropped: checked again
    c.check("ed25519", b"q", b"ok1", b"s")                  # kept: cached
    assert c.verified == 6


# --- the update decoder builds packed sets and commits ----------------------------------------

def _fixture_state(fx):
    from lightclient.chip.core import rpcjson
    t = fx.TRUSTED
    return TrustedState(rpcjson.header_from_json(t["header"]),
                        rpcjson.validator_set_from_json(t["next_validators"]))


def test_update_signatures_are_read_in_place_and_equal_the_sent_ones():
    import binascii
    from lightclient.chip.core import cbor
    from fixtures import upd4
    trusted = _fixture_state(upd4)
    for name in ("adjacent", "adjacent_all_votes", "multi"):
        data = binascii.unhexlify(upd4.CASES[name][0])
        steps = cbor.loads(data, update.CBOR_DEPTH)[update.K_STEPS]
        by_ref = update.decode_update(bytes(data), trusted)            # signatures not copied
        by_copy = update.decode_update(bytearray(data), trusted)       # mutable input: copied
        for k in range(len(steps)):
            sent = {}
            for e in steps[k][update.S_SIGNATURES]:
                sent[e[0]] = (e[2], T.BLOCK_ID_FLAG_NIL if len(e) == 4 else
                              T.BLOCK_ID_FLAG_COMMIT)
            for blocks in (by_ref, by_copy):
                c = blocks[k].signed_header.commit
                assert isinstance(c, votes.PackedCommit)
                if update.S_NEXT_VALIDATORS in steps[k]:
                    assert isinstance(blocks[k].next_validators, valset.PackedValidatorSet)
                for i in range(c.size()):
                    if i in sent:
                        assert c.signature_at(i) == sent[i][0], (name, k, i)
                        assert c.flag_at(i) == sent[i][1]
                    else:
                        assert c.flag_at(i) == T.BLOCK_ID_FLAG_ABSENT
                        assert c.signature_at(i) == b"" and c.address_at(i) == b""
        assert any(len(e) == 4 for s in steps for e in s[update.S_SIGNATURES]) == \
            (name == "adjacent_all_votes")
    ref = by_ref[0].signed_header.commit
    assert isinstance(ref._src, bytes) and not isinstance(ref._src, bytearray)
    assert isinstance(by_copy[0].signed_header.commit._src, bytearray)


def test_caching_checker_finds_verdicts_across_its_fixed_buffers():
    # 70 verdicts span three key buffers of a fixed size (nothing grows by reallocation on the
    # chip's fixed heap); each is found again, valid or not, without a second check.
    from lightclient.chip.core.signatures import CachingChecker
    c = CachingChecker(lambda kt, pub, msg, sig: msg.startswith(b"ok"))
    msgs = [(b"ok" if i % 3 else b"bad") + bytes([i]) for i in range(70)]
    assert [c.check("ed25519", b"p", m, b"s") for m in msgs] == [i % 3 != 0 for i in range(70)]
    assert [c.check("ed25519", b"p", m, b"s") for m in msgs] == [i % 3 != 0 for i in range(70)]
    assert c.verified == 70
    assert len(c._bufs) == 3 and {len(b) for b in c._bufs} == {33 * 32}
    assert c.check("ed25519", b"p", b"ok-new", b"s") and c.verified == 71


def test_a_packed_set_takes_its_packers_buffers_and_gives_addresses_as_bytes():
    # No copies of the packer's buffers (a few KB on the chip's heap, mid-update); addresses
    # stay bytes, so a plain set (a dict of addresses) can look them up.
    entries = _mixed(7)
    pk = valset.ValidatorPacker(len(entries))
    for kt, pub, p in entries:
        pk.add(kt, pub, p)
    keys, addrs = pk._keys, pk._addrs
    packed = pk.finish()
    assert packed._keys is keys and packed._addrs is addrs
    plain = _plain(entries)
    for i in range(len(entries)):
        a = packed.address_at(i)
        assert type(a) is bytes and plain.index_of(a) == i
    assert valset.ValidatorSet(packed.validators).hash() == plain.hash()
