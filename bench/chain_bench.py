"""The real chain's figures, side by side in one run:

- chain.up.seconds: from an empty directory (genesis through `mycroftd`, every node started)
  to the first block our light client verifies (block 1's commit checked against the genesis
  validators, fetched from a real node). The chain's default shape: 4 validators, 3 full nodes.
- chain.write_to_verified.blocks: on that chain, a device on the emulated board (the chip's
  32-bit build) registered by its owner signs a skill-settings write on its chip (SMP SIGN_TX);
  the Pi sends it with account number and sequence from verified state; another device's light
  client (our verifier, from block 1, through a full node) polls the head until it proves the new
  value with ICS23: blocks from the write's inclusion height H to the first verified header
  showing it (H+1 is the least possible: the header committing the state after block H).
- sync.ours_over_cometbft.seconds / .bytes: our light client against CometBFT's own
  (`cometbft light`, built by `make cometbft` at the CometBFT release tools/chain/go.mod pins),
  both from the same trusted block 1,000 blocks back to the head, across validator-set changes
  made by real staking transactions (three new validators, three of the four old ones unbonded:
  neither client can skip there directly), with the same primary and one witness. Bytes are
  counted at the HTTP layer by the relays both clients talk through (answer bodies). Three
  histories of one chain (the change 5 %, 30 % and 55 % of the way from the trusted block to
  the head: how many light blocks each client needs depends on it); the figures are the worst
  history, with min / median / max beside it; sync.chain.history1..3 give each one's bytes by
  request kind."""

import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from lightclient import native
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_commit_full
from lightclient.client import LightClient
from lightclient.config import Config
from lightclient.localchain import binary, genesis, network, staking
from lightclient.localchain.relay import Relay
from lightclient.rpc import SourceError

VALIDATORS, FULL_NODES = 4, 3
SYNC_DISTANCE = 1000
SYNC_BLOCK_TIME = "100ms"   # 1,000 blocks in minutes, not a quarter of an hour
RUNS = 2                    # alternated runs of each client per history
CHANGE_AT = (0.05, 0.3, 0.55)   # where the validator-set change lands in each history
COMETBFT = os.path.join(binary.REPO, "build", "cometbft", "cometbft")
WEEK_S = 7 * 86400


def _first_verified_block(net, timeout=120.0):
    deadline = time.monotonic() + timeout
    rpc = net.rpc(VALIDATORS, timeout=2.0)      # a full node: what a device would call
    while True:
        net._check_processes()
        try:
            lb = rpc.light_block(1).light_block
            verify_commit_full(lb.signed_header.header.chain_id, lb.signed_header, lb.validators,
                               CachingChecker(native.verify))
            return
        except SourceError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _write_to_verified(net, work):
    """A paired board's write, sealed on its chip (docs/device-writes.md), from its broadcast to
    the header another device verifies it at."""
    import json
    from lightclient.chip import cosmos_tx as ct
    from lightclient.chip.keys import envelope, epochs
    from lightclient.chip.smp import header as H
    from lightclient.chip.smp import keys as K
    from lightclient.hwtest.emulator import EmulatedBoard
    from lightclient.localchain import devicetx
    from lightclient.mcu import McuClient
    from lightclient.owner import chain as oc
    from lightclient.owner.chainview import ChainView
    from lightclient.owner.keyfile import OwnerKey
    from lightclient.owner.onchain import OwnerChain
    from lightclient.owner.pair import pair_over_link
    reader = VALIDATORS                          # a full node: what the other device calls
    cid = net.info["chain_id"]
    board = EmulatedBoard("esp32-devkitc", os.path.join(work, "lcstore.img"), heap=152 * 1024)
    board.start()
    try:
        with McuClient(board.port) as mcu:
            pub = mcu.generate_key()
            code = mcu.keys(H.OP_WRITE, K.PROVISION, {"chain_id": cid})["code"]
            acct, reg_height = devicetx.register_chip(net, mcu, "owner")
            key = OwnerKey.generate()
            secret = devicetx.key_secret(net.info, "owner")
            funder = devicetx.tx_client(net, devicetx.backend.secp256k1_public_key(secret),
                                        ct.sign_secp256k1(secret))
            [(_r, h)] = funder.send([[ct.msg_send(devicetx.key_info(net.info, "owner")[0],
                                                  oc.owner_address(key.secp256k1_public),
                                                  [("stake", 100000)])]])
            net.wait_for_height(max(h, reg_height) + 1)
            anchor = net.rpc(0).light_block(1).light_block.signed_header.header
            owner = OwnerChain(key, ChainView(net.rpc(0), cid, 1, anchor.hash()))
            owner.pair(pair_over_link(mcu, code, key, cid, os.urandom))
            net.wait_for_height(owner.view.min_height + 1)
            epoch_env = owner.sealed(epochs.epoch_record_key(owner.address, 0))
            data = json.dumps([{"skill_gid": "bench", "settings": {"volume": time.time_ns()}}])
            env = mcu.keys(H.OP_WRITE, K.SEAL_OWN, {"epoch": 0, "epoch_env": epoch_env,
                                                    "kind": "skill_settings", "version": 1,
                                                    "plaintext": data.encode()}, timeout=20)["env"]
            device = devicetx.tx_client(net, acct, mcu.sign_tx)
            t0 = time.monotonic()
            [(_r, height)] = device.send([[ct.msg_device_write(ct.bech32_address(acct),
                                                               "skill_settings", env)]])
    finally:
        board.stop()
    key = oc.sealed_key(envelope.parse(env)[envelope.K_KEY])
    deadline = time.monotonic() + 60
    while True:
        header = devicetx.verified_state(net, node=reader).header
        value = devicetx.prove(net, header, "devices", key, node=reader)
        if value == bytes(env):
            return header.height - height, time.monotonic() - t0
        if time.monotonic() > deadline:
            raise RuntimeError("the write never became verified")
        time.sleep(0.05)


