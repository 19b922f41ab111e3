"""The light client against the local network (real processes and sockets): `make bench`
figures of issue 9. Run alone with `python -m bench.run bench.sync_bench` (about a minute).

sync13d.*   a device last synced 13 days ago (1 block / 5 s, 100 validators, 3 % power churn a
            day): light blocks with the overlap pivot, with CometBFT's 9/16 rule on the same
            history, the RPC bytes of the sync, and the compact updates the microcontroller
            receives for the same catch-up (lightclient.mcu_bridge: steps chosen with the chip's
            own vouching set, the device record's proof included).
warm1d.compact_bytes                   the same for a device 1 day behind, 21 validators.
churn30.*   the pivot rules side by side where they differ: the same 13-day catch-up with 30 %
            of the power moving every day (in process, the scenario network's own history, no
            sockets).
failover.blackholed_central.seconds   boot to verified settings with the central API blackholed.
failover.blackholed_central.one_peer.seconds   the same on a network of the central API and ONE
            peer (the testers' network): the only witness left is the silent central, so the
            hedged cross-check ends without agreement (agreed: false) and the settings are still
            verified; `record_read_runs` are device_record() reads that re-sync (the device API's
            reads).
boot.cache_only.seconds               boot with every node down (cached settings, stale).
ws30d.seconds                         a device offline 30 days: k-of-n recovery to verified settings.
"""

import json
import os
import sys
import tempfile
import time

from lightclient import mcu_bridge, native
from lightclient.client import LightClient
from lightclient.config import from_scenarionet
from lightclient.chip.crypto import ed25519
from lightclient.rpc import RpcClient
from lightclient.sync import compare_pivots
from lightclient.scenarionet.app import device_fixture
from lightclient.scenarionet.launcher import ScenarioNet

DAY_BLOCKS = 86400 // 5
UUID = "bench-dev-1"
OWNER = b"\x05" * 32
# The device every scenario proves: a fixture of the history, registered at genesis.
DEVICES = [device_fixture(UUID, ed25519.public_key(b"\x06" * 32), ed25519.public_key(OWNER),
                          height=0)]
NODES = ["central", "peer1", "peer2", "peer3", "peer4"]


def _client(net, state_dir, height):
    cp = {"height": height, "hash": net.checkpoint(height)["hash"]}
    return LightClient(from_scenarionet(net.directory, state_dir, UUID, checkpoint=cp))


def _compact(c, chip_height, record):
    """Bytes the microcontroller receives to go from chip_height to the client's verified head
    with the device record: the updates lightclient.mcu_bridge builds (the chip's own vouching
    set decides the steps). Returns (total bytes, updates, steps, bytes without the record)."""
    chip = mcu_bridge.chip_state(c.pool, {"height": chip_height})
    steps = mcu_bridge.plan(c.pool, chip, c.trusted().height, c.options, c.clock.now_ns(),
                            native.verify)
    level = tuple(c.config.trust_level)
    with_record = mcu_bridge.encode(chip, steps, record, level)
    bare = mcu_bridge.encode(chip, steps, None, level)
    return (sum(map(len, with_record)), len(with_record), len(steps),
            sum(map(len, bare)))


def sync13d(tmp):
    out = {}
    with ScenarioNet(os.path.join(tmp, "dn13"), validators=100, peers=4, history_days=14,
                     churn_per_day=0.03, devices=DEVICES) as net:
        start = net.latest_height() - 13 * DAY_BLOCKS
        c = _client(net, os.path.join(tmp, "d13"), start)
        trusted = c.init_from_anchor()
        c.clock.raise_floor(trusted.light_block.signed_header.header.time_ns)
        res = c.boot(30)
        assert res.ok and not res.stale, res.error
        stats = c.last_sync_stats
        rpc = RpcClient(net.peer_urls[0])
        counts = compare_pivots(trusted, stats.to_height, rpc.light_block, c.options,
                                c.clock.now_ns())
        out["sync13d.light_blocks"] = {"value": stats.light_blocks, "unit": "light blocks",
                                       "goal": "<= 3", "pivot": "overlap"}
        out["sync13d.cometbft_pivot_light_blocks"] = {"value": counts["cometbft"],
                                                      "unit": "light blocks",
                                                      "overlap_rule": counts["overlap"]}
        out["sync13d.rpc_bytes"] = {"value": stats.bytes, "unit": "bytes",
                                    "light_blocks": stats.light_blocks}
        total, updates, steps, bare = _compact(c, start, res.record)
        out["sync13d.compact_bytes"] = {"value": total, "unit": "bytes", "goal": "<= 51200",
                                        "updates": updates, "steps": steps,
                                        "without_record": bare,
                                        "note": "with the device record proof"}
    return out


def _timed_boots(config, n, stale):
    """Seconds of n boots of a freshly started client (a reboot: state from disk only), each
    checked to give verified settings, fresh or (stale=True) from the cache."""
    runs = []
    for _ in range(n):
        c = LightClient(config)
        t0 = time.monotonic()
        res = c.boot(5)
        runs.append(time.monotonic() - t0)
        assert res.ok and res.stale == stale, res.error
    return runs


