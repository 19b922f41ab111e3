# The user-held-keys SMP group (smp/keys.py, 0x4B59): provisioning for pairing, the pairing
# exchange, opening sealed settings, factory reset. Payloads: docs/pairing.md.

from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K

from lightclient.chip.app import common as F

MAX_ENVELOPE = 12288
MAX_WRITE = 4096       # a device write's plaintext (x/devices: MaxSettingsLen)


def _keyring(fw):
    # imported on first use: a chip that only verifies updates keeps the pairing and envelope
    # modules' globals out of its 96 KiB heap
    kr = getattr(fw, "keyring", None)
    if kr is None:
        from lightclient.chip.app.keyring import Keyring
        kr = fw.keyring = Keyring(fw.device)
    return kr


def provision(fw, p, now_ms):
    chain_id = F.field(p, "chain_id", "str", required=True, max_len=64)
    return _keyring(fw).provision(fw.device.rng, chain_id)


def key_info(fw, p, now_ms):
    return _keyring(fw).info(now_ms)


def open_window(fw, p, now_ms):
    return {"until_ms": _keyring(fw).open_window(now_ms)}


def pair_start(fw, p, now_ms):
    share = F.field(p, "share", "bytes", required=True, max_len=65)
    owner = F.field(p, "owner", "bytes", required=True, max_len=65)
    return _keyring(fw).start(share, owner, now_ms, fw.device.rng)


def pair_finish(fw, p, now_ms):
    confirm = F.field(p, "confirm", "bytes", required=True, max_len=32)
    sig = F.field(p, "sig", "bytes", required=True, max_len=64)
    owner_x = F.field(p, "owner_x25519", "bytes", required=True, max_len=32)
    return _keyring(fw).finish(confirm, sig, owner_x, now_ms)


def open_sealed(fw, p, now_ms):
    epoch = F.field(p, "epoch", "uint", required=True)
    owner_id = F.field(p, "owner_id", "str", required=True, max_len=128)
    epoch_env = F.field(p, "epoch_env", "bytes", required=True, max_len=4096)
    key = F.field(p, "key", "bytes", required=True, max_len=128)
    env = F.field(p, "env", "bytes", required=True, max_len=MAX_ENVELOPE)
    min_version = F.field(p, "min_version", "uint", default=0)
    return _keyring(fw).open_sealed(epoch, owner_id, epoch_env, key, env, min_version)


def open_settings(fw, p, now_ms):
    # the envelopes come inside their proofs (app/settings_proof); the keyring takes them out of
    # the payload itself, so the request is freed as soon as the chip has verified them
    height = F.field(p, "height", "uint", required=True)
    name = F.field(p, "name", "str", default="device", max_len=16)
    for field in ("env_proof", "epoch_proof"):
        if field not in p:
            raise F.bad_request("field missing", field=field)
    return _keyring(fw).open_settings(height, p, name)


def seal_own(fw, p, now_ms):
    epoch = F.field(p, "epoch", "uint", required=True)
    epoch_env = F.field(p, "epoch_env", "bytes", required=True, max_len=4096)
    kind = F.field(p, "kind", "str", required=True, max_len=16)
    version = F.field(p, "version", "uint", required=True)
    plaintext = F.field(p, "plaintext", "bytes", required=True, max_len=MAX_WRITE)
    return _keyring(fw).seal_own(epoch, epoch_env, kind, version, plaintext, fw.device.rng)


def factory_reset(fw, p, now_ms):
    sig = F.field(p, "owner_sig", "bytes", max_len=64)
    return _keyring(fw).factory_reset(sig)


COMMANDS = {
    K.PROVISION: (H.OP_WRITE, provision),
    K.KEY_INFO: (H.OP_READ, key_info),
    K.OPEN_WINDOW: (H.OP_WRITE, open_window),
    K.PAIR_START: (H.OP_WRITE, pair_start),
    K.PAIR_FINISH: (H.OP_WRITE, pair_finish),
    K.OPEN_SEALED: (H.OP_WRITE, open_sealed),
    K.FACTORY_RESET: (H.OP_WRITE, factory_reset),
    K.SEAL_OWN: (H.OP_WRITE, seal_own),
    K.OPEN_SETTINGS: (H.OP_WRITE, open_settings),
}
