# mcumgr serial framing ("SMP over console"), as Zephyr, mcumgr, smpmgr and smpclient speak it.
#
#   packet = u16 length (message + 2) | SMP message | u16 CRC16-XMODEM(message), big endian
#   the packet is base64-encoded and cut into lines of at most 127 bytes:
#     first line:  0x06 0x09 <base64 chunk> "\n"
#     next lines:  0x04 0x14 <base64 chunk> "\n"
#   every chunk is a multiple of 4 characters, so each line decodes on its own.
#
# The decoder is fed raw bytes as they arrive and never raises on line noise: garbage, a bad
# CRC, an oversized line or a frame that stalls past its timeout is dropped and counted, and the
# next start line resynchronises. decode_line() and decode_packet() are the strict pieces
# (DecodeError on anything wrong), which the fuzz tests drive directly. Spec: docs/smp-link.md.
# Shared subset: CPython and MicroPython.

import binascii

from lightclient.chip.core.errors import DecodeError

START = b"\x06\x09"
CONT = b"\x04\x14"
_FIRST_BYTES = (START[:1], CONT[:1])
LINE_MAX = 127            # bytes on the wire per line, delimiter and newline included
RX_LINE_MAX = 136         # we accept a little more than we send (clients that count 128 + CR)
DEFAULT_MAX_MESSAGE = 16384
DEFAULT_TIMEOUT_MS = 5000  # a frame (or a line) not completed within this is dropped
NO_MEMORY = "frame_no_memory"   # a frame dropped for want of heap (its sender gets ENOMEM)

def _crc_table():
    t = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        t.append(c & 0xFFFF)
    return t


_CRC_TABLE = _crc_table()


try:  # the chip's C module (native image): the Python loop below cost ~850 instructions a byte
    from lccrypto import crc16_xmodem as _crc16_native
except (ImportError, AttributeError):  # CPython, WebAssembly, a pure image, an older lccrypto
    _crc16_native = None


try:  # the sender in C (native image): no object made per line on the chip's heap
    from lccrypto import smp_encode_in_place as _encode_native
except (ImportError, AttributeError):
    _encode_native = None
NATIVE_LINE_MAX = 256      # lc_frame.h's LC_SMP_TX_LINE_MAX: longer lines are framed here


def crc16(data, crc=0):
    """CRC16-CCITT, XMODEM variant (poly 0x1021, init 0, no reflection, no final xor)."""
    if _crc16_native is not None:
        return _crc16_native(data, crc)
    return crc16_py(data, crc)


def crc16_py(data, crc=0):
    """crc16 in Python: what runs where lccrypto is absent (and the reference the C one is
    tested against)."""
    t = _CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ t[((crc >> 8) ^ b) & 0xFF]
    return crc


def _b64encode(data):
    return binascii.b2a_base64(data, newline=False)  # no copy to drop the newline


def _chunk(line_max):
    chunk = (line_max - 4) // 4 * 3  # raw bytes per line: 90 (120 base64 characters) for 127
    if chunk <= 0:
        raise DecodeError("frame_line_length", "line length too small", line_max=line_max)
    return chunk