def failover_and_cache(tmp):
    out = {}
    with ScenarioNet(os.path.join(tmp, "dn2"), validators=21, peers=4, history_days=2,
                     devices=DEVICES) as net:
        h = net.latest_height()
        day_ago = net.latest_height() - DAY_BLOCKS
        w = _client(net, os.path.join(tmp, "d1"), day_ago)
        w.init_from_anchor()
        res = w.boot(10)
        assert res.ok and not res.stale, res.error
        stats = w.last_sync_stats
        total, updates, steps, bare = _compact(w, day_ago, res.record)
        out["warm1d.compact_bytes"] = {
            "value": total, "unit": "bytes", "goal": "<= 5120", "updates": updates,
            "steps": steps, "light_blocks": stats.light_blocks, "rpc_bytes": stats.bytes,
            "without_record": bare,
            "note": "21 validators, 1 day behind, with the device record proof"}
        c = _client(net, os.path.join(tmp, "d2"), h)
        assert c.boot(10).ok
        net.fault("central", "blackholed")
        runs = _timed_boots(c.config, 3, stale=False)
        out["failover.blackholed_central.seconds"] = {
            "value": round(max(runs), 4), "unit": "s", "goal": "<= 1.5",
            "runs": [round(x, 4) for x in runs]}
        for n in NODES:
            net.fault(n, "down")
        runs = _timed_boots(c.config, 3, stale=True)
        for n in NODES:
            net.fault(n, "blackholed")
        silent = _timed_boots(c.config, 2, stale=True)
        for n in NODES:
            net.fault(n, "ok")
        out["boot.cache_only.seconds"] = {
            "value": round(max(runs + silent), 4), "unit": "s", "goal": "<= 0.5",
            "refused_runs": [round(x, 4) for x in runs],
            "blackholed_runs": [round(x, 4) for x in silent]}
    return out


def failover_one_peer(tmp):
    with ScenarioNet(os.path.join(tmp, "dn1p"), validators=21, peers=1, history_days=1,
                     devices=DEVICES) as net:
        h = net.latest_height()
        c = _client(net, os.path.join(tmp, "d1p"), h)
        assert c.boot(10).ok
        net.fault("central", "blackholed")
        runs = _timed_boots(c.config, 3, stale=False)
        c = LightClient(c.config)
        net.wait_height(c.trusted().height + 1)     # a new head: it gets cross-checked
        res = c.boot(5)
        assert res.ok and not res.stale and res.agreed is False, res.error
        reads = []
        for _ in range(3):
            c.last_sync_mono = None       # older than REFRESH_S: the read re-syncs
            t0 = time.monotonic()
            rec = c.device_record()
            reads.append(time.monotonic() - t0)
            assert not rec.stale
        net.fault("central", "ok")
        return {"failover.blackholed_central.one_peer.seconds": {
            "value": round(max(runs), 4), "unit": "s", "goal": "<= 1.5", "peers": 1,
            "runs": [round(x, 4) for x in runs], "agreed": res.agreed,
            "record_read_runs": [round(x, 4) for x in reads]}}


def ws30d(tmp):
    with ScenarioNet(os.path.join(tmp, "dn30"), validators=21, peers=4, history_days=31,
                     devices=DEVICES) as net:
        c = _client(net, os.path.join(tmp, "d30"), net.latest_height() - 30 * DAY_BLOCKS)
        c.init_from_anchor()
        c2 = LightClient(c.config)
        t0 = time.monotonic()
        res = c2.boot(20)
        took = time.monotonic() - t0
        assert res.ok and not res.stale and res.recovery, res.error
        return {"ws30d.seconds": {"value": round(took, 4), "unit": "s",
                                  "agreed_by": len(res.recovery["agreed_by"]),
                                  "k": c.config.ws_k}}


def churn30(tmp):
    """Both pivot rules on a history where the trusted validators are mostly gone after 13 days
    (with 3 %/day a single skip suffices for both, so the rules only differ here)."""
    from lightclient.chip.core.verifier import Options
    from lightclient.rpc import RawLightBlock
    from lightclient.scenarionet.history import History, Spec
    spec = Spec(validators=100, churn_per_day=0.3, genesis_time_ns=1_700_000_000 * 10**9)
    hist = History(spec, cache_dir=os.path.join(tmp, "churn30"))
    head = 14 * DAY_BLOCKS
    hist.extend_to(head)
    start = head - 13 * DAY_BLOCKS

    def fetch(h):
        return RawLightBlock(hist.light_block(h), None, None)

    now = spec.time_at(head) + 10**9
    counts = compare_pivots(fetch(start), head, fetch, Options(14 * 86400 * 10**9), now)
    return {"churn30.light_blocks": {"value": counts["overlap"], "unit": "light blocks",
                                     "pivot": "overlap"},
            "churn30.cometbft_pivot_light_blocks": {"value": counts["cometbft"],
                                                    "unit": "light blocks"}}


def run():
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for part in (failover_and_cache, failover_one_peer, sync13d, ws30d, churn30):
            t0 = time.time()
            out.update(part(tmp))
            print("# %s %.1f s" % (part.__name__, time.time() - t0), file=sys.stderr)
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
