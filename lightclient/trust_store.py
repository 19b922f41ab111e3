# What the device trusts, on disk, in the state directory:
#   anchor.json    the trust anchor: chain id, height, header hash (provisioned or recovered)
#   blocks.json    the last N verified light blocks, as the nodes served them (bounded, newest last)
#   bans.json      sources that served invalid data, with the reason
#   evidence/      light-client attack evidence, and halt.json while an attack is unresolved
#   cache.lcstore  verified device records with the height, header hash and time they were proven
#                  at, in the secure record store (lightclient/chip/store, the same code as the
#                  microcontroller's flash store) over a file; cache.secret its key material,
#                  cache.counter its rollback counter, cache.lock serialises its users
#
# JSON documents: every write is atomic (temp file, fsync, rename, fsync the directory), so a crash
# leaves the old or the new document, never half of one. Every read is untrusted: a document
# carries a SHA-256 of its body and is re-parsed by the core's decoders; a corrupt one is a
# StoreError, and the reader falls back to the previous good copy.
# The records cache: every save is one store commit (power-loss atomic, MACed, rollback-checked);
# a cache that does not verify is reported in `problems` and treated as empty, never trusted.

import contextlib
import hashlib
import json
import os
import threading

try:
    import fcntl
except ImportError:  # not POSIX: threads of this process are still serialised
    fcntl = None

from lightclient.chip import txs
from lightclient.chip.core import cbor
from lightclient.chip.core import cbor_fields
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.rpc import RawLightBlock
from lightclient.chip.store import store as securestore
from lightclient.chip.store.filedev import FileBlockDevice, FileCounter
from lightclient.chip.store.filedev import sync_dir as _fsync_dir

FORMAT = "mycroft-lc/store/1"
MAX_FILE = 16 * 1024 * 1024
DEFAULT_MAX_BLOCKS = 16
MAX_RECORDS = 64
MAX_PROBLEMS = 64             # problems kept for status (a long-running daemon must not grow)

# The records cache: the secure record store over a file, as on the chip's flash partition.
CACHE_FILE = "cache.lcstore"
CACHE_SECRET = "cache.secret"
CACHE_COUNTER = "cache.counter"
CACHE_LOCK = "cache.lock"
CACHE_BLOCK_SIZE = 4096
CACHE_BLOCKS = 64             # 256 KiB: snapshots up to 32 * 4048 = 129,536 bytes
CACHE_MAX_VALUE = 24 * 1024   # one cached record: a 16 KiB record + its proofs (~1-3 KiB) in CBOR
SECRET_SIZE = 32
LEGACY_RECORDS = "records.json"   # the JSON cache of earlier versions: imported once, removed
MAX_CACHED_OPS = 4                # proofOps of one abci_query (records.MAX_OPS)
MAX_OP_TYPE = 32


class StoreError(LightClientError):
    """A stored document is missing, corrupt or inconsistent; it is never trusted then."""


def write_atomic(path, data):
    d = os.path.dirname(path) or "."
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    if os.path.exists(path):
        os.replace(path, path + ".prev")
    os.replace(tmp, path)
    _fsync_dir(d)


def _seal(kind, body):
    payload = txs.canonical_json(body)
    return txs.canonical_json({"format": FORMAT, "kind": kind, "body": body,
                               "sha256": hashlib.sha256(payload).hexdigest()})


def _open_sealed(path, kind):
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise StoreError("store_missing", "no such document", path=path)
    except OSError as e:
        raise StoreError("store_io", "cannot read: %s" % e, path=path)
    if len(data) > MAX_FILE:
        raise StoreError("store_too_large", "document larger than the limit", path=path)
    try:
        doc = txs.loads_bounded(data, MAX_FILE, "store document")
    except DecodeError as e:
        raise StoreError("store_corrupt", "not valid JSON: %s" % e.check, path=path)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("kind") != kind:
        raise StoreError("store_corrupt", "wrong format or kind", path=path, kind=kind)
    body = doc.get("body")
    try:
        digest = hashlib.sha256(txs.canonical_json(body)).hexdigest()
    except DecodeError:
        raise StoreError("store_corrupt", "body is not canonical JSON", path=path)
    if digest != doc.get("sha256"):
        raise StoreError("store_corrupt", "checksum mismatch", path=path)
    return body


