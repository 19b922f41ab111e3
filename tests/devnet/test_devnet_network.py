"""The devnet over real sockets: CometBFT 0.38 shapes, verification of what it serves with the
core, proofs, transactions, every fault mode, evidence, and clean start / stop (also via CLI)."""

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest

from lightclient import native
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core import rpcjson, verifier
from lightclient.chip.core import proof_chain
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.devnet.launcher import REPO, Devnet

VECTORS = os.path.join(REPO, "..", "shared", "vectors", "cometbft", "rpc", "kvstore-v0.38")
SECOND = 10**9
DAY = 86400 * SECOND


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    d = tmp_path_factory.mktemp("devnet")
    # 1 s blocks, a day and a bit of history with 30 % churn: validator-set changes happen.
    with Devnet(str(d), validators=7, peers=4, history_blocks=90000, block_interval_s=1,
                churn_per_day=0.3) as n:
        yield n


# --- helpers ------------------------------------------------------------------------------------

def _hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def get(url, path, timeout=10):
    """(status, parsed JSON body) of a GET."""
    conn = http.client.HTTPConnection(*_hostport(url), timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def post(url, method, params=None, rpc_id=7, raw=None, timeout=10):
    conn = http.client.HTTPConnection(*_hostport(url), timeout=timeout)
    try:
        body = raw if raw is not None else json.dumps(
            {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params or {}}).encode()
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if r.status == 200 else data)
    finally:
        conn.close()


def result(url, method, **params):
    status, env = post(url, method, {k: str(v) if isinstance(v, int) and not isinstance(v, bool)
                                     else v for k, v in params.items()})
    assert status == 200 and "error" not in env, env
    return env["result"]


def light_block(url, height):
    c = result(url, "commit", height=height)
    v = result(url, "validators", height=height, per_page=100)
    nv = result(url, "validators", height=height + 1, per_page=100)
    return rpcjson.light_block_from_json(c["signed_header"], v, nv)


def same_shape(ours, recorded, path="$"):
    """Every key of the recorded answer is in ours with the same JSON type (recursively)."""
    if isinstance(recorded, dict):
        assert isinstance(ours, dict), path
        for k, v in recorded.items():
            assert k in ours, "%s.%s missing" % (path, k)
            if v is not None and ours[k] is not None:
                same_shape(ours[k], v, path + "." + k)
    elif isinstance(recorded, list):
        assert isinstance(ours, list), path
        if recorded and ours:
            same_shape(ours[0], recorded[0], path + "[0]")
    else:
        assert type(ours) is type(recorded), "%s: %r vs %r" % (path, ours, recorded)


