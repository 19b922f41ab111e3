# The device API without HTTP: one method, handle(method, path, headers, body) -> Response.
# Reads come only from the light client's verified state (LightClient.device_record: proven at
# a height, or its cache marked stale); writes become device_write transactions signed by the
# device key and put in the durable queue. Routes and shapes: docs/device-api.md.
#
# Error bodies are JSON *strings*, not objects, on purpose: ovos-backend-client never looks at
# the status code and merges any JSON object it gets from /setting into the device's
# configuration, while a string makes it fail cleanly and keep its cached settings. The machine-
# readable reason is in the X-Lightclient-Error header.

import hmac
import json
import re
import threading
import time

from lightclient.chip import txs
from lightclient.api import chain_writes, skills, stt_route
from lightclient.api.queue import QueueFull
from lightclient.chip.core.errors import DecodeError, LightClientError

H_HEIGHT = "X-Lightclient-Height"
H_HASH = "X-Lightclient-Header-Hash"
H_AGE = "X-Lightclient-Age"
H_STALE = "X-Lightclient-Stale"
H_AGREED = "X-Lightclient-Agreed"   # a witness confirmed the head: true, false (none answered
                                    # in time: verified, not cross-checked), unknown (not asked)
H_ERROR = "X-Lightclient-Error"
H_QUEUE_ID = "X-Lightclient-Queue-Id"
H_SKILL_USE = "X-Lightclient-Skill-Use"   # counted:<skill>:<epoch>:<uses> | repeat
                                          # | not_counted:<check>

METRIC_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
FRESH_FOR_S = 2.0
TOKEN_LIFETIME_S = 365 * 86400          # one sync serves the burst of requests a client makes at start-up


class Response:
    __slots__ = ("status", "body", "headers")

    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body            # a JSON-able value
        self.headers = headers or {}

    def json_bytes(self):
        return json.dumps(self.body, separators=(",", ":")).encode()

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body)


def _error(status, code, message, headers=None):
    h = {H_ERROR: code}
    if headers:
        h.update(headers)
    return Response(status, code + ": " + message, h)


def proof_headers(pr, extra_age=0.0):
    return {H_HEIGHT: str(int(pr.height)),
            H_HASH: bytes(pr.header_hash).hex().upper(),
            H_AGE: "%.1f" % (float(pr.age_s) + extra_age),
            H_STALE: "true" if pr.stale else "false",
            H_AGREED: _agreed(getattr(pr, "agreed", None))}


def _agreed(agreed):
    return "unknown" if agreed is None else "true" if agreed else "false"


class RecordView:
    """device_record with single flight and a short reuse window, so a client's burst of reads
    costs one sync, and two reads in one burst never see two different heights."""

    def __init__(self, client, uuid, fresh_for_s=FRESH_FOR_S, monotonic=time.monotonic):
        self.client = client
        self.uuid = uuid
        self.fresh_for_s = fresh_for_s
        self.monotonic = monotonic
        self.lock = threading.Lock()
        self.last = None
        self.last_at = 0.0

    def get(self):
        """-> (ProvenRecord, seconds since it was fetched); raises LightClientError."""
        with self.lock:
            now = self.monotonic()
            if self.last is not None and now - self.last_at < self.fresh_for_s:
                return self.last, now - self.last_at
            pr = self.client.device_record(self.uuid)
            self.last, self.last_at = pr, self.monotonic()
            return pr, 0.0

    def invalidate(self):
        """The next get() proves again (the last proof stays for the status route)."""
        with self.lock:
            self.last_at = float("-inf")


