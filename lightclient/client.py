# The Pi-side light client: one object tying sources, trust store, sync, detector, records, clock
# and weak-subjectivity recovery together. Its promise: what it returns is verified against the
# trust anchor, or it is the last verified answer from the cache, marked stale with its age, or
# it is a typed error. Never unverified data.
#
# Boot, in order:
#   1. halted by an unresolved attack?  -> refuse to sync; serve the cache (stale), say why
#   2. no verified light block yet      -> fetch the anchor's block: its hash must equal the
#                                          provisioned hash and >2/3 of its validators signed it
#   3. poll every source's /status at once (hedged by nature): head heights and times; the
#      median time fixes a wrong wall clock (clock.py)
#   4. trusted header older than the trusting period -> weak-subjectivity recovery (checkpoint.py)
#   5. skipping verification to the highest reported head (sync.py), banning liars
#   6. cross-check the new head with a witness (detector.py) before adopting it, hedged: the
#      witnesses get CROSS_CHECK_S to answer; when none does, the head (verified all the same)
#      is adopted with `agreed: false` in the answer and in status
#   7. prove the device record against the new head (records.py); on the real chain also the
#      device's sealed settings, opened on the chip (sealed_settings.py); cache them
# Any failure in 2-7 falls back to the cache. Time is read only on the Clock handed in, and a
# boot's one deadline (`until`, monotonic) is handed down to every request it makes.

import hashlib
import os
import threading

from lightclient import checkpoint, native, records, sealed_settings, staking_params
from lightclient.clock import Clock
from lightclient.chip.core.errors import LightClientError, VerificationError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import Options, header_validate_basic, verify_commit_full
from lightclient.detector import ANSWER_S, AttackDetected, cross_check
from lightclient.record_layouts import COSMOS_SDK, SCENARIONET
from lightclient.records import NoVerifiedData, ProvenRecord
from lightclient.rpc import int_field
from lightclient.sources import NoSource, SourcePool
from lightclient.sync import SyncError, sync_from_pool
from lightclient.trust_store import StoreError, TrustStore

SECOND = 1000000000
REFRESH_S = 5.0   # device_record() re-syncs when the last sync is older than this
DISCOVER_EVERY_S = 600.0  # ask /net_info for more peers at most this often (in the background)
POLL_S = 1.5      # how long the head poll waits when nothing has answered
POLL_CACHED_S = 0.45  # the same when verified settings are cached: a silent network (every
                      # source blackholed) then costs under 0.5 s before the stale cache is
                      # served; a later device_record() tries the network again
CROSS_CHECK_S = ANSWER_S  # how long the witnesses get to answer for the new head (hedged
                          # among them): a blackholed witness costs this, not a request timeout


class BootResult:
    """ok: verified settings obtained now (fresh) or from the cache (stale); record: ProvenRecord
    or None; source: "network" | "cache" | None; error: the failure that forced the cache (dict)
    or None; halted: the unresolved attack (dict) or None; sync: SyncStats dict or None."""

    def __init__(self):
        self.ok = False
        self.record = None
        self.stale = False
        self.source = None
        self.trusted_height = None
        self.trusted_time_ns = None
        self.seconds = 0.0
        self.sync = None
        self.cross_check = None
        self.agreed = None          # a witness confirmed the head (False: none answered in time)
        self.recovery = None
        self.error = None
        self.halted = None
        self.clock = None

    def to_dict(self):
        return {"ok": self.ok, "stale": self.stale, "source": self.source,
                "record": None if self.record is None else self.record.to_dict(),
                "trusted_height": self.trusted_height, "trusted_time_ns": self.trusted_time_ns,
                "seconds": round(self.seconds, 4), "sync": self.sync,
                "cross_check": self.cross_check, "agreed": self.agreed,
                "recovery": self.recovery,
                "error": self.error, "halted": self.halted, "clock": self.clock}


def _err_dict(e):
    if isinstance(e, LightClientError):
        return e.to_dict()
    return {"type": type(e).__name__, "check": "internal", "message": str(e)[:200]}


