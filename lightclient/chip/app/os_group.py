# SMP OS management group (0): echo, reset, mcumgr parameters, OS/application info.
# Payloads as Zephyr's os_mgmt and the smp package define them (docs/smp-link.md).

from lightclient.chip.smp import header as H

from lightclient.chip.app import common as F

MAX_ECHO = 256

# Zephyr's format letters; "a" is all of them.
_INFO_ORDER = "snrvbmpio"


def echo(fw, p, now_ms):
    return {"r": F.field(p, "d", "str", required=True, max_len=MAX_ECHO)}


def reset(fw, p, now_ms):
    F.field(p, "force", "uint")
    fw.reset_pending = True  # the shell reboots once this answer is on the line
    return {}


def mcumgr_params(fw, p, now_ms):
    return {"buf_size": F.MAX_MESSAGE, "buf_count": 1}


def info(fw, p, now_ms):
    fmt = F.field(p, "format", "str", default="s", max_len=16)
    i = fw.info
    parts = {
        "s": "MicroPython",
        "n": i.get("board", "unknown"),
        "r": i.get("release", ""),
        "v": "mycroft-lc-fw " + F.FIRMWARE_VERSION,
        "b": i.get("build", ""),
        "m": i.get("machine", ""),
        "p": i.get("chip", ""),
        "i": i.get("board", ""),
        "o": "MicroPython",
    }
    if "a" in fmt:
        fmt = _INFO_ORDER
    out = []
    for ch in fmt:
        if ch not in parts:
            raise F.bad_request("unknown format letter", letter=ch)
        out.append(parts[ch])
    return {"output": " ".join(out)}


COMMANDS = {
    H.OS_ECHO: (H.OP_WRITE, echo),
    H.OS_RESET: (H.OP_WRITE, reset),
    H.OS_MCUMGR_PARAMS: (H.OP_READ, mcumgr_params),
    H.OS_INFO: (H.OP_READ, info),
}
