"""`mycroft-lc`: the device's light client, its local device API, the local network and the board tools.

The subcommands live in their own modules (SUBCOMMAND_MODULES, BOARD_MODULES); this one builds the
parser and turns every failure into one line on stderr and one exit status (EXIT_* below, the
README's "Exit status" table). A traceback is shown only with MYCROFT_LC_DEBUG=1.
"""

import argparse
import json
import os
import sys

from lightclient.exitcodes import (EXIT_BROKEN_PIPE, EXIT_HALTED, EXIT_INTERRUPTED,  # noqa: F401
                                    EXIT_INVALID, EXIT_LOCAL, EXIT_NO_RECORD, EXIT_OK,
                                    EXIT_UNAVAILABLE, EXIT_USAGE)


def error_kinds():
    """(exception class, exit status), first match wins. The one table to update when the error
    classes move or gain kinds: the taxonomy's three bases (invalid / unavailable / local) come
    first when they exist, then today's specific classes."""
    from lightclient import (checkpoint, config, keys, mcu, records, rpc, sources, sync,
                             trust_store)
    from lightclient.chip.core import errors
    from lightclient.detector import AttackDetected
    table = [(AttackDetected, EXIT_HALTED),
             (getattr(errors, "LocalFault", None), EXIT_LOCAL),
             (getattr(errors, "Unavailable", None), EXIT_UNAVAILABLE),
             (getattr(errors, "InvalidData", None), EXIT_INVALID),
             (config.ConfigError, EXIT_LOCAL),
             (trust_store.StoreError, EXIT_LOCAL),
             (mcu.McuError, EXIT_LOCAL),
             (keys.KeyFileError, EXIT_LOCAL),
             (rpc.SourceError, EXIT_UNAVAILABLE),
             (sources.NoSource, EXIT_UNAVAILABLE),
             (records.NoVerifiedData, EXIT_UNAVAILABLE),
             (checkpoint.RecoveryError, EXIT_UNAVAILABLE),
             (sync.SyncError, EXIT_UNAVAILABLE),
             (errors.LightClientError, EXIT_INVALID),
             (ConnectionError, EXIT_UNAVAILABLE),
             (TimeoutError, EXIT_UNAVAILABLE),
             (OSError, EXIT_LOCAL)]
    return [(cls, code) for cls, code in table if cls is not None]


def exit_status(exc):
    for cls, code in error_kinds():
        if isinstance(exc, cls):
            return code
    return EXIT_LOCAL   # anything else is a bug on our side: never blame a source for it


def describe(exc):
    """One line: what failed and why, without a traceback."""
    from lightclient.chip.core.errors import LightClientError
    if isinstance(exc, LightClientError):
        text = "%s (%s)" % (exc, _kind(exc))
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = "%s: %s" % (exc.strerror or type(exc).__name__, exc.filename)
    else:
        text = "%s: %s" % (type(exc).__name__, str(exc)[:300] or "(no message)")
    return " ".join(text.split())   # one line, whatever the message held


def _error_doc(exc):
    from lightclient.chip.core.errors import LightClientError
    if isinstance(exc, LightClientError):
        return exc.to_dict()
    return {"type": type(exc).__name__, "check": "local", "message": describe(exc)}


def _kind(exc):
    return {EXIT_INVALID: "invalid data", EXIT_UNAVAILABLE: "unavailable",
            EXIT_LOCAL: "local fault", EXIT_HALTED: "halted"}.get(exit_status(exc), "error")


# Modules that add their own subcommands with register(subparsers); each sets `func`.
SUBCOMMAND_MODULES = (
    "lightclient.commands",      # provision, boot, status, settings, recover (the device)
    "lightclient.keys",          # keys new / show (owner and device keys in files)
    "lightclient.audit",         # verify-steps, check-commit, check-query (auditing nodes)
    "lightclient.api.cli",       # serve-api (the verified local device API)
    "lightclient.scenarionet.cli",    # scenarionet up / status / fault / ... (the local network)
    "lightclient.localchain.cli",  # chain up / status / down (the real Cosmos SDK chain)
    "lightclient.owner.cli",     # owner init / show / pair (user-held keys)
    "lightclient.sharing.cli",   # blobs serve / upload, grantee publish-key / read
    "lightclient.gov_cli",       # gov list / show / vote (governance from verified state)
    "lightclient.pay_cli",       # pay status / open / top-up / settle / reclaim / redeem
    "lightclient.usage_cli",     # usage count / status / tokens / redeem / claim / issuer
    "lightclient.rewards_cli",   # rewards status / bond / fund / submit (serving light blocks)
)
# ... and those that add theirs under `mycroft-lc board` (the microcontroller and testers' tools).
BOARD_MODULES = (
    "lightclient.hwtest.emulator",  # board emulate (the firmware in MicroPython behind a pty)
    "lightclient.hwtest.cli",    # board image build / flash / provision / selftest / batch
    "lightclient.hwtest.release_build",  # board release build (signed release images)
)


class Parser(argparse.ArgumentParser):
    """argparse, but a wrong command line is one line (usage stays behind --help)."""

    def error(self, message):
        self.exit(EXIT_USAGE, "%s: error: %s (see `%s --help`)\n" % (self.prog, message,
                                                                    self.prog))


def version():
    try:
        from importlib.metadata import version as v
        return v("mycroft-lightclient")
    except Exception:  # noqa: BLE001 - run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser():
    import importlib

    p = Parser(prog="mycroft-lc", description=__doc__.splitlines()[0],
               epilog="Exit status: 0 ok, 1 verification failed, 2 usage, 3 unavailable, "
               "4 local fault, 5 halted, 6 no record on chain (README, 'Exit status').")
    p.add_argument("--version", action="version", version="mycroft-lc " + version())
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    board = sub.add_parser("board", help="the board's microcontroller: emulate, build images, "
                           "flash, provision, self-test")
    board_sub = board.add_subparsers(dest="board_command", required=True)
    for name in BOARD_MODULES:
        importlib.import_module(name).register(board_sub)
    return p


def _quiet_stdout():
    """After a broken pipe, make the interpreter's final flush of stdout silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv=None):
    args = None
    try:
        args = build_parser().parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        sys.stderr.write("mycroft-lc: interrupted\n")
        return EXIT_INTERRUPTED
    except SystemExit as e:
        if isinstance(e.code, str):    # raise SystemExit("message"): a wrong argument
            sys.stderr.write("mycroft-lc: %s\n" % e.code)
            return EXIT_USAGE
        raise
    except Exception as e:  # noqa: BLE001 - every failure is one line and a documented status
        if os.environ.get("MYCROFT_LC_DEBUG"):
            raise
        code = exit_status(e)
        try:
            if getattr(args, "json", False):   # scripts get the error as JSON on stdout too
                print(json.dumps({"error": _error_doc(e), "exit": code}, sort_keys=True))
            sys.stderr.write("mycroft-lc: %s\n" % describe(e))
        except BrokenPipeError:
            pass
        return code


if __name__ == "__main__":
    sys.exit(main())
