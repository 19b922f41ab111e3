# A sealed blob (docs/grants.md): the envelope construction of docs/envelopes.md (a fresh file
# key, ChaCha20-Poly1305, the file key wrapped age-style to each recipient's X25519 key) for data
# too large to live on chain. It carries no writer signature: its SHA-256 is in the index record
# the device's chip signed, so every byte of it is authenticated by that transaction.
#
#   CBOR {0: 1, 1: chain id, 2: owner (bech32), 3: class, 4: class epoch,
#         5: [[recipient, ephemeral, wrapped file key] x 1..32], 6: payload}
#   AD = CBOR ["mycroft-lc/blob/v1", chain id, owner, class, epoch]

from lightclient import native  # noqa: F401 (the Pi's backend: OpenSSL's AEAD over big blobs)
from lightclient.chip.core import cbor
from lightclient.chip.core.cbor_fields import expect_map, get_bytes, get_list, get_text, get_uint
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend
from lightclient.chip.keys import envelope
from lightclient.chip.keys.errors import EnvelopeError
from lightclient.sharing.blobstore import MAX_BLOB

FORMAT = 1
DOMAIN = "mycroft-lc/blob/v1"
OVERHEAD = 8192                     # everything but the plaintext: 32 wraps and the header fit
MAX_PLAINTEXT = MAX_BLOB - OVERHEAD
MAX_OWNER, MAX_CLASS = 90, 64


class SealedBlobError(EnvelopeError):
    """A blob that does not open for this reader: `check` says why (blob_shape, blob_binding,
    blob_not_recipient, blob_wrap, blob_payload)."""


def associated_data(chain_id, owner, klass, epoch):
    return cbor.dumps([DOMAIN, chain_id, owner, klass, epoch])


def seal(chain_id, owner, klass, epoch, plaintext, recipients, random):
    """recipients: X25519 public keys (1..32); random(n) -> n fresh bytes."""
    if not 1 <= len(recipients) <= envelope.MAX_WRAPS:
        raise ValueError("sealed blob: 1..%d recipients" % envelope.MAX_WRAPS)
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("sealed blob: plaintext over %d bytes" % MAX_PLAINTEXT)
    ad = associated_data(chain_id, owner, klass, epoch)
    file_key = random(envelope.KEY_SIZE)
    wraps = [envelope._wrap(file_key, r, random(envelope.KEY_SIZE), ad) for r in recipients]
    return cbor.dumps({0: FORMAT, 1: chain_id, 2: owner, 3: klass, 4: epoch, 5: wraps,
                       6: backend.aead_seal(file_key, envelope.NONCE, bytes(plaintext), ad)})


def _fail(check, message, **details):
    raise SealedBlobError(check, message, **details)


def parse(data):
    if len(data) > MAX_BLOB:
        _fail("blob_size", "sealed blob too large", size=len(data))
    try:
        m = expect_map(cbor.loads(data, max_depth=3, max_items=4 * envelope.MAX_WRAPS + 32,
                                  max_bytes=MAX_BLOB), range(7), (), "blob")
        if get_uint(m, 0) != FORMAT:
            _fail("blob_shape", "unknown blob format")
        get_text(m, 1, max_len=envelope.MAX_CHAIN_ID)
        get_text(m, 2, max_len=MAX_OWNER)
        get_text(m, 3, max_len=MAX_CLASS)
        get_uint(m, 4, max=(1 << 63) - 1)
        wraps = get_list(m, 5, max_len=envelope.MAX_WRAPS)
        get_bytes(m, 6, max_len=MAX_BLOB)
    except DecodeError as e:
        _fail("blob_shape", "not a sealed blob: %s" % e)
    if not wraps or any(not isinstance(w, list) or len(w) != 3
                        or [len(x) if isinstance(x, bytes) else -1 for x in w] != [32, 32, 48]
                        for w in wraps):
        _fail("blob_shape", "wraps are not [recipient, ephemeral, wrapped key]")
    if len(m[6]) < envelope.TAG_SIZE:
        _fail("blob_shape", "payload shorter than its tag")
    return m


def open_(data, chain_id, owner, klass, epoch, identities):
    """The plaintext of a blob the reader proved indexed under (owner, class, epoch) on
    chain_id; identities: {X25519 public key: secret}."""
    m = parse(data)
    if (m[1], m[2], m[3], m[4]) != (chain_id, owner, klass, epoch):
        _fail("blob_binding", "sealed for another chain, owner, class or epoch",
              got="%s %s %s %d" % (m[1], m[2], m[3], m[4]))
    ad = associated_data(chain_id, owner, klass, epoch)
    for recipient, eph_pub, wrapped in m[5]:
        secret = identities.get(bytes(recipient))
        if secret is None:
            continue
        try:
            shared = backend.x25519(secret, eph_pub)
            file_key = backend.aead_open(envelope.wrap_key(shared, eph_pub, recipient),
                                         envelope.NONCE, wrapped, ad)
        except ValueError as e:
            _fail("blob_wrap", "our wrapped key does not open: %s" % e)
        try:
            return backend.aead_open(file_key, envelope.NONCE, m[6], ad)
        except ValueError as e:
            _fail("blob_payload", "the payload does not authenticate: %s" % e)
    _fail("blob_not_recipient", "no wrapped key for any of our keys", epoch=epoch)
