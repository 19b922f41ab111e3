# Time on a device without a battery-backed clock. At boot the wall clock can read 1970, or be off
# by hours or days until NTP (itself unauthenticated) fixes it. Two rules make any reading safe
# to use for verification:
# 1. The floor: time never goes below the newest verified header time. Verified headers are
#    signed by >2/3 of a validator set we trust, so their time is a lower bound on "now"; a clock
#    in 1970 becomes "at least as late as the last header we verified".
# 2. The network: the median of the latest block times reported by several independent nodes.
#    It is not verified (a node can lie about its head), but a median of >= 3 can't be moved by a
#    minority of liars. When the wall clock disagrees with that median by more than `tolerance`,
#    the wall clock is the one that's wrong (no RTC), so the median is used.
# Wrong time can only make the client refuse (a header looks "from the future", or the trusting
# period looks expired); it never makes it accept: every header still needs its signatures.
#
# This is the one module of the Pi shell that reads the system's clocks: everything else is
# handed a Clock (tests hand in one they drive). `monotonic()` is for deadlines and backoffs,
# `wall()` the raw wall clock in seconds (timestamps for people and the ban file), `now_ns()` the
# time verification uses (the rules above).

import time

SECOND = 1000000000
TOLERANCE_NS = 120 * SECOND
MIN_SOURCES = 2


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    return v[(n - 1) // 2]  # the lower median: with two sources, trust the earlier time


class Clock:
    """now_ns() = max(floor, wall or network time). `wall` and `monotonic` are functions returning
    seconds (the system's by default)."""

    def __init__(self, wall=time.time, floor_ns=0, tolerance_ns=TOLERANCE_NS,
                 monotonic=time.monotonic):
        self.wall = wall
        self.monotonic = monotonic
        self.floor_ns = floor_ns
        self.tolerance_ns = tolerance_ns
        self.network_ns = None       # median of sources' head times at observed_mono
        self.network_sources = 0
        self.observed_mono = None

    def raise_floor(self, header_time_ns):
        if header_time_ns > self.floor_ns:
            self.floor_ns = header_time_ns

    def observe_network(self, head_times_ns):
        """Head times from distinct sources (one per source). Kept when there are enough."""
        if len(head_times_ns) < MIN_SOURCES:
            return False
        self.network_ns = median(head_times_ns)
        self.network_sources = len(head_times_ns)
        self.observed_mono = self.monotonic()
        return True

    def wall_ns(self):
        try:
            return int(self.wall() * SECOND)
        except (TypeError, ValueError, OverflowError):
            return 0

    def source(self):
        """Which reading now_ns() uses: "wall", "network" or "floor"."""
        return self._now()[1]

    def _now(self):
        wall = self.wall_ns()
        best, src = wall, "wall"
        if self.network_ns is not None:
            net = self.network_ns + int((self.monotonic() - self.observed_mono) * SECOND)
            if abs(wall - net) > self.tolerance_ns:
                best, src = net, "network"
        if best < self.floor_ns:
            best, src = self.floor_ns, "floor"
        return best, src

    def now_ns(self):
        return self._now()[0]

    def to_dict(self):
        n, src = self._now()
        return {"now_ns": n, "source": src, "wall_ns": self.wall_ns(), "floor_ns": self.floor_ns,
                "network_ns": self.network_ns, "network_sources": self.network_sources}
