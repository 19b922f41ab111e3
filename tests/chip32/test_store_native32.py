# The store's cipher on the chip's build runs on lccrypto's C HMAC (one call per keystream
# block, the chunk XORed at once) and gives the format's bytes: the same as the pure path
# (pinned by the vectors of docs/store-format.md) for every length and start offset it is used
# with, and a store written natively reads back.
from tests.chip32.chip32 import run

CODE = r"""
from lightclient.chip.store import store as S
from lightclient.chip.store import flash_format as F
from lightclient.chip.crypto import backend
from lightclient.chip.crypto.hmac_sha256 import pads
print(backend.backend_name())
enc = bytes(range(32))
nonce = bytes(range(100, 116))
same = 0
for n in (0, 1, 31, 32, 33, 100, 256):
    for start in (0, 32, 256):
        data = bytes((i * 7 + n) & 255 for i in range(n))
        native = F.keystream_xor(pads(enc), nonce, data, start, enc)
        pure = F.keystream_xor(pads(enc), nonce, data, start)
        same += native == pure and len(native) == n
print(same)
from lightclient.chip.store.filedev import RamBlockDevice
st = S.RecordStore(RamBlockDevice(4096, 8), b"\x11" * 32)
st.format()
st.commit({"a": b"x" * 700})
again = S.RecordStore(st._dev, b"\x11" * 32)
again.mount()
print(again.get("a") == b"x" * 700)
"""


def test_the_native_keystream_is_the_formats():
    p = run(CODE, heap="256K")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["lccrypto", "21", "True"]