class TrustStore:
    def __init__(self, directory, max_blocks=DEFAULT_MAX_BLOCKS):
        self.dir = directory
        self.max_blocks = max_blocks
        os.makedirs(directory, exist_ok=True)
        os.makedirs(os.path.join(directory, "evidence"), exist_ok=True)
        self.problems = []   # StoreErrors met while reading (reported by status)
        self.cache = RecordCache(directory, self._problem)
        self._legacy_checked = False

    def path(self, name):
        return os.path.join(self.dir, name)

    def _problem(self, e):
        self._problems([e])

    def _problems(self, errors):
        # Every sync reads halt.json: a corrupt one must not grow the list for ever.
        self.problems.extend(errors)
        del self.problems[:-MAX_PROBLEMS]

    def _read(self, name, kind, parse):
        """parse(body) of the current document, else of the previous good copy."""
        errors = []
        for p in (self.path(name), self.path(name) + ".prev"):
            try:
                value = parse(_open_sealed(p, kind))
                self._problems(errors)
                return value
            except StoreError as e:
                if e.check != "store_missing":
                    errors.append(e)
            except LightClientError as e:   # decodes but is not a valid light block / record
                errors.append(StoreError("store_corrupt", "content does not decode: %s" % e,
                                         path=p))
        self._problems(errors)
        if errors:
            raise errors[0]
        raise StoreError("store_missing", "no such document", path=self.path(name))

    def _write(self, name, kind, body):
        write_atomic(self.path(name), _seal(kind, body))

    # --- anchor ----------------------------------------------------------------------------------

    def save_anchor(self, chain_id, height, header_hash, source="provisioned"):
        self._write("anchor.json", "anchor", {"chain_id": chain_id, "height": int(height),
                                              "hash": bytes(header_hash).hex(), "source": source})

    def load_anchor(self):
        def parse(b):
            if not isinstance(b, dict) or not isinstance(b.get("height"), int):
                raise StoreError("store_corrupt", "anchor shape")
            h = bytes.fromhex(b["hash"])
            if len(h) != 32:
                raise StoreError("store_corrupt", "anchor hash length")
            return {"chain_id": b["chain_id"], "height": b["height"], "hash": h,
                    "source": b.get("source", "")}
        return self._read("anchor.json", "anchor", parse)

    # --- verified light blocks (bounded) ---------------------------------------------------------

    def load_blocks(self):
        """Verified light blocks, oldest first ([] if none stored). Each is re-decoded and its
        validator set re-hashed against its header, so a corrupt entry can't pass."""
        def parse(b):
            if not isinstance(b, list) or len(b) > 4 * self.max_blocks:
                raise StoreError("store_corrupt", "blocks shape")
            out = []
            for d in b:
                raw = RawLightBlock.from_json(d)
                lb = raw.light_block
                if lb.validators.hash() != lb.signed_header.header.validators_hash:
                    raise StoreError("store_corrupt", "stored validators do not match header",
                                     height=raw.height)
                if lb.signed_header.commit.block_id.hash != lb.signed_header.header.hash():
                    raise StoreError("store_corrupt", "stored commit does not match header",
                                     height=raw.height)
                out.append(raw)
            return out
        try:
            return self._read("blocks.json", "blocks", parse)
        except StoreError as e:
            if e.check == "store_missing":
                return []
            raise

    def save_blocks(self, raws):
        """Keep the newest max_blocks distinct heights (the trust anchor is the newest)."""
        by_h = {}
        for r in raws:
            by_h[r.height] = r
        keep = [by_h[h] for h in sorted(by_h)][-self.max_blocks:]
        self._write("blocks.json", "blocks", [r.to_json() for r in keep])
        return keep

    # --- verified device records (the secure record store, RecordCache below) -----------------

    def load_records(self):
        """{uuid: entry} of the cached proven records ({} if none, or if the cache does not
        verify: then a CacheError is added to `problems`)."""
        self._migrate_legacy_records()
        return self.cache.load()

    def save_record(self, uuid, entry):
        """Cache `entry` (ProvenRecord.to_cache()) for `uuid`, in one atomic store commit. The
        oldest entries (by height) give way past MAX_RECORDS or the store's capacity."""
        self._migrate_legacy_records()
        self.cache.save(uuid, entry)

    def _migrate_legacy_records(self):
        """records.json of earlier versions: import it into the secure store once, then remove
        it. A cut between the two imports it again next time (newer store entries win)."""
        if self._legacy_checked:
            return
        with self.cache.locked():
            self._legacy_checked = True
            paths = [self.path(LEGACY_RECORDS) + x for x in ("", ".prev", ".tmp")]
            if any(os.path.exists(p) for p in paths[:2]):
                try:
                    old = self._read(LEGACY_RECORDS, "records", _parse_legacy_records)
                except StoreError:
                    old = {}       # _read reported why; nothing in it can be trusted
                try:
                    self.cache.import_entries(old)
                except (LightClientError, OSError) as e:
                    # Keep the JSON for the next start; this one serves what the store has.
                    self.cache.problem(e if isinstance(e, LightClientError) else
                                       StoreError("store_io", "import failed: %s" % e))
                    return
            removed = False
            for p in paths:
                if os.path.exists(p):
                    os.remove(p)
                    removed = True
            if removed:
                _fsync_dir(self.dir)

    # --- bans of sources that served invalid data -----------------------------------------------

    def save_bans(self, bans):
        self._write("bans.json", "bans", bans)

    def load_bans(self):
        def parse(b):
            if not isinstance(b, dict) or len(b) > 256:
                raise StoreError("store_corrupt", "bans shape")
            return b
        try:
            return self._read("bans.json", "bans", parse)
        except StoreError:
            return {}   # losing bans costs a failed attempt, never safety

    # --- attack evidence and the halt ------------------------------------------------------------

    def save_evidence(self, name, doc):
        p = os.path.join(self.dir, "evidence", name)
        write_atomic(p, json.dumps(doc, indent=1, sort_keys=True).encode())
        return p

    def set_halt(self, info):
        self._write("halt.json", "halt", info)

    def halt(self):
        """The unresolved attack, or None. A corrupt halt file still halts (fail closed)."""
        if not os.path.exists(self.path("halt.json")) and \
                not os.path.exists(self.path("halt.json") + ".prev"):
            return None
        try:
            return self._read("halt.json", "halt", lambda b: b)
        except StoreError as e:
            if e.check == "store_missing":
                return None
            return {"reason": "halt file unreadable: %s" % e.check}

    def clear_halt(self):
        for p in (self.path("halt.json"), self.path("halt.json") + ".prev"):
            if os.path.exists(p):
                os.remove(p)
        _fsync_dir(self.dir)


