"""Paid calls without a chain (docs/paid-calls.md): the registry's stored list decoded within
its bounds, the STT endpoint's audio checked before anything is paid, and the router's
failover over real provider services on loopback (a refusal, a timeout, a provider down, the
local engine, no answer at all), with the channels and the registry given as the chain would
prove them (the proofs themselves: tests/localchain/test_chain_stt.py)."""

import socket

import numpy as np
import pytest

from lightclient import channels as C
from lightclient import pay
from lightclient.api.service import DeviceService
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend
from lightclient.chip.pay import voucher as V
from lightclient.chip.pay.ledger import PayRefused
from lightclient.sources import NoSource
from lightclient.providers import audio, registry, router, service

CHAIN = "paid-test-1"
SPENDER_SECRET = b"\x17" * 32
SPENDER = backend.secp256k1_public_key(SPENDER_SECRET)


def entry(address, endpoint, price, denom="stake", height=5):
    return proto.message_field(2, proto.bytes_field(1, address) + proto.bytes_field(2, endpoint)
                               + proto.bytes_field(3, denom) + proto.varint_field(4, price)
                               + proto.varint_field(5, height))


def test_the_stored_provider_list_decodes_within_its_bounds():
    assert registry.service_key("stt") == b"\x02\x03stt"          # x/payments' ServiceKey
    value = proto.bytes_field(1, "stt") + entry("mycroft1a", "http://127.0.0.1:1/", 1000) \
        + entry("mycroft1b", "https://stt.example/v1", 7)
    name, out = registry.decode_service(value)
    assert name == "stt" and [(p["address"], p["endpoint"], p["price"]) for p in out] == \
        [("mycroft1a", "http://127.0.0.1:1/", 1000), ("mycroft1b", "https://stt.example/v1", 7)]
    for bad, check in ((b"", "service_size"),
                       (b"\x0a" * (registry.MAX_SERVICE_VALUE + 1), "service_size"),
                       (proto.bytes_field(1, "stt") + entry("a", "ftp://x/", 1),
                        "provider_endpoint"),
                       (proto.bytes_field(1, "stt") + entry("a", "http://x/\n", 1),
                        "provider_endpoint"),
                       (proto.bytes_field(1, "stt") + entry("a", "http://x/", 1) * 17,
                        "service_providers")):
        with pytest.raises(DecodeError) as e:
            registry.decode_service(bad)
        assert e.value.check == check
    with pytest.raises(DecodeError) as e:
        registry.msg_register_provider("mycroft1a", "STT", "http://x/", ("stake", 1))
    assert e.value.check == "service_name"


def test_bad_audio_is_a_typed_error_before_anything_is_paid():
    for data, check in ((b"", "audio_size"), (b"not audio at all" * 10, "audio_format"),
                        (b"\x00" * (audio.MAX_AUDIO_BYTES + 1), "audio_size"),
                        (audio.encode_flac(np.zeros(31 * 8000, np.int16), 8000),
                         "audio_length")):
        with pytest.raises(DecodeError) as e:
            audio.decode(data)
        assert e.value.check == check
    stereo = np.zeros((8000, 2), np.int16)                       # 1 s at 8 kHz, two channels
    assert len(audio.decode(audio.encode_flac(stereo, 8000))) == audio.RATE


class FakeEngine:
    def transcribe(self, samples):
        return "heard %d samples" % len(samples)


