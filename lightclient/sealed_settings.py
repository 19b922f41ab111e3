# The device's settings, location and skills on the real chain (issue 20, docs/chain-pairing.md
# "The device's settings"). The owner seals them (docs/envelopes.md) under settings/<owner>/
# <device|location|skills>.<device account>; the Pi proves each envelope with ICS23 against the
# same verified header as the device record (a lying source is banned here), brings the chip to
# that header (it verifies every step itself), and hands it the proofs of the envelope and of its
# epoch's key envelope at the chip's trusted header (keys group OPEN_SETTINGS): the chip verifies
# them against that header's app hash, makes the record key from its paired owner, its own
# account and the record's name, refuses a settings version older than one it opened, and does
# the X25519 with the device key. The Pi gets the plaintext, never a key; what it got is cached
# with the record (the offline boot serves it, stale).

import hashlib

from lightclient import mcu_bridge, records
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import txs
from lightclient.chip.core.errors import DecodeError, Unavailable
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K

SEALED_PREFIX = b"\x05"       # x/devices: 0x05 || record key -> an envelope
OPEN_TIMEOUT_S = 20.0         # two X25519 and the envelope's checks on the chip's interpreter
MAX_SETTINGS_JSON = envelope.MAX_PLAINTEXT

# what `sealed.state` says
OPENED = "opened"             # opened on the chip (now, or these very bytes earlier: cached)
NONE_YET = "none"             # the chain proves the owner has sealed no settings for the device
NOT_PAIRED = "not_paired"     # the chip has no owner yet: nobody can seal settings for it
OTHER_DEVICE = "not_this_device"   # another device's record: only its own chip opens its settings


class SettingsSealed(Unavailable):
    """The device's settings are sealed, and nothing here can open them: no chip on the link, and
    these are not bytes the chip opened before."""


class ChipOpener:
    """The chip behind the serial link (lightclient.mcu.McuClient) opens the device's settings.
    client: the light client whose verified head the chip is brought to before it opens them
    (mcu_bridge.push); None: the chip opens them at whatever header it trusts now."""

    def __init__(self, mcu, client=None):
        self.mcu = mcu
        self.client = client

    def owner_id(self):
        """The paired owner's account (bech32), as the chip holds it; None when unpaired."""
        owner = self.mcu.keys(H.OP_READ, K.KEY_INFO).get("owner")
        return None if owner is None else ct.bech32_address(bytes(owner))

    def trusted_header(self, height):
        """(height, app hash) of the header the chip trusts, brought up to `height` first when
        it is behind and there is a client to bring it."""
        st = self.mcu.status()
        if self.client is not None and int(st.get("height") or 0) < height:
            mcu_bridge.push(self.mcu, self.client)
            st = self.mcu.status()
        if st.get("height") is None or st.get("app_hash") is None:
            raise mcu_bridge.BridgeError("chip_not_provisioned", "the chip trusts no header")
        return int(st["height"]), bytes(st["app_hash"])

    def open(self, height, env_ops, epoch_ops, name="device"):
        """The chip verifies both proofs against its trusted header (at `height`) and opens the
        device record `name` (device, location or skills)."""
        p = {"height": height, "env_proof": [list(op) for op in env_ops],
             "epoch_proof": [list(op) for op in epoch_ops]}
        if name != "device":
            p["name"] = name
        return self.mcu.keys(H.OP_WRITE, K.OPEN_SETTINGS, p, timeout=OPEN_TIMEOUT_S)


def settings_key(owner_id, uuid, name="device"):
    return epochs.device_settings_key(owner_id, uuid, name)


# the owner-written records besides the settings: name -> (JSON type, what the device API serves)
OTHER_RECORDS = (("location", dict), ("skills", list))


