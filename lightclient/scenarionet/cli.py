"""`scenarionet` subcommands (wired into `mycroft-lc scenarionet ...` by lightclient/cli.py via
register(subparsers); also runnable as `python -m lightclient.scenarionet.cli ...`).

    scenarionet up [--dir D] [--validators N] [--peers K] [--history-days D] [--key-type T]
                   [--device UUID=PUBKEY ... --owner-pubkey HEX] [--devices FILE] [--json]
    scenarionet status [--dir D] [--json]
    scenarionet fault NODE MODE [k=v ...] [--dir D]
    scenarionet down [--dir D]

The network takes no transactions: its device records are fixtures of its history, given to
`up` (--device registers one at genesis; --devices FILE is a JSON list of app.device_fixture /
settings_fixture entries, with heights). Device transactions are the real chain's (`chain up`).

A mistake is one line on stderr (`error: ...`), never a traceback: exit 2 for a usage mistake
(unknown node, fault mode or parameter, a malformed value or fixture), 4 when the network cannot
do what was asked (busy directory, another chain kept there, not running).
"""

import argparse
import functools
import json
import os
import signal
import sys
import threading
import time

from lightclient.scenarionet import faults
from lightclient.exitcodes import EXIT_INTERRUPTED, EXIT_LOCAL, EXIT_UNAVAILABLE, EXIT_USAGE

DEFAULT_DIR = os.path.join(".scenarionet")


class UsageError(Exception):
    """A mistake in the command line; the message says what would be right."""


def _value(v):
    """k=v values: JSON when it parses (numbers, true, {"a": 1}), else the string."""
    try:
        return json.loads(v)
    except ValueError:
        return v


def _kv(items):
    out = {}
    for it in items:
        k, eq, v = it.partition("=")
        if not eq or not k:
            raise UsageError("expected name=value, got %r" % it)
        out[k] = _value(v)
    return out


def _hex32(value, what):
    try:
        b = bytes.fromhex(value)
    except ValueError:
        b = b""
    if len(b) != 32:
        raise UsageError("%s must be 32 bytes of hex (64 characters), got %r"
                         % (what, value[:20] + ("..." if len(value) > 20 else "")))
    return b


def _fixtures(args):
    """The device fixtures of `up`: --devices FILE, then each --device UUID=PUBKEY at genesis."""
    from lightclient.scenarionet.app import FixtureError, device_fixture, fixture_writes
    out = []
    if args.devices:
        try:
            with open(args.devices, "rb") as f:
                out = json.loads(f.read(1 << 20))
        except (OSError, ValueError) as e:
            raise UsageError("--devices %s: not a readable JSON list (%s)" % (args.devices, e))
    if args.device and not args.owner_pubkey:
        raise UsageError("--device needs --owner-pubkey (the owner key of its record)")
    for d in args.device or ():
        uuid, eq, pub = d.partition("=")
        if not eq:
            raise UsageError("--device expects UUID=PUBKEY, got %r" % d[:40])
        out.append(device_fixture(uuid, _hex32(pub, "--device " + uuid[:20]),
                                  _hex32(args.owner_pubkey, "--owner-pubkey"), height=0))
    try:
        fixture_writes(out)
    except FixtureError as e:
        raise UsageError(str(e))
    return out


def _guarded(func):
    """Run a subcommand; its expected failures become one line on stderr and an exit code."""

    @functools.wraps(func)
    def run(args):
        from lightclient.scenarionet.launcher import ScenarioNetError, FaultRefused
        try:
            return func(args)
        except (UsageError, FaultRefused) as e:
            print("mycroft-lc scenarionet: %s" % e, file=sys.stderr)
            return EXIT_USAGE
        except ScenarioNetError as e:      # the local network itself: our side
            print("mycroft-lc scenarionet: %s" % e, file=sys.stderr)
            return EXIT_LOCAL
        except OSError as e:  # a node or the producer stopped answering mid-way
            print("mycroft-lc scenarionet: the scenario network in %s did not answer (%s)"
                  % (args.dir, e), file=sys.stderr)
            return EXIT_UNAVAILABLE
    return run


