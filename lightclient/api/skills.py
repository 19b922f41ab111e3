# Skill settings in the shapes the Mycroft device API uses, and the conversion of what a client
# uploads into canonical JSON (pure functions, no I/O).
#
# The record's `skills` section is an array of Selene "v1" entries, exactly what a device uploads
# with PUT /v1/device/{uuid}/skill and downloads with GET .../skill:
#   {"skill_gid": "@{uuid}|{skill_id}" or "@|{skill_id}" or "{skill_id}",
#    "display_name": "...", "skillMetadata": {"sections": [{"fields": [{"name", "type",
#    "value", ...}]}]}}
# An entry may also carry "settings": {...} (values that override the metadata's field values).
# GET .../skill/settings is derived from it: {skill_id: {field name: value}}, field values typed as
# ovos-backend-client's SkillSettingsModel.deserialize types them (checkbox -> bool, number ->
# number, "none"/"null" -> null).

import math

MAX_DEPTH = 16


def canonicalizable(value, depth=0):
    """A client's JSON value -> the same value without floats (canonical JSON forbids them):
    an integral float becomes an int, any other float its shortest decimal text ("0.5", "nan")."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 2 ** 53:
            return int(value)
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [canonicalizable(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): canonicalizable(v, depth + 1) for k, v in value.items()}
    raise ValueError("value of a type JSON cannot carry: " + type(value).__name__)


def skill_id_of(entry):
    """skill_gid forms seen in the wild: "@|id", "@{uuid}|id", "id", "id|branch"."""
    gid = entry.get("skill_gid") or entry.get("identifier") or entry.get("skill_id") or ""
    if not isinstance(gid, str):
        return ""
    fields = gid.split("|")
    if len(fields) > 1 and fields[0].startswith("@"):
        return fields[1]
    return fields[0]


def _typed(field, value):
    if not isinstance(value, str):
        return value
    t = field.get("type", "")
    if t == "checkbox":
        return value.lower() == "true" or value == "1"
    if t == "number":
        if value == "False":
            return 0
        if value == "True":
            return 1
        try:
            return float(value)
        except ValueError:
            return value
    low = value.lower()
    if low in ("none", "null", "nan"):
        return None
    if value == "[]":
        return []
    if value == "{}":
        return {}
    return value


def _fields(entry):
    meta = entry.get("skillMetadata")
    if not isinstance(meta, dict):
        return
    sections = meta.get("sections")
    if not isinstance(sections, list):
        return
    for s in sections:
        fields = s.get("fields") if isinstance(s, dict) else None
        if not isinstance(fields, list):
            continue
        for f in fields:
            if isinstance(f, dict) and "name" in f and "value" in f:
                yield f


def settings_of(entry):
    """One entry -> {field name: typed value}."""
    out = {}
    for f in _fields(entry):
        out[str(f["name"])] = _typed(f, f["value"])
    extra = entry.get("settings")
    if isinstance(extra, dict):
        out.update(extra)
    return out


def settings_map(skills):
    """The record's skills array -> GET /skill/settings answer {skill_id: settings}."""
    out = {}
    for entry in skills if isinstance(skills, list) else ():
        if isinstance(entry, dict):
            sid = skill_id_of(entry)
            if sid:
                out[sid] = settings_of(entry)
    return out


def v1_list(skills):
    """The record's skills array -> GET /skill answer: entries with the settings folded into the
    metadata's field values (what SkillSettingsModel.serialize sends)."""
    out = []
    for entry in skills if isinstance(skills, list) else ():
        if not isinstance(entry, dict) or not skill_id_of(entry):
            continue
        meta = entry.get("skillMetadata") if isinstance(entry.get("skillMetadata"), dict) else {}
        extra = entry.get("settings") if isinstance(entry.get("settings"), dict) else {}
        if extra:
            meta = _with_values(meta, extra)
        out.append({"skillMetadata": meta,
                    "skill_gid": entry.get("skill_gid") or entry.get("skill_id"),
                    "display_name": entry.get("display_name") or skill_id_of(entry)})
    return out


def _with_values(meta, values):
    import copy
    meta = copy.deepcopy(meta)
    for s in meta.get("sections", []) if isinstance(meta.get("sections"), list) else ():
        for f in s.get("fields", []) if isinstance(s, dict) else ():
            if isinstance(f, dict) and "value" in f and f.get("name") in values:
                f["value"] = values[f["name"]]
    return meta


def merge_upload(skills, upload):
    """The record's skills array with one uploaded v1 entry put in place of the entry of the same
    skill (or appended): the array a skill_settings device_write carries."""
    sid = skill_id_of(upload)
    if not sid:
        raise ValueError("upload names no skill (skill_gid missing)")
    out = []
    placed = False
    for entry in skills if isinstance(skills, list) else ():
        if isinstance(entry, dict) and skill_id_of(entry) == sid:
            if not placed:
                out.append(upload)
                placed = True
            continue
        out.append(entry)
    if not placed:
        out.append(upload)
    return out
