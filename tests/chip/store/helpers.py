"""Shared pieces of the secure-store tests (CPython)."""

import copy


SECRET = bytes(range(32))


def det_rng(seed=0):
    """A deterministic stand-in for os.urandom (reproducible images)."""
    import random

    r = random.Random(seed)
    return lambda n: bytes(r.getrandbits(8) for _ in range(n))


def state(st):
    """The store's whole logical state: {name: value}."""
    return {n: st.get(n) for n in st.names()}


def clone(st):
    """A copy of a mounted store object (cheaper than mounting again in the power-cut sweeps)."""
    c = copy.copy(st)
    c._ec = list(st._ec)
    c.stats = dict(st.stats)
    return c


def apply(before, changes):
    after = dict(before)
    for k, v in changes.items():
        if v is None:
            after.pop(k, None)
        else:
            after[k] = bytes(v)
    return after
