"""No module of the package reads the system's time except the clock module (time is handed in
as a Clock, so tests drive it). The exceptions are listed here, each with its reason."""

import os
import re

import lightclient

# Reading the system's time: wall, monotonic or performance clocks, MicroPython's ticks, dates.
READS_TIME = re.compile(
    r"\bu?time\.(time|time_ns|monotonic|monotonic_ns|perf_counter|perf_counter_ns|process_time|"
    r"ticks_ms|ticks_us|ticks_cpu|localtime|gmtime|clock_gettime)\b|"
    r"\b(datetime|date)\.(now|utcnow|today)\b|\bfrom time import\b")

ROOT = os.path.dirname(lightclient.__file__)

# path relative to the package -> why it may read the system's time (one place, reviewed)
ALLOWED = {
    "clock.py": "the clock module itself",
    # Not yet handed a Clock: they take an injectable monotonic/wall function whose default is
    # the system's (the device API and the serial link are other parts' work).
    "api/service.py": "default of its injectable `monotonic` argument",
    "api/submitter.py": "default of its injectable `monotonic` argument",
    "api/queue.py": "default of its injectable `clock` argument",
    "mcu.py": "serial-link deadlines and the chip's time argument in the module's usage notes",
    "providers/router.py": "default of its injectable `monotonic` argument",
    "api/server.py": "the HTTP transport's own read deadlines and logged request durations",
}


# Parts of the package that are not the light client and run on a real clock by nature: the
# local network makes blocks on the wall clock, the testers' tools time the hardware.
OTHER_PARTS = {
    "scenarionet/": "the local network: a chain that produces blocks in real time",
    "runlock.py": "the local networks' directory lock: its holder's start time, its patience",
    "localchain/": "the real local chain's launcher: waits on node processes in real time",
    "hwtest/": "the testers' tools: flashing, emulator and self-test timing of real hardware",
    "demo.py": "the demo script: prints how long each step took",
}


def _modules():
    for d, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                p = os.path.join(d, f)
                yield os.path.relpath(p, ROOT).replace(os.sep, "/"), p


def test_only_the_clock_module_reads_the_system_time():
    offenders = {}
    for rel, path in _modules():
        if rel in ALLOWED or any(rel.startswith(part) for part in OTHER_PARTS):
            continue
        with open(path, encoding="utf-8") as f:
            hits = [i + 1 for i, line in enumerate(f) if READS_TIME.search(line)]
        if hits:
            offenders[rel] = hits
    assert offenders == {}, "read the time through the Clock handed in: %r" % offenders


def test_the_scan_sees_a_reading_and_the_exceptions_still_read_time():
    # the pattern catches the forms in use, so an empty result above means something
    for line in ("t = time.monotonic()", "time.time_ns()", "datetime.datetime.now()",
                 "from time import monotonic", "utime.ticks_ms()"):
        assert READS_TIME.search(line), line
    assert not READS_TIME.search("deadline = clock.monotonic() + 2")
    # an exception that moved or no longer reads the time is dropped from the list
    for part in OTHER_PARTS:
        assert os.path.exists(os.path.join(ROOT, part)), part
    for rel in ALLOWED:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            assert READS_TIME.search(f.read()), "%s no longer reads time: unlist it" % rel
