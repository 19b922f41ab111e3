"""Where a chain keeps a device's record and how its bytes read: one layout per chain kind, the
one switch between the two networks the client follows (docs/chain.md, docs/scenario-network.md).

- "cosmos-sdk": the real chain's x/devices module (tools/chain/x/devices/types/keys.go). The
  device is named by its account address (bech32 "mycroft1..."); its record is stored in the
  "devices" IAVL store at 0x01 || address (20 bytes) as protobuf mycroft.devices.v1.Device
  {owner, pub_key, settings, version}. The chain holds no plaintext settings (its `settings`
  field stays empty, and is not read): they are sealed envelopes the chip opens
  (sealed_settings.py), put into the record's "setting" by the client.
- "scenarionet": the Python scenario network (lightclient/scenarionet), which keeps canonical
  JSON records at "device/" || uuid (docs/device-records.md) for the jobs only it can do (long
  histories, many validators, forks). "devnet", its old name, is still read (configs written
  before the rename) and means the same layout; canonical() turns it into the new name.
"""

from lightclient.chip import bech32, txs
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, ProofError

SCENARIONET = "scenarionet"
COSMOS_SDK = "cosmos-sdk"
KINDS = (SCENARIONET, COSMOS_SDK)
LEGACY_KINDS = {"devnet": SCENARIONET}   # read for compatibility, never written
DEVICE_KEY_PREFIX = b"\x01"          # types.DeviceKeyPrefix
MAX_DEVICE_FIELDS = 64


def address_of(name):
    """A bech32 account address ("mycroft1...") -> its 20 bytes. The string must be exactly
    what encoding those bytes gives (lower case, checksum), so no second spelling maps to one
    device. DecodeError("device_address") otherwise."""
    if not isinstance(name, str) or not name.startswith(ct.ADDRESS_PREFIX + "1") or \
            len(name) > txs.MAX_UUID:
        raise DecodeError("device_address", "not a %s1... account address" % ct.ADDRESS_PREFIX)
    acc, bits, out = 0, 0, bytearray()
    body = name[len(ct.ADDRESS_PREFIX) + 1:-6]
    for ch in body:
        v = bech32.CHARSET.find(ch)
        if v < 0:
            raise DecodeError("device_address", "character outside bech32's alphabet")
        acc = (acc << 5) | v
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if len(out) != 20 or bech32.encode(ct.ADDRESS_PREFIX, bytes(out)) != name:
        raise DecodeError("device_address", "bad checksum or not a 20-byte address")
    return bytes(out)


class ScenarioNetLayout:
    kind = SCENARIONET

    @staticmethod
    def key(uuid):
        return txs.record_key(uuid)

    @staticmethod
    def decode(value, uuid):
        rec = txs.decode_record(value)
        if rec.get("uuid") != uuid:
            raise ProofError("record_uuid", "proven record names another device")
        return rec


class XDevicesLayout:
    kind = COSMOS_SDK

    @staticmethod
    def key(uuid):
        return DEVICE_KEY_PREFIX + address_of(uuid)

    @staticmethod
    def decode(value, uuid):
        """Device protobuf -> {"uuid", "owner", "device_pubkey" (hex), "version", "setting": {}
        (filled from the sealed settings by the client)}. The public key must be the one whose
        address names the record (else ProofError record_address)."""
        if len(value) > txs.MAX_RECORD_BYTES:
            raise DecodeError("record_too_large", "record larger than the limit",
                              length=len(value))
        fs = proto.fields(bytes(value), MAX_DEVICE_FIELDS)
        owner = proto.get_one(fs, 1, proto.LEN, b"")
        pub = proto.get_one(fs, 2, proto.LEN, b"")
        version = proto.get_one(fs, 4, proto.VARINT, 0)
        if len(pub) != 33 or pub[0] not in (2, 3):
            raise DecodeError("record_field", "device pub_key is not a compressed secp256k1 "
                              "key", field="pub_key")
        if ct.account_address(pub) != address_of(uuid):
            raise ProofError("record_address", "proven record's key is not the device's")
        try:
            owner = owner.decode()
        except UnicodeError:
            raise DecodeError("record_field", "owner is not UTF-8", field="owner")
        return {"uuid": uuid, "owner": owner, "device_pubkey": pub.hex(), "version": version,
                "setting": {}}


LAYOUTS = {SCENARIONET: ScenarioNetLayout, COSMOS_SDK: XDevicesLayout}


def canonical(kind):
    """The chain kind under its current name ("devnet" -> "scenarionet"); others unchanged."""
    return LEGACY_KINDS.get(kind, kind) if isinstance(kind, str) else kind


def layout(kind):
    kind = canonical(kind)
    if kind not in LAYOUTS:
        raise DecodeError("chain_kind", "unknown chain kind", kind=str(kind)[:20],
                          valid=",".join(KINDS))
    return LAYOUTS[kind]
