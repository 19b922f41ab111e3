"""lan.py: a device serves what it holds with the CometBFT RPC face, read-only; another device
finds it over mDNS (loopback multicast) and boots from it, verifying everything itself."""
import time

import pytest

from lightclient.lan import LanDiscovery, LanServer
from lightclient.rpc import RpcClient, SourceError
from lightclient.sources import LAN, SourcePool


@pytest.fixture
def synced(make_net, chain40):
    net = make_net(chain40)
    c = net.client()
    assert c.boot(5).ok
    srv = LanServer(c)
    yield net, c, srv
    srv.close()


def test_lan_server_speaks_cometbft_rpc(synced, chain40):
    net, c, srv = synced
    rpc = RpcClient(srv.url)
    st = rpc.status()
    assert st["latest_height"] == 40 and st["network"] == chain40.chain_id
    raw = rpc.light_block(40)
    assert raw.light_block.signed_header.header.hash() == chain40.header_hash(40)
    with pytest.raises(SourceError) as e:
        rpc.light_block(17)                     # not held: an error, never a guess
    assert e.value.check in ("rpc_error", "http_status")
    from lightclient.chip import txs
    resp = rpc.abci_query(txs.QUERY_PATH, txs.record_key("dev-1"), 39)
    assert resp["code"] == 0 and resp["proofOps"]["ops"]
    with pytest.raises(SourceError):
        rpc.broadcast_tx_sync(b"tx")            # read-only


def test_a_device_boots_from_a_neighbour_during_a_wan_outage(synced, make_net, chain40):
    net, c, srv = synced
    for n in net.nodes:
        n.set_mode("down")
    other = make_net(chain40, n=1)              # a second device, same chain, WAN down
    other.central.set_mode("down")
    d = other.client()
    d.pool.add(srv.url, LAN)
    res = d.boot(5)
    assert res.ok and not res.stale and res.trusted_height == 40
    assert res.record.record["setting"]["lang"] == "en-us"


def test_mdns_ignores_other_chains(synced):
    net, c, srv = synced
    ad = LanDiscovery(SourcePool(None, []), "device-c", server=srv, chain_id="other-chain",
                      interfaces=["127.0.0.1"])
    pool = SourcePool(None, [])
    browser = LanDiscovery(pool, "device-d", chain_id="fake-chain", interfaces=["127.0.0.1"])
    try:
        # event-driven: returns at the discovery event; the bound only ends a failing run.
        # Only this test's advertiser is looked for: loopback mDNS is shared with every other
        # process on the machine (another pytest worker may advertise its devices right now).
        mine = ad.own.name
        assert mine.startswith("device-c-") and mine.endswith("._mycroft-lc._tcp.local.")
        assert browser.wait(lambda d: mine in d.rejected, timeout=60)
        assert browser.rejected.count(mine) == 1
        assert srv.url not in browser.found and pool.get(srv.url) is None
    finally:
        browser.close()
        ad.close()


def test_client_start_lan_advertises_and_discovers(make_net, chain40):
    # both devices are named dev-1: each instance name gets a random suffix, and a device skips
    # its own service by address (a name check hid the neighbour when both names were equal)
    a_net = make_net(chain40)
    a = a_net.client()
    assert a.boot(5).ok
    b = make_net(chain40, n=1).client()
    try:
        srv = a.start_lan("127.0.0.1", interfaces=["127.0.0.1"])
        b.start_lan("127.0.0.1", interfaces=["127.0.0.1"])
        # event-driven: returns at the first discovery event; the bound only ends a failing run
        assert b.lan_discovery.wait(lambda d: srv.url in d.found, timeout=60)
        assert b.pool.get(srv.url).kind == LAN
        assert a.status()["lan"]["url"] == srv.url
    finally:
        a.close()
        b.close()


def test_an_idle_connection_does_not_hold_a_server_thread(synced, monkeypatch):
    # No timeout on the handler: every connection that sent nothing kept a thread forever.
    import socket

    from lightclient import lan
    net, c, _ = synced
    monkeypatch.setattr(lan, "IDLE_TIMEOUT_S", 0.3)
    srv = LanServer(c)
    try:
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        t0 = time.monotonic()
        assert s.recv(1) == b""            # closed by the server, not by our 5 s timeout
        assert time.monotonic() - t0 < 3
        s.close()
    finally:
        srv.close()
