"""Firmware updates (docs/ota.md): the figures of issue 19.

  ota.upload.seconds.115200 / .921600
      the release image built from the frozen firmware (`mycroft-lc board release build`: the
      freeze manifest's modules compiled by MicroPython 1.27's mpy-cross, in a ROMFS, signed;
      without a chip build: a synthetic image of chip.image.flash_bytes' size), uploaded in SMP image-group
      requests exactly as smpclient sends them (2 KiB of data per request, the chip's answers),
      framed by our SMP serial framing: MEASURED bytes on the line (both directions), divided by
      the line rate (10 bits per byte, 8N1). The chip's flash writes and the turnaround of each
      request are not in it (a real board adds them).
  ota.powercuts_injected
      upload, test, trial boot and confirmation of a release image, the power cut at every
      program and erase of the store and the slots in turn (CPython over the NOR model of
      lightclient/chip/store/filedev.py, the chip's code unchanged, the host's native Ed25519), for several chunk sizes and
      two updates in a row (a 24,000-byte image, chunks of 64 to 4096 bytes); after each cut the board powers up again and must mount its store,
      boot the old or the new image, and that image must pass its check again. `unbootable`
      counts the ones that do not (goal 0).
  chip.release_check.instructions
      the chip's release check of that frozen-size image on its 32-bit interpreter (callgrind,
      job minus setup): the x/releases record decoded (release_image.decode_record, the
      protobuf Release the chain stores), then release_image.check_image: two SHA-256 passes
      over the slot and one Ed25519 verify. The record's ICS23 proof is verified with the
      update that carries it (chip.update.* figures), not here.
"""

import hashlib
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "firmware"))

from lightclient.chip.app import release_image as R  # noqa: E402
from lightclient.chip.crypto import ed25519  # noqa: E402
from lightclient.chip.smp import frame  # noqa: E402
from lightclient.chip.smp import header as H  # noqa: E402

REL_SEED = hashlib.sha256(b"bench release key").digest()
CHUNK = 2048


def frozen_image_bytes():
    try:
        from bench.chip_bench import flash_estimate
        return flash_estimate()[0], "chip.image.flash_bytes estimate"
    except Exception:   # no chip build: the figure the last session measured
        return 406 * 1000, "406 KB (the last measured chip.image.flash_bytes)"


