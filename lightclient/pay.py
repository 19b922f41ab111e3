"""The Pi's side of the chip's payment vouchers (docs/vouchers.md): the owner's caps message,
the SMP client of the payments group, and the check a Pi or provider makes of a voucher."""

from __future__ import annotations

from lightclient.chip.core import cbor
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend
from lightclient.chip.pay import caps as C
from lightclient.chip.pay import voucher as V
from lightclient.chip.pay.ledger import MAX_LANES
from lightclient.chip.smp import header as H
from lightclient.chip.smp import pay as P


def caps_cbor(version: int, chain_id: str, spender: bytes, per_call: int, per_day: int,
              channels: list[tuple[bytes, str, int]], denom: str = "umyc", decimals: int = 6,
              symbol: str = "MYC") -> bytes:
    """The caps map as the owner signs it (deterministic CBOR; C.decode reads it back)."""
    m = {"v": version, "chain": chain_id, "dev": bytes(spender), "denom": denom, "dec": decimals,
         "sym": symbol, "call": per_call, "day": per_day,
         "ch": [{"id": bytes(c), "to": to, "cap": cap} for c, to, cap in channels]}
    out = cbor.dumps(m)
    C.decode(out)  # the chip's own bounds, here first
    return out


def caps_signing_bytes(encoded: bytes) -> bytes:
    return C.message_bytes(encoded)


def verify_voucher(spender: bytes, signed: bytes, sig: bytes) -> V.Voucher:
    """-> the voucher, if `sig` is the spender's signature over these voucher bytes (what a
    provider checks before serving a paid call); ValueError otherwise."""
    v = V.decode(signed)
    if not backend.secp256k1_verify(bytes(spender), bytes(signed), bytes(sig)):
        raise ValueError("voucher signature does not verify")
    return v


def status_lanes(st) -> dict:
    """The status answer's `lanes` ([channel, lane, nonce, amount] each, at most the chip's 16)
    checked as bytes off a serial line are: DecodeError `pay_status_lanes` if malformed. A chip
    without caps signed nothing and reports no lanes."""
    lanes = st.get("lanes", []) if isinstance(st, dict) else None
    if not isinstance(lanes, list) or len(lanes) > MAX_LANES:
        raise DecodeError("pay_status_lanes", "the chip's lanes are not a list of at most %d"
                          % MAX_LANES)
    out = {}
    for item in lanes:
        if not (isinstance(item, list) and len(item) == 4
                and isinstance(item[0], (bytes, bytearray)) and 1 <= len(item[0]) <= V.MAX_CHANNEL
                and all(type(x) is int and 0 <= x < 1 << 64 for x in item[1:])
                and item[1] < 1 << 32):
            raise DecodeError("pay_status_lanes", "a lane is not [channel, lane, nonce, amount]")
        out[(bytes(item[0]), item[1])] = (item[2], item[3])
    return out


class PayClient:
    """The payments group over an McuClient (SMP v1: refusals carry their check name)."""

    def __init__(self, mcu):
        self.mcu = mcu

    def _req(self, op, command, payload=None):
        return self.mcu.request(op, P.GROUP, command, payload or {}, None, H.V1)

    def status(self) -> dict:
        return self._req(H.OP_READ, P.STATUS)

    def signed_lanes(self) -> dict:
        """{(channel, lane): (nonce, amount)} of the latest voucher the chip signed on each lane
        (its counter log, through its status): the authority on what was signed."""
        return status_lanes(self.status())

    def spender_key(self) -> bytes:
        return bytes(self._req(H.OP_WRITE, P.SPENDER_KEY)["pub"])

    def set_caps(self, encoded: bytes, sig: bytes, owner_pub: bytes | None = None) -> int:
        """owner_pub: on the chain, the owner account's key (the one the chip consented to be
        registered by), when no verified record names the owner's key."""
        req = {"caps": encoded, "sig": sig}
        if owner_pub is not None:
            req["owner_pub"] = bytes(owner_pub)
        return self._req(H.OP_WRITE, P.SET_CAPS, req)["version"]

    def sign_voucher(self, chain_id: str, channel: bytes, lane: int, nonce: int, amount: int,
                     denom: str = "umyc") -> dict:
        return self._req(H.OP_WRITE, P.SIGN_VOUCHER,
                         {"chain_id": chain_id, "channel": channel, "lane": lane,
                          "nonce": nonce, "amount": amount, "denom": denom})

    def sign_receipt(self, server: bytes) -> dict:
        """A service receipt for the server device `server` (20-byte address), naming the
        header the chip verified last (docs/rewards.md): {receipt, sig, height, summary}."""
        return self._req(H.OP_WRITE, P.SIGN_RECEIPT, {"server": bytes(server)})
