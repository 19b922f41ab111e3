"""Skill uses, counted from what the unmodified client already reports (docs/usage-tokens.md,
"Counting uses"). mycroft-core (and the OVOS skills that keep its wrapper) runs every skill
handler inside a stopwatch and reports it as the metric `timing`:

    POST /v1/device/{uuid}/metric/timing
    {"id": interaction ident, "system": "skill_handler", "skill_id": ..., "handler": ...,
     "start_time": ..., "time": ...}

A use is one such report: one interaction (`id`) counts once per skill, however many of its
handlers ran. Other metrics (the intent service's timings, STT, a skill's own report_metric)
are not uses. The epoch is that of verified block time (the chain's header, x/usage's proven
epoch_seconds), never the Pi's clock; the count goes to the durable counter file
(usage_counter.py), which only tokens leave."""

import threading
from collections import OrderedDict

from lightclient import usage_tokens as U
from lightclient.chip.core.errors import DecodeError

METRIC = "timing"
SYSTEM = "skill_handler"
RECENT = 256               # interactions remembered to count each once (memory only)


def use_of(name, data):
    """-> (skill id, interaction id or None) when this metric reports a skill handler's run,
    else None. DecodeError `skill_id` for a skill id no token can carry (U._skill_id's rule,
    after lower-casing: mycroft's ids are folder names such as mycroft-weather.mycroftai)."""
    if name != METRIC or not isinstance(data, dict) or data.get("system") != SYSTEM:
        return None
    skill = data.get("skill_id")
    if not isinstance(skill, str):
        raise DecodeError("skill_id", "a skill_handler report without a skill_id")
    skill = skill.lower()
    U._skill_id(skill)
    ident = data.get("id")
    return skill, (ident if isinstance(ident, str) and len(ident) <= 128 else None)


class SkillUses:
    """counter: usage_counter.UsageCounter; epoch_now() -> the epoch of verified block time
    (LightClientError when nothing can be verified now)."""

    def __init__(self, counter, epoch_now, recent=RECENT):
        self.counter = counter
        self.epoch_now = epoch_now
        self.recent = recent
        self.seen = OrderedDict()        # (interaction, skill) -> None, oldest first
        self.lock = threading.Lock()     # two reports of one interaction at once count once

    def count(self, name, data):
        """-> None (not a use), or {"skill", "epoch", "uses"} with uses None for an interaction
        already counted. Raises DecodeError (skill id) or LightClientError (no verified time)."""
        use = use_of(name, data)
        if use is None:
            return None
        skill, ident = use
        key = (ident, skill)
        with self.lock:
            if ident is not None and key in self.seen:
                return {"skill": skill, "epoch": None, "uses": None}
            epoch = self.epoch_now()
            uses = self.counter.add(epoch, skill)
            if ident is not None:
                self.seen[key] = None
                while len(self.seen) > self.recent:
                    self.seen.popitem(last=False)
        return {"skill": skill, "epoch": epoch, "uses": uses}


def chain_epoch(writer):
    """epoch_now for the device API on the chain: the writer's verified view (synced when older
    than its freshness) and x/usage's params proven with ICS23 at that header."""
    def epoch_now():
        view = writer.view()
        p = writer.client.pool.race(lambda rpc: U.params(rpc, view.header))[0]
        return U.epoch_of(view.header_time_ns // 10 ** 9, p["epoch_seconds"])
    return epoch_now
