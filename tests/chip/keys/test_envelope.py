# Sealed envelopes (lightclient.chip.keys.envelope, docs/envelopes.md): a round trip on the pure
# and the Pi's native backends, and every way a node could lie (a swapped, replayed, stripped or
# forged envelope) ends in an EnvelopeError naming its check, never in wrong plaintext.
import pytest

from keyhelpers import Device, Drbg, Owner
from lightclient.chip.core import cbor
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend, pure
from lightclient.chip.keys import envelope as E
from lightclient.chip.keys.errors import EnvelopeError

CHAIN = "mycroft-local-1"
KEY = b"settings/dev-1"
OWNER, DEV, OTHER = Owner(), Device("dev-1"), Device("dev-2")


@pytest.fixture(params=["pure", "host"])
def impl(request):
    """Run a test on the pure-Python backend and on the Pi's native one."""
    if request.param == "host":
        import lightclient.native  # noqa: F401 (installs OpenSSL / libsecp256k1)
        yield
        return
    saved = backend._impl
    backend._impl = pure
    try:
        yield
    finally:
        backend._impl = saved


def _seal(plaintext=b'{"lang": "de-de"}', version=3, epoch=0, recipients=None, key=KEY,
          chain=CHAIN, writer=OWNER, seed="r"):
    return E.seal(chain, key, version, epoch, plaintext, recipients or [DEV.x_pub],
                  writer.writer, writer.sign, Drbg(seed))


def _open(data, min_version=1, writers=None, ident=None, key=KEY, chain=CHAIN):
    return E.open_(data, chain, key, min_version, writers or [OWNER.writer],
                   ident or {DEV.x_pub: DEV.x_sk})


def _check(data, check, **kw):
    with pytest.raises(EnvelopeError) as e:
        _open(data, **kw)
    assert e.value.check == check, e.value
    return e.value


def test_round_trip_on_each_backend(impl):
    data = _seal(recipients=[OTHER.x_pub, DEV.x_pub])
    opened = _open(data)
    assert (opened.plaintext, opened.version, opened.epoch) == (b'{"lang": "de-de"}', 3, 0)
    assert opened.writer == OWNER.writer
    assert _open(data, ident={OTHER.x_pub: OTHER.x_sk}).plaintext == b'{"lang": "de-de"}'


def test_the_backends_interoperate(impl):
    # sealed on one backend, opened on the other (the chip opens what the Pi sealed)
    saved = backend._impl
    backend._impl = pure
    data = _seal()
    backend._impl = saved
    assert _open(data).plaintext == b'{"lang": "de-de"}'


def test_the_same_randomness_gives_the_same_bytes_and_fresh_randomness_other_bytes():
    assert _seal(seed="a") == _seal(seed="a") != _seal(seed="b")


def test_swapped_to_another_record_or_chain():
    data = _seal()
    _check(data, "envelope_record_key", key=b"settings/dev-9")
    _check(data, "envelope_chain", chain="other-chain")


def test_replayed_older_version():
    e = _check(_seal(version=3), "envelope_replayed", min_version=4)
    assert e.details == {"version": 3, "min_version": 4}


def _body(data):
    return cbor.loads(data)


def _resign(body, signer):
    body = dict(body)
    body.pop(E.K_SIG, None)
    body[E.K_SIG] = signer.sign(E.signing_bytes(body))
    return cbor.dumps(body)


def test_stripped_wrap_breaks_the_signature():
    body = _body(_seal(recipients=[OTHER.x_pub, DEV.x_pub]))
    body[E.K_WRAPS] = body[E.K_WRAPS][:1]        # the node drops dev-1's wrapped key
    _check(cbor.dumps(body), "envelope_signature")


def test_an_owner_signed_envelope_without_our_wrap_is_not_for_us():
    _check(_seal(recipients=[OTHER.x_pub]), "envelope_not_recipient")


def test_forged_signature_and_unknown_writer():
    body = _body(_seal())
    body[E.K_SIG] = bytes(64)
    _check(cbor.dumps(body), "envelope_signature")
    mallory = Owner("mallory")
    _check(_seal(writer=mallory), "envelope_writer")
    # mallory's signature under the owner's name
    body = _body(_seal(writer=mallory))
    body[E.K_WRITER] = list(OWNER.writer)
    _check(cbor.dumps(body), "envelope_signature")


