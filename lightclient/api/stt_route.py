# POST /v1/stt as ovos-backend-client's personal backend calls it (stt_get: the FLAC body,
# Content-Type audio/x-flac, ?lang=en-us&limit=1) -> a JSON list of transcripts, what
# mycroft-core's MycroftSTT takes [0] of. Paid through providers registered on the chain, or
# the device's local engine when none answered: which one, what it cost and at which verified
# height the route was read are in the answer's headers (docs/device-api.md).

from urllib.parse import parse_qs

from lightclient.chip.core.errors import DecodeError

H_SOURCE = "X-Lightclient-Stt-Source"       # provider | local
H_PROVIDER = "X-Lightclient-Stt-Provider"
H_PAID = "X-Lightclient-Stt-Paid"           # "1000 stake"; 0 for the local engine
H_ATTEMPTS = "X-Lightclient-Stt-Attempts"   # provider=outcome, ... in the order tried
H_HEIGHT = "X-Lightclient-Height"


def answer(router, raw_query, body):
    from lightclient.api.service import Response, _error
    q = parse_qs(raw_query[:256])
    lang = (q.get("lang") or ["en-us"])[0]
    try:
        limit = max(1, min(int((q.get("limit") or ["1"])[0]), 10))
    except ValueError:
        return _error(400, "bad_request", "limit is a number")
    try:
        r = router.transcribe(body, lang)
    except DecodeError as e:
        return _error(400, e.check, str(e))
    headers = {H_SOURCE: r["source"],
               H_PAID: "%d %s" % (r["paid"], r["denom"]) if r["paid"] else "0",
               H_ATTEMPTS: ", ".join("%s=%s" % (a["provider"], a["outcome"])
                                     for a in r["attempts"])[:1000]}
    if r["provider"]:
        headers[H_PROVIDER] = r["provider"]
    if r["verified_height"] is not None:
        headers[H_HEIGHT] = str(r["verified_height"])
    return Response(200, [r["text"]][:limit], headers)
