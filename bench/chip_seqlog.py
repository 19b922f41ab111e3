"""The transaction sequence log's power-cut campaign on the chip's own interpreter (the 32-bit
build, frozen firmware, lccrypto): the real Device.sign_tx with its sequence log
(app/seq_log.py, board partition lcseq) on a NOR flash simulated inside MicroPython.

run() -> {figure: {"value", "unit", ...}}:
  seqlog.powercuts_injected      cuts at every program and erase step of SIGN_TX (the log's
                                 record program and its compactions; two cut modes per step),
                                 each followed by a reboot and a Pi that asks again: the last
                                 sequence signed minus one, the one it asked, one below and one
                                 above; goal >= 10,000
  seqlog.powercut_violations     a signature below the highest sequence signed before it for
                                 that account number (an older transaction signed again), a
                                 floor on flash below a sequence whose signature left the chip,
                                 or a log that did not mount after a cut; goal 0
  seqlog.flash_bytes_written     bytes programmed per signature that raised the sequence,
                                 compactions included, over the campaign's signatures
  seqlog.erases                  sector erases per such signature, the same way
A signature of the same sequence again is allowed by design (a transaction CheckTx refused takes
no sequence, and is signed again; docs/sign-policy.md, "The sequence"); it costs no flash.
The NOR simulator is bench/chip_powercut.py's (the store's campaign).
"""

import json
import re
import tempfile
from pathlib import Path

from bench import chip_powercut
from bench.chip_bench import run_chip

REQUESTS = 5600        # SIGN_TX requests (some refused, some repeats: no flash step)
SEEDS = 2              # cut modes tried at each step
CAMPAIGN_HEAP_KIB = 4096

NOR = chip_powercut.SCRIPT.split("SECRET = bytes(range(32))")[0]

CAMPAIGN = NOR + r"""
from lightclient.chip.app.device import Device
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.smp import lc
from lightclient.chip.store.filedev import RamBlockDevice

SECRET = b"\x5a" * 32
REFUSALS = ("sequence_replayed", "sequence_below_proven")
R = Rng(4242)
def rnd(n):
    return bytes(R.bits(n))

store = RecordStore(RamBlockDevice(4096, 16), SECRET, max_value=16384, rng=rnd)
store.format()
store.mount()
flash = Nor(4096, 2)
def boot():
    return Device(store, rnd, seqlog=(flash, SECRET))
d = boot()
d.set_checkpoint(TRUSTED, None, None, False)
PUB = d.generate_account_key(False)
CHAIN = d.trusted.header.chain_id
# the device's own vote (the default limits sign it; a write needs an envelope sealed here)
BODY = ct.tx_body([("/cosmos.gov.v1.MsgVote", proto.varint_field(1, 7) + proto.bytes_field(
    2, ct.bech32_address(PUB)) + proto.varint_field(3, 1))])
ACCOUNTS = (7, 8, 9)

def sign(dev, n, seq):
    # -> the sequence the chip signed (as it read the SignDoc), or None when it refused
    try:
        sig, seen, text = dev.sign_tx(BODY, ct.auth_info(PUB, seq, 200000, [("stake", 500)]),
                                      CHAIN, n)
    except lc.LinkError as e:
        if e.check in REFUSALS:
            return None
        raise
    assert len(sig) == 64
    return seen["sequence"]

highest = {}   # account number -> the highest sequence signed in the main history
raised = repeats = refused = cuts = bad = mount_failed = 0
img = bytearray(len(flash.data))
after = bytearray(len(flash.data))
G = Rng(99)
for i in range(REQUESTS):
    n = ACCOUNTS[G.below(3)] if G.below(8) == 0 else 7
    h = highest.get(n, 0)
    r = G.below(20)
    if r > 2:
        seq = h + 1
    elif r == 2:
        seq = h + 2 + G.below(5)
    else:
        seq = max(0, h - G.below(3))    # the same again, or older
    img[:] = flash.data
    s0 = flash.steps
    out = sign(d, n, seq)
    steps = flash.steps - s0
    after[:] = flash.data
    for k in range(steps):
        for seed in range(SEEDS):
            flash.data[:] = img
            flash.power_on()
            p = boot()
            flash.arm(k, i * 1000 + k * 10 + seed)
            try:
                sign(p, n, seq)
                continue  # not cut: the step was not reached
            except PowerCut:
                pass
            finally:
                flash.power_on()  # and disarmed
            cuts += 1
            p = boot()            # the reboot
            try:
                log = p._sequence_log()
            except lc.LinkError:
                mount_failed += 1
                continue
            branch = dict(highest)
            for m in branch:
                if log.floor(m) < branch[m]:
                    bad += 1
                    print("VIOLATION floor lost", m, branch[m], log.floor(m))
            # the Pi asks again: below the last one signed, the one it asked, around it
            for s in (branch.get(n, 0) - 1, seq, seq - 1, seq + 1):
                if s < 0:
                    continue
                got = sign(p, n, s)
                if got is None:
                    continue
                if got < branch.get(n, 0):
                    bad += 1
                    print("VIOLATION below the floor", n, got, branch.get(n, 0))
                if got > branch.get(n, 0):
                    branch[n] = got
    flash.data[:] = after
    if out is None:
        refused += 1
    elif out < h:
        bad += 1
        print("VIOLATION below the floor", n, out, h)
    elif out == h and n in highest:
        repeats += 1
    else:
        raised += 1
        highest[n] = out
st = d._sequence_log().log.stats
print("CAMPAIGN", json.dumps({"cuts": cuts, "violations": bad, "mount_failed": mount_failed,
                              "raised": raised, "repeats": repeats, "refused": refused,
                              "bytes": st["bytes_programmed"], "erases": st["erases"],
                              "programs": st["programs"], "epoch": d._sequence_log().log.epoch}))
"""