class ChipPay:
    """The chip's side as the router sees it: the spender key, vouchers signed with it under
    the chip's lane rules (ledger.decide: a repeat, or a nonce above the lane's latest), and
    its status' lanes (the chip's answer as pay.status_lanes reads it)."""

    def __init__(self):
        self.signed = []
        self.latest = {}            # (channel, lane) -> (nonce, amount): the counter log
        self.status_reads = 0

    def spender_key(self):
        return SPENDER

    def status(self):
        self.status_reads += 1
        return {"caps": True, "lanes": [[c, lane, n, a] for (c, lane), (n, a)
                                        in self.latest.items()]}

    def signed_lanes(self):
        return pay.status_lanes(self.status())

    def sign_voucher(self, chain_id, channel, lane, nonce, amount, denom):
        last = self.latest.get((channel, lane))
        if last is not None and (nonce, amount) != last:
            check = ("nonce_reused" if nonce == last[0] else "nonce_old" if nonce < last[0]
                     else "amount_decreasing" if amount < last[1] else None)
            if check:
                raise PayRefused(check, "refused as the chip would")
        self.latest[(channel, lane)] = (nonce, amount)
        b = V.sign_bytes(V.Voucher(chain_id, channel, lane, nonce, amount, denom))
        self.signed.append((channel, nonce, amount))
        return {"voucher": b, "sig": backend.secp256k1_sign(SPENDER_SECRET, b)}


def channel(cid, provider, **kw):
    c = {"id": cid, "owner": "o", "device": "d", "spender": SPENDER, "provider": provider,
         "denom": "stake", "deposit": 10 ** 6, "redeemed": 0, "settle_delay_s": 60,
         "settle_at": 0, "closed": False, "lanes": []}
    c.update(kw)
    return c


class Reads:
    """Verified reads as the light client would give them (registry and channels proven)."""

    def __init__(self, providers, channels):
        self.providers, self.channels = providers, channels

    def head(self):
        class H:
            height = 42
        return H()

    def race(self, fn, *args):
        if fn is registry.providers:
            return self.providers
        assert fn is C.channel
        return self.channels.get(args[1])


