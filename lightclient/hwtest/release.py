"""Locking a release board with espefuse: flash encryption in release mode, Secure Boot V2 where
the silicon qualifies, the ROM download mode disabled (or secure download mode where the chip has
it), JTAG off. `mycroft-lc board provision --release` drives it (docs/hardware-testers.md,
"Release boards").

The eFuses are read first and the whole plan printed; burning needs an explicit confirmation.
The steps run in one fixed order, each its own espefuse call, so a power cut lands between two
of them or inside one:

  1. the keys (flash encryption key, secure boot public-key digest): a written key turns nothing
     on, the board boots as before;
  2. the download-path hardening (no manual encryption, no cache in download mode);
  3. flash encryption on (its counter fully burned: release mode, never off again);
  4. secure boot on (and the unused digest slots revoked);
  5. JTAG off;
  6. the ROM download mode disabled or made secure: last, so a board stays re-flashable until
     everything before it is in place.

Every run reads the eFuses again and starts at the first step not complete: a step cut short
is finished (bit fields only ever gain bits), while a key block holding something other than
what this tool writes is reported and nothing more is burned. `safe_to_boot()` is the invariant
the tests check after every possible cut.

What is verified here: the fuses, their values and their order on espefuse's virtual eFuses.
What needs real silicon: that the board's bootloader and application are the signed, encrypted
release images before step 3 (so a real port is refused until that build exists, see
docs/hardware-testers.md).
"""

import contextlib
import io
import json
import os
import tempfile

from lightclient.chip.app import efuse_state
from lightclient.hwtest.errors import HwTestError

# Which key block holds what on chips with key purposes (ESP32-S3 / -C3); the original ESP32
# has fixed blocks (BLOCK1: flash encryption, BLOCK2: secure boot digest).
FE_BLOCK, SB_BLOCK = 0, 1
PURPOSE_XTS_AES_128 = 4
PURPOSE_SB_DIGEST0 = 9


class Step:
    """One espefuse call. `fuses`: {name: value} burned by burn-efuse (only those not yet at
    their value); `key`: ("fe" | "sb") for a key step."""

    def __init__(self, name, why, fuses=None, key=None):
        self.name = name
        self.why = why
        self.fuses = fuses or {}
        self.key = key

    def to_dict(self):
        d = {"step": self.name, "why": self.why}
        if self.fuses:
            d["fuses"] = dict(self.fuses)
        if self.key:
            d["key"] = self.key
        return d


def _raw(summary, name):
    v = summary[name]["raw_value"]
    return int(v, 16) if isinstance(v, str) else int(v)


def _block(summary, name):
    """A key block's bytes as espefuse shows them ("00 11 22 ..."), in burn order; None for a
    read-protected block (espefuse shows "?? ??...")."""
    f = summary[name]
    if not f.get("readable", True):
        return None
    return bytes.fromhex(str(f["value"]).replace(" ", ""))


def revision(summary):
    return int(summary["WAFER_VERSION_MAJOR"]["value"])


def secure_boot_qualifies(board, summary):
    """The board definition's minimum silicon revision for Secure Boot V2 (the original ESP32:
    3, "ECO3"): older chips only have V1, which this tool does not burn."""
    need = board.raw["features"].get("secure_boot_v2_min_revision")
    return need is not None and revision(summary) >= need


def download_lock(board, summary):
    """(fuse, value) that locks the ROM download mode, or None when this silicon has none."""
    lock = board.raw["features"].get("download_lock")
    if lock == "secure":
        return "ENABLE_SECURITY_DOWNLOAD", 1
    if lock == "disable" and revision(summary) >= board.raw["features"].get(
            "download_lock_min_revision", 0):
        return ("UART_DOWNLOAD_DIS" if board.chip == "esp32" else "DIS_DOWNLOAD_MODE"), 1
    return None


