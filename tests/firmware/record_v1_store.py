"""Records tests/firmware/vectors/store_v1.img: a chip's store as the firmware before the packed
trusted state wrote it (trusted state version 1, CBOR), for the migration tests
(test_fw_store_migration.py). Run it with the code of that commit on the path:

    git archive 1f9ddc4 lightclient tests/firmware | tar -x -C /tmp/v1
    PYTHONPATH=/tmp/v1:/tmp/v1/tests/firmware .venv/bin/python tests/firmware/record_v1_store.py OUT

The device (key from a fixed seed) is provisioned at height 1 of the firmware tests' scenario
chain and takes the update to height 2 with its record's proof; the secret and geometry are
SECRET, BLOCK_SIZE and BLOCK_COUNT below.
"""
import sys

from lightclient.chip.app import boot
from lightclient.chip.crypto import ed25519
from lightclient.chip.store.filedev import RamBlockDevice

import fwscenario

SECRET = b"\x5c" * 32
BLOCK_SIZE, BLOCK_COUNT = 1024, 8
SEED = b"\x42" * 32
OWNER_SEED = b"\x0e" * 32  # the record's owner: the tests sign a re-provisioning with it


def rng_from(seed):
    n = [0]

    def rng(k):  # deterministic, for a reproducible image only
        n[0] += 1
        return bytes((seed[i % 32] + n[0] * 7 + i) & 255 for i in range(k))
    return rng


def main(out):
    dev = RamBlockDevice(BLOCK_SIZE, BLOCK_COUNT)
    d = boot.build(dev, SECRET, {"board": "test"}, rng_from(SEED)).device
    pub = d.generate_key(False)
    sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(OWNER_SEED))
    d.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
    d.submit_update(sc.update(1, 2), sc.now(2))
    with open(out, "wb") as f:
        f.write(bytes(dev.data))
    print(pub.hex())


if __name__ == "__main__":
    main(sys.argv[1])
