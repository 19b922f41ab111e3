"""The device's side of a paid call (docs/paid-calls.md): the service's providers and the
owner's channel to each are read from VERIFIED state (ICS23 against a header the light client
verified), each call is paid with a voucher the chip signs within the owner's caps, and a
provider that refuses, fails or times out is skipped for the next; when none answers, the
device's own engine answers, and says so. Nothing a provider or node says is taken for a
balance, a price or a channel."""

import json
import time
import urllib.error
import urllib.request

from lightclient import channels as C
from lightclient.chip.core.errors import LightClientError
from lightclient.providers import audio, registry
from lightclient.providers.service import H_REFUSED, voucher_headers

LANE = 0                       # the default lane: one router per service and channel
MAX_ANSWER = 64 * 1024
NONCE_REFUSALS = ("nonce_old", "nonce_reused", "amount_decreasing")  # the chip signed further


class NoAnswer(LightClientError):
    """No provider answered and there is no local engine; details name each attempt."""


class LightClientReads:
    """Verified reads through the light client: a synced head, proofs raced over its sources
    (a source whose proof fails is banned, as `mycroft-lc pay` does). A head synced less than
    fresh_for_s ago serves again (as the device API's records do): syncing and storing each
    new block cost more than the rest of a paid call (docs/paid-calls.md)."""

    def __init__(self, client, deadline_s=10.0, fresh_for_s=2.0, monotonic=time.monotonic):
        self.client, self.deadline_s = client, deadline_s
        self.fresh_for_s, self.monotonic = fresh_for_s, monotonic
        self.synced_at = None

    def head(self):
        now = self.monotonic()
        if self.synced_at is None or now - self.synced_at >= self.fresh_for_s:
            self.client.sync(deadline_s=self.deadline_s)
            self.synced_at = now
        return self.client.trusted().light_block.signed_header.header

    def race(self, fn, *args):
        return self.client.pool.race(lambda rpc: fn(rpc, *args))[0]


