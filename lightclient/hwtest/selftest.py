"""Self-test one board over its UART. Each check gives PASS or FAIL with its details; a check
that cannot run because an earlier one failed is NOT RUN (and the board fails). The report is
JSON; the command exits non-zero on any FAIL.

Checks, in order: link (echo of a random text), firmware (version from os info and status),
key_protection (what the chip's eFuses say: "no (development board)" passes, so nobody takes a
development board for a release one; a board whose record says it was locked must say "yes"),
store (the store's own integrity check), key (the chip signs a random challenge and the
signature verifies with the public key it reports, and with the provisioned one when known),
checkpoint (the board holds a trusted state), update_rejected (a known-bad update, the good one
with its app hash changed, is refused with a verification error and changes nothing),
update_accepted (the known-good update from the network is verified and committed by the chip).
The bad update goes first so a board that wrongly accepts it is caught before the good one
moves it on.
"""

import os
import time

from lightclient import native
from lightclient.chip.core import cbor
from lightclient.chip.core import types as T
from lightclient.chip.core import update
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.smp import lc
from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.link import BoardLink, McuError

PASS, FAIL, NOT_RUN = "PASS", "FAIL", "NOT RUN"
CHECKS = ("link", "firmware", "key_protection", "store", "key", "checkpoint", "update_rejected", "update_accepted")
REJECTION_CODES = (lc.E_VERIFY, lc.E_SIGNATURE, lc.E_NOT_ENOUGH_TRUST)


def corrupt_update(data):
    """The known-bad twin of a good update: the last step's app hash changed (so the header
    the validators signed is not the one the chip rebuilds), or, when the step carries no app
    hash, one signature byte flipped."""
    top = cbor.loads(data, update.CBOR_DEPTH, 1 << 16, len(data))
    step = top[update.K_STEPS][-1]
    if step.get(update.S_APP_HASH):
        h = bytearray(step[update.S_APP_HASH])
        h[0] ^= 0x01
        step[update.S_APP_HASH] = bytes(h)
    else:
        sig = step[update.S_SIGNATURES][0]
        b = bytearray(sig[2])
        b[0] ^= 0x01
        sig[2] = bytes(b)
    return cbor.dumps(top, update.CBOR_DEPTH)


class _Run:
    def __init__(self):
        self.results = []

    def add(self, name, status, detail, t0, **extra):
        r = {"check": name, "status": status, "detail": detail,
             "seconds": round(time.monotonic() - t0, 3)}
        r.update(extra)
        self.results.append(r)
        return status == PASS


def selftest(port, network=None, expected_pubkey=None, baudrate=115200, timeout=2.0,
             now_ns=None, log=None, release=False):
    """-> report dict {"port", "passed", "checks": [...]}. network: hwtest.network.Network
    the board was provisioned on (the update checks need it; without one they are NOT RUN and
    the board does not pass). release: the board was locked (`provision --release`), so its
    eFuses must say its key is protected."""
    run = _Run()
    t_all = time.monotonic()
    link = None
    try:
        t0 = time.monotonic()
        try:
            link = BoardLink(port, baudrate, timeout)
            text = os.urandom(12).hex()
            echoed = link.call("echo", link.mcu.echo, text)
            ok = run.add("link", PASS if echoed == text else FAIL,
                         "echo answered" if echoed == text else "echo answered %r" % echoed, t0)
        except (HwTestError, McuError) as e:
            ok = run.add("link", FAIL, str(e), t0)
        if ok:
            _BoardChecks(run, link, network, expected_pubkey, now_ns, release).run_all()
    finally:
        if link is not None:
            link.close()
    done = {r["check"] for r in run.results}
    for name in CHECKS:
        if name not in done:
            run.results.append({"check": name, "status": NOT_RUN,
                                "detail": "an earlier check failed", "seconds": 0})
    passed = all(r["status"] == PASS for r in run.results)
    return {"port": port, "passed": passed, "checks": run.results,
            "seconds": round(time.monotonic() - t_all, 2)}


