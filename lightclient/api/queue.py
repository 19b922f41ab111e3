# The durable write queue: the device's signed writes waiting for a source to accept them.
# Format (docs/device-api.md, "Write queue"):
#   DIR/state.json            {"next_seq": n, "next_nonce": n}         atomic (tmp, fsync, rename)
#   DIR/pending/SEQ.json      one entry per accepted write, atomic; SEQ = 16 decimal digits
#   DIR/dead-letter.jsonl     entries refused for good, one JSON line each, append + fsync
#   DIR/account.json          on a Cosmos SDK chain: the device account's number, once proven
# An entry holds the signed transaction, a TxRaw ("tx_b64") with the write's canonical JSON
# beside it ("data") and its account sequence as "nonce" (an entry of text bytes alone, "tx", is
# still read: queues of the scenario network's JSON writes, before it took no transactions); a
# sequence mismatch re-signs the entry in place (resign: same file, atomically).
# An entry is written and fsynced (file and directory) before the HTTP answer says "queued", and
# removed only after a source accepted it (code 0) or after it was appended to the dead-letter
# file: no accepted write is ever lost, at worst it is kept twice. Stray *.tmp files are writes
# that were never acknowledged and are dropped at start.

import base64
import binascii
import hashlib
import json
import os
import threading
import time

from lightclient import atomic_file
from lightclient.chip.core.errors import LightClientError

MAX_ENTRIES = 1000
MAX_BYTES = 8 * 1024 * 1024
MAX_ENTRY_FILE = 64 * 1024


class QueueFull(LightClientError):
    """The queue holds its maximum of entries or bytes; the write is not accepted."""


class QueueError(LightClientError):
    """The queue directory is unusable (permissions, disk)."""


def write_atomic(path, data):
    """`path` holds either the old or the new content, never a mix; owner-only (0600)."""
    atomic_file.write_atomic(path, data, mode=0o600)


def _dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Entry:
    __slots__ = ("seq", "id", "kind", "uuid", "nonce", "tx", "tx_hash", "queued_at", "size",
                 "data")

    def __init__(self, seq, kind, uuid, nonce, tx, tx_hash, queued_at, data=None):
        self.seq = seq
        self.id = "q" + str(seq)
        self.kind = kind
        self.uuid = uuid
        self.nonce = nonce
        self.tx = tx                  # bytes: the signed transaction, ready for broadcast_tx
        self.tx_hash = tx_hash        # hex upper case, SHA-256 of tx (CometBFT's tx hash)
        self.queued_at = queued_at
        self.size = 0
        self.data = data              # str: the write's canonical JSON (Cosmos entries only)

    def write_data(self):
        """The value the write sets (what the chain's record must show once it landed)."""
        return None if self.data is None else json.loads(self.data)

    def to_dict(self):
        d = {"id": self.id, "seq": self.seq, "kind": self.kind, "uuid": self.uuid,
             "nonce": self.nonce, "tx_hash": self.tx_hash, "queued_at": self.queued_at}
        if self.data is None:
            d["tx"] = self.tx.decode()
        else:
            d["tx_b64"] = base64.b64encode(self.tx).decode()
            d["data"] = self.data
        return d

    @classmethod
    def from_dict(cls, d):
        if "tx_b64" in d:
            try:
                tx = base64.b64decode(str(d["tx_b64"]), validate=True)
            except binascii.Error as err:
                raise ValueError("tx_b64 is not base64: %s" % err)
            data = str(d["data"])
        else:
            tx, data = str(d["tx"]).encode(), None
        e = cls(int(d["seq"]), str(d["kind"]), str(d["uuid"]), int(d["nonce"]), tx,
                str(d["tx_hash"]), d.get("queued_at"), data)
        if e.id != d.get("id"):
            raise ValueError("entry id does not match its seq")
        return e


