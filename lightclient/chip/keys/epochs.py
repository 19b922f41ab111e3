# Key epochs (docs/envelopes.md, "Epochs"): settings are sealed to the owner's current epoch key,
# one X25519 key pair per epoch, and the epoch's secret is itself sealed, in an envelope the owner
# signs, to each paired device's X25519 key. A record's overhead is then one wrap whatever the
# number of devices, and removing a device costs one new epoch envelope wrapped to the devices
# that stay; what is written after it is sealed to a key the removed device never receives.
#
# The owner derives every epoch's secret from its own X25519 secret (HKDF, per chain and epoch
# number), so a restored owner key recovers every epoch without a wrap to itself, and a device
# that knew epoch n learns nothing about epoch n+1.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.crypto import backend
from lightclient.chip.keys import envelope
from lightclient.chip.keys.errors import EnvelopeError

EPOCH_INFO = b"mycroft-lc/epoch/v1"


def epoch_record_key(owner_id, epoch):
    """The on-chain key of an owner's epoch envelope (owner_id: the owner's account, text)."""
    return ("epoch/%s/%d" % (owner_id, epoch)).encode()


# The owner-written records of one device (OPEN_SETTINGS `name`): its settings, its location,
# its skills' settings (what the device API serves on /setting, /location, /skill).
DEVICE_RECORDS = ("device", "location", "skills")


def device_settings_key(owner_id, device_id, name="device"):
    """The on-chain key of one of a device's owner-written records, sealed to its owner's
    epoch: settings/<owner account>/<name>.<device account> (both bech32), name one of
    DEVICE_RECORDS. The chip makes it from its paired owner and its own account key, so no Pi
    can point it at another record."""
    return ("settings/%s/%s.%s" % (owner_id, name, device_id)).encode()


# What a device writes itself (x/devices MsgDeviceWrite, docs/device-writes.md): kind name in the
# device API -> its name in the record key (the chain's types.WriteKindNames).
WRITE_KINDS = {"skill_settings": "skills", "settings_meta": "meta", "metrics": "metrics"}


def device_write_key(owner_id, device_pub, kind):
    """write/<owner account>/<device Ed25519 key, lower-case hex>.<skills|meta|metrics>: the
    record a paired device writes itself, sealed to its owner's epoch and signed by that device.
    The chip makes it from its paired owner and its own key (SEAL_OWN)."""
    return ("write/%s/%s.%s" % (owner_id, bytes(device_pub).hex(), WRITE_KINDS[kind])).encode()


def write_writer(record_key):
    """The only writer of a write/ record: ("ed25519", the device key the key names); None for
    any other record key or a malformed one."""
    parts = bytes(record_key).split(b"/")
    if len(parts) != 3 or parts[0] != b"write" or len(parts[2]) < 66 or parts[2][64:65] != b".":
        return None
    try:
        pub = bytes.fromhex(parts[2][:64].decode())
    except (ValueError, UnicodeError):
        return None
    return ("ed25519", pub) if len(pub) == 32 else None


def epoch_secret(owner_x25519_secret, chain_id, epoch):
    return backend.hkdf_sha256(owner_x25519_secret, b"", EPOCH_INFO + b"|" + chain_id.encode()
                               + b"|" + str(epoch).encode(), 32)


def epoch_public(secret):
    return backend.x25519_public_key(secret)


def seal_epoch(chain_id, owner_id, epoch, secret, device_keys, owner_writer, sign, random):
    """The epoch envelope: `secret` sealed to every device X25519 key in `device_keys`.
    Its version is the epoch number, so an older epoch cannot be replayed as a newer one."""
    return envelope.seal(chain_id, epoch_record_key(owner_id, epoch), epoch, epoch, secret,
                         device_keys, owner_writer, sign, random)


def open_epoch(data, chain_id, owner_id, epoch, owner_writer, device_x25519_secret,
               device_x25519_public):
    """The device's side: the epoch's secret, checked against the public key it claims."""
    opened = envelope.open_(data, chain_id, epoch_record_key(owner_id, epoch), epoch,
                            [owner_writer], {bytes(device_x25519_public): device_x25519_secret})
    if opened.version != epoch or opened.epoch != epoch or len(opened.plaintext) != 32:
        raise EnvelopeError("epoch_shape", "not an epoch key envelope", epoch=opened.epoch)
    return opened.plaintext


def epoch_identity(secret):
    """{public: secret}, the `identities` argument of envelope.open_ for a record of the epoch."""
    return {epoch_public(secret): secret}
