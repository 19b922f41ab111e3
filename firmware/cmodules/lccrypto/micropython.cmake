# lccrypto for the cmake-based ports (ports/esp32). Mirrors micropython.mk (the unix port): same
# sources, same table sizes, vendored code at -O2 in a static library of its own (so the qstr
# scan only reads our binding).
set(LCC_VENDOR ${CMAKE_CURRENT_LIST_DIR}/../vendor)
set(LCC_MONO ${LCC_VENDOR}/monocypher-4.0.3)
set(LCC_SECP ${LCC_VENDOR}/libsecp256k1-0.5.0)
set(LCC_SODIUM ${LCC_VENDOR}/libsodium-1.0.20/src/libsodium)
set(LCC_TREZOR ${LCC_VENDOR}/trezor-crypto-core-v2.12.4)
set(LCC_INCLUDES ${CMAKE_CURRENT_LIST_DIR} ${LCC_MONO} ${LCC_SECP}/include ${LCC_SECP}/src
    ${LCC_SODIUM}/include/sodium ${LCC_SODIUM}/include ${LCC_TREZOR})
# Static tables (const, in flash): verify window 8 (8 KiB), signing comb 2 x 5 (2 KiB).
set(LCC_DEFINES ECMULT_WINDOW_SIZE=8 COMB_BLOCKS=2 COMB_TEETH=5 CONFIGURED=1 NATIVE_LITTLE_ENDIAN=1)

add_library(lccrypto_vendor STATIC
    ${LCC_MONO}/monocypher.c
    ${LCC_SODIUM}/crypto_hash/sha512/cp/hash_sha512_cp.c
    ${LCC_SODIUM}/crypto_core/ed25519/ref10/ed25519_ref10.c
    ${LCC_SECP}/src/secp256k1.c
    ${LCC_SECP}/src/precomputed_ecmult.c
    ${LCC_SECP}/src/precomputed_ecmult_gen.c
    ${LCC_TREZOR}/ripemd160.c
    ${LCC_TREZOR}/segwit_addr.c
    ${LCC_TREZOR}/memzero.c
)
target_include_directories(lccrypto_vendor PRIVATE ${LCC_INCLUDES})
target_compile_definitions(lccrypto_vendor PRIVATE ${LCC_DEFINES})
target_compile_options(lccrypto_vendor PRIVATE -O2 -Wno-error -Wno-unused-function)

add_library(usermod_lccrypto INTERFACE)
target_sources(usermod_lccrypto INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/lccrypto.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_core.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_ed25519.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_aead.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_secp256k1.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_link.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_merkle.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_ripemd160.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_bech32.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_frame.c
    ${CMAKE_CURRENT_LIST_DIR}/lc_ics23.c
)
target_include_directories(usermod_lccrypto INTERFACE ${LCC_INCLUDES})
target_compile_definitions(usermod_lccrypto INTERFACE ${LCC_DEFINES})
target_link_libraries(usermod_lccrypto INTERFACE lccrypto_vendor)
target_link_libraries(usermod INTERFACE usermod_lccrypto)
