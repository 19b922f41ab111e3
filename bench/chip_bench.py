"""The firmware on the chip's own interpreter: MicroPython 1.27's unix port built 32-bit with a
fixed heap and the firmware frozen (the build `make` makes; see docs/chip-budgets.md for the
measurement window, which every figure here uses).

run() -> {figure: {"value", "unit", ...}}:
  chip.update100.instructions    callgrind instructions of the SMP submit-update of a
                                 100-validator update (framed request fed in 256-byte reads,
                                 verify, record proof, store commit, answer written out), the same
                                 script without the job subtracted
  chip.update100.heap_kib        smallest -X heapsize from which that job and every larger size
                                 in 2 KiB steps up to twice it succeed, the largest over work
                                 folders of five path lengths (WORK_PADS)
  chip.update100.stack_bytes     deepest C stack the job reaches below its script's top level
                                 (x86-32 frames)
  chip.boot.instructions         store mount + device load (boot.build)
  chip.boot.heap_kib / .stack_bytes
  chip.ed25519_verify.instructions / chip.secp256k1_verify.instructions   one signature check
                                 through the crypto interface (backend.verify)
  chip.secp256k1_verify.heap_kib / .stack_bytes
  chip.tx_sign.instructions      the device signing one of its SDK transactions (Device.sign_tx:
                                 SignDoc built and read back, chain / key / message checks (the
                                 write's envelope parsed, its device signature verified), the
                                 account secret read from the store, the raised sequence
                                 programmed into the sequence log as on the board, secp256k1
                                 RFC 6979 sign), at the 96 KiB budget heap
  chip.tx_sign.heap_kib / .stack_bytes
  chip.tx_sign_vote.instructions  Device.sign_tx of the owner's vote through authz (MsgExec of
                                 MsgVote) under the owner's limits, at the 96 KiB budget heap
  chip.tx_sign_vote.heap_kib
  chip.image.flash_bytes         ESTIMATE: frozen bytecode + native modules' object code
  chip.update100.esp32_estimate_s  ESTIMATE, see bench/chip_esp32.py
Instruction counts are deterministic (valgrind callgrind), so one run of each script suffices.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench import chip_esp32
from bench.mcu_bench import UUID, build as build_update
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H

REPO = Path(__file__).resolve().parent.parent
# The interpreter `make chip` builds (firmware frozen, native modules in); CHIP_MICROPYTHON
# names another build of the same recipe.
DEFAULT_INTERPRETERS = [REPO / "build" / "chip" / "micropython32"]
BLOCK_SIZE, BLOCK_COUNT = 4096, 64   # the board's lcstore partition: 256 KiB
CHUNK = 256                          # bytes per UART read in the window
HEAP_STEP_KIB = 2
BOARD_HEAP_KIB = 110                 # MicroPython's heap on an ESP32 without PSRAM
# The update's heap figure is the largest over work folders whose paths differ only in length:
# the script's folder (sys.path[0], its constants) lives in the fixed heap, and a few bytes of
# path move a fragmenting heap's smallest size by a step (docs/chip-budgets.md). The folders sit
# in one of fixed length (WORK_ROOT), so the figure does not depend on where the clone or TMPDIR is.
WORK_ROOT = "/tmp"
WORK_PADS = (0, 5, 11, 19, 29)       # extra characters in the work folder's name


class ChipBuildMissing(RuntimeError):
    pass


def interpreter():
    env = os.environ.get("CHIP_MICROPYTHON")
    cands = [Path(env)] if env else DEFAULT_INTERPRETERS
    for p in cands:
        if p.is_file() and os.access(p, os.X_OK):
            return p
    raise ChipBuildMissing("no 32-bit chip interpreter at %s: run `make chip` (or set "
                           "CHIP_MICROPYTHON to such a build)" % ", ".join(map(str, cands)))


# --- the scripts the interpreter runs --------------------------------------------------------
# Each job is a pair: SETUP + JOB and SETUP alone; the difference of the two is the job's
# figure (instructions), so start-up, imports and setup are subtracted the same way everywhere.

# A NOR flash partition over a file, at the cost of the board's C driver as near as Python
# allows: reads and programs go straight to the file; a program over erased bytes (the store's
# only kind) is written as is, anything else is ANDed as NOR does; no allocation per call.
FLASH = r"""
class Flash:
    def __init__(self, path, bs, bc):
        self.f = open(path, "r+b")
        self.bs, self.bc = bs, bc
        self.ff = b"\xff" * 256
        self.old = bytearray(256)
    def readblocks(self, n, buf, off=0):
        self.f.seek(n * self.bs + off)
        self.f.readinto(buf)
    def writeblocks(self, n, buf, off=0):
        pos = n * self.bs + off
        k = len(buf)
        old = memoryview(self.old)[:k] if k <= 256 else bytearray(k)
        self.f.seek(pos)
        self.f.readinto(old)
        if old != self.ff[:k]:
            buf = (int.from_bytes(bytes(old), "big") & int.from_bytes(bytes(buf), "big")).to_bytes(k, "big")
        self.f.seek(pos)
        self.f.write(buf)
    def ioctl(self, op, arg):
        if op == 4:
            return self.bc
        if op == 5:
            return self.bs
        if op == 6:
            self.f.seek(arg * self.bs)
            for _ in range(self.bs // 256):
                self.f.write(self.ff)
            return 0
        return 0
"""

COMMON = r"""
import sys
from lightclient.chip.app import boot
import lightclient.chip.store.store  # boot imports it lazily; imports are outside the window
from lightclient.chip.app.device import Device
SECRET = b"\x5a" * 32
_n = [0]
def rng(k):  # benchmark only: deterministic, not random
    _n[0] += 1
    return bytes(((_n[0] * 131 + i * 7) & 255) for i in range(k))
INFO = {"board": "bench"}
""" + FLASH

PROVISION = COMMON + r"""
dev = Flash(STORE, %d, %d)
store, err = boot.open_store(dev, SECRET, None, rng)
assert err is None, err
d = Device(store, rng)
d.generate_key(False)
with open(TRUSTED, "rb") as f:
    d.set_checkpoint(f.read(), None, UUID, False)
print("PROVISIONED", store.generation)
""" % (BLOCK_SIZE, BLOCK_COUNT)

BOOT_SETUP = COMMON + r"""
dev = Flash(STORE, %d, %d)
""" % (BLOCK_SIZE, BLOCK_COUNT)

BOOT_JOB = r"""
fw = boot.build(dev, SECRET, INFO, rng)
assert fw.device.store_error is None, fw.device.store_error
assert fw.device.trusted is not None
print("BOOTED")
"""

UPDATE_SETUP = BOOT_SETUP + BOOT_JOB + r"""
import gc
gc.collect()
src = open(REQUEST, "rb")
dst = open(ANSWER, "wb")
"""

# The window: the first byte of the framed request in .. the last byte of the answer out.
UPDATE_JOB = r"""
while True:
    data = src.read(%d)
    if not data:
        break
    out = fw.feed(data, 0)
    if out:
        dst.write(out)
dst.close()
print("ANSWERED")
""" % CHUNK

# A first verify in the setup builds what a backend keeps between calls (the pure path's
# base-point tables; the update's figure includes them): the job is one more verify.
SIG_SETUP = r"""
from lightclient.chip.crypto import backend
with open(SIGFILE, "rb") as f:
    PUB, MSG, SIG = [f.read(n) for n in LENGTHS]
assert backend.verify(KEY_TYPE, PUB, MSG, SIG)
"""

SIG_JOB = r"""
assert backend.verify(KEY_TYPE, PUB, MSG, SIG)
print("VERIFIED")
"""


# A provisioned store with the account key; the job signs a skill-settings write (a first
# signature in the setup, as for the verifies: the job is one more).
TXSIGN_PROVISION = PROVISION + r"""
d.generate_account_key(False)
print("ACCOUNT")
"""

# The chip as the board builds it: with its sequence log (the lcseq partition, two sectors); the
# setup's first signature mounts the log and programs sequence 3, the job's raises it to 4 (one
# 96-byte program before the signature, as every transaction that raises the sequence costs).
TX_BOOT = BOOT_SETUP + r"""
SEQDEV = Flash(SEQLOG, 4096, 2)
fw = boot.build(dev, SECRET, INFO, rng, seqlog=SEQDEV)
assert fw.device.store_error is None, fw.device.store_error
assert fw.device.trusted is not None
"""

TXSIGN_SETUP = TX_BOOT + r"""
from lightclient.chip import cosmos_tx as ct
d = fw.device
PUB = d.account_key()
CHAIN = d.trusted.header.chain_id
# the write's envelope as SEAL_OWN makes it (the sign policy verifies the device's signature)
from lightclient.chip.crypto import backend as cb
from lightclient.chip.keys import envelope, epochs
ENV = envelope.seal(CHAIN, epochs.device_write_key("mycroft1owner", d.pub, "skill_settings"), 1,
                    0, b'[{"skill_gid":"bench","settings":{"volume":7}}]',
                    [cb.x25519_public_key(rng(32))], ("ed25519", d.pub),
                    lambda m: cb.ed25519_sign(d._get("key"), m), rng)
BODY = ct.tx_body([ct.msg_device_write(ct.bech32_address(PUB), "skill_settings", ENV)])
AUTH = ct.auth_info(PUB, 3, 200000, [("stake", 500)])
AUTH4 = ct.auth_info(PUB, 4, 200000, [("stake", 500)])
d.sign_tx(BODY, AUTH, CHAIN, 7)
LOG = d._sequence_log().log
B0, E0 = LOG.stats["bytes_programmed"], LOG.stats["erases"]
"""

# The owner's vote through authz under the owner's limits: the chip consents to the owner's
# registration (which names the owner), takes the owner-signed limits, then signs MsgExec
# wrapping the owner's MsgVote (docs/sign-policy.md); the job is the second signature.
TXVOTE_SETUP = TX_BOOT + r"""
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import sign_policy
from lightclient.chip.core import cbor, proto
from lightclient.chip.crypto import backend as cb
d = fw.device
PUB = d.account_key()
CHAIN = d.trusted.header.chain_id
OWNER_SECRET = b"\x5a" * 32
OWNER_PUB = cb.secp256k1_public_key(OWNER_SECRET)
OWNER = ct.bech32_address(OWNER_PUB)
ME = ct.bech32_address(PUB)
d.sign_registration(CHAIN, ct.account_address(OWNER_PUB))
ENC = cbor.dumps({"v": 1, "chain": CHAIN, "dev": PUB, "acct": 7, "owner": OWNER, "fee": 1000})
d.set_tx_policy(ENC, cb.secp256k1_sign(OWNER_SECRET, sign_policy.policy_bytes(ENC)), OWNER_PUB)
VOTE = proto.varint_field(1, 7) + proto.bytes_field(2, OWNER) + proto.varint_field(3, 1)
EXEC = proto.bytes_field(1, ME) + proto.message_field(2, ct.any_(sign_policy.MSG_VOTE, VOTE))
BODY = ct.tx_body([(sign_policy.MSG_EXEC, EXEC)])
AUTH = ct.auth_info(PUB, 3, 200000, [("stake", 500)])
AUTH4 = ct.auth_info(PUB, 4, 200000, [("stake", 500)])
d.sign_tx(BODY, AUTH, CHAIN, 7)
"""

TXVOTE_JOB = r"""
sig, seen, text = d.sign_tx(BODY, AUTH4, CHAIN, 7)
assert len(sig) == 64 and seen["sequence"] == 4 and text == "vote YES on proposal 7 for " + OWNER
print("VOTED")
"""
VOTE_HEAP_KIB = 96   # the budget heap the issue measures the vote at

TXSIGN_JOB = r"""
sig, seen, _text = d.sign_tx(BODY, AUTH4, CHAIN, 7)
assert len(sig) == 64 and seen["sequence"] == 4
print("SIGNED", LOG.stats["bytes_programmed"] - B0, LOG.stats["erases"] - E0)
"""


# Marks the job's start for the stack figure (bench/stackpaint.c paints the stack there).
STACK_MARK = r"""
try:
    open(STACKPAINT_MARK)
except OSError:
    pass
"""


# --- running them -----------------------------------------------------------------------------

class Run:
    def __init__(self, proc, instructions=None, stack=None):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.instructions = instructions
        self.stack = stack


def _script(consts, body):
    head = "".join("%s = %r\n" % (k, v) for k, v in sorted(consts.items()))
    return head + body


def run_chip(work, consts, body, heap_kib, tool=None, timeout=1800):
    """Run a script on the chip's interpreter with a fixed heap. tool: None, "callgrind" or
    "stack" (deepest C stack by stack painting, bench/stackpaint.c)."""
    # The script runs in the work folder and names its files relative to it: a path is a string
    # on the chip's heap, so an absolute one would make the heap's layout (and whether a job
    # fits a fixed heap) depend on where the folder is. The script itself comes on stdin: given
    # as a file, the unix port keeps its folder, made absolute, on sys.path, and so on the heap
    # (0.13 M instructions and 2 KiB of heap for OPEN_SETTINGS, and the bytes of a temporary
    # folder's random name where the collector scans).
    top = str(work) + os.sep
    consts = {k: v[len(top):] if isinstance(v, str) and v.startswith(top) else v
              for k, v in consts.items()}
    (work / "script.py").write_text(_script(consts, body))
    cmd = [str(interpreter()), "-X", "heapsize=%dK" % heap_kib]
    env = dict(os.environ, MICROPYPATH=".frozen")  # the frozen modules only, as on a board
    if tool == "callgrind":
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd
    stack_out = work / "stack.txt"
    if tool == "stack":
        env["LD_PRELOAD"] = str(_stackpaint(work))
        env["STACKPAINT_OUT"] = str(stack_out)
        env["STACKPAINT_MARK"] = consts["STACKPAINT_MARK"]
        if stack_out.exists():
            stack_out.unlink()
    with open(work / "script.py") as script:
        p = subprocess.run(cmd, cwd=work, env=env, stdin=script, capture_output=True, text=True,
                           timeout=timeout)
    r = Run(p)
    if tool == "callgrind":
        m = re.search(r"Collected : (\d+)", p.stderr)
        if m is None:
            raise RuntimeError("callgrind gave no count: " + p.stderr[-2000:])
        r.instructions = int(m.group(1))
    if tool == "stack":
        if not stack_out.exists():
            raise RuntimeError("the job never reached its stack mark: " + p.stderr[-800:])
        r.stack = int(stack_out.read_text().split()[0])
    return r


def stack_bytes(work, consts, setup, job, reset=None):
    """Deepest C stack the job reaches below its script's top level (bench/stackpaint.c)."""
    if reset:
        reset()
    consts = dict(consts, STACKPAINT_MARK=str(work / "no-such-file.mark"))
    r = run_chip(work, consts, setup + STACK_MARK + job, 1024, "stack")
    return r.stack


def _stackpaint(work):
    so = work / "stackpaint.so"
    if not so.exists():
        subprocess.run(["gcc", "-m32", "-O1", "-shared", "-fPIC", "-o", str(so),
                        str(REPO / "bench" / "stackpaint.c")], check=True, capture_output=True)
    return so


def _check(r, marker, what):
    if r.returncode != 0 or marker not in r.stdout:
        raise RuntimeError("%s failed (rc %s): %s %s" % (what, r.returncode, r.stdout[-1500:],
                                                         r.stderr[-1500:]))


def job_instructions(work, consts, setup, job, marker, heap_kib, reset=None):
    """Instructions of `job`: callgrind(setup + job) - callgrind(setup)."""
    if reset:
        reset()
    full = run_chip(work, consts, setup + job, heap_kib, "callgrind")
    _check(full, marker, "job")
    if reset:
        reset()
    base = run_chip(work, consts, setup, heap_kib, "callgrind")
    _check(base, "", "setup")
    return full.instructions - base.instructions, full, base


def smallest_heap(ok, start_kib, limit_kib=1024):
    """Smallest heap h (KiB, even) such that ok(k) for every k in h, h+2, ..., 2h. ok(k) runs the
    job with -X heapsize=kK. Binary search for a first success, then widen past any failure."""
    lo, hi = 2, start_kib
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > limit_kib:
            raise RuntimeError("the job does not run in %d KiB" % limit_kib)
    while hi - lo > HEAP_STEP_KIB:
        mid = (lo + hi) // 2 // HEAP_STEP_KIB * HEAP_STEP_KIB
        if mid <= lo:
            break
        if ok(mid):
            hi = mid
        else:
            lo = mid
    h = hi
    k = h + HEAP_STEP_KIB
    while k <= 2 * h:
        if ok(k):
            k += HEAP_STEP_KIB
        else:
            h = k + HEAP_STEP_KIB    # a failure above the first success: start above it,
            k = h                    # that size itself checked too
    return h


# --- the workloads ----------------------------------------------------------------------------

class Workload:
    """The 100-validator update, the provisioned store image and the framed request, in `work`."""

    def __init__(self, work):
        self.work = work
        trusted, data, now = build_update()
        from lightclient.chip.core import trusted_at_rest
        (work / "trusted.bin").write_bytes(trusted_at_rest.encode_trusted(trusted))
        msg = H.encode_message(H.Header(H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE, 7),
                               {"update": data, "now_ns": now})
        self.wire = frame.encode_packet(msg)
        (work / "request.bin").write_bytes(self.wire)
        self.update_bytes = len(data)
        self.update, self.now = data, now
        self.consts = {"STORE": str(work / "store.img"), "TRUSTED": str(work / "trusted.bin"),
                       "UUID": UUID, "REQUEST": str(work / "request.bin"),
                       "ANSWER": str(work / "answer.bin")}
        with open(work / "store.img", "wb") as f:
            f.write(b"\xff" * BLOCK_SIZE * BLOCK_COUNT)
        r = run_chip(work, self.consts, PROVISION, 1024)
        _check(r, "PROVISIONED", "provisioning")
        shutil.copy(work / "store.img", work / "provisioned.img")

    @property
    def verifies(self):
        """Signature checks the chip makes for this update (the verifier's own count)."""
        from lightclient.chip.core import trusted_at_rest, update, verifier
        from lightclient.chip.core.signatures import CachingChecker
        trusted = trusted_at_rest.decode_trusted((self.work / "trusted.bin").read_bytes())
        blocks, _ = update.decode_update_full(self.update, trusted)
        checker = CachingChecker()
        verifier.verify_step(trusted, blocks[0], verifier.Options(14 * 24 * 3600 * 10**9),
                             self.now, checker)
        return checker.verified

    def reset(self):
        shutil.copy(self.work / "provisioned.img", self.work / "store.img")
        a = self.work / "answer.bin"
        if a.exists():
            a.unlink()

    def answer(self):
        """The decoded answer payload, or None when there is no complete answer."""
        dec = frame.FrameDecoder(1 << 16)
        wire = (self.work / "answer.bin").read_bytes() if (self.work / "answer.bin").exists() else b""
        msgs = dec.feed(wire, 0)
        if len(msgs) != 1:
            return None
        return H.decode_message(msgs[0])[1]

    def update_ok(self, r):
        a = self.answer() if r.returncode == 0 else None
        return a is not None and a.get("height") == 2 and a.get("proven") == 1


def _sig_inputs(work, kind):
    from lightclient.chip.crypto import ed25519, secp256k1
    msg = bytes(range(110))   # a vote's sign bytes are ~110 bytes
    if kind == "ed25519":
        seed = bytes(range(32))
        pub, sig = ed25519.public_key(seed), ed25519.sign(seed, msg)
    else:
        secret = bytes(range(1, 33))
        pub, sig = secp256k1.public_key(secret), secp256k1.sign(secret, msg)
    (work / "sig.bin").write_bytes(pub + msg + sig)
    return {"SIGFILE": str(work / "sig.bin"), "LENGTHS": [len(pub), len(msg), len(sig)],
            "KEY_TYPE": kind}


def backend_name(work):
    r = run_chip(work, {}, "from lightclient.chip.crypto import backend\n"
                           "print('BACKEND', backend.backend_name())\n", 256)
    m = re.search(r"BACKEND (\S+)", r.stdout)
    if m is None:
        raise RuntimeError("no crypto backend: " + r.stderr[-800:])
    return m.group(1)


def flash_estimate():
    """(bytes, parts): frozen bytecode and the native modules' objects in the interpreter's build
    (its build folder: `make chip` keeps it in unix32-build beside the interpreter)."""
    here = interpreter().parent
    build = here / "unix32-build" if (here / "unix32-build").is_dir() else here
    total, parts = 0, []
    for p in sorted(build.rglob("*.o")):
        rel = p.relative_to(build).parts
        if p.name == "frozen_content.o" or rel[0] in ("lccrypto", "vendor"):
            total += _text_data(p)
            parts.append(p.name)
    return total, parts


def _text_data(obj):
    out = subprocess.run(["size", str(obj)], capture_output=True, text=True, check=True).stdout
    text, data = out.splitlines()[1].split()[:2]
    return int(text) + int(data)


def update_heap_over_paths(root, pads=WORK_PADS):
    """(largest, {path length: KiB}): the update's smallest heap from work folders root/w,
    root/wx, root/wxx..., each with its own workload."""
    per = {}
    for pad in pads:
        work = root / ("w" + "x" * pad)
        work.mkdir()
        wl = Workload(work)

        def fits(kib, wl=wl, work=work):
            wl.reset()
            return wl.update_ok(run_chip(work, wl.consts, UPDATE_SETUP + UPDATE_JOB, kib))
        per[len(str(work))] = smallest_heap(fits, 128)
        shutil.rmtree(work)
    return max(per.values()), per


def measure(work):
    figs = {}
    figs["chip.update100.heap_kib"], figs["update_heap_by_path"] = update_heap_over_paths(work)
    work = work / "job"
    work.mkdir()
    wl = Workload(work)

    def boot_fits(kib):
        wl.reset()
        r = run_chip(work, wl.consts, BOOT_SETUP + BOOT_JOB, kib)
        return r.returncode == 0 and "BOOTED" in r.stdout

    # Heap first: instructions are counted at the board's heap (the collector's work depends on
    # it), or at the job's own smallest heap when that is larger.
    figs["chip.boot.heap_kib"] = smallest_heap(boot_fits, 64)
    heap = figs["instructions_heap_kib"] = max(BOARD_HEAP_KIB, figs["chip.update100.heap_kib"])
    n, _, _ = job_instructions(work, wl.consts, BOOT_SETUP, BOOT_JOB, "BOOTED", heap, wl.reset)
    figs["chip.boot.instructions"] = n
    n, _, base = job_instructions(work, wl.consts, UPDATE_SETUP, UPDATE_JOB, "ANSWERED", heap,
                                  wl.reset)
    wl.reset()
    r = run_chip(work, wl.consts, UPDATE_SETUP + UPDATE_JOB, heap)
    if not wl.update_ok(r):
        raise RuntimeError("the update was not accepted: %r %s" % (wl.answer(), r.stderr[-800:]))
    figs["chip.update100.instructions"] = n
    figs["chip.update100.stack_bytes"] = stack_bytes(work, wl.consts, UPDATE_SETUP, UPDATE_JOB,
                                                     wl.reset)
    figs["chip.boot.stack_bytes"] = stack_bytes(work, wl.consts, BOOT_SETUP, BOOT_JOB, wl.reset)
    for kind in ("ed25519", "secp256k1"):
        consts = _sig_inputs(work, kind)

        def sig_fits(kib, consts=consts):
            r = run_chip(work, consts, SIG_SETUP + SIG_JOB, kib)
            return r.returncode == 0 and "VERIFIED" in r.stdout
        figs["chip.%s_verify.heap_kib" % kind] = smallest_heap(sig_fits, 32)
        n, _, _ = job_instructions(work, consts, SIG_SETUP, SIG_JOB, "VERIFIED",
                                   max(BOARD_HEAP_KIB, figs["chip.%s_verify.heap_kib" % kind]))
        figs["chip.%s_verify.instructions" % kind] = n
        figs["chip.%s_verify.stack_bytes" % kind] = stack_bytes(work, consts, SIG_SETUP, SIG_JOB)
    # The C crypto inside the update, for the ESP32 estimate: its signature checks at the
    # measured cost of one (with the native backend; the pure one is interpreter code).
    figs["update_verifies"] = wl.verifies
    figs["backend"] = backend_name(work)
    figs["native"] = figs["backend"] == "lccrypto"
    figs["chip.update100.crypto_instructions"] = (
        wl.verifies * figs["chip.ed25519_verify.instructions"] if figs["native"] else 0)
    figs["chip.image.flash_bytes"], figs["flash_parts"] = flash_estimate()
    figs["update_bytes"] = wl.update_bytes
    figs["wire_bytes"] = len(wl.wire)
    return figs


def tx_sign_figures(work):
    """chip.tx_sign.*: a store provisioned with a 4-validator trusted state and the account key."""
    from lightclient.chip.core import trusted_at_rest
    from lightclient.chip.core.verifier import TrustedState
    from lightclient.scenarionet.chain import Chain, make_validators
    chain = Chain("bench-tx-chain", make_validators(4), 1_700_000_000 * 10**9)
    chain.run(2)
    lb = chain.blocks[1]
    (work / "trusted.bin").write_bytes(trusted_at_rest.encode_trusted(
        TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)))
    consts = {"STORE": str(work / "store.img"), "TRUSTED": str(work / "trusted.bin"),
              "UUID": UUID, "SEQLOG": str(work / "seqlog.img")}
    (work / "store.img").write_bytes(b"\xff" * BLOCK_SIZE * BLOCK_COUNT)
    _check(run_chip(work, consts, TXSIGN_PROVISION, 1024), "ACCOUNT", "provisioning")
    shutil.copy(work / "store.img", work / "provisioned.img")

    def reset():   # the provisioned store and an erased sequence log (the setup formats it)
        shutil.copy(work / "provisioned.img", work / "store.img")
        (work / "seqlog.img").write_bytes(b"\xff" * 4096 * 2)

    def fits(kib):
        reset()
        r = run_chip(work, consts, TXSIGN_SETUP + TXSIGN_JOB, kib)
        return r.returncode == 0 and "SIGNED" in r.stdout
    reset()
    r = run_chip(work, consts, TXSIGN_SETUP + TXSIGN_JOB, VOTE_HEAP_KIB)
    _check(r, "SIGNED", "tx_sign job")
    written = [int(x) for x in re.search(r"SIGNED (\d+) (\d+)", r.stdout).groups()]
    figs = {"chip.tx_sign.heap_kib": smallest_heap(fits, 48),
            "tx_sign_flash": written}
    n, _, _ = job_instructions(work, consts, TXSIGN_SETUP, TXSIGN_JOB, "SIGNED",
                               max(VOTE_HEAP_KIB, figs["chip.tx_sign.heap_kib"]), reset)
    figs["chip.tx_sign.instructions"] = n
    figs["chip.tx_sign.stack_bytes"] = stack_bytes(work, consts, TXSIGN_SETUP, TXSIGN_JOB, reset)

    def vote_fits(kib):
        reset()
        r = run_chip(work, consts, TXVOTE_SETUP + TXVOTE_JOB, kib)
        return r.returncode == 0 and "VOTED" in r.stdout
    figs["chip.tx_sign_vote.heap_kib"] = smallest_heap(vote_fits, 48)
    n, _, _ = job_instructions(work, consts, TXVOTE_SETUP, TXVOTE_JOB, "VOTED", VOTE_HEAP_KIB,
                               reset)
    figs["chip.tx_sign_vote.instructions"] = n
    return figs