class WriteQueue:
    def __init__(self, directory, max_entries=MAX_ENTRIES, max_bytes=MAX_BYTES, clock=time.time):
        self.dir = str(directory)
        self.pending_dir = os.path.join(self.dir, "pending")
        self.dead_path = os.path.join(self.dir, "dead-letter.jsonl")
        self.state_path = os.path.join(self.dir, "state.json")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        try:
            os.makedirs(self.pending_dir, mode=0o700, exist_ok=True)
        except OSError as e:
            raise QueueError("queue_dir", "cannot create the queue directory", path=self.dir,
                             error=e.strerror or str(e))
        self._entries = {}
        self._bytes = 0
        self.next_seq = 1
        self.next_nonce = 1
        self._load()

    # -- start-up ---------------------------------------------------------------------------
    def _load(self):
        try:
            with open(self.state_path, "rb") as f:
                st = json.loads(f.read(4096))
            self.next_seq = max(1, int(st["next_seq"]))
            self.next_nonce = max(1, int(st["next_nonce"]))
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError):
            # A damaged state file: rebuilt from the entries below (and never moves backwards,
            # since state is written before the entry that used it).
            pass
        for name in sorted(os.listdir(self.pending_dir)):
            path = os.path.join(self.pending_dir, name)
            if name.endswith(".tmp"):
                os.unlink(path)             # never acknowledged to anyone
                continue
            if not name.endswith(".json"):
                continue
            raw = b""
            try:
                if os.path.getsize(path) > MAX_ENTRY_FILE:
                    raise ValueError("entry file too large")
                with open(path, "rb") as f:
                    raw = f.read(MAX_ENTRY_FILE + 1)
                e = Entry.from_dict(json.loads(raw))
            except (ValueError, KeyError, TypeError, UnicodeError) as err:
                # Kept, not dropped: whatever it was, someone was told it was queued.
                self._dead_raw({"file": name, "raw": raw.decode("utf-8", "replace")[:4096]},
                               {"check": "queue_entry_corrupt", "message": str(err)})
                os.unlink(path)
                continue
            e.size = len(raw)
            self._entries[e.seq] = e
            self._bytes += e.size
            self.next_seq = max(self.next_seq, e.seq + 1)
            self.next_nonce = max(self.next_nonce, e.nonce + 1)

    # -- writes -----------------------------------------------------------------------------
    def enqueue(self, kind, uuid, build_tx, nonce_floor=0, data=None, from_pending=False):
        """Allocate a nonce, build the signed transaction with build_tx(nonce) -> bytes, persist
        it, and return the Entry. Raises QueueFull before signing anything when full. data: the
        write's canonical JSON (str) for a binary (Cosmos) transaction, else None.
        from_pending: nonce_floor is an account sequence proven just now: the nonce is the one
        after the pending entries' (n, n+1, ... while verified state lags), not the counter's,
        which may run ahead of the chain's (a fresh queue, a dead-lettered write)."""
        with self.lock:
            if len(self._entries) >= self.max_entries or self._bytes >= self.max_bytes:
                raise QueueFull("queue_full", "write queue is full; retry when the network is "
                                "reachable", entries=len(self._entries), bytes=self._bytes,
                                max_entries=self.max_entries, max_bytes=self.max_bytes)
            seq = self.next_seq
            if from_pending:
                nonce = max([int(nonce_floor)] + [e.nonce + 1 for e in self._entries.values()])
            else:
                nonce = max(self.next_nonce, int(nonce_floor))
            tx = bytes(build_tx(nonce))
            entry = Entry(seq, kind, uuid, nonce, tx, hashlib.sha256(tx).hexdigest().upper(),
                          int(self.clock()), data)
            encoded = _dumps(entry.to_dict())
            if self._bytes + len(encoded) > self.max_bytes:
                raise QueueFull("queue_full", "write queue is full (bytes)", bytes=self._bytes,
                                max_bytes=self.max_bytes)
            # State first: a crash between the two writes wastes a nonce, never reuses one.
            self.next_seq, self.next_nonce = seq + 1, nonce + 1
            write_atomic(self.state_path, _dumps({"next_seq": self.next_seq,
                                                  "next_nonce": self.next_nonce}))
            write_atomic(self._path(seq), encoded)
            entry.size = len(encoded)
            self._entries[seq] = entry
            self._bytes += entry.size
            self.changed.notify_all()
            return entry

    def resign(self, entry, nonce, build_tx):
        """The same write signed again with another nonce (an account sequence the chain
        expects): the entry's file is replaced atomically, so a power cut leaves the old or the
        new signature, and the write itself is never lost. Later writes follow the new nonce."""
        with self.lock:
            if entry.seq not in self._entries:
                raise QueueError("queue_entry_gone", "the entry left the queue before its "
                                 "re-signing", id=entry.id)
            tx = bytes(build_tx(nonce))
            new = Entry(entry.seq, entry.kind, entry.uuid, nonce, tx,
                        hashlib.sha256(tx).hexdigest().upper(), entry.queued_at, entry.data)
            data = _dumps(new.to_dict())
            if nonce + 1 > self.next_nonce:
                self.next_nonce = nonce + 1
                write_atomic(self.state_path, _dumps({"next_seq": self.next_seq,
                                                      "next_nonce": self.next_nonce}))
            write_atomic(self._path(entry.seq), data)
            new.size = len(data)
            self._bytes += new.size - self._entries[entry.seq].size
            self._entries[entry.seq] = new
            self.changed.notify_all()
            return new

    def load_meta(self, name, limit=4096):
        """A small JSON object the queue's owner keeps beside it (DIR/<name>.json), or None when
        absent or unreadable (it is re-proven then)."""
        try:
            with open(os.path.join(self.dir, name + ".json"), "rb") as f:
                raw = f.read(limit + 1)
            doc = json.loads(raw) if len(raw) <= limit else None
        except (OSError, ValueError, UnicodeError, RecursionError):
            return None
        return doc if isinstance(doc, dict) else None

    def save_meta(self, name, doc):
        write_atomic(os.path.join(self.dir, name + ".json"), _dumps(doc))

    def _path(self, seq):
        return os.path.join(self.pending_dir, "%016d.json" % seq)

    def delivered(self, entry):
        """A source accepted the transaction: the entry is done."""
        with self.lock:
            self._remove(entry)

    def dead_letter(self, entry, reason):
        """Refused for good: keep it, with the reason, in the dead-letter file, then remove."""
        with self.lock:
            self._dead_raw(entry.to_dict(), reason)
            self._remove(entry)

    def _dead_raw(self, entry_dict, reason):
        line = _dumps({"entry": entry_dict, "reason": reason, "at": int(self.clock())}) + b"\n"
        fd = os.open(self.dead_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _remove(self, entry):
        if self._entries.pop(entry.seq, None) is None:
            return
        self._bytes -= entry.size
        try:
            os.unlink(self._path(entry.seq))
        except FileNotFoundError:
            pass
        atomic_file.sync_dir(self.pending_dir)
        self.changed.notify_all()

    # -- reads ------------------------------------------------------------------------------
    def pending(self):
        """Entries in submission order (oldest first)."""
        with self.lock:
            return [self._entries[s] for s in sorted(self._entries)]

    def get(self, entry_id):
        with self.lock:
            for e in self._entries.values():
                if e.id == entry_id:
                    return e
        return None

    def dead_letters(self):
        try:
            with open(self.dead_path, "rb") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def status(self):
        with self.lock:
            return {"pending": len(self._entries), "bytes": self._bytes,
                    "max_entries": self.max_entries, "max_bytes": self.max_bytes,
                    "dead_letters": len(self.dead_letters()), "next_nonce": self.next_nonce}
