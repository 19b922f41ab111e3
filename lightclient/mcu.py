"""The Pi's side of the UART link to the board's microcontroller: SMP over the mcumgr serial
transport (docs/smp-link.md), with pyserial.

    with McuClient("/dev/ttyS0") as mcu:
        mcu.echo("hello")
        pub = mcu.generate_key()                 # at provisioning; the seed never leaves the chip
        mcu.set_checkpoint(update.encode_trusted(state), uuid="...")
        mcu.submit_update(update_bytes, time.time_ns())
        mcu.settings(time.time_ns())             # the verified record, with height and age
        acct = mcu.generate_account_key()        # secp256k1, the device's chain account
        TxClient(rpc, chain_id, acct, mcu.sign_tx, ...)   # lightclient.txclient

Every failure is typed: McuError(rc, group, message, check) for a refusal by the chip (its check
name and reason included), McuTimeout when no answer came in time, McuLinkError for an answer that
does not belong to the request.
"""

from __future__ import annotations

import threading
import time

from lightclient.chip import cosmos_tx
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, LocalFault
from lightclient.chip.smp import frame, keys, lc
from lightclient.chip.smp import header as H

# A real ESP32 verifies a 100-validator update in seconds (pure-Python Ed25519); give it room.
UPDATE_TIMEOUT = 60.0
SLOW_TIMEOUT = 15.0
RESTART_TIMEOUT_S = 20.0   # a chip restarting to recover its heap answers again within this
RESTART_PROBE_S = 1.0      # each echo sent while waiting for it


class McuError(LocalFault):
    """The microcontroller answered with an error. rc: the code (lightclient.chip.smp.lc E_* for
    the light-client group, MGMT_* for general errors); group: the SMP group, or None for a
    general error."""

    def __init__(self, rc, group, message, check=None):
        name = check or (lc.ERROR_NAMES.get(rc, "error") if group == lc.GROUP else "smp_error")
        super().__init__(name, message, rc=rc, group=group)
        self.rc = rc
        self.group = group


class McuTimeout(McuError):
    """No complete answer within the timeout."""

    def __init__(self, message):
        super().__init__(H.MGMT_ETIMEOUT, None, message, "mcu_timeout")


class McuLinkError(McuError):
    """An answer that is not a valid response to the request (wrong op, group or id)."""

    def __init__(self, message):
        super().__init__(H.MGMT_EUNKNOWN, None, message, "mcu_link")


