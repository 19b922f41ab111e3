"""A Clock the test drives: time passes only when the test says so (advance), or by a fixed step
at every reading (tick), so a deadline is reached after a known number of reads whatever the
machine's speed."""

from lightclient.clock import Clock


class FakeTime:
    def __init__(self, wall=1_800_000_000.0, mono=1000.0, tick=0.0):
        self.wall_s = wall
        self.mono_s = mono
        self.tick = tick
        self.reads = 0

    def advance(self, seconds):
        self.wall_s += seconds
        self.mono_s += seconds

    def wall(self):
        return self.wall_s

    def monotonic(self):
        self.reads += 1
        now = self.mono_s
        self.advance(self.tick)
        return now

    def clock(self, **kw):
        return Clock(wall=self.wall, monotonic=self.monotonic, **kw)