def tx_sign_run():
    """The tx_sign figures alone: `python -c 'from bench import chip_bench as c; print(c.tx_sign_run())'`."""
    with tempfile.TemporaryDirectory(prefix="chipbench-tx-", dir=WORK_ROOT) as d:
        f = tx_sign_figures(Path(d))
    return {
        "chip.tx_sign.instructions": {
            "value": f["chip.tx_sign.instructions"], "unit": "instr", "goal": "<= 30 M",
            "note": "Device.sign_tx of a skill-settings write: SignDoc read back and checked, "
                    "secret from the store, the new sequence programmed into the sequence log "
                    "(%d B, %d erases), secp256k1 RFC 6979 low-s sign; callgrind, 32-bit build, "
                    "frozen, at the %d KiB heap" % (f["tx_sign_flash"][0], f["tx_sign_flash"][1],
                                                  VOTE_HEAP_KIB)},
        "chip.tx_sign.heap_kib": {"value": f["chip.tx_sign.heap_kib"], "unit": "KiB"},
        "chip.tx_sign.stack_bytes": {"value": f["chip.tx_sign.stack_bytes"], "unit": "B",
                                     "goal": "<= 8192"},
        "chip.tx_sign_vote.instructions": {
            "value": f["chip.tx_sign_vote.instructions"], "unit": "instr", "goal": "<= 30 M",
            "note": "Device.sign_tx of authz MsgExec wrapping the owner's MsgVote under the "
                    "owner's limits (sign policy, summary), its sequence programmed into the "
                    "sequence log, at the %d KiB heap" % VOTE_HEAP_KIB},
        "chip.tx_sign_vote.heap_kib": {"value": f["chip.tx_sign_vote.heap_kib"], "unit": "KiB"},
    }


