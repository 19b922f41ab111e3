"""Paid speech-to-text through an outage (issue 21), on the real chain (net7) with the emulated
board: two STT providers register in x/payments' registry and run pocketsphinx on espeak-ng's
audio; the owner's one transaction signs the chip up and opens a channel to each. The central
node is unreachable; the unmodified ovos-backend-client posts FLAC to the local device API,
which reads the providers and channels from verified state (ICS23), pays each call with a
voucher the chip signs, fails over when the first provider is stopped, and answers with its own
engine when none is left, saying so. A provider refuses a call without a valid voucher; it
redeems, and its balance is proven."""

import base64
import json
import socket
import urllib.error
import urllib.request

import pytest

from lightclient import channels as C
from lightclient.api.server import ApiApp
from lightclient.api import stt_route
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import ProofError
from lightclient.chip.core import proto
from lightclient.client import LightClient
from lightclient.gov import address_bytes
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import devicetx
from lightclient.localchain import paidnet as P
from lightclient.mcu import McuClient
from lightclient.providers import audio, engine, registry, router, service

DEPOSIT = 20000
PRICE_A, PRICE_B, PRICE_WEATHER = 1000, 800, 50
TOKEN = "stt-test-token"


OWNER = P.account(b"stt test owner")
PA = P.account(b"stt test provider a")
PB = P.account(b"stt test provider b")
CH_A = P.channel_id(b"stt test channel a")
CH_B = P.channel_id(b"stt test channel b")


def _header(net):
    return devicetx.verified_state(net).header


def _dead_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def world(net7, tmp_path_factory):
    net = net7
    root = tmp_path_factory.mktemp("stt")
    chain = net.info["chain_id"]
    P.fund(net, [OWNER[2], PA[2], PB[2]], 10 ** 6)
    speech = engine.SpeechEngine()
    a = P.start_provider(net, PA, {"stt": PRICE_A, "weather": PRICE_WEATHER}, root / "pa",
                         speech, {"Lyon": "sunny, 21 C"})
    b = P.start_provider(net, PB, {"stt": PRICE_B}, root / "pb", speech)
    board = EmulatedBoard("esp32-devkitc", root / "lcstore.img")
    board.start()
    mcu = McuClient(board.port, timeout=10)
    app = None
    try:
        device, acct, pay = P.sign_up(
            net, mcu, OWNER,
            [(PA, CH_A, {"stt": (a.url, PRICE_A), "weather": (a.url, PRICE_WEATHER)}),
             (PB, CH_B, {"stt": (b.url, PRICE_B)})], DEPOSIT, 2000, 10 ** 5)
        # the central node unreachable: the light client reads from the peers
        client = LightClient(P.client_config(net, root / "state",
                                             "http://127.0.0.1:%d" % _dead_port(),
                                             [net.nodes[1]["rpc"], net.nodes[2]["rpc"]]))
        stt = router.PaidRouter(router.LightClientReads(client), pay, chain,
                                {PA[2]: CH_A, PB[2]: CH_B}, local=speech)
        app = ApiApp(client, device, chain, port=0, submit=False, token=TOKEN).start()
        app.service.stt = stt
        yield {"net": net, "a": a, "b": b, "pay": pay, "chain": chain, "device": device,
               "app": app, "root": root, "router": stt, "client": client, "acct": acct,
               "provider_tx": devicetx.tx_client(net, PA[1], ct.sign_secp256k1(PA[0]))}
    finally:
        if app is not None:
            app.stop()
        mcu.close()
        board.stop()
        for p in (a, b):
            try:
                p.stop()
            except OSError:
                pass


def _ovos_stt(w):
    """The unmodified client's STTApi on the personal backend (identity file, FLAC body)."""
    from ovos_backend_client.api import STTApi
    from ovos_backend_client.backends import BackendType
    ident = w["root"] / "identity.json"
    ident.write_text(json.dumps({"uuid": w["device"], "access": TOKEN, "refresh": TOKEN,
                                 "expires_at": -1}))
    return STTApi(url=w["app"].url, version="v1", identity_file=str(ident),
                  backend_type=BackendType.PERSONAL)


def _flac(text):
    return audio.encode_flac(audio.speak(text))


