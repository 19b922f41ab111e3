"""`python -m lightclient.scenarionet up|status|fault|register-device|set-settings|down ...`"""

import sys

from lightclient.scenarionet.cli import main

sys.exit(main(["scenarionet"] + sys.argv[1:]))
