# A CometBFT JSON-RPC client for one node, over http.client, with a deadline on every request and
# a bound on every body. Nothing a node sends is trusted: sizes are checked before allocation,
# every failure is a SourceError naming the check, and the answers are parsed by the core's
# rpcjson (typed DecodeErrors) before anyone looks at them. Verification is not done here: a
# light block coming out of this module is only well-formed, not yet believed.
#
# One deadline per request bounds the whole exchange: http.client reads the status line, the
# headers, interim (1xx) answers and chunk sizes through a socket whose every read gets only
# what is left of that deadline (_DeadlineSocket), so a peer sending a byte at a time gets
# nowhere. The deadline is read on the Clock handed in. (Name resolution is the OS's and not
# bounded: sources are given as IP addresses or resolved beforehand.)

import base64
import http.client
import io
import json
import math
import socket
import threading
import urllib.parse

from lightclient.chip.core import rpcjson
from lightclient.chip.core.errors import DecodeError, Unavailable
from lightclient.clock import Clock

MAX_BODY = 4 * 1024 * 1024       # one answer; a /commit of 150 validators is ~40 KiB
MAX_VALIDATORS = 150             # the network's cap; bounds the number of /validators pages
PER_PAGE = 100                   # CometBFT's maximum page size
DEFAULT_TIMEOUT = 3.0
CHUNK = 16 * 1024

REFUSED = "refused"
TIMEOUT = "timeout"
HTTP_STATUS = "http_status"
TOO_LARGE = "too_large"
BAD_JSON = "bad_json"
BAD_HTTP = "bad_http"
RPC_ERROR = "rpc_error"
MAX_INT = (1 << 63) - 1          # heights, counts: CometBFT's int64


class SourceError(Unavailable):
    """A node did not give a usable answer (it may be down, slow, or lying about sizes). Not a
    proof of malice: the source is retried later with backoff, not banned."""

    def __init__(self, check, message="", url="", **details):
        super().__init__(check, message, url=url, **details)
        self.url = url


class Counters:
    """Every byte and light block fetched, across all sources (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bytes = 0
        self.requests = 0
        self.light_blocks = 0

    def add(self, nbytes=0, requests=0, light_blocks=0):
        with self.lock:
            self.bytes += nbytes
            self.requests += requests
            self.light_blocks += light_blocks

    def snapshot(self):
        with self.lock:
            return {"bytes": self.bytes, "requests": self.requests,
                    "light_blocks": self.light_blocks}


class RawLightBlock:
    """A parsed (not verified) light block and the JSON it came from, which is what the trust
    store keeps and what the LAN server serves back unchanged."""

    def __init__(self, light_block, signed_header_json, validators_json):
        self.light_block = light_block
        self.signed_header_json = signed_header_json
        self.validators_json = validators_json

    @property
    def height(self):
        return self.light_block.signed_header.header.height

    def to_json(self):
        return {"signed_header": self.signed_header_json, "validators": self.validators_json}

    @classmethod
    def from_json(cls, d):
        if not isinstance(d, dict):
            raise DecodeError("json_shape", "stored light block must be an object")
        sh, vals = d.get("signed_header"), d.get("validators")
        return cls(rpcjson.light_block_from_json(sh, vals), sh, vals)


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def _finite_float(text):
    v = float(text)
    if math.isinf(v) or math.isnan(v):   # 1e999: int() of it would be an OverflowError
        raise ValueError("number out of range")
    return v


def int_field(value, lo=0, hi=MAX_INT):
    """A JSON integer (CometBFT sends int64 as decimal strings) within [lo, hi], or None. Strict:
    no floats, booleans, signs other than a leading '-', spaces, '_' or non-ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and 0 < len(value) <= 20:
        digits = value[1:] if value[:1] == "-" else value
        if not digits or not all("0" <= c <= "9" for c in digits):
            return None
        n = int(value)
    else:
        return None
    return n if lo <= n <= hi else None


class _DeadlineReader(io.RawIOBase):
    """Reads of one socket, each bounded by what is left of the request's deadline."""

    def __init__(self, bounded):
        self.bounded = bounded

    def readable(self):
        return True

    def readinto(self, buf):
        b = self.bounded
        left = b.deadline - b.monotonic()
        if left <= 0:
            raise socket.timeout("request deadline passed")
        b.sock.settimeout(left)
        return b.sock.recv_into(buf)


