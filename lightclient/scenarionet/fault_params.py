"""Fault parameters: declared per fault mode (faults.py), parsed from JSON values into typed
ones with their defaults; a wrong one is a FaultParamError naming the mode, the parameter and
what it must be."""

import math


class FaultError(ValueError):
    """A fault request that cannot be honoured; the message is one line for a person."""


class UnknownFault(FaultError):
    def __init__(self, mode, valid):
        FaultError.__init__(self, "unknown fault mode %r (valid: %s)" % (mode, ", ".join(valid)))
        self.mode = mode


class FaultParamError(FaultError):
    def __init__(self, mode, param, reason):
        FaultError.__init__(self, "%s: %s %s" % (mode, param, reason))
        self.mode = mode
        self.param = param
        self.reason = reason


class Param:
    """One parameter: `default` is a value, or a function (head height, values so far) -> value
    evaluated when the fault is set. `parse` returns the typed value or raises ValueError with
    what the value must be."""

    kind = "value"

    def __init__(self, name, default, help, default_help=None):
        self.name = name
        self.default = default
        self.help = help
        self.default_help = default_help or repr(default)

    def default_for(self, latest, values):
        return self.default(latest, values) if callable(self.default) else self.default

    def parse(self, v):
        return v

    def describe(self):
        return "%s=<%s> %s (default %s)" % (self.name, self.kind, self.help, self.default_help)


class Int(Param):
    kind = "int"

    def __init__(self, name, default, help, lo=None, hi=None, default_help=None,
                 at_most_head=False):
        Param.__init__(self, name, default, help, default_help)
        self.lo, self.hi = lo, hi
        self.at_most_head = at_most_head  # checked once the head is known (by the node)

    def parse(self, v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("must be an integer%s, got %s" % (_range(self.lo, self.hi), _show(v)))
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise ValueError("must be%s, got %d" % (_range(self.lo, self.hi), v))
        return v


class Number(Param):
    kind = "number"

    def __init__(self, name, default, help, lo, hi):
        Param.__init__(self, name, default, help)
        self.lo, self.hi = lo, hi

    def parse(self, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError("must be a number%s, got %s" % (_range(self.lo, self.hi), _show(v)))
        if not self.lo <= v <= self.hi:
            raise ValueError("must be%s, got %s" % (_range(self.lo, self.hi), v))
        return v


class Choice(Param):
    kind = "choice"

    def __init__(self, name, default, help, choices):
        Param.__init__(self, name, default, help)
        self.choices = choices
        self.kind = "|".join(choices)

    def parse(self, v):
        if v not in self.choices:
            raise ValueError("must be one of %s, got %s" % (", ".join(self.choices), _show(v)))
        return v


class Object(Param):
    kind = "object"

    def parse(self, v):
        if not isinstance(v, dict) or not v:
            raise ValueError("must be a non-empty JSON object, got %s" % _show(v))
        return v


class Text(Param):
    kind = "text"

    def parse(self, v):
        if not isinstance(v, str) or not 0 < len(v) <= 128:
            raise ValueError("must be a string of 1-128 characters, got %s" % _show(v))
        return v


def _range(lo, hi):
    if lo is not None and hi is not None:
        return " in [%s, %s]" % (lo, hi)
    if lo is not None:
        return " >= %s" % lo
    return ""


def _show(v):
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."
