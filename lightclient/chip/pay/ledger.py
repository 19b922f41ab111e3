# The spend decision, pure: what the chip has signed so far (one Entry per channel lane, the
# latest), the owner's caps, a voucher asked for and the day of the chip's trusted header time
# -> the Entry to persist before signing, or a typed refusal. No I/O, no clock.
# Shared subset: CPython and MicroPython 1.27. Rules: docs/vouchers.md, "The rule".
#
#   led = Ledger(); led.load(payloads)             # the counter log's records, oldest first
#   e = led.decide(caps, v, day)                   # PayRefused, or None (the latest voucher of
#                                                  # its lane asked again: sign it again), or Entry
#   led.apply(e)                                   # after the Entry is on flash
#   led.live() -> [payload]                        # what compaction keeps

from lightclient.chip.core.errors import LightClientError

DAY_NS = 86400 * 1000000000
MAX_LANES = 16  # live (channel, lane) pairs; keeps a compaction well inside one sector


class PayRefused(LightClientError):
    """The chip refuses to sign this voucher; `check` names the rule (cap_per_call, ...)."""


class Entry:
    """One signed voucher's counters, as persisted (80 bytes, docs/vouchers.md)."""

    def __init__(self, seq, channel, lane, nonce, amount, channel_total, day, day_total):
        self.seq = seq
        self.channel = bytes(channel)
        self.lane = lane
        self.nonce = nonce
        self.amount = amount
        self.channel_total = channel_total
        self.day = day
        self.day_total = day_total

    def key(self):
        return self.channel + self.lane.to_bytes(4, "big")

    def pack(self):
        c = self.channel
        return (self.seq.to_bytes(4, "big") + self.lane.to_bytes(4, "big")
                + self.nonce.to_bytes(8, "big") + self.amount.to_bytes(8, "big")
                + self.channel_total.to_bytes(8, "big") + self.day.to_bytes(4, "big")
                + self.day_total.to_bytes(8, "big") + bytes([len(c)]) + c
                + bytes(35 - len(c)))


def unpack(p):
    n = p[44]
    if not (1 <= n <= 32):
        raise PayRefused("paylog_record", "counter record with a bad channel length")

    def u(a, b):
        return int.from_bytes(p[a:b], "big")
    return Entry(u(0, 4), p[45:45 + n], u(4, 8), u(8, 16), u(16, 24), u(24, 32), u(32, 36),
                 u(36, 44))


class Ledger:
    def __init__(self):
        self.lanes = {}     # key -> the latest Entry of that lane
        self.channels = {}  # channel -> the latest Entry of that channel (its running total)
        self.last = None    # the latest Entry of all (the day and its total)

    def load(self, payloads):
        for p in payloads:
            self.apply(unpack(p))
        return self

    def apply(self, e):
        """Entries come in seq order (the log keeps them so, compaction included)."""
        self.lanes[e.key()] = e
        self.channels[e.channel] = e
        self.last = e

    def live(self):
        out = [e for e in self.lanes.values()]
        out.sort(key=lambda e: e.seq)
        return [e.pack() for e in out]

    def spent_today(self, day):
        last = self.last
        return last.day_total if last is not None and last.day >= day else 0

    def decide(self, caps, v, day):
        """caps: pay.caps.Caps; v: voucher.Voucher (already in the format's bounds); day: the
        trusted header time // DAY_NS."""
        if v.chain_id != caps.chain_id:
            raise PayRefused("voucher_chain", "voucher for another chain", chain_id=v.chain_id)
        if v.denom != caps.denom:
            raise PayRefused("voucher_denom", "voucher in another denom", denom=v.denom)
        ch = caps.channel(v.channel)
        if ch is None:
            raise PayRefused("channel_unknown", "the owner has not allowed this channel")
        last = self.lanes.get(v.key())
        if last is not None:
            if v.nonce == last.nonce:
                if v.amount == last.amount:
                    return None  # the latest voucher again (its answer was lost): same bytes
                raise PayRefused("nonce_reused", "this nonce was signed for another amount",
                                 nonce=v.nonce)
            if v.nonce < last.nonce:
                raise PayRefused("nonce_old", "an older nonce than the lane's latest",
                                 nonce=v.nonce, latest=last.nonce)
            if v.amount < last.amount:
                raise PayRefused("amount_decreasing", "a cumulative amount cannot go down",
                                 amount=v.amount, latest=last.amount)
        elif len(self.lanes) >= MAX_LANES:
            raise PayRefused("too_many_lanes", "no room for another channel lane",
                             max_lanes=MAX_LANES)
        inc = v.amount - (last.amount if last is not None else 0)
        if inc > caps.per_call:
            raise PayRefused("cap_per_call", "over the owner's per-call cap", amount=inc,
                             cap=caps.per_call)
        if self.last is not None and day < self.last.day:
            day = self.last.day  # a day never goes back (a re-anchored, older trusted time)
        day_total = self.spent_today(day) + inc
        if day_total > caps.per_day:
            raise PayRefused("cap_per_day", "over the owner's per-day cap", spent=day_total - inc,
                             amount=inc, cap=caps.per_day)
        c = self.channels.get(v.channel)
        channel_total = (c.channel_total if c is not None else 0) + inc
        if channel_total > ch[2]:
            raise PayRefused("cap_per_channel", "over the owner's cap for this channel",
                             spent=channel_total - inc, amount=inc, cap=ch[2])
        seq = self.last.seq + 1 if self.last is not None else 1
        return Entry(seq, v.channel, v.lane, v.nonce, v.amount, channel_total, day, day_total)
