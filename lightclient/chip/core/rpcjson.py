# CometBFT JSON (as served by a node's RPC, and as in tendermint-rs's light-client test files) into
# lightclient.chip.core.types. Input is untrusted and already json-decoded (dicts, lists, str, int):
# every field is type-checked, every count and length bounded, and every failure is a DecodeError
# naming the field. Unknown keys are ignored (a node may add fields); known keys are required.
# Checks that CometBFT makes when it decodes (ValidateBasic of CommitSig, BlockID, hash lengths,
# validator address = address of its key) are made here, so the types never hold malformed data.
# Shared subset: CPython and MicroPython (no json module needed here).

import binascii

from lightclient.chip.core import types as T
from lightclient.chip.core import votes
from lightclient.chip.core import valset
from lightclient.chip.core.errors import DecodeError

MAX_APP_HASH = 1024  # AppHash has no fixed length in CometBFT; bound it anyway
MAX_SIGNATURE_SIZE = 64  # types/signable.go MaxSignatureSize (v0.38)
MAX_STRING = 1 << 20

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_SET = {}
for _c in _B64:
    _B64_SET[_c] = True
_HEX = {}
for _i, _c in enumerate("0123456789abcdef"):
    _HEX[_c] = _i
    _HEX[_c.upper()] = _i


def _obj(d, field):
    if not isinstance(d, dict):
        raise DecodeError("json_shape", "expected an object", field=field, got=_tname(d))
    return d


def _list(d, field, limit):
    if not isinstance(d, list):
        raise DecodeError("json_shape", "expected an array", field=field, got=_tname(d))
    if len(d) > limit:
        raise DecodeError("json_too_many", "array is too long", field=field, count=len(d),
                          limit=limit)
    return d


