"""A hostile source on 127.0.0.1 (a real socket server) against RpcClient: every read of an answer
is bounded by the request's one deadline, whatever the peer does, and the abandoned connection
is closed. The deadline is read on an injected clock that moves a fixed step at every reading,
so "the deadline passed" happens after a known number of reads, whatever the machine's speed;
one test on the real clock keeps the mechanism honest end to end."""

import itertools
import socket
import threading
import time

import pytest

from lightclient.rpc import RpcClient, SourceError
from tests.client.fakeclock import FakeTime

STATUS_OK = b"HTTP/1.1 200 OK\r\n"
BODY = (b'{"jsonrpc":"2.0","id":-1,"result":{"sync_info":{"latest_block_height":"7",'
        b'"latest_block_time":"2024-01-01T00:00:00Z"},"node_info":{"network":"x"}}}')


def _drip(data, then=b"a"):
    """`data` then `then` for ever, one byte at a time."""
    return itertools.chain(iter(data[i:i + 1] for i in range(len(data))), itertools.repeat(then))


BEHAVIOURS = {
    # name: (byte source, one byte per write?)
    "slow_status_line": (lambda: _drip(b"HTTP/1.1 200 OK", b"K"), True),
    "slow_headers": (lambda: _drip(STATUS_OK + b"X-Slow: "), True),
    "slow_chunk_sizes": (lambda: _drip(STATUS_OK + b"Transfer-Encoding: chunked\r\n\r\n", b"0"),
                         True),
    "slow_body": (lambda: _drip(STATUS_OK + b"Content-Length: 100000\r\n\r\n{"), True),
    "endless_100_continue": (lambda: itertools.repeat(b"HTTP/1.1 100 Continue\r\n\r\n"), False),
}


class HostileServer:
    """Accepts one connection, reads the request, then sends what `behaviour` yields (or a
    fixed answer); `closed` is set when the client has closed its end."""

    def __init__(self, chunks, pause=0.002, max_seconds=20.0):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.chunks = chunks
        self.pause = pause
        self.max_seconds = max_seconds
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.sock.accept()
        try:
            conn.settimeout(self.max_seconds)
            req = b""
            while b"\r\n\r\n" not in req:
                req += conn.recv(4096)
            end = time.monotonic() + self.max_seconds
            for chunk in self.chunks:
                conn.sendall(chunk)
                if self.pause:
                    time.sleep(self.pause)
                if time.monotonic() > end:
                    return
            while conn.recv(4096):   # all sent: wait for the client to go
                pass
            self.closed.set()
        except OSError:              # reset or broken pipe: the client closed its end
            self.closed.set()
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def _error_of(answer, call):
    """The SourceError of call(rpc) against a server that sends `answer`, which must be closed
    after."""
    srv = HostileServer([answer], pause=0)
    try:
        with pytest.raises(SourceError) as e:
            call(RpcClient(srv.url, timeout=5))
        assert srv.closed.wait(10), "the connection was left open"
        return e.value
    finally:
        srv.close()


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_every_read_is_bounded_by_the_one_deadline(name):
    make, _ = BEHAVIOURS[name]
    srv = HostileServer(make())
    t = FakeTime(tick=0.05)          # every reading of the clock: 50 ms later
    try:
        with pytest.raises(SourceError) as e:
            RpcClient(srv.url, timeout=2.5, clock=t.clock()).status()
        assert e.value.check == "timeout", e.value
        # the deadline is what ended it: about 2.5 s / 50 ms readings, not the peer
        assert 2.5 / 0.05 <= t.reads <= 2.5 / 0.05 + 5
        assert srv.closed.wait(10), "the abandoned connection was left open"
    finally:
        srv.close()


@pytest.mark.parametrize("answer", [
    STATUS_OK + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",                      # header line
    STATUS_OK + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",   # header count
    STATUS_OK + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 70000 + b"\r\n",  # chunk size
    STATUS_OK + b"Content-Length: 1e999\r\n\r\n" + BODY,                       # length
], ids=["long_header_line", "too_many_headers", "long_chunk_size", "bad_length"])
def test_oversized_or_malformed_http_is_typed_and_closed(answer):
    e = _error_of(answer, lambda rpc: rpc.status())
    assert e.check == "bad_http", e


