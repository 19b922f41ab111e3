# RIPEMD-160 (secp256k1 addresses), the module and the crypto interface. Dual-runtime.
import dual  # noqa: F401 (runs on CPython and MicroPython; tests/mp collects this folder)

from lightclient.chip.crypto import backend, ripemd160


def test_ripemd160_vectors():
    # The reference vectors of Dobbertin, Bosselaers and Preneel.
    for r in (ripemd160.ripemd160, backend.ripemd160):
        _check_vectors(r)


def _check_vectors(r):
    assert r(b"").hex() == "9c1185a5c5e9fc54612808977ee8f548b2258d31"
    assert r(b"a").hex() == "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"
    assert r(b"abc").hex() == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
    assert r(b"message digest").hex() == "5d0689ef49d2fae572b881b123a85ffa21595f36"
    assert r(b"abcdefghijklmnopqrstuvwxyz").hex() == "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"
    assert r(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex() == \
        "12a053384a9c0c88e405a06c27dcf49ada62eb2b"
    assert r(b"1234567890" * 8).hex() == "9b752e45573d4b39f4dbd3323cab82bf63326bfb"
    for n in (55, 56, 63, 64, 65, 119, 120):  # padding edges
        assert len(r(b"x" * n)) == 20
