# What every command handler shares: version, bounds, typed request fields.

import sys

from lightclient.chip.core.errors import DecodeError
from lightclient.chip.smp import header as H

FIRMWARE_VERSION = "0.1.0"
MAX_MESSAGE = 16384  # decoded SMP message bound: the mcumgr buf_size we advertise
# Byte strings this long in a request stay views into it (no second buffer of a 9 KB update);
# field() copies them unless the handler asks for the view.
VIEW_MIN = 1024
# On MicroPython the firmware runs a full collection before each command, before building the
# trusted state and between an update's verification and its commit, so large buffers find room
# in the chip's small, fragmenting heap. CPython (the firmware's unit tests) frees by reference
# counting: there each one bought nothing and cost ~80 ms in a test process.
FULL_GC = sys.implementation.name == "micropython"


# Request-payload helpers for the handlers: every field typed and bounded.

def bad_request(message, **details):
    e = DecodeError("request", message, **details)
    e.rc = H.MGMT_EINVAL
    return e


def field(p, name, kind, default=None, required=False, max_len=None, view=False):
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
        if isinstance(v, memoryview):
            if max_len is not None and len(v) > max_len:
                raise bad_request("field too long", field=name, max_len=max_len)
            return v if view else bytes(v)
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