def packet_size(n, line_max=LINE_MAX):
    """The length of encode_packet()'s output for an n-byte message."""
    if n + 2 > 0xFFFF:
        raise DecodeError("frame_too_large", "SMP message too long for the serial framing",
                          length=n)
    chunk = _chunk(line_max)
    full, last = divmod(n + 4, chunk)   # the packet: length, message, CRC
    size = full * (len(START) + chunk // 3 * 4 + 1)
    if last:
        size += len(START) + (last + 2) // 3 * 4 + 1
    return size


def encode_packet(message, line_max=LINE_MAX):
    """SMP message bytes -> the bytes to write on the line (all lines, newline-terminated)."""
    n = len(message)
    out = bytearray(packet_size(n, line_max))
    if _encode_native is not None and line_max <= NATIVE_LINE_MAX:
        out[len(out) - n:] = message
        return _encode_native(out, len(out) - n, line_max)
    return _encode_lines(out, memoryview(message), n, line_max)


def encode_in_place(buf, off, line_max=LINE_MAX):
    """encode_packet(buf[off:]) written over `buf` itself, whose length must be
    packet_size(len(buf) - off) (as smp.header.encode_message(..., packet_size) makes it): the
    lines are written from the front while the message is read from its place at the end, which
    they never overtake (a line is 123 bytes for 90 read, and the room in front is 33 bytes a
    line), so a 4 KB answer needs no second buffer of its size on the chip's heap."""
    n = len(buf) - off
    if off < 0 or len(buf) != packet_size(n, line_max):
        raise DecodeError("frame_room", "buffer not sized for framing its message in place",
                          length=len(buf), offset=off)
    if _encode_native is not None and line_max <= NATIVE_LINE_MAX:
        return _encode_native(buf, off, line_max)
    return _encode_lines(buf, memoryview(buf)[off:], n, line_max)


def _encode_lines(out, message, n, line_max):
    # Line by line: the same characters as encoding the whole packet and cutting it (a chunk is
    # a multiple of 3 bytes), with small allocations (MicroPython's b2a_base64 is superlinear
    # in the WebAssembly port, and a board's heap fragments). A line's bytes are a view of the
    # message but for the first (after the length) and the last (before the CRC), copied into a
    # line-sized buffer; each line is read (encoded) before its characters are written.
    c = crc16(message)
    chunk = _chunk(line_max)
    total = n + 4
    head = bytes(((n + 2) >> 8, (n + 2) & 0xFF))
    tail = bytes((c >> 8, c & 0xFF))
    o = 0
    for i in range(0, total, chunk):
        end = i + chunk if i + chunk < total else total
        if i >= 2 and end <= n + 2:
            raw = message[i - 2:end - 2]       # message bytes only
        else:                                  # the length or the CRC in this line
            raw = bytearray(end - i)
            a = i if i > 2 else 2              # [a, b): the message's bytes in this line
            b = end if end < n + 2 else n + 2
            for k in range(i, a):
                raw[k - i] = head[k]
            if b > a:
                raw[a - i:b - i] = message[a - 2:b - 2]
            for k in range(b if b > i else i, end):
                raw[k - i] = tail[k - n - 2]
        line = _b64encode(raw)
        raw = None
        mark = START if i == 0 else CONT
        out[o:o + len(mark)] = mark
        o += len(mark)
        out[o:o + len(line)] = line
        o += len(line)
        out[o] = 10   # "\n"
        o += 1
    return out


def decode_line(line):
    """One line without its newline (a trailing CR is tolerated) -> (is_start, decoded bytes).
    Raises DecodeError when it is not an SMP line or its base64 is malformed."""
    if line[-1:] == b"\r":
        line = line[:-1]
    head = line[:2]
    if head == START:
        is_start = True
    elif head == CONT:
        is_start = False
    else:
        raise DecodeError("frame_not_smp", "line does not start with an SMP delimiter")
    body = bytes(line[2:])
    if len(body) == 0 or len(body) % 4:
        raise DecodeError("frame_base64", "base64 chunk length is not a positive multiple of 4",
                          length=len(body))
    try:
        data = binascii.a2b_base64(body)
    except (ValueError, TypeError):  # binascii.Error is a ValueError subclass
        raise DecodeError("frame_base64", "malformed base64")
    # a2b_base64 skips characters outside the alphabet (both runtimes): only the canonical
    # encoding of what it returned is accepted, which rejects those and any non-zero pad bits.
    if _b64encode(data) != body:
        raise DecodeError("frame_base64", "not canonical base64 (bad character or padding)")
    return is_start, data


def decode_packet(lines, max_message=DEFAULT_MAX_MESSAGE):
    """Strict: the lines of one packet (without newlines) -> SMP message bytes."""
    if not lines:
        raise DecodeError("frame_empty", "no lines")
    acc = None
    for i in range(len(lines)):
        is_start, data = decode_line(lines[i])
        if is_start != (i == 0):
            raise DecodeError("frame_delimiter", "start line not first, or a second start line",
                              line=i)
        if acc is None:
            acc = _Assembly(data, max_message)
        else:
            acc.add(data)
    return acc.finish()


class _Assembly:
    """The packet being reassembled: bounded by its announced length before anything grows."""

    def __init__(self, first, max_message):
        if len(first) < 2:
            raise DecodeError("frame_short", "start line carries no length")
        n = (first[0] << 8) | first[1]
        if n < 2 + 8:
            raise DecodeError("frame_length", "packet length too small for an SMP header",
                              length=n)
        if n > max_message + 2:
            raise DecodeError("frame_too_large", "packet longer than the receive buffer",
                              length=n, max_bytes=max_message + 2)
        self.need = n
        # Allocated once at the announced (bounded) size: growing it line by line would copy
        # it each time and leave a trail of freed blocks in a fixed heap. The message and its
        # CRC are kept apart, so the message is handed on without a copy.
        self.buf = bytearray(n - 2)
        self.crc = bytearray(2)
        self.fill = 0
        self.add(memoryview(first)[2:])

    def add(self, data):
        k = len(data)
        f = self.fill
        if f + k > self.need:
            raise DecodeError("frame_overrun", "more data than the packet length announced",
                              length=f + k, expected=self.need)
        m = self.need - 2
        j = m - f if m - f < k else k  # bytes of the message; the rest (at most 2) is the CRC
        if j > 0:
            self.buf[f:f + j] = data if j == k else memoryview(data)[:j]
        else:
            j = 0
        for i in range(j, k):
            self.crc[f + i - m] = data[i]
        self.fill = f + k

    def complete(self):
        return self.fill == self.need

    def finish(self):
        """The message (a bytearray: the assembly buffer itself)."""
        if not self.complete():
            raise DecodeError("frame_truncated", "packet shorter than its length",
                              length=self.fill, expected=self.need)
        msg = self.buf
        self.buf = None
        crc = (self.crc[0] << 8) | self.crc[1]
        if crc16(msg) != crc:
            raise DecodeError("frame_crc", "CRC16 mismatch", got=crc, expected=crc16(msg))
        return msg


class PyFrameDecoder:
    """Incremental receiver: feed(bytes, now_ms) -> list of complete SMP messages (bytearrays:
    each is the buffer its frame was assembled in).
    Never raises on the data; what it drops is counted in `stats` and the last reason is kept
    in `last_error` (a DecodeError), for the status command and the tests. A frame whose
    buffer the heap cannot hold is dropped too, but its SMP header (in its start line) is kept
    in `unheld` as (header bytes, packet length) until take_unheld(): its sender is owed an
    answer (ENOMEM), not silence.
    FrameDecoder is this class where lccrypto is absent, else NativeFrameDecoder (the same
    rules in C: ~10 M instructions less on a 7 KB request, no object per line)."""

    def __init__(self, max_message=DEFAULT_MAX_MESSAGE, timeout_ms=DEFAULT_TIMEOUT_MS):
        self.max_message = max_message
        self.timeout_ms = timeout_ms
        self.line = bytearray()
        self.skipping = False     # inside an oversized line: drop up to the next newline
        self.line_start = 0
        self._tail = b""          # the last byte fed: a delimiter may straddle two reads
        self.asm = None
        self.asm_start = 0
        self.unheld = None
        self.discarding = False   # the rest of a dropped frame: its lines are skipped quietly
        self.last_error = None
        self.stats = {"frames": 0, "dropped": 0, "noise_lines": 0, "timeouts": 0}

    def _drop(self, err):
        self.last_error = err
        self.stats["dropped"] += 1

    def expire(self, now_ms):
        """Drop a partial line or frame older than the timeout (also called by feed)."""
        if self.asm is not None and _age(now_ms, self.asm_start) > self.timeout_ms:
            self.asm = None
            self.discarding = True
            self.stats["timeouts"] += 1
            self._drop(DecodeError("frame_timeout", "frame not completed in time"))
        if self.line and _age(now_ms, self.line_start) > self.timeout_ms:
            self.line = bytearray()
            self.stats["timeouts"] += 1

    def feed(self, data, now_ms=0):
        self.expire(now_ms)
        if not isinstance(data, bytes):
            data = bytes(data)
        out = []
        start = 0
        n = len(data)
        while start < n:
            nl = data.find(b"\n", start)
            end = n if nl < 0 else nl
            if end > start:
                self._segment(data, start, end, now_ms)
            if nl < 0:
                break
            if self.skipping:
                self.skipping = False
            else:
                line = bytes(self.line)
                self.line = bytearray()
                msg = self._line(line, now_ms)
                if msg is not None:
                    out.append(msg)
            self._tail = b""
            start = nl + 1
        return out

    def _segment(self, data, start, end, now_ms):
        """data[start:end], a piece of one line, joins the current line. A delimiter inside a
        line (base64 never holds its bytes) starts a new one: what came before it is noise
        (console text or line noise with no newline, the torn head of a line), and the frame
        behind it still gets through."""
        busy = self.skipping or len(self.line) > 0
        cut = -1
        for d in (START, CONT):
            i = data.rfind(d, start, end)
            if i > cut and (i > start or busy):
                cut = i
        keep = b""
        if cut < 0 and self._tail in _FIRST_BYTES and (
                self.skipping or len(self.line) > 1) and (
                self._tail + data[start:start + 1]) in (START, CONT):
            cut = start          # the delimiter straddles two reads: its first byte was fed last
            keep = self._tail
        if cut >= 0:
            self.stats["noise_lines"] += 1
            self.line = bytearray(keep)
            self.skipping = False
            self.line_start = now_ms
            start = cut
        if not self.skipping:
            if not self.line:
                self.line_start = now_ms
            self.line += data[start:end]
            if len(self.line) > RX_LINE_MAX:
                self.line = bytearray()
                self.skipping = True
                self._drop(DecodeError("frame_line_too_long", "line longer than the limit",
                                       max_len=RX_LINE_MAX))
        self._tail = data[end - 1:end]

    def _line(self, line, now_ms):
        head = line[:2]
        if head != START and head != CONT:
            # Console text sharing the line (boot messages, a REPL): not ours, not an error.
            if line.strip():
                self.stats["noise_lines"] += 1
            return None
        data = is_start = None
        try:
            if head == CONT and self.asm is None and self.discarding:
                return None
            is_start, data = decode_line(line)
            if is_start:
                self.discarding = False
                if self.asm is not None:
                    self._drop(DecodeError("frame_abandoned", "new start line inside a frame"))
                self.asm = None
                self.asm = _Assembly(data, self.max_message)
                self.asm_start = now_ms
            else:
                if self.asm is None:
                    raise DecodeError("frame_orphan", "continuation line without a start line")
                self.asm.add(data)
            if not self.asm.complete():
                return None
            asm = self.asm
            self.asm = None
            msg = asm.finish()
            self.stats["frames"] += 1
            return msg
        except DecodeError as e:
            self.asm = None
            self.discarding = True
            self._drop(e)
            return None
        except MemoryError:
            # A frame the chip's heap cannot hold is dropped like a bad one: the link survives,
            # and the start line's SMP header is kept so that its sender gets an answer.
            self.asm = None
            self.discarding = True
            length = None
            if is_start and data is not None and len(data) >= 2 + 8:
                length = (data[0] << 8) | data[1]
                self.unheld = (bytes(data[2:10]), length)
            self._drop(DecodeError(NO_MEMORY, "no heap for the frame", length=length))
            return None

    def take_unheld(self):
        """(SMP header bytes, packet length) of the last frame dropped for want of heap, once;
        None when there is none."""
        u, self.unheld = self.unheld, None
        return u


# lccrypto.SmpDecoder's drop reasons (lc_frame.h's order) -> DecodeError(check, message, details)
_NATIVE_ERRORS = (
    None,
    ("frame_line_too_long", "line longer than the limit", ("max_len",)),
    ("frame_base64", "base64 chunk length is not a positive multiple of 4", ("length",)),
    ("frame_base64", "not canonical base64 (bad character or padding)", ()),
    ("frame_orphan", "continuation line without a start line", ()),
    ("frame_abandoned", "new start line inside a frame", ()),
    ("frame_short", "start line carries no length", ()),
    ("frame_length", "packet length too small for an SMP header", ("length",)),
    ("frame_too_large", "packet longer than the receive buffer", ("length", "max_bytes")),
    ("frame_overrun", "more data than the packet length announced", ("length", "expected")),
    ("frame_crc", "CRC16 mismatch", ("got", "expected")),
    (NO_MEMORY, "no heap for the frame", ("length",)),
    ("frame_timeout", "frame not completed in time", ()),
)


class NativeFrameDecoder:
    """PyFrameDecoder's interface on lccrypto.SmpDecoder (firmware/cmodules/lccrypto/lc_frame.c):
    one C call per read; the clock and the typed errors stay here."""

    def __init__(self, max_message=DEFAULT_MAX_MESSAGE, timeout_ms=DEFAULT_TIMEOUT_MS):
        self.max_message = max_message
        self.timeout_ms = timeout_ms
        self._c = _SmpDecoder(max_message)
        self.line_start = 0
        self.asm_start = 0

    @property
    def stats(self):
        i = self._c.info()
        return {"frames": i[0], "dropped": i[1], "noise_lines": i[2], "timeouts": i[3]}

    @property
    def last_error(self):
        i = self._c.info()
        if not i[4]:
            return None
        check, message, names = _NATIVE_ERRORS[i[4]]
        details = {}
        for k in range(len(names)):
            details[names[k]] = i[5 + k]
        return DecodeError(check, message, **details)

    def expire(self, now_ms):
        busy = self._c.busy()
        if busy:
            t = self.timeout_ms
            frame = busy & 2 and _age(now_ms, self.asm_start) > t
            line = busy & 1 and _age(now_ms, self.line_start) > t
            if frame or line:
                self._c.expire(frame, line)

    def take_unheld(self):
        return self._c.take_unheld()

    def feed(self, data, now_ms=0):
        self.expire(now_ms)
        out = []
        started = self._c.feed(data, out)
        if started & 1:
            self.line_start = now_ms
        if started & 2:
            self.asm_start = now_ms
        return out


try:  # the chip's C module: the receiver in C (an older lccrypto or none: the Python one)
    from lccrypto import SmpDecoder as _SmpDecoder
except ImportError:
    _SmpDecoder = None

FrameDecoder = PyFrameDecoder if _SmpDecoder is None else NativeFrameDecoder


def _age(now_ms, then_ms):
    # ticks_ms on a board wraps; the emulator and the Pi pass monotonic milliseconds.
    d = now_ms - then_ms
    return d if d >= 0 else 0
