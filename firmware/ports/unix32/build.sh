#!/bin/sh
# Builds the chip's interpreter for this host: MicroPython 1.27.0's unix port, 32-bit (objects have
# the ESP32's sizes), the firmware frozen through a manifest, lccrypto compiled in; and mpy-cross.
# Outputs: $OUT/micropython32, $OUT/mpy-cross (OUT defaults to build/chip). Re-running rebuilds
# only what changed.
#
# Source (first found wins):
#   MICROPYTHON_SRC=/path/to/micropython   a checkout at tag v1.27.0 (checked with git)
#   MICROPYTHON_TARBALL (default ../shared/micropython/micropython-1.27.0-unix-esp32.tar.gz),
#                                          checked by sha256, unpacked under $OUT/src
# Other knobs: FROZEN_MANIFEST (default: manifest.py beside this script, the native variant of
# firmware/manifest.py; empty: nothing frozen),
# JOBS (default 2), SANITIZE=1 (AddressSanitizer + UBSan, output in build/chip-asan: `make
# chip-asan`, for the bindings' fuzz tests).
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
SANITIZE=${SANITIZE:-}
if [ -n "$SANITIZE" ]; then
    OUT=${OUT:-$ROOT/build/chip-asan}
    # MicroPython's GC scans the C stack conservatively: fake stacks for use-after-return would
    # hide live pointers from it (MicroPython's own sanitizer CI turns them off the same way).
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer --param asan-use-after-return=0"
else
    OUT=${OUT:-$ROOT/build/chip}
    SAN=
fi
JOBS=${JOBS:-2}
TARBALL=${MICROPYTHON_TARBALL:-$ROOT/../shared/micropython/micropython-1.27.0-unix-esp32.tar.gz}
TARBALL_SHA256=4f64398b9bfae662231bd9f2ebf2e97f50b3cd6d722ce6b1d3e6c04e4c41467a
TAG=v1.27.0
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

die() { echo "chip build: $*" >&2; exit 1; }

if [ -n "${MICROPYTHON_SRC:-}" ]; then
    [ -f "$MICROPYTHON_SRC/py/mpconfig.h" ] || die "MICROPYTHON_SRC=$MICROPYTHON_SRC is not a MicroPython source tree (no py/mpconfig.h)"
    got=$(git -C "$MICROPYTHON_SRC" describe --tags --exact-match 2>/dev/null || true)
    [ "$got" = "$TAG" ] || die "MICROPYTHON_SRC=$MICROPYTHON_SRC is at '${got:-no tag}', need $TAG: git -C $MICROPYTHON_SRC checkout $TAG"
    SRC=$(cd "$MICROPYTHON_SRC" && pwd)
elif [ -f "$TARBALL" ]; then
    SRC=$OUT/src/micropython-1.27.0
    if [ ! -f "$SRC/.unpacked" ]; then
        echo "$TARBALL_SHA256  $TARBALL" | sha256sum -c --quiet - \
            || die "$TARBALL does not have sha256 $TARBALL_SHA256"
        rm -rf "$OUT/src" && mkdir -p "$OUT/src"
        tar -xzf "$TARBALL" -C "$OUT/src"
        touch "$SRC/.unpacked"
    fi
else
    die "no MicroPython $TAG source. Either put the tarball at $TARBALL (sha256 $TARBALL_SHA256),
or clone it and name it: git clone --depth 1 --branch $TAG https://github.com/micropython/micropython
then: make chip MICROPYTHON_SRC=\$PWD/micropython"
fi

printf 'int main(void){return 0;}\n' > "$OUT/m32check.c"
gcc -m32 -o "$OUT/m32check" "$OUT/m32check.c" 2>/dev/null \
    || die "gcc cannot build 32-bit programs: install gcc-multilib (apt-get install gcc-multilib)"

MANIFEST=${FROZEN_MANIFEST-$ROOT/firmware/ports/unix32/manifest.py}

# mpy-cross: the same source, so its .mpy format is 1.27's.
make -s -C "$SRC/mpy-cross" -j"$JOBS" BUILD="$OUT/mpy-cross-build" FROZEN_MANIFEST= >/dev/null  # an exported FROZEN_MANIFEST is not for mpy-cross
# A binary is put in place by rename, never rewritten: a test or bench may be running the old one
# ("Text file busy"), and it keeps running it.
publish() {
    cp -p "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}
publish "$OUT/mpy-cross-build/mpy-cross" "$OUT/mpy-cross"

# micropython-lib is an empty submodule in the tarball; the manifest machinery only needs the folder.
LIBDIR=${MPY_LIB_DIR:-$SRC/lib/micropython-lib}
[ -f "$LIBDIR/README.md" ] || { mkdir -p "$LIBDIR" && echo "placeholder: micropython-lib absent" > "$LIBDIR/README.md"; }

# make does not notice changed flags: a build configured differently starts from scratch.
CONFIG="src=$SRC frozen=${MANIFEST:+yes} san=$SAN"
if [ "$(cat "$OUT/unix32-build.config" 2>/dev/null)" != "$CONFIG" ]; then
    rm -rf "$OUT/unix32-build"
    echo "$CONFIG" > "$OUT/unix32-build.config"
fi
# The frozen code's qstrs are split from the C modules' when frozen_content.c is generated: a C
# change adding a qstr the frozen code already used leaves a stale one that redeclares it
# ("redeclaration of enumerator MP_QSTR_..."). Regenerated each build (a few seconds).
rm -f "$OUT/unix32-build/frozen_content.c"

make -s -C "$SRC/ports/unix" -j"$JOBS" VARIANT=standard MICROPY_FORCE_32BIT=1 \
    MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_PY_FFI=0 MICROPY_PY_THREAD=0 \
    BUILD="$OUT/unix32-build" PROG=micropython32 \
    MICROPY_MPYCROSS="$OUT/mpy-cross" MPY_LIB_DIR="$LIBDIR" \
    FROZEN_MANIFEST="$MANIFEST" USER_C_MODULES="$ROOT/firmware/cmodules" \
    CFLAGS_EXTRA="$SAN" LDFLAGS_EXTRA="$SAN" >/dev/null
publish "$OUT/unix32-build/micropython32" "$OUT/micropython32"
echo "chip build: $OUT/micropython32 (frozen: ${MANIFEST:-nothing}), $OUT/mpy-cross"
