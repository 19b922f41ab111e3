"""User-held keys (issue 20): the chip's cost to open sealed settings and to pair, and the sizes
the epoch design promises.

  chip.settings_open.instructions  callgrind instructions, on the chip's build (32-bit, frozen,
                                   lccrypto, 96 KiB heap), of the whole SMP OPEN_SETTINGS of a
                                   4 KB record, framed request in to answer out: both envelopes'
                                   x/devices proofs verified against the chip's trusted header
                                   (IAVL path of a 4,096-key store, a 20-store multistore), the
                                   record's writer signature, its version committed to the store
                                   (setver), the epoch envelope (owner's secp256k1 signature,
                                   X25519, HKDF, AEAD), then the record (X25519-wrapped file key,
                                   AEAD over 4 KB)
  chip.settings_open.heap_kib      smallest -X heapsize from which that whole path succeeds at
                                   every size in 2 KiB steps up to twice it (chip_bench's rule)
  chip.settings_open.proof_bytes   bytes of the two proofs' ops beyond the envelopes themselves
  chip.device_write_seal.instructions  what the device writes itself (SEAL_OWN,
                                   docs/device-writes.md): the owner's epoch envelope opened
                                   (secp256k1 check, X25519, HKDF, AEAD), a 4 KB write sealed to
                                   the epoch key (ephemeral X25519 twice, HKDF, AEAD over 4 KB)
                                   and signed with the device's Ed25519 key
  chip.pair.instructions           the chip's side of one pairing: SPAKE2+ respond and finish on
                                   ref10, the transcript and statement, the owner's signature
                                   checked, the device's made
  settings.record_overhead_bytes.{1,5}_devices   envelope bytes minus plaintext bytes of a 4 KB
                                   record with 1 and 5 paired devices (expected: equal, one wrap)
  settings.direct_wrap_overhead_bytes.5_devices  the same if each record were wrapped to every
                                   device directly (what the epochs avoid)
  owner.remove_device.rewraps      wraps written when one of 5 devices is removed from an owner
                                   with 100 records (expected: 4, the epoch key for those that
                                   stay; records are re-sealed when next written)

Expected before measuring (docs/envelopes.md): a wrap is 119 bytes of CBOR (recipient 32,
ephemeral 32, wrapped key 48), so a record carries ~300 bytes of overhead whatever the number of
devices; opening costs two secp256k1 checks (~2.4 M each), two X25519 (~2.1 M each) and AEAD over
4 KB (~0.8 M), ~10 M in all; pairing four ref10 scalar multiplications, one secp256k1 check and
one Ed25519 signature, ~15 M. Sealing a device's 4 KB write: the epoch envelope's secp256k1
check (~2.4 M) and X25519 (~2.1 M), two more X25519 for the wrap (~4.2 M), AEAD over 4 KB
(~0.8 M) and one Ed25519 signature (~1.5 M), ~11 M: about the cost of an opening.
"""

import hashlib
import os
import tempfile
from pathlib import Path

from bench.chip_bench import FLASH, UPDATE_JOB, _check, job_instructions, run_chip, smallest_heap
from lightclient.chip.crypto import backend, secp256k1
from lightclient.chip.keys import envelope, group_ed25519 as ED, pairing, spake2plus as S
from lightclient.owner.book import OwnerBook, wraps_in
from lightclient.owner.keyfile import OwnerKey