def plan(board, summary):
    """-> (steps in order, [(what, why not)] left out on this chip)."""
    chip = board.chip
    sb = secure_boot_qualifies(board, summary)
    lock = download_lock(board, summary)
    skipped = []
    steps = [Step("flash_encryption_key", "a new random 256-bit key, made now, read- and "
                  "write-protected; this tool keeps no copy", key="fe")]
    if sb:
        steps.append(Step("secure_boot_key", "the SHA-256 digest of the release signing "
                          "key's public key (RSA-3072)", key="sb"))
    else:
        skipped.append(("secure_boot_v2", "silicon revision %d; the board definition asks for "
                        "%s" % (revision(summary), board.raw["features"].get(
                            "secure_boot_v2_min_revision", "a board that supports it"))))
    if chip == "esp32":
        steps.append(Step("download_hardening", "the ROM loader can no longer encrypt, decrypt "
                          "or cache flash", {"DISABLE_DL_ENCRYPT": 1, "DISABLE_DL_DECRYPT": 1,
                                              "DISABLE_DL_CACHE": 1}))
        steps.append(Step("flash_encryption_on", "every counter bit: on, and never off again",
                          {"FLASH_CRYPT_CONFIG": 0xF, "FLASH_CRYPT_CNT": 0x7F}))
        if sb:
            steps.append(Step("secure_boot_on", "the bootloader checks the release signature",
                              {"ABS_DONE_1": 1}))
        steps.append(Step("jtag_off", "no debugger can read the RAM", {"JTAG_DISABLE": 1,
                                                                        "CONSOLE_DEBUG_DISABLE": 1}))
    else:
        hard = {"DIS_DOWNLOAD_MANUAL_ENCRYPT": 1, "DIS_DOWNLOAD_ICACHE": 1}
        if "DIS_DOWNLOAD_DCACHE" in summary:
            hard["DIS_DOWNLOAD_DCACHE"] = 1
        steps.append(Step("download_hardening", "the ROM loader can no longer encrypt or "
                          "cache flash", hard))
        steps.append(Step("flash_encryption_on", "every counter bit: on, and never off again",
                          {"SPI_BOOT_CRYPT_CNT": 7}))
        if sb:
            steps.append(Step("secure_boot_on", "the bootloader checks the release signature; "
                              "the two unused digest slots are revoked",
                              {"SECURE_BOOT_EN": 1, "SECURE_BOOT_KEY_REVOKE1": 1,
                               "SECURE_BOOT_KEY_REVOKE2": 1}))
        steps.append(Step("jtag_off", "no debugger can read the RAM",
                          {"DIS_PAD_JTAG": 1, "DIS_USB_JTAG": 1}))
    if lock:
        steps.append(Step("download_mode_locked", "a Pi can no longer reboot the chip into a "
                          "loader that reads or writes its flash (last: until here the board "
                          "can be re-flashed)", {lock[0]: lock[1]}))
    else:
        skipped.append(("download_mode", "silicon revision %d cannot disable the ROM download "
                        "mode (ESP32 from revision 3)" % revision(summary)))
    return steps, skipped


# --- where a board stands --------------------------------------------------------------------

def _rd_dis(summary, bit):
    return bool(_raw(summary, "RD_DIS") >> bit & 1)


def _key_state(board, summary, key, sb_digest):
    """"done", "empty", or raises HwTestError for a block this tool cannot finish."""
    if board.chip == "esp32":
        name, block_bit = ("BLOCK1", 0) if key == "fe" else ("BLOCK2", 1)
        data = _block(summary, name)
        if key == "fe":
            if _rd_dis(summary, block_bit):
                return "done"
            if any(data):
                _key_conflict(name, "holds a key that is not read-protected (a burn cut short "
                              "between the key and its protection): it is readable")
            return "empty"
    else:
        idx = FE_BLOCK if key == "fe" else SB_BLOCK
        name = "BLOCK_KEY%d" % idx
        purpose = _raw(summary, "KEY_PURPOSE_%d" % idx)
        want = PURPOSE_XTS_AES_128 if key == "fe" else PURPOSE_SB_DIGEST0
        data = _block(summary, name)
        if key == "fe":
            if purpose == want and _rd_dis(summary, idx):
                return "done"
            if purpose or data is None or any(data):
                _key_conflict(name, "holds data or purpose %d, not a protected flash encryption "
                              "key" % purpose)
            return "empty"
        if purpose not in (0, want):
            _key_conflict(name, "has key purpose %d, not the secure boot digest" % purpose)
    # the secure boot digest: readable, compared with the release key's
    if data is not None and not any(data) and (
            board.chip == "esp32" or not _raw(summary, "KEY_PURPOSE_%d" % SB_BLOCK)):
        return "empty"
    if sb_digest is None or data == sb_digest:
        return "done"   # (without the release key, as in a dry run, a digest is taken as it is)
    _key_conflict(name, "holds a secure boot digest that is not the release key's")


