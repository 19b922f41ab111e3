// The SMP serial link's checksum in C: crc16_xmodem(data[, crc]) -> int, as
// lightclient/chip/smp/frame.py's crc16 (which uses it when the image has it).
#include "lccrypto.h"

static mp_obj_t lc_crc16_xmodem_fn(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t data = lc_buf(args[0]);
    mp_int_t crc = n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    if (crc < 0 || crc > 0xFFFF) {
        mp_raise_ValueError(MP_ERROR_TEXT("crc16_xmodem: crc must be 0..65535"));
    }
    return MP_OBJ_NEW_SMALL_INT(lc_crc16_xmodem(data.buf, data.len, (uint16_t)crc));
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_crc16_xmodem_obj, 1, 2, lc_crc16_xmodem_fn);

// One SMP line's base64 decoded strictly into a caller's buffer, without an object per line:
// b64_decode_into(dst, src, start, end) -> the number of bytes written at dst[0:]. Exactly the
// canonical encoding frame.py's decode_line accepts (standard alphabet, a positive multiple of
// 4 characters, '=' only as the last one or two, pad bits zero); ValueError otherwise, or when
// dst is too small; nothing is allocated and dst is written only once src has been checked.
static int b64_value(uint8_t c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

static mp_obj_t lc_b64_decode_into_fn(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t dst;
    mp_get_buffer_raise(args[0], &dst, MP_BUFFER_WRITE);
    mp_buffer_info_t src = lc_buf(args[1]);
    mp_int_t start = mp_obj_get_int(args[2]);
    mp_int_t end = mp_obj_get_int(args[3]);
    if (start < 0 || end < start || (size_t)end > src.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("b64_decode_into: start/end outside src"));
    }
    const uint8_t *s = (const uint8_t *)src.buf + start;
    size_t len = (size_t)(end - start);
    if (len == 0 || len % 4) {
        mp_raise_ValueError(MP_ERROR_TEXT("b64_decode_into: length not a positive multiple of 4"));
    }
    size_t pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
    size_t n = len / 4 * 3 - pad;
    if (n > dst.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("b64_decode_into: dst too small"));
    }
    // check every character first (dst untouched on any error)
    for (size_t i = 0; i < len - pad; i++) {
        if (b64_value(s[i]) < 0) {
            mp_raise_ValueError(MP_ERROR_TEXT("b64_decode_into: not base64"));
        }
    }
    int last = b64_value(s[len - pad - 1]);
    if ((pad == 1 && (last & 3)) || (pad == 2 && (last & 15))) {
        mp_raise_ValueError(MP_ERROR_TEXT("b64_decode_into: non-zero pad bits"));
    }
    uint8_t *d = (uint8_t *)dst.buf;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int c = (i + j < len - pad) ? b64_value(s[i + j]) : 0;
            v = (v << 6) | (uint32_t)c;
        }
        for (size_t j = 0; j < 3 && o < n; j++) {
            d[o++] = (uint8_t)(v >> (16 - 8 * j));
        }
    }
    return MP_OBJ_NEW_SMALL_INT(n);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_b64_decode_into_obj, 4, 4, lc_b64_decode_into_fn);
