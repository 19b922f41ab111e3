"""`mycroft-lc provision | boot | status | settings | recover`: the device's light client.

register(subparsers) adds the subcommands; each takes --config (default $MYCROFT_LC_CONFIG or
~/.config/mycroft-lc/config.json) and --json (one JSON document on stdout). Exit status (cli.py,
the README's table): 0 verified data shown (fresh, or stale from the cache: the output says
which), 3 no verified data, 5 halted by a light-client attack, 6 the chain has no record for the
device; failures raised here become one line and their status in cli.main.
"""

import json
import os
import sys

from lightclient import native  # noqa: F401 (installs the Pi's crypto backend)
from lightclient.chip.crypto import backend as crypto
from lightclient.config import Config, ConfigError, from_scenarionet
from lightclient.exitcodes import EXIT_HALTED, EXIT_NO_RECORD, EXIT_OK, EXIT_UNAVAILABLE

DEFAULT_CONFIG = os.path.join(os.path.expanduser("~"), ".config", "mycroft-lc", "config.json")


def _config_path(args):
    return args.config or os.environ.get("MYCROFT_LC_CONFIG") or DEFAULT_CONFIG


def _scenarionet_config(args):
    """The config of a device on the local network in args.scenarionet; the state directory is
    stored absolute, so the config works from any working directory."""
    state_dir = os.path.abspath(args.state_dir or os.path.join(args.scenarionet, "device"))
    return from_scenarionet(args.scenarionet, state_dir, getattr(args, "uuid", None))


def _load(args):
    path = _config_path(args)
    if getattr(args, "scenarionet", None):
        cfg = _scenarionet_config(args)
        cfg.save(path)
        return cfg
    return Config.load(path)


def _client(args, progress=None):
    from lightclient.client import LightClient
    return LightClient(_load(args), progress=progress)


def _emit(args, doc, text):
    print(json.dumps(doc, sort_keys=True) if args.json else text)


def duration(seconds):
    """People's durations: "42 s", "12 min", "3 h 12 min", "2 d 3 h"; negative: "-3 h 12 min"."""
    if seconds is None:
        return "-"
    if seconds < 0:
        return "-" + duration(-seconds)
    s = int(seconds)
    if s < 60:
        return "%d s" % s
    m, h, d = s // 60 % 60, s // 3600 % 24, s // 86400
    if d:
        return "%d d %d h" % (d, h) if h else "%d d" % d
    if h:
        return "%d h %d min" % (h, m) if m else "%d h" % h
    return "%d min" % m


# --- progress -------------------------------------------------------------------------------------

def _progress_printer(enabled):
    """Sync progress on stderr, one line rewritten in place."""
    if not enabled:
        return None

    def show(p):
        sys.stderr.write("\r  syncing: %d light blocks fetched, at %d, target %d   "
                         % (p["fetched"], p["height"], p["target"]))
        sys.stderr.flush()
    return show


def _wants_progress(args):
    return args.progress or (not args.json and sys.stderr.isatty())


# --- boot -----------------------------------------------------------------------------------------

def _settings_text(rec):
    if rec is None:
        return "  no settings"
    if rec.record is None:
        return ("  NO RECORD: the chain has no record for device %s (proven absent at height "
                "%d): it is not provisioned on this chain, or this is the wrong chain"
                % (rec.uuid, rec.height))
    mark = "STALE (from the cache, %s old)" % duration(rec.age_s) if rec.stale else "fresh"
    lines = ["  device %s, record version %s, proven at height %d, %s" % (
        rec.uuid, rec.record.get("version"), rec.height, mark)]
    sealed = rec.record.get("sealed")
    if sealed is not None:
        lines.append("  " + sealed_text(sealed))
    for k, v in sorted(rec.record.get("setting", {}).items()):
        lines.append("    %s = %s" % (k, json.dumps(v)))
    return "\n".join(lines)


def sealed_text(sealed):
    """Where the device's settings on the real chain came from, in one line."""
    from lightclient import sealed_settings as ss
    state = sealed.get("state")
    if state == ss.OPENED:
        return "settings sealed by the owner (version %s, key epoch %s), opened on the chip" % (
            sealed.get("version"), sealed.get("epoch"))
    if state == ss.NONE_YET:
        return "no settings sealed for this device yet (the chain proves none): defaults"
    if state == ss.NOT_PAIRED:
        return "the chip has no owner yet (not paired): no settings, defaults"
    return "settings: %s" % state


