"""`mycroft-lc boot | status | settings | provision`: the client shell on the command line.

register(subparsers) adds the subcommands; each takes --config (default $MYCROFT_LC_CONFIG or
~/.config/mycroft-lc/config.json) and --json (one JSON document on stdout). Exit status: 0 when
verified data was shown (fresh, or stale from the cache: the output says which), 1 when there is
no verified data or the input is bad, 2 when the client is halted by a light-client attack.
"""

import json
import os
import sys

from lightclient.config import Config, ConfigError, from_devnet
from lightclient import native  # noqa: F401 (installs the Pi's crypto backend)
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import backend as crypto

DEFAULT_CONFIG = os.path.join(os.path.expanduser("~"), ".config", "mycroft-lc", "config.json")


def _config_path(args):
    return args.config or os.environ.get("MYCROFT_LC_CONFIG") or DEFAULT_CONFIG


def _load(args):
    path = _config_path(args)
    if getattr(args, "devnet", None):
        cfg = from_devnet(args.devnet, args.state_dir or os.path.join(args.devnet, "device"),
                          getattr(args, "uuid", None))
        cfg.save(path)
        return cfg
    return Config.load(path)


def _client(args, progress=None):
    from lightclient.client import LightClient
    return LightClient(_load(args), progress=progress)


def _emit(args, doc, text):
    if args.json:
        print(json.dumps(doc, sort_keys=True))
    else:
        print(text)


def _progress_printer(enabled):
    if not enabled:
        return None

    def show(p):
        sys.stderr.write("\r  syncing: %d light blocks fetched, at %d, target %d   "
                         % (p["fetched"], p["height"], p["target"]))
        sys.stderr.flush()
    return show


def _settings_text(rec):
    if rec is None:
        return "  no settings"
    if rec.record is None:
        return "  device %s has no record on chain (proven absent at height %d)" % (
            rec.uuid, rec.height)
    mark = "STALE (from cache, %.0f s old)" % rec.age_s if rec.stale else "fresh"
    lines = ["  device %s, record version %s, proven at height %d, %s" % (
        rec.uuid, rec.record.get("version"), rec.height, mark)]
    for k, v in sorted(rec.record.get("setting", {}).items()):
        lines.append("    %s = %s" % (k, json.dumps(v)))
    return "\n".join(lines)


def cmd_boot(args):
    prog = _progress_printer(not args.json and sys.stderr.isatty())
    c = _client(args, prog)
    res = c.boot(args.deadline)
    if prog:
        sys.stderr.write("\n")
    doc = res.to_dict()
    lines = []
    if res.ok and not res.stale:
        s = res.sync or {}
        lines.append("verified settings at height %s (%d light blocks, %d bytes, %.2f s)" % (
            res.trusted_height, s.get("light_blocks", 0), s.get("bytes", 0), res.seconds))
    elif res.ok:
        lines.append("no source answered with verified data: serving the cache, marked stale")
    else:
        lines.append("NO VERIFIED DATA")
    if res.error:
        lines.append("  reason: %s: %s" % (res.error.get("check"), res.error.get("message")))
    if res.halted:
        lines.append("  !!! HALTED: light-client attack detected; evidence: %s"
                     % res.halted.get("evidence_path"))
    lines.append(_settings_text(res.record))
    if args.mcu:
        doc["mcu"] = _feed_mcu(args.mcu, c, res, lines)
    _emit(args, doc, "\n".join(lines))
    if res.halted:
        return 2
    return 0 if res.ok else 1


def _feed_mcu(port, client, res, lines):
    """After a fresh verified boot, bring the microcontroller to the same head (it verifies
    every update itself); otherwise report what the chip holds, which it verified earlier."""
    from lightclient import mcu_bridge
    from lightclient.mcu import McuClient
    try:
        with McuClient(port) as mcu:
            if res.ok and not res.stale:
                out = mcu_bridge.push(mcu, client)
                out.pop("answers", None)
                lines.append("  microcontroller: %d update(s), %d bytes, now at height %s"
                             % (out["updates"], out["bytes"], out["chip_height"]))
            else:
                out = {"settings": None}
                s = mcu.settings(client.clock.now_ns())
                out["settings"] = {k: v for k, v in s.items() if k != "record"}
                lines.append("  microcontroller holds settings proven at height %s"
                             % s.get("height"))
            return out
    except LightClientError as e:
        lines.append("  microcontroller: %s: %s" % (e.check, e))
        return {"error": e.to_dict()}