def _parse_legacy_records(b):
    if not isinstance(b, dict) or len(b) > MAX_RECORDS:
        raise StoreError("store_corrupt", "records shape")
    for uuid, e in b.items():
        if not isinstance(e, dict) or not isinstance(e.get("height"), int) or \
                not isinstance(e.get("header_time_ns"), int):
            raise StoreError("store_corrupt", "record entry shape", uuid=uuid)
        if e.get("value") is not None:
            txs.decode_record(bytes.fromhex(e["value"]))
    return b


# --- the records cache in the secure record store ----------------------------------------------


class CacheError(StoreError):
    """The records cache can't be used; it is treated as empty (never trusted). check:
    cache_corrupt (no snapshot verifies, wrong file size, undecodable entry), cache_secret
    (key material missing or malformed), cache_counter (rollback counter unreadable),
    cache_io (the files can't be opened or read), cache_entry_too_large (an entry over
    CACHE_MAX_VALUE was not cached)."""


class CacheRollback(CacheError):
    """The cache is older than its monotonic counter: an older copy of cache.lcstore was put
    back, or its newest snapshot was damaged and an older one is all that verifies."""


_ENTRY_KEYS = ("value", "height", "header_hash", "header_time_ns", "proof_ops")


def cache_name(uuid):
    """Store record name of a uuid (names are at most 32 bytes; uuids up to 64)."""
    return hashlib.sha256(uuid.encode()).hexdigest()[:32]


def encode_entry(uuid, entry):
    """A cache entry (ProvenRecord.to_cache()) -> the CBOR value stored for it: the hex fields of
    the JSON entry as bytes, so a 16 KiB record costs 16 KiB, not 32:
    {"u": uuid, "v": record bytes | null, "h": height, "hh": header hash, "t": header time ns,
     "p": [[op type, key, data], ...] | null}. Raises StoreError("cache_entry_shape")."""
    try:
        if not isinstance(uuid, str) or not 0 < len(uuid) <= txs.MAX_UUID:
            raise ValueError("uuid")
        if not isinstance(entry, dict) or any(k not in _ENTRY_KEYS for k in entry):
            raise ValueError("keys")
        value = entry.get("value")
        ops = entry.get("proof_ops")
        doc = {"u": uuid, "v": None if value is None else bytes.fromhex(value),
               "h": entry["height"], "hh": bytes.fromhex(entry["header_hash"]),
               "t": entry["header_time_ns"],
               "p": None if ops is None else [[t, bytes.fromhex(k), bytes.fromhex(d)]
                                              for t, k, d in ops]}
        data = cbor.dumps(doc)
        decode_entry(data, max_bytes=len(data))   # what is written must read back
    except (KeyError, TypeError, ValueError, AttributeError, LightClientError) as e:
        raise StoreError("cache_entry_shape", "not a cacheable record entry: %s" % e,
                         uuid=str(uuid)[:64])
    return data