def _sources_text(res):
    """Who served this boot: the light blocks' sources and the witnesses asked."""
    lines = []
    s = res.sync
    if s:
        head = s.get("head_source")
        others = [u for u in s.get("sources", []) if u != head]
        lines.append("  light blocks from %s%s" % (head or "-", (" (also %s)" % ", ".join(others))
                                                   if others else ""))
    elif res.ok and not res.stale:
        lines.append("  already at the sources' head: no new light block")
    cc = res.cross_check
    if cc:
        ws = ", ".join("%s %s" % (w.get("url"), w.get("result")) for w in cc.get("witnesses", []))
        lines.append("  witness cross-check: %s%s" % ("agreed" if cc.get("agreed") else
                                                     "NOT agreed", (" (%s)" % ws) if ws else ""))
    return lines


def _boot_headline(res):
    if res.ok and res.record is not None and res.record.record is None:
        return "NO RECORD ON CHAIN for this device (its absence is proven at height %d)" \
            % res.record.height
    if res.ok and not res.stale:
        s = res.sync or {}
        return "verified settings at height %s (%d light block(s), %d bytes, %.2f s)" % (
            res.trusted_height, s.get("light_blocks", 0), s.get("bytes", 0), res.seconds)
    if res.ok:
        return "no source answered with verified data: serving the cache, marked stale"
    return "NO VERIFIED DATA: no source answered with verified data and nothing is cached"


def boot_status(res):
    """The exit status of a boot: halted first (it must not look like a success), then no
    record, then no data."""
    if res.halted:
        return EXIT_HALTED
    if not res.ok:
        return EXIT_UNAVAILABLE
    if res.record is not None and res.record.record is None:
        return EXIT_NO_RECORD
    return EXIT_OK


def _opening_mcu(args, client):
    """The chip on --mcu opens the device's sealed settings during the read (real chain). ->
    the McuClient, or None without --mcu."""
    if not getattr(args, "mcu", None):
        return None
    from lightclient.mcu import McuClient
    from lightclient.sealed_settings import ChipOpener
    mcu = McuClient(args.mcu)
    client.opener = ChipOpener(mcu, client)
    return mcu


def cmd_boot(args):
    prog = _progress_printer(_wants_progress(args))
    c = _client(args, prog)
    mcu = _opening_mcu(args, c)
    try:
        return _boot(args, c, prog, mcu)
    finally:
        if mcu is not None:
            mcu.close()


def _boot(args, c, prog, mcu):
    res = c.boot(args.deadline)
    if prog:
        sys.stderr.write("\n")
    doc = res.to_dict()
    lines = [_boot_headline(res)] + _sources_text(res)
    if res.error:
        lines.append("  reason: %s: %s" % (res.error.get("check"), res.error.get("message")))
    if res.halted:
        lines.append("  !!! HALTED: light-client attack detected; evidence: %s"
                     % res.halted.get("evidence_path"))
        lines.append("  the way back: `mycroft-lc recover --checkpoint FILE` (owner-signed) or "
                     "`mycroft-lc recover --k-of-n`")
    lines.append(_settings_text(res.record))
    if mcu is not None:
        doc["mcu"] = _feed_mcu(mcu, c, res, lines)
    code = boot_status(res)
    doc["exit"] = code
    _emit(args, doc, "\n".join(lines))
    _complain(code, res.record, res.error)
    return code


def _complain(code, rec, error=None):
    """A failed device command also says why in one line on stderr (stdout holds the report)."""
    if code == EXIT_NO_RECORD:
        why = "the chain has no record for device %s (not provisioned, or the wrong chain)" \
            % rec.uuid
    elif code in (EXIT_HALTED, EXIT_UNAVAILABLE):
        why = "%s: %s" % ("halted" if code == EXIT_HALTED else "no verified data",
                          "%s: %s" % (error.get("check"), error.get("message")) if error else
                          "nothing verified is available")
    else:
        return
    sys.stderr.write("mycroft-lc: %s\n" % why)


