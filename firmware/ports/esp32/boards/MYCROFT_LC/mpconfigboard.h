#define MICROPY_HW_BOARD_NAME "Mycroft light-client co-processor"
#define MICROPY_HW_MCU_NAME "ESP32"
// Nothing the firmware uses needs these; they would cost flash and heap.
#define MICROPY_PY_BLUETOOTH (0)
#define MICROPY_PY_NETWORK_WLAN (0)
#define MICROPY_PY_BTREE (0)
