# A settings envelope's x/devices proof chain on the chip's build, where C checks it
# (settings_proof._native_envelope): every proof gives the chip the same answer as the Python
# chain on CPython: the envelope for the good ones, the same EnvelopeError and cause for a forged
# value, another record's proof, a proof of absence, another app hash, a flipped multistore op,
# ops in the wrong order or of the wrong type.
from lightclient.chip.app import settings_proof as SP
from lightclient.chip.core import ics23_types
from lightclient.chip.keys.errors import EnvelopeError
from lightclient.scenarionet import ics23_build as ib
from tests.chip32.chip32 import run

CHIP = r"""
from lightclient.chip.app import settings_proof as SP
from lightclient.chip.keys.errors import EnvelopeError
good = CASES[0]
assert SP._native_envelope(SP.decode_ops(good[0], "p"), good[1], b"\x05" + good[2]) is not None
for ops, app_hash, key in CASES:
    try:
        print(repr(SP.proven_envelope(SP.decode_ops(ops, "p"), app_hash, key, "p")))
    except EnvelopeError as e:
        print(repr((e.check, e.details.get("cause"))))
"""


def _host(ops, app_hash, key):
    try:
        return repr(SP.proven_envelope(SP.decode_ops(ops, "p"), app_hash, key, "p"))
    except EnvelopeError as e:
        return repr((e.check, e.details.get("cause")))


def _forged(ops, value):
    p = ics23_types.decode_commitment_proof(ops[0][2])
    p.value = value
    return [[ops[0][0], ops[0][1], ics23_types.encode_commitment_proof(p)]] + ops[1:]


def test_the_chip_gives_the_python_chains_answer_to_every_proof():
    records = {b"rec-%d" % i: b"envelope %d " % i * (50 * i + 1) for i in range(9)}
    dev = ib.IavlTree({b"\x05" + k: v for k, v in records.items()}, version=3)
    stores = ib.multistore({"bank": ib.IavlTree({b"b": b"1"}, 1).root, "devices": dev.root})

    def ops(key):
        return [list(op) for op in ib.abci_proof_ops(dev, stores, "devices", b"\x05" + key)]
    good, other = ops(b"rec-4"), ops(b"rec-7")
    flipped = bytearray(good[1][2])
    flipped[len(flipped) // 2] ^= 1
    cases = [(good, stores.root, b"rec-4"), (ops(b"rec-0"), stores.root, b"rec-0"),
             (_forged(good, b"another envelope"), stores.root, b"rec-4"),
             (other, stores.root, b"rec-4"), (ops(b"absent"), stores.root, b"absent"),
             (good, bytes(32), b"rec-4"), ([good[0], good[1][:2] + [bytes(flipped)]],
                                            stores.root, b"rec-4"),
             (good[::-1], stores.root, b"rec-4"),
             ([["ics23:simple"] + good[0][1:], good[1]], stores.root, b"rec-4"),
             ([good[0], good[1], good[1]], stores.root, b"rec-4")]
    want = [_host(*c) for c in cases]
    assert want[0] == repr(records[b"rec-4"]) and want[1] == repr(records[b"rec-0"])
    assert len(set(want[2:])) >= 5, want   # refused with several different causes
    p = run("CASES = %r\n" % cases + CHIP, heap="512K")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == want