HEAP_KIB = 96
CHAIN = "mycroft-bench-1"
OWNER = OwnerKey("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                 "abandon abandon about")
PLAINTEXT = bytes((i * 7) & 0x7F for i in range(4096))


def _rng(seed):
    state = [0]

    def random(n):
        import hashlib
        out = b""
        while len(out) < n:
            out += hashlib.sha256(seed + state[0].to_bytes(8, "big")).digest()
            state[0] += 1
        return out[:n]
    return random


OPEN_SETUP = r"""
from lightclient.chip.app import boot
import lightclient.chip.store.store
import lightclient.chip.app.keyring, lightclient.chip.app.settings_proof  # imports: outside
""" + FLASH + r"""
SECRET = b"\x5a" * 32
def rng(k):
    return bytes(k)
fw = boot.build(Flash(STORE, 4096, 64), SECRET, {"board": "bench"}, rng)
assert fw.device.trusted is not None
import gc
gc.collect()
src = open(REQUEST, "rb")
dst = open(ANSWER, "wb")
"""


class OpenProvisioned:
    """A chip's store (made on CPython with the same code) paired with the owner, with its account
    key and a trusted header whose app hash commits to the owner's epoch envelope and the
    device's 4 KB settings envelope among 4,096 other x/devices keys; and the framed OPEN_SETTINGS
    request with both proofs."""

    def __init__(self, work):
        import sys
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "firmware"))
        import fwscenario
        from lightclient.chip import cosmos_tx as ct
        from lightclient.chip.app import boot, keys_group
        from lightclient.chip.core import trusted_at_rest
        from lightclient.chip.core.verifier import TrustedState
        from lightclient.chip.keys import epochs
        from lightclient.chip.smp import frame, header as H, keys as K
        from lightclient.chip.store.filedev import FileBlockDevice
        from lightclient.owner.pair import OwnerPairing
        ib = fwscenario.ics23_build
        self.work, self.frame, self.H = work, frame, H
        (work / "store0.img").write_bytes(b"\xff" * 4096 * 64)
        rng = _rng(b"open-chip")
        fw = boot.build(FileBlockDevice(str(work / "store0.img"), 4096, 64), b"\x5a" * 32, {}, rng)
        pub = fw.device.generate_key(False)
        code = keys_group.provision(fw, {"chain_id": CHAIN}, 0)["code"]
        keys_group.open_window(fw, {}, 0)
        p = OwnerPairing(code, OWNER, CHAIN, pub, rng)
        a1 = keys_group.pair_start(fw, p.start(), 0)
        a2 = keys_group.pair_finish(fw, p.respond(a1), 0)
        res = p.finish(a2)
        acct = fw.device.generate_account_key(False)
        owner_id = OWNER.address("mycroft")
        book = OwnerBook(OWNER, CHAIN, owner_id, rng)
        env0 = book.pair(res.device_pub, res.device_x25519)
        key = epochs.device_settings_key(owner_id, ct.bech32_address(acct))
        rec = book.seal(key, PLAINTEXT, 3)
        ekey = epochs.epoch_record_key(owner_id, 0)
        items = {b"\x05" + key: rec, b"\x05" + ekey: env0}
        for i in range(4096):   # other devices' records and envelopes
            items[b"\x01" + hashlib.sha256(b"dev%d" % i).digest()[:20]] = b"r" * 120
        dev = ib.IavlTree(items, version=1)
        stores = {"s%02d" % i: hashlib.sha256(b"store%d" % i).digest() for i in range(19)}
        stores["devices"] = dev.root
        ms = ib.multistore(stores)
        chain = fwscenario.Chain(CHAIN, fwscenario.make_validators(4), fwscenario.START)
        chain.run(1, app_hash=lambda h: ms.root)
        lb = chain.blocks[1]
        fw.device.set_checkpoint(trusted_at_rest.encode_trusted(TrustedState(
            lb.signed_header.header, lb.next_validators, lb.validators)), None, None, False)
        env_ops = [list(o) for o in ib.abci_proof_ops(dev, ms, "devices", b"\x05" + key)]
        epoch_ops = [list(o) for o in ib.abci_proof_ops(dev, ms, "devices", b"\x05" + ekey)]
        self.proof_bytes = (sum(len(o[1]) + len(o[2]) for o in env_ops + epoch_ops)
                            - len(rec) - len(env0))
        msg = H.encode_message(H.Header(H.OP_WRITE, K.GROUP, K.OPEN_SETTINGS, 9),
                               {"height": 1, "env_proof": env_ops, "epoch_proof": epoch_ops})
        (work / "request.bin").write_bytes(frame.encode_packet(msg))
        self.request_bytes = len(msg)
        self.consts = {"STORE": str(work / "store.img"), "REQUEST": str(work / "request.bin"),
                       "ANSWER": str(work / "answer.bin")}

    def reset(self):
        import shutil
        shutil.copy(self.work / "store0.img", self.work / "store.img")

    def opened(self):
        a = self.work / "answer.bin"
        msgs = self.frame.FrameDecoder(1 << 16).feed(a.read_bytes() if a.exists() else b"", 0)
        if len(msgs) != 1:
            return False
        out = self.H.decode_message(msgs[0])[1]
        return out.get("plaintext") == PLAINTEXT and out.get("version") == 3


