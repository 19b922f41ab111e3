"""Payment vouchers on the chip's own interpreter (the 32-bit build, frozen firmware, lccrypto).

run() -> {figure: {"value", "unit", ...}}:
  chip.voucher.instructions     callgrind instructions of one SMP sign-voucher (framed request
                                in, caps check, the counter record programmed, secp256k1 signing,
                                answer out), at the board's 96 KiB heap, in the window of
                                docs/chip-budgets.md (setup subtracted); goal <= 30 M
  voucher.flash_bytes_written   bytes programmed per voucher, compactions included (the counter
                                log's records and headers), over the campaign's vouchers
  voucher.erases                sector erases per voucher, the same way
  voucher.powercuts_injected    cuts at every program and erase step of voucher signing (two cut
                                modes per step), each followed by a reboot and a Pi that asks the
                                same nonce for another amount, the lane's last nonce for one unit
                                more, then the same amount; goal >= 10,000
  chip.receipt.instructions     the same window for one SMP sign-receipt (docs/rewards.md: the
                                header hash of the chip's trusted header, secp256k1 signing; no
                                flash write)
  voucher.powercut_violations   signed vouchers that broke a promise (two amounts for one
                                (channel, lane, nonce), over the per-call, per-day or per-channel
                                cap, a cumulative amount going down) or a log that did not mount
                                after a cut; goal 0
The NOR simulator is bench/chip_powercut.py's (the store's campaign), run inside MicroPython.
"""

import json
import re
import shutil
import tempfile
from pathlib import Path

from bench import chip_powercut
from bench.chip_bench import FLASH, UPDATE_JOB, _check, job_instructions, run_chip
from lightclient.chip.smp import frame
from lightclient.chip.smp import header as H
from lightclient.chip.smp import pay as P

HEAP_KIB = 96          # the board's budget (board/*.json micropython_heap)
REQUESTS = 6000        # voucher requests in the campaign (some refused: no flash step)
SEEDS = 2              # cut modes tried at each step
CAMPAIGN_HEAP_KIB = 4096  # the simulated flash and the checker of every signed voucher
SECRET = b"\x5a" * 32
OWNER = b"\x21" * 32
CHANNEL = b"\xc7" * 32

# --- the power-cut campaign (inside MicroPython) ----------------------------------------------
# A stand-in for app.device.Device: the store (not written while vouchers are signed), the trusted
# header's chain and time (moved a day on now and then, so the day cap resets), the owner's key.
NOR = chip_powercut.SCRIPT.split("SECRET = bytes(range(32))")[0]

