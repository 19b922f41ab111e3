#!/bin/sh
# Re-vendors the C libraries lccrypto binds, from registry source packages (trezor-crypto, in no
# registry: from its public repository, see the end), and rewrites
# each PROVENANCE.md (archive checksum, file list with sha256). Needs pip and apt-get; run from
# anywhere: `sh firmware/cmodules/vendor/refresh.sh`. The archives' checksums are pinned below:
# a different archive stops the script.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

MONO_SDIST=pymonocypher-4.0.3.4.tar.gz
MONO_SHA=5e56e3d3eb770a53e0b9f6274146663c11a11f3d0de5cd48e3be0428d1b07a4a
NACL_SDIST=pynacl-1.6.2.tar.gz
NACL_SHA=018494d6d696ae03c7e656e5e74cdfd8ea1326962cc401bcf018f1ed8436811c
SECP_ORIG=libsecp256k1_0.5.0.orig.tar.xz
SECP_SHA=13b70138be52d7a23bdf0ea39ed79799a30eb855f2ed82c028357f6432cd536b

check() { # file sha256
    echo "$2  $1" | sha256sum -c --quiet - || { echo "checksum mismatch: $1" >&2; exit 1; }
}

# pip needs setuptools+wheel to prepare an sdist's metadata; a throwaway venv keeps it off the host.
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q setuptools wheel
"$WORK/venv/bin/pip" download -q --no-deps --no-binary :all: --no-build-isolation \
    -d "$WORK" pymonocypher==4.0.3.4 pynacl==1.6.2
check "$WORK/$MONO_SDIST" "$MONO_SHA"
check "$WORK/$NACL_SDIST" "$NACL_SHA"

# Debian trixie's source package, through a private apt configuration (the host's is untouched).
mkdir -p "$WORK/apt/lists/partial"
echo "deb-src http://deb.debian.org/debian trixie main" > "$WORK/apt/sources.list"
APT="-o Dir::Etc::SourceList=$WORK/apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$WORK/apt/lists"
apt-get $APT update -qq
(cd "$WORK" && apt-get $APT source --download-only -qq libsecp256k1=0.5.0-2)
check "$WORK/$SECP_ORIG" "$SECP_SHA"

tar -xzf "$WORK/$MONO_SDIST" -C "$WORK"
tar -xzf "$WORK/$NACL_SDIST" -C "$WORK"
tar -xJf "$WORK/$SECP_ORIG" -C "$WORK"

# copy_tree DEST SRCROOT FILE... : keeps each FILE's path relative to SRCROOT
copy_tree() {
    dest=$1; root=$2; shift 2
    rm -rf "$dest"; mkdir -p "$dest"
    for f in "$@"; do mkdir -p "$dest/$(dirname "$f")"; cp "$root/$f" "$dest/$f"; done
}

provenance() { # DEST NAME VERSION LICENCE HOW
    dest=$1
    {
        echo "# $2 $3"
        echo
        echo "Licence: $4 (full text in the licence file listed below)."
        echo
        echo "How obtained: $5"
        echo
        echo "Files kept, unmodified (sha256):"
        echo '```'
        (cd "$dest" && find . -type f ! -name PROVENANCE.md | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum)
        echo '```'
    } > "$dest/PROVENANCE.md"
}

M="$WORK/pymonocypher-4.0.3.4"
copy_tree "$HERE/monocypher-4.0.3" "$M" monocypher.c monocypher.h LICENSE.txt
provenance "$HERE/monocypher-4.0.3" Monocypher 4.0.3 \
    "BSD-2-Clause OR CC0-1.0 (monocypher.c header); LICENSE.txt is the sdist's" \
    "PyPI sdist $MONO_SDIST (sha256 $MONO_SHA), \`pip download --no-deps --no-binary :all: pymonocypher==4.0.3.4\`; monocypher.c says \"Monocypher version 4.0.3\"."

S="$WORK/libsecp256k1-0.5.0"
SECP_FILES="COPYING include/secp256k1.h include/secp256k1_preallocated.h src/secp256k1.c src/precomputed_ecmult.c src/precomputed_ecmult_gen.c"
for h in "$S"/src/*.h; do
    case $(basename "$h") in test*|bench*) ;; *) SECP_FILES="$SECP_FILES src/$(basename "$h")";; esac
done
copy_tree "$HERE/libsecp256k1-0.5.0" "$S" $SECP_FILES
provenance "$HERE/libsecp256k1-0.5.0" libsecp256k1 0.5.0 "MIT (COPYING)" \
    "Debian trixie source package libsecp256k1 0.5.0-2, \`apt-get source --download-only libsecp256k1=0.5.0-2\` (deb-src http://deb.debian.org/debian trixie main), upstream tarball $SECP_ORIG (sha256 $SECP_SHA). Only the library core is kept (no modules, tests, benchmarks or build files)."

N="$WORK/pynacl-1.6.2/src/libsodium"
copy_tree "$HERE/libsodium-1.0.20" "$N" LICENSE \
    src/libsodium/crypto_hash/sha512/cp/hash_sha512_cp.c \
    src/libsodium/crypto_core/ed25519/ref10/ed25519_ref10.c \
    src/libsodium/crypto_core/ed25519/ref10/fe_25_5/base.h \
    src/libsodium/crypto_core/ed25519/ref10/fe_25_5/base2.h \
    src/libsodium/crypto_core/ed25519/ref10/fe_25_5/constants.h \
    src/libsodium/crypto_core/ed25519/ref10/fe_25_5/fe.h \
    src/libsodium/include/sodium/crypto_hash_sha512.h \
    src/libsodium/include/sodium/crypto_verify_32.h \
    src/libsodium/include/sodium/export.h \
    src/libsodium/include/sodium/utils.h \
    src/libsodium/include/sodium/private/common.h \
    src/libsodium/include/sodium/private/ed25519_ref10.h \
    src/libsodium/include/sodium/private/ed25519_ref10_fe_25_5.h
grep -q 'AC_INIT(\[libsodium\],\[1.0.20\]' "$N/configure.ac" || { echo "pynacl's libsodium is not 1.0.20" >&2; exit 1; }
provenance "$HERE/libsodium-1.0.20" libsodium 1.0.20 "ISC (LICENSE)" \
    "PyPI sdist $NACL_SDIST (sha256 $NACL_SHA), \`pip download --no-deps --no-binary :all: pynacl==1.6.2\`, folder src/libsodium (its configure.ac says 1.0.20). Only SHA-512 and the ref10 edwards25519 group (crypto_core/ed25519/ref10, 32-bit fe_25_5 field) are kept."
# trezor-crypto's RIPEMD-160 and Bech32 are in no registry: it comes from the public repository
# trezor/trezor-firmware at tag core/v2.12.4 (commit 30be4e8c), given as a git directory in
# TREZOR_FIRMWARE (a clone or snapshot); the files must match the sha256 pinned in its
# PROVENANCE.md, which is kept as written. Without TREZOR_FIRMWARE the copy is only checked.
T="$HERE/trezor-crypto-core-v2.12.4"
if [ -n "${TREZOR_FIRMWARE:-}" ]; then
    for f in LICENSE memzero.c memzero.h ripemd160.c ripemd160.h segwit_addr.c segwit_addr.h; do
        git -C "$TREZOR_FIRMWARE" show "core/v2.12.4:crypto/$f" > "$T/$f"
    done
fi
(cd "$T" && sed -n '/^```$/,/^```$/p' PROVENANCE.md | grep -v '^```' | sha256sum -c --quiet -) \
    || { echo "trezor-crypto files differ from PROVENANCE.md" >&2; exit 1; }
echo "vendored into $HERE"