def _feed_mcu(mcu, client, res, lines):
    """After a fresh verified boot, bring the microcontroller to the same head (it verifies
    every update itself); otherwise report what the chip holds, which it verified earlier."""
    from lightclient import mcu_bridge
    from lightclient.chip.core.errors import LightClientError
    try:
        if res.ok and not res.stale:
            out = mcu_bridge.push(mcu, client)
            out.pop("answers", None)
            lines.append("  microcontroller: %d update(s), %d bytes, now at height %s"
                         % (out["updates"], out["bytes"], out["chip_height"]))
        else:
            s = mcu.settings(client.clock.now_ns())
            out = {"settings": {k: v for k, v in s.items() if k != "record"}}
            lines.append("  microcontroller holds settings proven at height %s"
                         % s.get("height"))
        # from the chip's own eFuses: a development board says so, every boot
        out["key_protection"] = str(mcu.status().get("key_protection") or "unknown")
        lines.append("  microcontroller key protected: %s" % out["key_protection"])
        return out
    except LightClientError as e:
        lines.append("  microcontroller: %s: %s" % (e.check, e))
        return {"error": e.to_dict()}


# --- status ---------------------------------------------------------------------------------------

def _source_rows(st):
    rows = [("SOURCE", "KIND", "SCORE", "STATE", "WHY")]
    for s in st["sources"]:
        if s["banned"]:
            r = s.get("ban_reason") or {}
            state = "BANNED %s" % duration(s.get("banned_for_s"))
            why = "%s: %s" % (r.get("check"), r.get("message"))
        elif s.get("retry_in_s"):
            state = "backoff %s" % duration(s["retry_in_s"])
            why = str((s.get("last_error") or {}).get("check") or "")
        else:
            state, why = "ok", ""
        rows.append((s["url"], s["kind"], "%.2f" % s["score"], state, why))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4]
            for r in rows]


def status_text(st):
    lines = ["chain %s, device %s" % (st["chain_id"], st["device_uuid"])]
    if st["trusted_height"] is None:
        lines.append("trusted   none yet (the first boot fetches the provisioned checkpoint)")
    else:
        lines.append("trusted   height %d, header %s, %s old, expires in %s" % (
            st["trusted_height"], st["trusted_hash"], duration(st["age_s"]),
            duration(st["expires_in_s"])))
    cc = st.get("cross_check")
    lines.append("agreed    %s" % ("unknown: no new head was cross-checked in this run "
                                   "(--refresh syncs first)"
                                   if cc is None else "yes: a witness confirmed the head"
                                   if cc.get("agreed") else
                                   "NO: no witness confirmed the head in time"))
    if st.get("crypto_backend"):
        lines.append("crypto    %s (signature checks)" % st["crypto_backend"])
    h = st["halted"]
    lines.append("halted    %s" % ("no" if not h else "YES: %s; evidence %s; the way back: "
                                   "`mycroft-lc recover`" % (h.get("reason") or "light-client "
                                                             "attack", h.get("evidence_path"))))
    if st.get("last_error"):
        e = st["last_error"]
        lines.append("last error %s: %s" % (e.get("check"), e.get("message")))
    lines.append("sources")
    lines.extend(_source_rows(st))
    return "\n".join(lines)


def cmd_status(args):
    from lightclient.chip.core.errors import LightClientError
    c = _client(args)
    if args.refresh:
        try:
            c.sync(args.deadline, progress=_progress_printer(_wants_progress(args)))
        except LightClientError as e:
            c.last_error = e.to_dict()   # shown below; status reports, it does not fail
    st = c.status()
    st["crypto_backend"] = crypto.backend_name()
    _emit(args, st, status_text(st))
    if not st["halted"]:
        return EXIT_OK
    _complain(EXIT_HALTED, None, {"check": "light_client_attack",
                                  "message": "evidence %s" % st["halted"].get("evidence_path")})
    return EXIT_HALTED


# --- settings -------------------------------------------------------------------------------------

