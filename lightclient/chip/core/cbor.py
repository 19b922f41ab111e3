# Deterministic CBOR (RFC 8949 section 4.2.1, "core deterministic encoding"), strict subset.
# Carries the compact light-block updates (Pi -> microcontroller) and SMP payloads, so the decoder
# faces hostile bytes: every length is bounded before use, every failure is a DecodeError with a
# precise `check`, recursion is bounded by `max_depth`. Subset, limits, errors: docs/cbor-subset.md.
# Shared subset: runs unchanged on CPython and MicroPython.
#
# Items: unsigned and negative integers (-2**64 .. 2**64-1), byte strings, UTF-8 text strings,
# arrays, maps (keys: int, str, bytes), false, true, null. No floats, tags, other simple values,
# indefinite lengths. Arguments are always in their shortest form; map keys are sorted bytewise by
# their encoded form and unique.

from lightclient.chip.core.errors import DecodeError

DEFAULT_MAX_DEPTH = 16
DEFAULT_MAX_ITEMS = 16384
DEFAULT_MAX_BYTES = 262144
# Hard ceiling on max_depth, so that no caller can turn bounded recursion into a stack overflow.
MAX_DEPTH_CEILING = 64

_U64_LIMIT = 18446744073709551616  # 2**64


# ---------------------------------------------------------------------------------------------
# Encoder


def dumps(obj, max_depth=DEFAULT_MAX_DEPTH):
    """Encode `obj` as deterministic CBOR. Raises DecodeError ("cbor_encode_*") for anything
    outside the subset, so whatever dumps() returns, loads() accepts with the same max_depth."""
    return bytes(dumps_buffer(obj, max_depth))


def dumps_buffer(obj, max_depth=DEFAULT_MAX_DEPTH):
    """As dumps(), as the bytearray it was written into (no copy: the chip's store takes it)."""
    # Two passes: the first counts the bytes, the second writes them into one buffer of that
    # size. Growing a buffer item by item would reallocate it again and again, which on the
    # chip's fixed heap leaves a trail of freed blocks behind (the trusted state is ~4-9 KB).
    buf = bytearray(encoded_size(obj, max_depth))
    encode_into(obj, buf, 0, max_depth)
    return buf


def encoded_size(obj, max_depth=DEFAULT_MAX_DEPTH):
    """The length of dumps(obj) (the encoder's first pass), with the same errors."""
    _check_depth_limit(max_depth)
    size = _Count()
    _enc(obj, size, 0, max_depth)
    return size.n


def encode_into(obj, buf, pos, max_depth=DEFAULT_MAX_DEPTH):
    """Write dumps(obj) into the bytearray `buf` at `pos` (room counted by encoded_size)."""
    _check_depth_limit(max_depth)
    out = _Fill(buf, pos)
    _enc(obj, out, 0, max_depth)
    return out.pos


class _Count:
    """The encoder's sink for the sizing pass."""

    def __init__(self):
        self.n = 0

    def append(self, b):
        self.n += 1

    def extend(self, data):
        self.n += len(data)


class _Fill:
    """The encoder's sink for the writing pass: a buffer with room for the counted size."""

    def __init__(self, buf, pos=0):
        self.buf = buf
        self.pos = pos

    def append(self, b):
        self.buf[self.pos] = b
        self.pos += 1

    def extend(self, data):
        n = len(data)
        self.buf[self.pos:self.pos + n] = data
        self.pos += n


