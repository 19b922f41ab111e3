"""`mycroft-lc owner ...`: the owner's key and pairing (issue 20, docs/pairing.md).

  owner init FILE [--restore]   a new owner key (or one restored from its mnemonic on stdin),
                                passphrase-encrypted in FILE; prints the Cosmos address, the
                                public keys and, once, the mnemonic to write down
  owner show FILE               the address and public keys
  owner pair FILE --mcu PORT --chain-id C [--code CODE] [CHAIN]
                                SPAKE2+ with the chip through the Pi's link; the pairing
                                statement with both signatures (--out), and with CHAIN options
                                written on chain with the owner's re-sealed epoch envelope
  owner devices FILE CHAIN      the owner's devices, proven (statement signatures re-checked)
  owner remove FILE DEVICE CHAIN  removes a device (Ed25519 key, hex): a new key epoch
  owner set FILE NAME (--value TEXT | --value-file PATH) CHAIN   a setting, sealed
  owner get FILE NAME CHAIN     a setting, proven and opened with the owner's key
  owner grants FILE CHAIN [--add GRANTEE CLASS EXPIRY] [--revoke GRANTEE CLASS]
                                who may read what, proven; grant or revoke first if asked
CHAIN = --node URL --chain-id C --anchor HEIGHT:HASH (a header the owner trusts, as
`cometbft light` takes it; reads are verified from it by our light client, records by ICS23).
The passphrase comes from MYCROFT_LC_PASSPHRASE when set (scripts, tests), else from the
terminal. The code is asked for on the terminal unless --code is given.
"""

import datetime
import getpass
import json
import os
import sys


# lightclient.owner.keyfile (bip_utils, a quarter second to import) is imported by the owner
# commands only, not by every mycroft-lc start.


