"""Device records of the scenario network and canonical JSON: one format for the scenario
network, the client, the local device API and the firmware. Spec: docs/device-records.md. (The
device's transactions are the chain's SDK transactions: cosmos_tx.py.)

Canonical JSON here means: UTF-8, keys sorted, no whitespace, no floats (integers, strings,
booleans, null, arrays, objects only), so the bytes a key signs are the same on every side.
Shared subset: runs on CPython and MicroPython (json, no floats, core Ed25519 as the fallback).
"""

import json

from lightclient.chip.crypto import backend as crypto
from lightclient.chip.core.errors import DecodeError

STORE = "devices"              # multistore store name of device records
KEY_PREFIX = b"device/"        # record key = KEY_PREFIX + uuid (ASCII)
QUERY_PATH = "/store/devices/key"
MAX_RECORD_BYTES = 16 * 1024
MAX_UUID = 64

RECORD_SECTIONS = ("device", "setting", "location", "skills", "subscription")


def _check_value(v, depth):
    if depth > 16:
        raise DecodeError("json_depth", "value nested too deeply")
    if v is None or v is True or v is False or isinstance(v, str):
        return
    if isinstance(v, int):
        return
    if isinstance(v, float):
        raise DecodeError("json_float", "floats are not allowed in canonical JSON")
    if isinstance(v, list):
        for x in v:
            _check_value(x, depth + 1)
        return
    if isinstance(v, dict):
        for k in v:
            if not isinstance(k, str):
                raise DecodeError("json_key", "object keys must be strings")
            _check_value(v[k], depth + 1)
        return
    raise DecodeError("json_type", "value of a type JSON cannot carry", type=str(type(v)))


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                  "\b": "\\b", "\f": "\\f"}


def _string(s):
    # JSON string as CPython's json.dumps (ensure_ascii) writes it: MicroPython's json writes
    # non-ASCII characters raw, so escaping is done here, the same on both runtimes.
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 | (o >> 10), 0xDC00 | (o & 0x3FF)))
    out.append('"')
    return "".join(out)


def _dump(v):
    # Hand-written so CPython and MicroPython give the same bytes (MicroPython's json.dumps has no
    # sort_keys and different separators).
    if isinstance(v, dict):
        keys = sorted(v)
        return "{" + ",".join(_string(k) + ":" + _dump(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_dump(x) for x in v) + "]"
    if isinstance(v, str):
        return _string(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def canonical_json(obj):
    """obj -> canonical JSON bytes (sorted keys, no spaces, no floats)."""
    _check_value(obj, 0)
    return _dump(obj).encode()


def loads_bounded(data, limit, what):
    """Untrusted JSON bytes -> value, refusing more than `limit` bytes and floats."""
    if not isinstance(data, (bytes, bytearray)):
        raise DecodeError("json_type", what + " must be bytes")
    if len(data) > limit:
        raise DecodeError("json_too_large", what + " longer than the limit", length=len(data),
                          limit=limit)
    try:
        v = json.loads(bytes(data).decode())
    except (ValueError, UnicodeError, RuntimeError) as e:
        # RuntimeError: CPython's RecursionError on deep nesting ([[[[...); MicroPython has no
        # RecursionError name, hence its base class.
        raise DecodeError("json", what + " is not valid JSON: " + str(e))
    _check_value(v, 0)
    return v


def record_key(uuid):
    if not isinstance(uuid, str) or not 0 < len(uuid) <= MAX_UUID:
        raise DecodeError("uuid", "uuid must be a non-empty string", limit=MAX_UUID)
    for ch in uuid:
        if not (ch.isalpha() or ch.isdigit() or ch in "-_.") or ord(ch) > 127:
            raise DecodeError("uuid", "uuid has a character outside [A-Za-z0-9-_.]", uuid=uuid)
    return KEY_PREFIX + uuid.encode()


def decode_record(value):
    """Record bytes as proven from the chain -> dict; raises DecodeError on a malformed record."""
    rec = loads_bounded(value, MAX_RECORD_BYTES, "device record")
    if not isinstance(rec, dict):
        raise DecodeError("record_type", "device record must be an object")
    for f in ("uuid", "device_pubkey", "owner_pubkey", "account"):
        if not isinstance(rec.get(f), str):
            raise DecodeError("record_field", "device record field missing or not a string",
                              field=f)
    for f in RECORD_SECTIONS:
        if f not in rec:
            raise DecodeError("record_field", "device record section missing", field=f)
    if not isinstance(rec.get("version"), int):
        raise DecodeError("record_field", "device record version missing", field="version")
    return rec


def seed_signer(seed):
    """A sign(message) function for a 32-byte Ed25519 seed held in this process (tools, tests)."""
    return lambda message: crypto.ed25519_sign(seed, message)


__all__ = ["STORE", "KEY_PREFIX", "QUERY_PATH", "RECORD_SECTIONS", "canonical_json",
           "loads_bounded", "record_key", "decode_record", "seed_signer"]
