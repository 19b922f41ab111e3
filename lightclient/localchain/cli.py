"""`mycroft-lc chain up|status|down`: the local Cosmos SDK chain (docs/chain.md)."""

import json
import os
import signal
import sys
import threading

from lightclient.localchain import binary, genesis, network


def _emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def cmd_up(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    network.acquire_lock(d)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    net = None
    try:
        if not os.path.exists(os.path.join(d, "network.json")):
            genesis.build(d, args.validators, args.full_nodes, args.base_port)
        net = network.Network(d)
        net.start()
        for i in range(len(net.nodes)):       # every node serves block 1 before we report
            height = net.wait_for_height(1, timeout=args.start_timeout, node=i)
        for n in net.nodes:
            _emit({"node": n["name"], "validator": n["validator"], "cometbft_rpc": n["rpc"],
                   "grpc": n["grpc"], "rest": n["rest"]})
        _emit({"chain_id": net.info["chain_id"], "height": height, "pid": os.getpid(),
               "dir": d, "stop": "Ctrl-C or `mycroft-lc chain down --dir %s`" % d})
        try:
            while not stop.wait(0.5):
                net._check_processes()
        except KeyboardInterrupt:
            pass
    finally:
        if net is not None:
            net.stop()
        network.release_lock(d)
    return 0


def cmd_status(args):
    d = os.path.abspath(args.dir)
    _emit({"running_pid": network.running_pid(d), "nodes": network.status(d)})
    return 0


def cmd_down(args):
    _emit({"stopped_pid": network.down(os.path.abspath(args.dir))})
    return 0


def _guard(fn):
    def run(args):
        try:
            return fn(args)
        except binary.ChainError as e:
            _emit({"error": e.to_dict()})
            return 1
    return run


def register(sub):
    chain = sub.add_parser("chain", help="the local Cosmos SDK chain (mycroftd): up, status, down")
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
    s = cs.add_parser("down", help="stop the running chain of a directory")
    s.add_argument("--dir", required=True)
    s.set_defaults(func=_guard(cmd_down))
