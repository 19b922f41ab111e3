"""Write a build (lightclient/hwtest/image.py) to a board with esptool, read it back to verify, and
turn esptool's failures into messages a tester can act on.

Order of checks, cheapest and safest first: the build directory's parts are re-hashed and
checked against their partitions (an oversize image is refused before the chip is touched), the
serial port must exist and be readable and writable, then esptool runs `write-flash` (progress
shown), then `verify-flash` reads everything back.
"""

import os
import re
import select
import subprocess
import sys
import time

from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.image import load_build

DEFAULT_BAUD = 460800
OUTPUT_TAIL = 64 * 1024     # bytes of esptool output kept for the diagnosis

_PROGRESS = re.compile(r"(Writing|Verifying|Reading) at (0x[0-9a-fA-F]+)\D*?(\d+(?:\.\d+)?)\s*%")
# verify-flash prints no percentages: one line per part before its read-back, one after it
_VERIFY_START = re.compile(r"Verifying 0x[0-9a-fA-F]+ \((\d+)\) bytes (?:at|@) (0x[0-9a-fA-F]+)")
_VERIFY_OK = re.compile(r"Verification successful")
_WRONG_CHIP = re.compile(r"This chip is (\S+), not (\S+)\.")
# esptool read the ROM's boot line ("rst:0x1 (POWERON_RESET),boot:0x3 (...)") after its reset
# and the loader never answered. The value is the strapping pins; on the ESP32 bit 4 is IO0.
_BOOT_MODE = re.compile(r"Wrong boot mode detected \((0x[0-9a-fA-F]+)\)")
IO0_BIT = {"esp32": 0x10}


def _esptool(board, port, baud, before, after, connect_attempts, no_stub):
    cmd = [sys.executable, "-m", "esptool", "--chip", board.chip, "--port", port,
           "--baud", str(baud), "--before", before, "--after", after,
           "--connect-attempts", str(connect_attempts)]
    if no_stub:
        cmd.append("--no-stub")
    return cmd


def _addr_files(manifest, build_dir, merged):
    if merged:
        m = manifest["merged"]
        return [hex(m["offset"]), os.path.join(build_dir, m["file"])]
    out = []
    for p in manifest["parts"]:
        out += [hex(p["offset"]), os.path.join(build_dir, p["file"])]
    return out


def commands(build_dir, port, board=None, baud=DEFAULT_BAUD, merged=False, erase_all=False,
             verify=True, before="default-reset", after="hard-reset", connect_attempts=7,
             no_stub=False):
    """(manifest, board, [write command, verify command]) for a build directory.

    The parts are written at their own offsets by default, so the nvs partition (Wi-Fi
    settings) and the secure store between them keep their content; `merged` writes the one
    merged file instead (FF over the gaps, as MicroPython's download does). write-flash checks
    each part's MD5 as it goes; verify-flash then reads everything back in a second session.
    With the automatic reset (default-reset) each session resets the chip into its ROM loader;
    with before=no-reset (BOOT held by hand) the write leaves the chip in the loader
    (after=no-reset) and the verify session finds it there (use --baud 115200 then: the stub
    keeps the write's speed)."""
    manifest, board = load_build(build_dir, board)
    pairs = _addr_files(manifest, build_dir, merged)
    manual = before != "default-reset" and before != "usb-reset"
    write_after = "no-reset" if verify and manual else after
    write = _esptool(board, port, baud, before, write_after, connect_attempts, no_stub)
    write += ["write-flash", "--flash-mode", "keep", "--flash-freq", "keep", "--flash-size",
              "keep"]
    if erase_all:
        write.append("--erase-all")
    cmds = [write + pairs]
    if verify:
        v = _esptool(board, port, baud, before, after, connect_attempts, no_stub)
        cmds.append(v + ["verify-flash", "--flash-mode", "keep", "--flash-freq", "keep",
                         "--flash-size", "keep"] + pairs)
    return manifest, board, cmds


def check_port(port):
    """The serial port exists and this user may open it (before esptool runs). A pyserial
    URL (socket://host:port, rfc2217://...: a networked serial bridge, or a mock bootloader)
    has no file to check; esptool's connection tells."""
    if re.match(r"[a-z][a-z0-9+]*://", port):
        return
    if not os.path.exists(port):
        raise HwTestError("port_missing", "serial port %s does not exist" % port,
                          hint="plug the board in and look for it in `ls /dev/ttyUSB* "
                               "/dev/ttyACM*` (or `python -m serial.tools.list_ports`)")
    if not os.access(port, os.R_OK | os.W_OK):
        raise HwTestError("port_permission", "no permission to open %s" % port,
                          hint="add yourself to the port's group (`sudo usermod -aG dialout "
                               "$USER`, then log out and in) or run from a user that has it")


def _boot_mode_error(mode, chip):
    """The ROM booted in `mode` instead of its serial loader. On an ESP32 with IO0 low (the
    reset lines asked for download mode) and still no loader, the ROM refused: its eFuse
    UART_DOWNLOAD_DIS is burned, as `board provision --release` does (it prints "Download mode
    is disabled. Restart with GPIO0 high."). Nothing was read or written."""
    bit = IO0_BIT.get(chip)
    if bit is not None and not mode & bit:
        return HwTestError("download_disabled", "download mode disabled by eFuse (release "
                           "board): the ROM refused its serial loader (boot mode 0x%x), nothing "
                           "was read or written" % mode,
                           hint="a release board takes firmware only as a release approved on "
                                "chain, over SMP (docs/ota.md); its flash cannot be read or "
                                "rewritten over the UART", boot_mode=mode)
    return HwTestError("not_download_mode", "the chip booted from flash (boot mode 0x%x): IO0 "
                       "was not low when it left reset" % mode,
                       hint="the board's auto-reset circuit did not pull IO0 low: hold BOOT, "
                            "tap EN/RST, release BOOT, and run again with --before no-reset",
                       boot_mode=mode)


