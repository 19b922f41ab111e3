"""`python -m tools.devnet up|status|fault|register-device|set-settings|down ...`"""

import sys

from tools.devnet.cli import main

sys.exit(main(["devnet"] + sys.argv[1:]))
