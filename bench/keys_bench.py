"""User-held keys (issue 20): the chip's cost to open sealed settings and to pair, and the sizes
the epoch design promises.

  chip.settings_open.instructions  callgrind instructions, on the chip's build (32-bit, frozen,
                                   lccrypto, 96 KiB heap), of opening a 4 KB record: the epoch
                                   envelope (owner's secp256k1 signature, X25519, HKDF, AEAD),
                                   then the record (signature, X25519, HKDF, AEAD over 4 KB)
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

import os
import tempfile
from pathlib import Path

from bench.chip_bench import job_instructions
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


def _open_figure(work):
    dev_sk = bytes(range(32))
    dev_pub = backend.x25519_public_key(dev_sk)
    book = OwnerBook(OWNER, CHAIN, "owner-1", _rng(b"open"))
    env = book.pair(b"\x01" * 32, dev_pub)
    rec = book.seal(b"settings/dev", PLAINTEXT, 3)
    consts = {"EPOCH_ENV": env, "REC": rec, "DEV_SK": dev_sk, "DEV_PUB": dev_pub,
              "OWNER_PUB": OWNER.secp256k1_public, "CHAIN": CHAIN}
    setup = ("from lightclient.chip.keys import envelope as E, epochs\n"
             "import gc\ngc.collect()\n")
    job = ("owner = ('secp256k1', OWNER_PUB)\n"
           "s = epochs.open_epoch(EPOCH_ENV, CHAIN, 'owner-1', 0, owner, DEV_SK, DEV_PUB)\n"
           "got = E.open_(REC, CHAIN, b'settings/dev', 3, [owner], epochs.epoch_identity(s))\n"
           "print('OPENED', len(got.plaintext))\n")
    n, full, _ = job_instructions(work, consts, setup, job, "OPENED 4096", HEAP_KIB)
    return n


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
        open_n = _open_figure(work)
        seal_n = _seal_figure(work)
        pair_n = _pair_figure(work)
    sizes, direct = _sizes()
    rewraps = _remove_rewraps()
    where = "callgrind, 32-bit fixed-heap build, frozen, lccrypto, %d KiB heap" % HEAP_KIB
    return {
        "chip.settings_open.instructions": {
            "value": open_n, "unit": "instr", "goal": "<= 20000000",
            "note": where + "; epoch envelope + 4,096-byte record, both owner-signed"},
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
