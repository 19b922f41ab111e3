"""`devnet` subcommands (wired into `mycroft-lc devnet ...` by lightclient/cli.py via
register(subparsers); also runnable as `python -m lightclient.devnet.cli ...`).

    devnet up [--dir D] [--validators N] [--peers K] [--history-days D] [--key-type T] [--json]
    devnet status [--dir D] [--json]
    devnet fault NODE MODE [k=v ...] [--dir D]
    devnet register-device UUID --owner-seed HEX [--device-pubkey HEX] [--dir D]
    devnet set-settings UUID --owner-seed HEX k=v ... [--dir D]
    devnet down [--dir D]
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

DEFAULT_DIR = os.path.join(".devnet")


def _value(v):
    """k=v values: JSON when it parses (numbers, true, {"a": 1}), else the string."""
    try:
        return json.loads(v)
    except ValueError:
        return v


def _kv(items):
    out = {}
    for it in items:
        if "=" not in it:
            raise SystemExit("expected k=v, got %r" % it)
        k, v = it.split("=", 1)
        out[k] = _value(v)
    return out


def _print(args, human, obj):
    if getattr(args, "json", False):
        print(json.dumps(obj, indent=2))
    else:
        print(human)


def cmd_up(args):
    from lightclient.devnet.launcher import Devnet
    stop = threading.Event()

    def on_signal(*_):
        # While starting (weeks of history can take a while), interrupt the start, which stops
        # what it already spawned; once up, end the wait below.
        if net.procs and net.info:
            stop.set()
        else:
            raise KeyboardInterrupt

    net = Devnet(args.dir, validators=args.validators, peers=args.peers,
                 key_type=args.key_type, history_days=args.history_days,
                 churn_per_day=args.churn_per_day, block_interval_s=args.block_interval,
                 fresh=args.fresh)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        net.start()
    except KeyboardInterrupt:
        print("interrupted while starting; stopped", file=sys.stderr)
        return 130
    pid_path = os.path.join(net.directory, "devnet.pid")
    with open(pid_path, "w") as f:
        f.write(str(os.getpid()))
    try:
        info = net.info
        lines = ["devnet %s up in %.1f s (%d validators, %s, history %d blocks generated in "
                 "%.1f s)" % (info["chain_id"], info["startup_seconds"], info["validators"],
                              info["key_type"], info["history_height"],
                              info["generation_seconds"]),
                 "  central  rpc %s  control %s" % (net.nodes["central"]["rpc"],
                                                    net.nodes["central"]["control"])]
        for n, d in net.nodes.items():
            if n != "central":
                lines.append("  %-8s rpc %s  control %s" % (n, d["rpc"], d["control"]))
        cp = info["checkpoint"]
        lines.append("  checkpoint height %d hash %s" % (cp["height"], cp["hash"]))
        lines.append("  %s (Ctrl-C or `devnet down` stops it)"
                     % os.path.join(net.directory, "devnet.json"))
        _print(args, "\n".join(lines), info)
        sys.stdout.flush()
        while not stop.wait(0.5):
            if any(p.poll() is not None for p in net.procs.values()):
                print("a devnet process exited; stopping", file=sys.stderr)
                return 1
        return 0
    finally:
        net.stop()
        try:
            os.remove(pid_path)
        except OSError:
            pass


def _attached(args):
    from lightclient.devnet.launcher import Devnet
    try:
        return Devnet.attach(args.dir)
    except (OSError, ValueError):
        raise SystemExit("no readable devnet.json in %s (is the devnet up?)" % args.dir)


def cmd_status(args):
    net = _attached(args)
    out = {"chain_id": net.info["chain_id"], "latest_height": net.latest_height(), "nodes": {}}
    for n in net.nodes:
        out["nodes"][n] = net.fault_state(n)
    lines = ["devnet %s at height %d" % (out["chain_id"], out["latest_height"])]
    for n, st in out["nodes"].items():
        lines.append("  %-8s %s  fault %s %s" % (n, net.nodes[n]["rpc"], st["mode"],
                                                 json.dumps(st["params"]) if st["params"] else ""))
    _print(args, "\n".join(lines), out)
    return 0


def cmd_fault(args):
    net = _attached(args)
    r = net.fault(args.node, args.mode, **_kv(args.params))
    _print(args, "%s: %s %s" % (args.node, r["mode"], json.dumps(r["params"])), r)
    return 0


def cmd_register_device(args):
    from lightclient.chip.crypto import ed25519
    net = _attached(args)
    owner = bytes.fromhex(args.owner_seed)
    dev = bytes.fromhex(args.device_pubkey) if args.device_pubkey else ed25519.public_key(
        bytes.fromhex(args.device_seed))
    h = net.register_device(args.uuid, dev, owner, account=args.account)
    _print(args, "registered %s in block %d" % (args.uuid, h), {"uuid": args.uuid, "height": h})
    return 0


def cmd_set_settings(args):
    net = _attached(args)
    h = net.set_settings(args.uuid, bytes.fromhex(args.owner_seed), **_kv(args.settings))
    _print(args, "settings of %s changed in block %d" % (args.uuid, h),
           {"uuid": args.uuid, "height": h})
    return 0


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # an exited child its parent has not reaped yet (a zombie) is gone for us
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def cmd_down(args):
    path = os.path.join(args.dir, "devnet.pid")
    try:
        with open(path) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        raise SystemExit("no devnet.pid in %s" % args.dir)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        os.remove(path)
        print("devnet was not running (stale pid file removed)")
        return 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not _alive(pid):
            print("devnet stopped")
            return 0
        time.sleep(0.1)
    print("devnet (pid %d) did not stop within 15 s" % pid, file=sys.stderr)
    return 1


def register(subparsers):
    """Add `devnet` with its subcommands; each sets `func(args) -> exit code`."""
    p = subparsers.add_parser("devnet", help="the local CometBFT-compatible network")
    sub = p.add_subparsers(dest="devnet_cmd", required=True)

    def common(sp):
        sp.add_argument("--dir", default=DEFAULT_DIR, help="devnet directory (default .devnet)")
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
    up.set_defaults(func=cmd_up)

    st = sub.add_parser("status", help="height and each node's fault mode")
    common(st)
    st.set_defaults(func=cmd_status)

    f = sub.add_parser("fault", help="set a node's fault mode: NODE MODE [k=v ...]")
    common(f)
    f.add_argument("node")
    f.add_argument("mode")
    f.add_argument("params", nargs="*")
    f.set_defaults(func=cmd_fault)

    r = sub.add_parser("register-device", help="register a device (owner-signed tx)")
    common(r)
    r.add_argument("uuid")
    r.add_argument("--owner-seed", required=True, help="owner Ed25519 seed, 32 bytes hex")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--device-pubkey", help="device Ed25519 public key, hex")
    g.add_argument("--device-seed", help="device Ed25519 seed, hex (tests)")
    r.add_argument("--account", default=None)
    r.set_defaults(func=cmd_register_device)

    s = sub.add_parser("set-settings", help="change setting fields: UUID k=v ...")
    common(s)
    s.add_argument("uuid")
    s.add_argument("--owner-seed", required=True)
    s.add_argument("settings", nargs="+")
    s.set_defaults(func=cmd_set_settings)

    d = sub.add_parser("down", help="stop a devnet started with `devnet up` (pid file)")
    common(d)
    d.set_defaults(func=cmd_down)
    return p


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m lightclient.devnet.cli")
    sub = ap.add_subparsers(dest="cmd", required=True)
    register(sub)
    args = ap.parse_args(argv)
    from lightclient.devnet.launcher import DevnetError
    try:
        return args.func(args)
    except DevnetError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