class _DeadlineSocket:
    """What http.client sees as its socket: makefile() reads through _DeadlineReader; close() is
    left to the request (http.client closes a "Connection: close" socket while the response is
    still being read), which closes the real socket when it ends, however it ends."""

    def __init__(self, sock, deadline, monotonic):
        self.sock = sock
        self.deadline = deadline
        self.monotonic = monotonic

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self))

    def sendall(self, data):
        left = self.deadline - self.monotonic()
        if left <= 0:
            raise socket.timeout("request deadline passed")
        self.sock.settimeout(left)
        return self.sock.sendall(data)

    def close(self):
        pass

    def really_close(self):
        self.sock.close()

    def __getattr__(self, name):
        return getattr(self.sock, name)


class _Bounded:
    """Mixin for http.client connections: the connected socket becomes a _DeadlineSocket."""

    def set_deadline(self, deadline, monotonic):
        self.deadline = deadline
        self.monotonic = monotonic
        self.bounded = None

    def connect(self):
        super().connect()
        self.bounded = self.sock = _DeadlineSocket(self.sock, self.deadline, self.monotonic)

    def really_close(self):
        if self.bounded is not None:
            self.bounded.really_close()
        self.close()


class _HttpConnection(_Bounded, http.client.HTTPConnection):
    pass


class _HttpsConnection(_Bounded, http.client.HTTPSConnection):
    pass


def _uri_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    return '"' + str(v) + '"'   # CometBFT's URI form: strings in double quotes