def decode_entry(data, max_bytes=CACHE_MAX_VALUE):
    """Stored CBOR value -> (uuid, entry) in the JSON shape callers use. DecodeError if bad."""
    m = cbor_fields.expect_map(cbor.loads(bytes(data), max_depth=3, max_items=64,
                                          max_bytes=max_bytes),
                               required=("u", "v", "h", "hh", "t", "p"), what="cached record")
    uuid = cbor_fields.get_text(m, "u", max_len=txs.MAX_UUID)
    if not uuid:
        raise DecodeError("cache_entry", "empty uuid")
    value = None
    if m["v"] is not None:
        value = cbor_fields.get_bytes(m, "v", max_len=txs.MAX_RECORD_BYTES)
        txs.decode_record(value)
    ops = None
    if m["p"] is not None:
        ops = []
        for op in cbor_fields.get_list(m, "p", max_len=MAX_CACHED_OPS):
            if not (isinstance(op, list) and len(op) == 3 and isinstance(op[0], str) and
                    len(op[0]) <= MAX_OP_TYPE and isinstance(op[1], bytes) and
                    isinstance(op[2], bytes)):
                raise DecodeError("cache_entry", "proof op shape")
            ops.append([op[0], op[1].hex(), op[2].hex()])
    return uuid, {"value": None if value is None else value.hex(),
                  "height": cbor_fields.get_uint(m, "h"),
                  "header_hash": cbor_fields.get_bytes(m, "hh", max_len=64).hex(),
                  "header_time_ns": cbor_fields.get_int(m, "t"), "proof_ops": ops}


def _snapshot_bytes(sizes):
    # The store's stream length for records of these value sizes (docs/store-format.md).
    n = securestore.STREAM_HEADER_SIZE + securestore.TAG_SIZE
    for size in sizes:
        n += securestore.RECORD_FIXED + 32 + size + securestore.TAG_SIZE
    return n


