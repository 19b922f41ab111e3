"""`mycroft-lc board` subcommands for hardware testers (lightclient/cli.py calls register()
with the `board` group's subparsers; `python -m lightclient.hwtest.cli` runs them on their own):

    image build  --board B --firmware MP.bin [--bootloader BL.bin] [--provision-data F] [--out D]
                 [--variant pure|native]
    flash        --build D --port P [--baud N] [--merged] [--erase-all] [--no-verify] [--dry-run]
    provision    --port P [--board B] [--network chain|scenarionet|synthetic] [--chain-dir C]
                 [--start-chain] [--owner-account NAME] [--dir D] [--force] ...
    selftest     --port P [--record FILE] [--network ...] [--report FILE]
    batch        --port P1 --port P2 ... [--selftest-only] [--report FILE]

The network is the real local chain of `mycroft-lc chain up --dir .chain` unless --network says
otherwise. Everything a run leaves (owner key, provisioning records, the devices' configs,
reports, the synthetic chain) goes under --dir (default .hwtest). Exit codes: 0 all good, 1 a
check failed or a board failed, 2 a wrong command line, 4 the tools could not run (missing
files, the board's port, the network down or refusing).
Walk-through: docs/hardware-testers.md.
"""

import json
import os
import sys
import time
from pathlib import Path

from lightclient.atomic_file import write_atomic
from lightclient.exitcodes import EXIT_INVALID, EXIT_LOCAL, EXIT_OK, EXIT_USAGE
from lightclient.hwtest.errors import HwTestError

DEFAULT_DIR = ".hwtest"
DEFAULT_SCENARIONET_DIR = ".scenarionet"
DEFAULT_CHAIN_DIR = ".chain"


def _emit(obj, path=None):
    text = json.dumps(obj, indent=1, sort_keys=True)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(str(path), (text + "\n").encode())
    return text


# Failures that are a mistake in the command line rather than in a board, port or file.
USAGE_CHECKS = ("board_unknown", "network_mismatch", "batch_ports", "port_flag", "confirm",
                "efuse_target", "secure_boot_key", "uuid_flag")


def _err(e):
    """One line, and the README's exit status: usage for a wrong flag, else "local fault" (the
    board, port or files on the tester's bench); a board that fails a check exits EXIT_INVALID."""
    print("error: %s" % e, file=sys.stderr)
    return EXIT_USAGE if getattr(e, "check", None) in USAGE_CHECKS else EXIT_LOCAL


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- image build ---------------------------------------------------------------------------------

def cmd_image_build(args):
    from lightclient.hwtest import image
    out = args.out or os.path.join("build", args.board)
    m = image.build(args.board, args.firmware, out, bootloader_path=args.bootloader,
                    provision_path=args.provision_data, log=_log, variant=args.variant)
    print(_emit(m))
    return 0


# --- flash ---------------------------------------------------------------------------------------

