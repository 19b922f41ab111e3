#!/bin/sh
# Builds the ESP32 firmware: MicroPython 1.27.0's esp32 port, board MYCROFT_LC (this folder's
# boards/), the chip package frozen (native variant), lccrypto compiled in. Needs ESP-IDF 5.x
# (MicroPython 1.27 supports 5.2 to 5.5) with its environment exported (`. $IDF_PATH/export.sh`)
# and the MicroPython source as for the unix build (MICROPYTHON_SRC or the shared tarball).
# Not built in this workplace (no ESP-IDF here): on paper, and it says so when run.
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${OUT:-$ROOT/build/esp32}
die() { echo "esp32 build: $*" >&2; exit 1; }

[ -n "${IDF_PATH:-}" ] && [ -d "$IDF_PATH" ] || die "ESP-IDF 5.x is missing: IDF_PATH is not set.
Install it (https://docs.espressif.com/projects/esp-idf/en/v5.4/esp32/get-started/), then
  . \$IDF_PATH/export.sh && make esp32"
command -v idf.py >/dev/null 2>&1 || die "idf.py is not on PATH: run . $IDF_PATH/export.sh first"
ver=$(idf.py --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p')
case "$ver" in
    5.*) ;;
    *) die "ESP-IDF ${ver:-of unknown version} at $IDF_PATH: MicroPython 1.27 needs 5.x" ;;
esac

# The same source resolution as the unix build, which also makes the mpy-cross the port needs.
"$ROOT/firmware/ports/unix32/build.sh"
if [ -n "${MICROPYTHON_SRC:-}" ]; then SRC=$MICROPYTHON_SRC; else SRC=$ROOT/build/chip/src/micropython-1.27.0; fi

mkdir -p "$OUT"
MICROPY_MPYCROSS="$ROOT/build/chip/mpy-cross" make -C "$SRC/ports/esp32" \
    BOARD_DIR="$ROOT/firmware/ports/esp32/boards/MYCROFT_LC" BUILD="$OUT" \
    USER_C_MODULES="$ROOT/firmware/cmodules/micropython.cmake"
echo "esp32 build: $OUT/firmware.bin"
