"""The fault modes of a scenario network node: one class per mode, one registry (`FAULTS`).

A fault acts at three levels, each a method with an honest default:
- control: `listening` (is the RPC port open at all) and `prepare` (what it builds when set: a
  forked chain, a forged state);
- request: `intercept(handler)` answers (or never answers) before the request is parsed;
- answer: `answer(node, method, params)` replaces the honest result (None: keep it), `alter`
  edits the honest result, `send` writes the answer's bytes.

Parameters are declared per class (`params`) and checked by `build` into typed values with
their defaults (some depend on the head height): a wrong one raises FaultParamError naming the
mode, the parameter and what it must be. The CLI's help and its validation read this registry.
"""

import base64
import textwrap
import time

from lightclient.scenarionet import forks
from lightclient.scenarionet import rpc
from lightclient.scenarionet.fault_params import (  # noqa: F401 (FaultError: re-exported)
    Choice, FaultError, FaultParamError, Int, Number, Object, Text, UnknownFault)


# --- the modes ----------------------------------------------------------------------------------

class Fault:
    """An honest node (mode `ok`); subclasses override what their mode changes."""

    name = "ok"
    summary = "honest"
    params = ()
    listening = True

    def __init__(self, values):
        self.values = values  # typed, defaults filled; never changed after construction

    @classmethod
    def check(cls, values, latest):
        """Constraints between parameters (raise FaultParamError); each Int marked
        at_most_head is checked against the head before."""

    def prepare(self, up, spec):
        """Build what the mode serves (from the producer `up`) before it takes effect."""

    def intercept(self, handler):
        """True when the fault has dealt with this request (answered or dropped it)."""
        return False

    def answer(self, node, method, params):
        """The result to serve instead of the honest one, or None."""
        return None

    def alter(self, method, result):
        """Edit the honest result in place."""

    def send(self, handler, status, body, ctype):
        handler.send_raw(status, body, ctype)

    def params_json(self):
        return {k: v for k, v in self.values.items()}


class Down(Fault):
    name = "down"
    summary = ("RPC listener closed: connection refused (reopened on the same port by any other "
               "mode)")
    listening = False

    def intercept(self, handler):
        handler.close_connection = True  # a request accepted just before the port closed
        return True


class Blackholed(Fault):
    name = "blackholed"
    summary = "accepts and reads requests, never answers (until the mode changes)"

    def intercept(self, handler):
        node = handler.server.node
        while node.fault is self and node.rpc_srv is handler.server:
            time.sleep(0.1)
        handler.close_connection = True
        return True


class Slow(Fault):
    name = "slow"
    summary = ("correct answers, status line and headers included, trickled (after an optional "
               "first-byte latency: a far-away node)")
    params = (Number("delay_s", 0.05, "seconds between steps", 0, 60),
              Int("bytes_per_step", 1, "bytes written per step", 1, 1 << 20),
              Number("latency_s", 0, "seconds before the first byte", 0, 60))

    def send(self, handler, status, body, ctype):
        node = handler.server.node
        if node.fault is self:
            time.sleep(self.values["latency_s"])
        head = ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                % (status, handler.responses.get(status, ("",))[0], ctype, len(body))).encode()
        data = head + body
        step, delay = self.values["bytes_per_step"], self.values["delay_s"]
        try:
            for i in range(0, len(data), step):
                handler.wfile.write(data[i:i + step])
                handler.wfile.flush()
                if node.fault is not self:
                    delay = 0  # switched away: finish this answer at once
                time.sleep(delay)
        except OSError:
            handler.close_connection = True


class _AnswersUnread(Fault):
    """Answers without parsing the request; a body over MAX_BODY still gets 413 and only that."""

    def intercept(self, handler):
        if handler.read_body() is not None:
            self.reply(handler)
        return True


class ServerError(_AnswersUnread):
    name = "5xx"
    summary = "HTTP 503 with an HTML body"

    def reply(self, handler):
        handler.send_raw(503, b"<html><body>503 Service Unavailable</body></html>\n", "text/html")


class Garbage(_AnswersUnread):
    name = "garbage"
    summary = "HTTP 200, application/json, bytes that are not JSON"

    def reply(self, handler):
        handler.send_raw(200, b"\x00\xff<<not json>>" + bytes((i * 73 + 41) % 256
                                                              for i in range(512)))


class Oversized(_AnswersUnread):
    name = "oversized"
    summary = "HTTP 200 with Content-Length: size and a body streamed until then"
    params = (Int("size", 50 * 1024 * 1024, "bytes announced and sent", 1, 1 << 40),)

    def reply(self, handler):
        size = self.values["size"]
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        chunk = b'{"jsonrpc":"2.0","id":-1,"result":"' + b"A" * 65000
        sent = 0
        try:
            while sent < size:
                part = chunk[:size - sent]
                handler.wfile.write(part)
                sent += len(part)
                chunk = b"A" * 65536
        except OSError:
            pass
        handler.close_connection = True


