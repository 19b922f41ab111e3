# The owner's book (lightclient.owner.book): a removal costs one new epoch envelope with a wrap per
# remaining device, records stay one wrap whatever the number of devices, and the owner reads
# every epoch's records from its key alone.
import os

from lightclient.owner.book import OwnerBook, wraps_in
from lightclient.owner.keyfile import OwnerKey
from lightclient.chip.crypto import backend

OWNER = OwnerKey("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                 "abandon abandon about")


def _devices(n):
    return [(os.urandom(32), backend.x25519_public_key(os.urandom(32))) for _ in range(n)]


def test_removal_rewraps_only_the_epoch_key_for_the_devices_that_stay():
    book = OwnerBook(OWNER, "c", OWNER.address(), os.urandom)
    devs = _devices(5)
    for pub, x in devs:
        env = book.pair(pub, x)
    assert wraps_in(env) == 5
    rec = book.seal(b"settings/a", b"x" * 4096, 1)
    assert wraps_in(rec) == 1
    env = book.remove(devs[0][0])
    assert book.epoch == 1 and wraps_in(env) == 4
    assert book.open(b"settings/a", rec).plaintext == b"x" * 4096   # an epoch-0 record
    rec2 = book.seal(b"settings/a", b"y", 2)
    assert book.open(b"settings/a", rec2, 2).plaintext == b"y"