def vector(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def options():
    return verifier.Options(trusting_period_ns=14 * DAY)


def now_ns():
    return time.time_ns()


class fault:
    """with fault(net, "peer1", "5xx"): ... (back to ok afterwards)."""

    def __init__(self, net, node, mode, **params):
        self.net, self.node, self.mode, self.params = net, node, mode, params

    def __enter__(self):
        return self.net.fault(self.node, self.mode, **self.params)

    def __exit__(self, *exc):
        self.net.fault(self.node, "ok")


def record_query(url, uuid, height, style="post"):
    key = txs.record_key(uuid)
    if style == "get":
        status, env = get(url, "/abci_query?path=%%22%s%%22&data=0x%s&height=%d&prove=true"
                          % (txs.QUERY_PATH, key.hex(), height))
        assert status == 200
        return env["result"]["response"]
    return result(url, "abci_query", path=txs.QUERY_PATH, data=key.hex(), height=height,
                  prove=True)["response"]


def verify_query(resp, app_hash, uuid):
    ops = [(op["type"], base64.b64decode(op["key"]), base64.b64decode(op["data"]))
           for op in resp["proofOps"]["ops"]]
    value = base64.b64decode(resp["value"]) if resp["value"] is not None else None
    proof_chain.verify_abci_proof_ops(ops, app_hash, ["devices", txs.record_key(uuid)], value)
    return value


# --- shapes and verification ----------------------------------------------------------------------

def test_status_matches_cometbft_shape(net):
    status, env = get(net.central_url, "/status")
    assert status == 200 and env["id"] == -1
    same_shape(env["result"], vector("status.json")["result"])
    si = env["result"]["sync_info"]
    assert env["result"]["node_info"]["network"] == net.chain_id == "mycroft-devnet-1"
    assert int(si["latest_block_height"]) >= 90000 and si["earliest_block_height"] == "1"
    rpcjson.parse_rfc3339_ns(si["latest_block_time"])


def test_commit_and_validators_shapes(net):
    status, env = get(net.central_url, "/commit?height=10")
    assert status == 200
    same_shape(env["result"], vector("commit_at_height_10.json")["result"])
    assert env["result"]["canonical"] is True
    r = result(net.central_url, "validators", height=10, page=1, per_page=3)
    assert (r["count"], r["total"], r["block_height"]) == ("3", "7", "10")
    r3 = result(net.central_url, "validators", height=10, page=3, per_page=3)
    assert r3["count"] == "1"
    status, env = post(net.central_url, "validators", {"height": "10", "page": "4",
                                                       "per_page": "3"})
    assert env["error"]["data"] == "page should be within [1, 3] range, given 4"
    full = result(net.central_url, "validators", height=10)
    assert full["count"] == full["total"] == "7"
    hdr = result(net.central_url, "header", height=10)["header"]
    assert hdr == env_commit_header(net, 10)


def env_commit_header(net, h):
    return result(net.central_url, "commit", height=h)["signed_header"]["header"]


def test_light_blocks_over_http_verify_and_chain(net):
    checker = CachingChecker(native.verify)
    latest = net.latest_height()
    lb1 = light_block(net.central_url, 1)
    state = verifier.TrustedState(lb1.header, lb1.next_validators, lb1.validators)
    prev = lb1
    for h in (2, 3, 4):
        lb = light_block(net.peer_urls[h % 4], h)
        assert lb.header.last_block_id.hash == prev.header.hash()
        state = verifier.verify_step(state, lb, options(), now_ns(), checker)
        prev = lb
    # Skip to the latest block, fetched with URI (GET) requests this time.
    _, c = get(net.peer_urls[0], "/commit?height=%d" % latest)
    _, v = get(net.peer_urls[0], "/validators?height=%d&per_page=100" % latest)
    lb = rpcjson.light_block_from_json(c["result"]["signed_header"], v["result"])
    state = verifier.verify_step(state, lb, options(), now_ns(), checker)
    assert state.header.height == latest
    # The latest commit is the node's "seen commit", as CometBFT marks it.
    _, c = get(net.central_url, "/commit")
    assert int(c["result"]["signed_header"]["header"]["height"]) >= latest


def test_abci_query_proofs_verify_against_next_header(net):
    h = net.latest_height() - 1
    app_hash = rpcjson.hex_decode(env_commit_header(net, h + 1)["app_hash"])
    for style in ("get", "post"):
        resp = record_query(net.central_url, "hist-device-0", h, style)
        assert resp["code"] == 0 and resp["height"] == str(h)
        rec = txs.decode_record(verify_query(resp, app_hash, "hist-device-0"))
        assert rec["setting"]["lang"] == "de-de"
    resp = record_query(net.central_url, "nobody-here", h)
    assert resp["value"] is None and resp["proofOps"]["ops"]
    assert verify_query(resp, app_hash, "nobody-here") is None
    same_shape({"response": resp}, vector("abci_query_with_non_existent_key.json")["result"])
    same_shape({"response": record_query(net.central_url, "hist-device-0", h)},
               vector("abci_query_with_existing_key.json")["result"])
    # Against the header of H itself (state before block H) the proof does not verify
    # unless nothing changed; use a height where block H+1's app hash differs: height 5.
    resp = record_query(net.central_url, "hist-device-0", 5)
    with pytest.raises(LightClientError):
        verify_query(resp, rpcjson.hex_decode(env_commit_header(net, 5)["app_hash"]),
                     "hist-device-0")
    verify_query(resp, rpcjson.hex_decode(env_commit_header(net, 6)["app_hash"]),
                 "hist-device-0")


def test_rpc_errors_as_cometbft_writes_them(net):
    latest = net.latest_height()
    status, env = get(net.central_url, "/commit?height=%d" % (latest + 1000))
    assert status == 500 and env["error"]["code"] == -32603
    assert "must be less than or equal to the current blockchain height" in env["error"]["data"]
    status, env = post(net.central_url, "commit", {"height": str(latest + 1000)}, rpc_id="x")
    assert status == 200 and env["id"] == "x" and env["error"]["message"] == "Internal error"
    status, env = post(net.central_url, "no_such_method")
    assert env["error"]["code"] == -32601
    status, env = post(net.central_url, None, raw=b"{not json")
    assert env["error"]["code"] == -32700
    # A body declared over 1 MiB is refused before it is read.
    s = socket.create_connection(_hostport(net.central_url), timeout=5)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{" % (2 << 20))
    assert s.recv(100).startswith(b"HTTP/1.1 413")
    s.close()


def test_params_of_the_wrong_type_get_an_error_answer(net):
    # A path that is not a string used to drop the connection without an answer (an uncaught
    # AttributeError); CometBFT answers invalid params.
    bad = {"path": 5, "data": "00"}
    for url in (net.producer_url, net.central_url):
        status, env = post(url, "abci_query", bad)
        assert status == 200 and env["error"]["code"] == -32602, env
    with fault(net, "peer3", "lunatic"):
        status, env = post(net.peer_urls[2], "abci_query", bad)
        assert status == 200 and env["error"]["code"] == -32602, env
        status, env = post(net.peer_urls[2], "abci_query", {"path": txs.QUERY_PATH,
                                                             "data": "zz"})
        assert env["error"]["code"] == -32602, env
    status, env = post(net.central_url, "abci_query", {"path": txs.QUERY_PATH, "data": 5})
    assert env["error"]["code"] == -32602, env


def test_net_info_lists_the_other_nodes(net):
    r = result(net.peer_urls[1], "net_info")
    addrs = sorted(p["node_info"]["other"]["rpc_address"] for p in r["peers"])
    others = [net.central_url] + [u for i, u in enumerate(net.peer_urls) if i != 1]
    assert addrs == sorted("tcp://" + u[len("http://"):] for u in others)
    assert r["n_peers"] == "4" and all(p["remote_ip"] == "127.0.0.1" for p in r["peers"])


def test_transactions_change_state(net):
    owner, device = b"\x11" * 32, b"\x12" * 32
    h = net.register_device("test-dev-1", ed25519.public_key(device), owner,
                            setting={"lang": "fr-fr"})
    net.wait_height(h + 1, timeout=15)
    app_hash = rpcjson.hex_decode(env_commit_header(net, h + 1)["app_hash"])
    rec = txs.decode_record(verify_query(record_query(net.central_url, "test-dev-1", h),
                                         app_hash, "test-dev-1"))
    assert rec["setting"] == {"lang": "fr-fr"} and rec["version"] == 1
    assert record_query(net.central_url, "test-dev-1", h - 1)["value"] is None
    h2 = net.set_settings("test-dev-1", owner, lang="es-es", system_unit="metric")
    rec = net.record("test-dev-1", h2)
    assert rec["setting"] == {"lang": "es-es", "system_unit": "metric"} and rec["version"] == 2
    # CheckTx refusals come back with a code and the check that failed.
    tx = txs.build_tx(net.chain_id, txs.UPDATE, {"uuid": "test-dev-1", "set": {"skills": []}},
                      1, ed25519.public_key(device), txs.seed_signer(device))
    r = result(net.central_url, "broadcast_tx_sync", tx=base64.b64encode(tx).decode())
    assert r["code"] != 0 and "owner" in r["log"] and len(r["hash"]) == 64
    status, env = get(net.central_url, "/broadcast_tx_sync?tx=0x" + b"{}".hex())
    assert status == 200 and env["result"]["code"] != 0


# --- fault modes ------------------------------------------------------------------------------

def test_down_refuses_then_recovers(net):
    host, port = _hostport(net.peer_urls[0])
    with fault(net, "peer1", "down"):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=2).close()
        assert net.fault_state("peer1")["mode"] == "down"  # the control port still answers
    assert get(net.peer_urls[0], "/health")[0] == 200


def test_blackholed_accepts_and_never_answers(net):
    with fault(net, "peer2", "blackholed"):
        s = socket.create_connection(_hostport(net.peer_urls[1]), timeout=2)
        s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(0.7)
        with pytest.raises(socket.timeout):
            s.recv(1)
        s.close()


def test_slow_trickles_bytes(net):
    with fault(net, "peer3", "slow", delay_s=0.05):
        s = socket.create_connection(_hostport(net.peer_urls[2]), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        t = time.monotonic()
        got = b""
        while len(got) < 12:
            got += s.recv(100)
        assert got.startswith(b"HTTP/1.1 200")
        assert time.monotonic() - t > 0.3  # 12 bytes at 50 ms each
        s.close()


def test_5xx_garbage_oversized(net):
    url = net.peer_urls[3]
    with fault(net, "peer4", "5xx"):
        conn = http.client.HTTPConnection(*_hostport(url), timeout=5)
        conn.request("GET", "/status")
        assert conn.getresponse().status == 503
        conn.close()
    with fault(net, "peer4", "garbage"):
        conn = http.client.HTTPConnection(*_hostport(url), timeout=5)
        conn.request("GET", "/status")
        r = conn.getresponse()
        with pytest.raises(ValueError):
            json.loads(r.read())
        conn.close()
    with fault(net, "peer4", "oversized"):
        conn = http.client.HTTPConnection(*_hostport(url), timeout=5)
        conn.request("GET", "/status")
        r = conn.getresponse()
        assert int(r.getheader("Content-Length")) >= 50 * 1024 * 1024
        assert len(r.read(1 << 20)) == 1 << 20
        conn.close()
    assert get(url, "/status")[0] == 200


def test_a_faulty_node_answers_an_oversized_body_once(net):
    # 413 and nothing after it (the fault's answer used to follow on the same connection).
    with fault(net, "peer4", "5xx"):
        s = socket.create_connection(_hostport(net.peer_urls[3]), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{" % (2 << 20))
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        s.close()
    assert got.startswith(b"HTTP/1.1 413") and got.count(b"HTTP/1.1 ") == 1, got


def test_forged_signatures_fail_verification(net):
    h = net.latest_height() - 1
    with fault(net, "peer1", "forged_signatures"):
        lb = light_block(net.peer_urls[0], h)
    honest = light_block(net.central_url, h)
    assert lb.header.hash() == honest.header.hash()
    with pytest.raises(LightClientError):
        verifier.verify_commit_full(net.chain_id, lb.signed_header, lb.validators,
                                    CachingChecker(native.verify))


def test_minority_fork_is_signed_by_less_than_a_third(net):
    with fault(net, "peer2", "minority_fork") as st:
        fh = st["params"]["fork_height"]
        lb = light_block(net.peer_urls[1], fh)
        stat = get(net.peer_urls[1], "/status")[1]["result"]["sync_info"]
    honest = light_block(net.central_url, fh)
    assert lb.header.height == fh and lb.header.hash() != honest.header.hash()
    at = int(stat["latest_block_height"])
    assert at >= fh and stat["latest_block_hash"] != result(net.central_url, "commit", height=at)[
        "signed_header"]["commit"]["block_id"]["hash"]
    signed = sum(v.voting_power for v, s in zip(lb.validators.validators, lb.commit.signatures)
                 if s.flag == 2)
    assert 0 < 3 * signed < lb.validators.total_power
    trusted = light_block(net.central_url, fh - 1)
    state = verifier.TrustedState(trusted.header, trusted.next_validators, trusted.validators)
    with pytest.raises(LightClientError):
        verifier.verify_step(state, lb, options(), now_ns(), CachingChecker(native.verify))


def evidence_json(commit_result, validators_result, common_height):
    vals = validators_result["validators"]
    total = sum(int(v["voting_power"]) for v in vals)
    return {"type": "tendermint/LightClientAttackEvidence", "value": {
        "conflicting_block": {"signed_header": commit_result["signed_header"],
                              "validator_set": {"validators": vals, "proposer": vals[0],
                                                "total_voting_power": str(total)}},
        "common_height": str(common_height), "byzantine_validators": vals,
        "total_voting_power": str(total),
        "timestamp": commit_result["signed_header"]["header"]["time"]}}


def test_lunatic_attack_fools_a_skipping_client_and_evidence_is_recorded(net):
    latest = net.latest_height()
    changes = [int(x) for x in net._call("devnet_info")["change_heights"]]
    assert changes and changes[0] < latest - 10
    signer = changes[0] - 1  # a set that has changed since
    with fault(net, "peer3", "lunatic", signer_height=signer, fork_height=latest - 2,
               setting={"lang": "xx-evil"}) as st:
        fh = st["params"]["fork_height"]
        url = net.peer_urls[2]
        lb = light_block(url, latest - 1)
        forged_commit = result(url, "commit", height=latest - 1)
        forged_vals = result(url, "validators", height=latest - 1, per_page=100)
        resp = record_query(url, "hist-device-0", latest - 2)
        app_hash = light_block(url, latest - 1).header.app_hash
    honest = light_block(net.central_url, latest - 1)
    assert lb.header.hash() != honest.header.hash()
    trusted = light_block(net.central_url, signer)
    assert lb.header.validators_hash == trusted.validators.hash() == lb.header.next_validators_hash
    assert lb.header.validators_hash != honest.header.validators_hash
    # A client that trusts height `signer` accepts the forged block by skipping ...
    state = verifier.TrustedState(trusted.header, trusted.next_validators, trusted.validators)
    state = verifier.verify_step(state, lb, options(), now_ns(), CachingChecker(native.verify))
    # ... and the forged state proves the attacker's settings against the forged app hash.
    rec = txs.decode_record(verify_query(resp, app_hash, "hist-device-0"))
    assert rec["setting"]["lang"] == "xx-evil"
    # Evidence of it, sent to the honest central node, is checked and recorded.
    ev = evidence_json(forged_commit, forged_vals, fh - 1)
    r = result(net.central_url, "broadcast_evidence", evidence=ev)
    assert len(r["hash"]) == 64
    got = net.evidence("central")
    assert got and got[-1]["hash"] == r["hash"] and got[-1]["height"] == latest - 1
    # Submitted again (a client retrying), it is answered the same and recorded once.
    assert result(net.central_url, "broadcast_evidence", evidence=ev) == r
    assert len(net.evidence("central")) == len(got)
    # Evidence whose "conflicting" header is the honest one is refused.
    honest_ev = evidence_json(result(net.central_url, "commit", height=latest - 1),
                              result(net.central_url, "validators", height=latest - 1,
                                     per_page=100), fh - 1)
    status, env = post(net.central_url, "broadcast_evidence", {"evidence": honest_ev})
    assert "same as the block" in env["error"]["data"]
    status, env = post(net.central_url, "broadcast_evidence", {"evidence": {"type": "x"}})
    assert env["error"]["code"] == -32602


def test_a_node_keeps_a_bounded_evidence_record():
    from lightclient.devnet import rpc
    records = []
    for i in range(rpc.MAX_EVIDENCE + 10):
        rpc.keep_evidence(records, {"hash": "%064X" % i})
    rpc.keep_evidence(records, {"hash": "%064X" % (rpc.MAX_EVIDENCE + 9)})
    assert len(records) == rpc.MAX_EVIDENCE and records[-1]["hash"] == "%064X" % (
        rpc.MAX_EVIDENCE + 9) and records[0]["hash"] == "%064X" % 10


def test_future_header_is_validly_signed_but_ahead(net):
    with fault(net, "peer4", "future", offset_s=7200):
        c = result(net.peer_urls[3], "commit")
    sh = rpcjson.signed_header_from_json(c["signed_header"])
    assert sh.header.time_ns > now_ns() + 3600 * SECOND
    vals = rpcjson.validator_set_from_json(result(net.central_url, "validators",
                                                  height=sh.header.height, per_page=100))
    verifier.verify_commit_full(net.chain_id, sh, vals, CachingChecker(native.verify))
    trusted = light_block(net.central_url, sh.header.height - 1)
    state = verifier.TrustedState(trusted.header, trusted.next_validators, trusted.validators)
    with pytest.raises(LightClientError) as e:
        verifier.verify_step(state, rpcjson.light_block_from_json(
            c["signed_header"], result(net.central_url, "validators", height=sh.header.height,
                                       per_page=100)), options(), now_ns())
    assert e.value.check == "header_from_future"


def test_stale_node_is_frozen(net):
    latest = net.latest_height()
    with fault(net, "peer1", "stale", height=latest - 10):
        si = get(net.peer_urls[0], "/status")[1]["result"]["sync_info"]
        assert si["latest_block_height"] == str(latest - 10)
        status, env = get(net.peer_urls[0], "/commit?height=%d" % (latest - 5))
        assert status == 500 and "current blockchain height %d" % (latest - 10) in \
            env["error"]["data"]
        c = result(net.peer_urls[0], "commit")
        assert c["signed_header"]["header"]["height"] == str(latest - 10)


def test_wrong_proofs_do_not_verify(net):
    h = net.latest_height() - 1
    app_hash = light_block(net.central_url, h + 1).header.app_hash
    for variant in ("value", "proof"):
        with fault(net, "peer2", "wrong_proofs", variant=variant):
            resp = record_query(net.peer_urls[1], "hist-device-1", h)
        with pytest.raises(LightClientError):
            verify_query(resp, app_hash, "hist-device-1")
    verify_query(record_query(net.peer_urls[1], "hist-device-1", h), app_hash, "hist-device-1")


def test_a_fault_switch_is_seen_whole_by_request_threads():
    # Request threads read the fault mode while the control port switches it: after every
    # single assignment the node must be answerable, never a new mode with the old params.
    from lightclient.devnet import history, node as nodemod
    seen = []

    class Watched(nodemod.Node):
        watching = False

        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)
            if self.watching:
                seen.append((self.mode, dict(self.params)))

    class Up:
        def latest(self):
            return 50

    n = Watched("peer9", "http://127.0.0.1:9", history.Spec())
    n.up, n._listener = Up(), lambda want_open: None
    Watched.watching = True
    assert n.set_fault("stale", {})["params"] == {"height": 45}
    assert seen and seen[-1] == ("stale", {"height": 45})
    assert all(mode != "stale" or "height" in params for mode, params in seen), seen


def test_unknown_fault_mode_is_refused(net):
    with pytest.raises(Exception) as e:
        net.fault("peer1", "teleport")
    assert "unknown mode" in str(e.value)


# --- processes ----------------------------------------------------------------------------------

def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _cli(d, *args, **kw):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "lightclient.devnet.cli", "devnet"] + list(args)
                          + ["--dir", d], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, **kw)


def _up(d):
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "lightclient.devnet.cli", "devnet", "up", "--dir", d,
                          "--validators", "4", "--peers", "1", "--history-days", "0.002",
                          "--block-interval", "1", "--json"], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, text=True)
    lines = []
    while True:
        line = p.stdout.readline()
        assert line, "devnet up exited early"
        lines.append(line)
        if line.startswith("}"):
            break
    info = json.loads("".join(lines))
    pids = [info["producer"]["pid"]] + [n["pid"] for n in info["nodes"].values()]
    return p, info, pids