class _BoardChecks:
    """The checks on the board, one method each, run in order; a check that cannot run because
    an earlier one failed is not run. Each method returns (status, detail, extra fields)."""

    def __init__(self, run, link, network, expected_pubkey, now_ns, release=False):
        self.run, self.link, self.mcu = run, link, link.mcu
        self.release = release
        self.network, self.expected_pubkey, self.now_ns = network, expected_pubkey, now_ns
        self.status = None           # the board's status, read by the firmware check
        self.good = self.target = self.now = None   # the known-good update, once built

    def run_all(self):
        if not self.step("firmware", self.firmware):
            return
        self.step("key_protection", self.key_protection)
        self.step("store", self.store)
        self.step("key", self.key)
        if self.step("checkpoint", self.checkpoint):
            if self.step("update_rejected", self.update_rejected):
                self.step("update_accepted", self.update_accepted)

    def step(self, name, fn):
        t0 = time.monotonic()
        try:
            status, detail, extra = fn()
        except (HwTestError, LightClientError, OSError) as e:
            # McuError is a LightClientError, and so is a network that stops answering; a
            # serial port that goes away is an OSError: each is this check's FAIL, not a crash
            status, detail, extra = FAIL, str(e) or type(e).__name__, {}
        return self.run.add(name, status, detail, t0, **extra)

    def firmware(self):
        link, mcu = self.link, self.mcu
        info = link.call("info", mcu.info)
        st = link.call("status", mcu.status)
        self.status = st
        version = st.get("fw")
        if not version or ("mycroft-lc-fw " + str(version)) not in info:
            return FAIL, "os info %r and status fw %r disagree" % (info, version), {}
        return PASS, "mycroft-lc-fw %s" % version, {
            "version": version, "info": info, "chip_id": st.get("chip_id"),
            "firmware_hash": st.get("firmware_hash")}

    def key_protection(self):
        said = str(self.status.get("key_protection") or "unknown")
        detail = "key protected: " + said
        if self.release and not said.startswith("yes"):
            return FAIL, detail + ", but this board was locked as a release board", {}
        return PASS, detail, {"key_protection": said}

    def store(self):
        st = self.status
        if not st.get("store_ok"):
            return FAIL, "store not usable: %s" % st.get("store_error", "unknown"), {}
        rep = self.link.call("store_check", self.mcu.store_check)
        if not rep.get("ok"):
            return FAIL, "store check: %s" % "; ".join(map(str, rep.get("errors") or [])), \
                {"report": _jsonable(rep)}
        return PASS, "%s records, generation %s" % (rep.get("records"), rep.get("generation")), \
            {"report": _jsonable(rep)}

    def key(self):
        st, link, mcu = self.status, self.link, self.mcu
        if not st.get("has_key"):
            if not st.get("store_ok"):
                return FAIL, "no key readable: the store is not usable", {}
            return FAIL, "the board has no key (not provisioned)", {}
        pub = bytes(link.call("public_key", mcu.public_key))
        challenge = os.urandom(32)
        sig = bytes(link.call("sign", mcu.sign, challenge, kind="message"))
        msg = lc.sign_message("message", challenge)
        if not native.verify(T.ED25519, pub, msg, sig):
            return FAIL, "the signature of a random challenge does not verify with the board's " \
                         "public key %s" % pub.hex(), {"public_key": pub.hex()}
        expected = self.expected_pubkey
        if expected is not None and pub != bytes(expected):
            return FAIL, "the board's key %s is not the provisioned %s (re-keyed since?)" % (
                pub.hex(), bytes(expected).hex()), {"public_key": pub.hex()}
        return PASS, "challenge signed and verified", {"public_key": pub.hex()}

    def checkpoint(self):
        st = self.status
        if not st.get("provisioned"):
            if not st.get("store_ok"):
                return FAIL, "no checkpoint readable: the store is not usable", {}
            return FAIL, "the board holds no trusted checkpoint", {}
        return PASS, "trusted at height %s of %s" % (st.get("height"), st.get("chain_id")), \
            {"height": st.get("height"), "chain_id": st.get("chain_id")}

    def update_rejected(self):
        if self.network is None:
            raise HwTestError("no_network", "no network given: the update checks need the "
                              "network the board was provisioned on")
        st, link, mcu = self.status, self.link, self.mcu
        good, target, _ = self.network.update_from(st["height"], st.get("app_hash"))
        self.good, self.target = good, target
        bad = corrupt_update(good)
        self.now = self.now_ns or time.time_ns()
        try:
            link.call("submit_update", mcu.submit_update, bad, self.now)
        except McuError as e:
            if e.group == lc.GROUP and e.rc in REJECTION_CODES:
                after = link.call("status", mcu.status)
                if after.get("height") != st["height"]:
                    return FAIL, "rejected, but the trusted height moved", {}
                return PASS, "rejected: %s" % _reason(e), {"reason": e.check}
            return FAIL, "refused for another reason than verification: %s" % e, {}
        return FAIL, "the board ACCEPTED an update whose header does not match its " \
                     "signatures", {}

    def update_accepted(self):
        if self.good is None:
            raise HwTestError("not_run", "no update was built")
        link, mcu = self.link, self.mcu
        try:
            link.call("submit_update", mcu.submit_update, self.good, self.now)
        except McuError as e:
            return FAIL, "the known-good update was refused: %s" % e, {}
        after = link.call("status", mcu.status)
        if after.get("height") != self.target:
            return FAIL, "accepted but trusted height is %s, not %s" % (after.get("height"),
                                                                      self.target), {}
        return PASS, "verified and committed: height %d -> %d" % (
            self.status["height"], self.target), {"height": self.target}


def _reason(e):
    """An McuError as one line: its check, then the chip's reason without the check repeated."""
    msg = e.message or ""
    while msg.startswith(e.check + ": "):
        msg = msg[len(e.check) + 2:]
    return "%s: %s" % (e.check, msg) if msg else e.check


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    return v