class DeviceService:
    def __init__(self, client, uuid, chain_id=None, signer=None, queue=None, token=None,
                 fresh_for_s=FRESH_FOR_S, on_queued=None, writer=None):
        txs.record_key(uuid)                         # a malformed provisioned uuid fails here
        self.client = client
        # The device's own transactions on a Cosmos SDK chain (chain_writes.ChainWriter); None:
        # no writes (the scenario network takes no transactions).
        self.writer = writer
        self.uuid = uuid
        self.chain_id = chain_id
        self.signer = signer
        self.queue = queue
        # None: any bearer (loopback only); else the accepted tokens (identity2.json's access and
        # refresh tokens: mycroft-core presents the refresh token to /auth/token).
        if isinstance(token, str):
            token = (token,)
        self.tokens = tuple(token) if token else None
        self.records = RecordView(client, uuid, fresh_for_s)
        # One skill upload at a time from reading its base to queuing it: two built on the same
        # base would each lack the other's skill, and the later one supersedes the earlier.
        self.skill_lock = threading.Lock()
        self.on_queued = on_queued                   # wakes the submitter
        self.submitter = None                        # set by the app, for the status route
        self.stt = None                              # providers.router.PaidRouter: POST /v1/stt
        self.uses = None                             # skill_uses.SkillUses: the metric route

    # -- entry point ------------------------------------------------------------------------
    def handle(self, method, path, headers, body=b""):
        path = path.split("#", 1)[0]
        path, _, raw_query = path.partition("?")
        parts = [p for p in path.split("/") if p]
        try:
            if len(parts) < 2 or parts[0] not in ("v1", "lightclient"):
                return _error(404, "not_found", "no such route")
            denied = self._auth(headers, parts)
            if denied:
                return denied
            if parts == ["lightclient", "status"] and method == "GET":
                return self._status()
            if parts[0] != "v1":
                return _error(404, "not_found", "no such route")
            if parts[1:] == ["auth", "token"] and method == "GET":
                return self._token(headers)
            if parts[1] == "device" and len(parts) >= 3:
                return self._device(method, parts[3:], body)
            if parts[1:] == ["stt"] and method == "POST" and self.stt is not None:
                return stt_route.answer(self.stt, raw_query, body)
            return _error(404, "not_found", "not served by the light client's device API")
        except _BadRequest as e:
            return _error(400, "bad_request", str(e))
        except LightClientError as e:
            # Nothing verified to answer with (or the client refuses to move on): say so.
            return _error(503, e.check, str(e), {"Retry-After": "5"})

    # -- authentication ---------------------------------------------------------------------
    def _auth(self, headers, parts):
        h = {k.lower(): v for k, v in headers.items()}
        bearer = _bearer(h)
        unauthorized = {"WWW-Authenticate": 'Bearer realm="mycroft-lightclient"'}
        if self.tokens is not None and not any(hmac.compare_digest(bearer.encode(), t.encode())
                                               for t in self.tokens):
            return _error(401, "bad_token", "the access token is not this device's",
                          unauthorized)
        device = h.get("device")
        if device is not None and device != self.uuid:
            return _error(401, "wrong_device", "this service answers for its provisioned device "
                          "only", unauthorized)
        if parts[1] == "device" and len(parts) >= 3 and parts[2] != self.uuid:
            # The personal backend answers 401 for a device it does not know; so do we.
            return _error(401, "wrong_device", "this service answers for its provisioned device "
                          "only", unauthorized)
        return None

    def _token(self, headers):
        # Not chain data: the identity file's token round trip. `expiration` is in seconds from
        # now (ovos-backend-client and mycroft-core add it to time.time()); a year keeps both
        # from asking again on every request (mycroft-core treats 0 as "expired now").
        token = _bearer({k.lower(): v for k, v in headers.items()})      # accepted by _auth
        return Response(200, {"uuid": self.uuid, "accessToken": token, "refreshToken": token,
                              "expiration": TOKEN_LIFETIME_S})

    # -- device routes ----------------------------------------------------------------------
    def _device(self, method, rest, body):
        route = "/".join(rest)
        if method == "GET":
            if route in ("", "setting", "location", "subscription", "skill/settings", "skill"):
                return self._read(route)
        elif method == "PUT" and route == "skill":
            return self._write_skill(body)
        elif method == "PUT" and route == "settingsMeta":
            return self._write("settings_meta", _json_body(body))
        elif method == "POST" and len(rest) == 2 and rest[0] == "metric":
            if not METRIC_NAME.match(rest[1]):
                return _error(400, "metric_name", "metric name must be [A-Za-z0-9_.-]{1,64}")
            data = _json_body(body)
            counted = self._count_use(rest[1], data)
            r = self._write("metrics", {"name": rest[1], "data": data},
                            extra={"metric": data, "upload_data": {"uploaded": False}})
            if counted:
                r.headers[H_SKILL_USE] = counted
            return r
        elif method == "PATCH" and route == "":
            # Core/platform version report: the personal backend drops it too.
            _json_body(body)
            return Response(200, {})
        elif method == "PUT" and route == "skillJson":
            # Installed-skills manifest: not device state on the chain; echoed like the
            # personal backend does.
            return Response(200, _json_body(body))
        return _error(404, "not_found", "not served by the light client's device API")

    def _count_use(self, name, data):
        """A skill handler's report counts one use (skill_uses.py) whatever becomes of the metric
        write; -> the X-Lightclient-Skill-Use value, or None when the metric is not a use."""
        if self.uses is None:
            return None
        try:
            c = self.uses.count(name, data)
        except LightClientError as e:       # a bad skill id, or no verified time to count in
            return "not_counted:" + e.check
        except OSError:                      # the counter file cannot be written now
            return "not_counted:usage_counts_write"
        if c is None:
            return None
        if c["uses"] is None:
            return "repeat"
        return "counted:%s:%d:%d" % (c["skill"], c["epoch"], c["uses"])

    def _read(self, route):
        pr, elapsed = self.records.get()
        headers = proof_headers(pr, elapsed)
        rec = pr.record
        if rec is None:
            # Proven absent at this height: the device has no record on the chain.
            headers[H_ERROR] = "device_not_registered"
            return Response(401, "device_not_registered: the chain proves no record for this "
                            "device", headers)
        if route == "":
            body = rec.get("device")
        elif route == "skill/settings":
            body = skills.settings_map(rec.get("skills"))
        elif route == "skill":
            body = skills.v1_list(rec.get("skills"))
        else:
            body = rec.get(route)
        if body is None:
            body = {}
        return Response(200, body, headers)

    # -- writes -----------------------------------------------------------------------------
    def _write_skill(self, body):
        upload = _json_body(body)
        if not isinstance(upload, dict) or not skills.skill_id_of(upload):
            raise _BadRequest("skill upload must be an object with a skill_gid")
        # The write carries the whole skills array (docs/device-records.md), built on the newest
        # state we know: the last queued skill write if one is still pending, else the record.
        # Pending first, record second: the submitter drops the record view before it removes a
        # delivered entry (ApiApp), so an entry gone from the queue is in the record we read.
        refused = self._writes_refused()
        if refused is not None:
            return refused
        with self.skill_lock:
            base = self._pending_skills()
            # on the chain the skills array is the device's last skill_settings write
            try:
                proven, view = self.writer.proven_skills()
            except LightClientError as e:
                if e.check == "account_missing":
                    return _error(401, "device_not_registered", "the chain proves no "
                                  "account for this device")
                raise
            merged = skills.merge_upload(proven if base is None else base, upload)
            return self._write("skill_settings", merged, pr=view)

    def _pending_skills(self):
        if self.queue is None:
            return None
        for e in reversed(self.queue.pending()):
            if e.kind == "skill_settings":
                return e.write_data()
        return None

    def _writes_refused(self):
        """The answer when this service cannot write at all, else None."""
        if self.queue is None or self.signer is None or not self.chain_id:
            return _error(503, "writes_disabled", "this service has no signer or queue "
                          "configured")
        if self.writer is None:
            return _error(503, "writes_need_a_chain", "device writes are the device's own "
                          "transactions on a Cosmos SDK chain (chain_kind cosmos-sdk); the "
                          "scenario network takes none")
        return None

    def _write(self, kind, data, pr=None, elapsed=0.0, extra=None):
        refused = self._writes_refused()
        if refused is not None:
            return refused
        try:
            data = skills.canonicalizable(data)
        except ValueError as e:
            raise _BadRequest(str(e))
        try:
            build, floor, entry_data, pr = self._chain_plan(kind, data, pr)
            entry = self.queue.enqueue(kind, self.uuid, build, nonce_floor=floor or 0,
                                       data=entry_data, from_pending=floor is not None)
        except QueueFull as e:
            return _error(507, "queue_full", str(e), {"Retry-After": "60"})
        except DecodeError as e:             # canonical JSON refused the value (e.g. too deep)
            raise _BadRequest(str(e))
        except chain_writes.TxTooLarge as e:
            return _error(413, "tx_too_large", "the write does not fit in one transaction",
                          {"X-Lightclient-Limit": str(e.limit)})
        except _NotRegistered:
            return _error(401, "device_not_registered", "the chain proves no account for this "
                          "device")
        if self.on_queued:
            self.on_queued()
        headers = proof_headers(pr, elapsed) if pr is not None else {}
        headers[H_QUEUE_ID] = entry.id
        out = {"success": True, "uuid": self.uuid, "queued": True, "queue_id": entry.id,
               "tx_hash": entry.tx_hash}
        if extra:
            out.update(extra)
        return Response(202, out, headers)

    def _chain_plan(self, kind, data, view):
        """The device's SDK transaction: build_tx(sequence), the verified account sequence as
        the floor (None when unreachable: the queue's counter goes on, a mismatch is re-signed),
        the write's canonical JSON, the verified view shown in the proof headers."""
        w = self.writer
        data_json = txs.canonical_json(data).decode()
        floor = None
        try:
            view = view or w.view()
            floor = w.account(view)["sequence"]
        except LightClientError as e:
            if e.check == "account_missing":
                raise _NotRegistered()
            if w.account_number is None:
                raise                         # never proven: nothing to sign with yet (503)
        if view is None:
            view = w.view()
        pending = sum(1 for e in self.queue.pending() if e.kind == kind)
        return w.builder(kind, data_json, view, pending), floor, data_json, view

    def _status(self):
        out = {"uuid": self.uuid}
        if self.queue is not None:
            out["queue"] = self.queue.status()
            out["queue"]["ids"] = [e.id for e in self.queue.pending()]
        if self.submitter is not None:
            out["submitter"] = self.submitter.status()
        if self.signer is not None:
            out["key_protected"] = self.signer.key_protection()
        last = self.records.last
        if last is not None:
            out["last_proof"] = {"height": last.height, "stale": bool(last.stale),
                                 "agreed": getattr(last, "agreed", None),
                                 "header_hash": bytes(last.header_hash).hex().upper()}
        return Response(200, out)


class _BadRequest(Exception):
    pass


class _NotRegistered(Exception):
    pass


def _bearer(lower_headers):
    bearer = lower_headers.get("authorization", "")
    return bearer[7:] if bearer.startswith("Bearer ") else bearer


def _json_body(body):
    if not body:
        return None
    try:
        return json.loads(bytes(body).decode())
    except (ValueError, UnicodeError) as e:
        raise _BadRequest("body is not JSON: " + str(e)[:80])
