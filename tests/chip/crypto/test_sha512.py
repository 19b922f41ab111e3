# The pure SHA-512 (lightclient.chip.crypto.sha512) on both runtimes: FIPS 180-4 examples, padding edges
# (lengths 0, 111, 112, 127, 128, 1000 ...), incremental use. On CPython every length is also
# compared with hashlib.sha512 directly; on MicroPython (no hashlib.sha512) the same lengths are
# checked through pinned digests that were produced by hashlib.
import dual
from lightclient.chip.crypto import sha512 as S


def _data(n):
    return bytes((i * 7 + n) & 255 for i in range(n))


def test_fips_180_examples():
    # FIPS 180-4 / NIST CSRC example values: "abc", the 448-bit and the 896-bit messages.
    assert S.sha512_pure(b"abc").hex() == (
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    assert S.sha512_pure(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex() == (
        "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
        "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445")
    m896 = (b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            b"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
    assert S.sha512_pure(m896).hex() == (
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")


PINNED = {
    0: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
       "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    111: "df79e18538ec82120d0eb59f92ade93fc786e47b5c622121a065503708882f78"
         "01fa4b115197504b74feb420ee58fb85718ab98a5bf461bf7f8897472c26be4d",
    112: "d7377bc7047400daa33483946a6e2ec47609bc5f64b8309effd8d38b764b6ef2"
         "50086511cc4cc9b4e5806613ecdf2a7b86ffcf0b9c88a571b869b32dfeca4b0a",
    127: "82b7fc0e1e5d1bb8e56e25cef83ba1205d3b3b44c9efacb33b11b13ffc47d150"
         "2beb4b9cc885239d9a03a255757c582ee9aaa270c742f8bfd959228443704bf5",
    128: "eb5119a4c3e176a3e0cb2bf8a6237bdc1e474f9f501f27c84284d2289b1ade3a"
         "5a1913236a2b771e0f435f2a9b17792eb23eb92248a199f991228ff65de55d09",
    1000: "5c9833a6b6d14cabd5256ae50e9217163760d44bafa40d2e0e64ee13a2b74ec3"
          "f10d965a04c7381d12383c59ee449c75241303eb3806dcf1d8ca0c566fe1ed6a",
}

# SHA-512 over the concatenated SHA-512 digests of _data(n) for n = 0..299 and 1000 (by hashlib).
ALL_LENGTHS_DIGEST = ("ec232263133a485878b2f182176d6e5189447679c18e81b3523146744728817"
                      "008754a6b5c9b85696cdbdec9a22ed744de78635419254f22bf4cae6a1adb2270")


def test_padding_edge_lengths_pinned():
    for n in PINNED:
        assert S.sha512_pure(_data(n)).hex() == PINNED[n], n


def test_every_length_0_to_299_and_1000():
    lengths = list(range(300)) + [1000]
    native = None
    if not dual.IS_MICROPYTHON:
        import hashlib

        native = hashlib.sha512
    digests = []
    for n in lengths:
        d = S.sha512_pure(_data(n))
        assert len(d) == 64
        if native is not None:
            assert d == native(_data(n)).digest(), n
        digests.append(d)
    assert S.sha512_pure(b"".join(digests)).hex() == ALL_LENGTHS_DIGEST


def test_incremental_equals_one_shot():
    msg = _data(700)
    want = S.sha512_pure(msg)
    for step in (1, 3, 63, 64, 111, 112, 127, 128, 129, 255, 700):
        h = S.SHA512()
        for i in range(0, len(msg), step):
            h.update(msg[i:i + step])
        assert h.digest() == want, step
        assert h.digest() == want  # digest() does not finalize
        assert h.hexdigest() == want.hex()


def test_copy_and_continue():
    h = S.SHA512(b"Cosmos ")
    c = h.copy()
    h.update(b"Hub")
    c.update(b"SDK")
    assert h.digest() == S.sha512_pure(b"Cosmos Hub")
    assert c.digest() == S.sha512_pure(b"Cosmos SDK")


def test_update_accepts_bytearray_and_memoryview():
    h = S.SHA512()
    h.update(bytearray(b"ab"))
    h.update(memoryview(b"c"))
    assert h.digest() == S.sha512_pure(b"abc")


def test_dispatching_sha512_and_new_agree_with_pure():
    for n in (0, 1, 111, 112, 128, 300):
        d = _data(n)
        assert S.sha512(d) == S.sha512_pure(d), n
        h = S.new(d[:5])
        h.update(d[5:])
        assert h.digest() == S.sha512_pure(d), n
    # MicroPython has no hashlib.sha512: there the dispatch must be the pure code itself.
    if dual.IS_MICROPYTHON:
        assert S.sha512 is S.sha512_pure
