# The SMP receiver in C (lccrypto.SmpDecoder behind frame.NativeFrameDecoder) must behave as the
# Python one (frame.PyFrameDecoder, what the WebAssembly build runs) byte for byte: the same
# streams, cut into the same chunks at the same clock, through both on the chip's build, give the
# same messages, counters and last error after every read. The streams mix good frames with
# everything the link can bring: console noise, CR line ends, delimiters torn across reads (every
# cut inside every delimiter of one stream), bad CRC and base64, oversized and orphan lines, a new
# start inside a frame, lengths too small or too large, overruns and timeouts.
import random
from pathlib import Path

from lightclient.chip.smp import frame
from tests.chip32.chip32 import run

ALL_DROPS = {"frame_line_too_long", "frame_base64", "frame_orphan", "frame_abandoned",
             "frame_short", "frame_length", "frame_too_large", "frame_overrun", "frame_crc",
             "frame_timeout"}

CHIP = r"""
import binascii
from lightclient.chip.smp import frame
assert frame.FrameDecoder is frame.NativeFrameDecoder
def err(d):
    e = d.last_error
    return None if e is None else (e.check, sorted(e.details.items()))
feeds = frames = 0
seen = set()
py = c = None
for line in open(CASES):
    parts = line.split()
    if parts[0] == "C":
        t, m = int(parts[1]), int(parts[2])
        py, c = frame.PyFrameDecoder(m, t), frame.NativeFrameDecoder(m, t)
        continue
    now = int(parts[1])
    data = binascii.unhexlify(parts[2]) if len(parts) > 2 else b""
    a, b = py.feed(data, now), c.feed(data, now)
    feeds += 1
    frames += len(a)
    if [bytes(x) for x in a] != [bytes(x) for x in b] or py.stats != c.stats or err(py) != err(c):
        print("DIFF", feeds, a, b, py.stats, c.stats, err(py), err(c))
        raise SystemExit(1)
    if err(c):
        seen.add(err(c)[0])
print("SAME", feeds, frames, ",".join(sorted(seen)))
"""


def _message(r, n):
    return bytes([0, 0, 0, n & 0xFF, 0, 64, 1, 7]) + bytes(r.randrange(256) for _ in range(n))


def _raw_lines(raw, start=True):
    # a packet's bytes cut as encode_packet does, one line each
    out = []
    for i in range(0, len(raw), 90):
        mark = frame.START if (i == 0 and start) else frame.CONT
        out.append(mark + frame._b64encode(raw[i:i + 90]) + b"\n")
    return out


