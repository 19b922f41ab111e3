# The owner's book of devices and sealed records (docs/envelopes.md, "Epochs"): which devices
# are paired, the current key epoch, and what to write on chain when a device is paired or
# removed or a setting is written. It computes envelopes; the caller submits them.
#
#   book = OwnerBook(owner_key, chain_id, owner_id, random)
#   book.pair(device_pub, device_x25519)   -> the epoch envelope, re-sealed with the new device
#   book.remove(device_pub)                -> the next epoch's envelope (the devices that stay)
#   book.seal(record_key, plaintext, version) -> a record sealed to the current epoch key

from lightclient.chip.crypto import secp256k1
from lightclient.chip.keys import envelope, epochs


class OwnerBook:
    def __init__(self, owner_key, chain_id, owner_id, random, epoch=0):
        self.key = owner_key
        self.chain_id = chain_id
        self.owner_id = owner_id
        self.random = random
        self.epoch = epoch
        self.devices = {}              # device Ed25519 key -> its X25519 key
        self.writer = ("secp256k1", owner_key.secp256k1_public)

    def _sign(self, msg):
        return secp256k1.sign(self.key.secp256k1_secret, msg)

    def epoch_secret(self, epoch=None):
        return epochs.epoch_secret(self.key.x25519_secret, self.chain_id,
                                   self.epoch if epoch is None else epoch)

    def epoch_envelope(self):
        return epochs.seal_epoch(self.chain_id, self.owner_id, self.epoch, self.epoch_secret(),
                                 list(self.devices.values()), self.writer, self._sign,
                                 self.random)

    def pair(self, device_pub, device_x25519):
        self.devices[bytes(device_pub)] = bytes(device_x25519)
        return self.epoch_envelope()

    def remove(self, device_pub):
        """A new epoch: the removed device never receives its key, so nothing written from now
        on opens for it; older records are re-sealed when next written."""
        del self.devices[bytes(device_pub)]
        self.epoch += 1
        return self.epoch_envelope() if self.devices else None

    def seal(self, record_key, plaintext, version):
        return envelope.seal(self.chain_id, record_key, version, self.epoch, plaintext,
                             [epochs.epoch_public(self.epoch_secret())], self.writer,
                             self._sign, self.random)

    def open(self, record_key, data, min_version=0, writers=()):
        """The owner reads its own records (any epoch: it derives every epoch key)."""
        m = envelope.parse(data)
        secret = self.epoch_secret(m[envelope.K_EPOCH])
        return envelope.open_(data, self.chain_id, record_key, min_version,
                              [self.writer] + list(writers), epochs.epoch_identity(secret))


def wraps_in(data):
    return len(envelope.parse(data)[envelope.K_WRAPS])
