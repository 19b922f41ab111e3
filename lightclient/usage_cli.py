"""`mycroft-lc usage count | status | tokens | redeem | claim | tally | issuer-keygen | issuer`:
skill-usage tokens (docs/usage-tokens.md). The device counts uses per epoch (epochs of verified
header time), turns them into unlinkable tokens (blinded on the Pi, the request signed by its
chip, the issuer's blind signatures unblinded and checked) and hands the token file to a skill
creator or relay, who redeems it from its own account. State shown is proven with ICS23."""

import json
import os
import secrets
import time

from lightclient import blind_rsa, txclient
from lightclient import usage_tokens as U
from lightclient.atomic_file import write_atomic
from lightclient.chip import cosmos_tx as ct
from lightclient.commands import _client, _emit, _load, common_args
from lightclient.exitcodes import EXIT_OK
from lightclient.pay_cli import _head, _race
from lightclient.sources import NoSource
from lightclient.usage_counter import UsageCounter

PROVE_TIMEOUT_S = 30.0


def _epoch(client, header):
    p = _race(client, U.params, header)
    return U.epoch_of(header.time_ns // 10 ** 9, p["epoch_seconds"]), p


def cmd_count(args):
    client = _client(args)
    epoch, _p = _epoch(client, _head(client, args.deadline))
    n = UsageCounter(_load(args).state_dir).add(epoch, args.skill, args.n)
    _emit(args, {"epoch": epoch, "skill": args.skill, "uses": n},
          "%s: %d uses in epoch %d" % (args.skill, n, epoch))
    return EXIT_OK


def cmd_status(args):
    client = _client(args)
    header = _head(client, args.deadline)
    epoch, p = _epoch(client, header)
    pk = _race(client, U.issuer_key, header)
    counts = UsageCounter(_load(args).state_dir).counts()
    doc = {"epoch": epoch, "epoch_seconds": p["epoch_seconds"], "reward": list(p["reward"]),
           "issuer_key_id": pk.key_id().hex() if pk else None, "verified_height": header.height,
           "counts": {str(e): c for e, c in counts.items()}}
    text = ["epoch %d (%d s), reward %d %s per epoch (proven at height %d)"
            % (epoch, p["epoch_seconds"], p["reward"][1], p["reward"][0], header.height),
            "issuer key: %s" % (pk.key_id().hex() if pk else "none set")]
    text += ["epoch %d: %s" % (e, ", ".join("%s %d" % kv for kv in sorted(c.items())))
             for e, c in sorted(counts.items())]
    _emit(args, doc, "\n".join(text))
    return EXIT_OK


def cmd_tokens(args):
    from lightclient.mcu import McuClient
    from lightclient.usage_issuer import http_issue
    client = _client(args)
    header = _head(client, args.deadline)
    now, _p = _epoch(client, header)
    epoch = now if args.epoch is None else args.epoch
    counts = UsageCounter(_load(args).state_dir)
    want = counts.counts().get(epoch, {})
    take, left = {}, args.max
    for s, n in sorted(want.items()):
        if left > 0:
            take[s] = min(n, left)
            left -= take[s]
    if not take:
        raise U.UsageError("no_uses", "no uses counted for this epoch", epoch=epoch)
    pk = _race(client, U.issuer_key, header)
    if pk is None:
        raise U.UsageError("no_issuer_key", "the chain proves no issuer key")
    with McuClient(args.mcu) as mcu:
        address20 = ct.account_address(mcu.account_key())
        toks = U.request_tokens(pk, header.chain_id, epoch, address20, take,
                                mcu.sign_usage_request, http_issue(args.issuer))
    # the tokens are on disk before the uses are forgotten: a crash between keeps both
    doc = {"tokens": [[m.hex(), s.hex()] for m, s in toks]}
    write_atomic(args.out, json.dumps(doc).encode(), mode=0o600)
    counts.take(epoch, take)
    _emit(args, {"epoch": epoch, "tokens": len(toks), "out": args.out},
          "%d tokens for epoch %d in %s" % (len(toks), epoch, args.out))
    return EXIT_OK


def _send(args, msgs_of):
    """Signs msgs_of(signer bech32, header, client) with --key and sends; an x/usage refusal
    is a UsageError named after its code. -> (client, deliver result, height)."""
    client = _client(args)
    header = _head(client, args.deadline)

    def refused(code, log):
        return U.UsageError(U.error_name(code), "x/usage refused the transaction", code=code,
                            log=log)

    res, height = txclient.send_with_key_file(client, args.key,
                                              lambda me: msgs_of(me, header, client),
                                              args.gas, U.CODESPACE, refused)
    return client, res, height


def _proven_after(client, args, height):
    mono = client.clock.monotonic
    end = mono() + PROVE_TIMEOUT_S
    header = _head(client, args.deadline)
    while header.height <= height + 1 and mono() < end:
        time.sleep(0.3)
        header = _head(client, max(1.0, end - mono()))
    return header


def cmd_redeem(args):
    toks = []
    for path in args.file:             # a relay mixes many devices' files into one message
        with open(path) as f:
            toks += [(bytes.fromhex(m), bytes.fromhex(s)) for m, s in json.load(f)["tokens"]]
    secrets.SystemRandom().shuffle(toks)   # the order says nothing of whose file a token was in

    def msgs(me, header, client):
        pk = _race(client, U.issuer_key, header)
        if pk is None:
            raise U.UsageError("no_issuer_key", "the chain proves no issuer key")
        for m, s in toks:              # a token the chain would refuse is not sent
            U.check_token(pk, header.chain_id, m, s)
        return [U.msg_redeem_tokens(me, toks)]
    client, _res, height = _send(args, msgs)
    header = _proven_after(client, args, height)
    spent = sum(_race(client, U.is_spent, header, m) for m, _s in toks)
    _emit(args, {"height": height, "tokens": len(toks), "spent_proven": spent},
          "included at height %d: %d of %d tokens proven spent" % (height, spent, len(toks)))
    return EXIT_OK


def _tally_doc(client, header, skill, epoch):
    tokens, paid = _race(client, U.skill_tally, header, epoch, skill)
    creator = _race(client, U.skill_creator, header, skill)
    return {"skill": skill, "epoch": epoch, "tokens": tokens, "paid": paid, "creator": creator,
            "verified_height": header.height}


def cmd_claim(args):
    client, res, height = _send(args, lambda me, _h, _c: [U.msg_claim_reward(me, args.skill,
                                                                              args.epoch)])
    doc = _tally_doc(client, _proven_after(client, args, height), args.skill, args.epoch)
    doc["height"] = height
    _emit(args, doc, "included at height %d: %s epoch %d, %d tokens, paid %s (proven)"
          % (height, args.skill, args.epoch, doc["tokens"], doc["paid"]))
    return EXIT_OK


def cmd_tally(args):
    client = _client(args)
    doc = _tally_doc(client, _head(client, args.deadline), args.skill, args.epoch)
    _emit(args, doc, "%s epoch %d: %d tokens, paid %s, creator %s (proven at height %d)"
          % (args.skill, args.epoch, doc["tokens"], doc["paid"], doc["creator"],
             doc["verified_height"]))
    return EXIT_OK


def cmd_issuer_keygen(args):
    from cryptography.hazmat.primitives import serialization
    sk = blind_rsa.SecretKey.generate(args.bits)
    pem = sk.private_key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    write_atomic(args.file, pem, mode=0o600)
    pk = sk.public
    _emit(args, {"modulus": pk.modulus_bytes().hex(), "exponent": pk.e,
                 "key_id": pk.key_id().hex()},
          "issuer key id %s (its modulus for MsgSetIssuerKey: --json)" % pk.key_id().hex())
    return EXIT_OK


def load_issuer_key(path):
    from cryptography.hazmat.primitives import serialization
    with open(path, "rb") as f:
        return blind_rsa.SecretKey(serialization.load_pem_private_key(f.read(), None))


def cmd_issuer(args):
    from lightclient.usage_issuer import Issuer, IssuerService
    client = _client(args)
    header = _head(client, args.deadline)
    _epoch_now, p = _epoch(client, header)
    issuer = Issuer(load_issuer_key(args.key), header.chain_id, args.n, p["epoch_seconds"],
                    counts_path=os.path.join(_load(args).state_dir, "issuer-counts.json"))

    def verified_header():
        return _head(client, args.deadline)
    cands = client.pool.candidates()
    if not cands:
        raise NoSource("no_source", "no source to prove device records from")
    svc = IssuerService(issuer, cands[0].rpc, verified_header, port=args.port).start()
    print(svc.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        svc.close()
    return EXIT_OK


def register(subparsers):
    g = subparsers.add_parser("usage", help="skill-usage tokens: count uses, get unlinkable "
                              "tokens, redeem (relay), claim and prove rewards, the issuer")
    sub = g.add_subparsers(dest="usage_command", required=True)
    p = sub.add_parser("count", help="count a use of a skill in the current epoch")
    common_args(p)
    p.add_argument("skill")
    p.add_argument("--n", type=int, default=1)
    p.set_defaults(func=cmd_count)
    p = sub.add_parser("status", help="epoch, issuer key and params (proven), local counts")
    common_args(p)
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("tokens", help="turn an epoch's uses into tokens (the chip signs the "
                       "request; the issuer signs blinded)")
    common_args(p, deadline=10.0)
    p.add_argument("--mcu", required=True, metavar="PORT")
    p.add_argument("--issuer", required=True, metavar="URL")
    p.add_argument("--epoch", type=int, help="default: the current epoch")
    p.add_argument("--max", type=int, default=64, help="tokens in one request (<= 64)")
    p.add_argument("--out", required=True, metavar="FILE", help="the token file (for a relay)")
    p.set_defaults(func=cmd_tokens)

    def tx_parser(name, help_text, func):
        p = sub.add_parser(name, help=help_text)
        common_args(p, deadline=10.0)
        p.add_argument("--key", required=True, metavar="FILE", help="the relay's or the "
                       "creator's secp256k1 secret (hex): never the device's")
        p.add_argument("--gas", type=int, default=400000)
        p.set_defaults(func=func)
        return p
    p = tx_parser("redeem", "redeem token files, mixed (checked against the proven issuer key)",
                  cmd_redeem)
    p.add_argument("file", nargs="+")
    p = tx_parser("claim", "pay a closed epoch's share to the skill's creator", cmd_claim)
    p.add_argument("skill")
    p.add_argument("epoch", type=int)
    p = sub.add_parser("tally", help="a skill's tokens and payout in an epoch (proven)")
    common_args(p)
    p.add_argument("skill")
    p.add_argument("epoch", type=int)
    p.set_defaults(func=cmd_tally)
    p = sub.add_parser("issuer-keygen", help="a new issuer key (PEM, 0600)")
    p.add_argument("file")
    p.add_argument("--bits", type=int, default=2048, choices=(2048, 3072, 4096))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_issuer_keygen)
    p = sub.add_parser("issuer", help="serve the issuer on 127.0.0.1 (paired devices, at "
                       "most N tokens per device per epoch)")
    common_args(p, deadline=10.0)
    p.add_argument("--key", required=True, metavar="PEM")
    p.add_argument("--n", type=int, default=32, help="tokens per device per epoch")
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=cmd_issuer)
