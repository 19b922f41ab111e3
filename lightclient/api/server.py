# The HTTP face of the device API: aiohttp's low-level server on 127.0.0.1, the routes run in a
# small thread pool (service.py blocks on syncs and fsyncs). Transport rules only:
# - peers other than loopback get 403 (the socket is bound to loopback anyway; this also covers
#   a misconfigured bind), and so does a Host header that is not strictly a loopback name or
#   address (DNS rebinding from a browser on the Pi), and a request a web page made (Origin);
# - every request is read whole (request line, headers, body) within READ_DEADLINE_S of the
#   connection's start or of the previous answer, or the connection is cut. aiohttp bounds the
#   sizes (line, field, header count) but has no deadline for a body, and its header wait is its
#   idle keep-alive timer: the deadline is ours, on one clock for the whole read;
# - when MAX_PENDING connections are all still sending their request, a new one evicts the one
#   that has been at it longest: a crowd of slow clients cannot lock honest ones out;
# - bodies are bounded before they are read; one line per request goes to the log (method, path,
#   status, duration; never a header, a query string or a body: tokens and settings stay out).

import asyncio
import collections
import ipaddress
import logging
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from lightclient.api.limits import (BACKLOG, DEFAULT_PORT, KEEPALIVE_S, MAX_BODY, MAX_HEADERS,
                                    MAX_LINE, MAX_PENDING, MAX_STT_BODY, READ_DEADLINE_S,
                                    WORKERS)
from lightclient.api.service import DeviceService, Response, _error
from lightclient.api.submitter import Submitter

log = logging.getLogger("lightclient.api")
parser_log = logging.getLogger("lightclient.api.http")     # aiohttp's own refusals


class _ParserRefusal(logging.Filter):
    """A request aiohttp's parser refused (malformed, a line or field too long, too many
    headers) is a client's fault: one INFO line with its type and status, not an ERROR with a
    traceback, and not the parser's message, which quotes the request's bytes."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "%s refused by the HTTP parser: %s %s" % (
                record.getMessage(), type(exc).__name__, exc.code)
            record.args = record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


parser_log.addFilter(_ParserRefusal())

CLOSE_AFTER = (400, 403, 411, 413)

_HOST = re.compile(r"(?:(localhost)|([0-9]{1,3}(?:\.[0-9]{1,3}){3})|\[([0-9A-Fa-f:.]{2,45})\])"
                   r"(?::([0-9]{1,5}))?", re.ASCII)


def is_loopback(host):
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def host_allowed(host_header):
    """A Host header naming this machine's loopback: `localhost`, a 127.x.y.z literal or `[::1]`,
    each with an optional port, and nothing else (no trailing dot, label, space or zone)."""
    if host_header is None:
        return True                           # HTTP/1.0 clients send none; browsers always do
    m = _HOST.fullmatch(host_header.lower())
    if m is None:
        return False
    name, v4, v6, port = m.groups()
    if port is not None and not 0 < int(port) < 65536:
        return False
    if name:
        return True
    try:
        addr = ipaddress.IPv4Address(v4) if v4 else ipaddress.IPv6Address(v6)
    except ValueError:
        return False
    return addr.is_loopback


def refusal(peer, host_headers, headers=None):
    """The transport's verdict on a request before any route runs: None, or the error Response.
    A request a browser sends for a web page (it says so in `Origin` or `Sec-Fetch-Site`) is
    refused too: with a loopback Host, a page could still POST a metric as a "simple" request,
    and the device's own clients are never browsers."""
    if not is_loopback(peer):
        return _error(403, "not_loopback", "this service answers loopback clients only")
    if len(host_headers) > 1:
        return _error(400, "bad_host", "more than one Host header")
    if not host_allowed(host_headers[0] if host_headers else None):
        return _error(403, "bad_host", "Host must be localhost, a 127.x.y.z address or [::1]")
    headers = headers or {}
    if "Origin" in headers or headers.get("Sec-Fetch-Site", "none") != "none":
        return _error(403, "browser_origin", "requests from web pages are not served")
    return None