class PaidRouter:
    """reads: head() -> a verified header, race(fn, *args) -> fn(rpc, *args) proven;
    pay: a pay.PayClient (the chip); channels: {provider address: channel id}, the owner's
    channels this device may spend; local: a SpeechEngine, or None."""

    def __init__(self, reads, pay, chain_id, channels, service="stt", local=None,
                 timeout_s=5.0, lane=LANE, monotonic=time.monotonic):
        self.reads, self.pay, self.chain_id = reads, pay, chain_id
        self.channels = dict(channels)
        self.service = service
        self.lane = lane           # one lane per service on a channel shared with another
        self.local = local
        self.timeout_s = timeout_s
        self.monotonic = monotonic
        # (channel id, lane) -> (nonce, amount) of the latest voucher the chip signed: read from
        # the chip (its counter log) at the first voucher and again after a nonce refusal, then
        # kept up to date here. Never the Pi's memory alone: a restart or another signer on the
        # lane would otherwise make the chip refuse the next nonce as old.
        self.signed = None
        self._spender = None

    def spender(self):
        if self._spender is None:
            self._spender = self.pay.spender_key()
        return self._spender

    def routes(self):
        """-> (header, [(provider entry, proven channel)]) in the registry's order: the providers
        this device holds an open channel to, in the provider's denom, with its spender key."""
        header = self.reads.head()
        out = []
        for p in self.reads.race(registry.providers, header, self.service):
            cid = self.channels.get(p["address"])
            if cid is None:
                continue
            ch = self.reads.race(C.channel, header, cid)
            if ch is None or ch["closed"] or ch["settle_at"] or ch["provider"] != p["address"] \
                    or ch["denom"] != p["denom"] or ch["spender"] != self.spender():
                continue
            out.append((p, ch))
        return header, out

    def _voucher(self, p, ch):
        """The chip signs the lane's next voucher: the latest it signed (its own status), or the
        chain's redeemed one if later, plus the provider's proven price. A nonce refusal (the
        chip signed further since it was read) reads the chip again and asks once more.
        -> (voucher, sig, previous state)."""
        key = (ch["id"], self.lane)
        redeemed = {lane: (n, a) for lane, n, a in ch["lanes"]}.get(self.lane, (0, 0))
        for again in (False, True):
            if self.signed is None or again:
                self.signed = self.pay.signed_lanes()
            prev = self.signed.get(key, (0, 0))
            nonce, amount = max(prev, redeemed)
            try:
                r = self.pay.sign_voucher(self.chain_id, ch["id"], self.lane, nonce + 1,
                                          amount + p["price"], ch["denom"])
            except LightClientError as e:
                if again or e.check not in NONCE_REFUSALS:
                    raise
                continue
            self.signed[key] = (nonce + 1, amount + p["price"])
            return bytes(r["voucher"]), bytes(r["sig"]), prev

    def _post(self, url, body, headers):
        req = urllib.request.Request(url, data=body, headers=headers,
                                     method="POST" if body is not None else "GET")
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            data = resp.read(MAX_ANSWER + 1)
        if len(data) > MAX_ANSWER:
            raise ValueError("answer over the limit")
        return json.loads(data)

    def call(self, path, body=None, content_type="application/octet-stream", valid=None):
        """One paid call to the first provider that answers (valid(answer), when given) ->
        (answer, attempts, header); attempts: [{"provider", "outcome"}] in order. NoAnswer when
        none did. A voucher that was sent stays counted whatever the answer: the provider holds
        it and may redeem it, so the next one goes above it."""
        try:
            header, routes = self.routes()
        except LightClientError as e:      # no verified head or proof now (the outage itself)
            raise NoAnswer("no_verified_routes", "the %s providers cannot be proven now"
                           % self.service,
                           attempts=[{"provider": "registry", "outcome": "unproven:" + e.check}])
        attempts = []
        for p, ch in routes:
            try:
                voucher, sig, prev = self._voucher(p, ch)
            except LightClientError as e:            # the chip refused: caps, channel, day
                attempts.append({"provider": p["address"], "outcome": "chip:" + e.check})
                continue
            headers = dict(voucher_headers(voucher, sig), **{"Content-Type": content_type})
            try:
                doc = self._post(p["endpoint"].rstrip("/") + path, body, headers)
            except urllib.error.HTTPError as e:
                why = e.headers.get(H_REFUSED) or "http_%d" % e.code
                attempts.append({"provider": p["address"], "outcome": "refused:" + why})
                continue
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", e)
                if isinstance(reason, ConnectionRefusedError):
                    # nothing was sent: the same voucher (the chip signs it again) next time
                    self.signed[(ch["id"], self.lane)] = prev
                    outcome = "down"
                else:
                    outcome = "timeout" if "timed out" in str(reason) else "failed"
                attempts.append({"provider": p["address"], "outcome": outcome})
                continue
            if valid is not None and not valid(doc):
                attempts.append({"provider": p["address"], "outcome": "bad_answer"})
                continue
            attempts.append({"provider": p["address"], "outcome": "answered",
                             "paid": p["price"], "denom": p["denom"]})
            return doc, attempts, header
        raise NoAnswer("no_provider_answered", "no %s provider answered" % self.service,
                       attempts=attempts)

    def transcribe(self, audio_bytes, lang="en-us"):
        """-> {"text", "source": "provider" | "local", "provider", "paid", "denom",
        "attempts", "verified_height", "seconds"}. The audio is checked first: bad audio is a
        DecodeError and costs nothing."""
        t0 = self.monotonic()
        samples = audio.decode(audio_bytes)
        try:
            doc, attempts, header = self.call("/stt?lang=%s" % _lang(lang), audio_bytes,
                                              "audio/x-flac", _has_transcript)
            last = attempts[-1]
            return {"text": doc["transcripts"][0][:1000], "source": "provider", "provider": last["provider"],
                    "paid": last["paid"], "denom": last["denom"], "attempts": attempts,
                    "verified_height": header.height - 1,
                    "seconds": self.monotonic() - t0}
        except NoAnswer as e:
            if self.local is None:
                raise
            attempts = e.details.get("attempts", [])
        text = self.local.transcribe(samples)
        return {"text": text, "source": "local", "provider": None, "paid": 0, "denom": None,
                "attempts": attempts, "verified_height": None,
                "seconds": self.monotonic() - t0}


def _has_transcript(doc):
    texts = doc.get("transcripts") if isinstance(doc, dict) else None
    return isinstance(texts, list) and bool(texts) and isinstance(texts[0], str)


def _lang(lang):
    """A BCP-47-ish tag, checked before it goes into a provider's URL."""
    lang = str(lang or "en-us")[:16]
    if not all(c.isascii() and (c.isalnum() or c == "-") for c in lang):
        return "en-us"
    return lang
