# A small record store on a raw flash partition: every commit writes a complete snapshot of all
# records into fresh sectors of a ring, sealed by one HMAC; the newest snapshot whose MAC verifies
# is the state. Power-loss atomic (the old snapshot is never touched while the new one is written),
# encrypted at rest (HMAC-SHA256 keystream, encrypt-then-MAC), rollback-aware (monotonic generation,
# optional external counter), wear spread over the ring, every length from flash bounded before use.
# The on-flash format is specified in docs/store-format.md (with test vectors).
#
# Shared subset: runs unchanged on CPython and MicroPython 1.27 (hashlib.sha256 and struct only).
# Block device: MicroPython's extended block protocol (esp32.Partition): readblocks(n, buf, off),
# writeblocks(n, buf, off) programs without erasing (the offset is always passed: on esp32 the
# 2-argument form erases first), ioctl(4) block count, ioctl(5) block size, ioctl(6, n) erase.
# One block is one erase sector.

import struct

from lightclient.chip.core.errors import LightClientError, StoreError  # one StoreError for all stores
from lightclient.chip.crypto.hmac_sha256 import Hmac as _Hmac, hmac_sha256, pads as _pads
from lightclient.chip.store.flash_format import (D_REC, D_SALT, D_SNAP, HEADER_SIZE,
                                                 IOCTL_BLOCK_COUNT, IOCTL_BLOCK_ERASE,
                                                 IOCTL_BLOCK_SIZE, IO_CHUNK, MAX_BLOCK, MAX_GEN,
                                                 MAX_NAME, MIN_BLOCK, MIN_SECRET, RECORD_FIXED,
                                                 SALT_SIZE, STREAM_HEADER_SIZE, TAG_SIZE, _Header,
                                                 _same, _u16, _u32, derive_keys, keystream_xor,
                                                 parse_header)
from lightclient.chip.store.sector_writer import SectorWriter


class CorruptError(StoreError):
    """Flash content that does not verify: no valid generation, a MAC mismatch, a bad length."""


class RollbackError(StoreError):
    """The newest valid generation is older than the monotonic counter: an old image was restored."""


def _random_bytes(n):
    try:
        import os

        return os.urandom(n)
    except (ImportError, AttributeError, NotImplementedError):
        import random  # the WebAssembly port has no os.urandom

        return bytes(random.getrandbits(8) for _ in range(n))


# --- the store ----------------------------------------------------------------------------------


class _Entry:
    # Where a record's ciphertext lives in the current snapshot's stream, and how it is sealed.
    def __init__(self, name, ct_off, length, nonce, tag):
        self.name = name
        self.ct_off = ct_off
        self.length = length
        self.nonce = nonce
        self.tag = tag


class _Snapshot:
    def __init__(self, start, nsect, gen, salt, stream_len, entries):
        self.start = start
        self.nsect = nsect
        self.gen = gen
        self.salt = salt
        self.stream_len = stream_len
        self.entries = entries  # {name: _Entry}


