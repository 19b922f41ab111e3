# The device API's HTTP transport under attack, on this machine's loopback: DNS-rebinding Host
# values, slow and oversized requests of every form, a crowd of clients, and what the request log
# may say. Bounds in these tests are the server's configured limits plus slack, never a goal.

import http.client
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from lightclient.api import cli as api_cli
from lightclient.api.server import MAX_BODY, READ_DEADLINE_S, ApiApp, host_allowed
from lightclient.chip.core.errors import LightClientError

UUID = "dev-1"
TOKEN = "tok-SECRET-BEARER-42"
SECRET_SETTING = "S3CRET-SETTING-VALUE"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Proven:
    height = 10
    header_hash = bytes([0xAB]) * 32
    header_time_ns = 1_700_000_000 * 10**9
    stale = False
    age_s = 1.0

    def __init__(self):
        self.record = {"uuid": UUID, "device": {"uuid": UUID, "name": "kitchen"},
                       "setting": {"lang": "en-us", "api_key": SECRET_SETTING},
                       "location": {}, "skills": [], "writes": {}}


class Client:
    def __init__(self):
        self.proven = Proven()

    def device_record(self, uuid):
        if uuid != UUID:
            raise LightClientError("wrong_device", "not this device")
        return self.proven


def make_app(**server_options):
    return ApiApp(Client(), UUID, port=0, submit=False, fresh_for_s=60,
                  server_options=server_options)


