"""CometBFT 0.38 RPC face: request parsing (URI GET and JSON-RPC 2.0 POST), JSON shapes and
errors as CometBFT writes them, and the HTTP plumbing every scenarionet process serves it with (the
honest methods are chain_rpc.py's, a faulty node's answers node.py's and faults.py's).

Shapes follow ../shared/vectors/cometbft/rpc/kvstore-v0.38: string-encoded int64s, RFC 3339
nanosecond times, upper-case hex hashes and addresses, base64 signatures, keys and values.
CometBFT's quirks kept on purpose: a URI request that fails gets HTTP 500 with the JSON-RPC
error, a POST gets HTTP 200; the id of a URI request is -1.
"""

import base64
import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient.scenarionet.chain import commit_json, header_json, validator_json

MAX_BODY = 1 << 20
COMETBFT_VERSION = "0.38.12"
PER_PAGE_DEFAULT = 30
PER_PAGE_MAX = 100

# Positional parameter names (a JSON-RPC request may send params as a list).
METHOD_ARGS = {
    "status": [], "health": [], "net_info": [], "genesis": [], "abci_info": [],
    "commit": ["height"], "header": ["height"], "validators": ["height", "page", "per_page"],
    "abci_query": ["path", "data", "height", "prove"], "broadcast_tx_sync": ["tx"],
    "broadcast_evidence": ["evidence"],
}


class RPCError(Exception):
    def __init__(self, code, message, data=""):
        Exception.__init__(self, "%s: %s" % (message, data))
        self.code = code
        self.message = message
        self.data = data

    def to_json(self):
        return {"code": self.code, "message": self.message, "data": self.data}


def internal(msg):
    return RPCError(-32603, "Internal error", msg)


def invalid_params(msg):
    return RPCError(-32602, "Invalid params", msg)


def envelope(rpc_id, result=None, error=None):
    d = {"jsonrpc": "2.0", "id": rpc_id}
    if error is not None:
        d["error"] = error.to_json() if isinstance(error, RPCError) else error
    else:
        d["result"] = result
    return d


def dumps(obj):
    return json.dumps(obj, indent=2).encode()


def hexu(b):
    return bytes(b).hex().upper()


def b64(b):
    return base64.b64encode(bytes(b)).decode()


# --- requests -----------------------------------------------------------------------------------

def _unquote(v):
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1], True
    return v, False


def _uri_bytes(v, name):
    """A []byte URI argument as CometBFT reads it: 0x-hex, or a quoted string."""
    s, quoted = _unquote(v)
    if quoted:
        return s.encode()
    if s[:2].lower() == "0x":
        try:
            return bytes.fromhex(s[2:])
        except ValueError:
            raise invalid_params("%s: invalid hex %r" % (name, s[:40]))
    raise invalid_params("%s: expected 0x-prefixed hex or a quoted string" % name)


def parse_uri(path):
    """GET /method?args -> (method, params in JSON-RPC form). Hex / quoted bytes become base64
    (tx) or hex (data), as a JSON-RPC client sends them."""
    u = urllib.parse.urlsplit(path)
    method = u.path.strip("/")
    params = {}
    for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
        if k == "tx":
            params[k] = b64(_uri_bytes(v, k))
        elif k == "data":
            s, quoted = _unquote(v)
            if quoted:
                params[k] = s.encode().hex()
            else:
                params[k] = s[2:] if s[:2].lower() == "0x" else s
        elif k == "prove":
            params[k] = _unquote(v)[0].lower() == "true"
        elif k == "evidence":
            try:
                params[k] = json.loads(v)
            except ValueError:
                raise invalid_params("evidence: not JSON")
        else:
            params[k] = _unquote(v)[0]
    return method, params


def parse_post(body):
    """A JSON-RPC 2.0 body -> (method, params dict, id). Raises RPCError (with id None)."""
    try:
        req = json.loads(body)
    except (ValueError, UnicodeError) as e:
        raise RPCError(-32700, "Parse error", "error unmarshaling request: %s" % e)
    if not isinstance(req, dict):
        raise RPCError(-32600, "Invalid Request", "batch requests are not supported here")
    rpc_id = req.get("id")
    method = req.get("method")
    if req.get("jsonrpc") != "2.0" or not isinstance(method, str):
        raise RPCError(-32600, "Invalid Request", "jsonrpc must be \"2.0\" and method a string")
    params = req.get("params")
    if params is None:
        params = {}
    if isinstance(params, list):
        names = METHOD_ARGS.get(method, [])
        if len(params) > len(names):
            raise invalid_params("too many positional params")
        params = dict(zip(names, params))
    if not isinstance(params, dict):
        raise invalid_params("params must be an object or an array")
    return method, params, rpc_id


def int_param(params, name, default=None):
    v = params.get(name)
    if v is None or v == "":
        return default
    if isinstance(v, bool):
        raise invalid_params("%s must be an integer" % name)
    if isinstance(v, str):
        try:
            v = int(v, 10)
        except ValueError:
            raise invalid_params("%s: invalid integer %r" % (name, v[:30]))
    if not isinstance(v, int):
        raise invalid_params("%s must be an integer" % name)
    return v