def test_every_field_is_covered_by_the_signature():
    body = _body(_seal())
    for k in (E.K_VERSION, E.K_EPOCH):
        b = dict(body)
        b[k] = body[k] + 1
        _check(cbor.dumps(b), "envelope_signature")
    b = dict(body)
    b[E.K_PAYLOAD] = bytes([body[E.K_PAYLOAD][0] ^ 1]) + body[E.K_PAYLOAD][1:]
    _check(cbor.dumps(b), "envelope_signature")


def test_a_payload_from_another_envelope_does_not_authenticate_even_if_the_writer_signs_it():
    # the writer itself (or a bug) pairs wraps with another record's payload: the AEAD refuses
    a, b = _body(_seal(seed="a")), _body(_seal(seed="b"))
    a[E.K_PAYLOAD] = b[E.K_PAYLOAD]
    _check(_resign(a, OWNER), "envelope_payload")


def test_a_wrap_with_a_small_order_ephemeral_key_is_refused():
    body = _body(_seal())
    body[E.K_WRAPS] = [[DEV.x_pub, bytes(32), body[E.K_WRAPS][0][2]]]
    e = _check(_resign(body, OWNER), "envelope_wrap")
    assert "all-zero" in e.message


def test_sealing_to_a_small_order_recipient_is_refused():
    with pytest.raises(ValueError, match="all-zero"):
        _seal(recipients=[bytes(32)])


def test_shape_errors_are_typed():
    with pytest.raises(DecodeError):
        _open(b"\xa1\x00")
    body = _body(_seal())
    body[E.K_FORMAT] = 2
    _check(cbor.dumps(body), "envelope_format")
    body = _body(_seal())
    body[E.K_WRAPS] = [[DEV.x_pub, DEV.x_pub]]
    _check(cbor.dumps(body), "envelope_wrap_shape")
    _check(b"\x00" * (E.MAX_ENVELOPE + 1), "envelope_size")
    body = _body(_seal())
    body[E.K_WRITER] = [[1], OWNER.pub]      # an unhashable key type: typed, not a TypeError
    _check(cbor.dumps(body), "envelope_writer")


def test_device_written_record():
    data = _seal(writer=DEV, recipients=[OTHER.x_pub])
    got = _open(data, writers=[OWNER.writer, DEV.writer], ident={OTHER.x_pub: OTHER.x_sk})
    assert got.writer == DEV.writer


def test_the_signed_part_cut_from_an_envelope_is_its_body_encoded_again():
    # verify() hashes the signed bytes cut out of the envelope (signed_part) instead of encoding
    # the body again: the same bytes for every shape (wraps, payload sizes, both writers)
    for n_wraps, size, writer in ((1, 0, OWNER), (1, 4096, OWNER), (3, 23, DEV), (5, 300, OWNER),
                                  (2, 16384, DEV)):
        data = _seal(plaintext=bytes(range(256)) * (size // 256) + b"x" * (size % 256),
                     recipients=[Device("r%d" % i).x_pub for i in range(n_wraps)], writer=writer)
        body = _body(data)
        body.pop(E.K_SIG)
        assert bytes(E.signed_part(data, body)) == E.signing_bytes(body)
    # anything not ending in a 64-byte signature entry is encoded again, never cut blindly
    body = _body(_seal())
    odd = cbor.dumps({0: 1})
    assert bytes(E.signed_part(odd, body)) == E.signing_bytes(body)


def test_a_lone_wrap_opens_with_the_secret_alone_and_a_failure_names_its_check(impl):
    data = _seal()
    m = E.verify(data, CHAIN, KEY, 1, [OWNER.writer])
    assert E.decrypt_with_secret(dict(m), DEV.x_sk).plaintext == b'{"lang": "de-de"}'
    with pytest.raises(EnvelopeError) as e:       # sealed to another key
        E.decrypt_with_secret(dict(m), OTHER.x_sk)
    assert e.value.check == "envelope_not_recipient"
    bad = dict(m)                                  # our wrap, its wrapped key broken
    r, eph, wrapped = m[E.K_WRAPS][0]
    bad[E.K_WRAPS] = [[r, eph, bytes([wrapped[0] ^ 1]) + wrapped[1:]]]
    with pytest.raises(EnvelopeError) as e:
        E.decrypt_with_secret(bad, DEV.x_sk)
    assert e.value.check == "envelope_wrap"
    # several wraps: ours is found by its public key, as decrypt() does
    m = E.verify(_seal(recipients=[OTHER.x_pub, DEV.x_pub]), CHAIN, KEY, 1, [OWNER.writer])
    assert E.decrypt_with_secret(m, DEV.x_sk).plaintext == b'{"lang": "de-de"}'
