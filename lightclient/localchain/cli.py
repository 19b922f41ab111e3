"""`mycroft-lc chain up|status|fault|fund|down`: the local Cosmos SDK chain (docs/chain.md)."""

import argparse
import json
import os
import signal
import sys
import threading

from lightclient.scenarionet import faults as scenarionet_faults
from lightclient.exitcodes import EXIT_LOCAL, EXIT_USAGE
from lightclient.localchain import binary, faults, genesis, network, relay


def _emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def cmd_up(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    wake = threading.Event()
    stopping = []
    # both before the lock names this PID: `chain fault` may signal it from then on
    signal.signal(signal.SIGUSR1, lambda *_: wake.set())
    signal.signal(signal.SIGTERM, lambda *_: (stopping.append(1), wake.set()))
    lock = network.acquire_lock(d)
    net = sup = None
    try:
        for stale in (faults.WANTED, faults.APPLIED):    # a new run starts with every node ok
            if os.path.exists(os.path.join(d, stale)):
                os.remove(os.path.join(d, stale))
        if not os.path.exists(os.path.join(d, "network.json")):
            genesis.build(d, args.validators, args.full_nodes, args.base_port)
        net = network.Network(d)
        net.start()
        for i in range(len(net.nodes)):       # every node serves block 1 before we report
            height = net.wait_for_height(1, timeout=args.start_timeout, node=i)
        sup = faults.Supervisor(net)
        for n in net.nodes:
            _emit({"node": n["name"], "validator": n["validator"], "cometbft_rpc": n["rpc"],
                   "relay": sup.relay_url(n["name"]), "grpc": n["grpc"], "rest": n["rest"]})
        _emit({"chain_id": net.info["chain_id"], "height": height, "pid": os.getpid(),
               "dir": d, "stop": "Ctrl-C or `mycroft-lc chain down --dir %s`" % d})
        try:
            while not stopping:
                if wake.wait(0.5):
                    wake.clear()
                    if not stopping:
                        sup.apply()
                net._check_processes()
        except KeyboardInterrupt:
            pass
    finally:
        if sup is not None:
            sup.close()
        if net is not None:
            net.stop()
        lock.release()
    return 0


def cmd_status(args):
    d = os.path.abspath(args.dir)
    pid = network.running_pid(d)
    modes = faults.applied(d)["nodes"] if pid else {}
    nodes = network.status(d)
    for row in nodes:
        m = modes.get(row["name"], {})
        row["fault"] = {"mode": m.get("mode", "ok"), "params": m.get("params", {})}
    _emit({"running_pid": pid, "nodes": nodes})
    return 0


def cmd_fault(args):
    d = os.path.abspath(args.dir)
    got = faults.request(d, args.node, args.mode, _kv(args.params))
    _emit({"node": args.node, "mode": got["mode"], "params": got.get("params", {})})
    return 0


def _kv(pairs):
    """k=v values: JSON when it parses (numbers, true), else the string."""
    out = {}
    for p in pairs:
        if "=" not in p:
            raise binary.ChainError("bad_fault", "parameters are k=v", got=p[:80])
        k, v = p.split("=", 1)
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    return out


def cmd_fund(args):
    from lightclient.localchain import faucet
    _emit(faucet.fund(os.path.abspath(args.dir), args.address, args.amount))
    return 0


def cmd_down(args):
    _emit({"stopped_pid": network.down(os.path.abspath(args.dir))})
    return 0


# ChainError checks that mean the command line was wrong (the README's exit status 2, "usage");
# every other one is our side (4, "local fault"): the binary, the directory, the nodes.
USAGE_CHECKS = ("bad_fault", "unknown_node", "unknown_mode", "chain_shape", "bad_address",
                "bad_amount")


def exit_status(err):
    return EXIT_USAGE if err.check in USAGE_CHECKS else EXIT_LOCAL


def _guard(fn):
    def run(args):
        try:
            return fn(args)
        except binary.ChainError as e:
            code = exit_status(e)
            _emit({"error": e.to_dict(), "exit": code})
            sys.stderr.write("mycroft-lc chain: %s\n" % " ".join(str(e).split()))
            return code
    return run


def register(sub):
    chain = sub.add_parser("chain", help="the local Cosmos SDK chain (mycroftd): up, status, "
                           "fault, fund, down")
    cs = chain.add_subparsers(dest="chain_command", required=True)
    s = cs.add_parser("up", help="create (first time) and run the chain until Ctrl-C")
    s.add_argument("--dir", required=True)
    s.add_argument("--validators", type=int, default=4)
    s.add_argument("--full-nodes", type=int, default=3)
    s.add_argument("--base-port", type=int, default=36600,
                   help="node i listens on base+10i (p2p), +1 (RPC), +2 (gRPC), +3 (REST)")
    s.add_argument("--start-timeout", type=float, default=120.0)
    s.set_defaults(func=_guard(cmd_up))
    s = cs.add_parser("status", help="each node's endpoints and height")
    s.add_argument("--dir", required=True)
    s.set_defaults(func=_guard(cmd_status))
    s = cs.add_parser("fault", help="a fault done to a node (its process, or its relay): "
                      "NODE MODE [k=v ...]", formatter_class=argparse.RawDescriptionHelpFormatter,
                      epilog="node modes: ok, stopped (SIGKILL), paused (SIGSTOP)\n"
                      "relay modes (the relay `up` runs in front of the node's RPC):\n"
                      + scenarionet_faults.describe(registry=relay.FAULTS))
    s.add_argument("node", help="a node name (val0, full0, ...)")
    s.add_argument("mode", help="one of: " + ", ".join(faults.modes()))
    s.add_argument("params", nargs="*", help="k=v parameters of the relay mode")
    s.add_argument("--dir", required=True)
    s.set_defaults(func=_guard(cmd_fault))
    s = cs.add_parser("fund", help="send stake from the local chain's faucet account to an "
                      "address (local chains only)")
    s.add_argument("address", help="a mycroft1... account address (e.g. `owner show`'s)")
    s.add_argument("amount", help="whole stake, e.g. 100000 or 100000stake")
    s.add_argument("--dir", required=True)
    s.set_defaults(func=_guard(cmd_fund))
    s = cs.add_parser("down", help="stop the running chain of a directory")
    s.add_argument("--dir", required=True)
    s.set_defaults(func=_guard(cmd_down))