class RecordStore:
    def __init__(self, blockdev, secret, counter=None, max_value=8192, max_records=32, rng=None,
                 program_chunk=IO_CHUNK):
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < MIN_SECRET:
            raise StoreError("secret", "device secret must be at least %d bytes" % MIN_SECRET)
        if not (1 <= max_records <= 65535 and 0 <= max_value <= 0x7FFFFFFF):
            raise StoreError("limits", "bad max_records or max_value")
        self._dev = blockdev
        enc, mac = derive_keys(bytes(secret))
        self._enc_key, self._mac_key = _pads(enc), _pads(mac)
        self._enc_raw, self._mac_raw = enc, mac
        self._counter = counter
        self.max_value = max_value
        self.max_records = max_records
        self._rng = rng or _random_bytes
        self._chunk = program_chunk
        bs = blockdev.ioctl(IOCTL_BLOCK_SIZE, 0)
        bc = blockdev.ioctl(IOCTL_BLOCK_COUNT, 0)
        if not (isinstance(bs, int) and MIN_BLOCK <= bs <= MAX_BLOCK and bs % 16 == 0):
            raise StoreError("geometry", "block size must be 256..65536 and a multiple of 16", block_size=bs)
        if not (isinstance(bc, int) and 2 <= bc <= 65535):
            raise StoreError("geometry", "need 2..65535 blocks", block_count=bc)
        self.block_size = bs
        self.block_count = bc
        self.data_size = bs - HEADER_SIZE
        self.max_snapshot_sectors = bc // 2  # the old and the new snapshot always fit side by side
        self._snap = None
        self.skipped = []
        self._max_gen = 0  # highest generation seen in any valid header (never reused)
        self._ec = [None] * bc  # erase count per sector, from its header
        self._ec_floor = 0
        self.stats = {"bytes_programmed": 0, "erases": 0, "programs": 0, "commits": 0}

    # --- public API ---------------------------------------------------------------------------

    @property
    def generation(self):
        return self._snap.gen if self._snap else 0

    @property
    def capacity(self):
        """Largest snapshot stream in bytes (all records with their overhead)."""
        return self.max_snapshot_sectors * self.data_size

    def format(self):
        """Write an empty generation, then erase every other sector.

        Atomic like a commit: the empty snapshot goes to sectors that do not hold the newest valid
        snapshot, and the old data is erased only after it is sealed, so a power cut leaves the
        old state or the empty one. The generation continues above anything seen (and the counter).
        """
        heads = self._scan_headers()
        best = None
        try:
            best = self._find_newest(heads)[0]
        except CorruptError:
            pass
        floor = self._max_gen
        if self._counter is not None:
            c = self._counter.read()
            if c > floor:
                floor = c
        self._max_gen = floor
        start = 0
        if best is not None:
            start = (best.start + best.nsect) % self.block_count
        snap = self._write_snapshot(start, [], {})
        self._snap = snap
        for i in range(self.block_count):
            if (i - start) % self.block_count >= snap.nsect:
                self._erase(i)
        self._sync_counter()

    def mount(self):
        """Load the newest valid generation. Read-only on flash; after a power cut at any point of
        a commit this finds the old or the new snapshot. Raises CorruptError if none verifies,
        RollbackError if the counter is ahead of it."""
        self._snap = None
        heads = self._scan_headers()
        snap, errors = self._find_newest(heads)
        if self._counter is not None:
            c = self._counter.read()
            if snap.gen < c:
                raise RollbackError("rollback", "store generation is older than the monotonic counter",
                                    generation=snap.gen, counter=c)
        self._snap = snap
        # Newer snapshots that did not verify (normally one torn by a power cut), for the logs.
        self.skipped = errors
        self._sync_counter()
        return snap.gen

    def rebuild_index(self):
        """Make the mounted snapshot's index (a few small objects per record) anew. A mount
        verifies every record in pieces, so its index is made among that garbage, spread over
        the heap; on a fixed heap (the chip's), called after a collection, the new index is
        made low and in one piece, leaving room above for large buffers."""
        snap = self._mounted()
        old, snap.entries = snap.entries, {}
        for name in sorted(old):
            e = old[name]
            snap.entries[name] = _Entry(name, e.ct_off, e.length, bytes(memoryview(e.nonce)),
                                        bytes(memoryview(e.tag)))

    def get(self, name):
        e = self._mounted().entries.get(_check_name(name))
        if e is None:
            return None
        # One read, in pieces, each MACed and decrypted into the value; the value is returned only
        # if the tag verifies, so what was decrypted is exactly what was checked (no second read
        # for a changed flash to slip between) and no temporaries of the whole record's size.
        nb = e.name.encode()
        rmac = _Hmac(self._mac_key, D_REC + e.nonce + bytes([len(nb)]) + nb
                     + struct.pack("<I", e.length))
        out = bytearray(e.length)
        off = 0
        while off < e.length:
            m = e.length - off if e.length - off < IO_CHUNK else IO_CHUNK
            ct = self._read_stream(self._snap, e.ct_off + off, m)
            rmac.update(ct)
            out[off:off + m] = keystream_xor(self._enc_key, e.nonce, ct, off, self._enc_raw)
            off += m
        if not _same(rmac.digest(), e.tag):
            raise CorruptError("record_mac", "record changed on flash since mount", name=e.name)
        return bytes(out)

    def put(self, name, value):
        self.commit({name: value})

    def names(self):
        return sorted(self._mounted().entries)

    def commit(self, changes):
        """Apply {name: bytes, or None to delete} as one new generation (atomic). A value may
        also be a list of buffers, stored as their concatenation without joining them in RAM."""
        snap = self._mounted()
        if not isinstance(changes, dict):
            raise StoreError("changes", "commit takes a dict")
        if not changes:
            return snap.gen
        new = {}
        for name, value in changes.items():
            name = _check_name(name)
            if isinstance(value, (list, tuple)):
                for part in value:
                    if not isinstance(part, (bytes, bytearray, memoryview)):
                        raise StoreError("value_type", "a value's parts must be bytes", name=name)
                value = _Parts(value)
            if value is not None:
                if not isinstance(value, (bytes, bytearray, _Parts)):
                    raise StoreError("value_type", "value must be bytes or None", name=name)
                if len(value) > self.max_value:
                    raise StoreError("value_size", "value too large", name=name, size=len(value),
                                     limit=self.max_value)
            new[name] = value
        names = []
        for n in snap.entries:
            if n not in new:
                names.append(n)
        for n in new:
            if new[n] is not None:
                names.append(n)
        names.sort()
        if len(names) > self.max_records:
            raise StoreError("store_full", "too many records", records=len(names), limit=self.max_records)
        start = (snap.start + snap.nsect) % self.block_count
        self._snap = self._write_snapshot(start, names, new, snap)
        self.stats["commits"] += 1
        self._sync_counter()
        return self._snap.gen

    def check(self):
        """Integrity report for self-tests: re-reads and re-verifies the whole current snapshot."""
        rep = {"ok": False, "generation": self.generation, "records": 0, "free_sectors": 0, "errors": []}
        if self._snap is None:
            rep["errors"].append("not mounted")
            return rep
        s = self._snap
        rep["records"] = len(s.entries)
        rep["free_sectors"] = self.block_count - s.nsect
        try:
            heads = self._scan_headers()
            again = self._load_snapshot(heads, s.start)
            if again.gen != s.gen or sorted(again.entries) != sorted(s.entries):
                # (another writer on the same device, or a snapshot replaced on flash)
                rep["errors"].append("snapshot on flash differs from the mounted one")
            else:
                for n in s.entries:
                    if not _same(again.entries[n].tag, s.entries[n].tag):
                        rep["errors"].append("record %s differs" % n)
        except LightClientError as e:
            rep["errors"].append(str(e))
        known = [x for x in self._ec if x is not None]
        rep["erase_count_min"] = min(known) if known else 0
        rep["erase_count_max"] = max(known) if known else 0
        rep["ok"] = not rep["errors"]
        return rep

    def erase_counts(self):
        """Erase count per sector as recorded in the sector headers (None: header not readable)."""
        return list(self._ec)

    # --- reading ------------------------------------------------------------------------------

    def _mounted(self):
        if self._snap is None:
            raise StoreError("not_mounted", "call mount() or format() first")
        return self._snap

    def _read(self, sector, offset, n):
        buf = bytearray(n)
        self._dev.readblocks(sector, buf, offset)
        return buf

    def _scan_headers(self):
        """[_Header or reason string] per sector; updates erase counts and the highest generation."""
        heads = []
        for i in range(self.block_count):
            h = parse_header(self._mac_key, self._read(i, 0, HEADER_SIZE), self.data_size,
                             self.max_snapshot_sectors, self._mac_raw)
            if isinstance(h, _Header):
                self._ec[i] = h.erase_count
                if h.gen > self._max_gen:
                    self._max_gen = h.gen
            heads.append(h)
        known = [x for x in self._ec if x is not None]
        self._ec_floor = min(known) if known else 0
        return heads

    def _find_newest(self, heads):
        cands = []
        for i in range(len(heads)):
            h = heads[i]
            if isinstance(h, _Header) and h.part == 0:
                cands.append((h.gen, i))
        cands.sort()
        errors = []
        while cands:
            gen, i = cands.pop()
            try:
                return self._load_snapshot(heads, i), errors
            except CorruptError as e:
                errors.append("generation %d at sector %d: %s" % (gen, i, e))
        blank = True
        for h in heads:
            if h != "blank":
                blank = False
        if blank:
            raise CorruptError("unformatted", "the partition is blank: format() it")
        raise CorruptError("no_valid_generation", "no snapshot verifies", tried=len(errors),
                           first_error=errors[0] if errors else "no sector header verifies")

    def _load_snapshot(self, heads, start):
        """Parse and verify the snapshot whose first sector is `start`; a _Snapshot or CorruptError."""
        h0 = heads[start]
        if not isinstance(h0, _Header) or h0.part != 0:
            raise CorruptError("sector_header", "first sector header invalid", sector=start)
        n = self.block_count
        for k in range(1, h0.nsect):
            h = heads[(start + k) % n]
            if not (isinstance(h, _Header) and h.part == k and h.gen == h0.gen and h.nsect == h0.nsect
                    and h.stream_len == h0.stream_len and h.salt == h0.salt):
                raise CorruptError("sector_chain", "sector %d of the snapshot missing" % k,
                                   sector=(start + k) % n)
        snap = _Snapshot(start, h0.nsect, h0.gen, h0.salt, h0.stream_len, {})
        mac = _Hmac(self._mac_key, D_SNAP)
        end = h0.stream_len - TAG_SIZE
        sh = self._read_stream(snap, 0, STREAM_HEADER_SIZE)
        mac.update(sh)
        if _u32(sh, 0) != h0.gen or bytes(sh[4:12]) != h0.salt or _u16(sh, 14) != 0:
            raise CorruptError("stream_header", "stream header does not match the sector headers")
        count = _u16(sh, 12)
        if count > self.max_records:
            raise CorruptError("record_count", "too many records", count=count, limit=self.max_records)
        pos = STREAM_HEADER_SIZE
        prev = None
        for _ in range(count):
            if pos + RECORD_FIXED > end:
                raise CorruptError("record_bounds", "record header past the end", offset=pos)
            fx = self._read_stream(snap, pos, RECORD_FIXED)
            nlen = fx[0]
            vlen = _u32(fx, 2)
            if not (1 <= nlen <= MAX_NAME):
                raise CorruptError("record_header", "bad name length", offset=pos, name_len=nlen)
            if fx[1] != 0:
                raise CorruptError("record_header", "reserved byte not zero", offset=pos)
            if vlen > self.max_value:
                raise CorruptError("record_size", "value length over the limit", offset=pos, size=vlen,
                                   limit=self.max_value)
            if pos + RECORD_FIXED + nlen + vlen + TAG_SIZE > end:
                raise CorruptError("record_bounds", "record past the end", offset=pos)
            nonce = bytes(fx[6:22])
            nb = self._read_stream(snap, pos + RECORD_FIXED, nlen)
            for c in nb:
                if c < 0x21 or c > 0x7E:
                    raise CorruptError("record_name", "name is not printable ASCII", offset=pos)
            name = bytes(nb).decode()
            if prev is not None and not (name > prev):
                raise CorruptError("record_order", "names not strictly increasing", name=name)
            prev = name
            mac.update(fx)
            mac.update(nb)
            rmac = _Hmac(self._mac_key, D_REC + nonce + bytes([nlen]) + nb + struct.pack("<I", vlen))
            ct_off = pos + RECORD_FIXED + nlen
            off = 0
            while off < vlen:
                m = vlen - off if vlen - off < IO_CHUNK else IO_CHUNK
                part = self._read_stream(snap, ct_off + off, m)
                rmac.update(part)
                mac.update(part)
                off += m
            tag = self._read_stream(snap, ct_off + vlen, TAG_SIZE)
            if not _same(rmac.digest(), tag):
                raise CorruptError("record_mac", "record MAC mismatch", name=name)
            mac.update(tag)
            snap.entries[name] = _Entry(name, ct_off, vlen, nonce, bytes(tag))
            pos = ct_off + vlen + TAG_SIZE
        if pos != end:
            raise CorruptError("stream_length", "records do not fill the stream", offset=pos, end=end)
        if not _same(mac.digest(), self._read_stream(snap, end, TAG_SIZE)):
            raise CorruptError("snapshot_mac", "snapshot MAC mismatch", generation=h0.gen)
        return snap

    def _read_stream(self, snap, pos, n):
        """n bytes (n bounded by the caller) of a snapshot's stream from stream offset pos."""
        out = bytearray(n)
        mv = memoryview(out)
        d = self.data_size
        done = 0
        while done < n:
            k = (pos + done) // d
            o = (pos + done) % d
            m = n - done if n - done < d - o else d - o
            self._dev.readblocks((snap.start + k) % self.block_count, mv[done:done + m], HEADER_SIZE + o)
            done += m
        return out

    # --- writing ------------------------------------------------------------------------------

    def _erase(self, sector):
        # Erase counts are informational (wear report): a sector whose header was unreadable at
        # the last scan (blank after format, torn by a cut) is assumed to be as worn as the least
        # worn sector seen then.
        ec = self._ec[sector]
        if ec is None:
            ec = self._ec_floor
        self._ec[sector] = ec + 1
        self._dev.ioctl(IOCTL_BLOCK_ERASE, sector)
        self.stats["erases"] += 1
        return ec + 1

    def _program(self, sector, offset, data):
        self._dev.writeblocks(sector, data, offset)
        self.stats["bytes_programmed"] += len(data)
        self.stats["programs"] += 1

    def _write_snapshot(self, start, names, new, old=None):
        """Write a snapshot of `names` (values from `new`, else copied from `old`) at sector start."""
        slen = STREAM_HEADER_SIZE + TAG_SIZE
        for n in names:
            v = new.get(n)
            length = len(v) if v is not None else old.entries[n].length
            slen += RECORD_FIXED + len(n) + length + TAG_SIZE
        nsect = (slen + self.data_size - 1) // self.data_size
        if nsect > self.max_snapshot_sectors:
            raise StoreError("store_full", "snapshot too large for the partition", bytes=slen,
                             limit=self.capacity)
        if self._max_gen >= MAX_GEN:
            raise StoreError("generation_exhausted", "generation counter at its maximum")
        gen = self._max_gen + 1
        self._max_gen = gen  # never reused, even if this write is cut short
        # Random salt (nonce uniqueness even if a cut-short generation number is reused after its
        # sectors were erased), mixed with the generation so a weak RNG still gives distinct salts.
        salt = hmac_sha256(self._mac_key, D_SALT + struct.pack("<I", gen) + bytes(self._rng(16)))[:SALT_SIZE]
        snap = _Snapshot(start, nsect, gen, salt, slen, {})
        w = SectorWriter(self, snap)
        w.write(struct.pack("<I", gen) + salt + struct.pack("<HH", len(names), 0))
        for idx in range(len(names)):
            n = names[idx]
            nb = n.encode()
            v = new.get(n)
            if v is not None:
                nonce = struct.pack("<I", gen) + salt + struct.pack("<I", idx)
                length = len(v)
            else:
                e = old.entries[n]
                nonce = e.nonce
                length = e.length
            w.write(bytes([len(nb), 0]) + struct.pack("<I", length) + nonce + nb)
            ct_off = w.pos
            rmac = _Hmac(self._mac_key, D_REC + nonce + bytes([len(nb)]) + nb + struct.pack("<I", length))
            off = 0
            while off < length:
                m = length - off if length - off < IO_CHUNK else IO_CHUNK
                if v is not None:
                    piece = v.take(off, m) if isinstance(v, _Parts) else v[off:off + m]
                    ct = keystream_xor(self._enc_key, nonce, piece, off, self._enc_raw)
                else:
                    ct = self._read_stream(old, e.ct_off + off, m)  # copied forward, verified below
                rmac.update(ct)
                w.write(ct)
                off += m
            tag = rmac.digest()
            if v is None and not _same(tag, e.tag):
                # Never seal a snapshot around a record that changed on flash since mount.
                raise CorruptError("record_mac", "record changed on flash since mount", name=n)
            w.write(tag)
            snap.entries[n] = _Entry(n, ct_off, length, nonce, tag)
        w.seal()
        return snap

    def _sync_counter(self):
        # After the commit point: a cut between the two leaves the counter behind, which mount
        # repairs; the counter is never ahead of a sealed generation.
        if self._counter is not None and self._snap is not None:
            c = self._counter.read()
            if self._snap.gen > c:
                self._counter.advance(self._snap.gen - c)