def str_param(params, name):
    """A string parameter ("" when absent); any other JSON type is CometBFT's invalid params."""
    v = params.get(name)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise invalid_params("%s must be a string" % name)
    return v


def query_key(params):
    """The `data` of an abci_query (hex) as bytes."""
    try:
        return bytes.fromhex(str_param(params, "data"))
    except ValueError:
        raise invalid_params("data: invalid hex")


# --- JSON shapes --------------------------------------------------------------------------------

def validators_result(vset, height, page=None, per_page=None):
    total = len(vset)
    per_page = PER_PAGE_DEFAULT if per_page is None else per_page
    if per_page < 1:
        per_page = PER_PAGE_DEFAULT  # CometBFT's validatePerPage
    per_page = min(per_page, PER_PAGE_MAX)
    pages = max(1, (total + per_page - 1) // per_page)
    page = 1 if page is None else page
    if page < 1 or page > pages:
        raise internal("page should be within [1, %d] range, given %d" % (pages, page))
    items = vset.validators[(page - 1) * per_page:page * per_page]
    return {"block_height": str(height), "validators": [validator_json(v) for v in items],
            "count": str(len(items)), "total": str(total)}


def commit_result(header, commit, canonical=True):
    return {"signed_header": {"header": header_json(header), "commit": commit_json(commit)},
            "canonical": canonical}


def proof_ops_json(ops):
    return {"ops": [{"type": t, "key": b64(k), "data": b64(d)} for t, k, d in ops]}


def query_response(key, value, ops, height, code=0, log="", codespace=""):
    return {"response": {
        "code": code, "log": log, "info": "", "index": "0",
        "key": b64(key) if key else None,
        "value": b64(value) if value is not None else None,
        "proofOps": proof_ops_json(ops) if ops else None,
        "height": str(height), "codespace": codespace}}


def node_id(chain_id, name):
    return hashlib.sha256(("%s/node/%s" % (chain_id, name)).encode()).hexdigest()[:40]


def node_info(chain_id, name, rpc_port, p2p_port=26656):
    return {
        "protocol_version": {"p2p": "8", "block": "11", "app": "1"},
        "id": node_id(chain_id, name),
        "listen_addr": "tcp://127.0.0.1:%d" % p2p_port,
        "network": chain_id,
        "version": COMETBFT_VERSION,
        "channels": "40202122233038606100",
        "moniker": name,
        "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:%d" % rpc_port},
    }


def check_height(height, base, latest):
    """CometBFT's getHeight: the errors a node gives for heights it cannot serve."""
    if height <= 0:
        raise internal("height must be greater than 0, but got %d" % height)
    if height > latest:
        raise internal("height %d must be less than or equal to the current blockchain height %d"
                       % (height, latest))
    if height < base:
        raise internal("height %d is not available, lowest height is %d" % (height, base))
    return height


# --- HTTP plumbing ------------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def serve(handler_cls, port=0, **attrs):
    """A ThreadingHTTPServer on 127.0.0.1:port in a daemon thread; attrs are set on the server."""
    srv = Server(("127.0.0.1", port), handler_cls)
    for k, v in attrs.items():
        setattr(srv, k, v)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    return srv


class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scenarionet"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    # CometBFT answers its RPC face both ways: URI GET and JSON-RPC POST.
    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def read_body(self):
        """The request body, at most MAX_BODY bytes; None after answering 413 / 411."""
        n = self.headers.get("Content-Length")
        if n is None:
            if self.headers.get("Transfer-Encoding"):
                self.send_raw(411, b"length required\n", "text/plain")
                return None
            return b""
        try:
            n = int(n)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self.send_raw(413, b"request body too large\n", "text/plain")
            self.close_connection = True
            return None
        return self.rfile.read(n)

    def send_raw(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def parse_request_rpc(self):
        """(method, params, id, is_uri) of this request, None when already answered (413 / 411);
        raises RPCError."""
        if self.command == "GET":
            method, params = parse_uri(self.path)
            return method, params, -1, True
        body = self.read_body()
        if body is None:
            return None
        method, params, rpc_id = parse_post(body)
        return method, params, rpc_id, False

    def serve_rpc(self, call, banner, send=None):
        """Answer this request with call(method, params) in a JSON-RPC envelope, errors as
        CometBFT writes them. Any other exception is an internal error, as CometBFT's recover
        handler answers a panic: a client always gets an answer, never a dropped connection."""
        send = send or self.send_raw
        rpc_id, uri = -1, self.command == "GET"
        try:
            parsed = self.parse_request_rpc()
            if parsed is None:
                return
            method, params, rpc_id, uri = parsed
            if uri and method == "":
                send(200, banner, "text/plain")
                return
            status, body = 200, dumps(envelope(rpc_id, call(method, params)))
        except RPCError as e:
            status, body = (500 if uri else 200), dumps(envelope(rpc_id, error=e))
        except Exception as e:
            err = internal("%s: %s" % (type(e).__name__, e))
            status, body = (500 if uri else 200), dumps(envelope(rpc_id, error=err))
        send(status, body)


def rpc_call(url, method, params=None, timeout=10.0):
    """One JSON-RPC POST to url; returns the decoded envelope (result or error)."""
    import http.client
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": params or {}}).encode()
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return json.loads(resp.read(64 << 20))
    finally:
        conn.close()
