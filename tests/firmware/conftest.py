# Shared by the firmware tests: firmware/ importable on CPython (the chip package lightclient.chip runs
# unchanged here, which the codec and fuzz tests use for speed), and one emulated board per module.
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "firmware") not in sys.path:
    sys.path.insert(0, str(REPO / "firmware"))