CAMPAIGN = NOR + r"""
from lightclient.chip.app.payments import Payments
from lightclient.chip.crypto import backend
from lightclient.chip.core import cbor
from lightclient.chip.pay import caps as C, voucher as V
from lightclient.chip.pay.ledger import PayRefused, DAY_NS
from lightclient.chip.store.filedev import RamBlockDevice

SECRET = b"\x5a" * 32
OWNER = b"\x21" * 32
CHAIN = "bench-chain"
PER_CALL, PER_DAY = 3000, 500000
CAPS = ((b"\xc1" * 32, 10 ** 12), (b"\xc2" * 20, 10 ** 12), (b"\xc3", 2000000))
CHANNELS = [c for c, cap in CAPS]

class Header:
    chain_id = CHAIN
    time_ns = 1700000000 * 10 ** 9

class Trusted:
    header = Header()

class Dev:
    def __init__(self):
        self.store = RecordStore(RamBlockDevice(4096, 8), SECRET, max_value=4096, rng=rnd)
        self.store.format()
        self.store.mount()
        self.trusted = Trusted()
    acct_pub = None
    def _owner_key(self):
        return backend.ed25519_public_key(OWNER)
    def owner_key_for(self, owner_pub=None):
        return self._owner_key()
    def generate_account_key(self, force):   # the spender key is the account key
        s = rnd(32)
        self._commit({"acct": s})
        self.acct_pub = backend.secp256k1_public_key(s)
    def _get(self, name):
        return self.store.get(name)
    def _commit(self, changes):
        self.store.commit(changes)

R = Rng(12345)
def rnd(n):
    return bytes(R.bits(n))

dev = Dev()
flash = Nor(4096, 2)
pay = Payments(dev, flash, SECRET, rnd)
spender = pay.spender_key(True)
enc = cbor.dumps({"v": 1, "chain": CHAIN, "dev": spender, "denom": "umyc", "dec": 6,
                  "sym": "MYC", "call": PER_CALL, "day": PER_DAY,
                  "ch": [{"id": c, "to": "p%d.example" % i, "cap": cap}
                         for i, (c, cap) in enumerate(CAPS)]})
pay.set_caps(enc, backend.ed25519_sign(OWNER, C.message_bytes(enc)))

class Truth:
    # What one chip history signed, checked as it grows. A branch (after a cut) sees everything
    # its base signed before it; its own few vouchers sit in small dicts of its own. Keys are
    # small ints (channel index, lane; nonces stay below 2**30), so thousands of vouchers fit.
    def __init__(self, base=None):
        self.base = base
        self.amount = {}     # lane key -> {nonce: amount}
        self.lane_max = {}   # lane key -> the highest amount signed
        self.chan = {}       # channel index -> the sum over its lanes
        self.day = {}        # day -> spent
    def _get(self, name, key, default):
        t = self
        while t is not None:
            d = getattr(t, name)
            if key in d:
                return d[key]
            t = t.base
        return default
    def _amount(self, lk, nonce):
        t = self
        while t is not None:
            d = t.amount.get(lk)
            if d is not None and nonce in d:
                return d[nonce]
            t = t.base
        return None
    def add(self, v, day):
        # -> None, or the promise this signed voucher breaks
        ci = CHANNELS.index(bytes(v.channel))
        lk = ci * 2 + v.lane
        had = self._amount(lk, v.nonce)
        if had is not None:
            return None if had == v.amount else "two amounts for one nonce"
        if lk not in self.amount:
            self.amount[lk] = {}
        self.amount[lk][v.nonce] = v.amount
        inc = v.amount - self._get("lane_max", lk, 0)
        if inc < 0:
            return "amount went down"
        if inc > PER_CALL:
            return "per-call cap"
        self.lane_max[lk] = v.amount
        self.chan[ci] = self._get("chan", ci, 0) + inc
        if self.chan[ci] > CAPS[ci][1]:
            return "channel cap"
        self.day[day] = self._get("day", day, 0) + inc
        if self.day[day] > PER_DAY:
            return "day cap"
        return None

truth = Truth()
nonces = {}
signed = cuts = bad = mount_failed = refused = 0
img = bytearray(len(flash.data))
after = bytearray(len(flash.data))
G = Rng(777)
for i in range(REQUESTS):
    if G.below(250) == 0:
        Header.time_ns += DAY_NS
    day = Header.time_ns // DAY_NS
    c = CAPS[G.below(3)][0]
    lane = G.below(2)
    n0, a0 = nonces.get((c, lane), (0, 0))
    r = G.below(20)
    nonce = n0 + 1 if r else max(0, n0 - G.below(2))
    amount = a0 + (G.below(PER_CALL + 1) if r > 1 else G.below(2 * PER_CALL))
    v = V.Voucher(CHAIN, c, lane, nonce, amount, "umyc")
    img[:] = flash.data
    s0 = flash.steps
    try:
        out = pay.sign_voucher(v)
    except PayRefused:
        out = None
        refused += 1
    steps = flash.steps - s0
    after[:] = flash.data
    for k in range(steps):
        for seed in range(SEEDS):
            flash.data[:] = img
            flash.power_on()
            p = Payments(dev, flash, SECRET, rnd)
            flash.arm(k, i * 1000 + k * 10 + seed)
            try:
                p.sign_voucher(v)
                continue  # not cut: the step was not reached (a chip that decided otherwise)
            except PowerCut:
                pass
            except PayRefused:
                continue
            finally:
                flash.power_on()  # and disarmed
            cuts += 1
            p = Payments(dev, flash, SECRET, rnd)  # the reboot
            if p.error is not None:
                mount_failed += 1
                continue
            branch = Truth(truth)
            # The Pi tries to double-spend: this nonce for more, the lane's last signed nonce
            # for one unit more, then what it asked.
            for nn, a in ((nonce, amount + 1), (n0, a0 + 1), (nonce, amount), (nonce, amount + 2)):
                try:
                    got = p.sign_voucher(V.Voucher(CHAIN, c, lane, nn, a, "umyc"))
                except PayRefused:
                    continue
                why = branch.add(V.decode(got["voucher"]), day)
                if why is not None:
                    bad += 1
                    print("VIOLATION", why)
    flash.data[:] = after
    if out is not None:  # after the branches: in theirs, this voucher may never have been signed
        why = truth.add(V.decode(out["voucher"]), day)
        if why is not None:
            bad += 1
            print("VIOLATION", why)
        if not out["repeat"]:
            signed += 1
            nonces[(c, lane)] = (nonce, amount)
st = pay.log.stats
print("CAMPAIGN", json.dumps({"cuts": cuts, "violations": bad, "mount_failed": mount_failed,
                              "signed": signed, "refused": refused,
                              "bytes": st["bytes_programmed"], "erases": st["erases"],
                              "epoch": pay.log.epoch}))
"""