def cmd_status(args):
    c = _client(args)
    if args.refresh:
        try:
            c.sync(args.deadline)
        except LightClientError:
            pass
    st = c.status()
    st["crypto_backend"] = crypto.backend_name()
    lines = ["trusted height %s, age %s s, expires in %s s" % (
        st["trusted_height"], st["age_s"], st["expires_in_s"]),
        "  signature checks: %s" % st["crypto_backend"]]
    for s in st["sources"]:
        lines.append("  %-8s %-28s score %-7s %s" % (
            s["kind"], s["url"], s["score"], "BANNED" if s["banned"] else ""))
    for b in st["banned"]:
        r = b.get("reason") or {}
        lines.append("  banned %s: %s (%s)" % (b["url"], r.get("check"), r.get("message")))
    if st["halted"]:
        lines.append("  !!! HALTED: %s" % json.dumps(st["halted"]))
    _emit(args, st, "\n".join(lines))
    return 2 if st["halted"] else 0


def cmd_settings(args):
    c = _client(args)
    try:
        rec = c.device_record(args.uuid, deadline_s=args.deadline)
    except LightClientError as e:
        _emit(args, {"error": e.to_dict()}, "NO VERIFIED DATA: %s" % e)
        return 1
    _emit(args, rec.to_dict(), _settings_text(rec))
    return 0


def cmd_provision(args):
    path = _config_path(args)
    try:
        if args.devnet:
            cfg = from_devnet(args.devnet, args.state_dir or os.path.join(args.devnet, "device"),
                              args.uuid)
        else:
            doc = {"chain_id": args.chain_id, "checkpoint": {"height": args.checkpoint_height,
                                                             "hash": args.checkpoint_hash},
                   "central": args.central or "", "peers": args.peer or [],
                   "device_uuid": args.uuid, "owner_pubkey": args.owner_pubkey or "",
                   "state_dir": args.state_dir or os.path.join(os.path.dirname(path), "state")}
            cfg = Config.from_json(doc)
    except ConfigError as e:
        _emit(args, {"error": e.to_dict()}, "cannot provision: %s" % e)
        return 1
    cfg.save(path)
    _emit(args, {"config": path, **cfg.to_json()}, "wrote %s" % path)
    return 0


def _guarded(fn):
    """A bad or missing config is exit status 1 with a clear message, whoever calls us."""
    def run(args):
        try:
            return fn(args)
        except ConfigError as e:
            _emit(args, {"error": e.to_dict()}, "config error: %s" % e)
            return 1
    run.__name__ = fn.__name__
    return run


def register(subparsers):
    def common(p, deadline=5.0):
        p.add_argument("--config", help="device config (default $MYCROFT_LC_CONFIG or %s)"
                       % DEFAULT_CONFIG)
        p.add_argument("--json", action="store_true", help="one JSON document on stdout")
        p.add_argument("--deadline", type=float, default=deadline, help="seconds (default %s)"
                       % deadline)

    p = subparsers.add_parser("boot", help="sync and show the device's verified settings")
    common(p)
    p.add_argument("--devnet", help="provision from a devnet directory's devnet.json first")
    p.add_argument("--state-dir")
    p.add_argument("--uuid")
    p.add_argument("--mcu", metavar="PORT", help="then bring the microcontroller on this serial "
                   "port to the verified head (it re-verifies every update itself)")
    p.set_defaults(func=_guarded(cmd_boot))

    p = subparsers.add_parser("status", help="trusted height, age, sources, bans, halt")
    common(p)
    p.add_argument("--refresh", action="store_true", help="sync first")
    p.set_defaults(func=_guarded(cmd_status))

    p = subparsers.add_parser("settings", help="the verified settings of a device")
    common(p)
    p.add_argument("--uuid")
    p.set_defaults(func=_guarded(cmd_settings))

    p = subparsers.add_parser("provision", help="write the device config")
    common(p)
    p.add_argument("--devnet")
    p.add_argument("--chain-id")
    p.add_argument("--checkpoint-height", type=int)
    p.add_argument("--checkpoint-hash")
    p.add_argument("--central")
    p.add_argument("--peer", action="append")
    p.add_argument("--uuid")
    p.add_argument("--owner-pubkey")
    p.add_argument("--state-dir")
    p.set_defaults(func=_guarded(cmd_provision))


def main(argv=None):
    """Standalone entry (until cli.py wires register()): python -m lightclient.commands ..."""
    import argparse
    ap = argparse.ArgumentParser(prog="mycroft-lc")
    register(ap.add_subparsers(dest="command", required=True))
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