def cmd_settings(args):
    c = _client(args)
    lines = []
    mcu = _opening_mcu(args, c)
    try:
        rec = c.device_record(args.uuid, deadline_s=args.deadline)
    finally:
        if mcu is not None:
            mcu.close()
    doc = rec.to_dict()
    if c.last_error and rec.stale:
        doc["error"] = c.last_error
        lines.append("  reason: %s: %s" % (c.last_error.get("check"),
                                           c.last_error.get("message")))
    _emit(args, doc, "\n".join([_settings_text(rec)] + lines))
    code = EXIT_NO_RECORD if rec.record is None else EXIT_OK
    _complain(code, rec)
    return code


# --- provision ------------------------------------------------------------------------------------

def _chain_config(args, path):
    """The config of a device on the real local chain in args.chain: the anchor is the header
    at --checkpoint-height (default: the latest) as the chain's first node serves it, unless
    --checkpoint-hash names it (the operator trusts its own local chain's node)."""
    from lightclient.config import from_localchain
    from lightclient.localchain import network
    if not args.uuid:
        raise SystemExit("provision --chain needs --uuid, the device's mycroft1... account "
                         "address")
    height, digest = args.checkpoint_height, args.checkpoint_hash
    if digest is None:
        from lightclient.rpc import RpcClient
        rpc = RpcClient(network.load(args.chain)["nodes"][0]["rpc"])
        height = height or rpc.status()["latest_height"]
        digest = rpc.light_block(height).light_block.signed_header.header.hash().hex()
    state_dir = args.state_dir or os.path.join(os.path.dirname(os.path.abspath(path)), "state")
    return from_localchain(args.chain, os.path.abspath(state_dir), args.uuid,
                           {"height": height, "hash": digest}, central=args.central_node)


def cmd_provision(args):
    path = _config_path(args)
    if args.scenarionet:
        cfg = _scenarionet_config(args)
    elif args.chain:
        cfg = _chain_config(args, path)
    else:
        missing = [f for f in ("chain_id", "checkpoint_height", "checkpoint_hash")
                   if getattr(args, f) is None]
        if missing:
            raise SystemExit("provision needs --scenarionet DIR, --chain DIR, or --%s"
                             % ", --".join(f.replace("_", "-") for f in missing))
        state_dir = args.state_dir or os.path.join(os.path.dirname(os.path.abspath(path)),
                                                   "state")
        doc = {"chain_id": args.chain_id, "checkpoint": {"height": args.checkpoint_height,
                                                         "hash": args.checkpoint_hash},
               "central": args.central or "", "peers": args.peer or [],
               "device_uuid": args.uuid, "owner_pubkey": args.owner_pubkey or "",
               "state_dir": os.path.abspath(state_dir)}
        cfg = Config.from_json(doc)
    cfg.save(path)
    _emit(args, {"config": os.path.abspath(path), **cfg.to_json()},
          "wrote %s (state in %s)" % (os.path.abspath(path), cfg.state_dir))
    return EXIT_OK


# --- recover --------------------------------------------------------------------------------------

def cmd_recover(args):
    from lightclient import recovery
    from lightclient.audit import read_json
    doc = read_json(args.checkpoint) if args.checkpoint else None
    c = _client(args)
    if doc is not None and not c.config.owner_pubkey:
        raise ConfigError("owner_key", "the config names no owner key to check the checkpoint "
                          "with: provision with --owner-pubkey, or recover with --k-of-n")
    out = recovery.recover(c, owner_checkpoint=doc, k=args.k, deadline_s=args.deadline)
    by = {"owner": "the owner's signed checkpoint",
          "k_of_n": "%s sources agreeing" % out["info"].get("k")}[out["by"]]
    lines = ["new trust anchor: height %d, header %s, from %s" % (out["height"], out["hash"], by)]
    if out["cleared_halt"]:
        lines.append("halt cleared (evidence kept: %s)" % out["cleared_halt"].get("evidence_path"))
    lines.append("next: `mycroft-lc boot` syncs from there (and cross-checks again)")
    _emit(args, out, "\n".join(lines))
    return EXIT_OK


def common_args(p, deadline=5.0):
    """--config, --json, --deadline: every command of the device's light client."""
    p.add_argument("--config", help="device config (default $MYCROFT_LC_CONFIG or %s)"
                   % DEFAULT_CONFIG)
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--deadline", type=float, default=deadline, help="seconds (default %s)"
                   % deadline)