def _utc(seconds):
    """A grant's expiry (Unix seconds, from chain) as a UTC date."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC")


def _passphrase(confirm):
    from lightclient.owner.keyfile import OwnerKeyError
    env = os.environ.get("MYCROFT_LC_PASSPHRASE")
    if env is not None:
        return env
    p = getpass.getpass("passphrase for the owner key: ")
    if confirm and getpass.getpass("the same again: ") != p:
        raise OwnerKeyError("passphrase", "the two passphrases differ")
    return p


def _describe(key):
    return {"address": key.address(), "secp256k1_public": key.secp256k1_public.hex(),
            "x25519_public": key.x25519_public.hex()}


def cmd_init(args):
    from lightclient.owner import keyfile
    from lightclient.owner.keyfile import OwnerKey
    key = OwnerKey(sys.stdin.read()) if args.restore else OwnerKey.generate()
    keyfile.write(args.file, key, _passphrase(confirm=True))
    doc = dict(_describe(key), file=os.path.abspath(args.file))
    if args.json:
        print(json.dumps(doc, sort_keys=True))
    else:
        print("wrote %s (mode 0600, passphrase-encrypted)" % doc["file"])
        print("address          %s" % doc["address"])
        print("secp256k1 public %s" % doc["secp256k1_public"])
        print("x25519 public    %s" % doc["x25519_public"])
        if not args.restore:
            print("write down these 24 words; they restore the key (and this account in a Cosmos "
                  "wallet). They are not shown again:", file=sys.stderr)
            print("  " + key.mnemonic, file=sys.stderr)
    return 0


def cmd_show(args):
    from lightclient.owner import keyfile
    key = keyfile.read(args.file, _passphrase(confirm=False))
    doc = _describe(key)
    print(json.dumps(doc, sort_keys=True) if args.json else
          "\n".join("%-16s %s" % kv for kv in sorted(doc.items())))
    return 0


def cmd_pair(args):
    from lightclient.mcu import McuClient
    from lightclient.owner import keyfile
    from lightclient.owner.pair import pair_over_link

    key = keyfile.read(args.file, _passphrase(confirm=False))
    code = args.code or getpass.getpass("setup code from the label: ")
    # the chain options are checked before the chip pairs, not after
    on_chain = _owner_chain(args, key) if args.node else None
    with McuClient(args.mcu, timeout=args.timeout) as mcu:
        res = pair_over_link(mcu, code, key, args.chain_id, os.urandom, args.open_window)
    doc = {"chain_id": args.chain_id, "statement": res.statement.hex(),
           "owner_sig": res.owner_sig.hex(), "device_sig": res.device_sig.hex(),
           "device_pubkey": res.device_pub.hex(), "device_x25519": res.device_x25519.hex(),
           "owner": key.address()}
    if args.out:     # first: the signed statement is kept even if the chain refuses it
        with open(args.out, "x") as f:
            f.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    if on_chain is not None:
        doc["height"] = on_chain.pair(res)
    print(json.dumps(doc, sort_keys=True) if args.json else
          "paired device %s with %s on %s%s" % (doc["device_pubkey"], doc["owner"],
                                                args.chain_id,
                                                (": statement in " + args.out) if args.out else ""))
    return 0


def _owner_chain(args, key):
    from lightclient.owner.onchain import OwnerChain
    return OwnerChain(key, chain_view(args))


def chain_view(args):
    """The verified view of the chain the CHAIN options name (the anchor checked first)."""
    from lightclient.owner.chainview import ChainView
    from lightclient.rpc import RpcClient
    height, _, anchor_hash = (args.anchor or "").partition(":")
    try:
        anchor = bytes.fromhex(anchor_hash)
    except ValueError:
        anchor = b""
    if not height.isdigit() or len(anchor) != 32:
        from lightclient.owner.keyfile import OwnerKeyError
        raise OwnerKeyError("anchor", "--anchor is HEIGHT:HASH (64 hex digits)")
    return ChainView(RpcClient(args.node, timeout=args.timeout), args.chain_id, int(height),
                     anchor)


def _open(args):
    from lightclient.owner import keyfile
    return _owner_chain(args, keyfile.read(args.file, _passphrase(confirm=False)))


def _print(args, doc, text):
    print(json.dumps(doc, sort_keys=True) if args.json else text)
    return 0


def cmd_devices(args):
    oc = _open(args)
    o = oc.owner_record()
    devs = [{"device": pub.hex(), "x25519": d["x25519_key"].hex()} for pub, d in oc.devices()]
    doc = {"owner": oc.address, "epoch": o["epoch"] if o else None, "devices": devs}
    return _print(args, doc, "\n".join(["owner %s, key epoch %s" % (oc.address, doc["epoch"])]
                                       + ["device %(device)s  x25519 %(x25519)s" % d
                                          for d in devs]))


def cmd_remove(args):
    oc = _open(args)
    height = oc.remove(bytes.fromhex(args.device))
    epoch = oc.owner_record()["epoch"]
    return _print(args, {"removed": args.device, "height": height, "epoch": epoch},
                  "removed %s at height %d: key epoch %d" % (args.device, height, epoch))


def cmd_set(args):
    oc = _open(args)
    if args.value_file:
        with open(args.value_file, "rb") as f:
            value = f.read()
    else:
        value = args.value.encode()
    height, version = oc.set(args.name, value)
    return _print(args, {"name": args.name, "version": version, "height": height},
                  "%s: version %d sealed at height %d" % (args.name, version, height))


def cmd_get(args):
    oc = _open(args)
    opened = oc.get(args.name)
    if args.json:
        return _print(args, {"name": args.name, "version": opened.version,
                             "epoch": opened.epoch,
                             "value": opened.plaintext.decode("utf-8", "replace")}, "")
    sys.stdout.buffer.write(opened.plaintext + b"\n")
    return 0


def cmd_grants(args):
    from lightclient.sharing.grants import grant_table
    oc = _open(args)
    if args.add:
        grantee, klass, expiry = args.add
        oc.grant(grantee, klass, int(expiry))
    if args.revoke:
        oc.revoke(*args.revoke)
    grants, classes = grant_table(oc, args.klass or ())
    lines = ["%s may read %s until %s (%s)%s" % (
        g["grantee"], g["class"], _utc(g["expiry"]),
        g["state"], "" if g["recipient_key"] else ", no recipient key published") for g in grants]
    lines += ["class %s: key epoch %d (%d revocation(s)), %d blob(s) indexed"
              % (k, c["epoch"], c["epoch"], c["blobs"]) for k, c in sorted(classes.items())]
    return _print(args, {"owner": oc.address, "grants": grants, "classes": classes},
                  "\n".join(lines) or "no grants")


def _chain_args(p, required=True):
    p.add_argument("--node", required=required, help="a node's RPC URL")
    p.add_argument("--chain-id", required=True)
    p.add_argument("--anchor", required=required, help="HEIGHT:HASH of a header you trust")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--json", action="store_true")


def register(subparsers):
    p = subparsers.add_parser("owner", help="the owner's key and pairing (user-held keys)")
    sub = p.add_subparsers(dest="owner_command", required=True, metavar="ACTION",
                           help="init | show | pair | devices | remove | set | get | grants")
    i = sub.add_parser("init", help="a new owner key in a passphrase-encrypted file")
    i.add_argument("file")
    i.add_argument("--restore", action="store_true", help="read the mnemonic from stdin")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_init)
    s = sub.add_parser("show", help="the owner key's address and public keys")
    s.add_argument("file")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)
    a = sub.add_parser("pair", help="pair a chip with the code from its label (SPAKE2+)")
    a.add_argument("file")
    a.add_argument("--mcu", required=True, help="the chip's serial port (or the emulator's pty)")
    a.add_argument("--code", help="the setup code (asked for on the terminal when left out)")
    a.add_argument("--open-window", action="store_true",
                   help="open the pairing window over the link (the emulated board has no button)")
    a.add_argument("--out", help="write the signed pairing statement here (never overwritten)")
    _chain_args(a, required=False)
    a.set_defaults(func=cmd_pair)
    d = sub.add_parser("devices", help="the owner's devices, verified from the chain")
    d.add_argument("file")
    _chain_args(d)
    d.set_defaults(func=cmd_devices)
    r = sub.add_parser("remove", help="remove a device: a new key epoch without it")
    r.add_argument("file")
    r.add_argument("device", help="the device's Ed25519 key (hex)")
    _chain_args(r)
    r.set_defaults(func=cmd_remove)
    st = sub.add_parser("set", help="write a setting, sealed to the owner's devices")
    st.add_argument("file")
    st.add_argument("name")
    v = st.add_mutually_exclusive_group(required=True)
    v.add_argument("--value")
    v.add_argument("--value-file")
    _chain_args(st)
    st.set_defaults(func=cmd_set)
    g = sub.add_parser("get", help="read a setting, verified and opened with the owner key")
    g.add_argument("file")
    g.add_argument("name")
    _chain_args(g)
    g.set_defaults(func=cmd_get)
    gr = sub.add_parser("grants", help="who may read what, verified from the chain")
    gr.add_argument("file")
    gr.add_argument("--add", nargs=3, metavar=("GRANTEE", "CLASS", "EXPIRY"),
                    help="grant GRANTEE the CLASS of data until EXPIRY (unix seconds)")
    gr.add_argument("--revoke", nargs=2, metavar=("GRANTEE", "CLASS"))
    gr.add_argument("--class", dest="klass", action="append", metavar="CLASS",
                    help="also show this class's key epoch and blob count (repeatable)")
    _chain_args(gr)
    gr.set_defaults(func=cmd_grants)