def chain_up():
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        genesis.build(d, VALIDATORS, FULL_NODES, genesis.free_base_port(VALIDATORS + FULL_NODES))
        t1 = time.monotonic()
        net = network.Network(d)
        net.start()
        try:
            _first_verified_block(net)
            t2 = time.monotonic()
            blocks, seconds = _write_to_verified(net, d)
        finally:
            net.stop()
    shape = "%d validators + %d full nodes" % (VALIDATORS, FULL_NODES)
    return {
        "chain.up.seconds": {"value": round(t2 - t0, 2), "unit": "s", "shape": shape},
        "chain.up.genesis_seconds": {"value": round(t1 - t0, 2), "unit": "s", "shape": shape},
        "chain.up.first_block_seconds": {"value": round(t2 - t1, 2), "unit": "s", "shape": shape},
        "chain.write_to_verified.blocks": {
            "value": blocks, "unit": "blocks", "goal": "<= 2",
            "note": "chip-signed skill-settings write (emulated board, 32-bit build): from its "
                    "inclusion height H to the first header another device's light client "
                    "verified and proved the value against (%.2f s from broadcast, ~300 ms "
                    "blocks)" % seconds},
    }


def change_validator_set(net):
    """The three full nodes become validators (twice a genesis validator's stake each), then
    three of the four genesis validators unbond (jailed, out of the set): the old set keeps 1/4
    of its power. Returns the last tx height."""
    info, rpc = net.info, net.rpc(0)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda a: staking.create_validator(info, a[0], net.node(a[1]),
                                                         2 * 10 ** 8, rpc),
                      (("owner", "full0"), ("alice", "full1"), ("bob", "full2"))))
        heights = list(pool.map(lambda v: staking.unbond(info, v, v, 10 ** 8, rpc),
                                ("val1", "val2", "val3")))
    return max(heights)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _cometbft_run(chain_id, height, hash_hex, primary, witness, tmp, timeout=300.0):
    """`cometbft light` from (height, hash) to the head: process start until its proxy answers
    /commit (latest), which makes it verify up to the primary's head. -> (seconds, height)."""
    home = tempfile.mkdtemp(dir=tmp)
    port = _free_port()
    log = open(os.path.join(home, "light.log"), "wb")
    t0 = time.monotonic()
    p = subprocess.Popen([COMETBFT, "light", chain_id, "-p", primary.url, "-w", witness.url,
                          "--height", str(height), "--hash", hash_hex, "--home-dir", home,
                          "--laddr", "tcp://127.0.0.1:%d" % port, "--trusting-period", "168h"],
                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = t0 + timeout
        while True:
            if p.poll() is not None:
                raise RuntimeError("cometbft light exited %s: %s" % (
                    p.returncode, network._tail(log.name, 800)))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/commit" % port, timeout=60) as r:
                    doc = json.loads(r.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        seconds = time.monotonic() - t0
        if "result" not in doc:
            raise RuntimeError("cometbft light: %s" % json.dumps(doc)[:300])
        return seconds, int(doc["result"]["signed_header"]["header"]["height"])
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def _ours_run(chain_id, height, hash_bytes, primary, witness, tmp):
    """Our light client from the same (height, hash), the same primary and witness."""
    cfg = Config(chain_id, height, hash_bytes, tempfile.mkdtemp(dir=tmp), central=primary.url,
                 peers=[witness.url], trusting_period_s=WEEK_S, check_unbonding=True)
    lc = LightClient(cfg)
    t0 = time.monotonic()
    stats = lc.sync(deadline_s=300)
    seconds = time.monotonic() - t0
    lc.close()
    return seconds, lc.trusted().height, stats


def _measure(run, relays):
    for r in relays:
        r.reset_counts()
    out = run()
    methods = {}
    for r in relays:
        for m, (n, b) in r.by_method.items():
            row = methods.setdefault(m, [0, 0])
            row[0] += n
            row[1] += b
    return out, sum(r.sent_bytes for r in relays), methods


def _history(net, t, relays, tmp):
    """RUNS alternated syncs of each client from block t to the head (the same load and head
    distance for both) -> {"ours": [run], "cometbft": [run]}; a run: seconds, bytes (answer bodies
    at the relays), bytes_sync (without our /net_info discovery), height, by method."""
    lb = net.rpc(0).light_block(t).light_block
    chain_id, trusted_hash = lb.signed_header.header.chain_id, lb.signed_header.header.hash()
    primary, witness = relays
    theirs, ours = [], []
    for _ in range(RUNS):
        (s, h), b, m = _measure(lambda: _cometbft_run(chain_id, t, trusted_hash.hex(), primary,
                                                      witness, tmp), relays)
        theirs.append({"seconds": s, "bytes": b, "height": h, "methods": m})
        (s, h, stats), b, m = _measure(lambda: _ours_run(chain_id, t, trusted_hash, primary,
                                                         witness, tmp), relays)
        ours.append({"seconds": s, "bytes": b, "height": h, "methods": m,
                     "verified": stats.verified_heights if stats else []})
    for x in ours + theirs:      # peer discovery (/net_info) is ours alone, not the sync's
        x["bytes_sync"] = x["bytes"] - x["methods"].get("net_info", [0, 0])[1]
    return {"ours": ours, "cometbft": theirs}


def _ratios(histories, field):
    """Per history: the median of ours over the median of theirs."""
    return [statistics.median(x[field] for x in h["ours"]) /
            statistics.median(x[field] for x in h["cometbft"]) for h in histories]


def _spread(values):
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3), "per_history": [round(v, 3) for v in values]}


