"""The device's count of skill uses per epoch (docs/usage-tokens.md): a small JSON file in the
state directory, replaced atomically (a power cut leaves the old or the new count). It never
leaves the Pi: what leaves are unlinkable tokens (lightclient/usage_tokens.py)."""

import json
import os
import threading

from lightclient.atomic_file import write_atomic
from lightclient.chip.core.errors import StoreError
from lightclient.usage_tokens import _skill_id

FILE = "usage-counts.json"
MAX_SKILLS = 256               # per epoch: a bounded file whatever skills report
MAX_FILE = 1 << 20             # read no more (256 skills x a few epochs is far below)


class UsageCounter:
    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, FILE)
        self.lock = threading.Lock()

    def _load(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_FILE + 1)
        except FileNotFoundError:
            return {}
        try:
            doc = json.loads(data) if len(data) <= MAX_FILE else None
        except ValueError:
            doc = None
        if not (isinstance(doc, dict) and all(
                isinstance(e, str) and e.isascii() and e.isdigit() and isinstance(per, dict)
                and all(isinstance(n, int) and n > 0 for n in per.values())
                for e, per in doc.items())):
            raise StoreError("usage_counts_file", "the usage counts file is not {epoch: {skill: "
                             "uses}} within %d bytes" % MAX_FILE, path=self.path)
        return doc

    def _save(self, doc):
        write_atomic(self.path, json.dumps(doc, sort_keys=True).encode(), mode=0o600)

    def add(self, epoch, skill_id, n=1):
        """One more use (n) of a skill in an epoch (the epoch of a verified header's time)."""
        _skill_id(skill_id)
        with self.lock:
            doc = self._load()
            # the issuer takes the current epoch or the one before: older uses are no tokens
            # any more, and dropping them keeps the file bounded
            for e in [e for e in doc if int(e) < int(epoch) - 1]:
                del doc[e]
            per = doc.setdefault(str(int(epoch)), {})
            if skill_id not in per and len(per) >= MAX_SKILLS:
                raise StoreError("usage_counts_full", "more than %d skills in one epoch"
                                 % MAX_SKILLS, epoch=int(epoch))
            per[skill_id] = int(per.get(skill_id, 0)) + int(n)
            self._save(doc)
            return per[skill_id]

    def counts(self):
        """{epoch: {skill: uses}} not yet turned into tokens."""
        with self.lock:
            return {int(e): dict(v) for e, v in self._load().items()}

    def take(self, epoch, counts):
        """Removes uses now held as tokens (after the tokens are safely written)."""
        with self.lock:
            doc = self._load()
            per = doc.get(str(int(epoch)), {})
            for s, n in counts.items():
                left = int(per.get(s, 0)) - int(n)
                if left > 0:
                    per[s] = left
                else:
                    per.pop(s, None)
            if not per:
                doc.pop(str(int(epoch)), None)
            self._save(doc)
