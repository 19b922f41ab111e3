# The nodes a device can ask, and how it asks them. Any node may be down, slow or lying; the
# answers are verified elsewhere, so this module only decides *whom* to ask and *when to stop
# waiting*:
# - Order: the central API first (it is the one the device was provisioned with and usually the
#   fastest), then peers by score (latency EWMA, recent failures). A source that missed a hedge
#   window is "suspect" for a while and goes to the back, so a blackholed node costs one hedge
#   delay, once, not on every request.
# - Hedging: ask the best source; if it has not answered after `hedge_delay`, ask the next one
#   too (and immediately after any failure); the first acceptable answer wins. Requests carry
#   their own deadline, so abandoned ones end by themselves. A source whose usual answer takes
#   longer (a loaded node) gets HEDGE_LATENCY_FACTOR times its latency instead (at most half a
#   request's timeout): hedging it at its usual pace only fetched every answer twice.
# - Whose fault (lightclient.chip.core.errors): Unavailable (refused, timeout, HTTP errors, bad JSON)
#   puts a source in exponential backoff: it is retried later by itself. InvalidData (bad
#   signature, bad proof, malformed block) bans it for a while (doubling on repeat) with the
#   reason kept for `status`. A LocalFault (our store, our chip link) is raised to the caller at
#   once and costs the source nothing: it did no wrong. Anything else (a verdict like
#   NotEnoughTrust, a bug) is a failure, never a ban. Nothing is permanent: the client recovers
#   without a reset.
# - Time comes from the Clock handed in; a request's deadline is an argument (`until`, on that
#   clock's monotonic scale), never state set from outside.

import queue
import threading

from lightclient.chip.core.errors import InvalidData, LightClientError, LocalFault, Unavailable
from lightclient.clock import Clock
from lightclient.rpc import Counters, RpcClient, SourceError

CENTRAL = "central"
PEER = "peer"
LAN = "lan"
DISCOVERED = "discovered"

HEDGE_DELAY = 0.25
HEDGE_LATENCY_FACTOR = 2.0
REQUEST_TIMEOUT = 2.5
BAN_SECONDS = 600.0
BAN_MAX = 6 * 3600.0
BACKOFF_BASE = 1.0
BACKOFF_MAX = 300.0
SUSPECT_SECONDS = 30.0
MAX_SOURCES = 64


class NoSource(Unavailable):
    """No source gave an acceptable answer (all down, banned, or failing)."""


class Source:
    def __init__(self, url, kind, rpc):
        self.url = url
        self.kind = kind
        self.rpc = rpc
        self.latency = None          # EWMA of successful request seconds
        self.successes = 0
        self.failures = 0
        self.consecutive_failures = 0
        self.retry_at = 0.0          # monotonic; backoff after failures
        self.suspect_until = 0.0     # monotonic; missed a hedge window
        self.banned_until = 0.0      # monotonic
        self.ban_count = 0
        self.ban_reason = None       # {"check", "message", "details", "at_unix"}
        self.last_error = None

    def banned(self, now):
        return now < self.banned_until

    def score(self):
        """Lower is better: expected seconds to an answer, inflated by recent failures."""
        lat = self.latency if self.latency is not None else 0.3
        return lat * (1 + 2 * self.consecutive_failures)

    def to_dict(self, now):
        d = {"url": self.url, "kind": self.kind, "score": round(self.score(), 4),
             "latency_s": None if self.latency is None else round(self.latency, 4),
             "successes": self.successes, "failures": self.failures,
             "banned": self.banned(now), "suspect": now < self.suspect_until,
             "retry_in_s": round(max(0.0, self.retry_at - now), 2)}
        if self.banned(now):
            d["banned_for_s"] = round(self.banned_until - now, 1)
        if self.ban_reason is not None:
            d["ban_reason"] = self.ban_reason
        if self.last_error is not None:
            d["last_error"] = self.last_error
        return d


def _reason(err):
    if isinstance(err, LightClientError):
        d = err.to_dict()
        details = {}
        for k, v in d.items():
            if k in ("type", "check", "message"):
                continue
            if isinstance(v, float):
                v = repr(v)   # kept as text: the store's canonical JSON has no floats
            if isinstance(v, (str, int, bool, type(None))):
                details[k] = v[:200] if isinstance(v, str) else v
        return {"check": err.check, "message": err.message[:200], "error": d.get("type"),
                "details": details}
    return {"check": "internal", "message": str(err)[:200], "details": {}}