def _piece(r):
    """One piece of a stream: mostly good frames, then every kind of damage."""
    k = r.randrange(16)
    msg = _message(r, r.choice((0, 1, 40, 82, 83, 84, 85, 86, 200, 400)))
    wire = bytes(frame.encode_packet(msg))
    if k < 6:
        return wire if r.randrange(3) else wire.replace(b"\n", b"\r\n")
    if k == 6:   # console text, blank and whitespace lines, a bare delimiter byte
        return r.choice((b"boot: ok\n", b"\n", b"  \t\r\n", b"\x06\n", b"\x04x\n", b"text\x06"))
    if k == 7:   # a CRC or data byte flipped inside the base64
        i = r.randrange(2, len(wire) - 1)
        if wire[i] in b"\n\x06\x09\x04\x14":
            return wire
        return wire[:i] + bytes([wire[i] ^ 1]) + wire[i + 1:]
    if k == 8:   # an oversized line, and garbage before a delimiter
        return b"A" * r.choice((135, 140, 300)) + r.choice((b"\n", b"")) + wire
    if k == 9:   # truncated frame (abandoned by the next start, or orphaned continuation)
        lines = wire.split(b"\n")
        return b"\n".join(lines[:max(1, len(lines) // 2)]) + b"\n"
    if k == 10:  # a continuation line alone
        return _raw_lines(b"\x00" * 30, start=False)[0]
    if k == 11:  # lengths: short start line, too small, too large, overrun
        n = r.choice((0, 5, 9, 12, 70000 & 0xFFFF, 20000))
        raw = bytes([n >> 8, n & 0xFF]) + bytes(r.choice((0, 10, 200)))
        return b"".join(_raw_lines(raw[:r.choice((1, len(raw)))]))
    if k == 12:  # non-canonical base64: pad bits, bad characters, bad length
        return r.choice((b"\x06\x09AB==\n", b"\x06\x09AAA=\n", b"\x06\x09A===\n", b"\x06\x09====\n",
                         b"\x06\x09AA*A\n", b"\x06\x09AAA\n", b"\x06\x09\n", b"\x06\x09AA==AAAA\n",
                         b"\x04\x14AAAA\r\n", b"\x06\x09AAAA AAA\n"))
    if k == 13:  # a delimiter inside a line: the frame behind it gets through
        return b"noise" + wire
    if k == 14:  # a start line inside a frame
        lines = wire.split(b"\n")
        return lines[0] + b"\n" + wire
    return bytes(r.choice(b"\x06\x09\x04\x14\n\r A=/+z") for _ in range(r.randrange(1, 40)))


def _cases(r):
    out = []

    def case(stream, timeout, max_message, cuts):
        out.append("C %d %d" % (timeout, max_message))
        now, i = 0, 0
        for j in cuts + [len(stream)]:
            now += r.choice((0, 0, 1, 30, 120))
            out.append("F %d %s" % (now, stream[i:j].hex()))
            i = j

    for _ in range(90):
        stream = b"".join(_piece(r) for _ in range(r.randrange(1, 9)))
        n = len(stream)
        cuts = sorted(r.sample(range(1, n), min(n - 1, r.randrange(0, 12)))) if n > 1 else []
        case(stream, r.choice((100, 5000)), r.choice((64, 300, 16384)), cuts)
    # every cut inside (and around) every delimiter of one stream with noise and torn lines
    stream = (b"xx" + bytes(frame.encode_packet(_message(r, 150))) + b"\x06garbage"
              + bytes(frame.encode_packet(_message(r, 10))))
    for i in range(1, len(stream)):
        if stream[i - 1:i + 1] in (frame.START, frame.CONT) or stream[i:i + 2] in (
                frame.START, frame.CONT):
            case(stream, 5000, 16384, [i])
    # each length error once, whatever the draws gave (a too-small, a too-large, an overrun)
    for n, extra in ((9, 10), (20000, 10), (12, 200)):
        case(b"".join(_raw_lines(bytes([n >> 8, n & 0xFF]) + bytes(extra))), 5000, 16384, [])
    # the 256-byte reads of the board, and one-byte reads
    big = bytes(frame.encode_packet(_message(r, 3000)))
    case(big, 5000, 16384, list(range(256, len(big), 256)))
    case(big[:700], 5000, 16384, list(range(1, 700)))
    return out


def test_native_receiver_equals_the_python_one(tmp_path: Path):
    cases = tmp_path / "cases.txt"
    cases.write_text("\n".join(_cases(random.Random(20))) + "\n")
    p = run("CASES = %r\n" % str(cases) + CHIP, heap="1024K")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    same, feeds, frames, seen = p.stdout.split()
    assert same == "SAME" and int(frames) > 100
    assert set(seen.split(",")) == ALL_DROPS   # every drop reason was compared at least once


NO_HEAP = r"""
from lightclient.chip.smp import frame
import gc
big = frame.encode_packet(bytes(8) + bytes(12000))
small = frame.encode_packet(bytes(8) + b"ok")
d = frame.FrameDecoder(16384)
gc.collect()
hold = []
try:
    while True:
        hold.append(bytearray(1024))
except MemoryError:
    pass
del hold[-4:]          # room for the lines, none for a 12 KB frame
out = []
for i in range(0, len(big), 256):
    out += d.feed(big[i:i + 256], 0)
hold = None
gc.collect()
print(len(out), d.last_error.check, d.stats["dropped"],
      [bytes(m) for m in d.feed(small, 0)] == [bytes(8) + b"ok"],
      frame.FrameDecoder(1 << 16).feed(small, 0) == [bytes(8) + b"ok"],
      d.take_unheld() == (bytes(8), 12010), d.take_unheld() is None,
      d.last_error.details["length"])
"""


def test_native_receiver_drops_a_frame_the_heap_cannot_hold_and_keeps_the_link():
    p = run(NO_HEAP)
    assert p.returncode == 0, p.stderr
    # the dropped frame's header is kept for its ENOMEM answer (firmware._no_heap_for_frame)
    assert p.stdout.split() == ["0", "frame_no_memory", "1", "True", "True", "True", "True",
                                "12010"]


def test_native_sender_frames_in_place_as_the_python_one():
    # the C sender (lccrypto.smp_encode_in_place behind frame.encode_in_place / encode_packet)
    # against the Python lines, which the smp package's encoder pins (test_fw_smp_codec.py):
    # every message length across the first lines' edges, 4 KB answers, several line lengths
    cases = [(lm, n) for lm in (127, 8, 9, 40, 256) for n in range(0, 200)]
    cases += [(lm, n) for lm in (127, 40, 256) for n in (4093, 4094, 4095, 4096, 6000)]
    py = []
    for lm, n in cases:
        msg = bytes((i * 7 + n) & 0xFF for i in range(n))
        saved, frame._encode_native = frame._encode_native, None
        try:
            py.append(bytes(frame.encode_packet(msg, lm)))
        finally:
            frame._encode_native = saved
    p = run("import hashlib, lccrypto\n"
            "from lightclient.chip.smp import frame\n"
            "assert frame._encode_native is lccrypto.smp_encode_in_place\n"
            "for lm, n in %r:\n"
            "    msg = bytes((i * 7 + n) & 0xFF for i in range(n))\n"
            "    a = frame.encode_packet(msg, lm)\n"
            "    h = hashlib.sha256(a).digest().hex()\n"
            "    a = None\n"
            "    size = frame.packet_size(n, lm)\n"
            "    buf = bytearray(size)\n"
            "    buf[size - n:] = msg\n"
            "    msg = None\n"
            "    b = frame.encode_in_place(buf, size - n, lm)\n"
            "    print(h, hashlib.sha256(b).digest().hex() == h)\n"
            "for bad in ((bytearray(10), 0, 127), (bytearray(30), 3, 127), (bytearray(12), 0, 7),"
            " (bytearray(12), 0, 300), (bytearray(12), 13, 127)):\n"
            "    try:\n"
            "        lccrypto.smp_encode_in_place(*bad)\n"
            "        print('accepted')\n"
            "    except ValueError:\n"
            "        print('ValueError')\n" % (cases,))
    assert p.returncode == 0, p.stdout[-500:]
    out = p.stdout.split("\n")
    import hashlib
    want = ["%s True" % hashlib.sha256(x).hexdigest() for x in py]
    assert out[:len(want)] == want
    assert out[len(want):len(want) + 5] == ["ValueError"] * 5