def test_slow_status_line_on_the_real_clock():
    make, _ = BEHAVIOURS["slow_status_line"]
    srv = HostileServer(make(), pause=0.01)
    try:
        t0 = time.monotonic()
        with pytest.raises(SourceError) as e:
            RpcClient(srv.url, timeout=0.5).status()
        took = time.monotonic() - t0
        assert e.value.check == "timeout"
        # A timed bound, generous on purpose (a loaded machine): the drip lasts 20 s, so a
        # per-read timeout would run that long; the one deadline ends it near 0.5 s.
        assert took < 0.5 + 4.5
        assert srv.closed.wait(10)
    finally:
        srv.close()


def _status_doc(height='"7"', time_='"2024-01-01T00:00:00Z"', extra=b""):
    return (b'{"jsonrpc":"2.0","id":-1,"result":{"sync_info":{"latest_block_height":' +
            height.encode() + b',"latest_block_time":' + time_.encode() + b'}' + extra + b'}}')


def _answer(body):
    return STATUS_OK + b"Content-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.parametrize("body", [
    _status_doc(height="1e999"), _status_doc(height="-1e999"), _status_doc(height="NaN"),
    _status_doc(height="Infinity"), _status_doc(height="7.5"), _status_doc(height='"1e3"'),
    _status_doc(height="9" * 30), _status_doc(height='"' + "9" * 30 + '"'),
    _status_doc(height='"-5"'), _status_doc(height="true"), _status_doc(height='" 7"'),
    _status_doc(height='"\\u0663"'),                     # an Arabic-Indic digit: int() takes it
    _status_doc(time_="1e999"), _status_doc(time_='"99999-01-01T00:00:00Z"'),
    _status_doc(extra=b',"node_info":{"network":1e999}'),
    _status_doc(extra=b',"node_info":{"network":["x"]}'),
    _status_doc(extra=b',"node_info":7'),
], ids=lambda b: b[60:110].decode(errors="replace"))
def test_out_of_range_numbers_in_status_are_typed(body):
    e = _error_of(_answer(body), lambda rpc: rpc.status())
    assert e.check == "bad_json", e


@pytest.mark.parametrize("field,value", [
    ("total", "1e999"), ("total", '"9999999999999999999999"'), ("block_height", "NaN"),
    ("block_height", '"3.0"'), ("total", "-1e999")])
def test_out_of_range_numbers_in_validators_are_typed(field, value):
    fields = {"total": '"1"', "block_height": '"3"'}
    fields[field] = value
    body = ('{"jsonrpc":"2.0","id":-1,"result":{"validators":[{}],"count":"1",'
            '"total":%s,"block_height":%s}}' % (fields["total"], fields["block_height"]))
    e = _error_of(_answer(body.encode()), lambda rpc: rpc.validators(3))
    assert e.check in ("bad_json", "too_large"), e


@pytest.mark.parametrize("height", ["1e999", '"1e3"', "NaN", '"99999999999999999999999"'])
def test_out_of_range_height_in_commit_is_typed(height):
    body = ('{"jsonrpc":"2.0","id":-1,"result":{"signed_header":{"header":{"height":%s}}}}'
            % height)
    e = _error_of(_answer(body.encode()), lambda rpc: rpc.light_block())
    assert e.check == "bad_json", e


@pytest.mark.parametrize("resp", [
    {"code": 0, "height": 39.0}, {"code": 0, "height": float("inf")}, {"code": 0, "height": "1e3"},
    {"code": 0.0, "height": "39"}, {"code": -1, "height": "39"}, {"code": 2 ** 40, "height": "39"},
    {"code": True, "height": "39"}, {"code": 0, "height": "9" * 25}])
def test_abci_answer_numbers_are_strict(resp):
    # int() took 39.0 as 39 and raised OverflowError on an infinite one
    from lightclient.chip.core.errors import DecodeError
    from lightclient.records import verify_record_answer
    with pytest.raises(DecodeError) as e:
        verify_record_answer(resp, "dev-1", 39, b"\x00" * 32)
    assert e.value.check == "abci_shape"