class SourcePool:
    def __init__(self, central=None, peers=(), timeout=REQUEST_TIMEOUT, hedge_delay=HEDGE_DELAY,
                 ban_seconds=BAN_SECONDS, backoff_base=BACKOFF_BASE, clock=None, counters=None,
                 on_ban=None):
        self.timeout = timeout
        self.hedge_delay = hedge_delay
        self.ban_seconds = ban_seconds
        self.backoff_base = backoff_base
        self.clock = clock if clock is not None else Clock()
        self.monotonic = self.clock.monotonic
        self.wall = self.clock.wall
        self.counters = counters if counters is not None else Counters()
        self.lock = threading.Lock()
        self.sources = []
        self.on_ban = on_ban         # called after every ban (the client persists them)
        if central:
            self.add(central, CENTRAL)
        for p in peers:
            self.add(p, PEER)

    # --- membership ------------------------------------------------------------------------------

    def add(self, url, kind=PEER):
        url = url.rstrip("/")
        with self.lock:
            for s in self.sources:
                if s.url == url:
                    return s
            if len(self.sources) >= MAX_SOURCES:
                return None
            s = Source(url, kind, RpcClient(url, timeout=self.timeout, counters=self.counters,
                                                  clock=self.clock))
            self.sources.append(s)
            return s

    def get(self, url):
        for s in self.sources:
            if s.url == url.rstrip("/"):
                return s
        return None

    def candidates(self, exclude=()):
        """Sources worth asking now, best first: not banned; healthy before suspect before those
        in backoff (a source in backoff is still asked last, so a pool whose sources all failed
        once does not refuse to try again)."""
        now = self.monotonic()
        ex = set(s if isinstance(s, str) else s.url for s in exclude)
        out = []
        with self.lock:
            for i, s in enumerate(self.sources):
                if s.url in ex or s.banned(now):
                    continue
                tier = 0
                if now < s.suspect_until:
                    tier = 1
                if now < s.retry_at:
                    tier = 2
                central_first = 0 if s.kind == CENTRAL else 1
                out.append((tier, central_first, s.score(), i, s))
        out.sort(key=lambda t: t[:4])
        return [t[-1] for t in out]

    def healthy_count(self):
        """Sources neither banned, suspect nor in backoff: those expected to answer quickly."""
        now = self.monotonic()
        with self.lock:
            return sum(1 for s in self.sources if not s.banned(now) and now >= s.suspect_until
                       and now >= s.retry_at)

    # --- bookkeeping -----------------------------------------------------------------------------

    def record_success(self, src, seconds):
        with self.lock:
            src.successes += 1
            src.consecutive_failures = 0
            src.retry_at = 0.0
            src.suspect_until = 0.0
            src.latency = seconds if src.latency is None else 0.7 * src.latency + 0.3 * seconds

    def record_failure(self, src, err):
        with self.lock:
            src.failures += 1
            src.consecutive_failures += 1
            delay = min(BACKOFF_MAX, self.backoff_base * (2 ** min(src.consecutive_failures - 1, 12)))
            src.retry_at = self.monotonic() + delay
            src.last_error = _reason(err)

    def mark_suspect(self, src):
        with self.lock:
            src.suspect_until = self.monotonic() + SUSPECT_SECONDS

    def ban(self, src, err):
        """`src` served invalid data: out of rotation for ban_seconds (doubling on repeat)."""
        if isinstance(src, str):
            src = self.get(src)
            if src is None:
                return
        with self.lock:
            src.ban_count += 1
            seconds = min(BAN_MAX, self.ban_seconds * (2 ** min(src.ban_count - 1, 10)))
            src.banned_until = self.monotonic() + seconds
            r = _reason(err)
            r["at_unix"] = int(self.wall())
            r["seconds"] = int(seconds)
            src.ban_reason = r
        if self.on_ban is not None:
            self.on_ban()

    def export_bans(self):
        """Active bans as {url: {"until_unix", "count", "reason"}} (wall clock, for the store)."""
        now, wall = self.monotonic(), self.wall()
        with self.lock:
            return {s.url: {"until_unix": int(wall + s.banned_until - now), "count": s.ban_count,
                            "reason": s.ban_reason}
                    for s in self.sources if s.banned(now)}

    def export_health(self):
        """What each source did lately, {url: {"latency_us", "failures", "consecutive_failures",
        "successes", "last_error", "at_unix"}} (integers: the store's canonical JSON has no
        floats): kept across runs so that `status` (another process) and the next boot's order
        both see a source that just failed."""
        wall = int(self.wall())
        with self.lock:
            return {s.url: {"kind": s.kind,
                            "latency_us": None if s.latency is None else int(s.latency * 1e6),
                            "failures": s.failures,
                            "consecutive_failures": s.consecutive_failures,
                            "successes": s.successes, "last_error": s.last_error,
                            "at_unix": wall}
                    for s in self.sources if s.successes or s.failures}

    def restore_health(self, health, discovered=True):
        """Health saved by export_health, for sources known to the pool, and (`discovered`) the
        peers an earlier run discovered (added back as DISCOVERED, so a restart need not ask
        /net_info again); untrusted input (a local file): a malformed entry is skipped, numbers are
        bounded, and the pool's MAX_SOURCES still holds."""
        for url, h in health.items():
            if not isinstance(h, dict):
                continue
            src = self.get(url)
            if src is None and discovered and h.get("kind") == DISCOVERED and \
                    _is_http_url(url):
                src = self.add(url, DISCOVERED)
            if src is None:
                continue
            try:
                lat = h.get("latency_us")
                lat = None if lat is None else min(max(int(lat), 0), 60 * 10**6) / 1e6
                counts = [min(max(int(h.get(k, 0)), 0), 1 << 30)
                          for k in ("failures", "consecutive_failures", "successes")]
            except (TypeError, ValueError, OverflowError):
                continue
            err = h.get("last_error")
            with self.lock:
                src.latency = lat
                src.failures, src.consecutive_failures, src.successes = counts
                src.consecutive_failures = min(src.consecutive_failures, 20)
                src.last_error = err if isinstance(err, (dict, str)) else None

    def restore_bans(self, bans):
        """Bans saved by export_bans, for sources known to the pool. The wall clock may be wrong
        at boot, so a restored ban lasts at most BAN_MAX from now, however far its end."""
        now, wall = self.monotonic(), self.wall()
        for url, b in bans.items():
            src = self.get(url)
            if src is None or not isinstance(b, dict):
                continue
            try:
                left = min(BAN_MAX, float(b["until_unix"]) - wall)
                count = int(b.get("count", 1))
            except (KeyError, TypeError, ValueError):
                continue
            if left > 0:
                with self.lock:
                    src.banned_until = now + left
                    src.ban_count = max(src.ban_count, min(count, 20))
                    src.ban_reason = b.get("reason") if isinstance(b.get("reason"), dict) else None

    def status(self):
        now = self.monotonic()
        with self.lock:
            return [s.to_dict(now) for s in self.sources]

    # --- asking ----------------------------------------------------------------------------------

    def hedge_after(self, src, base=None):
        """How long `src` may take before the next source is asked too: `base` (the pool's
        hedge delay), or HEDGE_LATENCY_FACTOR times the source's usual answer time when that is
        longer, at most half the request timeout (a blackholed source costs that, then is
        suspect). A source never measured gets `base`."""
        base = self.hedge_delay if base is None else base
        if src.latency is None:
            return base
        return max(base, min(self.timeout / 2, HEDGE_LATENCY_FACTOR * src.latency))

    @staticmethod
    def _cap(end, until):
        return end if until is None else min(end, until)

    def _start(self, src, fn, accept, results):
        """fn(src.rpc) (then accept(value, src)) in a thread of its own; puts (src, ok, value or
        error) on `results`. Invalid data: ban; a local fault: nothing (the caller raises it);
        unavailable, any other verdict, a bug or an unexpected shape: backoff, never trusted."""
        def run():
            t0 = self.monotonic()
            try:
                value = fn(src.rpc)
                if accept is not None:
                    accept(value, src)
            except InvalidData as e:
                self.ban(src, e)
                results.put((src, False, e))
                return
            except LocalFault as e:
                results.put((src, False, e))
                return
            except LightClientError as e:
                self.record_failure(src, e)
                results.put((src, False, e))
                return
            except Exception as e:  # noqa: BLE001
                err = SourceError("internal", "%s: %s" % (type(e).__name__, str(e)[:100]),
                                  url=src.url)
                self.record_failure(src, err)
                results.put((src, False, err))
                return
            self.record_success(src, self.monotonic() - t0)
            results.put((src, True, value))
        threading.Thread(target=run, daemon=True).start()

    def race(self, fn, exclude=(), deadline_s=None, hedge_delay=None, accept=None, only=None,
             until=None):
        """fn(rpc) on the best source, hedged onto the next ones; returns (value, source) of the
        first answer that `accept(value, source)` takes (it may raise: InvalidData bans that
        source). Ends by `until` (monotonic) at the latest. Raises a LocalFault at once, else
        NoSource with every error."""
        cands = self.candidates(exclude)
        if only is not None:
            keep = set(s if isinstance(s, str) else s.url for s in only)
            cands = [s for s in cands if s.url in keep]
        if not cands:
            raise NoSource("no_source", "no source to ask (all banned or excluded)",
                           known=len(self.sources))
        end = self._cap(self.monotonic() + (deadline_s if deadline_s is not None
                                            else self.timeout + 0.5), until)
        results = queue.Queue()
        started = []
        errors = []

        def start_next():
            if len(started) >= len(cands):
                return False
            src = cands[len(started)]
            started.append(src)
            self._start(src, fn, accept, results)
            return True

        def hedge():     # after the newest source asked; a delay the caller gives is kept
            return self.hedge_after(started[-1]) if hedge_delay is None else hedge_delay

        start_next()
        pending = 1
        next_hedge = self.monotonic() + hedge()
        while True:
            now = self.monotonic()
            if now >= end:
                for s in started:
                    self.mark_suspect(s)
                raise NoSource("deadline", "no acceptable answer before the deadline",
                               asked=[s.url for s in started], errors=_summaries(errors))
            more = len(started) < len(cands)
            wait = end - now
            if more:
                wait = min(wait, max(0.0, next_hedge - now))
            try:
                src, ok, value = results.get(timeout=wait)
            except queue.Empty:
                if more and self.monotonic() >= next_hedge:
                    # the sources asked so far are slow: mark the newest and ask the next
                    self.mark_suspect(started[-1])
                    start_next()
                    pending += 1
                    next_hedge = self.monotonic() + hedge()
                continue
            pending -= 1
            if ok:
                return value, src
            if isinstance(value, LocalFault):
                raise value   # ours: no other source can fix it, and none is to blame
            errors.append(value)
            if start_next():
                pending += 1
                next_hedge = self.monotonic() + hedge()
            elif pending == 0:
                raise NoSource("all_failed", "every source failed", asked=[s.url for s in started],
                               errors=_summaries(errors))

    def ask_all(self, fn, deadline_s=1.0, enough=None, grace_s=None, exclude=(), until=None):
        """fn(rpc) on every candidate at once. Returns [(source, value)] of the successes, when
        all have answered, at the deadline (or `until`), or (when `enough` is given) `grace_s`
        after the `enough`-th success, so a blackholed node does not hold up a poll. Failures
        are recorded as usual; a LocalFault is raised."""
        cands = self.candidates(exclude)
        results = queue.Queue()
        grace = self.hedge_delay if grace_s is None else grace_s
        for s in cands:
            self._start(s, fn, None, results)
        out = []
        answered = 0
        end = self._cap(self.monotonic() + deadline_s, until)
        while answered < len(cands):
            now = self.monotonic()
            if now >= end:
                break
            try:
                src, ok, v = results.get(timeout=end - now)
            except queue.Empty:
                break
            answered += 1
            if not ok and isinstance(v, LocalFault):
                raise v
            if ok:
                out.append((src, v))
                if enough is not None and len(out) >= enough:
                    # enough answers in hand: the others get one hedge delay, not the deadline
                    end = min(end, self.monotonic() + grace)
        answered_urls = set(s.url for s, _ in out)
        for s in cands:
            if s.url not in answered_urls and s.consecutive_failures == 0:
                self.mark_suspect(s)
        return out

    def discover(self, deadline_s=None):
        """Peers announced in /net_info by any reachable source, added as DISCOVERED."""
        try:
            urls, _ = self.race(lambda rpc: rpc.net_info(), deadline_s=deadline_s)
        except NoSource:
            return []
        added = []
        for u in urls:
            if self.get(u) is None and self.add(u, DISCOVERED) is not None:
                added.append(u)
        return added


def _is_http_url(url):
    return isinstance(url, str) and len(url) <= 256 and url.startswith(("http://", "https://")) \
        and url.isprintable() and " " not in url


def _summaries(errors):
    return "; ".join(str(e)[:160] for e in errors[:8])
