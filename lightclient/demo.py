"""`make demo`: the main job, told as a story on the local network.

A Mycroft device (the Pi's light client plus its ESP32 co-processor, here the firmware inside
real MicroPython behind a pseudo-terminal) boots, gets verified settings, and keeps doing so
while the central API goes down, a peer lies, a light-client attack is mounted and finally
every node is gone. Every claim printed is checked as it is made: if the system misbehaves the
demo says so and exits 1.

    python -m lightclient.demo [--dir DIR] [--keep]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from lightclient import mcu_bridge
from lightclient.client import LightClient
from lightclient.config import from_devnet
from lightclient.chip.core import trusted_at_rest
from lightclient.mcu import McuClient
from lightclient.devnet.launcher import Devnet
from lightclient.hwtest.emulator import EmulatedBoard

UUID = "mark2-kitchen"
OWNER_SEED = bytes(range(32))        # the owner's key (their phone, in production)


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
    say("%ssettings of %s, proven at height %d (header %s...), %s"
        % (indent, rec.uuid, rec.height, rec.header_hash.hex()[:16], mark))
    s = rec.record.get("setting", {})
    for k in ("lang", "time_format", "date_format", "system_unit"):
        if k in s:
            say("%s  %-12s %s" % (indent, k, json.dumps(s[k])))
    loc = rec.record.get("location", {}).get("city", {})
    if loc:
        say("%s  %-12s %s" % (indent, "city", loc.get("name")))


def boot(config, label):
    c = LightClient(config)
    res = c.boot(8)
    sync = res.sync or {}
    say("   boot (%s): %.2f s, %s" % (label, res.seconds,
                                      "verified" if res.ok and not res.stale else
                                      "cache" if res.ok else "NO DATA"))
    if sync:
        say("   synced %d -> %d: %d light block(s), %d bytes, served by %s"
            % (sync["from_height"], sync["to_height"], sync["light_blocks"], sync["bytes"],
               ", ".join(sync["sources"]) or "-"))
    if res.error:
        say("   reason: %s: %s" % (res.error.get("check"), res.error.get("message")))
    return c, res


def name_of(net, url):
    for n, d in net.nodes.items():
        if d["rpc"] == url:
            return n
    return url


def run(directory):
    t_start = time.monotonic()
    chapter(1, "Start the local network (CometBFT RPC face, real processes and signatures)")
    t0 = time.monotonic()
    net = Devnet(os.path.join(directory, "devnet"), validators=21, peers=4, history_days=2)
    net.start()
    board = None
    try:
        say("   %s: %d validators, 2 days of history, a block every %g s (%.1f s to start)"
            % (net.chain_id, net.spec.validators, net.spec.block_interval_s,
               time.monotonic() - t0))
        say("   central API  %s" % net.central_url)
        for i, u in enumerate(net.peer_urls):
            say("   peer%d        %s" % (i + 1, u))
        say("   latest height %d" % net.latest_height())

        chapter(2, "Provision the device: key made on the chip, record on chain, checkpoint")
        board = EmulatedBoard("esp32-devkitc", os.path.join(directory, "lcstore.img"))
        board.start()
        say("   emulated ESP32 (MicroPython 1.27) on %s" % board.port)
        with McuClient(board.port) as mcu:
            pub = mcu.generate_key()
            say("   the chip generated its Ed25519 key; public key %s... (the private key "
                "never leaves it)" % pub.hex()[:24])
            h = net.register_device(UUID, pub, OWNER_SEED,
                                    device={"uuid": UUID, "name": "Kitchen",
                                            "description": "Mark II in the kitchen"})
            net.wait_height(h + 1)
            say("   the owner registered %s on chain at height %d (owner-signed transaction)"
                % (UUID, h))
            cp_height = net.latest_height() - net.spec.blocks_per_day
            cp = net.checkpoint(cp_height)
            config = from_devnet(net.directory, os.path.join(directory, "pi"), UUID,
                                 checkpoint={"height": cp_height, "hash": cp["hash"]})
            anchor_client = LightClient(config)
            anchor_client.init_from_anchor()
            chip = mcu_bridge.chip_state(anchor_client.pool, {"height": cp_height})
            mcu.set_checkpoint(trusted_at_rest.encode_trusted(chip), uuid=UUID,
                               trusting_period_ns=anchor_client.options.trusting_period_ns,
                               header_hash=chip.header.hash())
            say("   trust anchor: height %d, hash %s... (a day old: the device was boxed "
                "since)" % (cp_height, cp["hash"][:16]))

            chapter(3, "Boot: sync from the checkpoint, verify, prove the settings")
            c, res = boot(config, "all nodes up")
            expect(res.ok and not res.stale, "the first boot did not verify")
            show_settings(res.record)
            out = mcu_bridge.push(mcu, c)
            say("   the chip verified it too: %d compact update(s), %d bytes, now at height %s"
                % (out["updates"], out["bytes"], out["chip_height"]))

            chapter(4, "The central API goes down: boot again")
            net.fault("central", "down")
            net.wait_height(net.latest_height() + 1)
            c, res = boot(config, "central API down")
            expect(res.ok and not res.stale, "no verified settings with the central API down")
            expect(net.central_url not in (res.sync or {}).get("sources", []),
                   "a down node served data")
            show_settings(res.record)

            chapter(5, "A peer turns malicious (forged signatures)")
            liar_url = net.peer_urls[0]
            liar = name_of(net, liar_url)
            net.fault(liar, "forged_signatures")
            say("   %s now serves commits with forged signatures" % liar)
            banned = []
            for _ in range(10):  # until the client meets the liar: it asks the fastest first
                net.wait_height(net.latest_height() + 1)
                c, res = boot(config, "central down, %s lying" % liar)
                expect(res.ok and not res.stale, "no verified settings with a lying peer")
                banned = c.status()["banned"]
                if any(b["url"] == liar_url for b in banned):
                    break
            for b in banned:
                r = b.get("reason") or {}
                say("   BANNED %s (%s): %s: %s" % (name_of(net, b["url"]), b["url"],
                                                  r.get("check"), r.get("message")))
            expect(any(b["url"] == liar_url for b in banned), "the lying peer was not banned")
            show_settings(res.record)

            chapter(6, "A light-client attack: old validators sign a fork with forged settings")
            net.fault(liar, "ok")
            trusted = c.trusted().height
            net.wait_height(trusted + 2)  # the client will skip: the attack needs a gap
            net.fault("central", "lunatic", fork_height=trusted + 1, signer_height=cp_height)
            say("   the central API now serves a fork from height %d, signed by the validators "
                "of height %d (a day ago, some since unbonded); its app state says "
                "lang = xx-xx, with valid proofs" % (trusted + 1, cp_height))
            c2, res = boot(config, "central API compromised")
            expect(res.halted is not None, "the attack was not detected")
            say("   !!! LIGHT-CLIENT ATTACK DETECTED: the client halted and refuses to move on")
            with open(res.halted["evidence_path"]) as f:
                ev = json.load(f)
            v = ev["against_primary"]["value"]
            say("   evidence %s" % res.halted["evidence_path"])
            say("     common height %s, conflicting header at %s, %d byzantine validators, "
                "sent to %s" % (v["common_height"],
                                v["conflicting_block"]["signed_header"]["header"]["height"],
                                len(v["byzantine_validators"]), name_of(net, ev["witness"])))
            expect(net.evidence(name_of(net, ev["witness"])), "the honest node got no evidence")
            expect(res.record is None or res.record.record["setting"].get("lang") != "xx-xx",
                   "forged settings were served")
            say("   settings still served are the last verified ones:")
            show_settings(res.record)
            net.fault("central", "ok")
            c2.clear_halt()
            say("   (the operator inspected the evidence, the central API was repaired, the "
                "halt is cleared)")
            c, res = boot(config, "after the repair")
            expect(res.ok and not res.stale, "no recovery after clearing the halt")
            out = mcu_bridge.push(mcu, c)
            say("   the chip follows: %d update(s), %d bytes, now at height %s"
                % (out["updates"], out["bytes"], out["chip_height"]))

            chapter(7, "Everything goes down: the WAN is out, every node unreachable")
            for n in net.nodes:
                net.fault(n, "down")
            c, res = boot(config, "no node reachable")
            expect(res.ok and res.stale, "the cache was not served")
            show_settings(res.record)
            s = mcu.settings(c.clock.now_ns())
            say("   the chip still holds the settings it verified itself, proven at height %s, "
                "%.0f s old" % (s["height"], s.get("age_ns", 0) / 1e9))

        chapter(8, "Shut everything down")
    finally:
        if board is not None:
            board.stop()
        net.stop()
    say("   network and board stopped; the demo took %.0f s" % (time.monotonic() - t_start))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m lightclient.demo", description=__doc__.splitlines()[0])
    p.add_argument("--dir", help="work directory (default: a temporary one, removed after)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args(argv)
    directory = args.dir or tempfile.mkdtemp(prefix="mycroft-lc-demo-")
    try:
        return run(directory)
    except DemoFailed as e:
        say("\nDEMO FAILED: %s" % e)
        return 1
    finally:
        if not args.dir and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
