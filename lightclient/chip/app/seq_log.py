# The highest transaction sequence the chip signed, per account number, kept across reboots and
# power cuts in a counter log of its own two sectors (store/counter_log.py, the payments' model):
# one 96-byte program per new highest sequence, not a store commit. The record is on flash
# before the SignDoc is signed (docs/sign-policy.md, "The sequence"). Shared subset: CPython
# and MicroPython 1.27; imported on the first SIGN_TX.
#
# Record payload (80 bytes): account number (8, big-endian) || sequence (8) || 64 zero bytes.

from lightclient.chip.core.errors import LightClientError
from lightclient.chip.store.counter_log import PAYLOAD, CounterLog, CounterLogError

LOG_ID = b"txseq\x00v1"
MAX_ACCOUNTS = 8    # account numbers remembered: one chain account, a few re-creations at most


class SeqLogError(LightClientError):
    """The sequence log cannot be used or is full; `check` names why."""


def _pack(number, seq):
    return number.to_bytes(8, "big") + seq.to_bytes(8, "big") + bytes(PAYLOAD - 16)


class SeqLog:
    def __init__(self, dev, secret):
        """dev: the log's block device (two sectors); mounts it, or formats it when it holds
        no log yet (a fresh chip: nothing was signed)."""
        self.log = CounterLog(dev, secret)
        self.highest = {}   # account number -> highest sequence signed
        try:
            records = self.log.mount(LOG_ID)
        except CounterLogError as e:
            if e.check != "unformatted":
                raise
            self.log.format(LOG_ID)
            records = []
        for p in records:
            if bytes(p[16:]) != bytes(PAYLOAD - 16):
                raise SeqLogError("seqlog_record", "a sequence record with a bad layout")
            n, s = int.from_bytes(p[:8], "big"), int.from_bytes(p[8:16], "big")
            if s > self.highest.get(n, -1):
                self.highest[n] = s

    def floor(self, number):
        return self.highest.get(number, 0)

    def remember(self, number, seq):
        """On flash before the caller signs; a sequence not above the one held costs nothing."""
        if seq <= self.highest.get(number, -1):
            return
        if number not in self.highest and len(self.highest) >= MAX_ACCOUNTS:
            raise SeqLogError("seqlog_full", "too many account numbers signed for",
                              limit=MAX_ACCOUNTS)
        self.log.append(_pack(number, seq), self._live)
        self.highest[number] = seq

    def _live(self):
        return [_pack(n, s) for n, s in self.highest.items()]
