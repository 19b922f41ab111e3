# `mycroft-lc blobs serve | upload` and `mycroft-lc grantee publish-key | read` (docs/grants.md).
# CHAIN = --node URL --chain-id C --anchor HEIGHT:HASH, as for `mycroft-lc owner`.

import os

from lightclient.owner.cli import _chain_args, _open, _print, chain_view


def cmd_serve(args):
    from lightclient.sharing.blobstore import serve
    serve(args.dir, args.port)
    return 0


def cmd_upload(args):
    """The device's upload: sealed on the Pi to the grantees' proven keys, the index record
    signed on the chip (--mcu) with the device's account key."""
    from lightclient import txclient
    from lightclient.chip import cosmos_tx as ct
    from lightclient.mcu import McuClient
    from lightclient.sharing import grants
    from lightclient.sharing.blobstore import BlobClient
    with open(args.input, "rb") as f:
        plaintext = f.read(grants.sealed_blob.MAX_PLAINTEXT + 1)
    with McuClient(args.mcu, timeout=args.timeout) as mcu:
        view = chain_view(args)
        acct = bytes(mcu.account_key())
        tx = txclient.TxClient(view.rpc, view.chain_id, acct, mcu.sign_tx,
                               lambda: view.account(ct.account_address(acct)),
                               wait_new_state=lambda: view.head(view.head().height + 1))
        r = grants.upload(view, tx, BlobClient(args.blobs), ct.bech32_address(acct),
                          args.klass, plaintext)
    doc = dict(r, sha256=r["sha256"].hex())
    return _print(args, doc, "indexed %s blob %s (%d bytes, class key epoch %d) for %s at "
                  "height %d" % (args.klass, doc["sha256"], r["size"], r["epoch"],
                                 ", ".join(r["recipients"]), r["height"]))


def cmd_publish_key(args):
    from lightclient.sharing.grants import Grantee
    g = Grantee(_open(args))
    height = g.publish_key()
    return _print(args, {"account": g.address, "x25519": g.key.x25519_public.hex(),
                         "height": height},
                  "%s receives sealed blobs on %s" % (g.address, g.key.x25519_public.hex()))


def cmd_read(args):
    from lightclient.sharing.blobstore import BlobClient
    from lightclient.sharing.grants import Grantee
    g = Grantee(_open(args))
    items = g.read(BlobClient(args.blobs), args.owner, args.klass)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for it in items:
            with open(os.path.join(args.out, "%d-%s" % (it["seq"], it["sha256"].hex())),
                      "wb") as f:
                f.write(it["plaintext"])
    rows = [{"seq": it["seq"], "sha256": it["sha256"].hex(), "epoch": it["epoch"],
             "time": it["time"], "device": it["device"], "size": len(it["plaintext"])}
            for it in items]
    return _print(args, {"owner": args.owner, "class": args.klass, "blobs": rows},
                  "\n".join("#%(seq)d %(sha256)s from %(device)s: %(size)d bytes (epoch %(epoch)d)"
                            % r for r in rows) or "nothing sealed to us yet")


def register(subparsers):
    b = subparsers.add_parser("blobs", help="sealed, content-addressed blobs (data sharing)")
    bs = b.add_subparsers(dest="blobs_command", required=True, metavar="ACTION",
                          help="serve | upload")
    s = bs.add_parser("serve", help="the blob store on 127.0.0.1 (prints its URL)")
    s.add_argument("--dir", required=True)
    s.add_argument("--port", type=int, default=0)
    s.set_defaults(func=cmd_serve)
    u = bs.add_parser("upload", help="the device uploads a class while a grant allows it")
    u.add_argument("klass", metavar="CLASS")
    u.add_argument("input", metavar="FILE")
    u.add_argument("--mcu", required=True, help="the chip's serial port (it signs the record)")
    u.add_argument("--blobs", required=True, help="the blob store's URL")
    _chain_args(u)
    u.set_defaults(func=cmd_upload)

    g = subparsers.add_parser("grantee", help="read what an owner's grant covers")
    gs = g.add_subparsers(dest="grantee_command", required=True, metavar="ACTION",
                          help="publish-key | read")
    p = gs.add_parser("publish-key", help="publish the key file's X25519 key for receiving")
    p.add_argument("file")
    _chain_args(p)
    p.set_defaults(func=cmd_publish_key)
    r = gs.add_parser("read", help="the blobs of OWNER's CLASS sealed to us, verified")
    r.add_argument("file")
    r.add_argument("--owner", required=True)
    r.add_argument("--class", dest="klass", required=True, metavar="CLASS")
    r.add_argument("--blobs", required=True, help="the blob store's URL")
    r.add_argument("--out", help="write each plaintext to DIR/<seq>-<sha256>")
    _chain_args(r)
    r.set_defaults(func=cmd_read)