def trusted_checkpoint():
    """A 4-validator trusted state (the chip's checkpoint) of a scenario chain."""
    from lightclient.chip.core import trusted_at_rest
    from lightclient.chip.core.verifier import TrustedState
    from lightclient.scenarionet.chain import Chain, make_validators
    chain = Chain("bench-seq-chain", make_validators(4), 1_700_000_000 * 10**9)
    chain.run(2)
    lb = chain.blocks[1]
    return trusted_at_rest.encode_trusted(TrustedState(lb.signed_header.header,
                                                       lb.next_validators, lb.validators))


def campaign(work, requests=REQUESTS, seeds=SEEDS, script=CAMPAIGN):
    r = run_chip(work, {"REQUESTS": requests, "SEEDS": seeds, "TRUSTED": trusted_checkpoint()},
                 script, CAMPAIGN_HEAP_KIB, timeout=3600)
    m = re.search(r"CAMPAIGN (.*)", r.stdout)
    if r.returncode != 0 or m is None:
        raise RuntimeError("sequence-log power-cut campaign failed (rc %s): %s %s"
                           % (r.returncode, r.stdout[-500:], r.stderr[-1500:]))
    return json.loads(m.group(1))


def run():
    with tempfile.TemporaryDirectory(prefix="chipseqlog-") as d:
        c = campaign(Path(d))
    v = max(c["raised"], 1)
    return {
        "seqlog.powercuts_injected": {
            "value": c["cuts"], "unit": "cuts", "goal": ">= 10000",
            "note": "chip's build, Device.sign_tx with its sequence log: %d requests (%d raised "
                    "the sequence, %d repeated it, %d refused), a cut at every program and "
                    "erase step, %d modes each, reboot, then a Pi asking older and the same "
                    "sequences again" % (REQUESTS, c["raised"], c["repeats"], c["refused"],
                                         SEEDS)},
        "seqlog.powercut_violations": {"value": c["violations"] + c["mount_failed"],
                                       "unit": "cuts", "goal": "0"},
        "seqlog.flash_bytes_written": {
            "value": round(c["bytes"] / v, 1), "unit": "B/signature",
            "note": "a 96-byte record per raised sequence plus compactions, over %d signatures "
                    "(a repeat costs nothing; a store commit writes ~11.7 KB)" % c["raised"]},
        "seqlog.erases": {"value": round(c["erases"] / v, 4), "unit": "erases/signature",
                          "note": "%d erases over %d signatures (a store commit: 3)"
                                  % (c["erases"], c["raised"])},
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
