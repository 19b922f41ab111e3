import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
for d in (TESTS / "chip" / "store", TESTS / "firmware"):  # norsim, fwscenario
    if str(d) not in sys.path:
        sys.path.insert(0, str(d))
