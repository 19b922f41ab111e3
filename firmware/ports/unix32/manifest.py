# The chip's 32-bit interpreter (build.sh beside this file): the chip package frozen in its native
# variant, as the ESP32 board MYCROFT_LC freezes it (lccrypto is compiled into both).
include("../../manifest.py", variant="native")
# The emulated board's glue (firmware/emulated32.py) keeps the lcstore partition in a host file:
# the store's file block device, which a board (esp32.Partition) does not need.
module("lightclient/chip/store/filedev.py", base_path="../../..")
# ... and plays the second-stage bootloader's slot choice in ESP-IDF's otadata format with
# lightclient/chip/app/otadata.py (frozen by the include above: a chip's firmware reads otadata
# too, app/partition_slots.py).
# The emulated board's bootloader (slot choice, image check, the slot's ROMFS mounted).
module("emulated_boot.py", base_path="../..")
