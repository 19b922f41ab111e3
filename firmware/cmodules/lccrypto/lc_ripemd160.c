// RIPEMD-160 for account addresses (RIPEMD-160 of SHA-256 of the key), from trezor-crypto
// (vendor/trezor-crypto-core-v2.12.4): ripemd160(data) -> 20 bytes. The pure-Python
// lightclient/chip/crypto/ripemd160.py cost ~2.3 M instructions an address on the chip.
#include "lccrypto.h"
#include "ripemd160.h"

static mp_obj_t lc_ripemd160_fn(mp_obj_t data_in) {
    mp_buffer_info_t data = lc_buf(data_in);
    vstr_t out;
    ripemd160(data.buf, data.len, lc_result(&out, RIPEMD160_DIGEST_LENGTH));
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_ripemd160_obj, lc_ripemd160_fn);