def register(subparsers):
    common = common_args

    p = subparsers.add_parser("boot", help="sync and show the device's verified settings")
    common(p)
    p.add_argument("--scenarionet", "--devnet", metavar="DIR", help="provision from a scenario "
                   "network directory's scenarionet.json first (--devnet: its old name)")
    p.add_argument("--state-dir", metavar="DIR", help="with --scenarionet: the state directory "
                   "(default DIR/device)")
    p.add_argument("--uuid", help="with --scenarionet: the device (default: the network's first)")
    p.add_argument("--mcu", metavar="PORT", help="the microcontroller on this serial port opens "
                   "the device's sealed settings (real chain), then is brought to the verified "
                   "head (it re-verifies every update itself)")
    p.add_argument("--progress", action="store_true", help="show sync progress on stderr "
                   "(default: when stderr is a terminal)")
    p.set_defaults(func=cmd_boot)

    p = subparsers.add_parser("status", help="trusted height and age, sources with scores and "
                              "bans, witness agreement, halt")
    common(p)
    p.add_argument("--refresh", action="store_true", help="sync first")
    p.add_argument("--progress", action="store_true", help="with --refresh: sync progress on "
                   "stderr (default: when stderr is a terminal)")
    p.set_defaults(func=cmd_status)

    p = subparsers.add_parser("settings", help="the verified settings of a device")
    common(p)
    p.add_argument("--uuid", help="another device's uuid (default: the provisioned one)")
    p.add_argument("--mcu", metavar="PORT", help="the microcontroller on this serial port opens "
                   "the device's sealed settings (real chain)")
    p.set_defaults(func=cmd_settings)

    p = subparsers.add_parser(
        "provision", help="write the device config (from a scenario network, or from flags)",
        description="Writes the device config: the chain, the trust anchor (a checkpoint the "
        "owner trusts), where to ask, the device. Either --scenarionet DIR, --chain DIR "
        "(the real local chain), or --chain-id, --checkpoint-height, --checkpoint-hash and "
        "--central / --peer.")
    common(p)
    p.add_argument("--scenarionet", "--devnet", metavar="DIR",
                   help="take everything from DIR/scenarionet.json (--devnet: its old name)")
    p.add_argument("--chain", metavar="DIR", help="a device of the real local chain of `chain "
                   "up --dir DIR`: its nodes' relays as sources, --uuid its account address")
    p.add_argument("--central-node", default="full0", metavar="NODE", help="with --chain: the "
                   "node that is the central API (default full0); the others are peers")
    p.add_argument("--chain-id", help="the chain's id")
    p.add_argument("--checkpoint-height", type=int, metavar="H", help="the trust anchor's height")
    p.add_argument("--checkpoint-hash", metavar="HEX", help="its header hash (32 bytes, hex)")
    p.add_argument("--central", metavar="URL", help="the central API node's RPC")
    p.add_argument("--peer", action="append", metavar="URL", help="a peer's RPC (repeatable)")
    p.add_argument("--uuid", help="the device's uuid (with --chain: its mycroft1... account "
                   "address)")
    p.add_argument("--owner-pubkey", metavar="HEX", help="the owner's Ed25519 public key "
                   "(`mycroft-lc keys new`): signs recovery checkpoints")
    p.add_argument("--state-dir", metavar="DIR", help="where the trusted state lives (stored "
                   "absolute; default: beside the config, or DIR/device with --scenarionet)")
    p.set_defaults(func=cmd_provision)

    p = subparsers.add_parser(
        "recover", help="the way back from a halt (or an expired anchor): a fresh checkpoint",
        description="Takes a fresh trust anchor, named by the owner's signed checkpoint "
        "(--checkpoint FILE, from `mycroft-lc keys sign-checkpoint`) or agreed by k independent "
        "sources (--k-of-n), then clears the halt. The evidence stays in the state directory.")
    common(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--checkpoint", metavar="FILE", help="an owner-signed checkpoint (JSON)")
    g.add_argument("--k-of-n", action="store_true", help="k sources must agree on a header")
    p.add_argument("--k", type=int, help="with --k-of-n: how many (default: the config's ws_k)")
    p.set_defaults(func=cmd_recover)


def main(argv=None):
    """The whole CLI (cli.main), kept for `python -m lightclient.commands` and the tests."""
    from lightclient import cli
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
