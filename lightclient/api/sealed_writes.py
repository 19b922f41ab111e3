# What the device writes itself on the real chain (skill settings, settings meta, metrics) is
# sealed on its chip (docs/device-writes.md): the chip opens its owner's epoch envelope, seals
# the write to that epoch's key under write/<owner>/<its Ed25519 key>.<kind>, a record key it
# makes itself, and signs it with its device key (keys group SEAL_OWN). The Pi proves what the
# chip needs (the owner's record for the current epoch, its epoch envelope, the last version)
# with ICS23 against a verified header and gets the envelope, never a key; it reads a write
# back only through the chip (OPEN_SEALED).

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import LightClientError, Unavailable
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.owner import chain as oc

SEAL_TIMEOUT_S = 20.0          # an X25519 to open the epoch key, one to wrap, a signature


class NotPaired(Unavailable):
    """The chip has no owner: nobody could read what it wrote, so it writes nothing."""


class ChipSealer:
    """The chip behind the serial link (lightclient.mcu.McuClient) seals and opens the
    device's writes; prove(store, key) is the caller's verified read (None: proven absent)."""

    def __init__(self, mcu):
        self.mcu = mcu
        self._info = None

    def identity(self):
        """(owner bech32, device Ed25519 key) as the chip holds them; NotPaired without an owner."""
        if self._info is None or self._info[0] is None:
            info = self.mcu.keys(H.OP_READ, K.KEY_INFO)
            owner = info.get("owner")
            self._info = (None if owner is None else ct.bech32_address(bytes(owner)),
                          bytes(info["pub"]))
        if self._info[0] is None:
            raise NotPaired("not_paired", "the chip has no owner: its writes are sealed to an "
                            "owner's key epoch, so it writes nothing before pairing")
        return self._info

    def write_key(self, kind):
        owner, pub = self.identity()
        return epochs.device_write_key(owner, pub, kind)

    def epoch(self, prove):
        """(current epoch, its envelope), proven."""
        owner, _pub = self.identity()
        rec = prove(oc.STORE, oc.owner_key(owner))
        if rec is None:
            raise Unavailable("owner_absent", "the chain proves the chip's owner has no record",
                              owner=owner)
        n = oc.decode_owner(rec)["epoch"]
        env = prove(oc.STORE, oc.sealed_key(epochs.epoch_record_key(owner, n)))
        if env is None:
            raise Unavailable("epoch_absent", "the chain proves the owner's key epoch has no "
                              "envelope", epoch=n)
        return n, env

    def last(self, kind, prove):
        """The device's stored write of `kind` (envelope bytes), proven, or None."""
        return prove(oc.STORE, oc.sealed_key(self.write_key(kind)))

    def seal(self, kind, plaintext, prove, pending=0):
        """The envelope of a new write of `kind`: version = the proven one + 1 + `pending`
        (writes of that kind queued and not yet on chain)."""
        if kind not in epochs.WRITE_KINDS:
            raise LightClientError("write_kind", "not a device write kind", kind=str(kind)[:16])
        n, epoch_env = self.epoch(prove)
        old = self.last(kind, prove)
        version = (envelope.parse(old)[envelope.K_VERSION] if old is not None else 0) + 1 + pending
        out = self.mcu.keys(H.OP_WRITE, K.SEAL_OWN, {
            "epoch": n, "epoch_env": epoch_env, "kind": kind, "version": version,
            "plaintext": bytes(plaintext)}, timeout=SEAL_TIMEOUT_S)
        return bytes(out["env"])

    def open(self, kind, env, prove):
        """A stored write of this device opened on the chip -> plaintext bytes."""
        owner, _pub = self.identity()
        n = envelope.parse(env)[envelope.K_EPOCH]
        epoch_env = prove(oc.STORE, oc.sealed_key(epochs.epoch_record_key(owner, n)))
        if epoch_env is None:
            raise Unavailable("epoch_absent", "the chain proves the write's key epoch has no "
                              "envelope", epoch=n)
        out = self.mcu.keys(H.OP_WRITE, K.OPEN_SEALED, {
            "epoch": n, "owner_id": owner, "epoch_env": epoch_env, "key": self.write_key(kind),
            "env": bytes(env)}, timeout=SEAL_TIMEOUT_S)
        return bytes(out["plaintext"])