def diagnose(output, returncode, phase, last_progress, chip=None):
    """esptool's output and exit code -> HwTestError saying what happened and what to do."""
    boot = _BOOT_MODE.search(output)
    if boot:
        return _boot_mode_error(int(boot.group(1), 16), chip)
    wrong = _WRONG_CHIP.search(output)
    if wrong:
        return HwTestError("wrong_chip", "the chip on the port is an %s, the board definition "
                           "says %s" % (wrong.group(1), wrong.group(2)),
                           hint="pick the board that matches the hardware (--board); nothing "
                                "was written", detected=wrong.group(1))
    if "Could not open" in output or "could not open port" in output:
        if "Permission denied" in output:
            return HwTestError("port_permission", "no permission to open the serial port",
                               hint="sudo usermod -aG dialout $USER, then log out and in")
        if "No such file" in output:
            return HwTestError("port_missing", "the serial port went away",
                               hint="check the cable; the port name may change on re-plug")
        return HwTestError("port_busy", "the serial port is busy",
                           hint="close serial monitors / other esptool runs on it "
                                "(`fuser -v PORT` shows who holds it)")
    if "will not fit in" in output:
        return HwTestError("flash_too_small", "the board's flash is smaller than the board "
                           "definition says", hint="check the module's flash size (esptool "
                           "flash-id) and pick the matching board definition")
    if "Failed to connect" in output or "No serial data received" in output:
        return HwTestError("no_answer", "the chip did not answer on the port",
                           hint="check it is the USB-serial of the ESP32 (not the Pi's UART); "
                                "hold BOOT, tap EN/RST, release BOOT, and run again; lower "
                                "--baud on long cables")
    if "Verification failed" in output or "MD5 of file does not match" in output:
        return HwTestError("verify_failed", "what the flash holds differs from the image",
                           hint="flash again; if it fails again the flash chip or the power "
                                "supply is suspect")
    if last_progress is not None:
        return HwTestError("write_interrupted", "the %s stopped at %s (%s%%), esptool exit %d"
                           % (phase, last_progress[0], last_progress[1], returncode),
                           hint="run the same command again: the board is not bricked, its "
                                "ROM bootloader is in mask ROM and always takes a new image "
                                "(hold BOOT while resetting if it does not enter download mode)")
    tail = output.strip().splitlines()[-3:]
    return HwTestError("esptool_failed", "esptool %s failed (exit %d): %s"
                       % (phase, returncode, " / ".join(tail)),
                       hint="run again with --verbose to see esptool's full output")


def run_esptool(cmd, phase, progress=None, timeout=900):
    """Run one esptool command; progress(phase, address, percent) on each progress line.
    Returns the output; raises the diagnosed HwTestError on a non-zero exit."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    out = bytearray()
    last = None
    buf = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                raise HwTestError("esptool_timeout", "esptool %s ran longer than %d s"
                                  % (phase, timeout), hint="run the same command again")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            out += chunk
            del out[:-OUTPUT_TAIL]
            buf += chunk
            *lines, buf = re.split(rb"[\r\n]", buf)
            buf = buf[-4096:]
            for line in lines:
                text = line.decode("utf-8", "replace")
                m = _PROGRESS.search(text)
                if m:
                    last = (m.group(2), m.group(3))
                    if progress:
                        progress(phase, m.group(2), float(m.group(3)))
                    continue
                m = _VERIFY_START.search(text)
                if m:
                    last = (m.group(2), "0")
                    if progress:
                        progress(phase, m.group(2), 0.0)
                elif _VERIFY_OK.search(text) and last is not None:
                    address, last = last[0], (last[0], "100")
                    if progress:
                        progress(phase, address, 100.0)
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode("utf-8", "replace")
    if rc != 0:
        chip = cmd[cmd.index("--chip") + 1] if "--chip" in cmd else None
        err = diagnose(text, rc, phase, last, chip)
        err.details["esptool_output_tail"] = text[-2000:]
        raise err
    return text


def part_at(manifest, address):
    """Name of the build part a flash address falls in (progress lines name what is written)."""
    a = int(address, 16) if isinstance(address, str) else address
    for p in manifest["parts"]:
        if p["offset"] == a:   # a part starting where the one before ends (vfs, otadata)
            return p["name"]
    for p in manifest["parts"]:
        # end inclusive: esptool's 100 % line names the address just past what it wrote
        if p["offset"] <= a <= p["offset"] + p["size"]:
            return p["name"]
    return "merged" if manifest["merged"]["offset"] <= a else "?"


def flash(build_dir, port, board=None, progress=None, log=None, **options):
    """Check, write, verify. progress(phase, address, percent, part) on each progress line.
    Returns a result dict (port, board, seconds, commands)."""
    t0 = time.monotonic()
    manifest, board, cmds = commands(build_dir, port, board, **options)
    check_port(port)
    user_progress = progress
    if user_progress is not None:
        def progress(phase, address, percent):
            user_progress(phase, address, percent,
                          "merged" if options.get("merged") else part_at(manifest, address))
    phases = ["write", "verify"][:len(cmds)]
    for phase, cmd in zip(phases, cmds):
        if log:
            log("$ " + " ".join(cmd[2:] if cmd[0] == sys.executable else cmd))
        run_esptool(cmd, phase, progress)
    return {"port": port, "board": board.name, "firmware_hash": manifest["firmware_hash"],
            "verified": len(cmds) == 2, "seconds": round(time.monotonic() - t0, 1),
            "commands": [" ".join(c) for c in cmds]}