def _key_conflict(block, what):
    raise HwTestError("efuse_conflict", "%s %s; this tool burns nothing more on this chip"
                      % (block, what), hint="the board still boots as it is (nothing after "
                      "the keys was burned); keep it out of the release trays")


def pending(step, board, summary, sb_digest):
    """{fuse: value} still to burn for a fuse step ({} when complete); for a key step,
    {"key": ...} when it is still to burn."""
    if step.key:
        return {} if _key_state(board, summary, step.key, sb_digest) == "done" \
            else {"key": step.key}
    return {f: v for f, v in step.fuses.items() if _raw(summary, f) & v != v}


def safe_to_boot(board, summary, sb_digest=None):
    """The eFuse side of "never unbootable, never unfinishable": what is switched on has its key
    in place, and download mode is locked only once encryption (and secure boot where it
    qualifies) is on. -> list of violations (empty: fine)."""
    bad = []
    chip = board.chip
    if chip == "esp32":
        fe_on = bin(_raw(summary, "FLASH_CRYPT_CNT")).count("1") % 2 == 1
        sb_on = bool(_raw(summary, "ABS_DONE_1"))
        locked = bool(_raw(summary, "UART_DOWNLOAD_DIS"))
    else:
        fe_on = bin(_raw(summary, "SPI_BOOT_CRYPT_CNT")).count("1") % 2 == 1
        sb_on = bool(_raw(summary, "SECURE_BOOT_EN"))
        locked = bool(_raw(summary, "ENABLE_SECURITY_DOWNLOAD") or
                      _raw(summary, "DIS_DOWNLOAD_MODE"))
    try:
        fe_key = _key_state(board, summary, "fe", None) == "done"
    except HwTestError:
        fe_key = False
    try:
        sb_key = _key_state(board, summary, "sb", sb_digest) == "done"
    except HwTestError:
        sb_key = False
    if fe_on and not fe_key:
        bad.append("flash encryption on without its protected key")
    if sb_on and not sb_key:
        bad.append("secure boot on without the release key's digest")
    if locked and not (fe_on and (sb_on or not secure_boot_qualifies(board, summary))):
        bad.append("download mode locked before the board was fully protected")
    return bad


# --- espefuse ---------------------------------------------------------------------------------