def _prove(pool, record_key, height, app_hash, until):
    """The envelope at record_key in the state committed by the verified header at `height`
    whose app hash is `app_hash` (asked at height - 1) -> (value or None, proof ops). A source
    whose proof fails is banned by the pool."""
    key, h = SEALED_PREFIX + record_key, height - 1

    def ask(rpc):
        return records.verify_value_answer(rpc.abci_query(txs.QUERY_PATH, key, h, True), key, h,
                                           app_hash, envelope.MAX_ENVELOPE)

    return pool.race(ask, until=until)[0]


def _json_value(plaintext, kind, name):
    value = txs.loads_bounded(plaintext, MAX_SETTINGS_JSON, name)
    if not isinstance(value, kind):
        raise DecodeError("settings_json", "the opened record is not a JSON %s"
                          % ("object" if kind is dict else "array"), record=name)
    return value


def read(pool, header_raw, uuid, opener, cached=None, until=None):
    """The device `uuid`'s settings, location and skills in the state verified light block
    `header_raw` commits -> {"state", "setting", ..., "records": {"location": {"state",
    "value", ...}, "skills": {...}}}. opener: a ChipOpener, or None (no chip on the link: then
    only the cached opening of the very bytes proven now is served, else SettingsSealed).
    cached: the last `read` result kept with the record. Raises what a proof or the chip
    refuses (typed, with its check): the caller keeps the last good ones."""
    owner_id = opener.owner_id() if opener is not None else (cached or {}).get("owner")
    if owner_id is None:
        if opener is not None:
            return {"state": NOT_PAIRED, "setting": {}}
        raise SettingsSealed("settings_sealed", "the device's settings are sealed and only its "
                             "chip opens them (--mcu PORT)")
    mine = None if not cached else dict(
        {k: v for k, v in cached.items() if k not in ("setting", "records")},
        value=cached.get("setting"))
    got = _read_one(pool, header_raw, owner_id, uuid, "device", dict, opener, mine, until)
    out = {k: v for k, v in got.items() if k != "value"}
    out["setting"] = got["value"]
    before = (cached or {}).get("records") or {}
    out["records"] = {name: _read_one(pool, header_raw, owner_id, uuid, name, kind, opener,
                                      before.get(name), until)
                      for name, kind in OTHER_RECORDS}
    return out


def _read_one(pool, header_raw, owner_id, uuid, name, kind, opener, cached, until):
    key = settings_key(owner_id, uuid, name)
    header = header_raw.light_block.signed_header.header
    env, ops = _prove(pool, key, header.height, header.app_hash, until)
    base = {"owner": owner_id, "key": key.decode()}
    if env is None:
        return dict(base, state=NONE_YET, value=kind())
    digest = hashlib.sha256(env).hexdigest()
    if cached and cached.get("state") == OPENED and cached.get("sha256") == digest and \
            cached.get("key") == base["key"]:
        return dict(cached)          # the chip opened these very bytes before: no second open
    if opener is None:
        raise SettingsSealed("settings_sealed", "the device's %s changed on chain and only its "
                             "chip opens them (--mcu PORT)" % name, key=base["key"])
    height, app_hash = opener.trusted_header(header.height)
    if (height, app_hash) != (header.height, header.app_hash):
        # the chip trusts another header (ahead of ours): proven again at that one
        env, ops = _prove(pool, key, height, app_hash, until)
        if env is None:
            return dict(base, state=NONE_YET, value=kind())
        digest = hashlib.sha256(env).hexdigest()
    epoch = envelope.parse(env)[envelope.K_EPOCH]
    epoch_env, epoch_ops = _prove(pool, epochs.epoch_record_key(owner_id, epoch), height,
                                  app_hash, until)
    if epoch_env is None:
        raise Unavailable("epoch_absent", "the chain proves the record's key epoch has no "
                          "envelope", epoch=epoch)
    out = opener.open(height, ops, epoch_ops, name)
    return dict(base, state=OPENED, value=_json_value(bytes(out["plaintext"]), kind, name),
                version=out["version"], epoch=out["epoch"], height=height, sha256=digest)