def sync_vs_cometbft():
    """Both light clients on several histories of one chain: the validator-set change lands at a
    different place of each history's SYNC_DISTANCE blocks (CHANGE_AT), which decides how many
    light blocks each client needs. The figures are the worst history (max) with min and
    median beside it."""
    if not os.access(COMETBFT, os.X_OK):
        raise RuntimeError("cometbft is not built: run `make cometbft`")
    tmp = tempfile.mkdtemp(prefix="chainbench-")
    try:
        d = os.path.join(tmp, "chain")
        genesis.build(d, VALIDATORS, FULL_NODES, genesis.free_base_port(VALIDATORS + FULL_NODES),
                      block_time=SYNC_BLOCK_TIME)
        net = network.Network(d)
        net.start()
        relays = []
        histories = []
        try:
            # the earliest history starts at block 3 and meets the change at max(CHANGE_AT)
            net.wait_for_height(3 + int(max(CHANGE_AT) * SYNC_DISTANCE), timeout=1800)
            changed_at = change_validator_set(net)
            starts = sorted(max(3, changed_at - int(f * SYNC_DISTANCE)) for f in CHANGE_AT)
            relays = [Relay(net.node("full1")["rpc"]), Relay(net.node("val0")["rpc"])]
            for t in starts:     # the earliest first: its head is reached first
                net.wait_for_height(t + SYNC_DISTANCE, timeout=1800)
                h = _history(net, t, relays, tmp)
                h["from"] = t
                histories.append(h)
        finally:
            for r in relays:
                r.close()
            net.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds, nbytes = _ratios(histories, "seconds"), _ratios(histories, "bytes")
    note = ("from block t to the head (~%d blocks later) on %d histories of one chain; the "
            "validator set changed by staking txs ending at block %d, %s of the way into each "
            "history; per history the median of %d runs each, alternated; one primary + one "
            "witness, both through relays; value: the worst history" % (
                SYNC_DISTANCE, len(histories), changed_at,
                "/".join("%.2f" % ((changed_at - h["from"]) / SYNC_DISTANCE)
                         for h in histories), RUNS))
    out = {
        "sync.ours_over_cometbft.seconds": dict(
            {"value": round(max(seconds), 3), "unit": "ratio", "goal": "<= 1.0", "note": note},
            **_spread(seconds)),
        "sync.ours_over_cometbft.bytes": dict(
            {"value": round(max(nbytes), 3), "unit": "ratio", "goal": "<= 1.0", "note": note},
            **_spread(nbytes)),
        "sync.ours_over_cometbft.bytes_without_discovery": dict(
            {"value": round(max(_ratios(histories, "bytes_sync")), 3), "unit": "ratio",
             "note": "the same without our background /net_info discovery (which runs only "
                     "when the configured sources are not enough: equal here)"},
            **_spread(_ratios(histories, "bytes_sync"))),
    }
    for i, h in enumerate(histories):
        key = "sync.chain.history%d" % (i + 1)
        row = {"unit": "B", "from": h["from"],
               "change_at": round((changed_at - h["from"]) / SYNC_DISTANCE, 2)}
        for who in ("ours", "cometbft"):
            runs = h[who]
            row[who] = {"bytes": int(statistics.median(x["bytes"] for x in runs)),
                        "seconds": round(statistics.median(x["seconds"] for x in runs), 3),
                        "by_method": runs[-1]["methods"]}
        row["ours"]["verified_heights"] = h["ours"][-1]["verified"]
        row["value"] = row["ours"]["bytes"]
        out[key] = row
    return out


def run():
    out = chain_up()
    out.update(sync_vs_cometbft())
    return out