def campaign(work, requests=REQUESTS, seeds=SEEDS):
    r = run_chip(work, {"REQUESTS": requests, "SEEDS": seeds}, CAMPAIGN, CAMPAIGN_HEAP_KIB,
                 timeout=3600)
    m = re.search(r"CAMPAIGN (.*)", r.stdout)
    if r.returncode != 0 or m is None:
        raise RuntimeError("voucher power-cut campaign failed (rc %s): %s %s"
                           % (r.returncode, r.stdout[-500:], r.stderr[-1500:]))
    return json.loads(m.group(1))


# --- one voucher's instructions ------------------------------------------------------------------

SETUP = r"""
from lightclient.chip.app import boot
import lightclient.chip.store.store
import lightclient.chip.app.payments
""" + FLASH + r"""
SECRET = b"\x5a" * 32
def rng(k):
    return bytes(k)
fw = boot.build(Flash(STORE, 4096, 64), SECRET, {"board": "bench"}, rng,
                paylog=Flash(PAYLOG, 4096, 2))
pay = fw.pay()  # built here, outside the window (a board builds it at its first payment)
assert pay is not None and pay.error is None, repr(pay.error)
import gc
gc.collect()
src = open(REQUEST, "rb")
dst = open(ANSWER, "wb")
"""

JOB = UPDATE_JOB  # the same window: the framed request in 256-byte reads, answers written out