def release_image(size):
    payload = hashlib.sha256(b"frozen").digest() * (size // 32 + 1)
    return R.build_image(payload[:size], "0.2.0", 1, lambda m: ed25519.sign(REL_SEED, m))


def frozen_release_image():
    """(image, how) : the release built from the frozen firmware, else a synthetic one."""
    try:
        from lightclient.hwtest import release_build
        img, s = release_build.build(REL_SEED, "0.2.0", 1)
        return img, "the release build of the frozen firmware (%d modules, ROMFS %d B)" % (
            s["modules"], s["payload_bytes"])
    except Exception as e:   # no mpy-cross (no chip build): the size estimate
        size, source = frozen_image_bytes()
        return release_image(size), "synthetic, %s (release build unavailable: %s)" % (
            source, str(e)[:80])


def wire_bytes(img):
    """Bytes on the line for the whole upload: each request and each answer, framed."""
    total = 0
    sha = hashlib.sha256(img).digest()
    off, seq = 0, 0
    while off < len(img):
        p = {"off": off, "data": img[off:off + CHUNK]}
        if off == 0:
            p.update({"image": 0, "len": len(img), "sha": sha})
        req = H.encode_message(H.Header(H.OP_WRITE, 1, 1, seq & 0xFF, 0, H.V2), p)
        off += len(p["data"])
        rsp = H.encode_message(H.Header(H.OP_WRITE + 1, 1, 1, seq & 0xFF, 0, H.V2), {"off": off})
        total += len(frame.encode_packet(req)) + len(frame.encode_packet(rsp))
        seq += 1
    return total, seq


CUT_IMAGE = 24000                        # bytes: most of the tests' 32 KiB slots
CUT_CHUNKS = (64, 128, 256, 512, 1024, 2048, 4096)


def powercuts():
    import lightclient.native  # noqa: F401  (OpenSSL's Ed25519 on the host: the sweep's time)
    import test_fw_ota as T
    # larger images than the tests' (more flash operations to cut), approved the same way
    T.V2 = T.image("0.2.0", 1, size=CUT_IMAGE)
    T.V3 = T.image("0.3.0", 2, size=CUT_IMAGE)
    T.APPROVED = [(T.V2, 1, "0.2.0"), (T.V3, 2, "0.3.0")]
    chain = T.ReleaseChain(b"\x42" * 32)
    base = T.provisioned(chain, approve=(T.V2, T.V3))
    cuts = unbootable = 0
    for first_chunk in CUT_CHUNKS:
        for second in (False, True):
            start = base
            if second:   # V2 already confirmed: the cut lands in the update to V3
                start = T.provisioned(chain, approve=(T.V2, T.V3))
                start.upload(T.V2)
                start.test_image(T.V2)
                start.boot()
                start.confirm()
            snap = start.snapshot()
            n = 0
            while True:
                b = T.Board(flash=snap)
                b, finished = _update(T, b, n, T.V3 if second else T.V2, first_chunk)
                if not _bootable(T, b, ("0.2.0", "0.3.0") if second else ("0.1.0", "0.2.0")):
                    unbootable += 1
                if finished:
                    break
                cuts += 1
                n += 1
    return cuts, unbootable


def _update(T, b, budget_at, img, chunk):
    budget = [budget_at]
    b.store_dev = T.CuttingDevice(b.store_dev, budget)
    b.slot_devs = [T.CuttingDevice(d, budget) for d in b.slot_devs]
    b.otadata_dev = T.CuttingDevice(b.otadata_dev, budget)
    try:
        b.boot()
        b.upload(img, chunk=chunk)
        b.test_image(img)
        b.boot()
        b.confirm()
        finished = True
    except T.Cut:
        finished = False
    b.store_dev = b.store_dev.dev
    b.slot_devs = [d.dev for d in b.slot_devs]
    b.otadata_dev = b.otadata_dev.dev
    b.boot()
    return b, finished


def _bootable(T, b, allowed):
    d = b.fw.device
    if d.store is None or d.ota is None:
        return False
    st = d.ota.state()
    info = st["i"][st["a"]]
    if info is None or info["v"] not in allowed:
        return False
    if st["a"] == 1:   # the image it boots still passes the release check
        try:
            d.ota.check(1, info["n"])
        except Exception:
            return False
    return True


CHECK_SETUP = r"""
from lightclient.chip.app import release_image as R
f = open(IMAGE, "rb")
def read(off, n):
    f.seek(off)
    return f.read(n)
"""

CHECK_JOB = r"""
r = R.decode_record(RECORD_KEY, RECORD_VALUE)
m = R.check_image(read, LENGTH, KEY, {r["h"]: r["sv"]}, 0)
assert m["v"] == "0.2.0"
print("CHECKED")
"""


def release_check_instructions(img):
    from bench import chip_bench
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        (work / "image.bin").write_bytes(img)
        key, value = R.record_for(img, 1, "0.2.0", "esp32-devkitc", 1)
        consts = {"IMAGE": str(work / "image.bin"), "RECORD_KEY": key, "RECORD_VALUE": value,
                  "LENGTH": len(img), "KEY": ed25519.public_key(REL_SEED)}
        n, _, _ = chip_bench.job_instructions(work, consts, CHECK_SETUP, CHECK_JOB, "CHECKED",
                                              chip_bench.BOARD_HEAP_KIB)
        return n


def run():
    img, source = frozen_release_image()
    wire, requests = wire_bytes(img)
    figs = {}
    for baud in (115200, 921600):
        figs["ota.upload.seconds.%d" % baud] = {
            "value": round(wire * 10 / baud, 1), "unit": "s",
            "how": "measured SMP bytes on the line (%d requests + answers, %d B for a %d B "
                   "image: %s) / line rate; flash writes and turnarounds not included"
                   % (requests, wire, len(img), source)}
    cuts, bad = powercuts()
    figs["ota.powercuts_injected"] = {"value": cuts, "unit": "cuts", "goal": ">= 1000",
                                      "unbootable": bad,
                                      "how": "CPython over the NOR model, the chip's code"}
    figs["ota.powercuts_unbootable"] = {"value": bad, "unit": "boards", "goal": "0"}
    try:
        figs["chip.release_check.instructions"] = {
            "value": release_check_instructions(img), "unit": "instructions",
            "how": "callgrind on the 32-bit chip interpreter, %d B image" % len(img)}
    except Exception as e:   # no chip build or no valgrind: say so, keep the other figures
        print("chip.release_check.instructions not measured: %r" % e, file=sys.stderr)
    return figs


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=1))
