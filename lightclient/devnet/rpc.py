"""CometBFT 0.38 RPC face: request parsing (URI GET and JSON-RPC 2.0 POST), JSON shapes and
errors as CometBFT writes them, and the honest handlers over a History.

Shapes follow ../shared/vectors/cometbft/rpc/kvstore-v0.38: string-encoded int64s, RFC 3339
nanosecond times, upper-case hex hashes and addresses, base64 signatures, keys and values.
CometBFT's quirks kept on purpose: a URI request that fails gets HTTP 500 with the JSON-RPC
error, a POST gets HTTP 200; the id of a URI request is -1.
"""

import base64
import binascii
import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient.chip import txs as txmod
from lightclient.chip.core import types as T
from lightclient.devnet.chain import RPC_KEY_TYPE, commit_json, format_rfc3339_ns, header_json, validator_json
from lightclient.devnet import app as appmod
from lightclient.devnet.history import SECOND, UNBONDING_PERIOD_NS

MAX_BODY = 1 << 20
MAX_EVIDENCE = 256  # evidence records a node keeps (each up to a MAX_BODY request)
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


def evidence_hash(ev):
    return hashlib.sha256(txmod.canonical_json(ev)).digest()


def keep_evidence(records, info):
    """Record evidence once per hash, the latest MAX_EVIDENCE: CometBFT's pool ignores evidence
    it already has (and still answers with its hash), and a client resubmitting must not grow a
    node's memory without bound."""
    if all(r["hash"] != info["hash"] for r in records):
        records.append(info)
        del records[:-MAX_EVIDENCE]


# --- the honest chain ---------------------------------------------------------------------------

