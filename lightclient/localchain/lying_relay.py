"""A lying relay in front of a real node's CometBFT RPC (127.0.0.1 only): every request is
passed to the node, except /commit, /header and /validators at or above `fork_height`, which
answer the forger's conflicting block instead (LunaticForger). What a compromised API server in front of
an honest node would do."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 4 << 20     # the node's answers we pass through (light blocks are far smaller)
MAX_REQUEST = 1 << 20
UPSTREAM_TIMEOUT_S = 5.0
WAIT_FOR_HEIGHT_S = 2.0  # a height the upstream node has not reached yet: wait this long


class _Handler(BaseHTTPRequestHandler):
    server_version = "lying-relay"

    def log_message(self, *args):
        pass

    def _send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        relay = self.server.relay
        u = urllib.parse.urlsplit(self.path)
        params = {k: v[0].strip('"') for k, v in urllib.parse.parse_qs(u.query).items()}
        try:
            if u.path in ("/commit", "/header", "/validators"):
                body = relay.lie_or_pass(u.path[1:], params, self.path)
            else:
                body = relay.upstream("GET", self.path)
        except urllib.error.HTTPError as e:
            return self._send(e.code, e.read(MAX_BODY))
        except (OSError, ValueError) as e:
            return self._send(502, json.dumps({"error": "relay: %s" % e}).encode())
        self._send(200, body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_REQUEST:
            return self._send(413, b"{}")
        data = self.rfile.read(n)
        try:
            body = self.server.relay.upstream("POST", "/", data)
        except urllib.error.HTTPError as e:
            return self._send(e.code, e.read(MAX_BODY))
        except OSError as e:
            return self._send(502, json.dumps({"error": "relay: %s" % e}).encode())
        self._send(200, body)


class LyingRelay:
    def __init__(self, upstream_url, forger, fork_height):
        self.upstream_url = upstream_url.rstrip("/")
        self.forger = forger
        self.fork_height = fork_height
        self.lies = 0              # answers substituted (the tests check the relay did lie)
        self._lies_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.relay = self
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def upstream(self, method, path, data=None):
        req = urllib.request.Request(self.upstream_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=UPSTREAM_TIMEOUT_S) as r:
            return r.read(MAX_BODY)

    def _real_commit(self, height):
        """The node's /commit answer at `height` (None: the latest); waits a little for a
        height the node has not reached yet (the client may have seen it on a faster node)."""
        path = "/commit" + ("?height=%d" % height if height is not None else "")
        deadline = time.monotonic() + WAIT_FOR_HEIGHT_S
        while True:
            try:     # CometBFT answers an error (a height above its head) with HTTP 500
                return json.loads(self.upstream("GET", path))
            except urllib.error.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def lie_or_pass(self, method, params, path):
        height = int(params["height"]) if params.get("height") else None
        if height is not None and height < self.fork_height:
            return self.upstream("GET", path)
        doc = self._real_commit(height)
        if "result" not in doc:
            return json.dumps(doc).encode()
        real = doc["result"]["signed_header"]
        if int(real["header"]["height"]) < self.fork_height:
            return json.dumps(doc).encode()
        forged_sh, forged_vals = self.forger.forge(real)
        with self._lies_lock:
            self.lies += 1
        if method == "commit":
            doc["result"]["signed_header"] = forged_sh
        elif method == "header":
            doc["result"] = {"header": forged_sh["header"]}
        else:
            doc["result"] = {"block_height": real["header"]["height"],
                             "validators": forged_vals,
                             "count": str(len(forged_vals)), "total": str(len(forged_vals))}
        return json.dumps(doc).encode()
