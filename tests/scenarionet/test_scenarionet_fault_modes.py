"""Every fault mode of a scenario network node observed over raw sockets / http.client and with the core's
verifier; evidence; fault switches seen whole; wrong faults refused with a typed reason."""

import http.client
import json
import socket
import time

import pytest

from lightclient import native
from lightclient.chip import txs
from lightclient.chip.core import rpcjson, verifier
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from scenarionet_helpers import (fault, get, hostport, light_block, now_ns, options, post,
                           record_query, result, SECOND, verify_query)


def test_down_refuses_then_recovers(net):
    host, port = hostport(net.peer_urls[0])
    with fault(net, "peer1", "down"):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=2).close()
        assert net.fault_state("peer1")["mode"] == "down"  # the control port still answers
    assert get(net.peer_urls[0], "/health")[0] == 200


def test_blackholed_accepts_and_never_answers(net):
    with fault(net, "peer2", "blackholed"):
        s = socket.create_connection(hostport(net.peer_urls[1]), timeout=2)
        s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(0.7)
        with pytest.raises(socket.timeout):
            s.recv(1)
        s.close()


def test_slow_trickles_bytes(net):
    with fault(net, "peer3", "slow", delay_s=0.05):
        s = socket.create_connection(hostport(net.peer_urls[2]), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        t = time.monotonic()
        got = b""
        while len(got) < 12:
            got += s.recv(100)
        assert got.startswith(b"HTTP/1.1 200")
        assert time.monotonic() - t > 0.3  # 12 bytes at 50 ms each
        s.close()


def test_slow_latency_holds_the_first_byte_then_sends_whole(net):
    with fault(net, "peer3", "slow", latency_s=0.6, delay_s=0, bytes_per_step=1 << 20):
        s = socket.create_connection(hostport(net.peer_urls[2]), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        t = time.monotonic()
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(1)  # nothing yet: the node is far away
        s.settimeout(5)
        got = s.recv(100)
        assert got.startswith(b"HTTP/1.1 200") and time.monotonic() - t > 0.5
        s.close()


def test_5xx_garbage_oversized(net):
    url = net.peer_urls[3]
    with fault(net, "peer4", "5xx"):
        conn = http.client.HTTPConnection(*hostport(url), timeout=5)
        conn.request("GET", "/status")
        assert conn.getresponse().status == 503
        conn.close()
    with fault(net, "peer4", "garbage"):
        conn = http.client.HTTPConnection(*hostport(url), timeout=5)
        conn.request("GET", "/status")
        r = conn.getresponse()
        with pytest.raises(ValueError):
            json.loads(r.read())
        conn.close()
    with fault(net, "peer4", "oversized"):
        conn = http.client.HTTPConnection(*hostport(url), timeout=5)
        conn.request("GET", "/status")
        r = conn.getresponse()
        assert int(r.getheader("Content-Length")) >= 50 * 1024 * 1024
        assert len(r.read(1 << 20)) == 1 << 20
        conn.close()
    assert get(url, "/status")[0] == 200


def test_a_faulty_node_answers_an_oversized_body_once(net):
    # 413 and nothing after it (the fault's answer used to follow on the same connection).
    with fault(net, "peer4", "5xx"):
        s = socket.create_connection(hostport(net.peer_urls[3]), timeout=5)
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
        "ConflictingBlock": {"signed_header": commit_result["signed_header"],
                             "validator_set": {"validators": vals, "proposer": vals[0]}},
        "CommonHeight": str(common_height), "ByzantineValidators": vals,
        "TotalVotingPower": str(total),
        "Timestamp": commit_result["signed_header"]["header"]["time"]}}


def test_lunatic_attack_fools_a_skipping_client_and_evidence_is_recorded(net):
    latest = net.latest_height()
    changes = [int(x) for x in net._call("scenarionet_info")["change_heights"]]
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
    from lightclient.scenarionet import evidence
    records = []
    for i in range(evidence.MAX_EVIDENCE + 10):
        evidence.keep_evidence(records, {"hash": "%064X" % i})
    evidence.keep_evidence(records, {"hash": "%064X" % (evidence.MAX_EVIDENCE + 9)})
    assert len(records) == evidence.MAX_EVIDENCE and records[-1]["hash"] == "%064X" % (
        evidence.MAX_EVIDENCE + 9) and records[0]["hash"] == "%064X" % 10


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
    from lightclient.scenarionet import history, node as nodemod
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


