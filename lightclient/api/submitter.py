# Sends the device's queued writes (its own SDK transactions, chain_writes.ChainWriter) to the
# chain through any source that answers, oldest first and one at a time: sequences must arrive
# in order, so a later write never overtakes an earlier one.
#
# What a node says about a transaction is a claim, not a proof. So:
# - "accepted" (code 0) is not delivery: the entry stays until verified state shows it (confirm:
#   the device's last write of that kind, proven by the light client); a node that
#   accepted and dropped it is found out after `confirm_timeout_s` and the transaction is sent
#   again (same bytes: if it had landed after all, the chain refuses the replay and the record
#   check confirms it).
# - "refused" (a positive CheckTx code) drops the entry to the dead-letter file only after
#   REFUSALS_TO_DROP refusals on separate attempts, spaced by the backoff so another source may
#   answer, and only if the record does not show it; a negative code (the node's answer did not
#   parse) counts as a transient failure.
# - Anything else (no source reachable, timeouts) is retried with exponential backoff, forever.
# - A sequence mismatch (the SDK's code 32) is no refusal: the entry is
#   re-signed with the sequence verified state shows (resign, chain_writes.py) and sent again.
#   A sequence verified state shows spent without the write: confirm() answers SPENT when no
#   node knows the transaction (another one took the sequence: re-signed), or a reason dict when
#   it failed in its block (a dead letter with the chain's code and log).
# A skill_settings write that a later pending skill_settings write supersedes (that one carries
# the whole skills array built on top of it) is not sent at all.

import threading
import time

from lightclient import txclient
from lightclient.chip.core.errors import LightClientError

BACKOFF_BASE = 0.5
BACKOFF_MAX = 60.0
REFUSALS_TO_DROP = 3
SPENT = "spent"    # confirm(): the entry's sequence was taken by another transaction
CONFIRM_TIMEOUT_S = 60.0     # a dozen blocks at 5 s
CONFIRM_POLL_S = 1.0


def refusal_reason(err):
    """A permanent refusal -> its reason dict; a transient failure -> None.
    Permanent: the network looked at the transaction and said no (a positive CheckTx code)."""
    details = getattr(err, "details", None) or {}
    code = details.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and code > 0:
        reason = {"check": getattr(err, "check", type(err).__name__), "code": code,
                  "log": str(details.get("log", ""))[:500], "message": str(err)[:500]}
        if details.get("codespace"):
            reason["codespace"] = str(details["codespace"])[:64]
        return reason
    return None