def test_cli_up_status_fault_down_leaves_no_process(tmp_path):
    d = str(tmp_path / "dn")
    p, info, pids = _up(d)
    try:
        assert all(_alive(x) for x in pids)
        r = _cli(d, "status", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["nodes"]["peer1"]["mode"] == "ok"
        r = _cli(d, "fault", "peer1", "stale", "height=3")
        assert r.returncode == 0 and "stale" in r.stdout
        r = _cli(d, "down")
        assert r.returncode == 0, r.stderr
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
    assert _wait_gone(pids) == []


def _pids_with(text):
    """Processes whose command line contains `text` (the devnet directory)."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read() and _alive(int(pid)):
                    out.append(int(pid))
        except (OSError, ValueError):
            pass
    return out


def test_ctrl_c_while_starting_stops_at_once(tmp_path):
    # Weeks of history take a while to generate; Ctrl-C must not wait for the start to finish.
    d = str(tmp_path / "dn-interrupted")
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "lightclient.devnet.cli", "devnet", "up", "--dir", d,
                          "--history-days", "60", "--peers", "1"], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(d, "logs", "producer.log")):
            assert p.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(p.pid, signal.SIGINT)
        assert p.wait(timeout=8) == 130
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "interrupted while starting" in p.stderr.read()
    deadline = time.monotonic() + 10
    while _pids_with(d) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pids_with(d) == []


def test_a_producer_orphaned_while_generating_exits_at_once(tmp_path):
    # Its stdin closes (the launcher died) long before 60 days of history are generated.
    from lightclient.devnet.history import Spec
    spec = Spec(genesis_time_ns=time.time_ns() - 60 * DAY)
    env = dict(os.environ, PYTHONPATH=REPO)
    p = subprocess.Popen([sys.executable, "-m", "lightclient.devnet.producer", "--dir", str(tmp_path),
                          "--spec", json.dumps(spec.to_json()), "--watch-stdin"], cwd=REPO,
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.close()
    try:
        p.wait(timeout=8)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.stdout.read() == b""  # never got to READY
    p.stdout.close()


def test_children_exit_when_the_launcher_is_killed(tmp_path):
    p, info, pids = _up(str(tmp_path / "dn"))
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert _wait_gone(pids) == []


def test_restart_in_the_same_directory_continues_the_same_chain(tmp_path):
    d = str(tmp_path / "dn")
    kw = dict(validators=4, peers=1, history_blocks=30, block_interval_s=1)
    with Devnet(d, **kw) as n1:
        h = n1.register_device("restart-1", ed25519.public_key(b"\x22" * 32), b"\x21" * 32)
        n1.wait_height(h + 1)
        before = n1.checkpoint(h + 1)
    with Devnet(d, **kw) as n2:
        assert n2.info["loaded_from_cache"] >= h + 1
        assert n2.checkpoint(h + 1) == before
        assert n2.record("restart-1")["uuid"] == "restart-1"
    with Devnet(d, fresh=True, **kw) as n3:
        assert n3.record("restart-1") is None


def test_restart_with_a_fixed_genesis_time_keeps_the_transactions(tmp_path):
    # Benchmarks fix the genesis time; the same spec in the same directory is the same chain,
    # whose transaction log must be replayed, not deleted as another chain's.
    d = str(tmp_path / "dn")
    kw = dict(validators=4, peers=0, block_interval_s=1,
              genesis_time_ns=(time.time_ns() // SECOND - 20) * SECOND)
    with Devnet(d, **kw) as n1:
        h = n1.register_device("restart-2", ed25519.public_key(b"\x24" * 32), b"\x23" * 32)
        n1.wait_height(h + 1)
        before = n1.checkpoint(h + 1)
    with Devnet(d, **kw) as n2:
        assert n2.checkpoint(h + 1) == before
        assert n2.record("restart-2")["uuid"] == "restart-2"
