# What the device trusts, on disk, in the state directory:
#   anchor.json    the trust anchor: chain id, height, header hash (provisioned or recovered)
#   blocks.json    the last N verified light blocks, as the nodes served them (bounded, newest last)
#   bans.json      sources that served invalid data, with the reason
#   sources.json   how each source did lately (latency, failures): scores seen by `status`
#   evidence/      light-client attack evidence, and halt.json while an attack is unresolved
#   cache.*        verified device records, proven: the records cache (record_cache.py)
#
# JSON documents: every write is atomic (atomic_file.py), so a crash leaves the old or the new
# document, never half of one, and the previous one stays as .prev. Every read is untrusted: a
# document carries a SHA-256 of its body and is re-parsed by the core's decoders; a corrupt one
# is a StoreError, and the reader falls back to the previous good copy.

import hashlib
import json
import os

from lightclient.atomic_file import sync_dir, write_atomic
from lightclient.chip import txs
from lightclient.chip.core.errors import DecodeError, LightClientError, StoreError
from lightclient.record_cache import MAX_RECORDS, RecordCache
from lightclient.rpc import RawLightBlock

FORMAT = "mycroft-lc/store/1"
MAX_FILE = 16 * 1024 * 1024
DEFAULT_MAX_BLOCKS = 16
MAX_PROBLEMS = 64             # problems kept for status (a long-running daemon must not grow)

LEGACY_RECORDS = "records.json"   # the JSON cache of earlier versions: imported once, removed


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
        write_atomic(self.path(name), _seal(kind, body), keep_previous=True)

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
                sync_dir(self.dir)

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

    # --- how the sources did lately (scores for `status` and the next boot's order) ---------------

    def save_health(self, health):
        self._write("sources.json", "sources", health)

    def load_health(self):
        def parse(h):
            if not isinstance(h, dict) or len(h) > 256:
                raise StoreError("store_corrupt", "sources shape")
            return h
        try:
            return self._read("sources.json", "sources", parse)
        except StoreError:
            return {}   # losing it costs the order of one boot, never safety

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
        sync_dir(self.dir)


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