class Submitter:
    def __init__(self, queue, broadcast, confirm=None, backoff_base=BACKOFF_BASE,
                 backoff_max=BACKOFF_MAX, is_permanent=refusal_reason,
                 refusals_to_drop=REFUSALS_TO_DROP, confirm_timeout_s=CONFIRM_TIMEOUT_S,
                 confirm_poll_s=CONFIRM_POLL_S, monotonic=time.monotonic, resign=None):
        self.queue = queue
        # resign(entry, err) -> the entry signed again (a sequence mismatch), or None
        self.resign = resign
        self.broadcast = broadcast
        self.confirm = confirm               # None: a node's code 0 counts as delivery
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.is_permanent = is_permanent
        self.refusals_to_drop = refusals_to_drop
        self.confirm_timeout_s = confirm_timeout_s
        self.confirm_poll_s = confirm_poll_s
        self.monotonic = monotonic
        self.refusals = {}                   # entry seq -> refusals seen (this run)
        self.sent_at = {}                    # entry seq -> when a node last accepted it
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = None
        self.delivered = 0
        self.superseded = 0
        self.resent = 0
        self.dead = 0
        self.resigned = 0
        self.attempts = 0
        self.last_error = None
        self.last_tx_hash = None
        self.retry_in = 0.0

    def start(self):
        self.thread = threading.Thread(target=self._run, name="api-submitter", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout=5.0):
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def notify(self):
        self.wake.set()

    def status(self):
        return {"delivered": self.delivered, "superseded": self.superseded,
                "resent": self.resent, "dead_letters": self.dead, "attempts": self.attempts,
                "resigned": self.resigned,
                "awaiting_confirmation": len(self.sent_at), "last_error": self.last_error,
                "last_tx_hash": self.last_tx_hash, "retry_in_s": round(self.retry_in, 2)}

    # -- one step -------------------------------------------------------------------------------
    def step(self):
        """Work on the oldest entry once. -> "idle", "delivered", "superseded", "sent",
        "waiting" (for confirmation), "dead" or "retry"."""
        pending = self.queue.pending()
        if not pending:
            return "idle"
        head = pending[0]
        if head.seq not in self.sent_at and head.kind == "skill_settings" and \
                any(e.kind == "skill_settings" for e in pending[1:]):
            self._done(head)
            self.superseded += 1
            return "superseded"
        sent = self.sent_at.get(head.seq)
        if sent is not None:
            verdict = self.confirm(head) if self.confirm is not None else None
            if verdict is True:
                return self._delivered(head)
            if isinstance(verdict, dict):    # processed in its block, and failed there
                return self._dead(head, verdict)
            if verdict == SPENT:
                return self._resign(head, "its sequence was spent by another transaction")
            if self.monotonic() - sent < self.confirm_timeout_s:
                return "waiting"
            self.resent += 1                 # accepted, yet not in the verified record: again
        self.attempts += 1
        try:
            tx_hash = self.broadcast(head.tx)
        except LightClientError as e:
            return self._failed(head, e)
        except Exception as e:               # a bug or an OS error: keep the entry, retry later
            self.last_error = {"entry": head.id, "error": repr(e)[:300]}
            return "retry"
        self.last_tx_hash = tx_hash
        if self.confirm is None:
            return self._delivered(head)
        self.sent_at[head.seq] = self.monotonic()
        return "sent"

    def _confirmed(self, head):
        return self.confirm is not None and self.confirm(head) is True

    def _failed(self, head, e):
        if self.resign is not None and txclient.is_wrong_sequence(e):
            verdict = self.confirm(head) if self.confirm is not None else None
            if verdict is True:              # its sequence was used by this very write
                return self._delivered(head)
            if isinstance(verdict, dict):    # ... or spent by it, failing in its block
                return self._dead(head, verdict)
            return self._resign(head, e)
        reason = self.is_permanent(e)
        if reason is None:
            self.last_error = {"entry": head.id, "error": str(e)[:300]}
            return "retry"
        if self._confirmed(head):            # refused as a replay of what already landed
            return self._delivered(head)
        n = self.refusals.get(head.seq, 0) + 1
        self.refusals[head.seq] = n
        if n < self.refusals_to_drop:
            self.last_error = {"entry": head.id, "refused": reason, "refusals": n}
            return "retry"
        reason["refusals"] = n
        return self._dead(head, reason)

    def _resign(self, head, why):
        try:
            self.resign(head, why)
        except LightClientError as err:      # no verified account right now: later
            self.last_error = {"entry": head.id, "error": str(err)[:300]}
            return "retry"
        self.resigned += 1
        self.last_error = {"entry": head.id, "resigned": str(why)[:300]}
        self.sent_at.pop(head.seq, None)
        return "resigned"

    def _dead(self, head, reason):
        self.queue.dead_letter(head, reason)
        self._forget(head)
        self.dead += 1
        self.last_error = {"entry": head.id, "refused": reason}
        return "dead"

    def _delivered(self, head):
        self._done(head)
        self.delivered += 1
        return "delivered"

    def _done(self, head):
        self.queue.delivered(head)
        self._forget(head)

    def _forget(self, head):
        self.refusals.pop(head.seq, None)
        self.sent_at.pop(head.seq, None)

    # -- the loop -------------------------------------------------------------------------------
    def _run(self):
        delay = self.backoff_base
        while not self.stopping.is_set():
            outcome = self.step()
            if outcome == "idle":
                self.retry_in = 0.0
                self.wake.wait(30.0)
                self.wake.clear()
            elif outcome in ("sent", "waiting"):
                self.stopping.wait(self.confirm_poll_s)
            elif outcome in ("retry", "resigned"):
                self.retry_in = delay
                self.wake.clear()
                # a new write does not cut the backoff short: the network is still down
                self.stopping.wait(delay)
                delay = min(delay * 2, self.backoff_max)
            else:
                delay = self.backoff_base