class RecordCache:
    """The Pi's cache of verified device records: lightclient.chip.store.store.RecordStore (the
    microcontroller's flash store) over FileBlockDevice(cache.lcstore), keyed by cache.secret,
    rollback-checked by FileCounter(cache.counter). One store record per uuid (encode_entry)."""

    def __init__(self, directory, report):
        self.dir = directory
        self.problem = report      # report(CacheError): TrustStore.problems
        self._tlock = threading.RLock()
        self._depth = 0
        self._lock_fd = None

    def path(self, name):
        return os.path.join(self.dir, name)

    @contextlib.contextmanager
    def locked(self):
        """Threads of this process and other processes (a CLI beside the daemon) take turns:
        a reader must not see a commit half done, two writers must not share the ring."""
        with self._tlock:
            if self._depth == 0 and fcntl is not None:
                self._lock_fd = _open_lock(self.path(CACHE_LOCK))
                if self._lock_fd is not None:
                    try:
                        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
                    except BaseException:
                        os.close(self._lock_fd)
                        self._lock_fd = None
                        raise
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_fd is not None:
                    os.close(self._lock_fd)   # releases the flock
                    self._lock_fd = None

    # --- public ------------------------------------------------------------------------------

    def load(self):
        with self.locked():
            if not os.path.exists(self.path(CACHE_FILE)):
                return {}
            try:
                with self._mounted(self._secret()) as st:
                    return {u: e for u, (e, _) in self._read_all(st).items()}
            except CacheError as e:
                if not self._never_sealed(e):
                    self.problem(e)
                return {}

    def save(self, uuid, entry):
        data = encode_entry(uuid, entry)
        with self.locked():
            if len(data) > CACHE_MAX_VALUE:
                # Keep no older copy either: it would be served as the latest settings.
                self.problem(CacheError("cache_entry_too_large", "record entry not cached",
                                        uuid=uuid, size=len(data), limit=CACHE_MAX_VALUE))
                self._commit_reported({}, drop=(uuid,))
            else:
                self._commit_reported({uuid: (entry, data)})

    def _commit_reported(self, new, drop=(), only_newer=False):
        # A store that refuses the commit (a record changed on the file under us) costs the
        # cache, not the fresh verified answer the caller is about to return: report it.
        try:
            self._commit(new, drop, only_newer)
        except securestore.StoreError as e:
            self.problem(_translate(e))

    def import_entries(self, entries):
        """{uuid: entry} from the legacy JSON cache; an entry only replaces a lower height."""
        new = {}
        for uuid, entry in entries.items():
            try:
                new[uuid] = (entry, encode_entry(uuid, entry))
            except StoreError as e:
                self.problem(e)
                continue
            if len(new[uuid][1]) > CACHE_MAX_VALUE:
                self.problem(CacheError("cache_entry_too_large", "record entry not imported",
                                        uuid=uuid, size=len(new[uuid][1]),
                                        limit=CACHE_MAX_VALUE))
                del new[uuid]
        if new:
            with self.locked():
                self._commit(new, only_newer=True)

    # --- opening -----------------------------------------------------------------------------

    def _secret(self):
        try:
            with open(self.path(CACHE_SECRET), "rb") as f:
                secret = f.read(SECRET_SIZE + 1)
        except FileNotFoundError:
            raise CacheError("cache_secret", "the cache's secret is missing")
        except OSError as e:
            raise CacheError("cache_secret", "cannot read the cache's secret: %s" % e.strerror)
        if len(secret) != SECRET_SIZE:
            raise CacheError("cache_secret", "the cache's secret is malformed", size=len(secret))
        return secret

    def _new_secret(self):
        """32 random bytes, created mode 0600 and renamed into place (never half a secret)."""
        secret = os.urandom(SECRET_SIZE)
        p = self.path(CACHE_SECRET)
        tmp = p + ".tmp"
        if os.path.exists(tmp):
            os.remove(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secret)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, p)
        _fsync_dir(self.dir)
        return secret

    def _new_store_file(self):
        # Created erased beside the real name and renamed: a cut never leaves a short file.
        p = self.path(CACHE_FILE)
        tmp = p + ".tmp"
        with open(tmp, "wb") as f:
            blank = b"\xff" * CACHE_BLOCK_SIZE
            for _ in range(CACHE_BLOCKS):
                f.write(blank)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
        _fsync_dir(self.dir)

    @contextlib.contextmanager
    def _device(self):
        try:
            dev = FileBlockDevice(self.path(CACHE_FILE), CACHE_BLOCK_SIZE, CACHE_BLOCKS)
        except securestore.StoreError as e:
            raise CacheError("cache_corrupt", "cache file unusable: %s" % e.check,
                             cause=e.check)
        except OSError as e:   # e.g. a CLI run by a user who may not write the state directory
            raise CacheError("cache_io", "cannot open the cache file: %s" % e.strerror)
        try:
            yield _SkipBlankErase(dev)
        finally:
            dev.close()

    def _store(self, dev, secret):
        # One sector per program on the Pi: each program is fsynced, and the power-cut argument
        # (the last program seals the snapshot) does not depend on the piece size.
        return securestore.RecordStore(dev, secret, FileCounter(self.path(CACHE_COUNTER)),
                                       max_value=CACHE_MAX_VALUE, max_records=MAX_RECORDS,
                                       program_chunk=CACHE_BLOCK_SIZE)

    @contextlib.contextmanager
    def _mounted(self, secret):
        with self._device() as dev:
            st = self._store(dev, secret)
            try:
                st.mount()
            except (securestore.StoreError, OSError) as e:
                raise _translate(e)
            yield st

    def _read_all(self, st):
        """{uuid: (entry, stored size)}; CacheError if any record does not verify or decode."""
        out = {}
        try:
            for name in st.names():
                data = st.get(name)
                uuid, entry = decode_entry(data)
                if cache_name(uuid) != name:
                    raise DecodeError("cache_entry", "record stored under another name")
                out[uuid] = (entry, len(data))
        except (securestore.StoreError, OSError) as e:
            raise _translate(e)
        except DecodeError as e:
            raise CacheError("cache_corrupt", "cached record does not decode: %s" % e,
                             cause=e.check)
        return out

    # --- writing -----------------------------------------------------------------------------

    def _commit(self, new, drop=(), only_newer=False):
        """One store commit: `new` {uuid: (entry, data)} in, `drop` uuids out, the oldest
        others evicted past MAX_RECORDS or the capacity. A cache that does not verify (or has
        no secret) is reported and replaced by a freshly formatted store."""
        try:
            secret = self._secret()
        except CacheError as e:
            if os.path.exists(self.path(CACHE_FILE)):
                self.problem(e)
            secret = self._new_secret()
        size = os.stat(self.path(CACHE_FILE)).st_size if os.path.exists(self.path(CACHE_FILE)) \
            else None
        if size != CACHE_BLOCK_SIZE * CACHE_BLOCKS:
            if size is not None:
                self.problem(CacheError("cache_corrupt", "cache file has the wrong size",
                                        size=size, cause="geometry"))
            self._new_store_file()
        with self._device() as dev:
            st = self._store(dev, secret)
            try:
                st.mount()
                have = self._read_all(st)
            except (securestore.StoreError, CacheError, OSError) as e:
                err = _translate(e)
                if not self._never_sealed(err):
                    self.problem(err)
                self._drop_bad_counter(err.check != "cache_counter")
                st = self._store(dev, secret)
                st.format()
                have = {}
            self._apply(st, have, new, drop, only_newer)

    def _never_sealed(self, e):
        # A power cut during the very first save (file created, format not sealed) leaves a
        # store with no valid generation and no counter file (the counter is written after the
        # first seal): that is an empty cache, not a damaged one.
        return e.details.get("cause") in ("unformatted", "no_valid_generation") and \
            not os.path.exists(self.path(CACHE_COUNTER))

    def _drop_bad_counter(self, report):
        # An unreadable counter can't be advanced: remove it, and format() starts above every
        # generation on the file (rollback protection restarts from there).
        try:
            FileCounter(self.path(CACHE_COUNTER)).read()
        except securestore.StoreError as e:
            if report:
                self.problem(_translate(e))
            os.remove(self.path(CACHE_COUNTER))

    @staticmethod
    def _apply(st, have, new, drop, only_newer):
        sizes = {u: size for u, (_, size) in have.items()}
        heights = {u: e["height"] for u, (e, _) in have.items()}
        writes = {}
        for uuid in drop:
            sizes.pop(uuid, None)
        for uuid, (entry, data) in new.items():
            if only_newer and uuid in sizes and heights[uuid] >= entry["height"]:
                continue
            sizes[uuid] = len(data)
            heights[uuid] = entry["height"]
            writes[uuid] = data
        # Evict the oldest (by height) other entries first, then the oldest new ones.
        order = sorted(sizes, key=lambda u: (u in writes, heights[u], u))
        while order and (len(sizes) > MAX_RECORDS or
                         _snapshot_bytes(sizes.values()) > st.capacity):
            u = order.pop(0)
            del sizes[u]
            writes.pop(u, None)
        changes = {cache_name(u): data for u, data in writes.items()}
        for u in have:
            if u not in sizes:
                changes[cache_name(u)] = None
        if changes:
            st.commit(changes)


