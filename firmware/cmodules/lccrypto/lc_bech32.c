// Bech32 (BIP 173) for account addresses, trezor-crypto's copy of Pieter Wuille's reference
// code (vendor/trezor-crypto-core-v2.12.4/segwit_addr.c): bech32_encode(hrp, data) -> str, the
// 8-bit data regrouped into 5-bit values (BIP 173's convertbits, padded) here. The pure
// lightclient/chip/bech32.py cost ~0.45 M instructions an address on the chip (OPEN_SETTINGS
// makes two); it stays the fallback and the oracle of the tests.
#include <string.h>

#include "lccrypto.h"
#include "segwit_addr.h"

#define LC_BECH32_MAX 90   // BIP 173's longest string; bech32_encode refuses longer ones

static mp_obj_t lc_bech32_encode_fn(mp_obj_t hrp_in, mp_obj_t data_in) {
    size_t hrp_len;
    const char *hrp_data = mp_obj_str_get_data(hrp_in, &hrp_len);
    mp_buffer_info_t data = lc_buf(data_in);
    // bounded before anything is written: hrp + "1" + data + 6 checksum characters <= 90
    size_t n5 = (data.len * 8 + 4) / 5;
    if (hrp_len < 1 || hrp_len + 7 + n5 > LC_BECH32_MAX) {
        mp_raise_ValueError(MP_ERROR_TEXT("bech32: human-readable part or data too long"));
    }
    char hrp[LC_BECH32_MAX + 1];     // bech32_encode reads a NUL-terminated hrp
    memcpy(hrp, hrp_data, hrp_len);
    hrp[hrp_len] = 0;
    if (strlen(hrp) != hrp_len) {
        mp_raise_ValueError(MP_ERROR_TEXT("bech32: NUL in the human-readable part"));
    }
    uint8_t five[LC_BECH32_MAX];
    const uint8_t *in = data.buf;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < data.len; i++) {
        acc = ((acc << 8) | in[i]) & 0x1FFF;   // only the bits not yet emitted
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            five[n++] = (acc >> bits) & 31;
        }
    }
    if (bits) {
        five[n++] = (acc << (5 - bits)) & 31;
    }
    char out[LC_BECH32_MAX + 1];
    if (!bech32_encode(out, hrp, five, n, BECH32_ENCODING_BECH32)) {
        mp_raise_ValueError(MP_ERROR_TEXT("bech32: human-readable part not printable lower-case ASCII"));
    }
    return mp_obj_new_str(out, strlen(out));
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_bech32_encode_obj, lc_bech32_encode_fn);
