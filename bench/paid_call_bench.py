"""A paid call over the same call unpaid, side by side in one run (issue 21).

run() -> {figure: {"value", "unit", ...}}:
  paid_call.overhead_ratio   median paid call / median unpaid call: the device's STT call to a
                             provider through the router (registry and channel proven with ICS23
                             at a header the light client verified, the voucher signed by the
                             emulated chip (its 32-bit build over the serial link), the provider's
                             check of it against the channel it proves) over the same POST of the
                             same FLAC to the same provider and engine with no voucher and no
                             check. Interleaved, ROUNDS each.
  paid_call.seconds / unpaid_call.seconds      the two medians
  paid_call.voucher_sign_seconds               the chip's voucher alone (SMP round trip), median
  paid_call.device_reads_seconds               the router's proven reads alone, median
On a local chain of one validator (~300 ms blocks), started and stopped here.
"""

import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

ROUNDS = 12
UTTERANCE = "hello"


def run():
    from lightclient.client import LightClient
    from lightclient.hwtest.emulator import EmulatedBoard
    from lightclient.localchain import genesis, network
    from lightclient.localchain import paidnet as P
    from lightclient.mcu import McuClient
    from lightclient.providers import audio, engine, router, service

    class Unpaid(service.ProviderService):
        """The same service with the payment step taken out: the unpaid baseline."""

        def _pay(self, headers, name):
            return 0

    with tempfile.TemporaryDirectory() as d:
        genesis.build(d, 1, 0, genesis.free_base_port(1))
        net = network.Network(d)
        net.start()
        board, services = None, []
        try:
            net.wait_for_height(2, timeout=90)
            owner, prov = P.account(b"bench owner"), P.account(b"bench provider")
            cid = P.channel_id(b"bench channel")
            P.fund(net, [owner[2], prov[2]], 10 ** 7)
            speech = engine.SpeechEngine()
            paid = P.start_provider(net, prov, {"stt": 1000}, Path(d) / "paid", speech)
            free = P.start_provider(net, prov, {"stt": 1000}, Path(d) / "free", speech,
                                    cls=Unpaid)
            services += [paid, free]
            board = EmulatedBoard("esp32-devkitc", Path(d) / "lcstore.img")
            board.start()
            mcu = McuClient(board.port, timeout=20)
            _device, _acct, pay = P.sign_up(net, mcu, owner,
                                            [(prov, cid, {"stt": (paid.url, 1000)})],
                                            10 ** 6, 5000, 10 ** 6)
            client = LightClient(P.client_config(net, Path(d) / "state", net.nodes[0]["rpc"]))
            stt = router.PaidRouter(router.LightClientReads(client), pay, net.info["chain_id"],
                                    {prov[2]: cid})
            flac = audio.encode_flac(audio.speak(UTTERANCE))

            def unpaid_call():
                req = urllib.request.Request(free.url + "/stt?lang=en-us", data=flac,
                                             headers={"Content-Type": "audio/x-flac"})
                with urllib.request.urlopen(req, timeout=60) as r:
                    return json.loads(r.read())["transcripts"][0]

            def paid_call():
                r = stt.transcribe(flac)
                assert r["source"] == "provider", r
                return r["text"]

            assert paid_call() == unpaid_call() == UTTERANCE      # warm, and both right
            paid_s, unpaid_s, sign_s, reads_s = [], [], [], []
            for _ in range(ROUNDS):
                for fn, out in ((paid_call, paid_s), (unpaid_call, unpaid_s)):
                    t0 = time.perf_counter()
                    assert fn() == UTTERANCE
                    out.append(time.perf_counter() - t0)
            for k in range(ROUNDS):
                t0 = time.perf_counter()
                pay.sign_voucher(net.info["chain_id"], cid, 1, k + 1, 10 * (k + 1), P.DENOM)
                sign_s.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                stt.routes()
                reads_s.append(time.perf_counter() - t0)
            mcu.close()
        finally:
            for p in services:
                p.stop()
            if board is not None:
                board.stop()
            net.stop()
    p, u = statistics.median(paid_s), statistics.median(unpaid_s)
    note = ("'%s' (FLAC %d B), %d rounds interleaved, one validator; the chip: 32-bit build at "
            "the board's heap over its serial link" % (UTTERANCE, len(flac), ROUNDS))
    return {
        "paid_call.overhead_ratio": {"value": round(p / u, 2), "unit": "x", "note": note},
        "paid_call.seconds": {"value": round(p, 3), "unit": "s", "note": note},
        "unpaid_call.seconds": {"value": round(u, 3), "unit": "s", "note": note},
        "paid_call.voucher_sign_seconds": {"value": round(statistics.median(sign_s), 3),
                                           "unit": "s", "note": "SMP round trip, median"},
        "paid_call.device_reads_seconds": {
            "value": round(statistics.median(reads_s), 3), "unit": "s",
            "note": "the router's verified reads per call (light-client sync to the head, the "
                    "registry's and the channel's ICS23 proofs), median"},
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
