# The content-addressed blob store (docs/grants.md): sealed blobs by their SHA-256, over HTTP on
# 127.0.0.1. It stores only what hashes to its name and serves bytes its readers check again:
# the store is trusted with nothing but availability. `mycroft-lc blobs serve`.
#
#   PUT /blobs/<64 hex>  body: the blob   -> 201 (200 if held already); 400 blob_hash; 413 blob_size
#   GET /blobs/<64 hex>                   -> 200 the blob; 404

import hashlib
import json
import os
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient.atomic_file import write_atomic
from lightclient.chip.core.errors import InvalidData, LocalFault, Unavailable

MAX_BLOB = 1 << 20          # x/devices MaxBlobSize: the chain indexes nothing larger
READ_TIMEOUT_S = 10.0
POLL_S = 0.05               # how soon stop() is noticed
_PATH = re.compile(r"^/blobs/([0-9a-f]{64})$")


class BlobError(InvalidData):
    """A blob that is not what its name says (blob_hash) or too large (blob_size)."""


class BlobStoreUnavailable(Unavailable):
    """The store did not answer, or does not hold the blob (blob_missing)."""


def _check(data, sha_hex):
    if len(data) > MAX_BLOB:
        raise BlobError("blob_size", "blob over the limit", size=len(data), limit=MAX_BLOB)
    got = hashlib.sha256(data).hexdigest()
    if got != sha_hex:
        raise BlobError("blob_hash", "the blob does not hash to its name", want=sha_hex, got=got)


class BlobDirectory:
    """The store's files: one per blob, named by its hash, written atomically."""

    def __init__(self, directory):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)

    def _path(self, sha_hex):
        if not re.fullmatch("[0-9a-f]{64}", sha_hex):
            raise BlobError("blob_name", "a blob's name is its SHA-256 in 64 hex digits")
        return os.path.join(self.directory, sha_hex)

    def put(self, sha_hex, data):
        """-> True when it was new. Refuses a blob that does not hash to sha_hex."""
        path = self._path(sha_hex)
        _check(data, sha_hex)
        if os.path.exists(path):
            return False
        write_atomic(path, data)
        return True

    def get(self, sha_hex):
        try:
            with open(self._path(sha_hex), "rb") as f:
                return f.read(MAX_BLOB + 1)
        except FileNotFoundError:
            return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "mycroft-lc-blobs"
    timeout = READ_TIMEOUT_S     # a slow client is cut off

    def _answer(self, code, body=b"", ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, code, check, message):
        self._answer(code, json.dumps({"error": check, "message": message}).encode())

    def do_GET(self):
        m = _PATH.match(self.path)
        data = self.server.blobs.get(m.group(1)) if m else None
        if data is None:
            return self._error(404, "blob_missing", "no such blob")
        self._answer(200, data, "application/octet-stream")

    def do_PUT(self):
        m = _PATH.match(self.path)
        if not m:
            return self._error(404, "blob_name", "PUT /blobs/<sha256 hex>")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._error(411, "blob_length", "Content-Length required")
        if not 0 < length <= MAX_BLOB:     # bounded before anything is read
            return self._error(413, "blob_size", "a blob is 1..%d bytes" % MAX_BLOB)
        data = self.rfile.read(length)
        try:
            new = self.server.blobs.put(m.group(1), data)
        except BlobError as e:
            return self._error(400, e.check, str(e))
        self._answer(201 if new else 200, b"{}")

    def log_message(self, fmt, *args):     # one line per request on stderr, no content
        if self.server.log:
            super().log_message(fmt, *args)


class BlobServer:
    """The store on 127.0.0.1:port (0: any free port); .url once started."""

    def __init__(self, directory, port=0, log=False):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.blobs = BlobDirectory(directory)
        self.httpd.log = log
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(POLL_S,),
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self.httpd.serve_forever()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class BlobClient:
    """Puts and gets blobs by hash; every blob read is checked against the hash asked for."""

    def __init__(self, url, timeout=READ_TIMEOUT_S):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _open(self, req):
        try:
            return self.opener.open(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            body = e.read(4096)
            try:
                check = json.loads(body).get("error", "blob_store")
            except ValueError:
                check = "blob_store"
            if e.code == 404:
                raise BlobStoreUnavailable("blob_missing", "the store does not hold the blob")
            raise BlobError(check, "the blob store refused the blob", status=e.code)
        except (OSError, urllib.error.URLError) as e:
            raise BlobStoreUnavailable("blob_store", "the blob store did not answer",
                                       error=str(e)) from None

    def put(self, data):
        """-> the blob's SHA-256 (bytes)."""
        if not 0 < len(data) <= MAX_BLOB:
            raise BlobError("blob_size", "a blob is 1..%d bytes" % MAX_BLOB, size=len(data))
        sha = hashlib.sha256(data).digest()
        req = urllib.request.Request("%s/blobs/%s" % (self.url, sha.hex()), data=bytes(data),
                                     method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        with self._open(req) as r:
            r.read(4096)
        return sha

    def get(self, sha):
        """The blob named by `sha` (32 bytes): BlobError blob_hash if the store serves other
        bytes, blob_size if it serves more than a blob may be."""
        sha_hex = bytes(sha).hex()
        with self._open(urllib.request.Request("%s/blobs/%s" % (self.url, sha_hex))) as r:
            data = r.read(MAX_BLOB + 1)
        _check(data, sha_hex)
        return data


def serve(directory, port, log=True):
    """`mycroft-lc blobs serve`: runs until interrupted."""
    try:
        server = BlobServer(directory, port, log=log)
    except OSError as e:
        raise LocalFault("blob_port", "cannot listen on 127.0.0.1:%d" % port, error=str(e))
    print(server.url, flush=True)
    try:
        server.serve_forever()
    finally:
        server.httpd.server_close()