def _head(major, n):
    mt = major << 5
    if n < 24:
        return bytes((mt | n,))
    if n < 0x100:
        return bytes((mt | 24, n))
    if n < 0x10000:
        return bytes((mt | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((mt | 26,)) + n.to_bytes(4, "big")
    return bytes((mt | 27,)) + n.to_bytes(8, "big")


def _enc_key(k):
    if isinstance(k, bool) or not isinstance(k, (int, str, bytes)):
        raise DecodeError("cbor_encode_key_type", "map key must be int, str or bytes",
                          type=type(k).__name__)
    out = bytearray()
    _enc(k, out, 0, 0)
    return bytes(out)


def _enc(obj, out, depth, max_depth):
    # bool first: on CPython bool is an int subclass, on MicroPython it is not.
    if obj is None:
        out.append(0xF6)
    elif obj is False:
        out.append(0xF4)
    elif obj is True:
        out.append(0xF5)
    elif isinstance(obj, int):
        if obj >= 0:
            if obj >= _U64_LIMIT:
                raise DecodeError("cbor_encode_int_range", "integer above 2**64-1", value=obj)
            out.extend(_head(0, obj))
        else:
            n = -1 - obj
            if n >= _U64_LIMIT:
                raise DecodeError("cbor_encode_int_range", "integer below -2**64", value=obj)
            out.extend(_head(1, n))
    elif isinstance(obj, (bytes, bytearray)):
        out.extend(_head(2, len(obj)))
        out.extend(obj)
    elif isinstance(obj, str):
        try:
            b = obj.encode("utf-8")
        except Exception:  # CPython: lone surrogates (UnicodeEncodeError)
            raise DecodeError("cbor_encode_utf8", "text is not encodable as UTF-8")
        if len(b) != len(obj) and not _utf8_ok(b):
            # MicroPython encodes lone surrogates without complaint; loads() would reject them.
            raise DecodeError("cbor_encode_utf8", "text is not valid UTF-8")
        out.extend(_head(3, len(b)))
        out.extend(b)
    elif isinstance(obj, (list, tuple)):
        if depth >= max_depth:
            raise DecodeError("cbor_encode_depth", "nesting deeper than max_depth",
                              max_depth=max_depth)
        out.extend(_head(4, len(obj)))
        for x in obj:
            # Unsigned ints (a validator set's powers) inline: _enc's frame is a heap
            # allocation on the chip. type(x) is int is False for a bool on both runtimes.
            if type(x) is int and 0 <= x < _U64_LIMIT:
                out.extend(_head(0, x))
            else:
                _enc(x, out, depth + 1, max_depth)
    elif isinstance(obj, dict):
        if depth >= max_depth:
            raise DecodeError("cbor_encode_depth", "nesting deeper than max_depth",
                              max_depth=max_depth)
        pairs = [(_enc_key(k), v) for k, v in obj.items()]
        pairs.sort(key=_first)
        out.extend(_head(5, len(pairs)))
        prev = None
        for kb, v in pairs:
            if kb == prev:  # cannot happen for int/str/bytes keys; kept as a guard
                raise DecodeError("cbor_encode_duplicate_key", "two keys encode the same", key=kb)
            prev = kb
            out.extend(kb)
            _enc(v, out, depth + 1, max_depth)
    else:
        raise DecodeError("cbor_encode_type", "type outside the CBOR subset",
                          type=type(obj).__name__)


def _first(p):
    return p[0]


# ---------------------------------------------------------------------------------------------
# Decoder


def loads(data, max_depth=DEFAULT_MAX_DEPTH, max_items=DEFAULT_MAX_ITEMS,
          max_bytes=DEFAULT_MAX_BYTES, lazy_depth=None):
    """Decode exactly one deterministic CBOR item that fills all of `data` (bytes or bytearray).

    max_depth: most nested arrays/maps (0: scalars only; at most MAX_DEPTH_CEILING).
    max_items: most data items in total (every item counts: container, element, key, value).
    max_bytes: longest accepted input.
    lazy_depth: arrays nested this deep (the top item is depth 0) come back as LazyArray
    instead of lists. The whole input is still checked first, with the same rules, errors and
    item count; a lazy array's elements are just not built until its items() decodes them one
    at a time (a large validator list need not exist as a tree of lists on a microcontroller).
    The input must not change while a LazyArray of it is in use."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("cbor_input_type", "input must be bytes", type=type(data).__name__)
    if len(data) > max_bytes:
        raise DecodeError("cbor_too_large", "input longer than max_bytes",
                          length=len(data), max_bytes=max_bytes)
    _check_depth_limit(max_depth)
    # The whole input is here: a length beyond it is "cbor_length_exceeds_input", whatever
    # max_bytes is, so the window is the input itself.
    d = _Decoder(data, 0, max_depth, max_items, None)
    d.lazy_depth = lazy_depth
    obj = d.item(0)
    pos = d.pos
    if pos != len(data):
        raise DecodeError("cbor_trailing_bytes", "bytes after the item",
                          offset=pos, trailing=len(data) - pos)
    return obj


def loads_prefix(data, offset=0, max_depth=DEFAULT_MAX_DEPTH, max_items=DEFAULT_MAX_ITEMS,
                 max_bytes=DEFAULT_MAX_BYTES, view_min=None):
    """Decode one item starting at data[offset]; return (obj, offset just past it).

    view_min: byte strings of at least this many bytes come back as memoryviews of `data`
    instead of copies (the chip decodes a 9 KB update in its request without a second buffer);
    `data` must then not change while they are in use.

    For framing: "cbor_truncated" / "cbor_length_exceeds_input" mean the item may be complete
    once more bytes arrive; "cbor_too_large" (the item would span more than max_bytes from
    `offset`) and every other check are final."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("cbor_input_type", "input must be bytes", type=type(data).__name__)
    _check_depth_limit(max_depth)
    if offset < 0 or offset > len(data):
        raise DecodeError("cbor_offset", "offset outside the input", offset=offset,
                          length=len(data))
    d = _Decoder(data, offset, max_depth, max_items, max_bytes)
    d.view_min = view_min
    obj = d.item(0)
    return obj, d.pos


def _check_depth_limit(max_depth):
    if max_depth < 0 or max_depth > MAX_DEPTH_CEILING:
        raise DecodeError("cbor_bad_limits", "max_depth outside 0..MAX_DEPTH_CEILING",
                          max_depth=max_depth, ceiling=MAX_DEPTH_CEILING)


class _Decoder:
    def __init__(self, data, pos, max_depth, max_items, max_bytes):
        self.data = data
        self.is_bytes = isinstance(data, bytes)
        self.pos = pos
        self.end = len(data)
        self.lim = None if max_bytes is None else pos + max_bytes  # None: no window
        # The nearer of the two bounds: one comparison on the hot path, _avail (which names the
        # bound that was crossed) only when it fails.
        self.stop = self.end if self.lim is None or self.lim > self.end else self.lim
        self.max_depth = max_depth
        self.items_left = max_items
        self.max_items = max_items
        self.lazy_depth = None
        self.view_min = None

    def _avail(self, n, check):
        # Raise unless n more bytes can be read at self.pos. Nothing is allocated before this.
        # The hot paths test `self.pos + n > self.stop` inline and call this only then: on the
        # chip a function whose frame exceeds 11 words (this one's: the raise with keywords)
        # gets it from the heap at every call.
        # Past the max_bytes window is final ("cbor_too_large"); past the end of the input is
        # `check` (in loads_prefix: the item may complete once more bytes arrive).
        if self.lim is not None and self.pos + n > self.lim:
            raise DecodeError("cbor_too_large", "item longer than max_bytes",
                              offset=self.pos, needed=n, window_left=self.lim - self.pos)
        if self.pos + n > self.end:
            raise DecodeError(check, "input ends inside an item", offset=self.pos, needed=n,
                              available=self.end - self.pos)

    def _slice(self, a, b):
        if self.is_bytes:
            return self.data[a:b]
        return bytes(memoryview(self.data)[a:b])  # one copy (a bytearray's slice is one more)

    def _arg(self, ai, start):
        # Read the argument for additional info `ai` (< 28) at self.pos; enforce shortest form.
        if ai < 24:
            return ai
        if ai == 24:
            if self.pos + 1 > self.stop:
                self._avail(1, "cbor_truncated")
            v = self.data[self.pos]
            self.pos += 1
            if v < 24:
                raise DecodeError("cbor_noncanonical_argument", "argument not in shortest form",
                                  offset=start, value=v, size=1)
            return v
        size = 1 << (ai - 24)  # 25: 2, 26: 4, 27: 8
        if self.pos + size > self.stop:
            self._avail(size, "cbor_truncated")
        p = self.pos
        v = int.from_bytes(self.data[p:p + size], "big")
        self.pos = p + size
        if v < (1 << (4 * size)):  # fits in half the bytes: 2 -> < 2**8, 4 -> < 2**16, 8 -> < 2**32
            raise DecodeError("cbor_noncanonical_argument", "argument not in shortest form",
                              offset=start, value=v, size=size)
        return v

    def item(self, depth, build=True):
        # build=False checks the item exactly as build=True does but makes no containers or
        # byte strings (returns None for them): the pass over a LazyArray's elements.
        start = self.pos
        if start + 1 > self.stop:
            self._avail(1, "cbor_truncated")
        self.items_left -= 1
        if self.items_left < 0:
            raise DecodeError("cbor_too_many_items", "more items than max_items",
                              offset=start, max_items=self.max_items)
        ib = self.data[start]
        self.pos = start + 1
        major = ib >> 5
        ai = ib & 31

        if major == 7:
            if ai == 20:
                return False
            if ai == 21:
                return True
            if ai == 22:
                return None
            if 25 <= ai <= 27:
                raise DecodeError("cbor_float", "floating-point values are not in the subset",
                                  offset=start, initial_byte=ib)
            if ai == 31:
                raise DecodeError("cbor_unexpected_break", "break code outside an "
                                  "indefinite-length item", offset=start)
            if 28 <= ai <= 30:
                raise DecodeError("cbor_reserved_info", "reserved additional information",
                                  offset=start, initial_byte=ib)
            raise DecodeError("cbor_simple_value", "simple values other than false/true/null "
                              "are not in the subset", offset=start, initial_byte=ib)
        if major == 6:
            raise DecodeError("cbor_tag", "tags are not in the subset", offset=start,
                              initial_byte=ib)
        if ai >= 28:
            if ai == 31 and major >= 2:
                raise DecodeError("cbor_indefinite_length", "indefinite lengths are not in "
                                  "the subset", offset=start, initial_byte=ib)
            raise DecodeError("cbor_reserved_info", "reserved additional information",
                              offset=start, initial_byte=ib)

        n = ai if ai < 24 else self._arg(ai, start)
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major == 2 or major == 3:
            p = self.pos
            if p + n > self.stop:
                self._avail(n, "cbor_length_exceeds_input")
            if major == 2 and not build:
                self.pos = p + n
                return None
            if major == 2 and self.view_min is not None and n >= self.view_min:
                b = memoryview(self.data)[p:p + n]
            else:
                b = self._slice(p, p + n)
            self.pos = p + n
            if major == 2:
                return b
            if not _utf8_ok(b):
                raise DecodeError("cbor_invalid_utf8", "text string is not valid UTF-8",
                                  offset=start)
            return b.decode("utf-8")

        # Arrays and maps.
        if depth >= self.max_depth:
            raise DecodeError("cbor_depth", "nesting deeper than max_depth", offset=start,
                              max_depth=self.max_depth)
        need = n if major == 4 else 2 * n  # every item takes at least one byte
        if self.pos + need > self.stop:
            self._avail(need, "cbor_length_exceeds_input")
        if need > self.items_left:
            raise DecodeError("cbor_too_many_items", "more items than max_items",
                              offset=start, count=need, max_items=self.max_items)
        if major == 4:
            # An element that is an unsigned int below 256 or a byte string shorter than 256
            # bytes (most of a validator or signature list) is read inline, with item()'s
            # checks; anything else, or anything that fails a check, goes through item(),
            # which raises as it always did. On the chip an item() call is a heap allocation.
            data = self.data
            if not build:
                for _ in range(n):
                    p = self.pos
                    if p + 2 <= self.stop and self.items_left > 0:
                        ib = data[p]
                        if ib < 24:
                            self.pos = p + 1
                            self.items_left -= 1
                            continue
                        if ib == 0x18 or ib == 0x58:
                            e = p + 2 + (data[p + 1] if ib == 0x58 else 0)
                            if data[p + 1] >= 24 and e <= self.stop:
                                self.pos = e
                                self.items_left -= 1
                                continue
                    self.item(depth + 1, False)
                return None
            if depth == self.lazy_depth:
                first = self.pos
                for _ in range(n):
                    self.item(depth + 1, False)
                return LazyArray(data, first, n, depth, self.max_depth)
            out = []
            vmin = self.view_min
            for _ in range(n):
                p = self.pos
                if p + 2 <= self.stop and self.items_left > 0:
                    ib = data[p]
                    if ib < 24:
                        self.pos = p + 1
                        self.items_left -= 1
                        out.append(ib)
                        continue
                    v = data[p + 1]
                    if ib == 0x18 and v >= 24:
                        self.pos = p + 2
                        self.items_left -= 1
                        out.append(v)
                        continue
                    if ib == 0x58 and v >= 24 and p + 2 + v <= self.stop and (
                            vmin is None or v < vmin):
                        self.pos = p + 2 + v
                        self.items_left -= 1
                        out.append(self._slice(p + 2, p + 2 + v))
                        continue
                out.append(self.item(depth + 1))
            return out
        m = {} if build else None
        prev = None
        for _ in range(n):
            kstart = self.pos
            k = self.item(depth + 1, build)
            if self.data[kstart] >> 5 > 3:  # int, bytes, text: majors 0..3
                raise DecodeError("cbor_map_key_type", "map key must be int, text or bytes",
                                  offset=kstart)
            kraw = self._slice(kstart, self.pos)
            if prev is not None:
                if kraw == prev:
                    raise DecodeError("cbor_map_duplicate_key", "duplicate map key",
                                      offset=kstart, key=kraw)
                if kraw < prev:
                    raise DecodeError("cbor_map_key_order", "map keys not sorted bytewise by "
                                      "their encoding", offset=kstart, key=kraw, previous=prev)
            prev = kraw
            if build:
                m[k] = self.item(depth + 1)
            else:
                self.item(depth + 1, False)
        return m


class LazyArray:
    """An array that loads(..., lazy_depth=...) has checked but not built. len() is its
    element count; items() yields the elements one by one, each decoded (and built) then."""

    def __init__(self, data, pos, count, depth, max_depth):
        self.data = data
        self.pos = pos  # offset of the first element
        self.count = count
        self.depth = depth
        self.max_depth = max_depth

    def __len__(self):
        return self.count

    def items(self):
        for e, _ in self.items_with_end():
            yield e

    def items_with_end(self):
        """As items(), each element with the offset just past its encoding in the input (so a
        caller can refer to a byte string inside it instead of keeping a copy)."""
        # Already checked by loads(): no item budget or window needed the second time.
        d = _Decoder(self.data, self.pos, self.max_depth, self.count * len(self.data) + 1, None)
        for _ in range(self.count):
            e = d.item(self.depth + 1)
            yield e, d.pos

    def load(self):
        """The elements as a list (what loads() returns without lazy_depth)."""
        return list(self.items())


def _utf8_ok(b):
    # Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
    # MicroPython's own decoder accepts surrogates, so the check is ours on both runtimes.
    n = len(b)
    if n == 0 or max(b) < 0x80:
        return True
    i = 0
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            k, lo, hi = 1, 0x80, 0xBF
        elif c == 0xE0:
            k, lo, hi = 2, 0xA0, 0xBF
        elif c == 0xED:
            k, lo, hi = 2, 0x80, 0x9F
        elif 0xE1 <= c <= 0xEF:
            k, lo, hi = 2, 0x80, 0xBF
        elif c == 0xF0:
            k, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= c <= 0xF3:
            k, lo, hi = 3, 0x80, 0xBF
        elif c == 0xF4:
            k, lo, hi = 3, 0x80, 0x8F
        else:
            return False
        if i + k >= n:
            return False
        c1 = b[i + 1]
        if c1 < lo or c1 > hi:
            return False
        for j in range(i + 2, i + 1 + k):
            cj = b[j]
            if cj < 0x80 or cj > 0xBF:
                return False
        i += 1 + k
    return True
