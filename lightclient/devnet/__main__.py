"""`python -m lightclient.devnet up|status|fault|register-device|set-settings|down ...`"""

import sys

from lightclient.devnet.cli import main

sys.exit(main(["devnet"] + sys.argv[1:]))