def test_a_forked_node_asks_for_the_head_only_where_the_fork_shows():
    # Its other answers are the honest ones: a round trip to the producer for its head on each
    # of them slowed the faulty node, so hedged clients took a peer's answer and never saw the
    # fork (a scenario test failed now and then under load).
    from lightclient.scenarionet import faults, history, node as nodemod

    class Up:
        def __init__(self):
            self.calls = []

        def latest(self):
            self.calls.append("latest")
            return 50

        def call(self, method, params=None):
            self.calls.append(method)
            return {"method": method}

    n = nodemod.Node("peer9", "http://127.0.0.1:9", history.Spec())
    n.up = Up()
    n.fault = faults.build("minority_fork", {}, 50)
    for method in ("validators", "abci_query", "genesis", "health"):
        assert n.answer(method, {}) == {"method": method}
    assert n.up.calls == ["validators", "abci_query", "genesis", "health"]


def test_a_node_refuses_a_wrong_fault_with_a_typed_reason_and_keeps_its_mode(net):
    # The control port is an input like any other: the node itself checks what it is sent
    # (raw POSTs here, past the launcher's own check), one typed reason per mistake.
    control = net.nodes["peer1"]["control"]
    latest = net.latest_height()
    mistakes = [
        ({"mode": "teleport"}, None, "unknown fault mode 'teleport' (valid: ok, down,"),
        ({"mode": "slow", "delay": "abc"}, "'delay'", "'delay' is not a parameter (valid: "
                                                      "delay_s, bytes_per_step, latency_s)"),
        ({"mode": "slow", "delay_s": "abc"}, "delay_s", "delay_s must be a number in [0, 60]"),
        ({"mode": "slow", "bytes_per_step": 0}, "bytes_per_step", "in [1, 1048576], got 0"),
        ({"mode": "oversized", "size": True}, "size", "size must be an integer"),
        ({"mode": "wrong_proofs", "variant": "both"}, "variant", "one of value, proof"),
        ({"mode": "stale", "height": latest + 1000}, "height", "at most the head"),
        ({"mode": "lunatic", "fork_height": 5, "signer_height": 5}, "signer_height",
         "below fork_height 5"),
        ({"mode": "lunatic", "setting": "xx"}, "setting", "non-empty JSON object"),
    ]
    for body, param, reason in mistakes:
        conn = http.client.HTTPConnection(*hostport(control), timeout=10)
        conn.request("POST", "/fault", json.dumps(body).encode(),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        answer = json.loads(r.read())
        conn.close()
        assert r.status == 400 and reason in answer["error"], (body, answer)
        assert answer["param"] == param and "\n" not in answer["error"], answer
        assert net.fault_state("peer1") == {"mode": "ok", "params": {}}
    assert get(net.peer_urls[0], "/health")[0] == 200


def test_a_node_refuses_a_malformed_peer_list_and_keeps_its_own(net):
    control = net.nodes["peer2"]["control"]
    before = result(net.peer_urls[1], "net_info")
    for peers in (None, "x", [{"name": "a"}], [{"name": "a", "rpc_url": "http://evil:80"}],
                  [{"name": "a", "rpc_url": "http://127.0.0.1:x"}], [{"name": 1, "rpc_url": 2}]):
        conn = http.client.HTTPConnection(*hostport(control), timeout=10)
        conn.request("POST", "/peers", json.dumps({"peers": peers}).encode())
        r = conn.getresponse()
        answer = json.loads(r.read())
        conn.close()
        assert r.status == 400 and "peers must be a list" in answer["error"], (peers, answer)
    assert result(net.peer_urls[1], "net_info") == before


def test_the_launcher_names_what_is_wrong_before_asking_a_node(net):
    from lightclient.scenarionet.launcher import FaultRefused
    for node, mode, params, reason in [
            ("peer9", "ok", {}, "unknown node 'peer9' (valid: central, peer1, peer2, peer3, "
                                "peer4)"),
            ("peer1", "slow", {"delay": "abc"}, "slow: 'delay' is not a parameter"),
            ("peer1", "stale", {"height": 10**9}, "peer1 refused it: stale: height must be at "
                                                  "most the head")]:
        with pytest.raises(FaultRefused) as e:
            net.fault(node, mode, **params)
        assert reason in str(e.value)
    assert net.fault_state("peer1")["mode"] == "ok"
