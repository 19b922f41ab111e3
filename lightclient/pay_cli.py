"""`mycroft-lc pay status | open | top-up | settle | reclaim | redeem`: payment channels on the
chain (lightclient/channels.py, docs/payments.md). The channel and balances shown are proven
with ICS23 against the head our light client verified, never taken on a node's word; the
owner's and the provider's transactions are signed with their secp256k1 key (--key FILE, hex),
and after inclusion the channel is shown as a later verified header proves it."""

import time

from lightclient import channels as C
from lightclient import txclient
from lightclient.commands import _client, _emit, common_args
from lightclient.exitcodes import EXIT_OK
from lightclient.gov import address_bytes

PROVE_TIMEOUT_S = 30.0


def _head(client, deadline):
    client.sync(deadline_s=deadline)
    return client.trusted().light_block.signed_header.header


def _race(client, fn, *args):
    """fn(rpc, *args) raced over the client's sources: a source whose proof fails is banned."""
    return client.pool.race(lambda rpc: fn(rpc, *args))[0]


def _channel_id(text):
    try:
        cid = bytes.fromhex(text)
    except ValueError:
        raise SystemExit("CHANNEL is the channel id in hex")
    C.channel_key(cid)         # 8..32 bytes, or a typed DecodeError
    return cid


def _proven(client, header, cid, balances=()):
    c = _race(client, C.channel, header, cid)
    if c is None:
        raise C.PaymentRefused("channel_not_found", "the chain proves there is no such channel",
                               channel=cid.hex())
    bal = {a: _race(client, C.balance, header, address_bytes(a), c["denom"]) for a in balances}
    doc = dict(c, id=c["id"].hex(), spender=c["spender"].hex(), balances=bal,
               verified_height=header.height)
    text = C.status_text(c, header)
    for a, n in bal.items():
        text += "\n  balance of %s: %d %s (proven)" % (a, n, c["denom"])
    return doc, text


def cmd_status(args):
    client = _client(args)
    doc, text = _proven(client, _head(client, args.deadline), _channel_id(args.channel),
                        args.balance or ())
    _emit(args, doc, text)
    return EXIT_OK


def _send(args, msgs_of, cid):
    """Signs msgs_of(signer bech32, header, client) with --key, sends, then proves the channel
    above the inclusion height. A refusal by x/payments is a PaymentRefused named after its
    code."""
    client = _client(args)
    header = _head(client, args.deadline)

    def refused(code, log):
        return C.PaymentRefused(C.error_name(code), "x/payments refused the transaction",
                                code=code, log=log)

    res, height = txclient.send_with_key_file(client, args.key,
                                              lambda me: msgs_of(me, header, client),
                                              args.gas, C.CODESPACE, refused)
    mono = client.clock.monotonic
    end = mono() + PROVE_TIMEOUT_S
    header = _head(client, args.deadline)
    while header.height <= height + 1 and mono() < end:
        time.sleep(0.3)
        header = _head(client, max(1.0, end - mono()))
    doc, text = _proven(client, header, cid)
    doc.update(height=height, gas_used=int(res.get("gas_used", 0)))
    _emit(args, doc, "included at height %d\n%s" % (height, text))
    return EXIT_OK


def cmd_open(args):
    cid = _channel_id(args.channel)
    spender = bytes.fromhex(args.spender)
    return _send(args, lambda me, _h, _c: [C.msg_open_channel(
        me, cid, args.device, spender, args.provider, (args.denom, args.deposit),
        args.settle_delay)], cid)


def cmd_top_up(args):
    cid = _channel_id(args.channel)
    return _send(args, lambda me, _h, _c: [C.msg_top_up(me, cid, (args.denom, args.amount))], cid)


def cmd_settle(args):
    cid = _channel_id(args.channel)
    return _send(args, lambda me, _h, _c: [C.msg_start_settle(me, cid)], cid)


def cmd_reclaim(args):
    cid = _channel_id(args.channel)
    return _send(args, lambda me, _h, _c: [C.msg_reclaim(me, cid)], cid)


def cmd_redeem(args):
    voucher, sig = bytes.fromhex(args.voucher), bytes.fromhex(args.signature)
    from lightclient.chip.pay import voucher as V
    cid = V.decode(voucher).channel

    def msgs(me, header, client):
        # checked against the proven channel first: a voucher the chain would refuse is not sent
        C.Provider(me, header.chain_id).check(_race(client, C.channel, header, bytes(cid)),
                                              voucher, sig)
        return [C.msg_redeem(me, voucher, sig)]
    return _send(args, msgs, bytes(cid))


def register(subparsers):
    g = subparsers.add_parser("pay", help="payment channels: proven state; open, top up, "
                              "settle, reclaim (owner) and redeem (provider)")
    sub = g.add_subparsers(dest="pay_command", required=True)
    p = sub.add_parser("status", help="a channel (and balances) proven at the verified head")
    common_args(p)
    p.add_argument("channel", help="channel id (hex)")
    p.add_argument("--balance", action="append", metavar="ADDR", help="also prove this "
                   "account's balance in the channel's denom (repeatable)")
    p.set_defaults(func=cmd_status)

    def tx_parser(name, help_text, func):
        p = sub.add_parser(name, help=help_text)
        common_args(p, deadline=10.0)
        p.add_argument("--key", required=True, metavar="FILE", help="the signer's secp256k1 "
                       "secret (hex): the owner's, or for redeem the provider's")
        p.add_argument("--gas", type=int, default=300000, help="gas limit (default 300000)")
        p.set_defaults(func=func)
        return p

    p = tx_parser("open", "the owner funds a channel to a provider for one of its devices",
                  cmd_open)
    p.add_argument("channel", help="a new channel id (hex, 8..32 bytes; the chip's caps name it)")
    p.add_argument("--device", required=True, metavar="ADDR", help="the owner's device account")
    p.add_argument("--spender", default="", metavar="HEX", help="another spender key than "
                   "the device's account key (33 bytes; default: the key x/devices records)")
    p.add_argument("--provider", required=True, metavar="ADDR")
    p.add_argument("--deposit", required=True, type=int)
    p.add_argument("--denom", default="stake")
    p.add_argument("--settle-delay", type=int, default=86400, metavar="S",
                   help="seconds the provider may still redeem after settle (default 1 day)")
    p = tx_parser("top-up", "the owner adds to an open channel's deposit", cmd_top_up)
    p.add_argument("channel")
    p.add_argument("--amount", required=True, type=int)
    p.add_argument("--denom", default="stake")
    p = tx_parser("settle", "the owner starts the settle delay", cmd_settle)
    p.add_argument("channel")
    p = tx_parser("reclaim", "the owner takes back the rest after the settle delay",
                  cmd_reclaim)
    p.add_argument("channel")
    p = tx_parser("redeem", "the provider redeems a voucher (checked against the proven "
                  "channel first)", cmd_redeem)
    p.add_argument("voucher", help="the voucher's sign bytes (hex)")
    p.add_argument("signature", help="its 64-byte signature (hex)")
