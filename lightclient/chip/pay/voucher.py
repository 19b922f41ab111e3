# The payment voucher the chip signs for a one-way payment channel (Filecoin's design: the
# provider redeems the latest voucher of each lane; the amount is cumulative). Format and
# vectors: docs/vouchers.md. Shared subset: CPython and MicroPython 1.27.
#
#   sign_bytes(v) -> bytes      DOMAIN || fields; ECDSA secp256k1 over SHA-256 of these bytes
#   decode(b) -> Voucher        bounded, typed errors (DecodeError with the failed check)
#   summary(increment, decimals, symbol, payee) -> "pay 0.002 MYC to weather.example"
#
# DOMAIN starts with "m" (0x6d): a Cosmos SignDoc's bytes start with a field tag of 1-4
# (0x0a, 0x12, 0x1a, 0x20), ADR-036 sign docs with "{", the x/devices statement with 0x00, and
# every other kind the chip signs with its own "mycroft-lc/<kind>/" prefix, so the bytes of one
# kind are never the bytes of another.

from lightclient.chip.core.errors import DecodeError

DOMAIN = b"mycroft-lc/voucher/v1\x00"
MAX_CHAIN_ID = 64
MAX_CHANNEL = 32
MAX_DENOM = 64
MAX_U32 = 0xFFFFFFFF
MAX_U64 = 0xFFFFFFFFFFFFFFFF
MAX_BYTES = len(DOMAIN) + 1 + MAX_CHAIN_ID + 1 + MAX_CHANNEL + 4 + 8 + 8 + 1 + MAX_DENOM


class Voucher:
    def __init__(self, chain_id, channel, lane, nonce, amount, denom):
        self.chain_id = chain_id   # str
        self.channel = channel     # bytes, the channel's id on chain
        self.lane = lane           # u32
        self.nonce = nonce         # u64, strictly increasing per (channel, lane)
        self.amount = amount       # u64, cumulative in the denom's base unit
        self.denom = denom         # str

    def key(self):
        return bytes(self.channel) + self.lane.to_bytes(4, "big")

    def __eq__(self, other):
        return isinstance(other, Voucher) and sign_bytes(self) == sign_bytes(other)


def _printable(s, what, lo, hi):
    if not isinstance(s, str):
        raise DecodeError("voucher_" + what, what + " must be text")
    b = s.encode()
    if not (lo <= len(b) <= hi):
        raise DecodeError("voucher_" + what, what + " length out of range", length=len(b))
    for c in b:
        if c < 0x21 or c > 0x7E:
            raise DecodeError("voucher_" + what, what + " must be printable ASCII")
    return b


def _uint(v, top, what):
    if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > top:
        raise DecodeError("voucher_" + what, what + " out of range")
    return v


def check(v):
    """Every field within the format's bounds (typed DecodeError naming the field)."""
    _printable(v.chain_id, "chain_id", 1, MAX_CHAIN_ID)
    if not isinstance(v.channel, (bytes, bytearray)) or not (1 <= len(v.channel) <= MAX_CHANNEL):
        raise DecodeError("voucher_channel", "channel id must be 1..32 bytes")
    _uint(v.lane, MAX_U32, "lane")
    _uint(v.nonce, MAX_U64, "nonce")
    _uint(v.amount, MAX_U64, "amount")
    _printable(v.denom, "denom", 1, MAX_DENOM)
    return v


def sign_bytes(v):
    check(v)
    c = v.chain_id.encode()
    d = v.denom.encode()
    return (DOMAIN + bytes([len(c)]) + c + bytes([len(v.channel)]) + bytes(v.channel)
            + v.lane.to_bytes(4, "big") + v.nonce.to_bytes(8, "big")
            + v.amount.to_bytes(8, "big") + bytes([len(d)]) + d)


def decode(b):
    """Sign bytes -> Voucher; anything else is a DecodeError (length checked before reading)."""
    if not isinstance(b, (bytes, bytearray, memoryview)) or len(b) > MAX_BYTES:
        raise DecodeError("voucher_length", "not voucher bytes or too long")
    b = bytes(b)
    n = len(DOMAIN)
    if b[:n] != DOMAIN:
        raise DecodeError("voucher_domain", "not a voucher (domain)")
    pos = n
    fields = []
    for what, fixed in (("chain_id", 0), ("channel", 0), ("lane", 4), ("nonce", 8),
                        ("amount", 8), ("denom", 0)):
        size = fixed
        if not fixed:
            if pos >= len(b):
                raise DecodeError("voucher_truncated", "voucher ends early", field=what)
            size = b[pos]
            pos += 1
        if pos + size > len(b):
            raise DecodeError("voucher_truncated", "voucher ends early", field=what)
        fields.append(b[pos:pos + size])
        pos += size
    if pos != len(b):
        raise DecodeError("voucher_trailing", "bytes after the voucher")
    try:
        chain_id, denom = fields[0].decode(), fields[5].decode()
    except UnicodeError:
        raise DecodeError("voucher_text", "chain id or denom is not ASCII")
    v = Voucher(chain_id, fields[1], int.from_bytes(fields[2], "big"),
                int.from_bytes(fields[3], "big"), int.from_bytes(fields[4], "big"), denom)
    return check(v)  # each field's bytes are its only encoding: decode(b) re-encodes to b


def format_amount(amount, decimals):
    """Base units -> decimal text without trailing zeros: (2000, 6) -> "0.002"."""
    if decimals == 0:
        return str(amount)
    s = str(amount)
    if len(s) <= decimals:
        s = "0" * (decimals - len(s) + 1) + s
    whole, frac = s[:-decimals], s[-decimals:]
    while frac and frac[-1] == "0":
        frac = frac[:-1]
    return whole + ("." + frac if frac else "")


def summary(increment, decimals, symbol, payee):
    """The line the Pi shows or speaks for one paid call."""
    return "pay %s %s to %s" % (format_amount(increment, decimals), symbol, payee)