def _open_figure(work):
    """(instructions at HEAP_KIB, smallest heap KiB, proof bytes, request bytes) of the whole
    OPEN_SETTINGS path."""
    o = OpenProvisioned(work)

    def fits(kib):
        o.reset()
        r = run_chip(work, o.consts, OPEN_SETUP + UPDATE_JOB, kib)
        return r.returncode == 0 and o.opened()
    o.reset()
    r = run_chip(work, o.consts, OPEN_SETUP + UPDATE_JOB, HEAP_KIB)
    _check(r, "ANSWERED", "OPEN_SETTINGS job")
    if not o.opened():
        raise RuntimeError("OPEN_SETTINGS did not answer with the plaintext: %s" % r.stderr[-800:])
    heap = smallest_heap(fits, 64)
    n, _, _ = job_instructions(work, o.consts, OPEN_SETUP, UPDATE_JOB, "ANSWERED", HEAP_KIB,
                               o.reset)
    return n, heap, o.proof_bytes, o.request_bytes


def _seal_figure(work):
    dev_sk = bytes(range(32))
    dev_pub = backend.x25519_public_key(dev_sk)
    book = OwnerBook(OWNER, CHAIN, "owner-1", _rng(b"seal"))
    env = book.pair(b"\x01" * 32, dev_pub)
    dev_seed = bytes(range(1, 33))
    consts = {"EPOCH_ENV": env, "DEV_SK": dev_sk, "DEV_PUB": dev_pub, "PLAIN": PLAINTEXT,
              "OWNER_PUB": OWNER.secp256k1_public, "CHAIN": CHAIN, "SEED": dev_seed,
              "ED_PUB": backend.ed25519_public_key(dev_seed)}
    setup = ("from lightclient.chip.keys import envelope as E, epochs\n"
             "from lightclient.chip.crypto import backend\nimport gc, hashlib\n"
             "ctr = [0]\n"
             "def rnd(n):\n"
             "    out = b''\n"
             "    while len(out) < n:\n"
             "        ctr[0] += 1\n"
             "        out += hashlib.sha256(b'seal' + bytes([ctr[0] & 255])).digest()\n"
             "    return out[:n]\n"
             "gc.collect()\n")
    job = ("owner = ('secp256k1', OWNER_PUB)\n"
           "s = epochs.open_epoch(EPOCH_ENV, CHAIN, 'owner-1', 0, owner, DEV_SK, DEV_PUB)\n"
           "key = epochs.device_write_key('owner-1', ED_PUB, 'skill_settings')\n"
           "env = E.seal(CHAIN, key, 1, 0, PLAIN, [epochs.epoch_public(s)], ('ed25519', ED_PUB),"
           " lambda m: backend.ed25519_sign(SEED, m), rnd)\n"
           "print('SEALED', len(env) - len(PLAIN))\n")
    n, _, _ = job_instructions(work, consts, setup, job, "SEALED", HEAP_KIB)
    return n


def _pair_figure(work):
    dev_seed = bytes(range(1, 33))
    dev_pub = backend.ed25519_public_key(dev_seed)
    code = "1234-5678-9012"
    w0, w1 = pairing.derive_w0_w1(code, dev_pub)
    w0b, L = S.verifier_record(ED, w0, w1)
    ctx = pairing.context(CHAIN)
    prover = S.Prover(ED, ctx, OWNER.secp256k1_public, dev_pub, w0, w1)
    x, y = 0x1234 << 200, 0x4321 << 200
    share_p = prover.start(x)
    ref = S.Verifier(ED, ctx, OWNER.secp256k1_public, dev_pub, w0, L)
    share_v, confirm_v = ref.respond(share_p, y)
    confirm_p, _ = prover.finish(share_v, confirm_v)
    x_pub = backend.x25519_public_key(bytes(32))
    th = pairing.transcript_hash(ctx, OWNER.secp256k1_public, dev_pub, share_p, share_v,
                                 confirm_p, confirm_v)
    st = pairing.statement(CHAIN, OWNER.secp256k1_public, dev_pub, x_pub, th)
    owner_sig = secp256k1.sign(OWNER.secp256k1_secret, pairing.signing_bytes(st))
    consts = {"CTX": ctx, "OWNER_PUB": OWNER.secp256k1_public, "DEV_PUB": dev_pub,
              "DEV_SEED": dev_seed, "W0": int.from_bytes(w0b, "big"), "L": L,
              "SHARE_P": share_p, "Y": y, "CONFIRM_P": confirm_p, "OWNER_SIG": owner_sig,
              "X_PUB": x_pub, "CHAIN": CHAIN}
    setup = ("from lightclient.chip.keys import group_ed25519 as ED, spake2plus as S, pairing\n"
             "from lightclient.chip.crypto import backend\nimport gc\ngc.collect()\n")
    job = ("v = S.Verifier(ED, CTX, OWNER_PUB, DEV_PUB, W0, L)\n"
           "sv, cv = v.respond(SHARE_P, Y)\n"
           "v.finish(CONFIRM_P)\n"
           "th = pairing.transcript_hash(v.context, v.idp, v.idv, v.share_p, v.share_v, "
           "v.confirm_p(), v.confirm_v())\n"
           "st = pairing.statement(CHAIN, OWNER_PUB, DEV_PUB, X_PUB, th)\n"
           "msg = pairing.signing_bytes(st)\n"
           "assert backend.secp256k1_verify(OWNER_PUB, msg, OWNER_SIG)\n"
           "sig = backend.ed25519_sign(DEV_SEED, msg)\n"
           "print('PAIRED', len(sig))\n")
    n, _, _ = job_instructions(work, consts, setup, job, "PAIRED 64", HEAP_KIB)
    return n


