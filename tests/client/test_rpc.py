"""rpc.py: deadlines, bounded bodies, typed errors, paging, byte counting."""
import socket
import time

import pytest

from lightclient.chip.core.errors import DecodeError
from lightclient.rpc import Counters, RpcClient, SourceError
from tests.client.fakenode import FakeChain, FakeNode


@pytest.fixture(scope="module")
def node(chain40):
    n = FakeNode(chain40)
    yield n
    n.close()


def _closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


def test_light_block_and_counters(node, chain40):
    c = Counters()
    rpc = RpcClient(node.url, counters=c)
    raw = rpc.light_block(12)
    assert raw.height == 12
    assert raw.light_block.signed_header.header.hash() == chain40.header_hash(12)
    assert raw.light_block.validators.hash() == raw.light_block.signed_header.header.validators_hash
    snap = c.snapshot()
    assert snap["light_blocks"] == 1 and snap["requests"] == 2 and snap["bytes"] > 2000
    st = rpc.status()
    assert st["latest_height"] == 40 and st["network"] == chain40.chain_id


def test_validators_all_pages():
    data = FakeChain(n_vals=130, n_blocks=2)
    n = FakeNode(data)
    try:
        c = Counters()
        raw = RpcClient(n.url, counters=c).light_block(2)
        assert len(raw.light_block.validators) == 130
        assert c.snapshot()["requests"] == 3   # commit + 2 pages of 100
    finally:
        n.close()


def test_refused():
    with pytest.raises(SourceError) as e:
        RpcClient(_closed_port_url()).status()
    assert e.value.check == "refused"


@pytest.mark.parametrize("mode,check", [("5xx", "http_status"), ("garbage", "bad_json"),
                                        ("oversized", "too_large"), ("down", "refused")])
def test_fault_modes_are_typed(chain40, mode, check):
    n = FakeNode(chain40)
    n.set_mode(mode)
    try:
        with pytest.raises(SourceError) as e:
            RpcClient(n.url, timeout=2).light_block(3)
        assert e.value.check == check and e.value.url == n.url
    finally:
        n.close()


def test_oversized_refused_from_content_length_before_reading(chain40):
    n = FakeNode(chain40)
    n.set_mode("oversized")
    c = Counters()
    try:
        with pytest.raises(SourceError) as e:
            RpcClient(n.url, counters=c, max_body=1 << 20).status()
        assert e.value.check == "too_large" and e.value.details["length"] == 64 * 1024 * 1024
        assert c.snapshot()["bytes"] == 0
    finally:
        n.close()


@pytest.mark.parametrize("mode", ["blackholed", "slow"])
def test_deadline_bounds_the_whole_exchange(chain40, mode):
    n = FakeNode(chain40)
    n.set_mode(mode)
    try:
        t0 = time.monotonic()
        with pytest.raises(SourceError) as e:
            RpcClient(n.url, timeout=0.4).light_block(3)
        assert e.value.check == "timeout"
        assert time.monotonic() - t0 < 1.5
    finally:
        n.close()


def test_rpc_error_for_missing_height(node):
    with pytest.raises(SourceError) as e:
        RpcClient(node.url).light_block(999)
    assert e.value.check in ("rpc_error", "http_status")


def test_malformed_block_is_a_decode_error(node, monkeypatch):
    rpc = RpcClient(node.url)
    real = rpc.signed_header

    def broken(h, timeout=None):
        sh = real(h, timeout)
        sh["header"]["validators_hash"] = "XYZ"
        return sh
    monkeypatch.setattr(rpc, "signed_header", broken)
    with pytest.raises(DecodeError):
        rpc.light_block(5)


def test_bad_url():
    with pytest.raises(SourceError):
        RpcClient("ftp://x")


@pytest.mark.parametrize("body", [
    b'{"result": {"sync_info": {"latest_block_height": Infinity, '
    b'"latest_block_time": "2026-01-01T00:00:00Z"}}}',
    b'{"result": {"sync_info": {"latest_block_height": NaN}}}',
    b"[" * 100000,
], ids=["infinity", "nan", "deep"])
def test_non_json_constants_and_deep_nesting_are_typed(chain40, body):
    # Infinity made int() raise OverflowError, deep nesting a RecursionError: both escaped
    # as untyped errors to direct callers (the detector's evidence submission, broadcast_tx).
    n = FakeNode(chain40)
    n.raw_body = body
    try:
        with pytest.raises(SourceError) as e:
            RpcClient(n.url).status()
        assert e.value.check == "bad_json"
    finally:
        n.close()


def test_net_info_skips_a_port_out_of_range(chain40):
    n = FakeNode(chain40)
    n.raw_body = (b'{"result": {"peers": ['
                  b'{"node_info": {"other": {"rpc_address": "tcp://10.0.0.1:99999"}}},'
                  b'{"node_info": {"other": {"rpc_address": "tcp://0.0.0.0:26657"}},'
                  b' "remote_ip": "10.0.0.2"}]}}')
    try:
        assert RpcClient(n.url).net_info() == ["http://10.0.0.2:26657"]
    finally:
        n.close()


def test_bad_port_is_a_bad_url():
    with pytest.raises(SourceError) as e:
        RpcClient("http://x:99999")
    assert e.value.check == "bad_url"
