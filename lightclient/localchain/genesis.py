"""Builds a local network directory with `mycroftd` itself: init every node, fund the
validators and test accounts (genesis add-genesis-account), one gentx per validator,
collect-gentxs, then the same genesis and peer list on every node.

Layout of D: D/<node>/ (a node home: config/, data/, keyring-test/ for validators),
D/client/ (the test accounts' keyring), D/network.json (what `chain up` and the tests read)."""

import base64
import json
import os
import random
import shutil
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from lightclient import runlock
from lightclient.atomic_file import write_atomic
from lightclient.localchain import binary
from lightclient.localchain.config_files import set_keys

CHAIN_ID = "mycroft-local-1"
DENOM = "stake"
ACCOUNT_FUNDS = 10 ** 12
SELF_DELEGATION = 10 ** 8
TEST_ACCOUNTS = ("owner", "alice", "bob", "faucet")   # faucet: `chain fund` (faucet.py)
# ports of node i: base + 10*i + offset
PORT_OFFSETS = {"p2p": 0, "rpc": 1, "grpc": 2, "api": 3, "relay": 4}
BLOCK_TIME = "300ms"


# Below Linux's ephemeral range (32768-60999), so no outgoing connection holds one of them.
PORT_RANGE = (20000, 32700, 100)
RESERVATIONS = os.path.join(tempfile.gettempdir(), "mycroft-lc-ports")
RESERVATION_S = 300.0


def _reserve(base):
    """Claims `base` across processes until the nodes have bound their ports: a file made with
    O_EXCL naming our PID; one left by a dead process or older than RESERVATION_S is taken over.
    (Checking that a port is free and binding it seconds later races with any other network
    started meanwhile: two test workers, two engineers.)"""
    os.makedirs(RESERVATIONS, exist_ok=True)
    path = os.path.join(RESERVATIONS, str(base))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    pid = int(f.read() or 0)
                stale = (not runlock.pid_alive(pid)
                         or time.time() - os.stat(path).st_mtime > RESERVATION_S)
            except (OSError, ValueError):
                stale = True
            if not stale:
                return False
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return True
    return False


def free_base_port(nodes, tries=50):
    """A base port whose P2P/RPC/gRPC/REST/relay ports for every node are free on 127.0.0.1 and
    reserved for this process (tests and benchmarks: other networks may run on this machine)."""
    for _ in range(tries):
        base = random.randrange(*PORT_RANGE)
        if base + 10 * nodes > PORT_RANGE[1] or not _reserve(base):
            continue
        socks = []
        try:
            for i in range(nodes):
                for off in PORT_OFFSETS.values():
                    s = socket.socket()
                    socks.append(s)
                    s.bind(("127.0.0.1", base + 10 * i + off))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise binary.ChainError("no_free_ports", "no free port range found", tries=tries)


def node_names(validators, full_nodes):
    return ["val%d" % i for i in range(validators)] + ["full%d" % i for i in range(full_nodes)]


def _keys_add(name, home):
    out = binary.run(["keys", "add", name, "--keyring-backend", "test", "--output", "json"],
                     home=home, json_out=True)
    return out["address"]


def _init_node(d, name, i, base_port):
    home = os.path.join(d, name)
    binary.run(["init", name, "--chain-id", CHAIN_ID, "--default-denom", DENOM], home=home)
    node_id = binary.run(["comet", "show-node-id"], home=home).strip()
    ports = {k: base_port + 10 * i + off for k, off in PORT_OFFSETS.items()}
    address = _keys_add(name, home) if name.startswith("val") else None
    return {"name": name, "home": home, "validator": address is not None, "address": address,
            "node_id": node_id, "ports": ports,
            "rpc": "http://127.0.0.1:%d" % ports["rpc"],
            "grpc": "127.0.0.1:%d" % ports["grpc"],
            "rest": "http://127.0.0.1:%d" % ports["api"],
            "relay": "http://127.0.0.1:%d" % ports["relay"]}


def _configure(node, peers, block_time=BLOCK_TIME):
    cfg = os.path.join(node["home"], "config")
    p = node["ports"]
    set_keys(os.path.join(cfg, "config.toml"), {
        ("rpc", "laddr"): "tcp://127.0.0.1:%d" % p["rpc"],
        ("rpc", "pprof_laddr"): "",
        ("p2p", "laddr"): "tcp://127.0.0.1:%d" % p["p2p"],
        ("p2p", "persistent_peers"): ",".join(x for x in peers if not x.startswith(node["node_id"])),
        ("p2p", "addr_book_strict"): False,
        ("p2p", "allow_duplicate_ip"): True,
        ("consensus", "timeout_commit"): block_time,
        ("consensus", "timeout_propose"): "1s",
    })
    set_keys(os.path.join(cfg, "app.toml"), {
        ("", "minimum-gas-prices"): "0" + DENOM,
        ("", "pruning"): "nothing",
        # on goleveldb every query touching a never-written store (feegrant, authz, ...)
        # failed "version does not exist"; pebbledb works (docs/chain.md)
        ("", "app-db-backend"): "pebbledb",
        ("api", "enable"): True,
        ("api", "address"): "tcp://127.0.0.1:%d" % p["api"],
        ("grpc", "enable"): True,
        ("grpc", "address"): "127.0.0.1:%d" % p["grpc"],
    })