def get(port, path="/v1/device/%s/setting" % UUID, headers=None, timeout=10.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# -- DNS rebinding: the Host header, parsed strictly ----------------------------------------------
GOOD_HOSTS = ["localhost", "LOCALHOST:6713", "127.0.0.1", "127.0.0.1:6713", "127.8.9.10:1",
              "[::1]", "[::1]:6713", "[0:0:0:0:0:0:0:1]:80"]
BAD_HOSTS = [
    "[::1].evil", "[::1].evil:6713", "[::1]evil", "[::1]:6713.evil", "[::1]:80:80",
    "localhost.evil", "localhost.", "localhost:6713.evil", "localhost:", "localhost:abc",
    "localhost:99999", "localhost:0", "evil.localhost", "127.0.0.1.evil", "127.0.0.1.nip.io",
    "127.0.0.1:6713:80", "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433", "127.0.0.01",
    "::1", "[::1", "::1]", "[::ffff:127.0.0.1]", "[::1%lo]", "[fe80::1]", "192.0.2.7",
    "evil.example", "evil.example:6713", "", " ", "localhost ", " localhost", "local host",
    "user@localhost", "localhost/evil", "localhost\t", "127.0.0.1\r\n", "ｌocalhost",
    "127.０.0.1", "[::1]\n",
]


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_loopback_host_values_are_accepted(host):
    assert host_allowed(host)


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_foreign_or_malformed_host_values_are_refused(host):
    assert not host_allowed(host)


def _raw(port, data, timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def test_a_rebinding_page_gets_nothing_over_http():
    with make_app() as app:
        port = app.server.port
        for host in ("[::1].evil", "[::1]:%d.evil" % port, "localhost.evil:%d" % port):
            status, body = get(port, headers={"Host": host})
            assert status == 403 and b"bad_host" in body and SECRET_SETTING.encode() not in body
        # Two Host headers: a proxy on the way may read either one.
        out = _raw(port, ("GET /v1/device/%s/setting HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Host: evil.example\r\n\r\n" % UUID).encode())
        assert re.match(rb"HTTP/1.[01] 400", out) and SECRET_SETTING.encode() not in out
        status, body = get(port, headers={"Host": "127.0.0.1:%d" % port})
        assert status == 200 and json.loads(body)["api_key"] == SECRET_SETTING


@pytest.mark.parametrize("browser", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_web_page_cannot_post_a_write_even_with_a_loopback_host(tmp_path, browser):
    """A page's "simple" cross-origin POST (text/plain, no preflight) reaches 127.0.0.1 with a
    loopback Host; the browser marks it with Origin / Sec-Fetch-Site, and it queues nothing."""
    from lightclient.api.queue import WriteQueue
    from lightclient.api.signer import SeedFileSigner
    seed = tmp_path / "seed"
    seed.write_text(bytes(range(32)).hex())
    os.chmod(seed, 0o600)
    from tests.api.test_api_units import chain_writer
    queue = WriteQueue(tmp_path / "q")
    client = Client()
    with ApiApp(client, UUID, "test-chain", SeedFileSigner(str(seed)), queue, port=0,
                submit=False, writer=chain_writer(client, queue)) as app:
        c = http.client.HTTPConnection("127.0.0.1", app.server.port, timeout=10)
        c.request("POST", "/v1/device/%s/metric/timing" % UUID, body=b'{"x": 1}',
                  headers=dict(browser, **{"Content-Type": "text/plain"}))
        r = c.getresponse()
        assert r.status == 403 and b"browser_origin" in r.read()
        c.close()
        assert queue.pending() == []
        # the device's own client (no Origin) still writes
        c = http.client.HTTPConnection("127.0.0.1", app.server.port, timeout=10)
        c.request("POST", "/v1/device/%s/metric/timing" % UUID, body=b'{"x": 1}')
        assert c.getresponse().status == 202 and len(queue.pending()) == 1
        c.close()


# -- slow and oversized requests: held briefly, cut off, honest clients answered -------------------
HEAD = "PUT /v1/device/%s/settingsMeta HTTP/1.1\r\nHost: 127.0.0.1\r\n" % UUID


def _drip(data, every=0.05):
    for i in range(len(data)):
        yield data[i:i + 1], every


def hostile_forms():
    """Each form of the class: the (bytes, pause after) steps its client sends, slowly or too
    much; a pause of `forever` waits for the server's verdict."""
    forever = 10**6
    return {
        "silent": [(b"", forever)],
        "slow_request_line": _drip(b"GET /v1/device/%s/setting HTTP/1.1\r\n" % UUID.encode()
                                   * 100),
        "slow_headers": [(HEAD.encode(), 0.05)] + list(_drip(b"X-Pad: " + b"a" * 4000)),
        "endless_headers": [(HEAD.encode(), 0.05)] + [(b"X-%d: 1\r\n" % i, 0.05)
                                                      for i in range(10_000)],
        "slow_body": [((HEAD + "Content-Length: 4000\r\n\r\n").encode(), 0.05)]
        + list(_drip(b"{" + b" " * 3998 + b"}")),
        "oversized_field": [(HEAD.encode() + b"X-Big: " + b"a" * (256 * 1024) + b"\r\n\r\n",
                             forever)],
        "oversized_request_line": [(b"GET /" + b"a" * (256 * 1024) + b" HTTP/1.1\r\n\r\n",
                                    forever)],
        "too_many_headers": [(HEAD.encode() + b"".join(b"X-%d: 1\r\n" % i for i in range(500))
                              + b"\r\n", forever)],
        "oversized_body": [((HEAD + "Content-Length: %d\r\n\r\n" % (MAX_BODY * 16)).encode()
                            + b" " * 4096, forever)],
        "chunked_body": [((HEAD + "Transfer-Encoding: chunked\r\n\r\n").encode(), 0.05)]
        + [(b"1\r\n \r\n", 0.05)] * 10_000,
        "slow_second_request": [(b"GET /v1/device/%s/setting HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                 % UUID.encode(), 0.05)] + list(_drip(HEAD.encode() * 50)),
    }


class Hostile(threading.Thread):
    """One hostile connection: sends its form until the server closes the connection."""

    def __init__(self, port, steps, give_up_s):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.steps = steps
        self.give_up_s = give_up_s
        self.closed = threading.Event()
        self.received = b""

    def _server_closed(self, wait):
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            return True
        self.received += chunk
        return not chunk

    def run(self):
        end = time.monotonic() + self.give_up_s
        try:
            for data, pause in self.steps:
                if data:
                    self.sock.sendall(data)
                while pause > 0 and time.monotonic() < end:
                    if self._server_closed(min(pause, 0.2)):
                        self.closed.set()
                        return
                    pause -= 0.2
                if time.monotonic() >= end:
                    return
            while time.monotonic() < end:      # sent it all: wait for the server's verdict
                if self._server_closed(0.2):
                    self.closed.set()
                    return
        except OSError:                         # reset or broken pipe: the server cut it
            self.closed.set()
        finally:
            self.sock.close()


SLOW_FORMS = ("silent", "slow_request_line", "slow_headers", "slow_body", "slow_second_request")


# aiohttp closes a connection that has sent no whole request head within its keep-alive time;
# the read deadline alone must hold too (keep-alive longer than it), and it alone bounds a body.
@pytest.mark.parametrize("keepalive_s", [1.0, 60.0])
def test_slow_and_oversized_requests_are_cut_off_while_honest_ones_are_answered(keepalive_s):
    deadline = 1.5
    bound = deadline * 4 + 10                  # the deadline, plus a loaded machine's slack
    with make_app(read_deadline_s=deadline, keepalive_s=keepalive_s) as app:
        port = app.server.port
        forms = hostile_forms()
        held = [(name, Hostile(port, list(steps), bound)) for name, steps in forms.items()
                for _ in range(4)]
        for _, h in held:
            h.start()
        answered = [get(port, headers={"Authorization": "Bearer x"}) for _ in range(20)]
        assert all(s == 200 and json.loads(b)["lang"] == "en-us" for s, b in answered)
        for name, h in held:
            assert h.closed.wait(bound), "%s: still open after %.0f s" % (name, bound)
        for name, h in held:
            if name != "slow_second_request":          # its first request was an honest one
                assert SECRET_SETTING.encode() not in h.received, name
            if name.startswith("oversized") or name in ("too_many_headers", "chunked_body"):
                assert re.match(rb"HTTP/1.[01] (400|411|413|431)", h.received), (name, h.received)
        # cut by the read deadline: the slow bodies always, every slow form when keep-alive is
        # longer than the deadline
        assert app.server.cut_off >= 4 * (1 if keepalive_s < deadline else len(SLOW_FORMS))
        # and the server still answers afterwards
        assert get(port)[0] == 200


def test_a_crowd_of_slow_clients_cannot_lock_honest_ones_out():
    """More slow connections than the server keeps waiting: each new one evicts the one that has
    been sending the longest, so honest clients are answered well before any read deadline."""
    with make_app(read_deadline_s=120, keepalive_s=120, max_pending=8) as app:
        port = app.server.port
        trickle = [(HEAD.encode(), 0.3)] + list(_drip(b"X-Pad: " + b"a" * 4000, every=0.3))
        crowd = [Hostile(port, trickle, 60) for _ in range(30)]
        for h in crowd:
            h.start()
        for _ in range(10):
            status, _ = get(port, timeout=30)
            assert status == 200
        # at most max_pending of the crowd can still be waiting
        gone = sum(h.closed.wait(30) for h in crowd[:30 - 8])
        assert gone == 30 - 8
        assert sum(h.closed.is_set() for h in crowd) >= 30 - 8


def test_two_hundred_concurrent_honest_clients_all_get_answers():
    """Every client of a burst gets its answer (the speed figure: bench/api_bench.py)."""
    n = 200
    bound = READ_DEADLINE_S + 20
    with make_app() as app:
        port = app.server.port
        start = threading.Barrier(n)
        results = [None] * n

        def one(i):
            start.wait()
            try:
                results[i] = get(port, timeout=bound)
            except OSError as e:
                results[i] = e

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(bound * 2)
        failed = [r for r in results if not (isinstance(r, tuple) and r[0] == 200)]
        assert not failed, "%d of %d: %r" % (len(failed), n, failed[:3])
        assert all(json.loads(b)["lang"] == "en-us" for _, b in results)


# -- the request log ------------------------------------------------------------------------------
LOG_LINE = re.compile(r"^(\S+ ){0,2}INFO lightclient\.api: (GET|PUT|POST|PATCH|DELETE) /\S* "
                      r"\d{3} \d+\.\d{3}s( [a-z_]+)?$")


def test_each_request_is_one_plain_log_line_without_secrets(monkeypatch, tmp_path):
    import logging
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")          # as under systemd
    stream = io.StringIO()
    handler = api_cli.configure_logging(stream)
    try:
        with make_app() as app:
            port = app.server.port
            auth = {"Authorization": "Bearer " + TOKEN}
            assert get(port, headers=auth)[0] == 200
            assert get(port, "/v1/device/%s/setting?access_token=%s" % (UUID, TOKEN),
                       headers=auth)[0] == 200
            assert get(port, "/v1/device/%s/setting%%0A%%1b[31mFAKE%%20200" % UUID)[0] == 404
            assert get(port, headers={"Host": "evil.example"})[0] == 403
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("PUT", "/v1/device/%s/settingsMeta" % UUID, headers=auth,
                      body=json.dumps({"secret": SECRET_SETTING}))
            assert c.getresponse().status == 503                   # no signer: writes disabled
            c.close()
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [ln for ln in stream.getvalue().splitlines() if "lightclient.api:" in ln]
    text = stream.getvalue()
    assert len(lines) == 5, text
    for ln in lines:
        assert LOG_LINE.match(ln), ln
    assert "\x1b" not in text and TOKEN not in text and SECRET_SETTING not in text
    assert " 403 " in lines[3] and lines[3].endswith("bad_host")
    # a path is printed with its control bytes escaped, whatever a parser lets through
    from lightclient.api.server import _printable
    assert _printable("/a\n\x1b[31m \udc80") == "/a\\n\\x1b[31m\\x20\\udc80"
    assert lines[0].split()[2:5] == ["GET", "/v1/device/%s/setting" % UUID, "200"]


# -- a busy port ----------------------------------------------------------------------------------
def test_a_busy_port_is_one_clear_line_and_the_documented_exit(tmp_path):
    from lightclient.config import Config
    cfg = tmp_path / "device.json"
    Config("test-chain", 1, bytes(32), str(tmp_path / "state"), central="http://127.0.0.1:9",
           device_uuid=UUID).save(str(cfg))
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "lightclient.cli", "serve-api", "--config",
                               str(cfg), "--port", str(port)], cwd=REPO, capture_output=True,
                              timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
    err = proc.stderr.decode()
    assert proc.returncode == api_cli.EXIT_LOCAL_FAULT, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert "127.0.0.1:%d is already in use" % port in err


@pytest.mark.parametrize("problem", ["no_config", "bad_token_file", "bad_signer"])
def test_an_unusable_local_setting_is_one_clear_line_and_the_same_exit(tmp_path, problem):
    from lightclient.config import Config
    cfg = tmp_path / "device.json"
    Config("test-chain", 1, bytes(32), str(tmp_path / "state"), central="http://127.0.0.1:9",
           device_uuid=UUID).save(str(cfg))
    args = ["--config", str(cfg), "--port", "0"]
    if problem == "no_config":
        args[1] = str(tmp_path / "missing.json")
    elif problem == "bad_token_file":
        args += ["--token-file", str(tmp_path / "no-such-tokens")]
    else:
        args += ["--signer", "seed:" + str(tmp_path / "no-such-seed")]
    proc = subprocess.run([sys.executable, "-m", "lightclient.cli", "serve-api"] + args,
                          cwd=REPO, capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=REPO))
    err = proc.stderr.decode()
    assert proc.returncode == api_cli.EXIT_LOCAL_FAULT, err
    assert "Traceback" not in err and err.strip().splitlines() == [err.strip()], err
    assert err.startswith("mycroft-lc serve-api: ")