class Provisioned:
    """A store and a counter log as a provisioned chip holds them after 20 vouchers (made on
    CPython with the same code: the formats are the same), and the framed request of the 21st."""

    def __init__(self, work, receipt=False):
        """receipt: the request is a sign-receipt (docs/rewards.md) instead of the voucher."""
        import sys
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "firmware"))
        import fwscenario
        import lightclient.native  # noqa: F401
        from lightclient import pay as pi
        from lightclient.chip.app import boot
        from lightclient.chip.crypto import ed25519
        from lightclient.chip.pay.voucher import Voucher
        from lightclient.chip.store.filedev import FileBlockDevice
        self.work = work
        store, log = work / "store0.img", work / "paylog0.img"
        n = [0]

        def rng(k):
            n[0] += 1
            return bytes((n[0] * 53 + i) % 256 for i in range(k))
        fw = boot.build(FileBlockDevice(str(store), 4096, 64), SECRET, {}, rng,
                        paylog=FileBlockDevice(str(log), 4096, 2))
        pub = fw.device.generate_key(False)
        sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(OWNER))
        fw.device.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
        fw.device.submit_update(sc.update(1, 2), sc.now(2))
        chain = sc.chain.chain_id
        enc = pi.caps_cbor(1, chain, fw.pay().spender_key(True), 5000, 10**9,
                           [(CHANNEL, "weather.example", 10**9)])
        fw.pay().set_caps(enc, ed25519.sign(OWNER, pi.caps_signing_bytes(enc)))
        for k in range(1, 21):
            fw.pay().sign_voucher(Voucher(chain, CHANNEL, k % 2, k, 2000 * k, "umyc"))
        msg = H.encode_message(H.Header(H.OP_WRITE, P.GROUP, P.SIGN_VOUCHER, 9),
                               {"chain_id": chain, "channel": CHANNEL, "lane": 1, "nonce": 21,
                                "amount": 42000, "denom": "umyc"})
        if receipt:
            msg = H.encode_message(H.Header(H.OP_WRITE, P.GROUP, P.SIGN_RECEIPT, 9),
                                   {"server": b"\x5e" * 20})
        (work / "request.bin").write_bytes(frame.encode_packet(msg))
        self.consts = {"STORE": str(work / "store.img"), "PAYLOG": str(work / "paylog.img"),
                       "REQUEST": str(work / "request.bin"), "ANSWER": str(work / "answer.bin")}

    def reset(self):
        shutil.copy(self.work / "store0.img", self.work / "store.img")
        shutil.copy(self.work / "paylog0.img", self.work / "paylog.img")

    def answer(self):
        msgs = frame.FrameDecoder(1 << 16).feed((self.work / "answer.bin").read_bytes(), 0)
        return H.decode_message(msgs[0])[1] if len(msgs) == 1 else None


def instructions(work, receipt=False):
    p = Provisioned(work, receipt)
    p.reset()  # first, without callgrind: the job answers with what it signed at this heap
    _check(run_chip(work, p.consts, SETUP + JOB, HEAP_KIB), "ANSWERED", "voucher job")
    a = p.answer()
    want = "receipt for block 2" if receipt else "pay 0.004 MYC to weather.example"
    if a is None or a.get("summary") != want:
        raise RuntimeError("the job did not answer with what it signs: %r" % (a,))
    n, _, _ = job_instructions(work, p.consts, SETUP, JOB, "ANSWERED", HEAP_KIB, p.reset)
    return n


def run():
    with tempfile.TemporaryDirectory(prefix="chipvoucher-") as d:
        n = instructions(Path(d))
        (Path(d) / "receipt").mkdir()
        nr = instructions(Path(d) / "receipt", receipt=True)
        c = campaign(Path(d))
    v = max(c["signed"], 1)
    return {
        "chip.voucher.instructions": {
            "value": n, "unit": "instr", "goal": "<= 30000000",
            "note": "callgrind, 32-bit fixed-heap build, frozen, lccrypto, at %d KiB: one SMP "
                    "sign-voucher, framed request in to answer out, setup subtracted" % HEAP_KIB},
        "chip.receipt.instructions": {
            "value": nr, "unit": "instr", "goal": "<= 30000000",
            "note": "the same window and build: one SMP sign-receipt (header hash, secp256k1 "
                    "signature; nothing written)"},
        "voucher.flash_bytes_written": {
            "value": round(c["bytes"] / v, 1), "unit": "B/voucher",
            "note": "counter log: a 96-byte record per voucher plus compactions, over %d "
                    "vouchers (a store commit writes ~11.7 KB)" % c["signed"]},
        "voucher.erases": {"value": round(c["erases"] / v, 4), "unit": "erases/voucher",
                           "note": "%d erases over %d vouchers (a store commit: 3)"
                                   % (c["erases"], c["signed"])},
        "voucher.powercuts_injected": {
            "value": c["cuts"], "unit": "cuts", "goal": ">= 10000",
            "note": "chip's build: %d requests (%d signed, %d refused), a cut at every program "
                    "and erase step, %d modes each, reboot, then a double-spending Pi"
                    % (REQUESTS, c["signed"], c["refused"], SEEDS)},
        "voucher.powercut_violations": {"value": c["violations"] + c["mount_failed"],
                                        "unit": "cuts", "goal": "0"},
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
