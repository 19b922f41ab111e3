"""`mycroft-lc owner ...`: the owner's key and pairing (issue 20, docs/pairing.md).

  owner init FILE [--restore]   a new owner key (or one restored from its mnemonic on stdin),
                                passphrase-encrypted in FILE; prints the Cosmos address, the
                                public keys and, once, the mnemonic to write down
  owner show FILE               the address and public keys
  owner pair FILE --mcu PORT --chain-id C [--code CODE]
                                SPAKE2+ with the chip through the Pi's link; writes the pairing
                                statement with both signatures (--out), for the chain
The passphrase comes from MYCROFT_LC_PASSPHRASE when set (scripts, tests), else from the
terminal. The code is asked for on the terminal unless --code is given.
"""

import getpass
import json
import os
import sys

from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K

# lightclient.owner.keyfile (bip_utils, a quarter second to import) is imported by the owner
# commands only, not by every mycroft-lc start.


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
    from lightclient.owner.pair import OwnerPairing

    key = keyfile.read(args.file, _passphrase(confirm=False))
    code = args.code or getpass.getpass("setup code from the label: ")
    with McuClient(args.mcu, timeout=args.timeout) as mcu:
        info = mcu.keys(H.OP_READ, K.KEY_INFO)
        if args.open_window:
            mcu.keys(H.OP_WRITE, K.OPEN_WINDOW)
        p = OwnerPairing(code, key, args.chain_id, info["pub"], os.urandom)
        a1 = mcu.keys(H.OP_WRITE, K.PAIR_START, p.start())
        a2 = mcu.keys(H.OP_WRITE, K.PAIR_FINISH, p.respond(a1))
        res = p.finish(a2)
    doc = {"chain_id": args.chain_id, "statement": res.statement.hex(),
           "owner_sig": res.owner_sig.hex(), "device_sig": res.device_sig.hex(),
           "device_pubkey": res.device_pub.hex(), "device_x25519": res.device_x25519.hex(),
           "owner": key.address()}
    text = json.dumps(doc, indent=1, sort_keys=True)
    if args.out:
        with open(args.out, "x") as f:
            f.write(text + "\n")
    print(json.dumps(doc, sort_keys=True) if args.json else
          "paired device %s with %s on %s%s" % (doc["device_pubkey"], doc["owner"],
                                                args.chain_id,
                                                (": statement in " + args.out) if args.out else ""))
    return 0


def register(subparsers):
    p = subparsers.add_parser("owner", help="the owner's key and pairing (user-held keys)")
    sub = p.add_subparsers(dest="owner_command", required=True, metavar="ACTION",
                           help="init | show | pair")
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
    a.add_argument("--chain-id", required=True)
    a.add_argument("--code", help="the setup code (asked for on the terminal when left out)")
    a.add_argument("--open-window", action="store_true",
                   help="open the pairing window over the link (the emulated board has no button)")
    a.add_argument("--out", help="write the signed pairing statement here (never overwritten)")
    a.add_argument("--timeout", type=float, default=10.0)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_pair)