class LightClient:
    def __init__(self, config, clock=None, pool=None, store=None, progress=None,
                 owner_checkpoint=None):
        """clock: the Clock everything here reads (the system's by default)."""
        self.config = config
        self.clock = clock if clock is not None else Clock()
        self.store = store or TrustStore(config.state_dir, config.max_blocks)
        self.pool = pool or SourcePool(config.central or None, config.peers,
                                       timeout=config.request_timeout_s,
                                       hedge_delay=config.hedge_delay_s, clock=self.clock)
        self._bans_lock = threading.Lock()
        # Bans survive a restart: a reboot must not hand a known liar a fresh chance at once.
        self.pool.restore_bans(self.store.load_bans())
        self.pool.restore_health(self.store.load_health(), discovered=config.discover)
        self.pool.on_ban = self._save_bans
        self.options = Options(int(config.trusting_period_s * SECOND), config.trust_level[0],
                               config.trust_level[1])
        # with check_unbonding, the trusting period is held against the chain's unbonding time
        # once it is proven (_check_unbonding): None until then
        self.unbonding_ns = None
        self.progress = progress
        self.owner_checkpoint = owner_checkpoint   # a signed checkpoint doc, if the owner gave one
        # what opens the device's sealed settings on the real chain (a sealed_settings.ChipOpener
        # when the chip is on the link); None: only what the chip opened before is served
        self.opener = None
        self.lock = threading.RLock()
        self.checker = CachingChecker(native.verify)
        self.last_sync_stats = None   # SyncStats of the last sync that moved (None: at head)
        self.last_sync_mono = None
        self.last_cross_check = None
        self.head_agreed = None       # did a witness confirm the trusted head? (None: not asked)
        self.cross_check_s = CROSS_CHECK_S    # the witnesses' budget for a new head
        self.last_recovery = None
        self.last_error = None
        self.lan_server = None
        self.lan_discovery = None
        self.last_discovery_mono = None
        self.discovery = None         # the background /net_info thread, once started
        try:
            self.blocks = self.store.load_blocks()
        except StoreError as e:
            self.blocks = []
            self.last_error = _err_dict(e)
        self.blocks = [b for b in self.blocks
                       if b.light_block.signed_header.header.chain_id == config.chain_id]
        if self.blocks:
            self.clock.raise_floor(self.trusted().light_block.signed_header.header.time_ns)

    def _save_health(self):
        try:
            self.store.save_health(self.pool.export_health())
        except (OSError, LightClientError) as e:
            self.last_error = _err_dict(e)

    def _save_bans(self):
        with self._bans_lock:   # bans come from the pool's request threads
            try:
                self.store.save_bans(self.pool.export_bans())
            except (OSError, LightClientError) as e:
                self.last_error = _err_dict(e)

    # --- trusted state ---------------------------------------------------------------------------

    def trusted(self):
        return self.blocks[-1] if self.blocks else None

    def _adopt(self, raws, reset=False):
        self.blocks = self.store.save_blocks(raws if reset else self.blocks + list(raws))
        self.clock.raise_floor(self.trusted().light_block.signed_header.header.time_ns)

    def _anchor(self):
        """(height, header hash, source): the stored anchor (it may have been recovered since
        provisioning), else the provisioned one."""
        try:
            a = self.store.load_anchor()
            if a["chain_id"] == self.config.chain_id:
                return a["height"], a["hash"], a["source"] or "provisioned"
        except StoreError:
            pass
        return self.config.checkpoint_height, self.config.checkpoint_hash, "provisioned"

    def init_from_anchor(self, until=None):
        """The first verified block: the one the provisioned hash names. Its time is not checked
        against the clock (the hash pins it; the clock may read 1970)."""
        height, want, source = self._anchor()
        chain_id = self.config.chain_id
        checker = self.checker

        def accept(raw, src):
            sh = raw.light_block.signed_header
            header_validate_basic(sh.header, chain_id)
            if sh.header.hash() != want:
                raise VerificationError("anchor_hash", "block does not hash to the provisioned "
                                        "checkpoint", height=height)
            verify_commit_full(chain_id, sh, raw.light_block.validators, checker)

        raw, _ = self.pool.race(lambda rpc: rpc.light_block(height), accept=accept, until=until)
        self.store.save_anchor(chain_id, height, want, source)
        self._adopt([raw], reset=True)
        return raw

    def _expired(self, now_ns):
        t = self.trusted().light_block.signed_header.header.time_ns
        return t + self.options.trusting_period_ns <= now_ns

    # --- sync ------------------------------------------------------------------------------------

    def _check_halt(self):
        halt = self.store.halt()
        if halt is not None:
            raise AttackDetected("client halted by an unresolved light-client attack; inspect "
                                 "the evidence and run `mycroft-lc status`, then clear the halt",
                                 halt.get("evidence_path", ""), halt=halt)

    def _poll_heads(self, deadline_s, until):
        # Two head times fix a wrong wall clock, but only sources expected to answer count: a
        # known-silent central must not make a one-peer network wait out the whole poll.
        n = self.pool.healthy_count()
        statuses = self.pool.ask_all(lambda rpc: rpc.status(), deadline_s=deadline_s,
                                     enough=min(2, max(1, n)), until=until)
        ours = [(src, st) for src, st in statuses
                if st.get("network") in ("", self.config.chain_id)]
        self.clock.observe_network([st["latest_time_ns"] for _, st in ours])
        return ours

    def _recover(self, now_ns, until):
        """Weak-subjectivity recovery: the owner's checkpoint if given, else k of n sources."""
        c = self.config
        drift = self.options.clock_drift_ns
        if self.owner_checkpoint is not None:
            raw, info = checkpoint.recover_owner(self.pool, self.owner_checkpoint,
                                                 c.owner_pubkey, c.chain_id, now_ns, drift,
                                                 until=until)
        else:
            raw, info = checkpoint.recover_k_of_n(self.pool, c.chain_id, c.ws_k, now_ns, drift,
                                                  until=until)
        sh = raw.light_block.signed_header
        if sh.header.time_ns + self.options.trusting_period_ns <= now_ns:
            raise checkpoint.RecoveryError("ws_checkpoint_expired",
                                           "the agreed checkpoint is itself too old")
        self.store.save_anchor(c.chain_id, raw.height, sh.header.hash(),
                               source="owner" if info.get("by") == "owner" else "k_of_n")
        self._adopt([raw], reset=True)
        self.head_agreed = None
        self.last_recovery = info
        return info

    def sync(self, deadline_s=10.0, progress=None, poll_s=POLL_S, until=None):
        """Verify up to the highest head the sources report, by deadline_s from now or `until`
        (monotonic), whichever is first. Returns SyncStats (None when already at the head).
        Raises AttackDetected, NoSource, SyncError, RecoveryError, a LocalFault."""
        mono = self.clock.monotonic
        with self.lock:
            self._check_halt()
            end = mono() + deadline_s
            if until is not None:
                end = min(end, until)
            if self.trusted() is None:
                self.init_from_anchor(until=end)
            self._check_unbonding(self.trusted(), end)
            heads = self._poll_heads(min(poll_s, max(0.2, end - mono())), end)
            self._discover_in_background()
            now = self.clock.now_ns()
            if self._expired(now):
                self._recover(now, end)
            trusted = self.trusted()
            targets = _targets([st["latest_height"] for _, st in heads])
            if not heads:
                raise NoSource("no_head", "no source reported its head")
            stats = None
            last = None
            for target in targets:
                if target <= trusted.height:
                    last = None   # a higher head was a lie (nobody served it): we are at the head
                    break
                try:
                    new, verified, stats = sync_from_pool(
                        self.pool, trusted, target, self.options, now,
                        progress=progress or self.progress, checker=self.checker, until=end)
                except (NoSource, SyncError) as e:
                    last = e   # that head may be a lie nobody else can serve: try a lower one
                    stats = None
                    continue
                last = None
                self._check_unbonding(new, end)    # before the new head is adopted
                trace = [trusted] + verified
                cc = cross_check(self.pool, self._served_by(stats), trace, self.options, now,
                                 self.store, max_witnesses=self.config.witnesses,
                                 answer_by=min(end, mono() + self.cross_check_s), until=end)
                self.last_cross_check = cc.to_dict()
                self._adopt(verified)
                self.head_agreed = cc.agreed
                break
            if last is not None:
                raise last
            self.last_sync_stats = stats
            self.last_sync_mono = mono()
            return stats

    def _check_unbonding(self, raw, until):
        """The trust options against the chain: a trusting period at or above the unbonding time
        proven from the staking params against verified light block `raw` is refused
        (TrustingPeriodTooLong, a local fault: the configuration is wrong, no source is). Once
        per client, before anything beyond the anchor is adopted (an anchor below height 3 has no
        state the SDK proves: the first verified head is checked before it is adopted)."""
        if not self.config.check_unbonding or self.unbonding_ns is not None or \
                raw.height <= records.SDK_FIRST_PROVABLE_STATE:
            return
        ns, _ = staking_params.fetch_unbonding(self.pool, raw, until=until)
        staking_params.check_trusting_period(self.options.trusting_period_ns, ns)
        self.unbonding_ns = ns

    def _discover_in_background(self):
        """More peers from /net_info, without delaying this sync: they serve the next ones.
        Only when the sources we know are not enough for a sync (a primary and the configured
        witnesses answering): a /net_info answer lists every peer's node info, a few KiB each,
        more than the light blocks of a whole sync (bench: sync.ours_over_cometbft.bytes).
        Peers found are kept across restarts with the sources' health (sources.json)."""
        if not self.config.discover or \
                self.pool.healthy_count() >= 1 + max(1, self.config.witnesses):
            return
        now = self.clock.monotonic()
        if self.last_discovery_mono is not None and \
                now - self.last_discovery_mono < DISCOVER_EVERY_S:
            return
        self.last_discovery_mono = now
        self.discovery = threading.Thread(target=self.pool.discover, kwargs={"deadline_s": 3.0},
                                          daemon=True)
        self.discovery.start()

    @staticmethod
    def _served_by(stats):
        return stats.head_source or (stats.sources[-1] if stats.sources else "")

    # --- records ---------------------------------------------------------------------------------

    def _cached_entry(self, uuid):
        """The cached entry of `uuid` in this chain kind's layout (an entry of another layout
        is another chain's: not served)."""
        try:
            e = self.store.load_records().get(uuid)
        except StoreError:
            return None
        if e is not None and e.get("layout", SCENARIONET) != self.config.chain_kind:
            return None
        return e

    def _from_cache(self, uuid, entry):
        return None if entry is None else ProvenRecord.from_cache(uuid, entry, self.clock.now_ns())

    def _prove(self, uuid, until=None):
        """The record proven against the trusted head, then cached. A cache that can't be
        written (disk full, permissions) costs the cache, not this verified answer."""
        rec, _ = records.fetch_record(self.pool, uuid, self.trusted(), self.clock.now_ns(),
                                      until=until, kind=self.config.chain_kind)
        rec.agreed = self.head_agreed
        if rec.record is not None and self.config.chain_kind == COSMOS_SDK:
            rec.set_sealed(self._sealed(uuid, until))
        try:
            self.store.save_record(uuid, rec.to_cache())
        except (OSError, LightClientError) as e:
            self.last_error = _err_dict(e)
        return rec

    def _sealed(self, uuid, until):
        """The device's settings from their sealed envelope, proven at the record's header and
        opened on the chip (another device's: only its own chip opens them). A refusal raises:
        the caller serves the last good settings from the cache."""
        if uuid != self.config.device_uuid:
            return {"state": sealed_settings.OTHER_DEVICE, "setting": {}}
        entry = self._cached_entry(uuid)
        return sealed_settings.read(self.pool, self.trusted(), uuid, self.opener,
                                    (entry or {}).get("sealed"), until)

    def _fresh_record(self, uuid, deadline_s):
        until = self.clock.monotonic() + deadline_s
        fresh = self.last_sync_mono is not None and \
            self.clock.monotonic() - self.last_sync_mono < REFRESH_S
        if not fresh:
            # with a cached copy to fall back on, the head poll is as patient as a boot's
            cached = self._cached_entry(uuid) is not None
            self.sync(deadline_s, poll_s=POLL_CACHED_S if cached else POLL_S, until=until)
        return self._prove(uuid, until)

    def device_record(self, uuid=None, deadline_s=5.0):
        """The device record of `uuid` (the provisioned device by default): proven now, or the
        cached proven copy marked stale with its age. Raises NoVerifiedData when neither."""
        uuid = uuid or self.config.device_uuid
        if not uuid:
            raise NoVerifiedData("no_uuid", "no device uuid given or provisioned")
        with self.lock:
            try:
                return self._fresh_record(uuid, deadline_s)
            except LightClientError as e:
                self.last_error = _err_dict(e)
                cached = self._from_cache(uuid, self._cached_entry(uuid))
                if cached is None:
                    raise NoVerifiedData("no_verified_data", "no source gave verified data and "
                                         "nothing is cached", uuid=uuid, cause=str(e)[:300])
                return cached

    # --- boot ------------------------------------------------------------------------------------

    def boot(self, deadline_s=5.0):
        t0 = self.clock.monotonic()
        until = t0 + deadline_s     # one deadline for every request of this boot
        res = BootResult()
        uuid = self.config.device_uuid
        with self.lock:
            # read once: it picks the poll's patience and is the fallback below
            cached = self._cached_entry(uuid) if uuid else None
            try:
                stats = self.sync(deadline_s, poll_s=POLL_S if cached is None
                                  else POLL_CACHED_S, until=until)
                res.sync = stats.to_dict() if stats else None
                res.cross_check = self.last_cross_check
                res.agreed = self.head_agreed
                res.recovery = self.last_recovery
                if uuid:
                    res.record = self._prove(uuid, until)
                res.ok = True
                res.source = "network"
            except Exception as e:  # noqa: BLE001 - a bug must cost freshness, not the boot
                res.error = _err_dict(e)
                self.last_error = res.error
                if isinstance(e, AttackDetected):
                    res.halted = self.store.halt()
                res.record = self._from_cache(uuid, cached)
                if res.record is not None:
                    res.ok = True
                    res.stale = True
                    res.source = "cache"
            t = self.trusted()
            if t is not None:
                res.trusted_height = t.height
                res.trusted_time_ns = t.light_block.signed_header.header.time_ns
            res.clock = self.clock.to_dict()
            self._save_health()     # after the answer's work: `status` shows what this boot saw
        res.seconds = self.clock.monotonic() - t0
        return res

    # --- transactions ----------------------------------------------------------------------------

    def broadcast_tx(self, tx):
        """Submit a signed transaction through any reachable source; returns its hash (hex,
        upper case: SHA-256 of the bytes, computed here, not taken from the node)."""
        if not isinstance(tx, (bytes, bytearray)) or len(tx) > 64 * 1024:
            raise LightClientError("tx_shape", "transaction must be bytes of at most 64 KiB")
        result, src = self.pool.race(lambda rpc: rpc.broadcast_tx_sync(bytes(tx)))
        code = int_field(result.get("code", 0), 0, 0xFFFFFFFF)
        if code is None:
            code = -1
        if code != 0:
            raise LightClientError("tx_rejected", "the node refused the transaction", code=code,
                                   log=str(result.get("log", ""))[:200], url=src.url)
        return hashlib.sha256(bytes(tx)).hexdigest().upper()

    # --- LAN -------------------------------------------------------------------------------------

    def start_lan(self, host="0.0.0.0", port=0, name=None, interfaces=None, receipts=None):
        """Serve what this device holds on the LAN and use neighbours as sources (lan.py);
        receipts: a rewards.ReceiptBook to collect service receipts in (off: None)."""
        from lightclient.lan import LanDiscovery, LanServer
        if self.lan_server is None:
            server = LanServer(self, host, port, receipts)
            try:
                self.lan_discovery = LanDiscovery(self.pool, name or self.config.device_uuid or
                                                  "device", server, self.config.chain_id,
                                                  interfaces)
            except BaseException:
                server.close()   # no serving thread and socket left behind without mDNS
                raise
            self.lan_server = server
        return self.lan_server

    def close(self):
        if self.lan_server is not None:
            self.lan_discovery.close()
            self.lan_server.close()
            self.lan_server = None

    # --- operator --------------------------------------------------------------------------------

    def clear_halt(self):
        """Operator action after inspecting the evidence: allow syncing again."""
        self.store.clear_halt()

    def status(self):
        t = self.trusted()
        now = self.clock.now_ns()
        d = {"chain_id": self.config.chain_id, "device_uuid": self.config.device_uuid,
             "trusted_height": None, "trusted_hash": None, "trusted_time_ns": None,
             "age_s": None, "expires_in_s": None,
             "trusting_period_s": self.config.trusting_period_s}
        if t is not None:
            h = t.light_block.signed_header.header
            d.update({"trusted_height": h.height, "trusted_hash": h.hash().hex().upper(),
                      "trusted_time_ns": h.time_ns, "age_s": round((now - h.time_ns) / 1e9, 3),
                      "expires_in_s": round((h.time_ns + self.options.trusting_period_ns - now)
                                            / 1e9, 3)})
        sources = self.pool.status()
        d["sources"] = sources
        d["banned"] = [{"url": s["url"], "reason": s.get("ban_reason"),
                        "banned_for_s": s.get("banned_for_s")} for s in sources if s["banned"]]
        d["halted"] = self.store.halt()
        evdir = os.path.join(self.store.dir, "evidence")
        d["evidence"] = sorted(os.path.join(evdir, f) for f in os.listdir(evdir)
                               if f.endswith(".json"))
        d["last_sync"] = self.last_sync_stats.to_dict() if self.last_sync_stats else None
        d["cross_check"] = self.last_cross_check
        d["agreed"] = self.head_agreed
        d["recovery"] = self.last_recovery
        d["last_error"] = self.last_error
        d["clock"] = self.clock.to_dict()
        d["counters"] = self.pool.counters.snapshot()
        d["store_problems"] = [str(e) for e in self.store.problems[-5:]]
        if self.lan_server is not None:
            d["lan"] = self.lan_server.info()
        return d


def _targets(reported):
    """Heads to try, best first: the highest reported, then the second highest report (one
    source claiming a height no one else has can't push the honest head out), then the lower
    median (several liars still can't, while the honest are the majority)."""
    if not reported:
        return []
    r = sorted(reported, reverse=True)
    out = []
    for h in (r[0], r[1] if len(r) > 1 else r[0], r[len(r) // 2]):
        if h not in out:
            out.append(h)
    return out

