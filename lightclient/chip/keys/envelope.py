# Sealed envelopes (docs/envelopes.md): a record's bytes sealed with a fresh file key under
# ChaCha20-Poly1305, the file key wrapped for each recipient age-style (a fresh ephemeral X25519 key
# per wrap, HKDF-SHA256 salted with both public keys, the same AEAD), the whole signed by its
# writer. The AEAD's associated data binds the record's on-chain key, its version, the key epoch
# and the chain id, and so does the signature: an envelope moved to another key, chain or version
# does not open.
#
#   seal(chain_id, record_key, version, epoch, plaintext, recipients, writer, sign, random)
#       -> envelope bytes
#   open_(data, chain_id, record_key, min_version, writers, identities) -> Opened
#     = decrypt(verify(data, chain_id, record_key, min_version, writers), identities)
#   decrypt_with_secret(body, secret): decrypt() with a secret whose public key is not at hand
#
# Pure: randomness (`random(n)`) and signing (`sign(message)`) are handed in, nothing here reads a
# clock or a file. The checks run cheapest first (shape, binding, writer, signature, then the
# X25519 and AEAD work) and each failure is an EnvelopeError naming its check.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.core import cbor
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.cbor_fields import (expect_map, get_bytes, get_list, get_text,
                                               get_uint)
from lightclient.chip.crypto import backend
from lightclient.chip.keys.errors import EnvelopeError

FORMAT = 1
DOMAIN = "mycroft-lc/envelope/v1"
WRAP_INFO = b"mycroft-lc/wrap/v1"
SIGN_PREFIX = b"mycroft-lc/envelope/v1 signature\x00"
VIEW_MIN = 1024            # parse(views=True): byte strings this long are views (the payload)
NONCE = bytes(12)          # every AEAD key here seals exactly one message: a zero nonce is safe
KEY_SIZE = 32
TAG_SIZE = 16
MAX_PLAINTEXT = 16384      # a record on chain is at most 16 KiB
MAX_WRAPS = 32
MAX_CHAIN_ID = 64
MAX_RECORD_KEY = 128
MAX_ENVELOPE = MAX_PLAINTEXT + 8192
WRITER_TYPES = {"ed25519": 32, "secp256k1": 33}

# map keys of the envelope
K_FORMAT, K_CHAIN, K_KEY, K_VERSION, K_EPOCH, K_WRAPS, K_PAYLOAD, K_WRITER, K_SIG = range(9)


class Opened:
    def __init__(self, plaintext, version, epoch, writer):
        self.plaintext = plaintext
        self.version = version
        self.epoch = epoch
        self.writer = writer      # (key type, public key)


def associated_data(chain_id, record_key, version, epoch):
    return cbor.dumps([DOMAIN, chain_id, record_key, version, epoch])


def wrap_key(shared, ephemeral_pub, recipient_pub):
    return backend.hkdf_sha256(shared, ephemeral_pub + recipient_pub, WRAP_INFO, KEY_SIZE)


def _wrap(file_key, recipient_pub, ephemeral_secret, ad):
    eph_pub = backend.x25519_public_key(ephemeral_secret)
    shared = backend.x25519(ephemeral_secret, recipient_pub)   # refuses an all-zero secret
    key = wrap_key(shared, eph_pub, recipient_pub)
    return [bytes(recipient_pub), eph_pub, backend.aead_seal(key, NONCE, file_key, ad)]


def signing_bytes(body):
    """What the writer signs: a domain prefix and the envelope's map without the signature."""
    return SIGN_PREFIX + cbor.dumps(body)


# The signature's entry, last in the map: key 8, a 64-byte string (header 0x58 0x40), its bytes.
_SIG_ENTRY = b"\x08\x58\x40"
_SIG_ENTRY_LEN = len(_SIG_ENTRY) + 64


def signed_part(data, body):
    """signing_bytes(body) for the envelope `data` that parse() decoded into `body` (without
    its signature), cut out of `data` instead of encoding the body again (a 4 KB payload copied
    three times on the chip's heap): the decoder accepts only deterministic CBOR, so `data` is
    the encoding of its 9-entry map (0xA9) with the signature's entry last, and the map without
    it is 0xA8 and the bytes between. Anything else is encoded again."""
    n = len(data) - _SIG_ENTRY_LEN
    if n < 1 or data[0] != 0xA9 or bytes(data[n:n + len(_SIG_ENTRY)]) != _SIG_ENTRY:
        return signing_bytes(body)
    p = len(SIGN_PREFIX)
    out = bytearray(p + n)
    out[:p] = SIGN_PREFIX
    out[p] = 0xA8
    out[p + 1:] = memoryview(data)[1:n]
    return out