class Espefuse:
    """espefuse (from esptool) on a serial port, or on a virtual eFuse file (`--virt
    --path-efuse-file`: no hardware, what the tests use). Called in this process (its `main`,
    the command line's own entry): the steps cost no new interpreter each."""

    def __init__(self, chip, port=None, efuse_file=None, baud=115200):
        if (port is None) == (efuse_file is None):
            raise HwTestError("efuse_target", "give a serial port or a virtual eFuse file")
        self.chip = chip
        self.virtual = efuse_file is not None
        self.efuse_file = efuse_file
        self.base = ["--chip", chip]
        self.base += (["--virt", "--path-efuse-file", efuse_file] if self.virtual
                      else ["--port", port, "--baud", str(baud)])

    def _run(self, args, confirm=False):
        import espefuse
        argv = self.base + (["--do-not-confirm"] if confirm else []) + args
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                espefuse.main(argv)
        except (Exception, SystemExit) as e:
            code = getattr(e, "code", 1)
            if isinstance(e, SystemExit) and not code:
                return out.getvalue()
            tail = " / ".join(out.getvalue().strip().splitlines()[-2:] + [str(e)])
            raise HwTestError("espefuse", "espefuse %s failed: %s" % (args[0], tail[-600:]),
                              hint="nothing after this step was burned; read the eFuses "
                                   "again (dry run) before anything else")
        return out.getvalue()

    def summary(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "summary.json")
            self._run(["summary", "--format", "json", "--file", out])
            with open(out) as f:
                return json.load(f)

    def burn_fuses(self, fuses):
        args = ["burn-efuse"]
        for name, value in fuses.items():
            args += [name, hex(value)]
        self._run(args, confirm=True)

    def burn_flash_encryption_key(self):
        """A new key straight from the OS's random source into a private file espefuse reads,
        removed at once: it exists nowhere but in the chip's read-protected block."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "k")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, os.urandom(32))
            finally:
                os.close(fd)
            try:
                if self.chip == "esp32":
                    self._run(["burn-key", "flash_encryption", path], confirm=True)
                else:
                    self._run(["burn-key", "BLOCK_KEY%d" % FE_BLOCK, path, "XTS_AES_128_KEY"],
                              confirm=True)
            finally:
                with open(path, "r+b") as f:
                    f.write(b"\0" * 32)
                os.unlink(path)

    def burn_secure_boot_digest(self, pubkey_pem):
        if self.chip == "esp32":
            self._run(["burn-key-digest", pubkey_pem], confirm=True)
        else:
            self._run(["burn-key-digest", "BLOCK_KEY%d" % SB_BLOCK, pubkey_pem,
                       "SECURE_BOOT_DIGEST0"], confirm=True)


def sbv2_digest(pubkey_pem):
    """The digest the chip holds for a Secure Boot V2 key (espsecure's own computation)."""
    import espsecure
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "digest")
        try:
            with open(pubkey_pem, "rb") as f, contextlib.redirect_stdout(io.StringIO()):
                espsecure.digest_sbv2_public_key(f, out)
        except (OSError, ValueError) as e:
            raise HwTestError("secure_boot_key", "cannot read the release key %s: %s"
                              % (pubkey_pem, e), hint="an RSA-3072 public key in PEM "
                              "(espsecure extract-public-key --version 2)")
        with open(out, "rb") as f:
            return f.read()


SECURITY_FIELDS = ("FLASH_CRYPT_CNT", "FLASH_CRYPT_CONFIG", "SPI_BOOT_CRYPT_CNT", "ABS_DONE_1",
                   "SECURE_BOOT_EN", "UART_DOWNLOAD_DIS", "DIS_DOWNLOAD_MODE",
                   "ENABLE_SECURITY_DOWNLOAD", "JTAG_DISABLE", "DIS_PAD_JTAG", "DIS_USB_JTAG",
                   "RD_DIS", "KEY_PURPOSE_0", "KEY_PURPOSE_1", "WAFER_VERSION_MAJOR",
                   "DISABLE_DL_ENCRYPT", "DISABLE_DL_DECRYPT", "DISABLE_DL_CACHE",
                   "DIS_DOWNLOAD_MANUAL_ENCRYPT", "SECURE_BOOT_KEY_REVOKE1",
                   "SECURE_BOOT_KEY_REVOKE2", "CONSOLE_DEBUG_DISABLE")


def security_view(summary):
    return {k: summary[k]["raw_value"] for k in SECURITY_FIELDS if k in summary}


def mac(summary):
    v = summary.get("MAC", {}).get("value", "")
    return str(v).split(" ")[0]


# --- the run ----------------------------------------------------------------------------------

