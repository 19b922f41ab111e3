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