class Silent:
    """A provider that takes the connection and never answers."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]


@pytest.fixture
def three():
    """Provider A asks more than the registry says (it refuses), S never answers, B answers."""
    chans = {b"A" * 16: channel(b"A" * 16, "pa"), b"S" * 16: channel(b"S" * 16, "ps"),
             b"B" * 16: channel(b"B" * 16, "pb")}
    a = service.ProviderService(C.Provider("pa", CHAIN), chans.get, {"stt": 500}, FakeEngine())
    b = service.ProviderService(C.Provider("pb", CHAIN), chans.get, {"stt": 100}, FakeEngine())
    s = Silent()
    a.start(), b.start()
    listed = [{"address": "pa", "endpoint": a.url, "denom": "stake", "price": 100},
              {"address": "ps", "endpoint": s.url, "denom": "stake", "price": 100},
              {"address": "pb", "endpoint": b.url, "denom": "stake", "price": 100}]
    yield a, b, s, listed, chans
    a.stop(), b.stop(), s.sock.close()


def flac():
    return audio.encode_flac(np.zeros(8000, np.int16))


def test_the_router_fails_over_a_refusal_and_a_timeout_to_a_provider_that_answers(three):
    a, b, _s, listed, chans = three
    pay = ChipPay()
    r = router.PaidRouter(Reads(listed, chans), pay, CHAIN,
                          {"pa": b"A" * 16, "ps": b"S" * 16, "pb": b"B" * 16}, timeout_s=0.5)
    out = r.transcribe(flac())
    assert (out["text"], out["source"], out["provider"], out["paid"]) == \
        ("heard 8000 samples", "provider", "pb", 100)
    assert [x["outcome"] for x in out["attempts"]] == \
        ["refused:amount_low", "timeout", "answered"]
    assert a.refused == {"amount_low": 1} and b.served["stt"] == 1


def test_a_provider_down_gets_the_same_voucher_next_time_and_none_left_is_typed(three):
    a, b, _s, listed, chans = three
    pay = ChipPay()
    b.stop()
    r = router.PaidRouter(Reads(listed[2:], chans), pay, CHAIN, {"pb": b"B" * 16})
    with pytest.raises(router.NoAnswer) as e:
        r.transcribe(flac())
    assert e.value.check == "no_provider_answered"
    assert e.value.details["attempts"] == [{"provider": "pb", "outcome": "down"}]
    r.local = FakeEngine()
    out = r.transcribe(flac())
    assert out["source"] == "local" and out["paid"] == 0 and out["text"] == "heard 8000 samples"
    # nothing reached B: the chip signs the same (nonce, amount) again, never a new one
    assert pay.signed == [(b"B" * 16, 1, 100)] * 2


def test_a_restarted_router_continues_from_the_lanes_the_chip_reports(three):
    """The chip is the authority on what it signed: a new router (a restart: its memory empty,
    nothing redeemed on the chain) reads the chip's lanes and pays the next nonce, which the
    provider that holds the earlier vouchers accepts; nothing is skipped."""
    _a, b, _s, listed, chans = three
    chip = ChipPay()
    for expected in (1, 2):
        r = router.PaidRouter(Reads(listed[2:], chans), chip, CHAIN, {"pb": b"B" * 16})
        out = r.transcribe(flac())
        assert [x["outcome"] for x in out["attempts"]] == ["answered"]
        assert chip.signed[-1] == (b"B" * 16, expected, 100 * expected)
    assert b.served["stt"] == 2 and chip.status_reads == 2      # once per router, not per call
    r.transcribe(flac())
    assert chip.signed[-1] == (b"B" * 16, 3, 300) and chip.status_reads == 2
    # another signer on the lane (the CLI): the chip refuses the router's nonce as old, the
    # router reads the chip again and pays the one after
    chip.sign_voucher(CHAIN, b"B" * 16, 0, 9, 900, "stake")
    out = r.transcribe(flac())
    assert out["provider"] == "pb" and chip.signed[-1] == (b"B" * 16, 10, 1000)
    assert chip.status_reads == 3


def test_a_malformed_lane_in_the_chip_status_is_a_typed_error():
    ok = {"lanes": [[b"B" * 16, 0, 3, 300], [b"A" * 32, 2 ** 32 - 1, 2 ** 64 - 1, 0]]}
    assert pay.status_lanes(ok) == {(b"B" * 16, 0): (3, 300),
                                    (b"A" * 32, 2 ** 32 - 1): (2 ** 64 - 1, 0)}
    assert pay.status_lanes({"caps": False}) == {}
    for bad in ({"lanes": {}}, {"lanes": [[b"B", 0, 1]]}, {"lanes": [[b"", 0, 1, 1]]},
                {"lanes": [[b"B" * 33, 0, 1, 1]]}, {"lanes": [["B", 0, 1, 1]]},
                {"lanes": [[b"B", 2 ** 32, 1, 1]]}, {"lanes": [[b"B", 0, -1, 1]]},
                {"lanes": [[b"B", 0, 1, True]]}, {"lanes": [[b"B", 0, 1, 2 ** 64]]},
                {"lanes": [[b"B", 0, 1, 1]] * 17}, []):
        with pytest.raises(DecodeError) as e:
            pay.status_lanes(bad)
        assert e.value.check == "pay_status_lanes", bad


def test_only_open_channels_to_the_listed_provider_with_our_key_are_routes(three):
    _a, _b, _s, listed, chans = three
    chans[b"A" * 16]["settle_at"] = 10            # settling
    chans[b"S" * 16]["provider"] = "someone else"
    chans[b"B" * 16]["spender"] = backend.secp256k1_public_key(b"\x18" * 32)
    r = router.PaidRouter(Reads(listed, chans), ChipPay(), CHAIN,
                          {"pa": b"A" * 16, "ps": b"S" * 16, "pb": b"B" * 16})
    assert r.routes()[1] == []


def test_the_device_api_stt_route_says_where_the_answer_came_from():
    r = router.PaidRouter(Reads([], {}), ChipPay(), CHAIN, {}, local=FakeEngine())
    svc = DeviceService(None, "mycroft1device", CHAIN)
    assert svc.handle("POST", "/v1/stt", {}, flac()).status == 404     # no router: not served
    svc.stt = r
    ok = svc.handle("POST", "/v1/stt?lang=en-us&limit=1", {"Content-Type": "audio/x-flac"},
                    flac())
    assert (ok.status, ok.body) == (200, ["heard 8000 samples"])
    assert ok.headers["X-Lightclient-Stt-Source"] == "local"
    assert ok.headers["X-Lightclient-Stt-Paid"] == "0"
    bad = svc.handle("POST", "/v1/stt?lang=en-us", {}, b"garbage" * 10)
    assert bad.status == 400 and bad.headers["X-Lightclient-Error"] == "audio_format"


def test_with_no_verified_state_the_local_engine_answers():
    class Offline(Reads):
        def head(self):
            raise NoSource("no_source", "every source failed")
    r = router.PaidRouter(Offline([], {}), ChipPay(), CHAIN, {}, local=FakeEngine())
    out = r.transcribe(flac())
    assert out["source"] == "local"
    assert out["attempts"] == [{"provider": "registry", "outcome": "unproven:no_source"}]


def test_serve_api_stt_channels_are_parsed_strictly():
    from lightclient.api import cli as api_cli
    cid = "ab" * 16
    assert api_cli.stt_channels(["mycroft1p=" + cid]) == {"mycroft1p": bytes.fromhex(cid)}
    for bad in ("mycroft1p", "mycroft1p=zz", "=" + cid, "mycroft1p=abcd"):
        with pytest.raises(api_cli.Unusable):
            api_cli.stt_channels([bad])


def test_the_http_server_takes_audio_above_the_other_routes_body_limit():
    import urllib.error
    import urllib.request
    from lightclient.api.limits import MAX_BODY, MAX_STT_BODY
    from lightclient.api.server import ApiApp
    noise = np.random.default_rng(7).integers(-3000, 3000, 5 * audio.RATE).astype(np.int16)
    body = audio.encode_flac(noise)
    assert MAX_BODY < len(body) < MAX_STT_BODY
    with ApiApp(None, "mycroft1device", CHAIN, port=0, submit=False) as app:
        app.service.stt = router.PaidRouter(Reads([], {}), ChipPay(), CHAIN, {},
                                            local=FakeEngine())

        def post(data, path="/v1/stt"):
            req = urllib.request.Request(app.url + path, data=data,
                                         headers={"Content-Type": "audio/x-flac"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers.get("X-Lightclient-Limit")
        def announce(length, path="/v1/stt"):
            """Only the headers: the server answers from the Content-Length, reads nothing."""
            with socket.create_connection(("127.0.0.1", app.server.port), timeout=30) as c:
                c.sendall(b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n"
                          % (path.encode(), length))
                head = c.makefile("rb").read().split(b"\r\n\r\n")[0].decode()
            limit = [h.split(": ")[1] for h in head.split("\r\n")
                     if h.lower().startswith("x-lightclient-limit")]
            return int(head.split()[1]), limit
        assert post(body) == (200, b'["heard %d samples"]' % len(noise))
        assert announce(MAX_STT_BODY + 1) == (413, [str(MAX_STT_BODY)])
        assert announce(len(body), "/v1/device/mycroft1device/metric/x") == \
            (413, [str(MAX_BODY)])


def test_a_head_synced_less_than_fresh_for_s_ago_serves_again():
    class Client:
        syncs = 0

        def sync(self, deadline_s):
            Client.syncs += 1

        def trusted(self):
            class T:
                class light_block:
                    class signed_header:
                        header = "head %d" % Client.syncs
            return T
    now = [100.0]
    reads = router.LightClientReads(Client(), fresh_for_s=2.0, monotonic=lambda: now[0])
    assert reads.head() == "head 1"
    now[0] += 1.9
    assert reads.head() == "head 1" and Client.syncs == 1
    now[0] += 0.1
    assert reads.head() == "head 2"


def test_an_answer_without_a_transcript_is_failed_over(three):
    a, b, _s, listed, chans = three
    a.prices["stt"] = 100                       # A takes the voucher now, but answers nonsense
    a.stt = lambda query, headers, body: {"transcripts": "not a list", "paid": a._pay(headers,
                                                                                      "stt")}
    r = router.PaidRouter(Reads([listed[0], listed[2]], chans), ChipPay(), CHAIN,
                          {"pa": b"A" * 16, "pb": b"B" * 16})
    out = r.transcribe(flac())
    assert [x["outcome"] for x in out["attempts"]] == ["bad_answer", "answered"]
    assert out["provider"] == "pb"