class RpcClient:
    def __init__(self, url, timeout=DEFAULT_TIMEOUT, max_body=MAX_BODY, counters=None, clock=None):
        try:
            parsed = urllib.parse.urlsplit(url)
            port = parsed.port        # ValueError when out of range or not a number
        except (ValueError, TypeError, AttributeError):
            parsed = port = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SourceError("bad_url", "source URL must be http(s)://host[:port]",
                              url=str(url)[:200])
        self.url = url.rstrip("/")
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = port or (443 if parsed.scheme == "https" else 80)
        self.base_path = parsed.path.rstrip("/")
        self.timeout = timeout
        self.max_body = max_body
        self.counters = counters if counters is not None else Counters()
        self.monotonic = (clock if clock is not None else Clock()).monotonic

    # --- transport ---------------------------------------------------------------------------

    def _request(self, method, path, body=None, timeout=None):
        """One HTTP exchange bounded in time (the whole exchange, not each read) and size."""
        deadline = self.monotonic() + (timeout if timeout is not None else self.timeout)
        cls = _HttpsConnection if self.scheme == "https" else _HttpConnection
        conn = cls(self.host, self.port, timeout=max(0.01, deadline - self.monotonic()))
        conn.set_deadline(deadline, self.monotonic)
        resp = None
        try:
            headers = {"Accept": "application/json", "Connection": "close"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                conn.request(method, self.base_path + path, body=body, headers=headers)
                resp = conn.getresponse()
                self._check_length(resp.getheader("Content-Length"))
                data = self._read_body(resp)
            except SourceError:
                raise
            except (socket.timeout, TimeoutError):
                raise SourceError(TIMEOUT, "no answer before the deadline", url=self.url)
            except ConnectionRefusedError:
                raise SourceError(REFUSED, "connection refused", url=self.url)
            except OSError as e:   # RemoteDisconnected included: it is both
                raise SourceError(REFUSED, "connection failed: %s" % type(e).__name__,
                                  url=self.url, error=str(e)[:120])
            except http.client.HTTPException as e:   # a status line or headers not HTTP/1.x
                raise SourceError(BAD_HTTP, "malformed HTTP answer: %s" % type(e).__name__,
                                  url=self.url, error=str(e)[:120])
            self.counters.add(nbytes=len(data), requests=1)
            if resp.status != 200:  # CometBFT answers RPC errors with 500 too: unusable either way
                raise SourceError(HTTP_STATUS, "HTTP status %d" % resp.status, url=self.url,
                                  status=resp.status)
            return data
        finally:
            if resp is not None:
                resp.close()
            conn.really_close()   # an abandoned request leaves no socket open

    def _check_length(self, length):
        if length is None:
            return
        n = int_field(length.strip())
        if n is None:
            raise SourceError(BAD_HTTP, "bad Content-Length", url=self.url)
        if n > self.max_body:
            raise SourceError(TOO_LARGE, "answer larger than the limit", url=self.url,
                              length=n, limit=self.max_body)

    def _read_body(self, resp):
        chunks = []
        got = 0
        while True:
            chunk = resp.read1(CHUNK)
            if not chunk:
                return b"".join(chunks)
            got += len(chunk)
            if got > self.max_body:
                raise SourceError(TOO_LARGE, "answer larger than the limit", url=self.url,
                                  limit=self.max_body)
            chunks.append(chunk)

    def _decode(self, data):
        try:
            # NaN/Infinity (and 1e999, which float() makes infinite) would turn int() into an
            # OverflowError; deep nesting is a RecursionError: all end here as a typed error.
            doc = json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
        except (ValueError, UnicodeError, RecursionError) as e:
            raise SourceError(BAD_JSON, "answer is not JSON: %s" % str(e)[:80], url=self.url)
        if not isinstance(doc, dict):
            raise SourceError(BAD_JSON, "answer is not a JSON object", url=self.url)
        if doc.get("error"):
            err = doc["error"]
            try:
                text = json.dumps(err)[:200]
            except (ValueError, RecursionError):
                text = "(unprintable)"
            raise SourceError(RPC_ERROR, "node answered with an error", url=self.url, error=text)
        if "result" not in doc or not isinstance(doc["result"], dict):
            raise SourceError(BAD_JSON, "answer has no result object", url=self.url)
        return doc["result"]

    def call(self, method, timeout=None, **params):
        """GET /method?k=v (CometBFT's URI form) -> the `result` object."""
        query = "&".join("%s=%s" % (k, urllib.parse.quote(_uri_value(v), safe='"x'))
                         for k, v in params.items() if v is not None)
        path = "/" + method + ("?" + query if query else "")
        return self._decode(self._request("GET", path, timeout=timeout))

    def post(self, method, params, timeout=None):
        """JSON-RPC 2.0 POST (for arguments that are JSON objects, like evidence)."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        return self._decode(self._request("POST", "/", body=body.encode(), timeout=timeout))

    # --- the light-client subset ---------------------------------------------------------------

    def status(self, timeout=None):
        """-> {"latest_height", "latest_time_ns", "latest_hash", "network", "node_id"}."""
        r = self.call("status", timeout=timeout)
        try:
            si = r["sync_info"]
            ni = r.get("node_info") or {}
            height = int_field(si["latest_block_height"])
            t = rpcjson.parse_rfc3339_ns(si["latest_block_time"], "latest_block_time")
            h = si.get("latest_block_hash") or ""
            network, node_id = ni.get("network", ""), ni.get("id", "")
        except (KeyError, TypeError, AttributeError) as e:
            raise SourceError(BAD_JSON, "status answer lacks sync_info", url=self.url,
                              error=str(e)[:80])
        except DecodeError as e:
            raise SourceError(BAD_JSON, "status time: %s" % e.check, url=self.url)
        if height is None:
            raise SourceError(BAD_JSON, "status height is not an int64 >= 0", url=self.url)
        if not all(isinstance(v, str) for v in (h, network, node_id)):
            raise SourceError(BAD_JSON, "status hash, network or id is not a string",
                              url=self.url)
        return {"latest_height": height, "latest_time_ns": t, "latest_hash": h[:64],
                "network": network[:64], "node_id": node_id[:64]}

    def signed_header(self, height=None, timeout=None):
        r = self.call("commit", height=height, timeout=timeout)
        sh = r.get("signed_header")
        if not isinstance(sh, dict):
            raise SourceError(BAD_JSON, "commit answer has no signed_header", url=self.url)
        return sh

    def header(self, height, timeout=None):
        """The header at `height` alone (/header, half a /commit's bytes): all a witness's
        agreement on a head needs is its hash."""
        r = self.call("header", height=height, timeout=timeout)
        h = r.get("header")
        if not isinstance(h, dict):
            raise SourceError(BAD_JSON, "header answer has no header", url=self.url)
        got = int_field(h.get("height"), 1)
        if got != height:
            raise SourceError(BAD_JSON, "node returned another height", url=self.url,
                              requested=height, got=got)
        return h

    def validators(self, height, timeout=None):
        """All pages of /validators at `height`, as one {"validators", "count", "total"}."""
        vals = []
        page = 1
        total = None
        max_pages = (MAX_VALIDATORS + PER_PAGE - 1) // PER_PAGE
        while True:
            r = self.call("validators", height=height, page=page, per_page=PER_PAGE,
                          timeout=timeout)
            try:
                t = int_field(r["total"])
                items = r["validators"]
                bh = int_field(r.get("block_height", height))
            except (KeyError, TypeError):
                t = None
            if t is None or bh is None:
                raise SourceError(BAD_JSON, "validators answer is malformed", url=self.url)
            if not isinstance(items, list) or not items:
                raise SourceError(BAD_JSON, "validators page is empty", url=self.url, page=page)
            if bh != height:
                raise SourceError(BAD_JSON, "validators for another height", url=self.url,
                                  requested=height, got=bh)
            if t > MAX_VALIDATORS or t <= 0:
                raise SourceError(TOO_LARGE, "validator set larger than the limit", url=self.url,
                                  total=t, limit=MAX_VALIDATORS)
            if total is None:
                total = t
            elif t != total:
                raise SourceError(BAD_JSON, "validator total changed between pages", url=self.url)
            vals.extend(items)
            if len(vals) > total:
                raise SourceError(BAD_JSON, "more validators than the total", url=self.url)
            if len(vals) == total:
                break
            page += 1
            if page > max_pages:
                raise SourceError(TOO_LARGE, "too many validator pages", url=self.url)
        return {"validators": vals, "count": str(len(vals)), "total": str(total),
                "block_height": str(height)}

    def light_block(self, height=None, timeout=None):
        """The light block at `height` (latest when None): /commit then /validators pages."""
        sh = self.signed_header(height, timeout=timeout)
        try:
            h = int_field(sh["header"]["height"], 1)
        except (KeyError, TypeError):
            h = None
        if h is None:
            raise SourceError(BAD_JSON, "signed header without a height", url=self.url)
        if height is not None and h != height:
            raise SourceError(BAD_JSON, "node returned another height", url=self.url,
                              requested=height, got=h)
        vals = self.validators(h, timeout=timeout)
        try:
            lb = rpcjson.light_block_from_json(sh, vals)
        except DecodeError as e:
            e.details["url"] = self.url
            raise
        self.counters.add(light_blocks=1)
        return RawLightBlock(lb, sh, vals)

    def abci_query(self, path, data, height, prove=True, timeout=None):
        r = self.call("abci_query", path=path, data=bytes(data), height=height, prove=prove,
                      timeout=timeout)
        resp = r.get("response")
        if not isinstance(resp, dict):
            raise SourceError(BAD_JSON, "abci_query answer has no response", url=self.url)
        return resp

    def broadcast_tx_sync(self, tx, timeout=None):
        return self.call("broadcast_tx_sync", tx=bytes(tx), timeout=timeout)

    def broadcast_evidence(self, evidence, timeout=None):
        return self.post("broadcast_evidence", {"evidence": evidence}, timeout=timeout)

    def net_info(self, timeout=None):
        """Peers' RPC URLs as announced in /net_info (node_info.other.rpc_address, with the
        peer's remote_ip when the node listens on 0.0.0.0)."""
        r = self.call("net_info", timeout=timeout)
        peers = r.get("peers")
        out = []
        if not isinstance(peers, list):
            return out
        for p in peers[:64]:
            try:
                ni = p["node_info"]
                rpc = str(ni.get("other", {}).get("rpc_address", ""))[:200]
                ip = str(p.get("remote_ip", ""))[:64]
            except (KeyError, TypeError, AttributeError):
                continue
            if rpc.startswith("tcp://"):
                rpc = "http://" + rpc[len("tcp://"):]
            if not rpc.startswith("http"):
                continue
            try:
                u = urllib.parse.urlsplit(rpc)
                host, port = u.hostname, u.port
            except ValueError:   # a port out of range or not a number
                continue
            if host in ("0.0.0.0", "", None) and ip:
                host = ip
            if host is None or port is None:
                continue
            out.append("%s://%s:%d" % (u.scheme, host, port))
        return out


def b64_field(v, field):
    """A base64 string (or null) of an abci answer -> bytes or None, as a typed DecodeError."""
    if v is None or v == "":
        return None
    if not isinstance(v, str) or len(v) > 2 * MAX_BODY:
        raise DecodeError("json_shape", "expected base64", field=field)
    try:
        return base64.b64decode(v, validate=True)
    except (ValueError, TypeError):
        raise DecodeError("base64", "bad base64", field=field)
