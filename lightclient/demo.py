"""`make demo`: the main job, told as a story on the real local chain.

A Mycroft device (the Pi's light client plus its ESP32 co-processor, here the firmware inside
the chip's 32-bit MicroPython behind a pseudo-terminal) follows a Cosmos SDK chain on CometBFT
(`mycroft-lc chain up`: 4 validators, 3 full nodes, each its own `mycroftd` process). The chip
makes its account key and consents to its registration; the owner's transaction puts its record
in x/devices, the owner pairs it with the code from its label and seals its settings (on chain
only as an envelope, opened on the chip); the device boots, proves its record and its sealed
settings with ICS23 and keeps doing so while the central
node is killed, a peer forges signatures, two validators sign a fork (the evidence the client
builds is committed by a real node and the signers are jailed), and at last every node is gone.
Every fault is done through `chain fault`, to the real processes and relays. Every claim
printed is checked as it is made: if the system misbehaves the demo says so and exits 1.

    python -m lightclient.demo [--dir DIR] [--keep]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from lightclient import checkpoint, commands, mcu_bridge, recovery
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.client import LightClient
from lightclient.config import from_localchain
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import (devicetx, faults, genesis, lunatic, network,
                                    validator_state)
from lightclient.localchain.lying_relay import LyingRelay
from lightclient.mcu import McuClient
from lightclient.owner import chain as owner_chain
from lightclient.owner.chainview import ChainView
from lightclient.owner.keyfile import OwnerKey
from lightclient.owner.onchain import OwnerChain
from lightclient.owner.pair import pair_over_link
from lightclient.sealed_settings import ChipOpener

OWNER_SEED = bytes(range(32))        # the owner's checkpoint key (their phone, in production)
SETTINGS = {"lang": "en-us", "time_format": "half", "date_format": "MDY",
            "system_unit": "imperial", "city": "Kansas City"}
VALIDATORS, FULL_NODES = 4, 3
CENTRAL = "full0"
# Seven nodes share this machine's two cores: the witnesses get 5 s (not 0.5 s) to answer for a
# new head in the attack chapter, so a busy honest node still confirms or refutes it.
WITNESS_BUDGET_S = 5.0
CHAIN_UP_TIMEOUT_S = 180.0
EVIDENCE_BLOCKS = 20          # blocks the evidence may take to be committed


class DemoFailed(Exception):
    pass


def say(text=""):
    print(text, flush=True)


def chapter(n, title):
    say()
    say("=" * 78)
    say("%d. %s" % (n, title))
    say("=" * 78)


def expect(cond, what):
    if not cond:
        raise DemoFailed(what)


def show_settings(rec, indent="   "):
    if rec is None:
        say(indent + "(no settings)")
        return
    mark = ("STALE, from the cache, proven %.0f s ago" % rec.age_s) if rec.stale else "fresh"
    say("%sx/devices record of %s, version %s, proven at height %d (header %s...), %s"
        % (indent, rec.uuid, rec.record.get("version"), rec.height, rec.header_hash.hex()[:16],
           mark))
    if rec.record.get("sealed"):
        say(indent + commands.sealed_text(rec.record["sealed"]))
    for k, v in sorted(rec.record.get("setting", {}).items()):
        say("%s  %-12s %s" % (indent, k, json.dumps(v)))


class Story:
    """What the chapters share: the chain (its `chain up` process), the board and its link, the
    device's config and client."""

    def __init__(self, directory, evidence_dir):
        self.directory = directory
        self.chain_dir = os.path.join(directory, "chain")
        self.evidence_dir = evidence_dir   # where the attack's evidence is kept for the reader
        self.up = None          # the `mycroft-lc chain up` process
        self.net = None         # network.Network of chain_dir (reads; the nodes are up's)
        self.urls = {}          # node name -> the relay URL the device uses
        self.direct = {}        # the nodes' own RPC URL -> name (the client finds them through
                                # /net_info, as a device finds peers)
        self.board = None
        self.mcu = None
        self.config = None
        self.client = None
        self.address = None

    def name_of(self, url):
        for n, u in self.urls.items():
            if u == url:
                return n
        if url in self.direct:
            return self.direct[url] + " (found via /net_info)"
        return url

    def index_of(self, url):
        """The node index behind a source URL (its relay's or its own)."""
        names = [n["name"] for n in self.net.nodes]
        for n, u in self.urls.items():
            if u == url and n in names:
                return names.index(n)
        return names.index(self.direct[url])

    def fault(self, node, mode, **params):
        """`mycroft-lc chain fault NODE MODE k=v...`: in effect when it returns."""
        return faults.request(self.chain_dir, node, mode, params)

    def boot(self, label, config=None):
        """One boot of the device's light client, told; the client stays for the next step."""
        self.client = c = LightClient(config or self.config)
        c.cross_check_s = WITNESS_BUDGET_S
        c.opener = ChipOpener(self.mcu, c)     # the chip opens the owner-sealed settings
        res = c.boot(30)
        sync = res.sync or {}
        say("   boot (%s): %.2f s, %s" % (label, res.seconds,
                                          "verified" if res.ok and not res.stale else
                                          "cache" if res.ok else "NO DATA"))
        if sync:
            say("   synced %d -> %d: %d light block(s), %d bytes, served by %s"
                % (sync["from_height"], sync["to_height"], sync["light_blocks"], sync["bytes"],
                   ", ".join(self.name_of(u) for u in sync["sources"]) or "-"))
        if res.error:
            say("   reason: %s: %s" % (res.error.get("check"), res.error.get("message")))
        return res

    def expect_verified(self, res, what):
        expect(res.ok and not res.stale, what)
        expect(res.record is not None and res.record.record is not None,
               "%s: no record proven" % what)
        expect(res.record.record["setting"] == SETTINGS, "%s: the settings proven are not the "
               "owner's" % what)

    def push_to_chip(self, verb):
        out = mcu_bridge.push(self.mcu, self.client)
        expect(out["chip_height"] == self.client.trusted().height,
               "the chip did not reach the verified head")
        say("   %s: %d compact update(s), %d bytes, now at height %s"
            % (verb, out["updates"], out["bytes"], out["chip_height"]))

    def index(self, name):
        return [n["name"] for n in self.net.nodes].index(name)

    def head(self):
        return self.net.rpc(1).status()["latest_height"]

    def wait_blocks(self, n=1):
        self.net.wait_for_height(self.head() + n, node=1)


