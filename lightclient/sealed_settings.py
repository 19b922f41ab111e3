# The device's settings on the real chain (issue 20, docs/chain-pairing.md "The device's
# settings"). The owner seals them (docs/envelopes.md) under settings/<owner>/device.<device
# account>; the Pi proves that envelope and its epoch's key envelope with ICS23 against the same
# verified header as the device record, and the chip opens them (keys group OPEN_SETTINGS): the
# X25519 with the device key happens there, the record key is made there from the chip's paired
# owner and its own account, and the version may not go back. The Pi gets the plaintext settings,
# never a key; what it got is cached with the record (the offline boot serves it, stale).

import hashlib

from lightclient import records
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
    """The chip behind the serial link (lightclient.mcu.McuClient) opens the device's settings."""

    def __init__(self, mcu):
        self.mcu = mcu

    def owner_id(self):
        """The paired owner's account (bech32), as the chip holds it; None when unpaired."""
        owner = self.mcu.keys(H.OP_READ, K.KEY_INFO).get("owner")
        return None if owner is None else ct.bech32_address(bytes(owner))

    def open(self, epoch, epoch_env, env):
        return self.mcu.keys(H.OP_WRITE, K.OPEN_SETTINGS, {"epoch": epoch, "epoch_env": epoch_env,
                                                           "env": env}, timeout=OPEN_TIMEOUT_S)


def settings_key(owner_id, uuid):
    return epochs.device_settings_key(owner_id, uuid)


def _prove(pool, record_key, header_raw, until):
    return records.fetch_value(pool, SEALED_PREFIX + record_key, header_raw,
                               envelope.MAX_ENVELOPE, until)


def _json_object(plaintext):
    setting = txs.loads_bounded(plaintext, MAX_SETTINGS_JSON, "settings")
    if not isinstance(setting, dict):
        raise DecodeError("settings_json", "the opened settings are not a JSON object")
    return setting


def read(pool, header_raw, uuid, opener, cached=None, until=None):
    """The device `uuid`'s settings in the state verified light block `header_raw` commits ->
    {"state", "setting", ...}. opener: a ChipOpener, or None (no chip on the link: then only
    the cached opening of the very bytes proven now is served, else SettingsSealed). cached: the
    last `read` result kept with the record. Raises what a proof or the chip refuses (typed,
    with its check): the caller keeps the last good settings."""
    owner_id = opener.owner_id() if opener is not None else (cached or {}).get("owner")
    if owner_id is None:
        if opener is not None:
            return {"state": NOT_PAIRED, "setting": {}}
        raise SettingsSealed("settings_sealed", "the device's settings are sealed and only its "
                             "chip opens them (--mcu PORT)")
    key = settings_key(owner_id, uuid)
    env = _prove(pool, key, header_raw, until)
    base = {"owner": owner_id, "key": key.decode()}
    if env is None:
        return dict(base, state=NONE_YET, setting={})
    digest = hashlib.sha256(env).hexdigest()
    if cached and cached.get("state") == OPENED and cached.get("sha256") == digest and \
            cached.get("key") == base["key"]:
        return dict(cached)          # the chip opened these very bytes before: no second open
    if opener is None:
        raise SettingsSealed("settings_sealed", "the device's settings changed on chain and only "
                             "its chip opens them (--mcu PORT)", key=base["key"])
    epoch = envelope.parse(env)[envelope.K_EPOCH]
    epoch_env = _prove(pool, epochs.epoch_record_key(owner_id, epoch), header_raw, until)
    if epoch_env is None:
        raise Unavailable("epoch_absent", "the chain proves the settings' key epoch has no "
                          "envelope", epoch=epoch)
    out = opener.open(epoch, epoch_env, env)
    return dict(base, state=OPENED, setting=_json_object(bytes(out["plaintext"])),
                version=out["version"], epoch=out["epoch"], sha256=digest)
