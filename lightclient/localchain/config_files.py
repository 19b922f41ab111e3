"""Edits of CometBFT's config.toml and the SDK's app.toml, by section and key (both files are
written by `mycroftd init` from templates, one `key = value` per line)."""

import json


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def set_keys(path, edits):
    """edits: {(section, key): value}; section "" is the top level. Every key must exist."""
    with open(path) as f:
        lines = f.read().split("\n")
    section = ""
    done = set()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
            continue
        if "=" not in s or s.startswith("#"):
            continue
        key = s.split("=", 1)[0].strip()
        if (section, key) in edits:
            lines[i] = "%s = %s" % (key, toml_value(edits[(section, key)]))
            done.add((section, key))
    missing = set(edits) - done
    if missing:
        raise KeyError("not in %s: %s" % (path, sorted(missing)))
    with open(path, "w") as f:
        f.write("\n".join(lines))
