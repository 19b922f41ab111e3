"""Release images from the firmware the chip runs (docs/ota.md, "Release images from the frozen
firmware"): every module of the freeze manifest's variant (firmware/manifest.py) compiled with
the MicroPython 1.27 build's mpy-cross, laid out as a ROMFS (MicroPython's read-only filesystem
for frozen-in-place modules, written by mpremote's own VfsRomWriter) under /lib, and wrapped in
the release image format signed by the release key.

    mycroft-lc board release build --key release.key --version 0.2.0 --security-version 1 \
        --out mycroft-lc-0.2.0.img

The version is stamped into the firmware itself (common.FIRMWARE_VERSION of the compiled
image), so the code the chip runs after the update says which release it is, and the release
key into app/release_key.py, so a release build never reads it from /board.json.

A real board's slots hold ESP-IDF app images (MicroPython's esp32 port with these modules frozen
in, built elsewhere with ESP-IDF): `--app firmware.bin --board NAME` checks one with esptool's
parser (app_image.py) and signs it as the payload of kind KIND_APP instead.

    mycroft-lc board release key-module --key release.key --out release_key.py
    (the module to freeze into that ESP-IDF build, replacing lightclient/chip/app/release_key.py)
"""

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from lightclient.chip.app import release_image as R
from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.paths import ROOT, firmware_dir

VERSION_FILE = "lightclient/chip/app/common.py"
VERSION_LINE = re.compile(r'^FIRMWARE_VERSION = "[^"]*"$', re.M)
KEY_FILE = "lightclient/chip/app/release_key.py"
KEY_LINE = re.compile(r'^RELEASE_KEY = None$', re.M)
ROMFS_ROOT = "lib"   # the image's modules live under /lib of the ROMFS, as on the board's vfs


def _manifest(root):
    sys.path.insert(0, str(firmware_dir(root)))   # the checkout's, or the wheel's copy
    try:
        import manifest
    finally:
        sys.path.pop(0)
    return manifest


def default_mpy_cross(root):
    return root / "build" / "chip" / "mpy-cross"


def _stamp(src, pattern, line, rel):
    src, n = pattern.subn(line, src)
    if n != 1:
        raise HwTestError("release_stamp", "%s has no line to stamp (%s)" % (rel, pattern.pattern))
    return src


def key_module(release_pub, root=None, src=None):
    """The text of app/release_key.py with the release key frozen in."""
    if src is None:
        src = (Path(root or ROOT) / KEY_FILE).read_text()
    return _stamp(src, KEY_LINE, 'RELEASE_KEY = "%s"' % release_pub.hex(), KEY_FILE)


def compile_modules(version, variant="native", mpy_cross=None, root=None, release_pub=None):
    """-> {path below lightclient's parent ("lightclient/chip/...mpy"): compiled bytes};
    release_pub: the release key to freeze in (app/release_key.py)."""
    root = Path(root or ROOT)
    mpy_cross = Path(mpy_cross or default_mpy_cross(root))
    if not mpy_cross.is_file():
        raise HwTestError("mpy_cross_missing", "no mpy-cross at %s" % mpy_cross,
                          hint="`make chip` builds MicroPython 1.27's mpy-cross")
    _check_version(version)
    out = {}
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for rel in _manifest(root).variant_files(variant):
            src = (root / rel).read_text()
            if rel == VERSION_FILE:
                src = _stamp(src, VERSION_LINE, 'FIRMWARE_VERSION = "%s"' % version, rel)
            elif rel == KEY_FILE and release_pub is not None:
                src = key_module(release_pub, src=src)
            tmp = work / "src.py"
            tmp.write_text(src)
            mpy = work / "out.mpy"
            r = subprocess.run([str(mpy_cross), "-s", rel, "-o", str(mpy), str(tmp)],
                               capture_output=True, text=True)
            if r.returncode:
                raise HwTestError("mpy_cross", "mpy-cross failed on %s: %s"
                                  % (rel, r.stderr.strip()[:300]))
            out[rel[:-3] + ".mpy"] = mpy.read_bytes()
    return out


def romfs(files):
    """{"a/b/c.mpy": bytes} -> a ROMFS image holding them under /lib (mpremote's writer)."""
    from mpremote.romfs import VfsRomWriter
    tree = {}
    for path, data in files.items():
        node = tree
        parts = path.split("/")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = data
    w = VfsRomWriter()

    def put(node):
        for name in sorted(node):
            if isinstance(node[name], dict):
                w.opendir(name)
                put(node[name])
                w.closedir()
            else:
                w.mkfile(name, node[name])
    put({ROMFS_ROOT: tree})
    return w.finalise()


def build(key_seed, version, security_version, variant="native", mpy_cross=None, root=None):
    """-> (release image bytes, summary dict)."""
    from lightclient.chip.crypto import ed25519
    pub = ed25519.public_key(key_seed)
    files = compile_modules(version, variant, mpy_cross, root, pub)
    payload = romfs(files)
    return _sign(key_seed, payload, version, security_version, R.KIND_ROMFS,
                 {"variant": variant, "modules": len(files)})


