# Account addresses on the chip's build are Bech32-encoded by trezor-crypto's reference code in C
# (lccrypto.bech32_encode, vendor/trezor-crypto-core-v2.12.4/segwit_addr.c): lightclient.chip.bech32
# must take it, and it must give the pure module's string (what CPython and the WebAssembly
# build run) for every data length up to BIP 173's 90 characters, and the pure module's answer
# (or error) beyond it and for human-readable parts the C code refuses.
import hashlib

from lightclient.chip import bech32
from lightclient.chip.core.errors import DecodeError
from tests.chip32.chip32 import run

HRPS = ["mycroft", "cosmos", "a", "mycroftvaloper", "x" * 40]


def _cases():
    data = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(2))   # 64 bytes
    out = [(h, data[:n]) for h in HRPS for n in (0, 1, 2, 5, 19, 20, 21, 32, 33, 47, 64)]
    return out + [("my roft", data[:20]), ("\u00e9t\u00e9", data[:20]), ("m\x7f", data[:4])]


def _pure(hrp, data):
    saved, bech32._native = bech32._native, None
    try:
        return bech32.encode(hrp, data)
    except DecodeError as e:
        return "error " + e.check
    finally:
        bech32._native = saved


def test_native_bech32_is_used_and_equals_the_pure_encoder():
    cases = _cases()
    lines = ["import lccrypto", "from lightclient.chip import bech32",
             "from lightclient.chip.core.errors import DecodeError",
             "assert bech32._native is lccrypto.bech32_encode",
             "def enc(h, d):",
             "    try:",
             "        return bech32.encode(h, d)",
             "    except DecodeError as e:",
             "        return 'error ' + e.check"]
    lines += ["print(repr(enc(%r, %r)))" % (h, d) for h, d in cases]
    p = run("\n".join(lines))
    assert p.returncode == 0, p.stderr
    got = [eval(line) for line in p.stdout.split("\n")[:len(cases)]]
    want = [_pure(h, d) for h, d in cases]
    assert got == want
    assert sum(1 for w in want if w.startswith("error")) == 0   # every case encodes on both
    long_ones = [w for (h, d), w in zip(cases, want) if len(w) > bech32.MAX_LENGTH]
    assert long_ones    # and some are past the C limit: the Python path on the chip too


def test_the_c_encoder_refuses_what_bip173_refuses():
    p = run("import lccrypto\n"
            "for h, d in (('', b''), ('a' * 84, b''), ('M', b'\\x00'), ('a\\x00b', b''),"
            " ('m', bytes(60))):\n"
            "    try:\n"
            "        print(lccrypto.bech32_encode(h, d))\n"
            "    except ValueError as e:\n"
            "        print('ValueError')\n"
            "print(lccrypto.bech32_encode('mycroft', bytes(20)))\n")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert lines[:5] == ["ValueError"] * 5
    assert lines[5] == _pure("mycroft", bytes(20))
