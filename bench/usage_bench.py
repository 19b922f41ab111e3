"""Skill-usage tokens (issue 21, docs/usage-tokens.md): what one token costs on the Pi and the
issuer, and its size on the chain (RFC 9474 RSABSSA-SHA384-PSS-Deterministic, 2048-bit key).

  usage.blind_ms           the device's Blind of one token message (EMSA-PSS, r^e, on the Pi)
  usage.blind_sign_ms      the issuer's BlindSign of one blinded message (CRT, checked back)
  usage.finalize_ms        the device's Finalize (unblind + cryptography's PSS verify)
  usage.verify_ms          one PSS verify of a finished token (what every node does per token)
  usage.finalize_over_verify  ratio: Finalize's cost beside the plain verify it contains
  usage.token_bytes        token message + signature, as MsgRedeemTokens carries it
  usage.request_bytes.64   the request the chip signs for 64 tokens (SHA-256 per blinded message)

Expected before measuring: RSA-2048 private operation by CRT in Python ints ~5-10 ms; the
public operations (e = 65537) well under 1 ms; a token 130 + 256 bytes for a 15-byte chain id
and a 15-byte skill id."""

import hashlib
import time

from lightclient import blind_rsa, usage_tokens as U
from lightclient.chip import usage_request

CHAIN = "mycroft-local-1"
N = 40


def _ms(fn, n=N):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) * 1000 / n


def run():
    sk = blind_rsa.SecretKey.generate(2048)
    pk = sk.public
    msg = U.token_message(CHAIN, 20430, "weather.example", pk.key_id())
    blinded, st = blind_rsa.blind(pk, msg)
    bsig = sk.blind_sign(blinded)
    sig = blind_rsa.finalize(pk, st, bsig)
    blind = _ms(lambda: blind_rsa.blind(pk, msg))
    sign = _ms(lambda: sk.blind_sign(blinded))
    fin = _ms(lambda: blind_rsa.finalize(pk, st, bsig))
    ver = _ms(lambda: pk.verify(msg, sig))
    req = usage_request.encode(CHAIN, 20430, pk.key_id(), b"\x01" * 20,
                               [hashlib.sha256(b"%d" % i).digest() for i in range(64)])
    f = lambda v, unit: {"value": v, "unit": unit}
    return {"usage.blind_ms": f(round(blind, 3), "ms"),
            "usage.blind_sign_ms": f(round(sign, 3), "ms"),
            "usage.finalize_ms": f(round(fin, 3), "ms"),
            "usage.verify_ms": f(round(ver, 3), "ms"),
            "usage.finalize_over_verify": f(round(fin / ver, 2), "x"),
            "usage.token_bytes": f(len(msg) + len(sig), "bytes"),
            "usage.request_bytes.64": f(len(req), "bytes")}


if __name__ == "__main__":
    for k, v in sorted(run().items()):
        print("%-30s %10s %s" % (k, v["value"], v["unit"]))