def seal(chain_id, record_key, version, epoch, plaintext, recipients, writer, sign, random):
    """`recipients`: X25519 public keys; `writer`: (key type, public key); `sign(msg)` -> 64
    bytes; `random(n)` -> n fresh random bytes."""
    if not 1 <= len(recipients) <= MAX_WRAPS:
        raise ValueError("envelope: 1..%d recipients" % MAX_WRAPS)
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("envelope: plaintext over %d bytes" % MAX_PLAINTEXT)
    ad = associated_data(chain_id, record_key, version, epoch)
    file_key = random(KEY_SIZE)
    wraps = [_wrap(file_key, r, random(KEY_SIZE), ad) for r in recipients]
    body = {K_FORMAT: FORMAT, K_CHAIN: chain_id, K_KEY: bytes(record_key), K_VERSION: version,
            K_EPOCH: epoch, K_WRAPS: wraps,
            K_PAYLOAD: backend.aead_seal(file_key, NONCE, plaintext, ad),
            K_WRITER: [writer[0], bytes(writer[1])]}
    body[K_SIG] = sign(signing_bytes(body))
    return cbor.dumps(body)


def _fail(check, message, **details):
    raise EnvelopeError(check, message, **details)


def parse(data, views=False):
    """Decode and check the shape (every size bounded) -> the body map with the signature.
    views: the payload comes back as a memoryview of `data` (which must then not change while
    it is in use), not a copy: the chip's 4 KB record is not held twice."""
    if len(data) > MAX_ENVELOPE:
        _fail("envelope_size", "envelope too large", size=len(data), max=MAX_ENVELOPE)
    items = 4 * MAX_WRAPS + 32
    if views:
        m, end = cbor.loads_prefix(data, 0, 4, items, MAX_ENVELOPE, VIEW_MIN)
        if end != len(data):
            raise DecodeError("cbor_trailing_bytes", "bytes after the item", offset=end,
                              trailing=len(data) - end)
    else:
        m = cbor.loads(data, max_depth=4, max_items=items)
    m = expect_map(m, range(9), (), "envelope")
    if get_uint(m, K_FORMAT) != FORMAT:
        _fail("envelope_format", "unknown envelope format", format=m[K_FORMAT])
    get_text(m, K_CHAIN, max_len=MAX_CHAIN_ID)
    get_bytes(m, K_KEY, max_len=MAX_RECORD_KEY)
    get_uint(m, K_VERSION, max=(1 << 63) - 1)
    get_uint(m, K_EPOCH, max=(1 << 32) - 1)
    wraps = get_list(m, K_WRAPS, max_len=MAX_WRAPS)
    for w in wraps:
        if (not isinstance(w, list) or len(w) != 3 or not all(isinstance(x, bytes) for x in w)
                or len(w[0]) != 32 or len(w[1]) != 32 or len(w[2]) != KEY_SIZE + TAG_SIZE):
            _fail("envelope_wrap_shape", "a wrap is not [recipient, ephemeral, wrapped key]")
    if not wraps:
        _fail("envelope_wrap_shape", "no wraps")
    payload = m[K_PAYLOAD]
    if not isinstance(payload, memoryview):   # (only a long payload is a view: bounded here)
        get_bytes(m, K_PAYLOAD, max_len=MAX_PLAINTEXT + TAG_SIZE)
    elif len(payload) > MAX_PLAINTEXT + TAG_SIZE:
        raise DecodeError("cbor_field_length", "too long", field=K_PAYLOAD,
                          length=len(payload), max_len=MAX_PLAINTEXT + TAG_SIZE)
    if len(payload) < TAG_SIZE:
        _fail("envelope_payload", "payload shorter than its tag")
    w = get_list(m, K_WRITER, max_len=2)
    if (len(w) != 2 or not isinstance(w[0], str) or w[0] not in WRITER_TYPES
            or not isinstance(w[1], bytes)
            or len(w[1]) != WRITER_TYPES[w[0]]):
        _fail("envelope_writer", "writer is not [key type, public key]")
    get_bytes(m, K_SIG, exact_len=64)
    return m


