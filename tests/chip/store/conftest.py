import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # helpers.py, docimpl.py and the dual-runtime module import each other
    sys.path.insert(0, str(HERE))