class ChainRPC:
    """The honest node's handlers over a History (the producer's view of the chain)."""

    def __init__(self, history, name="producer", rpc_port=0):
        self.h = history
        self.name = name
        self.rpc_port = rpc_port
        self.mempool = []  # accepted by CheckTx; producer.produce_block reaps it under the lock
        self.mempool_lock = threading.Lock()
        self.evidence = []
        self.evidence_lock = threading.Lock()

    # helpers
    def latest(self):
        return self.h.height

    def _height(self, params, name="height", allow_next=False):
        latest = self.latest()
        hh = int_param(params, name)
        if hh is None or hh == 0:
            return latest
        return check_height(hh, 1, latest + 1 if allow_next else latest)

    def call(self, method, params):
        fn = getattr(self, "m_" + method, None)
        if fn is None or method.startswith("_"):
            raise RPCError(-32601, "Method not found", "")
        return fn(params)

    # methods
    def m_health(self, params):
        return {}

    def m_status(self, params):
        h = self.h
        latest = self.latest()
        hd = h.header(latest)
        first = h.header(1)
        return {
            "node_info": node_info(h.chain_id, self.name, self.rpc_port),
            "sync_info": {
                "latest_block_hash": hexu(h.hash_at(latest)),
                "latest_app_hash": hexu(hd.app_hash),
                "latest_block_height": str(latest),
                "latest_block_time": format_rfc3339_ns(hd.time_ns),
                "earliest_block_hash": hexu(h.hash_at(1)),
                "earliest_app_hash": hexu(first.app_hash),
                "earliest_block_height": "1",
                "earliest_block_time": format_rfc3339_ns(first.time_ns),
                "catching_up": False,
            },
            "validator_info": {
                "address": hexu(hashlib.sha256(self.name.encode()).digest()[:20]),
                "pub_key": {"type": RPC_KEY_TYPE[T.ED25519],
                            "value": b64(hashlib.sha256(b"node-key/" + self.name.encode())
                                         .digest())},
                "voting_power": "0",
            },
        }

    def m_abci_info(self, params):
        latest = self.latest()
        return {"response": {"data": "mycroft-devnet", "version": "1", "app_version": "1",
                             "last_block_height": str(latest),
                             "last_block_app_hash": b64(self.h.app.app_hash_after(latest))}}

    def m_genesis(self, params):
        h = self.h
        spec = h.spec
        return {"genesis": {
            "genesis_time": format_rfc3339_ns(spec.genesis_time_ns),
            "chain_id": h.chain_id, "initial_height": "1",
            "consensus_params": {
                "block": {"max_bytes": "22020096", "max_gas": "-1"},
                "evidence": {"max_age_num_blocks": str(UNBONDING_PERIOD_NS // spec.interval_ns),
                             "max_age_duration": str(UNBONDING_PERIOD_NS),
                             "max_bytes": "1048576"},
                "validator": {"pub_key_types": [spec.key_type]},
                "version": {"app": "1"},
                "abci": {"vote_extensions_enable_height": "0"}},
            "validators": [{"address": hexu(v.address),
                            "pub_key": {"type": RPC_KEY_TYPE[v.key_type], "value": b64(v.pub_key)},
                            "power": str(v.voting_power), "name": "validator-%d" % i}
                           for i, v in enumerate(h.validators(1).validators)],
            "app_hash": "",
            "app_state": {"staking": {"params": {
                "unbonding_time": "%ds" % (UNBONDING_PERIOD_NS // SECOND)}}},
        }}

    def m_header(self, params):
        hh = self._height(params)
        return {"header": header_json(self.h.header(hh))}

    def m_commit(self, params):
        hh = self._height(params)
        # CometBFT serves the latest block's commit from its "seen commit": canonical false.
        return commit_result(self.h.header(hh), self.h.commit(hh), hh != self.latest())

    def m_validators(self, params):
        hh = self._height(params, allow_next=True)
        return validators_result(self.h.validators(hh), hh, int_param(params, "page"),
                                 int_param(params, "per_page"))

    def m_abci_query(self, params):
        path = str_param(params, "path")
        key = query_key(params)
        prove = params.get("prove") in (True, "true")
        latest = self.latest()
        hh = int_param(params, "height")
        if hh is None or hh == 0:
            hh = latest
        elif hh > latest:
            raise internal("height %d must be less than or equal to the current blockchain "
                           "height %d" % (hh, latest))
        elif hh < 0:
            raise internal("height must be non-negative")
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != "" or parts[1] != "store" or parts[3] != "key":
            return query_response(key, None, None, hh, code=6, codespace="sdk",
                                  log="unknown query path: %s" % path[:80])
        store = parts[2]
        if store not in appmod.STORES:
            return query_response(key, None, None, hh, code=6, codespace="sdk",
                                  log="no such store: %s" % store[:40])
        if not key:
            return query_response(key, None, None, hh, code=2, codespace="sdk",
                                  log="query cannot be zero length")
        value, ops = self.h.app.query(hh, store, key, prove)
        return query_response(key, value, ops, hh)

    def m_broadcast_tx_sync(self, params):
        tx = params.get("tx")
        if not isinstance(tx, str):
            raise invalid_params("tx must be a base64 string")
        try:
            raw = base64.b64decode(tx, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_params("tx: invalid base64")
        if len(raw) > txmod.MAX_TX_BYTES:
            raise internal("tx too large. Max size is %d, but got %d"
                           % (txmod.MAX_TX_BYTES, len(raw)))
        thash = hashlib.sha256(raw).digest()
        with self.mempool_lock:
            if raw in self.mempool or thash in self.h.tx_heights:
                raise internal("tx already exists in cache")
            try:
                self.h.app.check_tx(raw, list(self.mempool))
            except appmod.TxError as e:
                return {"code": e.code, "data": "", "log": e.log,
                        "codespace": appmod.TX_CODESPACE, "hash": hexu(thash)}
            self.mempool.append(raw)
        return {"code": 0, "data": "", "log": "", "codespace": "", "hash": hexu(thash)}

    def m_broadcast_evidence(self, params):
        ev = params.get("evidence")
        info = check_evidence(ev, self.h.chain_id, self._header_or_none)
        with self.evidence_lock:
            keep_evidence(self.evidence, info)
        return {"hash": info["hash"]}

    def _header_or_none(self, height):
        if 1 <= height <= self.latest():
            return self.h.header(height)
        return None

    def m_net_info(self, params):
        return {"listening": True, "listeners": [], "n_peers": "0", "peers": []}

    # internal API for the nodes (the producer's port only)
    def m_devnet_tx(self, params):
        try:
            thash = bytes.fromhex(params.get("hash", ""))
        except ValueError:
            raise invalid_params("hash: invalid hex")
        hh = self.h.tx_heights.get(thash)
        if hh is None or hh > self.latest():
            return {"height": None}
        res = self.h.app.results.get(hh, [])
        code, log = 0, ""
        for t, r in zip(self.h.txs.get(hh, []), res):
            if hashlib.sha256(t).digest() == thash:
                code, log = r
        return {"height": str(hh), "code": code, "log": log}

    def m_devnet_state(self, params):
        hh = int_param(params, "height", self.latest())
        stores, versions = self.h.app.snapshot(hh)
        return {"height": str(hh), "versions": versions,
                "stores": {n: {k.hex(): v.hex() for k, v in items.items()}
                           for n, items in stores.items()}}

    def m_devnet_seeds(self, params):
        hh = self._height(params, allow_next=True)
        return {"height": str(hh), "seeds": [
            {"address": hexu(v.address), "key_type": v.key_type,
             "power": str(v.voting_power), "seed": self.h.key_for(v.address).seed.hex()}
            for v in self.h.validators(hh).validators]}

    def m_devnet_info(self, params):
        latest = self.latest()
        return {"spec": self.h.spec.to_json(), "latest_height": str(latest),
                "change_heights": [str(x) for x in self.h.change_heights()],
                "app_change_heights": [str(x) for x in self.h.app.change_heights()],
                "generation_seconds": self.h.generation_seconds,
                "loaded_from_cache": self.h.loaded_from_cache}


def check_evidence(ev, chain_id, header_at):
    """Structural check of LightClientAttackEvidence JSON and that its conflicting header
    conflicts with our chain at that height. Returns the record kept; raises RPCError."""
    from lightclient.chip.core import rpcjson
    from lightclient.chip.core.errors import LightClientError
    if not isinstance(ev, dict) or ev.get("type") != "tendermint/LightClientAttackEvidence":
        raise invalid_params("evidence: expected {\"type\": \"tendermint/LightClientAttack"
                             "Evidence\", \"value\": ...}")
    val = ev.get("value")
    if not isinstance(val, dict):
        raise invalid_params("evidence.value must be an object")
    try:
        cb = val["conflicting_block"]
        sh = rpcjson.signed_header_from_json(cb["signed_header"])
        vset = rpcjson.validator_set_from_json(cb["validator_set"])
        common = int(val["common_height"])
        total = int(val["total_voting_power"])
        ts = rpcjson.parse_rfc3339_ns(val["timestamp"])
        byz = val.get("byzantine_validators") or []
        if not isinstance(byz, list):
            raise ValueError("byzantine_validators must be a list")
        for b in byz:
            rpcjson.validator_from_json(b, "byzantine_validators[]")
    except (KeyError, TypeError, ValueError, LightClientError) as e:
        raise internal("evidence is malformed: %s" % e)
    hd = sh.header
    if hd.chain_id != chain_id:
        raise internal("evidence is for another chain: %s" % hd.chain_id[:60])
    if sh.commit.height != hd.height or sh.commit.block_id.hash != hd.hash():
        raise internal("evidence's commit is not for its header")
    if hd.validators_hash != vset.hash():
        raise internal("evidence's validator set does not match the header's validators_hash")
    if common < 1 or common > hd.height:
        # Below the conflicting height for a lunatic attack, equal to it for an equivocation.
        raise internal("common height %d is not in [1, %d] (the conflicting height)"
                       % (common, hd.height))
    ours = header_at(hd.height)
    if ours is None:
        raise internal("no block at height %d to compare with" % hd.height)
    if ours.hash() == hd.hash():
        raise internal("conflicting header is the same as the block at height %d" % hd.height)
    return {"hash": hexu(evidence_hash(ev)), "height": hd.height, "common_height": common,
            "conflicting_hash": hexu(hd.hash()), "our_hash": hexu(ours.hash()),
            "total_voting_power": total, "timestamp": format_rfc3339_ns(ts),
            "byzantine_validators": len(byz), "received_at": time.time(), "evidence": ev}


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
    server_version = "devnet"
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