def _raw_stt(w, flac):
    """The same call as the client's, with the answer's headers."""
    req = urllib.request.Request(w["app"].url + "/v1/stt?lang=en-us&limit=1", data=flac,
                                 headers={"Content-Type": "audio/x-flac",
                                          "Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read()), r.headers


def test_the_registry_is_proven_and_a_lying_node_fails(world):
    net = world["net"]
    header = _header(net)
    listed = registry.providers(net.rpc(0), header, "stt")
    assert [(p["address"], p["endpoint"], p["price"], p["denom"]) for p in listed] == \
        [(PA[2], world["a"].url, PRICE_A, "stake"), (PB[2], world["b"].url, PRICE_B, "stake")]
    assert [p["address"] for p in registry.providers(net.rpc(0), header, "weather")] == [PA[2]]
    assert registry.providers(net.rpc(0), header, "knowledge") == []      # proven absent

    class Lying:                           # a node that halves provider B's price
        def __init__(self, rpc):
            self.rpc = rpc

        def abci_query(self, *a, **k):
            resp = dict(self.rpc.abci_query(*a, **k))
            v = bytearray(base64.b64decode(resp["value"]))
            i = bytes(v).rindex(proto.varint_field(4, PRICE_B))       # B's price field
            v[i + 1] ^= 0x01
            resp["value"] = base64.b64encode(bytes(v)).decode()
            return resp
    with pytest.raises(ProofError):
        registry.providers(Lying(net.rpc(0)), header, "stt")


def test_an_utterance_through_the_unmodified_client_is_paid_to_a_provider(world):
    a = world["a"]
    assert _ovos_stt(world).stt(_flac("hello"), "en-us", 1) == ["hello"]
    assert a.served["stt"] == 1
    body, headers = _raw_stt(world, _flac("what is the weather"))
    assert body == ["what is the weather"]
    assert headers[stt_route.H_SOURCE] == "provider"
    assert headers[stt_route.H_PROVIDER] == PA[2]
    assert headers[stt_route.H_PAID] == "%d stake" % PRICE_A
    assert int(headers[stt_route.H_HEIGHT]) > 0
    assert a.served["stt"] == 2
    # the provider holds the chip's latest voucher of the lane: 2 calls
    [(nonce, amount, _v, _s)] = [v for (cid, _l), v in a.provider.latest.items() if cid == CH_A]
    assert (nonce, amount) == (2, 2 * PRICE_A)


def test_a_provider_refuses_a_call_without_a_valid_voucher(world):
    a, chain, pay = world["a"], world["chain"], world["pay"]
    flac = _flac("hello")
    old = a.provider.latest[(CH_A, router.LANE)]          # replayed: already accepted
    r = pay.sign_voucher(chain, CH_A, router.LANE, old[0] + 1, old[1] + PRICE_A, "stake")
    forged = bytes(r["sig"][:5]) + bytes([r["sig"][5] ^ 1]) + bytes(r["sig"][6:])
    other = pay.sign_voucher(chain, CH_B, router.LANE, 1, PRICE_B, "stake")   # pays B, not A
    # signed outside the router: the chip is the authority, the router needs no telling
    served = a.served["stt"]
    for headers, check in (({}, "voucher_missing"),
                           (service.voucher_headers(old[2], old[3]), "nonce_old"),
                           (service.voucher_headers(r["voucher"], forged), "spender_signature"),
                           (service.voucher_headers(other["voucher"], other["sig"]),
                            "channel_provider")):
        req = urllib.request.Request(a.url + "/stt", data=flac, headers=headers)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 402 and e.value.headers[service.H_REFUSED] == check
    assert a.served["stt"] == served                    # nothing transcribed without payment


def test_a_weather_style_service_is_a_second_paid_api(world):
    weather = router.PaidRouter(router.LightClientReads(world["client"]), world["pay"],
                                world["chain"], {PA[2]: CH_A}, service="weather", lane=1)
    doc, attempts, _h = weather.call("/weather?city=Lyon")
    assert doc["forecast"] == "sunny, 21 C" and doc["paid"] == PRICE_WEATHER
    assert attempts == [{"provider": PA[2], "outcome": "answered", "paid": PRICE_WEATHER,
                         "denom": "stake"}]


def test_the_provider_redeems_and_its_balance_is_proven(world):
    net, a = world["net"], world["a"]
    before = C.balance(net.rpc(0), _header(net), address_bytes(PA[2]), "stake")
    latest = {lane: amount for (cid, lane), (_n, amount, _v, _s) in a.provider.latest.items()
              if cid == CH_A}
    height = a.redeem(lambda msgs: world["provider_tx"].send([msgs])[0][1])
    net.wait_for_height(height + 1)
    header = _header(net)
    ch = C.channel(net.rpc(0), header, CH_A)
    assert ch["redeemed"] == sum(latest.values()) == 2 * PRICE_A + PRICE_WEATHER
    assert C.balance(net.rpc(0), header, address_bytes(PA[2]), "stake") == \
        before + ch["redeemed"]


def test_a_restarted_router_continues_from_the_chips_lanes(world):
    """A new router (a restart: nothing in memory) pays the nonce after the last one the chip
    signed (its status' lanes), above what the chain redeemed and the provider holds."""
    a = world["a"]
    signed = world["pay"].signed_lanes()[(CH_A, router.LANE)]
    held = a.provider.latest[(CH_A, router.LANE)][:2]
    assert signed[0] > held[0]           # the chip signed a voucher A never accepted (above)
    fresh = router.PaidRouter(router.LightClientReads(world["client"]), world["pay"],
                              world["chain"], {PA[2]: CH_A})
    doc, attempts, _h = fresh.call("/stt?lang=en-us", _flac("hello"), "audio/x-flac")
    assert doc["transcripts"] == ["hello"] and [x["outcome"] for x in attempts] == ["answered"]
    assert a.provider.latest[(CH_A, router.LANE)][:2] == (signed[0] + 1, signed[1] + PRICE_A)


def test_failover_to_the_second_provider_when_the_first_is_stopped(world):
    world["a"].stop()
    assert _ovos_stt(world).stt(_flac("good morning"), "en-us", 1) == ["good morning"]
    assert world["b"].served["stt"] == 1
    body, headers = _raw_stt(world, _flac("hello"))
    assert body == ["hello"]
    assert headers[stt_route.H_PROVIDER] == PB[2]
    assert headers[stt_route.H_ATTEMPTS] == "%s=down, %s=answered" % (PA[2], PB[2])


def test_the_local_engine_answers_when_no_provider_does_and_says_so(world):
    world["b"].stop()
    assert _ovos_stt(world).stt(_flac("hello"), "en-us", 1) == ["hello"]
    body, headers = _raw_stt(world, _flac("good morning"))
    assert body == ["good morning"]
    assert headers[stt_route.H_SOURCE] == "local" and headers[stt_route.H_PAID] == "0"
    assert stt_route.H_PROVIDER not in headers
    assert headers[stt_route.H_ATTEMPTS] == "%s=down, %s=down" % (PA[2], PB[2])
