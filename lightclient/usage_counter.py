"""The device's count of skill uses per epoch (docs/usage-tokens.md): a small JSON file in the
state directory, replaced atomically (a power cut leaves the old or the new count). It never
leaves the Pi: what leaves are unlinkable tokens (lightclient/usage_tokens.py)."""

import json
import os
import threading

from lightclient.atomic_file import write_atomic
from lightclient.usage_tokens import _skill_id

FILE = "usage-counts.json"
MAX_SKILLS = 256               # per epoch: a bounded file whatever skills report


class UsageCounter:
    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, FILE)
        self.lock = threading.Lock()

    def _load(self):
        try:
            with open(self.path) as f:
                doc = json.load(f)
        except FileNotFoundError:
            return {}
        if not isinstance(doc, dict):
            raise ValueError("usage counts file is not an object")
        return doc

    def _save(self, doc):
        write_atomic(self.path, json.dumps(doc, sort_keys=True).encode(), mode=0o600)

    def add(self, epoch, skill_id, n=1):
        """One more use (n) of a skill in an epoch (the epoch of a verified header's time)."""
        _skill_id(skill_id)
        with self.lock:
            doc = self._load()
            per = doc.setdefault(str(int(epoch)), {})
            if skill_id not in per and len(per) >= MAX_SKILLS:
                raise ValueError("more than %d skills in one epoch" % MAX_SKILLS)
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
