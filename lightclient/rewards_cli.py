"""`mycroft-lc rewards status | bond | fund | submit`: rewards for serving light blocks
(lightclient/rewards.py, docs/rewards.md). Bonds, earnings, the pool and balances shown are
proven with ICS23 against the head our light client verified, never taken on a node's word;
transactions are signed with the signer's secp256k1 key (--key FILE, hex). `submit` sends the
receipts `serve-api --collect-receipts` kept, 64 per message, and forgets those the chain
counted."""

import time

from lightclient import rewards as RW
from lightclient import txclient
from lightclient.channels import balance
from lightclient.commands import _client, _emit, _load, common_args
from lightclient.exitcodes import EXIT_OK
from lightclient.gov import address_bytes
from lightclient.pay_cli import PROVE_TIMEOUT_S, _head, _race


def _proven(client, header, device, owner=None):
    d20 = address_bytes(device)
    p = _race(client, RW.params, header)
    doc = {"device": device, "bond": _race(client, RW.bond, header, d20),
           "earnings": _race(client, RW.earnings, header, d20),
           "pool": _race(client, RW.pool, header), "params": p,
           "epoch": (header.height - 1) // p["epoch_blocks"], "verified_height": header.height}
    b, e = doc["bond"], doc["earnings"]
    text = "device %s (proven at height %d, epoch %d)\n" % (device, header.height - 1,
                                                             doc["epoch"])
    text += ("  bond: none" if b is None else "  bond: %d %s from %s, locked until epoch %d%s"
             % (b["amount"], p["denom"], b["owner"], b["locked_until_epoch"],
                ", slashed %d" % b["slashed"] if b["slashed"] else ""))
    if b is not None and b["amount"] < p["min_bond"]:
        text += " (below min_bond %d: not bonded)" % p["min_bond"]
    text += ("\n  earned: nothing yet" if e is None else
             "\n  earned: %d %s in all; epoch %d paid %d for %d receipts, to %s"
             % (e["total"], p["denom"], e["last_epoch"], e["last_amount"], e["last_receipts"],
                e["paid_to"]))
    text += "\n  reward pool: %d %s" % (doc["pool"], p["denom"])
    if owner:
        doc["owner_balance"] = _race(client, balance, header, address_bytes(owner), p["denom"])
        text += "\n  balance of %s: %d %s (proven)" % (owner, doc["owner_balance"], p["denom"])
    return doc, text


def cmd_status(args):
    client = _client(args)
    doc, text = _proven(client, _head(client, args.deadline), args.device, args.owner)
    _emit(args, doc, text)
    return EXIT_OK


def _send(args, msgs):
    """Signs msgs(signer bech32) with --key and sends them; a refusal by x/servicerewards is a
    ReceiptRefused named after its code. -> (client, inclusion height, gas used)."""
    client = _client(args)
    _head(client, args.deadline)

    def refused(code, log):
        return RW.ReceiptRefused(RW.error_name(code), "x/servicerewards refused the "
                                 "transaction", code=code, log=log)

    res, height = txclient.send_with_key_file(client, args.key, msgs, args.gas, RW.CODESPACE,
                                              refused)
    return client, height, int(res.get("gas_used", 0))


def _after(client, height, args):
    """The first verified header that commits the state after block `height`."""
    mono = client.clock.monotonic
    end = mono() + PROVE_TIMEOUT_S
    header = _head(client, args.deadline)
    while header.height <= height + 1 and mono() < end:
        time.sleep(0.3)
        header = _head(client, max(1.0, end - mono()))
    return header


def cmd_bond(args):
    client, height, gas = _send(args, lambda me: [RW.msg_bond(me, args.device,
                                                               (args.denom, args.amount))])
    doc, text = _proven(client, _after(client, height, args), args.device)
    doc.update(height=height, gas_used=gas)
    _emit(args, doc, "included at height %d\n%s" % (height, text))
    return EXIT_OK


def cmd_fund(args):
    client, height, gas = _send(args, lambda me: [RW.msg_fund_pool(me, (args.denom,
                                                                        args.amount))])
    header = _after(client, height, args)
    doc = {"height": height, "gas_used": gas, "pool": _race(client, RW.pool, header),
           "verified_height": header.height}
    _emit(args, doc, "included at height %d; reward pool %d (proven)" % (height, doc["pool"]))
    return EXIT_OK


def cmd_submit(args):
    cfg = _load(args)
    book = RW.ReceiptBook(args.receipts or RW.book_path(cfg), bytes(20), cfg.chain_id)
    pending = book.pending()
    if not pending:
        _emit(args, {"submitted": 0}, "no receipts to submit")
        return EXIT_OK
    done = []
    for i in range(0, len(pending), RW.MAX_BATCH):
        batch = pending[i:i + RW.MAX_BATCH]
        _c, height, gas = _send(args, lambda me, b=batch: [RW.msg_submit_receipts(me, b)])
        book.submitted(batch)
        done.append({"height": height, "receipts": len(batch), "gas_used": gas})
    _emit(args, {"submitted": len(pending), "transactions": done},
          "submitted %d receipts in %d transactions (paid after their epoch closes: "
          "`mycroft-lc rewards status DEVICE`)" % (len(pending), len(done)))
    return EXIT_OK


def register(subparsers):
    g = subparsers.add_parser("rewards", help="rewards for serving light blocks: proven "
                              "bond and earnings; bond, fund the pool, submit receipts")
    sub = g.add_subparsers(dest="rewards_command", required=True)
    p = sub.add_parser("status", help="a device's bond and earnings, the pool and params, "
                       "proven at the verified head")
    common_args(p)
    p.add_argument("device", help="the device's account address")
    p.add_argument("--owner", metavar="ADDR", help="also prove this account's balance")
    p.set_defaults(func=cmd_status)

    def tx_parser(name, help_text, func):
        p = sub.add_parser(name, help=help_text)
        common_args(p, deadline=10.0)
        p.add_argument("--key", required=True, metavar="FILE", help="the signer's secp256k1 "
                       "secret (hex)")
        p.add_argument("--gas", type=int, default=400000, help="gas limit (default 400000)")
        p.set_defaults(func=func)
        return p

    p = tx_parser("bond", "the owner bonds coins for its device", cmd_bond)
    p.add_argument("device", help="the owner's device account address")
    p.add_argument("--amount", required=True, type=int)
    p.add_argument("--denom", default="stake")
    p = tx_parser("fund", "add to the reward pool", cmd_fund)
    p.add_argument("--amount", required=True, type=int)
    p.add_argument("--denom", default="stake")
    p = tx_parser("submit", "submit the receipts this device collected (anyone may; the "
                  "reward goes to the serving device's owner)", cmd_submit)
    p.add_argument("--receipts", metavar="FILE", help="the receipt book (default "
                   "STATE_DIR/receipts.json)")
