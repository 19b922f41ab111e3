"""The skill-usage token issuer (docs/usage-tokens.md): signs blinded token messages (RFC 9474)
for paired devices, at most N per device per epoch. It sees a device's address, its epoch and
opaque blinded messages, never a token message or a nonce, so it cannot tell which device a
token redeemed on the chain came from.

`Issuer.issue` is the rule (no I/O but its counter file; the verified header and the device's
proven x/devices record are arguments); `IssuerService` is the shell: JSON over HTTP on
127.0.0.1, the record proven with ICS23 against a header the caller's light client verified."""

import hashlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lightclient import channels
from lightclient.atomic_file import write_atomic
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import usage_request
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.crypto import backend as crypto
from lightclient.localchain import devicetx
from lightclient.usage_tokens import UsageError, epoch_of

MAX_BODY = 64 * 1024            # 64 blinded messages of 512 bytes, hex, fit
MAX_DEVICE_RECORD = 64 * 1024
ISSUE_PATH = "/v1/usage/issue"


class Issuer:
    """n_per_epoch: the most tokens one device gets for one epoch; counts persist in
    counts_path (atomic), so a restart never grants a device its quota again."""

    def __init__(self, secret_key, chain_id, n_per_epoch, epoch_seconds, counts_path=None,
                 keep_seen=False):
        if not 0 < n_per_epoch <= usage_request.MAX_TOKENS * 16:
            raise ValueError("n_per_epoch out of range")
        self.sk = secret_key
        self.pk = secret_key.public
        self.key_id = self.pk.key_id()
        self.chain_id = chain_id
        self.n = n_per_epoch
        self.epoch_seconds = epoch_seconds
        self.counts_path = counts_path
        self.lock = threading.Lock()
        self.counts = {}
        if counts_path and os.path.exists(counts_path):
            with open(counts_path) as f:
                self.counts = json.load(f)
        # keep_seen: what the issuer saw, kept for a test that shows it shares nothing with the
        # redeemed tokens (off in a service)
        self.seen = [] if keep_seen else None

    def _refuse(self, check, message, **details):
        raise UsageError(check, message, **details)

    def issue(self, request, signature, blinded, header_time_s, device_record):
        """-> [blind signature]. device_record: the device's proven x/devices record
        (devicetx.decode_device) at the verified header, None when proven absent."""
        try:
            chain_id, epoch, key_id, address20, hashes = usage_request.decode(request)
        except DecodeError as e:
            self._refuse("issuer_request", e.message)
        if chain_id != self.chain_id:
            self._refuse("issuer_chain", "request for another chain", chain_id=chain_id[:50])
        if key_id != self.key_id:
            self._refuse("issuer_key", "request names another issuer key")
        now = epoch_of(header_time_s, self.epoch_seconds)
        if epoch not in (now, now - 1):
            self._refuse("issuer_epoch", "tokens are issued for this epoch or the last",
                         epoch=epoch, now=now)
        if len(blinded) != len(hashes) or any(
                len(b) != self.pk.modulus_len or hashlib.sha256(b).digest() != h
                for b, h in zip(blinded, hashes)):
            self._refuse("issuer_blinded", "the blinded messages are not the ones signed")
        if device_record is None or not device_record.get("owner"):
            self._refuse("issuer_not_paired", "the chain proves no paired device at this address")
        pub = device_record.get("pub_key", b"")
        if len(pub) != 33 or ct.account_address(pub) != address20:
            self._refuse("issuer_device_key", "the device record's key is not the request's")
        if not crypto.verify(crypto.SECP256K1, pub, request, signature):
            self._refuse("issuer_request_signature", "the chip's signature does not verify")
        slot = "%s/%d" % (address20.hex(), epoch)
        with self.lock:
            used = self.counts.get(slot, 0)
            if used + len(blinded) > self.n:
                self._refuse("issuer_quota", "at most %d tokens per device per epoch" % self.n,
                             used=used, asked=len(blinded))
            # counted (on disk) before any signature leaves: a crash never re-grants the quota
            self.counts[slot] = used + len(blinded)
            if self.counts_path:
                write_atomic(self.counts_path, json.dumps(self.counts, sort_keys=True).encode())
        if self.seen is not None:
            self.seen.append({"device": address20, "epoch": epoch, "blinded": list(blinded)})
        return [self.sk.blind_sign(b) for b in blinded]


def proven_device(rpc, header, address20):
    """The device's x/devices record proven against a verified header (None: proven absent)."""
    v = channels.proven(rpc, header, "devices", devicetx.device_key(address20), MAX_DEVICE_RECORD)
    return None if v is None else devicetx.decode_device(v)


class IssuerService:
    """HTTP shell on 127.0.0.1: POST ISSUE_PATH {"request", "signature", "blinded": [hex]} ->
    {"blind_signatures": [hex]}, or 4xx {"error": check, "message"}. verified_header() returns
    a header the issuer's light client verified (time and app hash)."""

    def __init__(self, issuer, rpc, verified_header, port=0):
        self.issuer, self.rpc, self.verified_header = issuer, rpc, verified_header
        svc = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):      # nothing logged: a request names a device
                pass

            def do_POST(self):
                status, body = svc.handle(self.path, self.headers.get("Content-Length"),
                                          self.rfile)
                out = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, path, length, rfile):
        if path != ISSUE_PATH:
            return 404, {"error": "not_found", "message": path[:64]}
        try:
            n = int(length or "0")
        except ValueError:
            n = -1
        if not 0 < n <= MAX_BODY:
            return 413, {"error": "body_size", "message": "body of 1..%d bytes" % MAX_BODY}
        try:
            body = json.loads(rfile.read(n))
            request = bytes.fromhex(body["request"])
            signature = bytes.fromhex(body["signature"])
            blinded = [bytes.fromhex(b) for b in body["blinded"][:usage_request.MAX_TOKENS + 1]]
        except (ValueError, KeyError, TypeError, AttributeError):
            return 400, {"error": "issuer_request", "message": "malformed JSON body"}
        try:
            _cid, _e, _k, address20, _h = usage_request.decode(request)
            header = self.verified_header()
            record = proven_device(self.rpc, header, address20)
            sigs = self.issuer.issue(request, signature, blinded, header.time_ns // 10 ** 9, record)
        except LightClientError as e:
            return 403, {"error": e.check, "message": e.message}
        return 200, {"blind_signatures": [s.hex() for s in sigs]}

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def http_issue(url, timeout=30):
    """The device's issue(request, signature, blinded) over HTTP to an IssuerService."""
    import urllib.error
    import urllib.request

    def issue(request, signature, blinded):
        body = json.dumps({"request": request.hex(), "signature": signature.hex(),
                           "blinded": [b.hex() for b in blinded]}).encode()
        req = urllib.request.Request(url + ISSUE_PATH, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                out = json.loads(r.read(MAX_BODY + 1))
        except urllib.error.HTTPError as e:
            try:
                err = json.loads(e.read(4096))
            except ValueError:
                err = {}
            raise UsageError(str(err.get("error", "issuer_http_%d" % e.code)),
                             str(err.get("message", ""))[:200]) from None
        sigs = out.get("blind_signatures") if isinstance(out, dict) else None
        if not isinstance(sigs, list) or len(sigs) != len(blinded):
            raise UsageError("issuer_answer", "the issuer's answer has no signature list")
        try:
            return [bytes.fromhex(s) for s in sigs]
        except (TypeError, ValueError):
            raise UsageError("issuer_answer", "a blind signature is not hex") from None

    return issue