# --- the chapters ---------------------------------------------------------------------------------

def start_chain(s):
    chapter(1, "Start the chain: `mycroft-lc chain up` (Cosmos SDK v0.53 on CometBFT 0.38)")
    t0 = time.monotonic()
    os.makedirs(s.chain_dir, exist_ok=True)
    log = open(os.path.join(s.directory, "chain-up.log"), "wb")
    s.up = subprocess.Popen(
        [sys.executable, "-m", "lightclient.cli", "chain", "up", "--dir", s.chain_dir,
         "--validators", str(VALIDATORS), "--full-nodes", str(FULL_NODES), "--base-port",
         str(genesis.free_base_port(VALIDATORS + FULL_NODES))], stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    done = None
    while done is None:
        line = s.up.stdout.readline()
        if not line:
            raise DemoFailed("`chain up` exited (code %s): see %s" % (
                s.up.wait(), os.path.join(s.directory, "chain-up.log")))
        doc = json.loads(line)
        if "node" in doc:
            s.urls[doc["node"]] = doc["relay"]
        elif "chain_id" in doc:
            done = doc
        if time.monotonic() - t0 > CHAIN_UP_TIMEOUT_S:
            raise DemoFailed("`chain up` did not start in time")
    s.net = network.Network(s.chain_dir)
    s.direct = {n["rpc"]: n["name"] for n in s.net.nodes}
    say("   %s: %d validators and %d full nodes, each a `mycroftd` process, a block every "
        "~0.3 s (%.1f s to start, pid %d)" % (done["chain_id"], VALIDATORS, FULL_NODES,
                                              time.monotonic() - t0, done["pid"]))
    say("   the device reaches each node through the relay `chain up` runs in front of its "
        "CometBFT RPC (where `chain fault` puts lies and delays):")
    for n in s.net.nodes:
        say("   %-6s %s%s" % (n["name"], s.urls[n["name"]],
                              "   <- the central API" if n["name"] == CENTRAL else ""))


def provision_device(s):
    chapter(2, "Provision: keys made on the chip, the owner's registration, pairing and "
            "sealed settings on chain")
    # at the board's own heap (96 KiB): the keys, the consent, the pairing, the opening of the
    # sealed settings and every update of a 4-validator chain fit there
    s.board = EmulatedBoard("esp32-devkitc", os.path.join(s.directory, "lcstore.img"))
    s.board.start()
    say("   emulated ESP32 (MicroPython 1.27, 32-bit, %d KiB heap, native crypto) on %s"
        % (s.board.heap // 1024, s.board.port))
    s.mcu = McuClient(s.board.port, timeout=20)
    s.mcu.generate_key()
    cid = s.net.info["chain_id"]
    code = s.mcu.keys(H.OP_WRITE, K.PROVISION, {"chain_id": cid})["code"]
    acct, height = devicetx.register_chip(s.net, s.mcu, "owner")
    s.address = ct.bech32_address(acct)
    say("   the chip made its secp256k1 account key (it never leaves the chip) and signed its "
        "consent; the owner's SIGN_MODE_DIRECT transaction registered %s at height %d"
        % (s.address, height))
    pair_and_seal(s, cid, code)
    st = s.mcu.status()
    anchor = s.net.rpc(0).light_block(st["height"]).light_block.signed_header.header
    expect(anchor.app_hash == bytes(st["app_hash"]) and anchor.time_ns == st["time_ns"],
           "the chip's checkpoint is not the chain's header")
    s.config = from_localchain(s.chain_dir, os.path.join(s.directory, "pi"), s.address,
                               {"height": st["height"], "hash": anchor.hash().hex()},
                               central=CENTRAL)
    s.config.owner_pubkey = ed25519.public_key(OWNER_SEED)
    say("   trust anchor (the chip's and the Pi's): height %d, hash %s...; trusting period "
        "%.1f d, held against the unbonding time proven from staking's params"
        % (st["height"], anchor.hash().hex()[:16], s.config.trusting_period_s / 86400))
    s.net.wait_for_height(height + 1, node=1)


def pair_and_seal(s, cid, code):
    """The owner's key pairs the chip with the code from its label (SPAKE2+) and seals the
    device's settings to its key epoch: the chain holds them only as an envelope."""
    key = OwnerKey.generate()
    funder = devicetx.key_secret(s.net.info, "owner")
    pays = devicetx.tx_client(s.net, devicetx.backend.secp256k1_public_key(funder),
                              ct.sign_secp256k1(funder))
    [(_r, h)] = pays.send([[ct.msg_send(devicetx.key_info(s.net.info, "owner")[0],
                                        owner_chain.owner_address(key.secp256k1_public),
                                        [("stake", 100000)])]])
    s.net.wait_for_height(h + 1)
    anchor = s.net.rpc(0).light_block(1).light_block.signed_header.header
    owner = OwnerChain(key, ChainView(s.net.rpc(0), cid, 1, anchor.hash()))
    owner.pair(pair_over_link(s.mcu, code, key, cid, os.urandom))
    name = owner_chain.device_settings_name(s.address)
    _h, version = owner.set(name, txs.canonical_json(SETTINGS))
    env = owner.sealed(owner_chain.settings_record_key(owner.address, name))
    expect(json.dumps(SETTINGS["city"]).encode()[1:-1] not in env,
           "the settings' plaintext is on chain")
    say("   the owner paired the chip with the code from its label (SPAKE2+; both signed the "
        "statement x/devices checked) and sealed its settings: version %d, on chain only as a "
        "%d-byte envelope the chip's X25519 key opens" % (version, len(env)))
    s.net.wait_for_height(owner.view.min_height + 1, node=1)


def first_boot(s):
    chapter(3, "Boot: sync from the anchor, verify, prove the x/devices record and the sealed "
            "settings (ICS23); the chip opens them")
    res = s.boot("all nodes up")
    s.expect_verified(res, "the first boot did not verify")
    show_settings(res.record)
    s.push_to_chip("the chip verified it too")


def central_stopped(s):
    chapter(4, "The central node's process is killed: `chain fault %s stopped`" % CENTRAL)
    s.fault(CENTRAL, "stopped")
    s.wait_blocks(2)
    res = s.boot("central node stopped")
    s.expect_verified(res, "no verified settings with the central node stopped")
    expect(s.urls[CENTRAL] not in (res.sync or {}).get("sources", []),
           "a stopped node served data")
    show_settings(res.record)


def lying_peer(s):
    chapter(5, "A peer turns malicious: `chain fault full1 forged_signatures`")
    liar = "full1"
    s.fault(liar, "forged_signatures")
    say("   %s's relay now serves commits with forged signatures" % liar)
    # The client asks the fastest source first and hedges to the next after 0.25 s: with the
    # honest peers far away (1 s to answer) it is bound to meet the nearby liar.
    honest = [n for n in s.urls if n not in (liar, CENTRAL)]
    for n in honest:
        s.fault(n, "slow", latency_s=1.0, delay_s=0, bytes_per_step=1 << 20)
    say("   %s are far away now (1 s to answer): the liar answers first" % ", ".join(honest))
    banned = []
    for _ in range(6):  # until the client meets the liar
        s.wait_blocks(1)
        res = s.boot("central stopped, %s lying" % liar)
        s.expect_verified(res, "no verified settings with a lying peer")
        banned = s.client.status()["banned"]
        if any(b["url"] == s.urls[liar] for b in banned):
            break
    for b in banned:
        r = b.get("reason") or {}
        say("   BANNED %s (%s): %s: %s" % (s.name_of(b["url"]), b["url"], r.get("check"),
                                          r.get("message")))
    expect(any(b["url"] == s.urls[liar] for b in banned), "the lying peer was not banned")
    show_settings(res.record)
    for n in [liar, CENTRAL] + honest:
        s.fault(n, "ok")
    say("   every node back to normal (%s started again on its data)" % CENTRAL)


def _kept_evidence(s, path):
    """The evidence file, copied where it outlives the demo's work directory."""
    if s.evidence_dir == s.directory:
        return path
    kept = os.path.join(s.evidence_dir, os.path.basename(path))
    shutil.copyfile(path, kept)
    return kept


def _committed_evidence(s, witness, from_height):
    """The height of the first block from `from_height` on whose evidence is ours."""
    rpc = s.net.rpc(witness)
    for h in range(from_height, from_height + EVIDENCE_BLOCKS):
        s.net.wait_for_height(h, node=witness)
        if rpc.call("block", height=h)["block"]["evidence"]["evidence"]:
            return h
    raise DemoFailed("the evidence was not committed in %d blocks" % EVIDENCE_BLOCKS)


def _tell_jailed(s, witness, signers, height):
    """The signers' staking records after block `height`, proven against a verified header."""
    header = devicetx.verified_state(s.net, height + 1, node=witness).header
    rpc = s.net.rpc(witness)
    names = {lunatic.validator_key(n["home"]).address: n["name"]
             for n in s.net.nodes if n["validator"]}
    for v in signers:
        st = validator_state.validator_by_consensus_address(rpc, v.address, height,
                                                            header.app_hash)
        expect(st["jailed"] and st["tombstoned"], "a signer of the fork was not jailed")
        say("     %s (%s...): jailed, tombstoned, %d tokens left (from verified state at "
            "height %d)" % (names.get(v.address, "?"), v.address.hex()[:12].upper(),
                            st["tokens"], height))


def light_client_attack(s):
    chapter(6, "A light-client attack: two of the four validators sign a fork")
    trusted = s.client.trusted()
    tlb = trusted.light_block
    keys = {}
    for n in s.net.nodes:
        if n["validator"]:
            k = lunatic.validator_key(n["home"])
            keys[k.address] = k
    signers = lunatic.byzantine_subset(tlb.validators, keys)
    fork = s.head() + 1
    relay = LyingRelay(s.net.node(CENTRAL)["rpc"], lunatic.LunaticForger(signers, keys),
                       fork).start()
    try:
        s.net.wait_for_height(fork + 1, node=s.index(CENTRAL))
        share = 100.0 * sum(v.voting_power for v in signers) / tlb.validators.total_power
        say("   %d validators (%.0f %% of the power the device trusts at height %d) sign, with "
            "their own keys, a block at height %d with a forged app_hash; the central API "
            "now serves it (a compromised server in front of an honest node)"
            % (len(signers), share, trusted.height, fork))
        attacked = from_localchain(s.chain_dir, s.config.state_dir, s.address,
                                   {"height": s.config.checkpoint_height,
                                    "hash": s.config.checkpoint_hash.hex()}, central=CENTRAL)
        attacked.central = relay.url
        # the device's primary: asked first, and given 10 s before another source is asked
        attacked.hedge_delay_s = 10.0
        s.urls["central (compromised)"] = relay.url
        res = s.boot("central API compromised", attacked)
    finally:
        relay.close()
    expect(res.halted is not None, "the attack was not detected")
    expect(relay.lies > 0, "the lying relay served no lie")
    say("   !!! LIGHT-CLIENT ATTACK DETECTED: the client halted and refuses to move on")
    path = _kept_evidence(s, res.halted["evidence_path"])
    with open(path) as f:
        ev = json.load(f)
    v = ev["against_primary"]["value"]
    byz = sorted(x["address"] for x in v["ByzantineValidators"])
    expect(byz == sorted(x.address.hex().upper() for x in signers),
           "the evidence names other validators than the signers")
    witness_url = ev["witness"]
    witness = s.index_of(witness_url)
    sub = ev["submitted"][witness_url]
    expect(sub.get("ok"), "the witness node refused the evidence: %s" % sub)
    say("   evidence %s" % path)
    say("     common height %s, conflicting header at %s; %d of the %d validators of the common "
        "height signed the fork; sent to %s, which accepted it (hash %s...)"
        % (v["CommonHeight"], v["ConflictingBlock"]["signed_header"]["header"]["height"],
           len(byz), len(tlb.validators.validators), s.net.nodes[witness]["name"],
           sub["hash"][:16]))
    committed = _committed_evidence(s, witness, int(ev["conflict_height"]))
    say("   the evidence was committed in block %d by the chain's validators; the SDK's "
        "evidence module slashed the signers:" % committed)
    s.net.wait_for_height(committed + 2, node=witness)
    _tell_jailed(s, witness, signers, committed)
    expect(res.record is None or res.record.record["setting"] == SETTINGS,
           "forged settings were served")
    say("   settings still served are the last verified ones:")
    show_settings(res.record)
    res = s.boot("still halted")
    expect(res.halted is not None and res.stale, "a halted client synced")


def recover_with_owner_checkpoint(s):
    chapter(7, "The way back: the owner signs a checkpoint, the device re-anchors")
    say("   the operator inspected the evidence and repaired the central API")
    rpc = s.net.rpc(1)
    h = rpc.status()["latest_height"]
    header = rpc.light_block(h).light_block.signed_header.header
    doc = checkpoint.sign_checkpoint(txs.seed_signer(OWNER_SEED), header.chain_id, h,
                                     header.hash(), int(time.time()))
    say("   the owner signs a checkpoint: height %d, hash %s... (`mycroft-lc keys "
        "sign-checkpoint`)" % (h, header.hash().hex()[:16]))
    out = recovery.recover(LightClient(s.config), owner_checkpoint=doc)
    expect(out["height"] == h and out["by"] == "owner" and out["cleared_halt"],
           "the owner's checkpoint was not taken")
    say("   `mycroft-lc recover --checkpoint`: new anchor at height %d, halt cleared (the "
        "evidence stays)" % out["height"])
    s.wait_blocks(1)
    res = s.boot("after the recovery")
    s.expect_verified(res, "no verified boot after the recovery")
    show_settings(res.record)
    s.push_to_chip("the chip follows, across the validator set the jailing changed")


def everything_down(s):
    chapter(8, "Everything goes down: `chain fault NODE stopped` for every node")
    for n in s.net.nodes:
        s.fault(n["name"], "stopped")
    res = s.boot("no node reachable")
    expect(res.ok and res.stale, "the cache was not served")
    expect(res.record.record["setting"] == SETTINGS, "the cache served other settings")
    show_settings(res.record)
    chip = s.mcu.settings(s.client.clock.now_ns())
    expect(chip.get("height") == s.client.trusted().height and chip.get("record"),
           "the chip lost its verified copy")
    say("   the chip still holds its x/devices record, verified by itself at height %s, %.0f s "
        "old" % (chip["height"], chip.get("age_ns", 0) / 1e9))


STORY = (start_chain, provision_device, first_boot, central_stopped, lying_peer,
         light_client_attack, recover_with_owner_checkpoint, everything_down)


def _stop(s):
    if s.mcu is not None:
        s.mcu.close()
    if s.board is not None:
        s.board.stop()
    if s.up is not None and s.up.poll() is None:
        try:
            network.down(s.chain_dir)           # `mycroft-lc chain down`
        except Exception:  # noqa: BLE001 - never leave the nodes running
            s.up.terminate()
        s.up.wait(30)


def run(directory, evidence_dir=None):
    t_start = time.monotonic()
    s = Story(directory, evidence_dir or directory)
    try:
        for step in STORY:
            step(s)
        chapter(len(STORY) + 1, "Shut everything down: `mycroft-lc chain down`")
    finally:
        _stop(s)
    say("   chain and board stopped; the demo took %.0f s" % (time.monotonic() - t_start))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m lightclient.demo",
                                description=__doc__.splitlines()[0])
    p.add_argument("--dir", help="work directory (default: a temporary one, removed after; the "
                   "attack's evidence is kept)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args(argv)
    temporary = not args.dir and not args.keep
    directory = args.dir or tempfile.mkdtemp(prefix="mycroft-lc-demo-")
    evidence_dir = tempfile.mkdtemp(prefix="mycroft-lc-evidence-") if temporary else None
    try:
        return run(directory, evidence_dir)
    except DemoFailed as e:
        say("\nDEMO FAILED: %s" % e)
        return 1
    finally:
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)
            if evidence_dir and not os.listdir(evidence_dir):
                os.rmdir(evidence_dir)


if __name__ == "__main__":
    sys.exit(main())