def build_app(key_seed, app, board, version, security_version, secure_boot_key=None):
    """A release image around an ESP-IDF app image built elsewhere (`app`: its bytes) for
    `board` (hwtest.boards.Board): checked with esptool's parser first (app_image.py), its
    frozen release key included, and its Secure Boot V2 signature when `secure_boot_key` (PEM
    bytes of the public key) is given. -> (release image bytes, summary dict)."""
    from lightclient.chip.crypto import ed25519
    from lightclient.hwtest.app_image import check_app_image
    _check_version(version)
    slot = board.partition("ota_0").size
    info = check_app_image(app, board.chip, slot, ed25519.public_key(key_seed).hex(),
                           secure_boot_key)
    return _sign(key_seed, app, version, security_version, R.KIND_APP,
                 {"board": board.name, "chip": board.chip, "segments": info["segments"],
                  "slot_bytes": slot, "secure_boot_signed": secure_boot_key is not None})


def _check_version(version):
    if not 0 < len(version) <= R.MAX_VERSION or not version.isprintable():
        raise HwTestError("release_version", "the version must be 1..32 printable characters",
                          version=version)


def _sign(key_seed, payload, version, security_version, kind, extra):
    from lightclient.chip.crypto import ed25519
    if not 0 <= security_version <= R.MAX_SECURITY_VERSION:
        raise HwTestError("release_security_version", "the security version must be 0..65535",
                          security_version=security_version)
    img = R.build_image(payload, version, security_version,
                        lambda m: ed25519.sign(key_seed, m), kind)
    return img, dict(extra, version=version, security_version=security_version,
                     kind="app" if kind == R.KIND_APP else "romfs",
                     payload_bytes=len(payload), image_bytes=len(img),
                     image_sha256=hashlib.sha256(img).hexdigest(),
                     release_key=ed25519.public_key(key_seed).hex())


def cmd_build(args):
    from lightclient.keys import read_seed
    seed = read_seed(args.key)
    if args.app:
        from lightclient.hwtest.boards import load_board
        if not args.board:
            raise HwTestError("release_board", "--app needs --board: the app image is checked "
                              "against the board's chip and slot size")
        board, app = load_board(args.board), Path(args.app)
        slot = board.partition("ota_0").size
        if app.stat().st_size > slot:   # bounded before it is read
            raise HwTestError("app_size", "%s (%d bytes) is larger than the board's slot (%d)"
                              % (app, app.stat().st_size, slot))
        sbk = Path(args.secure_boot_key).read_bytes() if args.secure_boot_key else None
        img, summary = build_app(seed, app.read_bytes(), board, args.version,
                                 args.security_version, sbk)
    else:
        img, summary = build(seed, args.version, args.security_version, args.variant,
                             args.mpy_cross)
    out = Path(args.out)
    out.write_bytes(img)
    summary["file"] = str(out.resolve())
    print(json.dumps(summary, sort_keys=True) if args.json else
          "wrote %(file)s: release %(version)s (security version %(security_version)d), "
          "%(kind)s payload, %(image_bytes)d bytes, sha256 %(image_sha256)s" % summary)
    return 0


def cmd_key_module(args):
    from lightclient.chip.crypto import ed25519
    from lightclient.keys import read_seed
    Path(args.out).write_text(key_module(ed25519.public_key(read_seed(args.key))))
    print("wrote %s: freeze it as lightclient/chip/app/release_key.py of the release build"
          % args.out)
    return 0


def register(subparsers):
    p = subparsers.add_parser("release", help="release images of the chip's firmware "
                              "(docs/ota.md)")
    sub = p.add_subparsers(dest="release_command", required=True, metavar="ACTION")
    b = sub.add_parser("build", help="compile the frozen firmware into a signed release image",
                       description="Compiles the freeze manifest's modules with mpy-cross "
                       "(MicroPython 1.27), lays them out as a ROMFS and signs the release "
                       "image with the release key. Its SHA-256 is what a governance "
                       "proposal approves (x/releases).")
    b.add_argument("--key", required=True, help="the release key file (`mycroft-lc keys new`)")
    b.add_argument("--version", required=True, help="the release's version text (1..32)")
    b.add_argument("--security-version", type=int, required=True,
                   help="anti-rollback floor this release raises the chip to (0..65535)")
    b.add_argument("--variant", default="native", help="the manifest variant (native: what "
                   "the board's firmware freezes)")
    b.add_argument("--mpy-cross", help="mpy-cross of MicroPython 1.27 (default: make chip's)")
    b.add_argument("--out", required=True, help="the image file to write")
    b.add_argument("--app", help="an ESP-IDF app image (MicroPython's esp32 port with the "
                   "firmware frozen in, built elsewhere) to sign instead of the ROMFS: what a "
                   "real board's ota_0 / ota_1 hold")
    b.add_argument("--board", help="with --app: the board definition (its chip, slot size)")
    b.add_argument("--secure-boot-key", help="with --app: the Secure Boot V2 public key (PEM, "
                   "as given to `board provision --release`); the app image must end with its "
                   "signature sector (espsecure sign-data --version 2)")
    b.add_argument("--json", action="store_true", help="one JSON document on stdout")
    b.set_defaults(func=cmd_build)
    k = sub.add_parser("key-module", help="app/release_key.py with the release key frozen in, "
                       "for an ESP-IDF (frozen) build")
    k.add_argument("--key", required=True, help="the release key file")
    k.add_argument("--out", required=True, help="the module file to write")
    k.set_defaults(func=cmd_key_module)
