# The chip's 32-bit interpreter (build.sh beside this file): the chip package frozen in its native
# variant, as the ESP32 board MYCROFT_LC freezes it (lccrypto is compiled into both).
include("../../manifest.py", variant="native")
