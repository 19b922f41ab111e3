import os
import sys

import pytest

# The machine the suite is measured on sets PYTHONDONTWRITEBYTECODE=1: then every Python process
# the suite starts (the two xdist workers, hundreds of `mycroft-lc`, emulator and fuzz processes)
# compiles the project's modules from source again, and each worker rewrites every test module's
# asserts again (~0.2 s a process, ~7 s a worker's collection). The suite keeps its bytecode
# (__pycache__/, ignored by git); this runs before the workers and subprocesses start, so they
# inherit it.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    sys.dont_write_bytecode = False


@pytest.hookimpl(optionalhook=True, tryfirst=True)   # before xdist's own: the first result wins
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with shared session fixtures and slow files first (xdist_scheduling)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.xdist_scheduling import SharedFixtureFileScheduling
    return SharedFixtureFileScheduling(config, log)