def run(board, fuse, sb_pubkey=None, burn=False, confirm=None, log=None, record=None,
        cut_after=None):
    """Reads the eFuses, prints the plan, and with burn=True (and `confirm` equal to the chip's
    MAC) burns what is pending, step by step. `record(dict)` is called after every step with
    what was burned so far (the tool writes it atomically). cut_after: stop after that many
    steps were burned in this run (the tests' power cut between steps).
    -> the record dict."""
    say = log or (lambda s: None)
    before = fuse.summary()
    sb_digest = sbv2_digest(sb_pubkey) if sb_pubkey else None
    steps, skipped = plan(board, before)
    if burn and any(s.key == "sb" for s in steps) and sb_digest is None:
        raise HwTestError("secure_boot_key", "this board qualifies for Secure Boot V2: give the "
                          "release signing key's public key (--secure-boot-key PEM)")
    rec = {"board": board.name, "chip": board.chip, "mac": mac(before),
           "revision": revision(before), "virtual": fuse.virtual, "dry_run": not burn,
           "efuses_before": security_view(before), "plan": [s.to_dict() for s in steps],
           "not_burned": [{"what": w, "why": y} for w, y in skipped], "burned": [],
           "already": []}
    say("eFuses of %s (%s, revision %d%s):" % (rec["mac"], board.chip, rec["revision"],
                                              ", virtual" if fuse.virtual else ""))
    for k, v in sorted(rec["efuses_before"].items()):
        say("  %-28s %s" % (k, v))
    todo = []
    for s in steps:
        p = pending(s, board, before, sb_digest)
        (todo.append((s, p)) if p else rec["already"].append(s.name))
        say("  %-22s %-8s %s" % (s.name, "pending" if p else "done", s.why))
        for f, v in (p.items() if p and not s.key else ()):
            say("      burn %s = %s" % (f, hex(v)))
    for w, y in skipped:
        say("  %-22s %-8s %s" % (w, "not here", y))
    if not burn:
        say("dry run: nothing burned (add --burn --confirm %s to burn; IRREVERSIBLE)" % rec["mac"])
        return _finish(rec, fuse, board, before, sb_digest)
    if not fuse.virtual:
        raise HwTestError("release_images", "release burns on a real board are refused: the "
                          "board must first run a bootloader and application signed with the "
                          "release key and encrypted with its flash key, which this project "
                          "does not build yet", hint="the dry run shows the plan; "
                          "docs/hardware-testers.md says what needs real silicon")
    if confirm != rec["mac"]:
        raise HwTestError("confirm", "burning eFuses is irreversible: --confirm must name this "
                          "chip's MAC (%s)" % rec["mac"])
    for n, (s, p) in enumerate(todo):
        if cut_after is not None and n >= cut_after:
            say("stopped after %d step(s) (cut)" % n)
            break
        say("burning %s ..." % s.name)
        if s.key == "fe":
            fuse.burn_flash_encryption_key()
        elif s.key == "sb":
            fuse.burn_secure_boot_digest(sb_pubkey)
        else:
            fuse.burn_fuses(p)
        rec["burned"].append({"step": s.name, "fuses": p if not s.key else {"key": s.key}})
        if record:
            record(rec)
    return _finish(rec, fuse, board, None, sb_digest)


# espefuse's virtual file: the eFuse controller's registers from this base, stored back to front
# (emulate_efuse_controller_base.py), so a word at address A sits at len - (A - base) - 4.
EFUSE_BASE = {"esp32": 0x3FF5A000, "esp32s3": 0x60007000, "esp32c3": 0x60008800}


def virtual_block0_reader(chip, efuse_file):
    """read_word(i) over a virtual eFuse file: what the chip's firmware reads from BLOCK0's
    registers (lightclient/chip/app/efuse_state.py)."""
    with open(efuse_file, "rb") as f:
        mem = f.read()
    first = efuse_state.BLOCK0_READ[chip] - EFUSE_BASE[chip]

    def read_word(i):
        at = len(mem) - (first + 4 * i) - 4
        return int.from_bytes(mem[at:at + 4], "big")
    return read_word


def _finish(rec, fuse, board, summary, sb_digest):
    after = summary if summary is not None else fuse.summary()
    if fuse.virtual:   # what the firmware will say about itself, from the same words
        rec["key_protection"] = efuse_state.key_protection(
            board.chip, virtual_block0_reader(board.chip, fuse.efuse_file))
    rec["efuses_after"] = security_view(after)
    steps, _ = plan(board, after)
    rec["complete"] = all(not pending(s, board, after, sb_digest) for s in steps)
    rec["safe_to_boot"] = not safe_to_boot(board, after, sb_digest)
    return rec