def run_bench():
    # /tmp/chipbench-XXXXXXXX: a path of one length wherever the clone is (see WORK_PADS)
    with tempfile.TemporaryDirectory(prefix="chipbench-", dir=WORK_ROOT) as d:
        return measure(Path(d))


def run():
    f = run_bench()
    est = chip_esp32.estimate(f["chip.update100.instructions"],
                              f["chip.update100.crypto_instructions"])
    k = lambda v: {"value": v, "unit": "KiB"}
    out = {
        "chip.update100.instructions": {
            "value": f["chip.update100.instructions"], "unit": "instr", "goal": "<= 250000000",
            "note": "callgrind, 32-bit fixed-heap build, frozen, crypto backend %s, at %d KiB; "
                    "window in docs/chip-budgets.md (%d-byte update, %d wire bytes in %d-byte "
                    "reads, %d signature checks)"
                    % (f["backend"], f["instructions_heap_kib"], f["update_bytes"],
                       f["wire_bytes"], CHUNK, f["update_verifies"])},
        "chip.update100.heap_kib": dict(
            k(f["chip.update100.heap_kib"]), goal="<= 96",
            note="the largest over work paths of %s characters: %s KiB (a fixed heap's smallest "
                 "size moves with its fragmentation)" % (
                     ", ".join(str(n) for n in sorted(f["update_heap_by_path"])),
                     ", ".join(str(f["update_heap_by_path"][n])
                               for n in sorted(f["update_heap_by_path"])))),
        "chip.update100.stack_bytes": {"value": f["chip.update100.stack_bytes"], "unit": "B",
                                       "goal": "<= 8192", "note": "x86-32 frames"},
        "chip.boot.instructions": {"value": f["chip.boot.instructions"], "unit": "instr",
                                   "goal": "<= 20000000", "note": "store mount + device load"},
        "chip.boot.heap_kib": k(f["chip.boot.heap_kib"]),
        "chip.boot.stack_bytes": {"value": f["chip.boot.stack_bytes"], "unit": "B",
                                  "goal": "<= 8192"},
        "chip.image.flash_bytes": {
            "value": f["chip.image.flash_bytes"], "unit": "B",
            "note": "ESTIMATE (text + data of x86-32 objects; no ESP-IDF image is built here): "
                    "%s, beside the board's 1,984 KiB app partition, which MicroPython itself "
                    "shares" % ", ".join(sorted(set(f["flash_parts"])))},
        "chip.update100.esp32_estimate_s": {
            "value": est["median_s"], "unit": "s", "goal": "<= 2.5",
            "note": "ESTIMATE: %.2f-%.2f s over the factor's spread; %s"
                    % (est["low_s"], est["high_s"], est["how"])},
    }
    for kind in ("ed25519", "secp256k1"):
        out["chip.%s_verify.instructions" % kind] = {
            "value": f["chip.%s_verify.instructions" % kind], "unit": "instr",
            "note": "one verify through the crypto interface (backend.verify), 110-byte message"}
        out["chip.%s_verify.heap_kib" % kind] = k(f["chip.%s_verify.heap_kib" % kind])
        out["chip.%s_verify.stack_bytes" % kind] = {
            "value": f["chip.%s_verify.stack_bytes" % kind], "unit": "B", "goal": "<= 8192"}
    out["chip.secp256k1_verify.heap_kib"]["goal"] = "<= 16"
    out.update(tx_sign_run())
    return out


if __name__ == "__main__":
    print(json.dumps(run_bench(), indent=1))
