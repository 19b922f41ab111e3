# `mycroft-lc serve-api`: the device API on 127.0.0.1 for the device in the config file.
# Under systemd it takes its listening socket from the .socket unit (socket activation, so the
# socket's IPAddressDeny= filter applies) and reports readiness (Type=notify), so the
# voice-assistant services ordered after it find it answering.

import errno
import logging
import os
import signal
import socket
import sys
import threading

from lightclient.api.limits import BACKLOG, DEFAULT_PORT
from lightclient.chip.core.errors import LightClientError
# "local fault" of the README's exit-status table: the port cannot be listened on (in use:
# another serve-api, or the .socket unit holds it; not permitted), or the config, signer or
# token file is unusable.
from lightclient.exitcodes import EXIT_LOCAL as EXIT_LOCAL_FAULT

SD_LISTEN_FDS_START = 3


class Unusable(Exception):
    """A local setting serve-api cannot start with (config, signer, token file): one line."""


def register(subparsers):
    p = subparsers.add_parser(
        "serve-api", help="serve the Mycroft device API on 127.0.0.1 from verified chain state",
        description="Answer GET /v1/device/{uuid}/setting, /location, /skill/settings ... on "
        "127.0.0.1 from the light client's verified state; queue the device's writes, signed "
        "by the device key. Point OVOS at it: server.url = http://127.0.0.1:PORT.")
    p.add_argument("--config", required=True, help="the device config file (mycroft-lc)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help="TCP port on 127.0.0.1 (default %d; ignored under socket activation)"
                   % DEFAULT_PORT)
    p.add_argument("--queue", default=None,
                   help="write queue directory (default: STATE_DIR/api-queue)")
    p.add_argument("--signer", default=None,
                   help="device key for writes: mcu:/dev/ttyUSB0 (the co-processor; on a "
                   "Cosmos SDK chain its account key signs the device's transactions), "
                   "seed:/path/to/seed (Ed25519, the scenario network) or secp256k1:/path "
                   "(the chain account key in a file; 32 bytes or 64 hex, mode 600); without it writes "
                   "answer 503")
    p.add_argument("--token-file", default=None,
                   help="accept only the bearer tokens in this file, one per line (the "
                   "access and refresh tokens of the device's identity2.json)")
    p.add_argument("--lan-port", type=int, default=None, metavar="PORT",
                   help="also serve the light blocks and proofs this device holds to other "
                   "devices on the LAN (read-only CometBFT RPC face on 0.0.0.0:PORT, announced "
                   "over mDNS as _mycroft-lc._tcp), and use theirs during a WAN outage")
    p.add_argument("--collect-receipts", default=None, metavar="DEVICE_ADDR",
                   help="with --lan-port: name this device (its account address) in /status and "
                   "keep the service receipts the served devices' chips sign for it, in "
                   "STATE_DIR/receipts.json, for `mycroft-lc rewards submit` (off by default; "
                   "docs/rewards.md)")
    p.add_argument("--stt-channel", action="append", default=[], metavar="PROVIDER=CHANNEL_HEX",
                   help="serve POST /v1/stt through this STT provider (its address in "
                   "x/payments' registry), paid over the owner's channel; repeat for failover "
                   "in the registry's order. Needs --signer mcu:... (the chip signs vouchers)")
    p.add_argument("--stt-local", action="store_true",
                   help="answer POST /v1/stt with the device's own engine (pocketsphinx) when "
                   "no provider answers, or with no --stt-channel")
    p.set_defaults(func=main_serve_api)
    return p