def _open_lock(path):
    # Read-only is enough for flock; without either, threads are still serialised.
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        try:
            return os.open(path, flags, 0o600)
        except OSError:
            pass
    return None


class _SkipBlankErase:
    """The file device, minus the erase (write + fsync) of a sector that is already blank:
    format() erases every sector it does not use, 63 fsyncs on a fresh file (seconds on an SD
    card). The result on the file is the same."""

    def __init__(self, dev):
        self.dev = dev
        self.readblocks = dev.readblocks
        self.writeblocks = dev.writeblocks

    def ioctl(self, op, arg):
        if op == securestore.IOCTL_BLOCK_ERASE and 0 <= arg < self.dev.block_count:
            buf = bytearray(self.dev.block_size)
            self.dev.readblocks(arg, buf, 0)
            if buf == b"\xff" * len(buf):
                return 0
        return self.dev.ioctl(op, arg)


def _translate(e):
    """An error met while opening or reading the cache -> CacheError."""
    if isinstance(e, CacheError):
        return e
    if isinstance(e, OSError):
        return CacheError("cache_io", "cannot use the cache's files: %s" % e)
    if isinstance(e, securestore.RollbackError):
        return CacheRollback("cache_rollback", "cache older than its counter (an older copy "
                             "restored, or its newest snapshot damaged)",
                             generation=e.details.get("generation"),
                             counter=e.details.get("counter"))
    if e.check == "counter_file":
        return CacheError("cache_counter", "the cache's rollback counter is unreadable")
    return CacheError("cache_corrupt", "cache does not verify: %s" % e.check, cause=e.check)