def _printable(text, limit=200):
    """A request path as one log line: no control bytes, bounded."""
    out = "".join(c if " " < c < "\x7f" else "\\x20" if c == " " else
                  c.encode("unicode_escape").decode() for c in text[:limit])
    return out + ("..." if len(text) > limit else "")


class _Connection(web.RequestHandler):
    """aiohttp's connection protocol, telling the server when a connection starts and ends."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self._manager.await_request(self)

    def connection_lost(self, exc):
        manager = self._manager
        if manager is not None:
            manager.request_read(self)
        super().connection_lost(exc)


class _Server(web.Server):
    """aiohttp's server (the protocol factory) with the read deadline of each connection still
    sending a request."""

    def __init__(self, handler, read_deadline_s, max_pending, **kw):
        super().__init__(handler, **kw)
        self.read_deadline_s = read_deadline_s
        self.max_pending = max_pending
        self.pending = collections.OrderedDict()     # connection -> its deadline, oldest first
        self.cut_off = 0                             # connections cut at the deadline or evicted

    def __call__(self):
        return _Connection(self, loop=self._loop, **self._kwargs)

    def await_request(self, conn):
        """Start the deadline for the next request on `conn` (at connect, after each answer)."""
        self.request_read(conn)
        if len(self.pending) >= self.max_pending:
            oldest = next(iter(self.pending))
            self._cut(oldest, "evicted: %d connections were all still sending" % self.max_pending)
        self.pending[conn] = self._loop.call_later(
            self.read_deadline_s, self._cut, conn,
            "request not read within %.1f s" % self.read_deadline_s)

    def request_read(self, conn):
        timer = self.pending.pop(conn, None)
        if timer is not None:
            timer.cancel()

    def _cut(self, conn, why):
        self.request_read(conn)
        self.cut_off += 1
        peer = conn.peername
        log.info("connection from port %s cut off: %s", peer[1] if peer else "?", why)
        if conn.transport is not None:
            conn.transport.abort()


class ApiServer:
    """The device API on a loopback socket: bound at construction (a busy port fails here, before
    anything else starts), served on an asyncio loop in its own thread by start()."""

    def __init__(self, service, host="127.0.0.1", port=DEFAULT_PORT, sock=None,
                 read_deadline_s=READ_DEADLINE_S, keepalive_s=KEEPALIVE_S,
                 max_pending=MAX_PENDING, workers=WORKERS, backlog=BACKLOG):
        self.service = service
        if sock is None:
            sock = socket.create_server((host, port), backlog=backlog)
        # Else a socket handed over by systemd (socket activation): the .socket unit bound it,
        # and its IPAddressDeny= filter applies to it.
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or \
                not is_loopback(self.server_address[0]):
            sock.close()
            raise OSError("refusing a listening socket that is not on loopback: %s"
                          % (self.server_address[0],))
        self.backlog = backlog
        self.read_deadline_s = read_deadline_s
        self.keepalive_s = keepalive_s
        self.max_pending = max_pending
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="api-route")
        self.loop = None
        self.web = None
        self._runner = None
        self._thread = None

    @property
    def port(self):
        return self.server_address[1]

    @property
    def cut_off(self):
        return self.web.cut_off if self.web is not None else 0

    # -- one request ------------------------------------------------------------------------
    async def _handle(self, request):
        t0 = time.monotonic()
        conn = request.protocol
        peer = request.transport.get_extra_info("peername") if request.transport else None
        resp = refusal(peer[0] if isinstance(peer, tuple) else "",
                       request.headers.getall("Host", []), request.headers)
        if resp is None:
            resp = await self._route(request, conn)
        else:
            self.web.request_read(conn)
        out = web.Response(status=resp.status, body=resp.json_bytes(), headers=self._headers(resp))
        if resp.status in CLOSE_AFTER:
            out.force_close()                  # unread body or a client we refuse: no keep-alive
        log.info("%s %s %d %.3fs%s", _printable(request.method, 16),
                 _printable(request.raw_path.split("?", 1)[0]), resp.status,
                 time.monotonic() - t0,
                 (" " + resp.headers["X-Lightclient-Error"])
                 if "X-Lightclient-Error" in resp.headers else "")
        if resp.status not in CLOSE_AFTER:
            self.web.await_request(conn)       # the deadline now runs for the next request
        return out

    async def _route(self, request, conn):
        if "Transfer-Encoding" in request.headers:
            self.web.request_read(conn)
            return _error(411, "length_required", "send a Content-Length")
        length = request.content_length or 0
        limit = MAX_STT_BODY if (request.method, request.path) == ("POST", "/v1/stt") \
            else MAX_BODY                      # audio is bigger than anything else served
        if length > limit:
            self.web.request_read(conn)
            return _error(413, "body_too_large", "request body over the limit",
                          {"X-Lightclient-Limit": str(limit)})
        try:
            body = await request.read() if length else b""     # under the connection's deadline
        except ConnectionError:               # cut off at the deadline (logged there) or gone
            return _error(400, "incomplete_body", "the connection ended inside the body")
        self.web.request_read(conn)
        try:
            return await self.loop.run_in_executor(
                self.pool, self.service.handle, request.method, request.raw_path,
                dict(request.headers), body)
        except Exception:                     # a bug: say so, never guess an answer
            log.exception("device API handler failed")
            return _error(500, "internal_error", "the light client's device API failed")

    @staticmethod
    def _headers(resp):
        h = {"Content-Type": "application/json", "Cache-Control": "no-store",
             "Server": "mycroft-lightclient-api/2"}
        h.update(resp.headers)
        return h

    # -- life cycle -------------------------------------------------------------------------
    def start(self):
        ready = threading.Event()
        failed = []

        def run():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._serve())
            except BaseException as e:        # reported to start()'s caller
                failed.append(e)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self._runner.cleanup())
            self.loop.close()

        self._thread = threading.Thread(target=run, name="api-http", daemon=True)
        self._thread.start()
        ready.wait()
        if failed:
            raise failed[0]
        return self

    async def _serve(self):
        self.web = _Server(self._handle, self.read_deadline_s, self.max_pending,
                           keepalive_timeout=self.keepalive_s, max_line_size=MAX_LINE,
                           max_field_size=MAX_LINE, max_headers=MAX_HEADERS, access_log=None,
                           logger=parser_log, lingering_time=0)
        self._runner = web.ServerRunner(self.web, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, self.socket, backlog=self.backlog).start()

    def stop(self):
        if self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self._thread = None
        else:
            self.socket.close()
        self.pool.shutdown(wait=False, cancel_futures=True)


class ApiApp:
    """Service + HTTP server + submitter, started and stopped together (CLI, tests, bench)."""

    def __init__(self, client, uuid, chain_id=None, signer=None, queue=None, token=None,
                 host="127.0.0.1", port=DEFAULT_PORT, fresh_for_s=None, submit=True,
                 sock=None, server_options=None, writer=None, **submitter_options):
        kw = {} if fresh_for_s is None else {"fresh_for_s": fresh_for_s}
        self.service = DeviceService(client, uuid, chain_id, signer, queue, token,
                                     writer=writer, **kw)
        self.server = ApiServer(self.service, host, port, sock, **(server_options or {}))
        self.submitter = None
        if queue is not None and submit and writer is not None:
            # On a Cosmos SDK chain: the device's own transactions, confirmed against proven
            # x/devices and x/auth state, re-signed on a sequence mismatch.
            self.submitter = Submitter(queue, writer.broadcast, writer.confirm,
                                       resign=writer.resign, **submitter_options)
        if self.submitter is not None:
            self.service.on_queued = self.submitter.notify
            self.service.submitter = self.submitter

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.port

    def start(self):
        self.server.start()
        if self.submitter is not None:
            self.submitter.start()
        return self

    def stop(self):
        if self.submitter is not None:
            self.submitter.stop()
        self.server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


__all__ = ["ApiApp", "ApiServer", "DEFAULT_PORT", "MAX_BODY", "READ_DEADLINE_S", "is_loopback",
           "host_allowed", "refusal", "Response"]