def open_(data, chain_id, record_key, min_version, writers, identities):
    """Open an envelope read under `record_key` on `chain_id`.
    `min_version`: the lowest version the reader accepts (the last it saw, or that + 1);
    `writers`: the (key type, public key) pairs allowed to write this record;
    `identities`: {X25519 public key: secret key} the reader holds (its own, its epoch keys)."""
    return decrypt(verify(data, chain_id, record_key, min_version, writers), identities)


def verify(data, chain_id, record_key, min_version, writers, views=False):
    """open_'s checks up to the writer's signature, nothing decrypted -> the body map (without
    the signature): an authentic envelope of this record, not older than min_version.
    views: as parse's (the payload a view of `data`)."""
    m = parse(data, views)
    if m[K_CHAIN] != chain_id:
        _fail("envelope_chain", "sealed for another chain", got=m[K_CHAIN], want=chain_id)
    if m[K_KEY] != bytes(record_key):
        _fail("envelope_record_key", "sealed for another record", got=m[K_KEY],
              want=bytes(record_key))
    if m[K_VERSION] < min_version:
        _fail("envelope_replayed", "older than the version already seen",
              version=m[K_VERSION], min_version=min_version)
    writer = (m[K_WRITER][0], m[K_WRITER][1])
    if writer not in [(t, bytes(k)) for t, k in writers]:
        _fail("envelope_writer", "not signed by a writer of this record", writer=writer[1])
    sig = m.pop(K_SIG)
    if not backend.verify(writer[0], writer[1], signed_part(data, m), sig):
        _fail("envelope_signature", "the writer's signature does not verify")
    return m


def decrypt(m, identities):
    """The plaintext of a body map `verify` returned, with one of `identities`' keys."""
    ad = _associated(m)
    file_key = None
    for recipient, eph_pub, wrapped in m[K_WRAPS]:
        secret = identities.get(recipient)
        if secret is None:
            continue
        try:
            shared = backend.x25519(secret, eph_pub)
            file_key = backend.aead_open(wrap_key(shared, eph_pub, recipient), NONCE, wrapped, ad)
        except ValueError as e:
            _fail("envelope_wrap", "our wrapped key does not open: %s" % e, recipient=recipient)
        break
    if file_key is None:
        _fail("envelope_not_recipient", "no wrapped key for any of our keys",
              epoch=m[K_EPOCH])
    return _payload(m, file_key, ad)


def decrypt_with_secret(m, secret):
    """decrypt() for a reader holding an X25519 secret without its public key (an epoch key
    just unwrapped: making the public key costs a scalar multiplication, 0.9 M instructions on
    the chip). A lone wrap is opened with the recipient key it names: it opens only if its
    maker's X25519 share was made with this secret's public key, so it was sealed to us
    whatever key it names, and the envelope's writer signed it. With several wraps, or when the
    lone one does not open, the public key is made and decrypt() finds our wrap and names the
    failed check exactly (envelope_not_recipient, envelope_wrap)."""
    wraps = m[K_WRAPS]
    if len(wraps) == 1:
        recipient, eph_pub, wrapped = wraps[0]
        ad = _associated(m)
        try:
            shared = backend.x25519(secret, eph_pub)
            file_key = backend.aead_open(wrap_key(shared, eph_pub, recipient), NONCE, wrapped, ad)
        except ValueError:
            file_key = None
        if file_key is not None:
            return _payload(m, file_key, ad)
    return decrypt(m, {backend.x25519_public_key(secret): secret})


def _associated(m):
    return associated_data(m[K_CHAIN], m[K_KEY], m[K_VERSION], m[K_EPOCH])


def _payload(m, file_key, ad):
    try:
        plaintext = backend.aead_open(file_key, NONCE, m[K_PAYLOAD], ad)
    except ValueError as e:
        _fail("envelope_payload", "the payload does not authenticate: %s" % e)
    return Opened(plaintext, m[K_VERSION], m[K_EPOCH], (m[K_WRITER][0], m[K_WRITER][1]))
