"""The block producer process: holds the validator keys, generates the history up to now, then
produces a live block whenever the wall clock reaches genesis + (h - 1) * interval. Blocks carry
no transactions: the device records the history writes are fixtures of its spec.

It serves the honest CometBFT RPC face plus the scenario network's internal methods (scenarionet_*)
on one loopback port; the nodes (lightclient/scenarionet/node.py) read the chain from here. The
spec alone fixes the chain, so a restart in the same directory rebuilds the same one.

    python -m lightclient.scenarionet.producer --dir DIR --spec SPEC_JSON
prints one line `READY {json}` on stdout when serving; exits on SIGTERM / SIGINT or when its
stdin closes (the launcher died).
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

from lightclient.scenarionet import chain_rpc, rpc
from lightclient.scenarionet.history import History, Spec


class ProducerHandler(rpc.BaseHandler):
    def _handle(self):
        self.serve_rpc(self.server.chain.call, b"scenarionet producer\n")


def produce_loop(history, stop):
    spec = history.spec
    while not stop.is_set():
        wait = (spec.time_at(history.height + 1) - time.time_ns()) / 1e9
        if wait > 0:
            stop.wait(min(wait, 0.5))
            continue
        history.append_block()


def watch_stdin(on_eof):
    """Call on_eof() when stdin closes: the launcher is gone (also after a SIGKILL)."""
    try:
        while sys.stdin.buffer.read(1):
            pass
    except (OSError, ValueError):
        pass
    on_eof()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="lightclient.scenarionet.producer")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--spec", required=True, help="spec JSON (genesis time fixed)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--watch-stdin", action="store_true")
    args = ap.parse_args(argv)
    stop = threading.Event()
    starting = [True]

    def on_signal(*_):
        if starting[0]:
            raise SystemExit(1)  # still generating the history: nothing to save, leave now
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.watch_stdin:  # from the start: generating weeks of history takes a while
        threading.Thread(target=watch_stdin, daemon=True,
                         args=(lambda: os.kill(os.getpid(), signal.SIGTERM),)).start()
    spec = Spec.from_json(json.loads(args.spec))
    history = History(spec, cache_dir=args.cache_dir or os.path.join(args.dir, "cache"))
    history.extend_to(max(2, spec.height_at(time.time_ns())))
    chain = chain_rpc.ChainRPC(history, "producer")
    srv = rpc.serve(ProducerHandler, args.port, chain=chain)
    chain.rpc_port = srv.server_address[1]
    starting[0] = False
    t = threading.Thread(target=produce_loop, args=(history, stop), daemon=True)
    t.start()
    sys.stdout.write("READY " + json.dumps({
        "port": srv.server_address[1], "latest_height": history.height,
        "generation_seconds": round(history.generation_seconds, 3),
        "loaded_from_cache": history.loaded_from_cache, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    stop.wait()
    # The cache first: the launcher kills what has not exited within its grace period, and on a
    # loaded machine the server's shutdown can eat most of it.
    t.join(timeout=2)
    try:
        history.save_cache()
    except OSError:
        pass
    srv.shutdown()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
