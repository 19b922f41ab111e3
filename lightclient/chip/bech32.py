# Bech32 (BIP 173) encoding of account addresses, as the Cosmos SDK writes them ("mycroft1...").
# Encoding only: the chip compares the address a message names with its own, encoded here, so it
# never has to trust a decoder. In C where the image has it (lccrypto.bech32_encode, trezor-crypto's
# reference code: ~0.45 M instructions less an address on the chip); this Python is the fallback
# and the tests' oracle. Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.core.errors import DecodeError

try:
    from lccrypto import bech32_encode as _native
except (ImportError, AttributeError):  # no lccrypto, or one without it
    _native = None

MAX_LENGTH = 90     # BIP 173: the C encoder's limit; longer strings are made here

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values):
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to5(data):
    acc, bits, out = 0, 0, []
    for b in data:
        # only the bits not yet emitted (< 13) are kept: an unbounded accumulator is a big
        # int on the chip, an allocation per byte
        acc = ((acc << 8) | b) & 0x1FFF
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def encode(hrp, data):
    """hrp (lower case), data bytes -> "hrp1..." with its checksum."""
    if not hrp or len(hrp) > 83 or hrp.lower() != hrp or len(data) > 64:
        raise DecodeError("bech32", "bad human-readable part or data too long")
    if _native is not None and len(hrp) + 7 + (len(data) * 8 + 4) // 5 <= MAX_LENGTH:
        try:
            return _native(hrp, data)
        except ValueError:   # an hrp outside printable ASCII: the Python below, as on CPython
            pass
    d = _to5(bytes(data))
    pm = _polymod(_hrp_expand(hrp) + d + [0] * 6) ^ 1
    d += [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[x] for x in d)
