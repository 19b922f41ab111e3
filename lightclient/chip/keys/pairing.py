# Pairing (docs/pairing.md): the setup code and the verifier it leaves on the chip, the messages
# around SPAKE2+ and the pairing statement both sides sign, and the chip's attempt counter with its
# exponential backoff. Pure: randomness, time (ms) and the store's bytes are arguments.
#
#   code = new_setup_code(random)                       "1234-5678-9012" (provisioning, once)
#   w0, w1 = derive_w0_w1(code, device_pub)             PBKDF2-HMAC-SHA256, both sides
#   statement_bytes(chain_id, owner_pub, device_pub, device_x25519, transcript_hash)
#   transcript_hash(context, id_p, id_v, share_p, share_v, confirm_p, confirm_v)
#   backoff_ms(failures)
# Shared subset: CPython and MicroPython 1.27.

import hashlib

from lightclient.chip.core import cbor
from lightclient.chip.crypto.hmac_sha256 import Hmac, pads
from lightclient.chip.keys import group_ed25519
from lightclient.chip.keys.spake2plus import lp
from lightclient.chip.keys.errors import PairingError

DOMAIN = "mycroft-lc/pairing/v1"
STATEMENT_PREFIX = b"mycroft-lc/pairing/v1 statement\x00"
TRANSCRIPT_PREFIX = b"mycroft-lc/pairing/v1 transcript\x00"
PBKDF_SALT = b"mycroft-lc/pake/v1"
PBKDF_ITERATIONS = 2048       # the chip runs it once, at provisioning; the code has ~40 bits
CODE_DIGITS = 12
WINDOW_MS = 5 * 60 * 1000     # a pairing window is open for five minutes
FREE_FAILURES = 3             # wrong codes before the backoff starts
BACKOFF_BASE_MS = 2000
BACKOFF_MAX_MS = 3600 * 1000  # never locked out for good: at most an hour between attempts


def new_setup_code(random):
    """12 decimal digits, uniform (rejection sampling over 40 random bits)."""
    while True:
        n = int.from_bytes(random(5), "big")
        if n < 1000000000000:
            s = "%012d" % n
            return s[:4] + "-" + s[4:8] + "-" + s[8:]


def normalize_code(code):
    """What the owner typed -> the 12 digits (dashes and spaces dropped); PairingError else."""
    digits = "".join(c for c in code if c not in "- ")
    if len(digits) != CODE_DIGITS or not all("0" <= c <= "9" for c in digits):
        raise PairingError("setup_code", "a setup code is 12 digits")
    return digits


def pbkdf2_hmac_sha256(password, salt, iterations, length):
    """RFC 8018 PBKDF2 with HMAC-SHA256 (hashlib.pbkdf2_hmac is CPython only)."""
    key_pads = pads(password)
    out = b""
    block = 1
    while len(out) < length:
        u = Hmac(None, salt + block.to_bytes(4, "big"), key_pads).digest()
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = Hmac(None, u, key_pads).digest()
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(32, "big")
        block += 1
    return out[:length]


def derive_w0_w1(code, device_pub, iterations=PBKDF_ITERATIONS):
    """RFC 9383 section 3.2's w0s || w1s = PBKDF(len(pw) || pw || len(idP) || idP || len(idV) ||
    idV), with the prover unknown at provisioning (empty) and the device's key as idV; each half
    40 bytes, reduced mod the group order."""
    pw = lp(normalize_code(code).encode()) + lp(b"") + lp(bytes(device_pub))
    ws = pbkdf2_hmac_sha256(pw, PBKDF_SALT, iterations, 80)
    order = group_ed25519.ORDER
    return int.from_bytes(ws[:40], "big") % order, int.from_bytes(ws[40:], "big") % order


def context(chain_id):
    return b"mycroft-lc pairing v1|" + chain_id.encode()


def transcript_hash(ctx, id_p, id_v, share_p, share_v, confirm_p, confirm_v):
    """Public: what both signatures bind the statement to (not the secret K_main)."""
    return hashlib.sha256(TRANSCRIPT_PREFIX + lp(ctx) + lp(id_p) + lp(id_v) + lp(share_p)
                          + lp(share_v) + lp(confirm_p) + lp(confirm_v)).digest()


def statement(chain_id, owner_pub, device_pub, device_x25519, thash):
    return cbor.dumps({0: DOMAIN, 1: chain_id, 2: bytes(owner_pub), 3: bytes(device_pub),
                       4: bytes(device_x25519), 5: thash})


def signing_bytes(statement_cbor):
    """What the owner (secp256k1 over its SHA-256) and the device (Ed25519) sign."""
    return STATEMENT_PREFIX + statement_cbor


def backoff_ms(failures):
    """How long after the last failure (or after boot) the next attempt may start."""
    if failures < FREE_FAILURES:
        return 0
    d = BACKOFF_BASE_MS
    for _ in range(failures - FREE_FAILURES):
        d *= 2
        if d >= BACKOFF_MAX_MS:
            return BACKOFF_MAX_MS
    return d
