# What every command handler shares: version, bounds, typed request fields.

from lightclient.chip.core.errors import DecodeError
from lightclient.chip.smp import header as H

FIRMWARE_VERSION = "0.1.0"
MAX_MESSAGE = 16384  # decoded SMP message bound: the mcumgr buf_size we advertise


# Request-payload helpers for the handlers: every field typed and bounded.

def bad_request(message, **details):
    e = DecodeError("request", message, **details)
    e.rc = H.MGMT_EINVAL
    return e


def field(p, name, kind, default=None, required=False, max_len=None):
    if name not in p:
        if required:
            raise bad_request("field missing", field=name)
        return default
    v = p[name]
    if kind == "bool":
        if v is True or v is False:
            return v
    elif kind == "uint":
        if not isinstance(v, bool) and isinstance(v, int) and v >= 0:
            return v
    elif kind == "bytes":
        if isinstance(v, bytes):
            if max_len is not None and len(v) > max_len:
                raise bad_request("field too long", field=name, max_len=max_len)
            return v
    elif kind == "str":
        if isinstance(v, str):
            if max_len is not None and len(v) > max_len:
                raise bad_request("field too long", field=name, max_len=max_len)
            return v
    raise bad_request("field has the wrong type", field=name, want=kind)
