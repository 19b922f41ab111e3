# Random and boundary-length arguments into every lccrypto function: each call returns its
# documented kind of result or raises its typed error, the interpreter survives, the heap stays
# flat. Run under AddressSanitizer + UBSan with `make chip-asan` and
# LCCRYPTO_INTERPRETER=build/chip-asan/micropython32 (any sanitizer report fails the batch).
import random

from tests.chip32.chip32 import Error, OverflowErr, TypeErr, call_many

# function -> (argument count, the result: bool verdict, or bytes)
FUNCTIONS = {
    "ed25519_verify": (3, bool), "ed25519_public_key": (1, bytes), "ed25519_sign": (2, bytes),
    "sha512": (1, bytes), "x25519": (2, bytes), "x25519_public_key": (1, bytes),
    "chacha20poly1305_encrypt": (4, bytes), "chacha20poly1305_decrypt": (4, bytes),
    "xchacha20poly1305_encrypt": (4, bytes), "xchacha20poly1305_decrypt": (4, bytes),
    "secp256k1_verify": (3, bool), "secp256k1_verify_digest": (3, bool),
    "secp256k1_sign": (2, bytes), "secp256k1_sign_digest": (2, bytes),
    "secp256k1_public_key": (1, bytes), "hmac_sha256": (2, bytes), "hkdf_sha256": (4, bytes),
}
LENGTHS = (0, 1, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 66, 127, 128, 129, 600)


def _arg(rng):
    r = rng.random()
    if r < 0.03:
        return None
    n = rng.choice(LENGTHS)
    if r < 0.10:
        return bytes([0xFF]) * n
    return rng.randbytes(n)


def _calls(seed, n):
    rng = random.Random(seed)
    names = sorted(FUNCTIONS)
    calls = []
    for _ in range(n):
        name = rng.choice(names)
        argc = FUNCTIONS[name][0]
        args = [_arg(rng) for _ in range(argc)]
        if name == "hkdf_sha256":
            args[3] = rng.choice((-1, 0, 1, 32, 8160, 8161, 1 << 40))
        calls.append((name, *args))
    return calls


def test_every_function_survives_random_arguments():
    calls = _calls(16, 3000)
    got, peak = call_many(calls)
    kinds = {"ok": 0, "value": 0, "type": 0}
    for (name, *args), r in zip(calls, got):
        if isinstance(r, OverflowErr):
            assert name == "hkdf_sha256" and args[3] == 1 << 40, (name, r)
        elif isinstance(r, TypeErr):
            assert None in args, (name, r)
            kinds["type"] += 1
        elif isinstance(r, Error):
            assert FUNCTIONS[name][1] is bytes, (name, r)  # verdicts never raise on bad bytes
            kinds["value"] += 1
        else:
            assert isinstance(r, FUNCTIONS[name][1]), (name, r)
            kinds["ok"] += 1
    assert min(kinds.values()) > 50, kinds
    # The peak holds one call's input line, arguments and result (up to 8 KiB); anything a call
    # kept would pile up over 3,000 calls and exhaust the fixed 96 KiB heap (MemoryError).
    assert peak < 48 * 1024, peak
