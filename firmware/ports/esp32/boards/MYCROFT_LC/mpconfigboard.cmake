# The Mycroft light-client co-processor: an ESP32-WROOM-32 (4 MB flash, no PSRAM) running
# MicroPython 1.27.0 with the firmware frozen and lccrypto compiled in. Built by
# firmware/ports/esp32/build.sh (make esp32), which needs ESP-IDF 5.x.
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)
set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
