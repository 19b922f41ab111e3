# The board's frozen image: the port's own start-up modules (filesystem mount, machine
# extensions), then the chip package in its native crypto variant (lccrypto is compiled in).
# The port's boards/manifest.py is not included: it pulls networking packages the co-processor
# does not use, from micropython-lib.
freeze("$(PORT_DIR)/modules", ("_boot.py", "flashbdev.py", "inisetup.py", "machine.py"))
include("$(BOARD_DIR)/../../../../manifest.py", variant="native")