def _set_unbonding(path, seconds):
    """The staking module's unbonding time in genesis (tests shorten it; the light client's
    trusting period must stay below it, read from verified state)."""
    with open(path) as f:
        doc = json.load(f)
    doc["app_state"]["staking"]["params"]["unbonding_time"] = "%ds" % seconds
    write_atomic(path, json.dumps(doc, indent=1).encode())


def _set_voting_period(path, seconds):
    """x/gov's voting period in genesis (tests shorten it to see a final tally); the expedited
    one must stay below it (the SDK's genesis validation)."""
    with open(path) as f:
        doc = json.load(f)
    params = doc["app_state"]["gov"]["params"]
    params["voting_period"] = "%ds" % seconds
    params["expedited_voting_period"] = "%dms" % (seconds * 500)
    write_atomic(path, json.dumps(doc, indent=1).encode())


def _set_usage(path, usage):
    """x/usage's genesis (docs/usage-tokens.md): {"epoch_seconds": n, "issuer_modulus": bytes,
    "issuer_exponent": e}, each optional (tests shorten the epoch and set a first issuer key)."""
    with open(path) as f:
        doc = json.load(f)
    gs = doc["app_state"]["usage"]
    if "epoch_seconds" in usage:
        gs["params"]["epoch_seconds"] = str(int(usage["epoch_seconds"]))
    if "issuer_modulus" in usage:
        gs["issuer_key"] = {"modulus": base64.b64encode(usage["issuer_modulus"]).decode(),
                            "exponent": int(usage.get("issuer_exponent", 65537))}
    write_atomic(path, json.dumps(doc, indent=1).encode())


def build(d, validators=4, full_nodes=3, base_port=36600, unbonding_s=None,
          block_time=BLOCK_TIME, voting_period_s=None, usage=None):
    """Creates the network in the empty (or absent) directory d; returns network.json's dict.
    unbonding_s: the staking unbonding time (the SDK's default, 21 days, when None);
    block_time: CometBFT's timeout_commit; voting_period_s: x/gov's voting period (the SDK's
    default, 2 days, when None); usage: x/usage's genesis (_set_usage)."""
    if validators < 1 or full_nodes < 0:
        raise binary.ChainError("chain_shape", "need at least one validator",
                                validators=validators, full_nodes=full_nodes)
    names = node_names(validators, full_nodes)
    taken = [x for x in names + ["client", "network.json"] if os.path.exists(os.path.join(d, x))]
    if taken:
        raise binary.ChainError("dir_not_empty", "the chain directory holds another network",
                                dir=d, found=taken[0])
    os.makedirs(d, exist_ok=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        nodes = list(pool.map(lambda a: _init_node(d, a[1], a[0], base_port), enumerate(names)))
    client = os.path.join(d, "client")
    accounts = [{"name": n, "address": _keys_add(n, client)} for n in TEST_ACCOUNTS]
    vals = [n for n in nodes if n["validator"]]
    home0 = vals[0]["home"]
    for a in [{"address": v["address"]} for v in vals] + accounts:
        binary.run(["genesis", "add-genesis-account", a["address"],
                    "%d%s" % (ACCOUNT_FUNDS, DENOM)], home=home0)
    funded = os.path.join(home0, "config", "genesis.json")
    for v in vals[1:]:
        shutil.copy(funded, os.path.join(v["home"], "config", "genesis.json"))

    def gentx(v):
        binary.run(["genesis", "gentx", v["name"], "%d%s" % (SELF_DELEGATION, DENOM),
                    "--chain-id", CHAIN_ID, "--keyring-backend", "test"], home=v["home"])
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(gentx, vals))
    gentx_dir = os.path.join(home0, "config", "gentx")
    for v in vals[1:]:
        src = os.path.join(v["home"], "config", "gentx")
        for f in os.listdir(src):
            shutil.copy(os.path.join(src, f), gentx_dir)
    binary.run(["genesis", "collect-gentxs"], home=home0)
    final = os.path.join(home0, "config", "genesis.json")
    if unbonding_s is not None:
        _set_unbonding(final, unbonding_s)
    if voting_period_s is not None:
        _set_voting_period(final, voting_period_s)
    if usage:
        _set_usage(final, usage)
    peers = ["%s@127.0.0.1:%d" % (n["node_id"], n["ports"]["p2p"]) for n in nodes]
    for n in nodes:
        if n["home"] != home0:
            shutil.copy(final, os.path.join(n["home"], "config", "genesis.json"))
        _configure(n, peers, block_time)
    network = {"chain_id": CHAIN_ID, "denom": DENOM, "nodes": nodes, "accounts": accounts,
               "client_home": client}
    path = os.path.join(d, "network.json")     # written last, whole: its presence means built
    write_atomic(path, json.dumps(network, indent=1).encode())
    return network
