"""The test vectors of docs/store-format.md, computed by the store (python -m tests... or import).

`python tests/chip/store/vectors.py` prints them as JSON; test_format.py checks that the store
still produces exactly the checked-in vectors.json, that the second implementation (docimpl.py)
reads the image, and that every value appears in the document.
"""

import hashlib
import json
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
for p in (str(REPO), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from lightclient.chip.store import store as S  # noqa: E402
from lightclient.chip.crypto import hmac_sha256
from lightclient.chip.store import flash_format
from lightclient.chip.store.filedev import RamBlockDevice  # noqa: E402

SECRET = bytes(range(32))
GEOMETRY = (256, 4)  # block size, block count


def zero_rng(n):
    return bytes(n)


def compute():
    enc, mk = flash_format.derive_keys(SECRET)
    nonce = struct.pack("<I", 2) + bytes(range(8)) + struct.pack("<I", 0)
    dev = RamBlockDevice(*GEOMETRY)
    st = S.RecordStore(dev, SECRET, rng=zero_rng)
    st.format()
    img_format = bytes(dev.data)
    st.put("greeting", b"hello, flash")
    img = bytes(dev.data)
    salt2 = hmac_sha256.hmac_sha256(mk, flash_format.D_SALT + struct.pack("<I", 2) + bytes(16))[:8]
    return {
        "secret": SECRET.hex(),
        "enc_key": enc.hex(),
        "mac_key": mk.hex(),
        "keystream_nonce": nonce.hex(),
        "keystream_first_40": bytes(flash_format.keystream_xor(enc, nonce, bytes(40))).hex(),
        "geometry": {"block_size": GEOMETRY[0], "block_count": GEOMETRY[1]},
        "after_format_sha256": hashlib.sha256(img_format).hexdigest(),
        "after_format_sector0": img_format[:GEOMETRY[0]].rstrip(b"\xff").hex(),
        "salt_gen2": salt2.hex(),
        "after_put_sha256": hashlib.sha256(img).hexdigest(),
        "after_put_sector1": img[GEOMETRY[0]:2 * GEOMETRY[0]].rstrip(b"\xff").hex(),
    }


if __name__ == "__main__":
    print(json.dumps(compute(), indent=1))