class _Progress:
    """One line per 10 % of each part, so a log file stays readable."""

    def __init__(self):
        self.last = None

    def __call__(self, phase, address, percent, part):
        key = (phase, part, int(percent // 10))
        if key != self.last:
            self.last = key
            _log("  %-6s %-15s at %s %5.1f%%" % (phase, part, address, percent))


def cmd_flash(args):
    from lightclient.hwtest import flash
    opts = dict(baud=args.baud, merged=args.merged, erase_all=args.erase_all,
                verify=not args.no_verify, before=args.before, after=args.after,
                connect_attempts=args.connect_attempts, no_stub=args.no_stub)
    if args.dry_run:
        manifest, board, cmds = flash.commands(args.build, args.port, **opts)
        for c in cmds:
            print(" ".join(c))
        return 0
    try:
        r = flash.flash(args.build, args.port, progress=_Progress(), log=_log, **opts)
    except HwTestError as e:
        code = _err(e)
        _log("%s: FAIL (%s)" % (args.port, e.check))   # the verdict is the last line
        return code
    _log("%s: %s" % (args.port, "flashed and VERIFIED: every part read back matches the build"
                     if r["verified"] else "flashed, NOT verified (--no-verify)"))
    print(_emit(r))
    return 0


# --- network and owner key -----------------------------------------------------------------------

NETWORKS = ("chain", "scenarionet", "synthetic")
DEFAULT_NETWORK = "chain"
# The scenario network's name before issue 18: still read from --network and from the records
# of boards provisioned then, for one more release.
LEGACY_NETWORKS = {"devnet": "scenarionet"}


def _network_name(name):
    """argparse type of --network: the old name is taken, with one line on stderr."""
    if name in LEGACY_NETWORKS:
        sys.stderr.write("--network %s is deprecated: it is now --network %s\n"
                         % (name, LEGACY_NETWORKS[name]))
    return LEGACY_NETWORKS.get(name, name)


def _network(args):
    from lightclient.hwtest import network
    kind = args.network or DEFAULT_NETWORK
    if kind == "synthetic":
        os.makedirs(args.dir, exist_ok=True)
        return network.SyntheticNetwork(args.dir)
    if kind == "scenarionet":
        return network.ScenarioNetNetwork(args.scenarionet_dir, start=args.start_scenarionet)
    from lightclient.hwtest.chain_network import ChainNetwork
    return ChainNetwork(args.chain_dir or DEFAULT_CHAIN_DIR, start=args.start_chain,
                        owner_account=args.owner_account, owner_key=_chain_owner_key(args))


def _is_owner_key_file(path):
    """True for a key file of `mycroft-lc owner init` (its format line), False for a hex seed."""
    from lightclient.owner import keyfile
    try:
        with open(path, "rb") as f:
            return json.loads(f.read(4096)).get("format") == keyfile.FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _chain_owner_key(args):
    """--owner-key FILE of `owner init`: the owner account that registers boards on the chain,
    opened with the passphrase from MYCROFT_LC_PASSPHRASE or a prompt; None otherwise."""
    if not args.owner_key or not _is_owner_key_file(args.owner_key):
        return None
    from lightclient.owner import keyfile
    from lightclient.owner.cli import _passphrase
    try:
        return keyfile.read(args.owner_key, _passphrase(confirm=False))
    except keyfile.OwnerKeyError as e:
        raise HwTestError("owner_key", "%s: %s" % (args.owner_key, e))


def _device_config(args, net, rec):
    """On the chain: the Pi's device config for the board (chain_kind cosmos-sdk, the chain's
    relays as sources, the provisioning checkpoint as anchor) in DIR/devices/BOARD_ID/, named
    in the record; `mycroft-lc boot --config` that file boots the device verified."""
    where = os.path.abspath(os.path.join(args.dir, "devices", rec["board_id"]))
    cfg = net.device_config(rec["uuid"], rec["checkpoint"], os.path.join(where, "state"))
    if cfg is not None:
        os.makedirs(where, exist_ok=True)
        rec["config"] = os.path.join(where, "config.json")
        cfg.save(rec["config"])


def _owner_seed(args):
    """The owner's Ed25519 seed (hex in a file). Without --owner-key one is made once in
    DIR/owner.key (mode 600) and reused: the chip takes it as its owner's word (re-provisioning,
    signed checkpoints), keep it. (On the chain the registration is the owner account's.)"""
    # An `owner init` key file is the chain's owner (_chain_owner_key); the chip's stays here.
    given = args.owner_key if args.owner_key and not _is_owner_key_file(args.owner_key) else None
    path = given or os.path.join(args.dir, "owner.key")
    if not os.path.exists(path):
        if given:
            raise HwTestError("owner_key", "no owner key file %s" % path)
        os.makedirs(args.dir, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
            # on disk before any board is registered to it: a lost owner key is lost devices
            f.flush()
            os.fsync(f.fileno())
        dfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        _log("new owner key in %s (keep it: the chips take it as their owner's word; "
             "re-provisioning them needs it)" % path)
    with open(path) as f:
        text = f.read(200).strip()
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise HwTestError("owner_key", "%s must hold a 32-byte Ed25519 seed in hex" % path)
    return seed


def _firmware_hash(args):
    if getattr(args, "build", None):
        from lightclient.hwtest.image import load_build
        return load_build(args.build)[0]["firmware_hash"]
    from lightclient.hwtest import image
    try:
        return image.firmware_hash(image.app_files())
    except HwTestError:
        return None


def _board_name(args):
    from lightclient.hwtest.boards import load_board
    return load_board(args.board).name


# --- provision / selftest / batch ----------------------------------------------------------------

def cmd_release(args):
    """`provision --release`: lock the board with eFuses (lightclient/hwtest/release.py). A dry
    run unless --burn with --confirm naming the chip's MAC; the record lists what was burned,
    rewritten after every step."""
    from lightclient.hwtest import release
    from lightclient.hwtest.boards import load_board
    board = load_board(args.board)
    if (args.port is None) == (args.efuse_file is None):
        raise HwTestError("efuse_target", "--release needs --port (a board) or --efuse-file "
                          "(espefuse's virtual eFuses)")
    fuse = release.Espefuse(board.chip, port=args.port, efuse_file=args.efuse_file)
    path = [None]

    def keep(rec):
        name = args.board_id or "%s-%s" % (board.name, rec["mac"].replace(":", ""))
        path[0] = os.path.join(args.dir, "records", name + ".release.json")
        rec["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _emit(rec, path[0])

    rec = release.run(board, fuse, args.secure_boot_key, burn=args.burn, confirm=args.confirm,
                      log=_log, record=keep)
    if args.burn:
        keep(rec)
        _log("%s: %s; record in %s" % (rec["mac"], "LOCKED: every step burned" if rec["complete"]
                                       else "NOT complete: run it again to finish", path[0]))
    print(_emit(rec))
    return EXIT_OK if rec["complete"] or not args.burn else EXIT_INVALID


def cmd_provision(args):
    if args.release:
        return cmd_release(args)
    if not args.port:
        raise HwTestError("port_flag", "provision needs --port", hint="the board's serial port, "
                          "or the pty of `mycroft-lc board emulate`")
    if args.uuid and (args.network or DEFAULT_NETWORK) == "chain":
        raise HwTestError("uuid_flag", "on the chain a device is named by its account address, "
                          "made on the chip: leave out --uuid")
    from lightclient.hwtest import provision
    net = _network(args)
    try:
        rec = provision.provision(args.port, net, _owner_seed(args), _board_name(args),
                                  _firmware_hash(args), uuid=args.uuid, account=args.account,
                                  board_id=args.board_id, force=args.force,
                                  baudrate=args.baudrate, timeout=args.timeout, log=_log,
                                  label=_print_label if args.pairing_code else None)
        _device_config(args, net, rec)
    except HwTestError as e:
        print(_emit({"port": args.port, "provisioned": False, "error": e.to_dict()}))
        _log("FAIL %s" % e)
        return EXIT_LOCAL
    finally:
        net.close()
    path = os.path.join(args.dir, "records", rec["board_id"] + ".json")
    print(_emit(rec, path))
    _log("provisioned %s: record in %s" % (rec["board_id"], path))
    return 0


def _print_label(board_id, chain_id, code):
    # the label printer's line (stderr, the terminal): never in the record, never on disk
    _log("LABEL %s: pairing code %s (QR: MYCROFT-LC:%s:%s)" % (board_id, code, chain_id,
                                                               code.replace("-", "")))


def _print_checks(report):
    for c in report["checks"]:
        _log("%-8s %-16s %s" % (c["status"], c["check"], c["detail"]))
    _log("%s: %s" % (report["port"], "PASS" if report["passed"] else "FAIL"))


def cmd_selftest(args):
    from lightclient.hwtest import selftest
    expected = None
    recorded = None   # the network the record says the board was provisioned on
    if args.record:
        try:
            with open(args.record) as f:
                rec = json.load(f)
            expected = bytes.fromhex(rec["public_key"])
            recorded = (rec.get("network") or {}).get("name")
            recorded = LEGACY_NETWORKS.get(recorded, recorded)
            if recorded == "chain" and not args.chain_dir:
                args.chain_dir = rec["network"].get("dir")   # the chain it was registered on
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise HwTestError("record", "cannot read the public key from %s: %s"
                              % (args.record, e))
        if recorded not in NETWORKS:
            raise HwTestError("record", "%s names no network this tool knows (%r)"
                              % (args.record, recorded))
        if args.network is None:
            args.network = recorded
        elif args.network != recorded:
            raise HwTestError("network_mismatch", "%s says the board was provisioned on the %s "
                              "network, not %s" % (args.record, recorded, args.network),
                              hint="leave out --network: the record's network is used")
    args.network = args.network or DEFAULT_NETWORK
    net = None
    try:
        net = _network(args)
    except HwTestError as e:
        _log("no network (%s): the update checks will fail%s%s" % (
            e.message, "" if recorded else "; a board provisioned with --network synthetic "
            "needs the same flag here (or --record: its network is used)",
            "\n  hint: " + e.hint if e.hint else ""))
    try:
        rep = selftest.selftest(args.port, net, expected, args.baudrate, args.timeout, log=_log,
                                release=args.release)
    finally:
        if net is not None:
            net.close()
    rep["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _print_checks(rep)
    print(_emit(rep, args.report))
    return EXIT_OK if rep["passed"] else EXIT_INVALID


def cmd_batch(args):
    from lightclient.hwtest import batch
    net = _network(args)
    try:
        rep = batch.run_batch(args.port, net, _owner_seed(args), _board_name(args),
                              _firmware_hash(args), log=_log,
                              do_provision=not args.selftest_only, force=args.force,
                              baudrate=args.baudrate, timeout=args.timeout)
        for b in rep["boards"]:
            if b.get("provision"):
                _device_config(args, net, b["provision"])
    finally:
        net.close()
    for b in rep["boards"]:
        if b.get("provision"):
            _emit(b["provision"], os.path.join(args.dir, "records",
                                               b["provision"]["board_id"] + ".json"))
    report = args.report or os.path.join(args.dir, "reports",
                                         "batch-%s.json" % time.strftime("%Y%m%dT%H%M%S"))
    _emit(rep, report)
    print(batch.summary_table(rep))
    _log("report: %s" % report)
    return EXIT_OK if rep["failed"] == 0 else EXIT_INVALID


# --- argparse ------------------------------------------------------------------------------------

def _board_common(p, port_required=True):
    p.add_argument("--port", required=port_required, help="serial port of the board's UART "
                   "(or the pty of `mycroft-lc board emulate`)")
    p.add_argument("--baudrate", type=int, default=115200)
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds to wait for each answer (default %(default)s)")


def _net_common(p):
    p.add_argument("--board", default="esp32-devkitc", help="board definition in board/")
    p.add_argument("--network", choices=NETWORKS, default=None, type=_network_name,
                   help="chain (the default; for selftest with --record: the record's "
                        "network): the real local Cosmos SDK chain of `mycroft-lc chain up`; "
                        "scenarionet (formerly devnet): the Python scenario network of "
                        "`mycroft-lc scenarionet up`, no longer the default; synthetic: a "
                        "throw-away chain in this process, kept in --dir, for bench tests with "
                        "no network")
    p.add_argument("--chain-dir", default=None,
                   help="directory of a running `mycroft-lc chain up` (default %s; selftest "
                        "with --record: the record's)" % DEFAULT_CHAIN_DIR)
    p.add_argument("--start-chain", action="store_true",
                   help="run a local chain in --chain-dir while the command runs when none "
                        "runs there (made first when the directory is empty)")
    p.add_argument("--owner-account", default="owner",
                   help="on the chain: the account of the chain's test keyring (CHAIN_DIR/"
                        "client) that registers and funds the devices (default %(default)s)")
    p.add_argument("--scenarionet-dir", "--devnet-dir", default=DEFAULT_SCENARIONET_DIR,
                   help="directory of a running `mycroft-lc scenarionet up` (default %(default)s)")
    p.add_argument("--start-scenarionet", "--start-devnet", action="store_true",
                   help="start a scenario network in --scenarionet-dir when none runs there")
    p.add_argument("--dir", default=DEFAULT_DIR,
                   help="where owner key, records and reports go (default %(default)s)")
    p.add_argument("--owner-key", help="file with the owner's Ed25519 seed (hex): it "
                   "authorizes re-provisioning on the chip and signs checkpoints; default "
                   "DIR/owner.key, created once. A key file of `mycroft-lc owner init` instead "
                   "registers the boards on the chain as that owner (passphrase from "
                   "MYCROFT_LC_PASSPHRASE or a prompt; fund it with `mycroft-lc chain fund`)")


def _handler(fn):
    def run(args):
        try:
            return fn(args)
        except HwTestError as e:
            return _err(e)
    return run


def register(subparsers):
    """Adds image, flash, provision, selftest and batch to the given subparsers (lightclient/cli.py
    passes those of `mycroft-lc board`)."""
    p = subparsers.add_parser("image", help="build the board's flash images")
    sub = p.add_subparsers(dest="image_command", required=True)
    b = sub.add_parser("build", help="littlefs image + partition table + merged image")
    b.add_argument("--board", required=True, help="board definition in board/ (or a .json)")
    b.add_argument("--firmware", required=True,
                   help="MicroPython .bin for the board (released download, or a bare app "
                        "image with --bootloader)")
    b.add_argument("--bootloader", help="bootloader .bin when --firmware is a bare app image")
    b.add_argument("--provision-data", help="JSON object stored as /provision.json")
    b.add_argument("--out", help="output directory (default build/BOARD)")
    b.add_argument("--variant", choices=("pure", "native"),
                   help="crypto of the image (firmware/manifest.py): pure Python (default; any "
                        "MicroPython 1.27) or native (a MicroPython built with our lccrypto)")
    b.set_defaults(func=_handler(cmd_image_build))

    p = subparsers.add_parser("flash", help="write a build to a board with esptool, verify")
    p.add_argument("--build", required=True, help="directory of `image build`")
    p.add_argument("--port", required=True)
    p.add_argument("--baud", type=int, default=460800)
    p.add_argument("--merged", action="store_true",
                   help="write the one merged image (FF over nvs and the gaps)")
    p.add_argument("--erase-all", action="store_true",
                   help="erase the whole flash first (also the secure store: a new device)")
    p.add_argument("--no-verify", action="store_true", help="skip the verify-flash pass")
    p.add_argument("--before", default="default-reset",
                   help="esptool reset before (no-reset when you hold BOOT yourself)")
    p.add_argument("--after", default="hard-reset")
    p.add_argument("--connect-attempts", type=int, default=7)
    p.add_argument("--no-stub", action="store_true", help="talk to the ROM loader only")
    p.add_argument("--dry-run", action="store_true", help="print the esptool commands only")
    p.set_defaults(func=_handler(cmd_flash))

    p = subparsers.add_parser("provision", help="key, registration and checkpoint for a board; "
                              "--release: lock it with eFuses")
    _board_common(p, port_required=False)
    _net_common(p)
    r = p.add_argument_group("release boards (--release: eFuses, see docs/hardware-testers.md)")
    r.add_argument("--release", action="store_true",
                   help="lock the board: flash encryption (release mode), Secure Boot V2 where "
                        "the silicon qualifies, download mode and JTAG off; a dry run unless "
                        "--burn")
    r.add_argument("--efuse-file", help="espefuse's virtual eFuses in this file instead of a "
                   "board (no hardware)")
    r.add_argument("--secure-boot-key", metavar="PEM",
                   help="the release signing key's public key (RSA-3072, PEM)")
    r.add_argument("--burn", action="store_true", help="burn the eFuses: IRREVERSIBLE")
    r.add_argument("--confirm", metavar="MAC", help="with --burn: the chip's MAC, as the dry "
                   "run prints it (so the board burned is the board meant)")
    p.add_argument("--uuid", help="scenarionet and synthetic: the device uuid to register "
                   "(default: a new UUID4); on the chain a device is named by its account address")
    p.add_argument("--account", default="", help="the owner's account id")
    p.add_argument("--board-id", help="label for the record (default BOARD-<pubkey prefix>)")
    p.add_argument("--pairing-code", action="store_true",
                   help="also have the chip make its pairing code (docs/pairing.md) and print "
                        "it for the board's label; the record does not keep it")
    p.add_argument("--build", help="the build flashed on the board (for its firmware hash)")
    p.add_argument("--force", action="store_true",
                   help="re-provision a board that has a key (generates a NEW key)")
    p.set_defaults(func=_handler(cmd_provision))

    p = subparsers.add_parser("selftest", help="PASS/FAIL checks of a board over its UART")
    _board_common(p)
    _net_common(p)
    p.add_argument("--record", help="the board's provisioning record (its key must match)")
    p.add_argument("--report", help="write the JSON report here too")
    p.add_argument("--release", action="store_true", help="a release board (`provision "
                   "--release`): FAIL unless its eFuses say its key is protected")
    p.set_defaults(func=_handler(cmd_selftest))

    p = subparsers.add_parser("batch", help="provision + self-test several boards at once")
    p.add_argument("--port", action="append", required=True,
                   help="a board's port; repeat for each board")
    p.add_argument("--baudrate", type=int, default=115200)
    p.add_argument("--timeout", type=float, default=5.0)
    _net_common(p)
    p.add_argument("--selftest-only", action="store_true", help="boards already provisioned")
    p.add_argument("--force", action="store_true", help="re-provision boards that have a key")
    p.add_argument("--build", help="the build flashed on the boards (for the firmware hash)")
    p.add_argument("--report", help="JSON report path (default DIR/reports/batch-TIME.json)")
    p.set_defaults(func=_handler(cmd_batch))


def main(argv=None):
    """`python -m lightclient.hwtest.cli ...`: the same subcommands without the rest of mycroft-lc
    (PlatformIO's targets run them this way)."""
    import argparse
    p = argparse.ArgumentParser(prog="mycroft-lc", description="hardware tester tools")
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
