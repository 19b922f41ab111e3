# Account addresses on the chip's build hash with trezor-crypto's RIPEMD-160 in C
# (lccrypto.ripemd160, vendor/trezor-crypto-core-v2.12.4): the crypto interface must take it, and
# it must equal the reference vectors and the pure module (what the WebAssembly build runs) on
# every padding edge. The pure module itself is checked against OpenSSL in tests/native.
import hashlib

from lightclient.chip.crypto import ripemd160
from tests.chip32.chip32 import run

VECTORS = [(b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
           (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
           (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
           (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb")]


def test_native_ripemd160_is_the_backend_and_equals_the_vectors_and_pure():
    data = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(8))  # 256 bytes
    inputs = [v for v, _ in VECTORS] + [data[:n] for n in (1, 33, 55, 56, 63, 64, 65, 119, 128,
                                                           200, 256)]
    lines = ["import lccrypto", "from lightclient.chip.crypto import backend",
             "assert backend._impl.ripemd160 is lccrypto.ripemd160"]
    lines += ["print(lccrypto.ripemd160(%r).hex(), backend.ripemd160(bytearray(%r)).hex())"
              % (x, x) for x in inputs]
    p = run("\n".join(lines))
    assert p.returncode == 0, p.stderr
    got = [tuple(line.split()) for line in p.stdout.split("\n")[:len(inputs)]]
    want = [h for _, h in VECTORS] + [ripemd160.ripemd160(x).hex() for x in inputs[len(VECTORS):]]
    assert got == [(w, w) for w in want]
