# tests/chip/core and tests/chip/crypto hold the dual-runtime tests (CPython here, MicroPython via
# tests/mp); their helper dual.py lives here, beside them, as it does in the runner's filesystem.
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
