# The Pi's cache of verified device records: the secure record store (lightclient/chip/store,
# the same code as the microcontroller's flash store) over a file, in the state directory:
#   cache.lcstore  the store; cache.secret its key material; cache.counter its rollback counter;
#   cache.lock     serialises its users (processes and threads)
# Every save is one store commit (power-loss atomic, MACed, rollback-checked); a cache that does
# not verify is reported and treated as empty, never trusted.

import contextlib
import hashlib
import os
import threading

try:
    import fcntl
except ImportError:  # not POSIX: threads of this process are still serialised
    fcntl = None

from lightclient import record_layouts
from lightclient.atomic_file import write_atomic
from lightclient.chip import txs
from lightclient.chip.core import cbor, cbor_fields
from lightclient.chip.core.errors import DecodeError, LightClientError, ProofError, StoreError
from lightclient.chip.store import store as securestore
from lightclient.chip.store.filedev import FileBlockDevice, FileCounter

# The records cache: the secure record store over a file, as on the chip's flash partition.
CACHE_FILE = "cache.lcstore"
CACHE_SECRET = "cache.secret"
CACHE_COUNTER = "cache.counter"
CACHE_LOCK = "cache.lock"
CACHE_BLOCK_SIZE = 4096
CACHE_BLOCKS = 64             # 256 KiB: snapshots up to 32 * 4048 = 129,536 bytes
CACHE_MAX_VALUE = 24 * 1024   # one cached record: a 16 KiB record + its proofs (~1-3 KiB) in CBOR
SECRET_SIZE = 32
MAX_RECORDS = 64
MAX_CACHED_OPS = 4                # proofOps of one abci_query (records.MAX_OPS)
MAX_OP_TYPE = 32


class CacheError(StoreError):
    """The records cache can't be used; it is treated as empty (never trusted). check:
    cache_corrupt (no snapshot verifies, wrong file size, undecodable entry), cache_secret
    (key material missing or malformed), cache_counter (rollback counter unreadable),
    cache_io (the files can't be opened or read), cache_entry_too_large (an entry over
    CACHE_MAX_VALUE was not cached)."""


class CacheRollback(CacheError):
    """The cache is older than its monotonic counter: an older copy of cache.lcstore was put
    back, or its newest snapshot was damaged and an older one is all that verifies."""


_ENTRY_KEYS = ("value", "height", "header_hash", "header_time_ns", "proof_ops", "layout",
               "sealed")
MAX_SEALED_JSON = 17 * 1024       # the device's opened settings (<= 16 KiB) and their origin


def cache_name(uuid):
    """Store record name of a uuid (names are at most 32 bytes; uuids up to 64)."""
    return hashlib.sha256(uuid.encode()).hexdigest()[:32]


def encode_entry(uuid, entry):
    """A cache entry (ProvenRecord.to_cache()) -> the CBOR value stored for it: the hex fields of
    the JSON entry as bytes, so a 16 KiB record costs 16 KiB, not 32:
    {"u": uuid, "v": record bytes | null, "h": height, "hh": header hash, "t": header time ns,
     "p": [[op type, key, data], ...] | null, "k": chain kind (record_layouts; absent: scenarionet),
     "s": the canonical JSON of the device's settings opened from their sealed envelope with
     where they came from (sealed_settings.read; absent: none)}.
    Raises StoreError("cache_entry_shape")."""
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
        if entry.get("layout", record_layouts.SCENARIONET) != record_layouts.SCENARIONET:
            doc["k"] = entry["layout"]
        if entry.get("sealed") is not None:
            doc["s"] = txs.canonical_json(entry["sealed"])
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
                               required=("u", "v", "h", "hh", "t", "p"), optional=("k", "s"),
                               what="cached record")
    uuid = cbor_fields.get_text(m, "u", max_len=txs.MAX_UUID)
    if not uuid:
        raise DecodeError("cache_entry", "empty uuid")
    kind = cbor_fields.get_text(m, "k", max_len=16, default=record_layouts.SCENARIONET)
    value = None
    if m["v"] is not None:
        value = cbor_fields.get_bytes(m, "v", max_len=txs.MAX_RECORD_BYTES)
        try:
            record_layouts.layout(kind).decode(value, uuid)
        except ProofError as e:
            raise DecodeError("cache_entry", "cached record is not the device's: %s" % e)
    ops = None
    if m["p"] is not None:
        ops = []
        for op in cbor_fields.get_list(m, "p", max_len=MAX_CACHED_OPS):
            if not (isinstance(op, list) and len(op) == 3 and isinstance(op[0], str) and
                    len(op[0]) <= MAX_OP_TYPE and isinstance(op[1], bytes) and
                    isinstance(op[2], bytes)):
                raise DecodeError("cache_entry", "proof op shape")
            ops.append([op[0], op[1].hex(), op[2].hex()])
    entry = {"value": None if value is None else value.hex(),
             "height": cbor_fields.get_uint(m, "h"),
             "header_hash": cbor_fields.get_bytes(m, "hh", max_len=64).hex(),
             "header_time_ns": cbor_fields.get_int(m, "t"), "proof_ops": ops}
    if "k" in m:
        entry["layout"] = kind
    if "s" in m:
        sealed = txs.loads_bounded(cbor_fields.get_bytes(m, "s", max_len=MAX_SEALED_JSON),
                                   MAX_SEALED_JSON, "cached settings")
        if not isinstance(sealed, dict) or not isinstance(sealed.get("setting", {}), dict):
            raise DecodeError("cache_entry", "cached settings are not an object")
        entry["sealed"] = sealed
    return uuid, entry


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
        write_atomic(self.path(CACHE_SECRET), secret, mode=0o600)
        return secret

    def _new_store_file(self):
        # Created erased beside the real name and renamed: a cut never leaves a short file.
        write_atomic(self.path(CACHE_FILE), b"\xff" * (CACHE_BLOCK_SIZE * CACHE_BLOCKS))

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