class _Parts:
    """A value given as a list of buffers: its length, and its bytes taken in order (a large
    record, the packed trusted state, is written from the buffers that hold it, with no
    contiguous copy of it in RAM)."""

    def __init__(self, parts):
        self.parts = parts
        n = 0
        for p in parts:
            n += len(p)
        self.n = n
        self._pos = -1

    def __len__(self):
        return self.n

    def take(self, off, m):
        """Bytes off .. off+m-1; off is 0 or where the last take ended."""
        if off == 0:
            self._pos, self._i, self._o = 0, 0, 0
        if off != self._pos or off + m > self.n:
            raise StoreError("internal", "a value's parts are read in order", offset=off)
        out = bytearray(m)
        k = 0
        while k < m:
            p = self.parts[self._i]
            r = len(p) - self._o
            if r == 0:
                self._i += 1
                self._o = 0
                continue
            t = m - k if m - k < r else r
            out[k:k + t] = memoryview(p)[self._o:self._o + t]
            k += t
            self._o += t
        self._pos = off + m
        return out


def _check_name(name):
    if not isinstance(name, str):
        raise StoreError("name", "record name must be str")
    nb = name.encode()
    if not (1 <= len(nb) <= MAX_NAME):
        raise StoreError("name", "record name must be 1..32 bytes", name=name)
    for c in nb:
        if c < 0x21 or c > 0x7E:
            raise StoreError("name", "record name must be printable ASCII without spaces", name=name)
    return name
