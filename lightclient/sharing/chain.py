# x/devices' BlobMsg (docs/grants.md): the messages of grantees and devices, and the store keys
# and records their readers prove. The Go twin: tools/chain/x/devices/types/keys_blobs.go,
# proto/mycroft/devices/v1/blobs.proto. Pi side (CPython).

import struct

from lightclient.chip.core import proto
from lightclient.owner.chain import address20

MSG_SET_RECIPIENT_KEY = "/mycroft.devices.v1.MsgSetRecipientKey"
MSG_PUT_BLOB = "/mycroft.devices.v1.MsgPutBlob"
BLOB_PREFIX, CLASS_PREFIX, RECIPIENT_PREFIX = b"\x07", b"\x08", b"\x09"
MAX_CLASS = 64


def msg_set_recipient_key(account, x25519_key):
    return MSG_SET_RECIPIENT_KEY, (proto.bytes_field(1, account)
                                   + proto.bytes_field(2, bytes(x25519_key)))


def msg_put_blob(device, klass, sha256, size, epoch, recipients):
    return MSG_PUT_BLOB, (proto.bytes_field(1, device) + proto.bytes_field(2, klass)
                          + proto.bytes_field(3, bytes(sha256)) + proto.varint_field(4, size)
                          + proto.varint_field(5, epoch)
                          + b"".join(proto.bytes_field(6, r) for r in recipients))


def _class(klass):
    b = klass.encode()
    if not 0 < len(b) <= MAX_CLASS:
        raise ValueError("a class is 1..%d bytes" % MAX_CLASS)
    return b


def blob_key(owner_bech, klass, seq):
    b = _class(klass)
    return BLOB_PREFIX + address20(owner_bech) + bytes([len(b)]) + b + struct.pack(">Q", seq)


def class_state_key(owner_bech, klass):
    return CLASS_PREFIX + address20(owner_bech) + _class(klass)


def recipient_key_key(account_bech):
    return RECIPIENT_PREFIX + address20(account_bech)


def decode_blob_record(value):
    """protobuf BlobRecord -> {class, device, sha256, size, epoch, time, recipients}."""
    fs = proto.fields(bytes(value), 64)
    return {"class": proto.get_one(fs, 1, proto.LEN, b"").decode(),
            "device": proto.get_one(fs, 2, proto.LEN, b"").decode(),
            "sha256": proto.get_one(fs, 3, proto.LEN, b""),
            "size": proto.get_one(fs, 4, proto.VARINT, 0),
            "epoch": proto.get_one(fs, 5, proto.VARINT, 0),
            "time": proto.to_int64(proto.get_one(fs, 6, proto.VARINT, 0)),
            "recipients": [r.decode() for r in proto.get_all(fs, 7, proto.LEN)]}


def decode_class_state(value):
    """protobuf ClassState (absent: epoch 0, no blob) -> {epoch, blobs}."""
    fs = proto.fields(bytes(value or b""), 8)
    return {"epoch": proto.get_one(fs, 1, proto.VARINT, 0),
            "blobs": proto.get_one(fs, 2, proto.VARINT, 0)}


def decode_recipient_key(value):
    return proto.get_one(proto.fields(bytes(value), 4), 1, proto.LEN, b"")
