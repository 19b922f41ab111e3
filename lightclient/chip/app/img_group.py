# SMP image management group (1), as Zephyr's img_mgmt, mcumgr and smpmgr speak it: state
# (read: the slots; write: test an uploaded image by its hash, or confirm the running one) and
# upload. What the chip checks before it boots an image: lightclient/chip/app/ota.py.

from lightclient.chip.smp import header as H

from lightclient.chip.app import common as F
from lightclient.chip.app.ota import IMG_CONFIRMATION_DENIED, OtaError

GROUP_IMAGE = 1
IMG_STATE = 0
IMG_UPLOAD = 1
MAX_CHUNK = F.MAX_MESSAGE


def _ota(fw):
    ota = fw.device.ota
    if ota is None:
        raise OtaError("ota_unavailable", "this board has no second application slot or no "
                       "store", 1)
    return ota


def state_read(fw, p, now_ms):
    return {"images": _ota(fw).images(), "splitStatus": 0}


def state_write(fw, p, now_ms):
    ota = _ota(fw)
    h = F.field(p, "hash", "bytes", max_len=32)
    confirm = F.field(p, "confirm", "bool", default=False)
    st = ota.state()
    running = st["i"][st["a"]]
    if confirm:
        if h is not None and (running is None or h != running["h"]):
            # an image that never ran is not confirmed (a release board has no way back)
            raise OtaError("ota_confirm", "only the running image can be confirmed",
                           IMG_CONFIRMATION_DENIED)
        ota.confirm()
    elif h is None:
        raise F.bad_request("hash missing: state write tests an image by its hash")
    else:
        ota.test(h)
    return {"images": ota.images(), "splitStatus": 0}


def upload(fw, p, now_ms):
    ota = _ota(fw)
    off = F.field(p, "off", "uint", required=True)
    data = F.field(p, "data", "bytes", required=True, max_len=MAX_CHUNK)
    length = F.field(p, "len", "uint")
    sha = F.field(p, "sha", "bytes", max_len=32)
    F.field(p, "image", "uint")
    F.field(p, "upgrade", "bool")
    nxt, match = ota.write_chunk(off, data, length, sha)
    out = {"off": nxt}
    if match is not None:
        out["match"] = match
    return out


# state read and write share their command id: a map op -> handler (firmware.py)
COMMANDS = {
    IMG_STATE: {H.OP_READ: state_read, H.OP_WRITE: state_write},
    IMG_UPLOAD: (H.OP_WRITE, upload),
}