class McuClient:
    def __init__(self, port, baudrate: int = 115200, timeout: float = 2.0, trace=None):
        """port: a device path (opened with pyserial) or an open serial-like object with
        read(n), write(b), in_waiting. trace(direction, data), if given, sees every byte."""
        if isinstance(port, str):
            import serial  # pyserial; imported here so the codec is usable without it

            self._ser = serial.Serial(port, baudrate=baudrate, timeout=0.05)
            self._own = True
        else:
            self._ser = port
            self._own = False
        self.timeout = timeout
        self.trace = trace
        self._seq = 0
        # one exchange at a time: the device API's submitter signs while a read opens settings
        self._lock = threading.Lock()
        self._decoder = frame.FrameDecoder(65535 - 2)

    def close(self) -> None:
        if self._own:
            self._ser.close()

    def __enter__(self) -> "McuClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------------

    def request(self, op: int, group: int, command: int, payload: dict,
                timeout: float | None = None, version: int = H.V2) -> dict:
        """One SMP request -> the response payload; raises McuError on an error response."""
        with self._lock:
            return self._request(op, group, command, payload, timeout, version)

    def _request(self, op, group, command, payload, timeout, version):
        try:
            return self._exchange(op, group, command, payload, timeout, version)
        except McuError as e:
            if e.rc != H.MGMT_ENOMEM or e.check != frame.NO_MEMORY:
                raise
        # The chip's heap could not hold the request's frame: nothing of it ran, and the chip
        # restarts to get its heap back in one piece. Once it answers again, the request is
        # sent once more (a second refusal is the caller's).
        end = time.monotonic() + RESTART_TIMEOUT_S
        while True:
            try:
                self._exchange(H.OP_WRITE, H.GROUP_OS, H.OS_ECHO, {"d": ""}, RESTART_PROBE_S,
                               H.V2)
                break
            except McuTimeout:
                if time.monotonic() > end:
                    raise McuTimeout("the chip did not come back after restarting to recover "
                                     "its heap") from None
        return self._exchange(op, group, command, payload, timeout, version)

    def _exchange(self, op, group, command, payload, timeout, version):
        self._seq = (self._seq + 1) & 0xFF
        req = H.Header(op, group, command, self._seq, 0, version)
        data = frame.encode_packet(H.encode_message(req, payload))
        if self.trace:
            self.trace("tx", data)
        self._ser.write(data)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise McuTimeout(f"no answer to group {group} command {command} in time")
            chunk = self._ser.read(max(1, getattr(self._ser, "in_waiting", 0) or 1))
            if not chunk:
                continue
            if self.trace:
                self.trace("rx", chunk)
            for msg in self._decoder.feed(chunk, int(time.monotonic() * 1000)):
                try:
                    h, p = H.decode_message(msg)
                except DecodeError:
                    continue
                if h.seq != req.seq:
                    continue  # a late answer to an earlier request that timed out
                if h.op != op + 1 or h.group != group or h.command != command:
                    raise McuLinkError(f"answer {h} does not match request {req}")
                return self._check(p, group)

    @staticmethod
    def _check(p: dict, group: int) -> dict:
        rsn = p.get("rsn") if isinstance(p.get("rsn"), str) else ""
        chk = p.get("chk") if isinstance(p.get("chk"), str) else None
        err = p.get("err")
        if err is not None:
            if not (isinstance(err, dict) and _is_uint(err.get("rc"))
                    and _is_uint(err.get("group"))):
                raise McuLinkError("answer has a malformed err map")
            if err["rc"]:
                raise McuError(err["rc"], err["group"], rsn, chk)
        rc = p.get("rc", 0)
        if not _is_uint(rc):
            raise McuLinkError("answer has a malformed rc")
        if rc:
            if rc >= lc.V1_OFFSET:
                raise McuError(rc - lc.V1_OFFSET, group, rsn, chk)
            raise McuError(rc, None, rsn, chk)
        return p

    def _lc(self, op, command, payload=None, timeout=None):
        # SMP v1: the chip's group errors then carry the failed check and its reason, which
        # SMP v2's strict {"err": {group, rc}} form (what smpclient parses) has no room for.
        try:
            return self.request(op, lc.GROUP, command, payload or {}, timeout, H.V1)
        except McuError as e:
            if e.rc != H.MGMT_ENOTSUP or e.group is not None or not self._answers_legacy_group():
                raise
            raise McuError(H.MGMT_ENOTSUP, None, "this board's firmware predates this client: "
                           "it answers the light-client commands on SMP group %d, not 0x%04X. "
                           "Re-flash it (`mycroft-lc board image build`, then `board flash`): "
                           "its device key and store are kept (nvs and lcstore stay in place); "
                           "nothing was changed on it" % (lc.LEGACY_GROUP, lc.GROUP),
                           "legacy_firmware") from None

    def _answers_legacy_group(self):
        """True when the board answers a status read on the light-client group's old id (a
        read: a board of this version answers it `not supported`, without side effect)."""
        try:
            p = self.request(H.OP_READ, lc.LEGACY_GROUP, lc.STATUS, {}, None, H.V1)
        except McuError:
            return False
        return isinstance(p, dict) and "has_key" in p

    def keys(self, op, command, payload=None, timeout=None):
        """A command of the user-held-keys group (chip/smp/keys.py, docs/pairing.md), SMP v1 so
        a refusal carries its check and reason."""
        return self.request(op, keys.GROUP, command, payload or {}, timeout, H.V1)

    # --- OS group -----------------------------------------------------------------------------

    def echo(self, text: str) -> str:
        return _field(self.request(H.OP_WRITE, H.GROUP_OS, H.OS_ECHO, {"d": text}), "r", str)

    def info(self, fmt: str = "a") -> str:
        return _field(self.request(H.OP_READ, H.GROUP_OS, H.OS_INFO, {"format": fmt}), "output",
                      str)

    def params(self) -> dict:
        return self.request(H.OP_READ, H.GROUP_OS, H.OS_MCUMGR_PARAMS, {})

    def reset(self) -> None:
        self.request(H.OP_WRITE, H.GROUP_OS, H.OS_RESET, {})

    # --- light-client group -------------------------------------------------------------------

    def status(self) -> dict:
        return self._lc(H.OP_READ, lc.STATUS)

    def generate_key(self, force: bool = False, owner_sig: bytes | None = None) -> bytes:
        p = {"force": bool(force)}
        if owner_sig is not None:
            p["owner_sig"] = bytes(owner_sig)
        return _field(self._lc(H.OP_WRITE, lc.GENERATE_KEY, p, max(self.timeout, SLOW_TIMEOUT)),
                      "pub", bytes, 32)

    def owner_authorization(self, owner_sign, op: str, payload: bytes = b"") -> bytes:
        """The owner's signature letting this chip be re-provisioned (op "generate_key" or
        "set_checkpoint" with the new state as payload): lc.reprovision_message over the
        chip's current key and store generation. owner_sign(message) -> 64 bytes."""
        import hashlib
        st = self.status()
        digest = hashlib.sha256(bytes(payload)).digest() if op == "set_checkpoint" else b""
        return owner_sign(lc.reprovision_message(op, st.get("pub") or b"",
                                                 int(st.get("generation") or 0), digest))

    def public_key(self) -> bytes:
        return _field(self._lc(H.OP_READ, lc.PUBLIC_KEY), "pub", bytes, 32)

    def sign(self, message: bytes, kind: str = "message") -> bytes:
        """The device key's signature of lc.sign_message(kind, message) (domain separated; the
        device's transactions are sign_tx's, by its account key)."""
        return _field(self._lc(H.OP_WRITE, lc.SIGN, {"msg": bytes(message), "kind": kind},
                               max(self.timeout, SLOW_TIMEOUT)), "sig", bytes, 64)

    def generate_account_key(self, force: bool = False, owner_sig: bytes | None = None) -> bytes:
        """The secp256k1 key of the device's chain account, made on the chip; its public key."""
        p = {"force": bool(force)}
        if owner_sig is not None:
            p["owner_sig"] = bytes(owner_sig)
        return _field(self._lc(H.OP_WRITE, lc.GENERATE_ACCOUNT_KEY, p,
                               max(self.timeout, SLOW_TIMEOUT)), "pub", bytes, 33)

    def account_key(self) -> bytes:
        return _field(self._lc(H.OP_READ, lc.ACCOUNT_KEY), "pub", bytes, 33)

    def sign_tx(self, sign_doc: bytes) -> bytes:
        """The chip's signature of a SIGN_MODE_DIRECT SignDoc (cosmos_tx.sign_doc bytes)."""
        return self.sign_tx_summary(sign_doc)[0]

    def set_tx_policy(self, policy: bytes, owner_sig: bytes, owner_pub: bytes | None = None) -> int:
        """The owner's signing limits (lightclient/txpolicy.py); the version the chip holds.
        owner_pub: the owner account's secp256k1 key, when the chip knows its owner from the
        registration it consented to."""
        p = {"policy": bytes(policy), "sig": bytes(owner_sig)}
        if owner_pub is not None:
            p["owner_pub"] = bytes(owner_pub)
        r = self._lc(H.OP_WRITE, lc.SET_TX_POLICY, p)
        return _field(r, "version", int)

    def sign_tx_summary(self, sign_doc: bytes) -> tuple:
        """(signature, the chip's summary of what it signed, e.g. "vote YES on proposal 7"):
        the doc is sent as its fields; the chip reads what it signs against its owner's limits
        and answers what it read, which must be what this side meant."""
        fs = proto.fields(bytes(sign_doc), 8)
        p = {"body": proto.get_one(fs, 1, proto.LEN, b""),
             "auth_info": proto.get_one(fs, 2, proto.LEN, b""),
             "chain_id": proto.get_one(fs, 3, proto.LEN, b"").decode(),
             "account_number": proto.get_one(fs, 4, proto.VARINT, 0)}
        r = self._lc(H.OP_WRITE, lc.SIGN_TX, p, max(self.timeout, SLOW_TIMEOUT))
        meant = cosmos_tx.decode_sign_doc(bytes(sign_doc))
        if (r.get("chain_id"), r.get("account_number"), r.get("sequence")) != \
                (meant["chain_id"], meant["account_number"], meant["sequence"]):
            raise McuError(lc.E_UNKNOWN, lc.GROUP, "the chip signed something else than asked",
                           check="sign_tx_echo")
        return _field(r, "sig", bytes, 64), _field(r, "summary", str)

    def sign_registration(self, chain_id: str, owner20: bytes) -> bytes:
        """The chip's consent (account key) to its registration by this owner on this chain."""
        return _field(self._lc(H.OP_WRITE, lc.SIGN_REGISTRATION,
                               {"chain_id": chain_id, "owner": bytes(owner20)},
                               max(self.timeout, SLOW_TIMEOUT)), "sig", bytes, 64)

    def sign_usage_request(self, request: bytes) -> bytes:
        """The chip's account-key signature of a usage-token request (chip/usage_request.py)."""
        return _field(self._lc(H.OP_WRITE, lc.SIGN_USAGE, {"req": bytes(request)},
                               max(self.timeout, SLOW_TIMEOUT)), "sig", bytes, 64)

    def set_checkpoint(self, state_bytes: bytes, force: bool = False,
                       trusting_period_ns: int | None = None, uuid: str | None = None,
                       header_hash: bytes | None = None, owner_sig: bytes | None = None) -> dict:
        p = {"state": bytes(state_bytes), "force": bool(force)}
        if owner_sig is not None:
            p["owner_sig"] = bytes(owner_sig)
        if trusting_period_ns is not None:
            p["trusting_period_ns"] = int(trusting_period_ns)
        if uuid is not None:
            p["uuid"] = uuid
        if header_hash is not None:
            p["hash"] = bytes(header_hash)
        return self._lc(H.OP_WRITE, lc.SET_CHECKPOINT, p, max(self.timeout, SLOW_TIMEOUT))

    def submit_update(self, update_bytes: bytes, now_ns: int) -> dict:
        return self._lc(H.OP_WRITE, lc.SUBMIT_UPDATE,
                        {"update": bytes(update_bytes), "now_ns": int(now_ns)},
                        max(self.timeout, UPDATE_TIMEOUT))

    def settings(self, now_ns: int | None = None) -> dict:
        return self._lc(H.OP_READ, lc.SETTINGS, {} if now_ns is None else {"now_ns": int(now_ns)})

    def store_check(self) -> dict:
        return self._lc(H.OP_READ, lc.STORE_CHECK, {}, max(self.timeout, SLOW_TIMEOUT))


def _is_uint(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _field(p: dict, name: str, kind: type, size: int | None = None):
    """A field the answer must carry: missing, mistyped or mis-sized is the chip's link error,
    never a KeyError in the caller."""
    v = p.get(name)
    if not isinstance(v, kind) or (size is not None and len(v) != size):
        raise McuLinkError(f"answer lacks a valid {name!r}")
    return v
