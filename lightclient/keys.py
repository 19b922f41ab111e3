"""`mycroft-lc keys new | show | sign-checkpoint`: Ed25519 key files for the owner (and for test
devices without a chip), and the owner's signed recovery checkpoints.

A key file holds the 32-byte Ed25519 seed as 64 hex digits and a newline, mode 0600, so
`scenarionet register-device --owner-seed "$(cat owner.key)"` reads it. `new` refuses to overwrite a
file and prints only the public key; the seed is printed only by `show --secret`.
(A real device's key is made on its chip and never leaves it: `board provision` does that.)
"""

import argparse
import json
import os

from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import ed25519
from lightclient.chip.store.filedev import sync_dir
from lightclient.clock import Clock

SEED_BYTES = 32


class KeyFileError(LightClientError):
    """A key file that can't be used (wrong content, or an existing file in the way)."""


def write_new_key(path):
    """A new seed from os.urandom, written to `path` (created with 0600, never replaced); returns
    the public key. The write goes through a temporary file linked into place, so a power cut
    leaves no half key and an existing file is never replaced (unlike a replacing atomic write)."""
    path = os.path.abspath(path)
    if os.path.lexists(path):
        raise KeyFileError("key_exists", "refusing to overwrite an existing key file", path=path)
    seed = os.urandom(SEED_BYTES)
    tmp = "%s.tmp-%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (seed.hex() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)       # fails if `path` appeared meanwhile: never replace a key
    finally:
        os.remove(tmp)
    sync_dir(os.path.dirname(path))
    return ed25519.public_key(seed)


def read_seed(path):
    with open(path, "rb") as f:
        data = f.read(4 * SEED_BYTES).strip()
    try:
        seed = bytes.fromhex(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        seed = b""
    if len(seed) != SEED_BYTES:
        raise KeyFileError("key_file", "not a key file (64 hex digits expected)", path=path)
    return seed


def cmd_new(args):
    pub = write_new_key(args.file)
    doc = {"file": os.path.abspath(args.file), "public_key": pub.hex()}
    print(json.dumps(doc, sort_keys=True) if args.json else
          "wrote %s (mode 0600)\npublic key %s" % (doc["file"], doc["public_key"]))
    return 0


def cmd_show(args):
    seed = read_seed(args.file)
    doc = {"file": os.path.abspath(args.file), "public_key": ed25519.public_key(seed).hex()}
    if args.secret:
        doc["seed"] = seed.hex()
    if args.json:
        print(json.dumps(doc, sort_keys=True))
    elif args.quiet:
        print(doc["public_key"])
    else:
        print("public key %s" % doc["public_key"])
        if args.secret:
            print("seed       %s" % doc["seed"])
    return 0


def _hash32(text):
    try:
        h = bytes.fromhex(text)
    except ValueError:
        h = b""
    if len(h) != 32:
        raise argparse.ArgumentTypeError("a header hash is 32 bytes of hex (64 digits)")
    return h


def cmd_sign_checkpoint(args):
    """The owner vouches for one header of their chain; `mycroft-lc recover --checkpoint` takes
    the file on the device (which checks the signature against the config's owner key)."""
    from lightclient import checkpoint
    from lightclient.chip import txs
    seed = read_seed(args.file)
    doc = checkpoint.sign_checkpoint(txs.seed_signer(seed), args.chain_id, args.height,
                                     args.hash, Clock().wall_ns() // 10**9)
    text = json.dumps(doc, indent=1, sort_keys=True)
    if args.out:
        with open(args.out, "x") as f:
            f.write(text + "\n")
        print("wrote %s: checkpoint at height %d signed by %s" % (
            os.path.abspath(args.out), args.height, ed25519.public_key(seed).hex()))
    else:
        print(text)
    return 0


def register(subparsers):
    p = subparsers.add_parser("keys", help="make and read Ed25519 key files (owner key, test "
                              "devices)")
    sub = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION",
                           help="new | show | sign-checkpoint")
    n = sub.add_parser("new", help="write a new key file (0600) and print its public key",
                       description="Writes a new Ed25519 seed to FILE (mode 0600; an existing "
                       "file is never replaced) and prints the public key. The seed is not "
                       "printed.")
    n.add_argument("file", metavar="FILE", help="the key file to create")
    n.add_argument("--json", action="store_true", help="one JSON document on stdout")
    n.set_defaults(func=cmd_new)
    s = sub.add_parser("show", help="print a key file's public key (the seed only with --secret)")
    s.add_argument("file", metavar="FILE", help="a key file")
    s.add_argument("--secret", action="store_true", help="also print the seed (keep it private)")
    s.add_argument("-q", "--quiet", action="store_true", help="only the public key, in hex "
                   "(for scripts)")
    s.add_argument("--json", action="store_true", help="one JSON document on stdout")
    s.set_defaults(func=cmd_show)
    c = sub.add_parser("sign-checkpoint", help="sign a recovery checkpoint with an owner key file",
                       description="Writes an owner-signed checkpoint naming the header of "
                       "HEIGHT (its hash from a node you trust, e.g. `mycroft-lc check-commit`), "
                       "for `mycroft-lc recover --checkpoint`.")
    c.add_argument("file", metavar="FILE", help="the owner's key file")
    c.add_argument("--chain-id", required=True, help="the chain the device is provisioned on")
    c.add_argument("--height", type=int, required=True, help="the header's height")
    c.add_argument("--hash", type=_hash32, required=True, metavar="HEX", help="the header hash")
    c.add_argument("--out", metavar="FILE", help="write it there (default: stdout)")
    c.set_defaults(func=cmd_sign_checkpoint)
