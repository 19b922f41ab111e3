# lccrypto for the make-based ports (the unix port here). ESP32 (cmake): micropython.cmake.
LCCRYPTO_DIR := $(USERMOD_DIR)
LCC_VENDOR := $(USER_C_MODULES)/vendor
LCC_MONO := $(LCC_VENDOR)/monocypher-4.0.3
LCC_SECP := $(LCC_VENDOR)/libsecp256k1-0.5.0
LCC_SODIUM := $(LCC_VENDOR)/libsodium-1.0.20/src/libsodium
LCC_TREZOR := $(LCC_VENDOR)/trezor-crypto-core-v2.12.4

SRC_USERMOD_C += $(addprefix $(LCCRYPTO_DIR)/, lccrypto.c lc_core.c lc_ed25519.c lc_aead.c lc_secp256k1.c lc_link.c lc_merkle.c lc_ripemd160.c lc_bech32.c lc_frame.c lc_ics23.c)

SRC_USERMOD_LIB_C += $(LCC_MONO)/monocypher.c \
    $(LCC_SODIUM)/crypto_hash/sha512/cp/hash_sha512_cp.c \
    $(LCC_SODIUM)/crypto_core/ed25519/ref10/ed25519_ref10.c \
    $(LCC_SECP)/src/secp256k1.c \
    $(LCC_SECP)/src/precomputed_ecmult.c \
    $(LCC_SECP)/src/precomputed_ecmult_gen.c \
    $(LCC_TREZOR)/ripemd160.c \
    $(LCC_TREZOR)/segwit_addr.c \
    $(LCC_TREZOR)/memzero.c

CFLAGS_USERMOD += -I$(LCCRYPTO_DIR) -I$(LCC_MONO) -I$(LCC_SECP)/include -I$(LCC_SECP)/src \
    -I$(LCC_SODIUM)/include/sodium -I$(LCC_SODIUM)/include -I$(LCC_TREZOR)

# Static tables in flash (const): verify's window 8 (2 x 4 KiB: a verify costs ~0.5 M
# instructions less than with window 2's 2 x 64 B; flash is plentiful, the heap is not),
# signing's comb 2 blocks x 5 teeth (2 KiB, the smallest the library ships).
# libsodium's headers refuse to build unconfigured; the target is little-endian.
CFLAGS_USERMOD += -DECMULT_WINDOW_SIZE=8 -DCOMB_BLOCKS=2 -DCOMB_TEETH=5 \
    -DCONFIGURED=1 -DNATIVE_LITTLE_ENDIAN=1

# Vendored code is compiled as its authors wrote it, at -O2 (the port's -Os halves its speed),
# without the port's -Werror (their warnings are theirs, not ours).
LCC_LIB_OBJ := $(addprefix $(BUILD)/, $(patsubst $(USER_C_MODULES)/%.c,%.o,$(filter $(LCC_VENDOR)/%,$(SRC_USERMOD_LIB_C))))
$(LCC_LIB_OBJ): CFLAGS += -O2 -Wno-error -Wno-unused-function