def _flip_b64(s, index=-1):
    b = bytearray(base64.b64decode(s))
    if b:
        b[index] ^= 0x01
    return base64.b64encode(bytes(b)).decode()


class ForgedSignatures(Fault):
    name = "forged_signatures"
    summary = "/commit with one bit flipped in each signature"
    params = (Int("count", 0, "signatures to forge (0: all)", 0),)

    def alter(self, method, result):
        if method != "commit":
            return
        count, n = self.values["count"], 0
        for s in result["signed_header"]["commit"]["signatures"]:
            if s.get("signature") and (count == 0 or n < count):
                s["signature"] = _flip_b64(s["signature"], 7)
                n += 1


class WrongProofs(Fault):
    name = "wrong_proofs"
    summary = ("abci_query: the value altered under the honest proof, or a byte of the first "
               "proof op corrupted")
    params = (Choice("variant", "value", "what is corrupted", ("value", "proof")),)

    def alter(self, method, result):
        if method != "abci_query":
            return
        r = result["response"]
        if self.values["variant"] == "value":
            if r.get("value"):
                r["value"] = _flip_b64(r["value"])
            elif r.get("proofOps"):  # a missing key gets a made-up value
                r["value"] = base64.b64encode(b'{"forged":true}').decode()
        elif r.get("proofOps"):
            op = r["proofOps"]["ops"][0]
            op["data"] = _flip_b64(op["data"], len(base64.b64decode(op["data"])) // 2)


def _height_error(h, frozen):
    return rpc.internal("height %d must be less than or equal to the current blockchain height %d"
                        % (h, frozen))


class Stale(Fault):
    name = "stale"
    summary = "reports and serves the chain frozen at height; above it, CometBFT's height error"
    params = (Int("height", lambda latest, v: max(1, latest - 5), "the frozen head", 1,
                  default_help="head - 5", at_most_head=True),)

    def answer(self, node, method, params):
        frozen = self.values["height"]
        hh = rpc.int_param(params, "height")
        # /validators serves one height beyond the head (the next set).
        top = frozen + 1 if method == "validators" else frozen
        if method in ("commit", "header", "abci_query", "validators"):
            if hh is None or hh == 0:
                params = dict(params, height=str(frozen))
            elif hh > top:
                raise _height_error(hh, frozen)
        res = node.up.call(method, params)
        if method == "status":
            res = node.status_from(res, node.up.header(frozen))
        if method == "commit":
            res["canonical"] = hh not in (None, 0, frozen)
        return res


class _Forked(Fault):
    """Serves a ForkedChain (built by `prepare`) for heights from the fork on."""

    fork = None

    def answer(self, node, method, params):
        # Only the methods that differ ask the producer for its head: an extra round trip on
        # every answer would slow the faulty node down for its honest answers too.
        fork = self.fork
        if method == "status":
            return node.status_from(node.up.call("status"), fork.header(node.up.latest()))
        if method in ("commit", "header"):
            hh = rpc.int_param(params, "height")
            latest = node.up.latest()
            h = latest if hh in (None, 0) else hh
            if h < fork.fork_height or h > latest:
                return None
            hd, commit = fork.block(h)
            if method == "header":
                return {"header": forks.header_json(hd)}
            return rpc.commit_result(hd, commit, h != latest)
        return None


class MinorityFork(_Forked):
    name = "minority_fork"
    summary = ("from fork_height on a conflicting chain, each commit signed by the smallest "
               "validators while they hold < 1/3 of the power")
    params = (Int("fork_height", lambda latest, v: max(2, latest - 2), "first forked height", 2,
                  default_help="head - 2", at_most_head=True),)

    def prepare(self, up, spec):
        self.fork = forks.minority_fork(spec, up, self.values["fork_height"])


class Lunatic(_Forked):
    name = "lunatic"
    summary = ("the light-client attack: a forked chain signed by the validators of "
               "signer_height, with a forged state whose proofs verify")
    params = (Int("fork_height", lambda latest, v: max(3, latest - 2), "first forked height", 2,
                  default_help="head - 2", at_most_head=True),
              Int("signer_height", lambda latest, v: v["fork_height"] - 1,
                  "whose validators sign the fork", 1, default_help="fork_height - 1"),
              Object("setting", {"lang": "xx-xx", "tts": {"module": "attacker-tts"}},
                     "merged into each forged record's setting"),
              Text("uuid", None, "the one device whose record is forged",
                   default_help="every device"))

    forged = None

    @classmethod
    def check(cls, values, latest):
        fh, sh = values["fork_height"], values["signer_height"]
        if sh >= fh:
            raise FaultParamError(cls.name, "signer_height", "must be below fork_height %d, got %d"
                                  % (fh, sh))

    def prepare(self, up, spec):
        v = self.values
        self.fork, self.forged = forks.lunatic(spec, up, v["fork_height"], v["signer_height"],
                                               v["setting"], v["uuid"])

    def answer(self, node, method, params):
        res = _Forked.answer(self, node, method, params)
        if res is not None or method not in ("validators", "abci_query"):
            return res
        hh = rpc.int_param(params, "height")
        latest = node.up.latest()
        h = latest if hh in (None, 0) else hh
        fh = self.fork.fork_height
        if method == "validators":  # the old set, which signed the fork
            if h < fh or h > latest + 1:
                return None
            vals, _, _ = self.fork.vals_for(h)
            return rpc.validators_result(vals, h, rpc.int_param(params, "page"),
                                         rpc.int_param(params, "per_page"))
        if h < fh - 1 or h > latest:
            return None
        key = rpc.query_key(params)
        store = forks.store_of_path(rpc.str_param(params, "path"))
        if store is None or not key:
            return None  # the honest node's error answer
        value, ops = self.forged.query(store, key)
        prove = params.get("prove") in (True, "true")
        return rpc.query_response(key, value, ops if prove else None, h)


class Future(Fault):
    name = "future"
    summary = ("a block at head + 1, validly signed by the real validators, with a time offset_s "
               "ahead of its slot")
    params = (Int("offset_s", 86400, "seconds ahead of the block's slot", 1, 10 * 365 * 86400),)

    def answer(self, node, method, params):
        if method not in ("status", "commit", "header"):
            return None
        up = node.up
        latest = up.latest()
        fh = latest + 1
        if method != "status" and rpc.int_param(params, "height") not in (None, 0, fh):
            return None
        hd, commit = forks.future_block(node.spec, up, latest, self.values["offset_s"])
        if method == "status":
            return node.status_from(up.call("status"), hd)
        if method == "header":
            return {"header": forks.header_json(hd)}
        return rpc.commit_result(hd, commit, False)


FAULTS = {cls.name: cls for cls in (Fault, Down, Blackholed, Slow, ServerError, ForgedSignatures,
                                    MinorityFork, Lunatic, Future, Stale, WrongProofs, Garbage,
                                    Oversized)}
OK = Fault({})


def fault_class(mode, registry=None):
    registry = FAULTS if registry is None else registry
    cls = registry.get(mode) if isinstance(mode, str) else None
    if cls is None:
        raise UnknownFault(mode, registry)
    return cls


def parse_values(mode, raw, latest=None, registry=None):
    """The typed parameters of `mode` from `raw` ({name: JSON value}), defaults filled. With
    latest None (no head known: the CLI before it asks the node), head-relative defaults and
    checks are left to the node. `registry`: another set of modes (the real chain's relays).
    Raises FaultError."""
    cls = fault_class(mode, registry)
    names = [p.name for p in cls.params]
    for k in raw:
        if k not in names:
            raise FaultParamError(mode, repr(k), "is not a parameter (valid: %s)"
                                  % (", ".join(names) or "none"))
    values = {}
    for p in cls.params:
        if p.name in raw:
            try:
                values[p.name] = p.parse(raw[p.name])
            except ValueError as e:
                raise FaultParamError(mode, p.name, str(e))
        elif latest is not None or not callable(p.default):
            values[p.name] = p.default_for(latest, values)
    if latest is not None:
        for p in cls.params:
            if getattr(p, "at_most_head", False) and values[p.name] > latest:
                raise FaultParamError(mode, p.name, "must be at most the head %d, got %d"
                                      % (latest, values[p.name]))
        cls.check(values, latest)
    return values


def build(mode, raw, latest, registry=None):
    """A new fault object of `mode` with checked parameters (not yet prepared)."""
    return fault_class(mode, registry)(parse_values(mode, raw, latest, registry))


def describe(width=96, registry=None):
    """The modes and their parameters, for the CLI's help."""
    lines = []
    for name, cls in (FAULTS if registry is None else registry).items():
        lines += textwrap.wrap(cls.summary, width, initial_indent="  %-18s " % name,
                               subsequent_indent=" " * 21)
        for p in cls.params:
            lines += textwrap.wrap(p.describe(), width, initial_indent=" " * 23,
                                   subsequent_indent=" " * 25)
    return "\n".join(lines)
