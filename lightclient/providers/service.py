"""A paid service's HTTP face (loopback only, as in the tests; a real provider puts it behind
its own TLS front): speech-to-text and a weather-style second service, each answered only after
the call's voucher passed channels.Provider.accept against the channel proven from verified
state. The request's own bytes are checked first (bounded, decoded), so a bad request is
refused without taking payment. Routes (docs/paid-calls.md):

    POST /stt?lang=en-us      body: FLAC / WAV audio       -> {"transcripts": [text], ...}
    GET  /weather?city=NAME                                -> {"city", "forecast", ...}

Each carries X-Mycroft-Voucher and X-Mycroft-Voucher-Sig (hex); a refusal is 402 with the
check's name in X-Payment-Refused and the body {"error": check, "message": ...}."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from lightclient import channels as C
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.pay import voucher as V
from lightclient.providers import audio

H_VOUCHER = "X-Mycroft-Voucher"
H_SIG = "X-Mycroft-Voucher-Sig"
H_REFUSED = "X-Payment-Refused"
MAX_VOUCHER_HEX = 2 * V.MAX_BYTES
MAX_CITY = 64

log = logging.getLogger("lightclient.providers")


def voucher_headers(voucher, sig):
    return {H_VOUCHER: bytes(voucher).hex(), H_SIG: bytes(sig).hex()}


class _Refused(Exception):
    def __init__(self, status, check, message):
        super().__init__(message)
        self.status, self.check = status, check


class ProviderService:
    """provider: a channels.Provider (its address, chain id, minimum settle delay);
    channel_of(channel_id) -> the channel proven at a verified header (or None);
    prices: {"stt": n, "weather": n} in the channels' denom; engine: a SpeechEngine;
    forecasts: {city: text} for the weather-style service."""

    def __init__(self, provider, channel_of, prices, engine=None, forecasts=None,
                 host="127.0.0.1", port=0):
        self.provider = provider
        self.channel_of = channel_of
        self.prices = dict(prices)
        self.engine = engine
        self.forecasts = dict(forecasts or {})
        self.lock = threading.Lock()          # accept() updates the provider's latest vouchers
        self.served = {"stt": 0, "weather": 0}
        self.refused = {}
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = None

    @property
    def url(self):
        return "http://%s:%d" % self.httpd.server_address[:2]

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="provider",
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stops listening: a device calling it now finds the port closed."""
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- payment ----------------------------------------------------------------------------
    def _pay(self, headers, service):
        vh, sh = headers.get(H_VOUCHER), headers.get(H_SIG)
        if not vh or not sh:
            raise _Refused(402, "voucher_missing", "a paid call needs a voucher")
        try:
            if len(vh) > MAX_VOUCHER_HEX or len(sh) != 128:
                raise ValueError("size")
            voucher, sig = bytes.fromhex(vh), bytes.fromhex(sh)
            cid = V.decode(voucher).channel
        except (ValueError, DecodeError):
            raise _Refused(402, "voucher_decode", "the voucher headers do not decode")
        channel = self.channel_of(cid)
        with self.lock:
            try:
                return self.provider.accept(channel, voucher, sig, self.prices[service])
            except C.PaymentRefused as e:
                raise _Refused(402, e.check, str(e))

    def redeem(self, send):
        """send(messages) -> the inclusion height: the latest voucher of each lane, redeemed."""
        with self.lock:
            msgs = self.provider.redeem_messages()
            if not msgs:
                return None
            height = send(msgs)
            self.provider.mark_redeemed()
            return height

    # -- the services -----------------------------------------------------------------------
    def stt(self, query, headers, body):
        if self.engine is None:
            raise _Refused(404, "not_served", "no speech-to-text here")
        try:
            samples = audio.decode(body)             # before payment: bad audio costs nothing
        except DecodeError as e:
            raise _Refused(400, e.check, str(e))
        paid = self._pay(headers, "stt")
        text = self.engine.transcribe(samples)
        self.served["stt"] += 1
        return {"transcripts": [text], "provider": self.provider.address, "paid": paid}

    def weather(self, query, headers, body):
        city = (query.get("city") or [""])[0]
        if not 0 < len(city) <= MAX_CITY or city not in self.forecasts:
            raise _Refused(404, "unknown_city", "no forecast for that city")
        paid = self._pay(headers, "weather")
        self.served["weather"] += 1
        return {"city": city, "forecast": self.forecasts[city],
                "provider": self.provider.address, "paid": paid}

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):        # no query strings or headers in logs
                pass

            def _answer(self, status, doc, extra=None):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _serve(self, method):
                u = urlsplit(self.path)
                route = {("POST", "/stt"): service.stt,
                         ("GET", "/weather"): service.weather}.get((method, u.path))
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= audio.MAX_AUDIO_BYTES:
                    self.close_connection = True
                    return self._answer(413, {"error": "body_size"})
                body = self.rfile.read(length) if length else b""
                if route is None:
                    return self._answer(404, {"error": "not_found"})
                try:
                    doc = route(parse_qs(u.query), self.headers, body)
                except _Refused as e:
                    service.refused[e.check] = service.refused.get(e.check, 0) + 1
                    return self._answer(e.status, {"error": e.check, "message": str(e)},
                                        {H_REFUSED: e.check} if e.status == 402 else None)
                except LightClientError as e:     # the channel could not be proven now
                    return self._answer(503, {"error": e.check, "message": str(e)})
                self._answer(200, doc)

            def do_POST(self):
                self._serve("POST")

            def do_GET(self):
                self._serve("GET")

        return Handler
