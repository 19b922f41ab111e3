"""Faults done to real nodes (their processes killed or paused) and lying relays in front of
their CometBFT RPC: our light client falls back to peers, bans a liar with its typed reason,
and still proves x/devices records. One chain for these and the staking tests (conftest's
net7, session-scoped)."""

import pytest

from lightclient.client import LightClient
from lightclient.localchain.relay import Relay
from lightclient.rpc import RpcClient, SourceError

from tests.localchain.chainhelp import client_config, prove_device, rpc_of


def _record_of(net, lc):
    rec, src = prove_device(lc.pool, lc.trusted(), net.device, until=None)
    assert rec["settings"] == b"" and rec["version"] == 1
    return src


def test_central_stopped_then_paused_the_client_falls_back_to_peers(net7, tmp_path):
    central = rpc_of(net7, "full0")
    peers = [rpc_of(net7, "full1"), rpc_of(net7, "val1")]
    lc = LightClient(client_config(net7, tmp_path, central, peers))
    lc.sync(deadline_s=30)
    first = lc.trusted().height
    assert first > net7.device_height

    net7.set_node_mode("full0", "stopped")      # the process is killed, not told to fail
    try:
        with pytest.raises(SourceError) as e:
            RpcClient(central, timeout=2).status()
        assert e.value.check == "refused"
        net7.wait_for_height(first + 2, node=1)
        stats = lc.sync(deadline_s=30)
        assert lc.trusted().height > first
        assert central not in stats.sources and stats.sources
        assert lc.pool.get(central).last_error["check"] == "refused"
        assert _record_of(net7, lc).url != central

        net7.set_node_mode("full0", "ok")        # started again on its data: it catches up
        net7.set_node_mode("full0", "paused")    # SIGSTOP: the port accepts, nothing answers
        second = lc.trusted().height
        net7.wait_for_height(second + 2, node=1)
        lc.last_sync_mono = None
        stats = lc.sync(deadline_s=30)
        assert lc.trusted().height > second and central not in stats.sources
        assert _record_of(net7, lc).url != central
    finally:
        net7.set_node_mode("full0", "ok")
    net7.wait_for_height(lc.trusted().height + 1, node=net7.nodes.index(net7.node("full0")))


@pytest.mark.parametrize("mode, params, check", [
    ("forged_signatures", {}, "signature"),
    ("wrong_proofs", {"variant": "value"}, "proof"),
    ("wrong_proofs", {"variant": "proof"}, "proof"),
])
def test_a_lying_relay_is_banned_with_its_reason_and_records_still_proven(
        net7, tmp_path, mode, params, check):
    relay = Relay(rpc_of(net7, "full1"))
    try:
        relay.set_fault(mode, params)
        # the liar is the central: asked first for everything
        lc = LightClient(client_config(net7, tmp_path, relay.url,
                                       [rpc_of(net7, "full2"), rpc_of(net7, "val2")]))
        lc.sync(deadline_s=30)
        src = _record_of(net7, lc)
        assert src.url != relay.url
        banned = {b["url"]: b["reason"] for b in lc.status()["banned"]}
        assert relay.url in banned, lc.status()["sources"]
        reason = banned[relay.url]
        assert check in reason["check"] or check in reason.get("error", "").lower(), reason
        assert relay.answers > 0
    finally:
        relay.close()


def test_a_stale_head_relay_cannot_hold_the_client_back(net7, tmp_path):
    relay = Relay(rpc_of(net7, "full2"))
    try:
        relay.set_fault("stale_head", {"behind": 4})
        frozen = relay.fault.frozen
        assert RpcClient(relay.url).status()["latest_height"] == frozen
        # the honest peer itself is past it (a loaded machine can leave it a block behind node 0)
        val3 = [n["name"] for n in net7.nodes].index("val3")
        net7.wait_for_height(frozen + 6, node=val3)
        lc = LightClient(client_config(net7, tmp_path, relay.url, [rpc_of(net7, "val3")]))
        lc.sync(deadline_s=30)
        assert lc.trusted().height >= frozen + 6
        _record_of(net7, lc)
        with pytest.raises(SourceError):           # above its frozen head: CometBFT's error
            RpcClient(relay.url).light_block(frozen + 3)
    finally:
        relay.close()


def test_relay_transport_faults_reach_the_client_as_typed_errors(net7):
    relay = Relay(rpc_of(net7, "val0"))
    try:
        assert RpcClient(relay.url).status()["latest_height"] >= 1     # honest: forwarded
        relay.set_fault("5xx")
        with pytest.raises(SourceError) as e:
            RpcClient(relay.url).status()
        assert e.value.check == "http_status" and e.value.details["status"] == 503
        relay.set_fault("blackholed")
        with pytest.raises(SourceError) as e:
            RpcClient(relay.url, timeout=0.5).status()
        assert e.value.check == "timeout"
        relay.set_fault("ok")
        assert RpcClient(relay.url).status()["latest_height"] >= 1
    finally:
        relay.close()