def systemd_socket():
    """The listening socket passed by systemd (LISTEN_FDS), or None."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    try:
        n = int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return None
    if n < 1:
        return None
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def sd_notify(message):
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(addr)
        s.sendall(message.encode())


def listen(port):
    """The loopback socket to serve on, or a one-line reason why there is none."""
    try:
        return socket.create_server(("127.0.0.1", port), backlog=BACKLOG), None
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            return None, ("127.0.0.1:%d is already in use (another serve-api, or the "
                          "mycroft-lightclient-api.socket unit: stop it, or pick --port)" % port)
        return None, "cannot listen on 127.0.0.1:%d: %s" % (port, e.strerror or e)


def configure_logging(stream=None):
    """One plain line per record on stderr: journald stores each line as one entry and adds its
    own timestamp, so a timestamp is only printed outside systemd."""
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def build_app(args, sock=None):
    from lightclient.api import chain_writes
    from lightclient.api.queue import WriteQueue
    from lightclient.api.server import ApiApp       # aiohttp: loaded by this command only
    from lightclient.api.signer import McuSigner, signer_from_spec
    from lightclient.client import LightClient
    from lightclient.config import Config
    cfg = Config.load(args.config)
    if not cfg.device_uuid:
        raise Unusable("the config names no device_uuid")
    client = LightClient(cfg)
    queue = WriteQueue(args.queue or os.path.join(cfg.state_dir, "api-queue"))
    cosmos = chain_writes.is_cosmos_chain(cfg)
    writer = None
    try:
        signer = signer_from_spec(args.signer, account=cosmos) if args.signer else None
        if cosmos and signer is not None:
            sealer = None
            if isinstance(signer, McuSigner):   # the chip on the link opens the settings too,
                from lightclient.api.sealed_writes import ChipSealer   # and seals the writes
                from lightclient.sealed_settings import ChipOpener
                client.opener = ChipOpener(signer.client, client)
                sealer = ChipSealer(signer.client)
            writer = chain_writes.ChainWriter(client, cfg.chain_id, signer, queue, sealer=sealer)
    except LightClientError as e:           # a clear line, not a traceback, in the journal
        raise Unusable("--signer %s: %s" % (args.signer, e))
    token = read_tokens(args.token_file) if args.token_file else None
    app = ApiApp(client, cfg.device_uuid, cfg.chain_id, signer, queue, token, port=args.port,
                 sock=sock, writer=writer)
    if writer is not None:                  # skill uses in epochs of x/usage (verified time)
        from lightclient.api.skill_uses import SkillUses, chain_epoch
        from lightclient.usage_counter import UsageCounter
        app.service.uses = SkillUses(UsageCounter(cfg.state_dir), chain_epoch(writer))
    if getattr(args, "stt_channel", None) or getattr(args, "stt_local", False):
        app.service.stt = stt_router(args, client, cfg, signer)
    return app


def stt_channels(specs):
    """--stt-channel PROVIDER=CHANNEL_HEX ... -> {provider address: channel id}."""
    out = {}
    for spec in specs:
        provider, _, cid = spec.partition("=")
        try:
            channel = bytes.fromhex(cid)
        except ValueError:
            channel = b""
        if not provider or not 8 <= len(channel) <= 32:
            raise Unusable("--stt-channel %s: want PROVIDER=CHANNEL_HEX (8..32 bytes)" % spec)
        out[provider] = channel
    return out


def stt_router(args, client, cfg, signer):
    """POST /v1/stt: paid providers from verified state, the chip's vouchers, the local engine."""
    from lightclient.api.signer import McuSigner
    from lightclient.pay import PayClient
    from lightclient.providers import engine, router
    channels = stt_channels(args.stt_channel)
    if channels and not isinstance(signer, McuSigner):
        raise Unusable("--stt-channel needs --signer mcu:...: the chip signs the vouchers")
    pay = PayClient(signer.client) if channels else None
    return router.PaidRouter(router.LightClientReads(client), pay, cfg.chain_id, channels,
                             local=engine.SpeechEngine() if args.stt_local else None)


def read_tokens(path, limit=4096):
    """The accepted bearer tokens, one a line. A file with none, or longer than `limit`, is
    refused: no tokens would mean "any bearer", and a token cut at the limit would let its
    prefix in."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise Unusable("--token-file %s: %s" % (path, e.strerror or e))
    if len(data) > limit:
        raise Unusable("%s is longer than %d bytes" % (path, limit))
    tokens = [t.strip() for t in data.decode("utf-8", "replace").splitlines() if t.strip()]
    if not tokens:
        raise Unusable("%s holds no token" % path)
    return tokens


def main_serve_api(args):
    configure_logging()
    sock = systemd_socket()
    if sock is None:
        sock, why = listen(args.port)
        if sock is None:
            print("mycroft-lc serve-api: " + why, file=sys.stderr, flush=True)
            return EXIT_LOCAL_FAULT
    try:
        app = build_app(args, sock)
    except (Unusable, LightClientError, OSError) as e:
        sock.close()
        print("mycroft-lc serve-api: %s" % e, file=sys.stderr, flush=True)
        return EXIT_LOCAL_FAULT
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    app.start()
    print("device API for %s on %s" % (app.service.uuid, app.url), flush=True)
    if args.lan_port is not None:
        book = None
        if args.collect_receipts:
            from lightclient import rewards
            book = rewards.book_for(app.service.client.config, args.collect_receipts)
        lan = app.service.client.start_lan("0.0.0.0", args.lan_port, receipts=book)
        print("LAN peer service on %s (mDNS _mycroft-lc._tcp)" % lan.url, flush=True)
    sd_notify("READY=1")
    done.wait()
    sd_notify("STOPPING=1")
    app.stop()
    app.service.client.close()
    return 0
