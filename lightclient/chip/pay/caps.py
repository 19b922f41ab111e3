# The owner's caps on payments, as the owner signs them (docs/vouchers.md, "Caps"). The chip
# accepts a caps message only under the owner key it holds (the owner named by its verified
# device record), only for its own spender key and chain, and only with a version above the one
# it holds, so an old, looser message cannot be replayed. Shared subset: CPython and MicroPython.
#
#   signed = message_bytes(cbor_map)   what the owner signs (DOMAIN || deterministic CBOR)
#   caps = decode(cbor_bytes)          -> Caps, bounded and typed

from lightclient.chip.core import cbor
from lightclient.chip.core import cbor_fields as F
from lightclient.chip.core.errors import DecodeError

DOMAIN = b"mycroft-lc/paycaps/v1\x00"
MAX_BYTES = 2048
MAX_CHANNELS = 8
MAX_PAYEE = 64
MAX_U64 = 0xFFFFFFFFFFFFFFFF
KEYS = ("v", "chain", "dev", "denom", "dec", "sym", "call", "day", "ch")


class Caps:
    def __init__(self, m):
        self.version = m["v"]
        self.chain_id = m["chain"]
        self.spender = m["dev"]
        self.denom = m["denom"]
        self.decimals = m["dec"]
        self.symbol = m["sym"]
        self.per_call = m["call"]
        self.per_day = m["day"]
        self.channels = [(c["id"], c["to"], c["cap"]) for c in m["ch"]]

    def channel(self, cid):
        """-> (id, payee, cap) or None."""
        for c in self.channels:
            if c[0] == bytes(cid):
                return c
        return None


def message_bytes(encoded):
    """What the owner signs over the CBOR of the caps map."""
    return DOMAIN + bytes(encoded)


def decode(b):
    if not isinstance(b, (bytes, bytearray)) or len(b) > MAX_BYTES:
        raise DecodeError("caps_length", "caps message missing or too long")
    m = F.expect_map(cbor.loads(b), KEYS, (), "caps")
    F.get_uint(m, "v", max=0xFFFFFFFF)
    F.get_text(m, "chain", max_len=64)
    F.get_bytes(m, "dev", exact_len=33)
    F.get_text(m, "denom", max_len=64)
    F.get_uint(m, "dec", max=18)
    F.get_text(m, "sym", max_len=16)
    F.get_uint(m, "call", max=MAX_U64)
    F.get_uint(m, "day", max=MAX_U64)
    chans = F.get_list(m, "ch", max_len=MAX_CHANNELS)
    seen = []
    for c in chans:
        F.expect_map(c, ("id", "to", "cap"), (), "caps channel")
        cid = F.get_bytes(c, "id", max_len=32)
        F.get_text(c, "to", max_len=MAX_PAYEE)
        F.get_uint(c, "cap", max=MAX_U64)
        if not cid or cid in seen:
            raise DecodeError("caps_channel", "empty or repeated channel id")
        seen.append(cid)
    if cbor.dumps(m) != bytes(b):
        raise DecodeError("caps_canonical", "caps message is not deterministic CBOR")
    return Caps(m)