def _sizes():
    out = {}
    for n in (1, 5):
        book = OwnerBook(OWNER, CHAIN, "owner-1", os.urandom)
        for i in range(n):
            book.pair(bytes([i]) * 32, backend.x25519_public_key(bytes([i + 1]) * 32))
        out[n] = len(book.seal(b"settings/dev", PLAINTEXT, 1)) - len(PLAINTEXT)
    devices = [backend.x25519_public_key(bytes([i + 1]) * 32) for i in range(5)]
    direct = envelope.seal(CHAIN, b"settings/dev", 1, 0, PLAINTEXT, devices,
                           ("secp256k1", OWNER.secp256k1_public),
                           lambda m: secp256k1.sign(OWNER.secp256k1_secret, m), os.urandom)
    return out, len(direct) - len(PLAINTEXT)


def _remove_rewraps():
    book = OwnerBook(OWNER, CHAIN, "owner-1", os.urandom)
    devs = [(bytes([i]) * 32, backend.x25519_public_key(bytes([i + 1]) * 32)) for i in range(5)]
    for pub, x in devs:
        book.pair(pub, x)
    for r in range(100):
        book.seal(b"settings/%d" % r, b"{}", 1)
    written = [book.remove(devs[2][0])]
    return sum(wraps_in(e) for e in written if e is not None)


def run():
    with tempfile.TemporaryDirectory(prefix="keysbench-") as d:
        work = Path(d)
        open_n, open_heap, proof_bytes, request_bytes = _open_figure(work)
        seal_n = _seal_figure(work)
        pair_n = _pair_figure(work)
    sizes, direct = _sizes()
    rewraps = _remove_rewraps()
    where = "callgrind, 32-bit fixed-heap build, frozen, lccrypto, %d KiB heap" % HEAP_KIB
    return {
        "chip.settings_open.instructions": {
            "value": open_n, "unit": "instr", "goal": "<= 20000000",
            "note": where + "; the whole SMP OPEN_SETTINGS (%d-byte request in 256-byte reads, "
                            "answer out): both envelopes' proofs checked at the trusted header, "
                            "setver committed, epoch envelope + 4,096-byte record, owner-signed"
                            % request_bytes},
        "chip.settings_open.heap_kib": {
            "value": open_heap, "unit": "KiB", "goal": "<= 96",
            "note": "smallest fixed heap of that whole path (every size up to twice it works)"},
        "chip.settings_open.proof_bytes": {
            "value": proof_bytes, "unit": "B",
            "note": "the two proofs' ops beyond the envelopes they carry (IAVL path in a "
                    "4,096-key store + a 20-store multistore)"},
        "chip.device_write_seal.instructions": {
            "value": seal_n, "unit": "instr",
            "note": where + "; epoch envelope opened, a 4,096-byte write sealed to the epoch key "
                            "and signed by the device (SEAL_OWN without its SMP framing)"},
        "chip.pair.instructions": {
            "value": pair_n, "unit": "instr", "goal": "<= 40000000",
            "note": where + "; SPAKE2+ verifier on ref10, statement, owner's signature checked, "
                            "device's made (store commits not counted)"},
        "settings.record_overhead_bytes.1_devices": {
            "value": sizes[1], "unit": "B", "note": "4,096-byte record, epoch design"},
        "settings.record_overhead_bytes.5_devices": {
            "value": sizes[5], "unit": "B", "note": "4,096-byte record, epoch design"},
        "settings.direct_wrap_overhead_bytes.5_devices": {
            "value": direct, "unit": "B", "note": "the same record wrapped to 5 devices directly"},
        "owner.remove_device.rewraps": {
            "value": rewraps, "unit": "wraps",
            "note": "one of 5 devices removed, 100 records: the next epoch's key to the 4 left"},
    }


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=1))