def _print(args, human, obj):
    if getattr(args, "json", False):
        print(json.dumps(obj, indent=2))
    else:
        print(human)


def cmd_up(args):
    from lightclient.scenarionet.launcher import ScenarioNet
    stop = threading.Event()

    def on_signal(*_):
        # While starting (weeks of history can take a while), interrupt the start, which stops
        # what it already spawned; once up, end the wait below.
        if net.procs and net.info:
            stop.set()
        else:
            raise KeyboardInterrupt

    net = ScenarioNet(args.dir, validators=args.validators, peers=args.peers,
                      key_type=args.key_type, history_days=args.history_days,
                      churn_per_day=args.churn_per_day, block_interval_s=args.block_interval,
                      fresh=args.fresh, devices=_fixtures(args))
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        net.start()
    except KeyboardInterrupt:
        print("interrupted while starting; stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        info = net.info
        lines = ["scenarionet %s up in %.1f s (%d validators, %s, history %d blocks generated in "
                 "%.1f s)" % (info["chain_id"], info["startup_seconds"], info["validators"],
                              info["key_type"], info["history_height"],
                              info["generation_seconds"]),
                 "  " + CHAIN_STATE[info["chain_state"]] % (info["genesis_time"], net.directory)]
        if info["stale_lock"]:
            lines.append("  took over the lock of pid %s (started at %s), which is no longer "
                         "running" % (info["stale_lock"].get("pid"),
                                      info["stale_lock"].get("started_at")))
        lines.append("  central  rpc %s  control %s" % (net.nodes["central"]["rpc"],
                                                        net.nodes["central"]["control"]))
        for n, d in net.nodes.items():
            if n != "central":
                lines.append("  %-8s rpc %s  control %s" % (n, d["rpc"], d["control"]))
        cp = info["checkpoint"]
        lines.append("  checkpoint height %d hash %s" % (cp["height"], cp["hash"]))
        lines.append("  %s (Ctrl-C or `scenarionet down` stops it)"
                     % os.path.join(net.directory, "scenarionet.json"))
        _print(args, "\n".join(lines), info)
        sys.stdout.flush()
        while not stop.wait(0.5):
            if any(p.poll() is not None for p in net.procs.values()):
                print("a scenario network process exited; stopping", file=sys.stderr)
                return EXIT_LOCAL
        return 0
    finally:
        net.stop()


CHAIN_STATE = {
    "continued": "continuing the chain kept in this directory (genesis %s, %s/chain.json)",
    "new": "a new chain (genesis %s, kept in %s/chain.json)",
    "replaced": "a new chain (genesis %s) replacing the one kept in %s (--fresh): devices "
                "provisioned on the old one must be provisioned again",
}


def _attached(args):
    from lightclient.runlock import holder
    from lightclient.scenarionet.launcher import ScenarioNet, ScenarioNetError
    not_up = ScenarioNetError("no scenario network is running in %s (start one with "
                              "`scenarionet up --dir %s`)" % (args.dir, args.dir))
    if holder(args.dir, "scenarionet") is None:
        raise not_up
    try:
        return ScenarioNet.attach(args.dir)
    except (OSError, ValueError, KeyError, TypeError):
        raise not_up  # still starting: scenarionet.json is written when everything answers


def cmd_status(args):
    from lightclient.runlock import holder
    net = _attached(args)
    out = {"chain_id": net.info["chain_id"], "latest_height": net.latest_height(),
           "launcher": holder(args.dir, "scenarionet"), "nodes": {}}
    for n in net.nodes:
        out["nodes"][n] = net.fault_state(n)
    lines = ["scenarionet %s at height %d (pid %s, started at %s)"
             % (out["chain_id"], out["latest_height"], (out["launcher"] or {}).get("pid"),
                (out["launcher"] or {}).get("started_at")),
             "  %-8s %-24s %s" % ("node", "rpc", "fault")]
    for n, st in out["nodes"].items():
        lines.append(("  %-8s %-24s %s %s" % (n, net.nodes[n]["rpc"], st["mode"],
                                              json.dumps(st["params"]) if st["params"] else ""))
                     .rstrip())
    _print(args, "\n".join(lines), out)
    return 0


def cmd_fault(args):
    from lightclient.scenarionet.launcher import FaultRefused
    params = _kv(args.params)
    try:  # mode and parameters first: a mistake there needs no running network to be told
        faults.parse_values(args.mode, params)
    except faults.FaultError as e:
        raise FaultRefused(str(e))
    net = _attached(args)
    r = net.fault(args.node, args.mode, **params)
    _print(args, "%s: %s %s" % (args.node, r["mode"], json.dumps(r["params"])), r)
    return 0


def cmd_down(args):
    from lightclient.runlock import holder, pid_alive
    from lightclient.scenarionet.launcher import ScenarioNetError
    rec = holder(args.dir, "scenarionet")
    if rec is None:
        print("no scenario network is running in %s" % args.dir)
        return 0
    pid = rec.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        raise ScenarioNetError("%s is locked by a process that left no readable pid" % args.dir)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            print("scenarionet stopped")
            return 0
        time.sleep(0.1)
    raise ScenarioNetError("scenarionet (pid %d) did not stop within 15 s" % pid)


OLD_NAME = "devnet"   # the name before issue 18; kept one more release as a deprecated alias


def _deprecated(func):
    @functools.wraps(func)
    def run(args):
        sys.stderr.write("mycroft-lc %s is deprecated: it is now `mycroft-lc scenarionet`\n"
                         % OLD_NAME)
        return func(args)
    return run


def register(subparsers):
    """Add `scenarionet` with its subcommands (each sets `func(args) -> exit code`), and the
    deprecated `devnet` alias (default directory .devnet), which says the new name on stderr."""
    p = _add(subparsers, "scenarionet", _guarded, DEFAULT_DIR,
             help="the scenario network: long histories, many validators, faults, forks")
    _add(subparsers, OLD_NAME, lambda f: _deprecated(_guarded(f)), "." + OLD_NAME,
         help="deprecated: the old name of `scenarionet`")
    return p


def _add(subparsers, name, wrap, default_dir, **kw):
    p = subparsers.add_parser(name, **kw)
    sub = p.add_subparsers(dest="scenarionet_cmd", required=True)

    def common(sp):
        sp.add_argument("--dir", default=default_dir,
                        help="the network's directory (default %(default)s)")
        sp.add_argument("--json", action="store_true", help="JSON output")

    up = sub.add_parser("up", help="start the network and run until Ctrl-C / SIGTERM")
    common(up)
    up.add_argument("--validators", type=int, default=21)
    up.add_argument("--peers", type=int, default=4)
    up.add_argument("--history-days", type=float, default=2)
    up.add_argument("--key-type", choices=("ed25519", "secp256k1"), default="ed25519")
    up.add_argument("--churn-per-day", type=float, default=0.01)
    up.add_argument("--block-interval", type=float, default=5)
    up.add_argument("--fresh", action="store_true", help="forget the chain kept in --dir")
    up.add_argument("--device", action="append", metavar="UUID=PUBKEY",
                    help="a device registered at genesis (Ed25519 public key, hex); repeatable")
    up.add_argument("--owner-pubkey", help="the owner key of the --device records, hex")
    up.add_argument("--devices", metavar="FILE", help="device fixtures, a JSON list "
                    "(docs/scenario-network.md)")
    up.set_defaults(func=wrap(cmd_up))

    st = sub.add_parser("status", help="height and each node's fault mode")
    common(st)
    st.set_defaults(func=wrap(cmd_status))

    f = sub.add_parser("fault", help="set a node's fault mode: NODE MODE [k=v ...]",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="fault modes and their parameters:\n" + faults.describe())
    common(f)
    f.add_argument("node", help="central, peer1, ... (`scenarionet status` lists them)")
    f.add_argument("mode", help="one of: " + ", ".join(faults.FAULTS))
    f.add_argument("params", nargs="*", help="name=value (a JSON value, else a string)")
    f.set_defaults(func=wrap(cmd_fault))

    d = sub.add_parser("down", help="stop a network started with `scenarionet up` (pid file)")
    common(d)
    d.set_defaults(func=wrap(cmd_down))
    return p


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m lightclient.scenarionet.cli")
    sub = ap.add_subparsers(dest="cmd", required=True)
    register(sub)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