def _tname(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "dict"
    return "other"


def _req(d, key, field):
    if key not in d:
        raise DecodeError("json_missing", "required key is missing", field=field + "." + key)
    return d[key]


def _str(v, field, limit=MAX_STRING):
    if not isinstance(v, str):
        raise DecodeError("json_shape", "expected a string", field=field, got=_tname(v))
    if len(v) > limit:
        raise DecodeError("json_too_long", "string is too long", field=field, length=len(v),
                          limit=limit)
    return v


def _int(v, field, lo, hi):
    """An integer given as a JSON number or as a decimal string (Go's int64 / uint64 JSON)."""
    if isinstance(v, bool):
        raise DecodeError("json_shape", "expected an integer", field=field, got="bool")
    if isinstance(v, int):
        n = v
    elif isinstance(v, str):
        if not 0 < len(v) <= 21:
            raise DecodeError("json_integer", "not a decimal integer", field=field, value=v[:32])
        digits = v[1:] if v[0] == "-" else v
        if not digits:
            raise DecodeError("json_integer", "not a decimal integer", field=field, value=v)
        for c in digits:
            if c < "0" or c > "9":
                raise DecodeError("json_integer", "not a decimal integer", field=field, value=v)
        n = int(v)
    else:
        raise DecodeError("json_shape", "expected an integer", field=field, got=_tname(v))
    if n < lo or n > hi:
        raise DecodeError("json_integer_range", "integer out of range", field=field, value=n,
                          min=lo, max=hi)
    return n


# --- scalar decoders --------------------------------------------------------------------------

def hex_decode(s, field="hex"):
    """Hex string (either case) to bytes; "" gives b""."""
    _str(s, field)
    if len(s) % 2:
        raise DecodeError("json_hex", "hex string has odd length", field=field, length=len(s))
    out = bytearray(len(s) // 2)
    for i in range(0, len(s), 2):
        hi = _HEX.get(s[i])
        lo = _HEX.get(s[i + 1])
        if hi is None or lo is None:
            raise DecodeError("json_hex", "not a hex string", field=field, offset=i)
        out[i // 2] = (hi << 4) | lo
    return bytes(out)


def b64decode(s, field="base64"):
    """Standard base64 with padding (Go's encoding/json for []byte); "" gives b""."""
    _str(s, field)
    n = len(s)
    if n % 4:
        raise DecodeError("json_base64", "base64 length is not a multiple of 4", field=field,
                          length=n)
    pad = 0
    if n and s[n - 1] == "=":
        pad = 2 if s[n - 2] == "=" else 1
    for i in range(n - pad):
        if s[i] not in _B64_SET:
            raise DecodeError("json_base64", "invalid base64 character", field=field, offset=i)
    try:
        return binascii.a2b_base64(s.encode())
    except Exception:
        raise DecodeError("json_base64", "invalid base64", field=field)


def _days_from_civil(y, m, d):
    # Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date.
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _is_leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _digits(s, start, count, field):
    n = 0
    for i in range(start, start + count):
        c = s[i]
        if c < "0" or c > "9":
            raise DecodeError("json_time", "bad RFC 3339 time", field=field, value=s)
        n = n * 10 + (ord(c) - 48)
    return n


def parse_rfc3339_ns(s, field="time"):
    """RFC 3339 time as Go writes it ("2006-01-02T15:04:05.999999999Z07:00": 0-9 fractional
    digits, 'Z' or a numeric offset) to int ns since the epoch (UTC). Range: years 1..9999."""
    _str(s, field, 64)
    n = len(s)
    if n < 20 or s[4] != "-" or s[7] != "-" or s[10] != "T" or s[13] != ":" or s[16] != ":":
        raise DecodeError("json_time", "bad RFC 3339 time", field=field, value=s)
    year = _digits(s, 0, 4, field)
    month = _digits(s, 5, 2, field)
    day = _digits(s, 8, 2, field)
    hour = _digits(s, 11, 2, field)
    minute = _digits(s, 14, 2, field)
    second = _digits(s, 17, 2, field)
    pos = 19
    nanos = 0
    if s[pos] == ".":
        pos += 1
        start = pos
        while pos < n and "0" <= s[pos] <= "9":
            pos += 1
        nd = pos - start
        if nd < 1 or nd > 9:
            raise DecodeError("json_time", "fraction needs 1 to 9 digits", field=field, value=s)
        nanos = _digits(s, start, nd, field) * (10 ** (9 - nd))
    if pos >= n:
        raise DecodeError("json_time", "time zone missing", field=field, value=s)
    offset = 0
    if s[pos] == "Z":
        pos += 1
    elif s[pos] == "+" or s[pos] == "-":
        if n - pos != 6 or s[pos + 3] != ":":
            raise DecodeError("json_time", "bad time zone offset", field=field, value=s)
        oh = _digits(s, pos + 1, 2, field)
        om = _digits(s, pos + 4, 2, field)
        if oh > 23 or om > 59:
            raise DecodeError("json_time", "bad time zone offset", field=field, value=s)
        offset = (oh * 60 + om) * 60
        if s[pos] == "-":
            offset = -offset
        pos += 6
    else:
        raise DecodeError("json_time", "bad time zone", field=field, value=s)
    if pos != n:
        raise DecodeError("json_time", "trailing characters", field=field, value=s)
    if month < 1 or month > 12:
        raise DecodeError("json_time", "month out of range", field=field, value=s)
    mdays = 29 if (month == 2 and _is_leap(year)) else _MONTH_DAYS[month - 1]
    if day < 1 or day > mdays or hour > 23 or minute > 59 or second > 59:
        raise DecodeError("json_time", "date or time out of range", field=field, value=s)
    secs = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    ns = (secs - offset) * 1000000000 + nanos
    if ns < T.MIN_TIME_NS or ns > T.MAX_TIME_NS:
        raise DecodeError("json_time", "time outside years 1..9999", field=field, value=s)
    return ns


def _hash(v, field):
    """A tmhash: empty or exactly 32 bytes (CometBFT ValidateHash)."""
    b = hex_decode(v, field)
    if len(b) != 0 and len(b) != T.HASH_SIZE:
        raise DecodeError("json_hash_length", "hash must be empty or 32 bytes", field=field,
                          length=len(b))
    return b


def _address(v, field, allow_empty=False):
    b = hex_decode(v, field)
    if len(b) != T.ADDRESS_SIZE and not (allow_empty and not b):
        raise DecodeError("json_address_length", "address must be 20 bytes", field=field,
                          length=len(b))
    return b


# --- structures -------------------------------------------------------------------------------

def block_id_from_json(d, field="block_id"):
    """{"hash", "parts": {"total", "hash"}} (RPC) or "part_set_header" (tendermint-rs)."""
    _obj(d, field)
    h = _hash(_req(d, "hash", field), field + ".hash")
    has_parts = "parts" in d
    has_psh = "part_set_header" in d
    if has_parts and has_psh:
        raise DecodeError("json_shape", "both parts and part_set_header", field=field)
    if not has_parts and not has_psh:
        raise DecodeError("json_missing", "required key is missing", field=field + ".parts")
    key = "parts" if has_parts else "part_set_header"
    psh = _obj(d[key], field + "." + key)
    total = _int(_req(psh, "total", field + "." + key), field + "." + key + ".total",
                 0, 0xFFFFFFFF)
    ph = _hash(_req(psh, "hash", field + "." + key), field + "." + key + ".hash")
    return T.BlockID(h, total, ph)


def header_from_json(d):
    f = "header"
    _obj(d, f)
    ver = _obj(_req(d, "version", f), "header.version")
    vb = _int(_req(ver, "block", "header.version"), "header.version.block", 0, (1 << 64) - 1)
    va = _int(ver.get("app", "0"), "header.version.app", 0, (1 << 64) - 1)
    chain_id = _str(_req(d, "chain_id", f), "header.chain_id", 4 * T.MAX_CHAIN_ID_LEN)
    if len(chain_id.encode()) > T.MAX_CHAIN_ID_LEN:
        raise DecodeError("json_chain_id", "chain_id longer than 50 bytes", field="header.chain_id",
                          length=len(chain_id.encode()))
    height = _int(_req(d, "height", f), "header.height", 1, T.INT64_MAX)
    time_ns = parse_rfc3339_ns(_req(d, "time", f), "header.time")
    lbi = _req(d, "last_block_id", f)
    last_block_id = T.zero_block_id() if lbi is None else block_id_from_json(
        lbi, "header.last_block_id")
    app_hash = hex_decode(_req(d, "app_hash", f), "header.app_hash")
    if len(app_hash) > MAX_APP_HASH:
        raise DecodeError("json_hash_length", "app_hash is too long", field="header.app_hash",
                          length=len(app_hash), limit=MAX_APP_HASH)
    return T.Header(
        vb, va, chain_id, height, time_ns, last_block_id,
        _hash(_req(d, "last_commit_hash", f), "header.last_commit_hash"),
        _hash(_req(d, "data_hash", f), "header.data_hash"),
        _hash(_req(d, "validators_hash", f), "header.validators_hash"),
        _hash(_req(d, "next_validators_hash", f), "header.next_validators_hash"),
        _hash(_req(d, "consensus_hash", f), "header.consensus_hash"),
        app_hash,
        _hash(_req(d, "last_results_hash", f), "header.last_results_hash"),
        _hash(_req(d, "evidence_hash", f), "header.evidence_hash"),
        _address(_req(d, "proposer_address", f), "header.proposer_address"),
    )


def commit_sig_from_json(d, field="commit_sig"):
    """CommitSig, with CometBFT's CommitSig.ValidateBasic: an absent one carries no address, the
    zero time and no signature; a commit / nil one a 20-byte address and a 1..64-byte signature."""
    _obj(d, field)
    flag = _int(_req(d, "block_id_flag", field), field + ".block_id_flag", 1, 3)
    addr = _address(_req(d, "validator_address", field), field + ".validator_address",
                    allow_empty=True)
    ts = parse_rfc3339_ns(_req(d, "timestamp", field), field + ".timestamp")
    sig_json = _req(d, "signature", field)
    sig = b"" if sig_json is None else b64decode(sig_json, field + ".signature")
    if flag == T.BLOCK_ID_FLAG_ABSENT:
        # CometBFT writes Go's zero time; tendermint-rs writes the Unix epoch for "no time".
        if addr or sig or (ts != T.ZERO_TIME_NS and ts != 0):
            raise DecodeError("json_commit_sig_absent",
                              "absent signature carries an address, time or signature",
                              field=field)
    else:
        if not addr:
            raise DecodeError("json_address_length", "address must be 20 bytes",
                              field=field + ".validator_address", length=0)
        if not sig or len(sig) > MAX_SIGNATURE_SIZE:
            raise DecodeError("json_signature_length", "signature must be 1..64 bytes",
                              field=field + ".signature", length=len(sig))
    return votes.CommitSig(flag, addr, ts, sig)


def commit_from_json(d):
    f = "commit"
    _obj(d, f)
    height = _int(_req(d, "height", f), "commit.height", 0, T.INT64_MAX)
    rnd = _int(_req(d, "round", f), "commit.round", 0, T.INT32_MAX)
    block_id = block_id_from_json(_req(d, "block_id", f), "commit.block_id")
    sigs_json = _req(d, "signatures", f)
    if sigs_json is None:  # Go marshals a nil slice as null
        sigs_json = []
    _list(sigs_json, "commit.signatures", T.MAX_SIGNATURES)
    sigs = []
    for i, s in enumerate(sigs_json):
        sigs.append(commit_sig_from_json(s, "commit.signatures[%d]" % i))
    return votes.Commit(height, rnd, block_id, sigs)


def signed_header_from_json(d):
    _obj(d, "signed_header")
    return T.SignedHeader(header_from_json(_req(d, "header", "signed_header")),
                          commit_from_json(_req(d, "commit", "signed_header")))


_PUB_KEY_TYPES = {
    "tendermint/PubKeyEd25519": T.ED25519,
    "tendermint/PubKeySecp256k1": T.SECP256K1,
}


def validator_from_json(d, field="validator"):
    """{"address", "pub_key": {"type", "value"}, "voting_power" | "power", "proposer_priority"?}.
    The address must be the address of the key (CometBFT Validator.ValidateBasic)."""
    _obj(d, field)
    pk = _obj(_req(d, "pub_key", field), field + ".pub_key")
    type_name = _str(_req(pk, "type", field + ".pub_key"), field + ".pub_key.type", 64)
    key_type = _PUB_KEY_TYPES.get(type_name)
    if key_type is None:
        raise DecodeError("json_pub_key_type", "unsupported public key type",
                          field=field + ".pub_key.type", value=type_name)
    pub = b64decode(_str(_req(pk, "value", field + ".pub_key"), field + ".pub_key.value", 128),
                    field + ".pub_key.value")
    if len(pub) != T.PUB_KEY_SIZES[key_type]:
        raise DecodeError("json_pub_key_length", "public key has the wrong length",
                          field=field + ".pub_key.value", length=len(pub),
                          expected=T.PUB_KEY_SIZES[key_type])
    address = _address(_req(d, "address", field), field + ".address")
    if "voting_power" in d:
        power = _int(d["voting_power"], field + ".voting_power", 0, T.INT64_MAX)
    else:
        power = _int(_req(d, "power", field), field + ".power", 0, T.INT64_MAX)
    prio = d.get("proposer_priority")
    prio = 0 if prio is None else _int(prio, field + ".proposer_priority", T.INT64_MIN,
                                       T.INT64_MAX)
    derived = valset.address_from_pubkey(key_type, pub)
    if derived != address:
        raise DecodeError("json_validator_address", "address is not the address of the key",
                          field=field + ".address", address=address, derived=derived)
    return valset.Validator(address, key_type, pub, power, prio)


def validator_set_from_json(d):
    """A validator set as /validators serves it ({"validators": [...], "count", "total", ...}),
    as tendermint-rs writes it ({"validators", "proposer", "total_voting_power"}), or a bare list
    (/genesis "validators", power named "power"). The validators are put in CometBFT's order
    (voting power descending, then address ascending), the order ValidatorSet.Hash covers and the
    order of a commit's signatures: a node serves them so already (then this changes nothing);
    tendermint-rs's test files do not, and tendermint-rs sorts them the same way when decoding."""
    proposer = None
    if isinstance(d, list):
        items = d
    else:
        _obj(d, "validator_set")
        items = _req(d, "validators", "validator_set")
        if "count" in d and "total" in d:
            count = _int(d["count"], "validator_set.count", 0, T.MAX_VALIDATORS)
            total = _int(d["total"], "validator_set.total", 0, T.INT64_MAX)
            if count != total:
                raise DecodeError("json_validators_page", "only one page of the validator set",
                                  field="validator_set", count=count, total=total)
        if "total_voting_power" in d:
            _int(d["total_voting_power"], "validator_set.total_voting_power", 0, T.INT64_MAX)
        if d.get("proposer") is not None:
            proposer = validator_from_json(d["proposer"], "validator_set.proposer")
    items = _list(items, "validator_set.validators", T.MAX_VALIDATORS)
    vals = []
    for i, v in enumerate(items):
        vals.append(validator_from_json(v, "validator_set.validators[%d]" % i))
    if isinstance(d, dict) and "count" in d and len(vals) != _int(d["count"], "count", 0,
                                                                 T.MAX_VALIDATORS):
        raise DecodeError("json_validators_page", "count differs from the list",
                          field="validator_set", count=len(vals))
    return valset.ValidatorSet(valset.sort_validators(vals), proposer)


def light_block_from_json(signed_header, validators, next_validators=None):
    """A LightBlock from the JSON of its signed header and validator set(s)."""
    sh = signed_header_from_json(signed_header)
    vals = validator_set_from_json(validators)
    nxt = None if next_validators is None else validator_set_from_json(next_validators)
    return T.LightBlock(sh, vals, nxt)
