// lccrypto: the chip's native crypto, a thin binding over vendored libraries (Monocypher 4.0.3,
// libsecp256k1 0.5.0, libsodium 1.0.20's SHA-512). Contract: docs/chip-native-crypto.md.
#include "lccrypto.h"

// Which libraries and versions serve this build, for `status` and reports.
static MP_DEFINE_STR_OBJ(lc_libraries_obj, "monocypher-4.0.3 libsecp256k1-0.5.0 libsodium-1.0.20 trezor-crypto-core-v2.12.4");

static const mp_rom_map_elem_t lccrypto_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_lccrypto) },
    { MP_ROM_QSTR(MP_QSTR_LIBRARIES), MP_ROM_PTR(&lc_libraries_obj) },
    { MP_ROM_QSTR(MP_QSTR_sha512), MP_ROM_PTR(&lc_sha512_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_verify), MP_ROM_PTR(&lc_ed25519_verify_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_public_key), MP_ROM_PTR(&lc_ed25519_public_key_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_sign), MP_ROM_PTR(&lc_ed25519_sign_obj) },
    { MP_ROM_QSTR(MP_QSTR_x25519), MP_ROM_PTR(&lc_x25519_obj) },
    { MP_ROM_QSTR(MP_QSTR_x25519_public_key), MP_ROM_PTR(&lc_x25519_public_key_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_point_mul), MP_ROM_PTR(&lc_ed25519_point_mul_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_base_mul), MP_ROM_PTR(&lc_ed25519_base_mul_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_point_add), MP_ROM_PTR(&lc_ed25519_point_add_obj) },
    { MP_ROM_QSTR(MP_QSTR_ed25519_point_sub), MP_ROM_PTR(&lc_ed25519_point_sub_obj) },
    { MP_ROM_QSTR(MP_QSTR_chacha20poly1305_encrypt), MP_ROM_PTR(&lc_chacha20poly1305_encrypt_obj) },
    { MP_ROM_QSTR(MP_QSTR_chacha20poly1305_decrypt), MP_ROM_PTR(&lc_chacha20poly1305_decrypt_obj) },
    { MP_ROM_QSTR(MP_QSTR_xchacha20poly1305_encrypt), MP_ROM_PTR(&lc_xchacha20poly1305_encrypt_obj) },
    { MP_ROM_QSTR(MP_QSTR_xchacha20poly1305_decrypt), MP_ROM_PTR(&lc_xchacha20poly1305_decrypt_obj) },
    { MP_ROM_QSTR(MP_QSTR_secp256k1_verify), MP_ROM_PTR(&lc_secp256k1_verify_obj) },
    { MP_ROM_QSTR(MP_QSTR_secp256k1_verify_digest), MP_ROM_PTR(&lc_secp256k1_verify_digest_obj) },
    { MP_ROM_QSTR(MP_QSTR_secp256k1_sign), MP_ROM_PTR(&lc_secp256k1_sign_obj) },
    { MP_ROM_QSTR(MP_QSTR_secp256k1_sign_digest), MP_ROM_PTR(&lc_secp256k1_sign_digest_obj) },
    { MP_ROM_QSTR(MP_QSTR_secp256k1_public_key), MP_ROM_PTR(&lc_secp256k1_public_key_obj) },
    { MP_ROM_QSTR(MP_QSTR_hmac_sha256), MP_ROM_PTR(&lc_hmac_sha256_obj) },
    { MP_ROM_QSTR(MP_QSTR_hkdf_sha256), MP_ROM_PTR(&lc_hkdf_sha256_obj) },
    { MP_ROM_QSTR(MP_QSTR_crc16_xmodem), MP_ROM_PTR(&lc_crc16_xmodem_obj) },
    { MP_ROM_QSTR(MP_QSTR_sha256), MP_ROM_PTR(&lc_sha256_obj) },
    { MP_ROM_QSTR(MP_QSTR_ripemd160), MP_ROM_PTR(&lc_ripemd160_obj) },
    { MP_ROM_QSTR(MP_QSTR_bech32_encode), MP_ROM_PTR(&lc_bech32_encode_obj) },
    { MP_ROM_QSTR(MP_QSTR_SmpDecoder), MP_ROM_PTR(&lc_smp_decoder_type) },
    { MP_ROM_QSTR(MP_QSTR_smp_encode_in_place), MP_ROM_PTR(&lc_smp_encode_in_place_obj) },
    { MP_ROM_QSTR(MP_QSTR_merkle_leaf), MP_ROM_PTR(&lc_merkle_leaf_obj) },
    { MP_ROM_QSTR(MP_QSTR_merkle_inner), MP_ROM_PTR(&lc_merkle_inner_obj) },
    { MP_ROM_QSTR(MP_QSTR_merkle_root), MP_ROM_PTR(&lc_merkle_root_obj) },
    { MP_ROM_QSTR(MP_QSTR_ics23_exist_root), MP_ROM_PTR(&lc_ics23_exist_root_obj) },
};
static MP_DEFINE_CONST_DICT(lccrypto_globals, lccrypto_globals_table);

const mp_obj_module_t lccrypto_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&lccrypto_globals,
};

MP_REGISTER_MODULE(MP_QSTR_lccrypto, lccrypto_user_cmodule);
