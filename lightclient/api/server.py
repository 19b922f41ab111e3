# The HTTP face of the device API: stdlib http.server on 127.0.0.1, one thread per request.
# Transport rules only (the routes live in service.py):
# - peers other than loopback get 403 (the socket is bound to loopback anyway; this also covers
#   a misconfigured bind), and so does a Host header naming another site (DNS rebinding from a
#   browser on the Pi);
# - bodies are bounded before they are read; a slow client is cut off by a socket timeout.

import ipaddress
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient.api.service import DeviceService, Response, _error
from lightclient.api.submitter import Submitter, record_confirms

log = logging.getLogger("lightclient.api")

DEFAULT_PORT = 6713
MAX_BODY = 64 * 1024
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host):
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def host_allowed(host_header):
    if host_header is None:
        return True                           # HTTP/1.0 clients send none
    h = host_header.strip().lower()
    if h.startswith("["):
        h = h[:h.find("]") + 1] if "]" in h else h
    else:
        h = h.rsplit(":", 1)[0] if h.count(":") == 1 else h
    return h in LOCAL_HOSTS or is_loopback(h.strip("[]"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mycroft-lightclient-api/1"
    timeout = 10

    def do_GET(self):
        self._dispatch()

    do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

    def _dispatch(self):
        if not is_loopback(self.client_address[0]):
            return self._send(_error(403, "not_loopback", "this service answers loopback "
                                     "clients only"), close=True)
        if not host_allowed(self.headers.get("Host")):
            return self._send(_error(403, "bad_host", "Host must be 127.0.0.1 or localhost"),
                              close=True)
        if self.headers.get("Transfer-Encoding"):
            return self._send(_error(411, "length_required", "send a Content-Length"),
                              close=True)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return self._send(_error(413, "body_too_large", "request body over the limit",
                                     {"X-Lightclient-Limit": str(MAX_BODY)}), close=True)
        body = self.rfile.read(length) if length else b""
        try:
            resp = self.server.service.handle(self.command, self.path, dict(self.headers), body)
        except Exception:                     # a bug: say so, never guess an answer
            log.exception("device API handler failed")
            resp = _error(500, "internal_error", "the light client's device API failed")
        self._send(resp)

    def _send(self, resp, close=False):
        data = resp.json_bytes()
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):       # request lines only; headers (tokens) never
        log.debug("%s " + fmt, self.client_address[0], *args)


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, service, host="127.0.0.1", port=DEFAULT_PORT, sock=None):
        self.service = service
        if sock is None:
            super().__init__((host, port), Handler)
            return
        # A socket handed over by systemd (socket activation): the .socket unit bound it, and
        # its IPAddressDeny= filter applies to it.
        super().__init__(sock.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        if not is_loopback(self.server_address[0]):
            raise OSError("refusing a listening socket that is not on loopback: %s"
                          % (self.server_address[0],))

    @property
    def port(self):
        return self.server_address[1]


class ApiApp:
    """Service + HTTP server + submitter, started and stopped together (CLI, tests, bench)."""

    def __init__(self, client, uuid, chain_id=None, signer=None, queue=None, token=None,
                 host="127.0.0.1", port=DEFAULT_PORT, fresh_for_s=None, submit=True,
                 sock=None, **submitter_options):
        kw = {} if fresh_for_s is None else {"fresh_for_s": fresh_for_s}
        self.service = DeviceService(client, uuid, chain_id, signer, queue, token, **kw)
        self.server = ApiServer(self.service, host, port, sock)
        self.submitter = None
        if queue is not None and submit:
            # Delivery is confirmed against the verified record, not taken on a node's word.
            self.submitter = Submitter(queue, client.broadcast_tx,
                                       record_confirms(client.device_record, uuid,
                                                       self.service.records.invalidate),
                                       **submitter_options)
            self.service.on_queued = self.submitter.notify
            self.service.submitter = self.submitter
        self.thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.port

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, name="api-http",
                                       daemon=True)
        self.thread.start()
        if self.submitter is not None:
            self.submitter.start()
        return self

    def stop(self):
        if self.submitter is not None:
            self.submitter.stop()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


__all__ = ["ApiApp", "ApiServer", "Handler", "DEFAULT_PORT", "is_loopback", "host_allowed",
           "Response"]
