# Helpers for the dual-runtime tests in tests/chip/core/ and tests/chip/crypto/: the only place where a test may learn which
# runtime it is on. Runs unchanged on CPython and on MicroPython 1.27 (no os.path, no pathlib).
#
# Vectors live in <repo>/../shared/vectors. The MicroPython runner (lightclient/hwtest/mp_runner.mjs) lays out
# its in-memory filesystem the same way (/repo/tests/chip/dual.py, /shared/vectors/...), so the
# path is found the same way on both runtimes: three directories up from this file, then
# shared/vectors. Override with the attribute VECTORS_ROOT (or, on CPython, the environment
# variable LIGHTCLIENT_VECTORS) where the layout differs, e.g. on a board.

import sys
import json

IS_MICROPYTHON = sys.implementation.name == "micropython"
# MicroPython's WebAssembly port (tests/mp), not the chip's own interpreter (tests/chip32).
IS_WASM = IS_MICROPYTHON and sys.platform == "webassembly"


def sweep_stride(k):
    """The step of a sweep that mutates an input at every byte position: 1, or k on the
    WebAssembly MicroPython. Only for a sweep that CPython and the chip's own MicroPython
    (tests/chip32 runs every module of tests/chip/core) also make in full: on WebAssembly the
    same code then runs at every k-th position of every input, not k times the work again."""
    return k if IS_WASM else 1


VECTORS_ROOT = None


def _default_root():
    if not IS_MICROPYTHON:
        import os

        env = os.environ.get("LIGHTCLIENT_VECTORS")
        if env:
            return env
        here = os.path.abspath(__file__)
    else:
        here = __file__
    parts = here.replace("\\", "/").split("/")
    # <repo>/tests/chip/dual.py -> <repo>/.. ; parts[:-4] drops repo, tests, chip, dual.py
    base = "/".join(parts[:-4])
    return (base or "") + "/shared/vectors"


def vectors_root():
    """Directory holding the shared public test vectors."""
    return VECTORS_ROOT if VECTORS_ROOT else _default_root()


def vector_path(rel):
    """Path of a file under the shared vectors, e.g. vector_path("cbor/appendix_a.json")."""
    return vectors_root() + "/" + rel.lstrip("/")


def read_bytes(rel):
    """Contents of a vector file as bytes."""
    with open(vector_path(rel), "rb") as f:
        return f.read()


def load_json(rel):
    """A vector file parsed as JSON."""
    with open(vector_path(rel)) as f:
        return json.load(f)


def raises(exc_type, fn, *args, **kw):
    """Call fn(*args, **kw); return the exception it raised if it is an exc_type.

    AssertionError if fn returned normally. An exception of another type propagates unchanged,
    so the test fails showing what was raised instead.
    """
    try:
        fn(*args, **kw)
    except exc_type as e:
        return e
    name = getattr(exc_type, "__name__", str(exc_type))
    raise AssertionError("expected " + name + " from " + _fname(fn) + ", nothing was raised")


def _fname(fn):
    return getattr(fn, "__name__", None) or repr(fn)
