# Typed fields of a map decoded by cbor.loads(): each reader checks one key's type and bounds and
# names the field in its DecodeError (the Pi's verified-records cache reads its records this way).
# Shared subset: runs unchanged on CPython and MicroPython.

from lightclient.chip.core.errors import DecodeError

_MISSING = object()


def expect_map(obj, required=(), optional=(), what="map"):
    """Return `obj` if it is a dict holding every key of `required` and no key outside
    `required` + `optional`. `what` names the map in errors."""
    if not isinstance(obj, dict):
        raise DecodeError("cbor_field_type", "expected a map", field=what,
                          type=type(obj).__name__)
    for k in required:
        if k not in obj:
            raise DecodeError("cbor_field_missing", "required key missing", field=k, map=what)
    for k in obj:
        if k not in required and k not in optional:
            raise DecodeError("cbor_field_unknown", "key not allowed", field=k, map=what)
    return obj


# Getters: m[key] checked for type and bounds. A missing key raises "cbor_field_missing" unless
# `default` is given, in which case the default is returned (a present key is always checked).


def _absent(key, default):
    if default is _MISSING:
        raise DecodeError("cbor_field_missing", "required key missing", field=key)
    return default


def _type_error(key, want, v):
    return DecodeError("cbor_field_type", "expected " + want, field=key, type=type(v).__name__)


def _check_len(key, n, max_len):
    if max_len is not None and n > max_len:
        raise DecodeError("cbor_field_length", "too long", field=key, length=n, max_len=max_len)


def get_bytes(m, key, exact_len=None, max_len=None, default=_MISSING):
    if key not in m:
        return _absent(key, default)
    v = m[key]
    if not isinstance(v, bytes):
        raise _type_error(key, "bytes", v)
    if exact_len is not None and len(v) != exact_len:
        raise DecodeError("cbor_field_length", "wrong length", field=key, length=len(v),
                          expected=exact_len)
    _check_len(key, len(v), max_len)
    return v


def get_text(m, key, max_len=None, default=_MISSING):
    """max_len counts UTF-8 bytes."""
    if key not in m:
        return _absent(key, default)
    v = m[key]
    if not isinstance(v, str):
        raise _type_error(key, "text", v)
    if max_len is not None:
        _check_len(key, len(v.encode("utf-8")), max_len)
    return v


def get_int(m, key, min=None, max=None, default=_MISSING):
    if key not in m:
        return _absent(key, default)
    v = m[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise _type_error(key, "integer", v)
    if (min is not None and v < min) or (max is not None and v > max):
        raise DecodeError("cbor_field_range", "integer out of range", field=key, value=v,
                          min=min, max=max)
    return v


def get_uint(m, key, max=None, default=_MISSING):
    return get_int(m, key, 0, max, default)


def get_bool(m, key, default=_MISSING):
    if key not in m:
        return _absent(key, default)
    v = m[key]
    if v is not True and v is not False:
        raise _type_error(key, "bool", v)
    return v


def get_list(m, key, max_len=None, default=_MISSING):
    if key not in m:
        return _absent(key, default)
    v = m[key]
    if not isinstance(v, list):
        raise _type_error(key, "array", v)
    _check_len(key, len(v), max_len)
    return v


def get_map(m, key, required=(), optional=(), default=_MISSING):
    """m[key] checked with expect_map(required, optional)."""
    if key not in m:
        return _absent(key, default)
    v = m[key]
    if not isinstance(v, dict):
        raise _type_error(key, "map", v)
    return expect_map(v, required, optional, what=key)
