// The SMP serial link's checksum in C: crc16_xmodem(data[, crc]) -> int, as
// lightclient/chip/smp/frame.py's crc16 (which uses it when the image has it).
#include "lccrypto.h"
#include "lc_frame.h"

static mp_obj_t lc_crc16_xmodem_fn(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t data = lc_buf(args[0]);
    mp_int_t crc = n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    if (crc < 0 || crc > 0xFFFF) {
        mp_raise_ValueError(MP_ERROR_TEXT("crc16_xmodem: crc must be 0..65535"));
    }
    return MP_OBJ_NEW_SMALL_INT(lc_crc16_xmodem(data.buf, data.len, (uint16_t)crc));
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_crc16_xmodem_obj, 1, 2, lc_crc16_xmodem_fn);

// smp_encode_in_place(buf, off, line_max) -> buf: frame.py's encode_in_place in C, with no
// allocation (the Python one makes a few small objects a line, each a search of a fragmented
// heap). ValueError for a buffer not sized for it (frame.py then gives the typed error).
static mp_obj_t lc_smp_encode_in_place_fn(mp_obj_t buf_in, mp_obj_t off_in, mp_obj_t line_in) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(buf_in, &b, MP_BUFFER_WRITE);
    mp_int_t off = mp_obj_get_int(off_in), line_max = mp_obj_get_int(line_in);
    if (off < 0 || line_max < 0
        || lc_smp_encode_in_place(b.buf, b.len, (size_t)off, (size_t)line_max) != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("smp_encode_in_place: buffer not sized for its message"));
    }
    return buf_in;
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_smp_encode_in_place_obj, lc_smp_encode_in_place_fn);

// SmpDecoder(max_message): the receiver of frame.py (FrameDecoder uses it when the image has it;
// the state machine is lc_frame.c). One call per UART read, each message assembled in the one
// buffer its start line announced, no object per line. The caller keeps the clock:
//   feed(data, out) -> bits (1: a line began, 2: a frame began), messages appended to `out`
//   busy() -> bits (1: a partial line, 2: a partial frame); expire(frame, line): drop them
//   info() -> (frames, dropped, noise_lines, timeouts, last error, its values a, b)

typedef struct {
    mp_obj_base_t base;
    mp_obj_t frame;   // the bytearray s.asm_buf belongs to (None: no frame)
    mp_obj_t out;     // feed's list, during the call
    lc_smp_t s;
} lc_smp_obj_t;

static mp_obj_t lc_smp_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                                const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    mp_int_t max_message = mp_obj_get_int(args[0]);
    if (max_message < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("SmpDecoder: max_message must not be negative"));
    }
    if (max_message > 0xFFFF - 2) {
        max_message = 0xFFFF - 2;   // a 16-bit length never exceeds it: the same as unbounded
    }
    lc_smp_obj_t *o = mp_obj_malloc(lc_smp_obj_t, type);
    o->frame = mp_const_none;
    o->out = mp_const_none;
    lc_smp_init(&o->s, (size_t)max_message);
    return MP_OBJ_FROM_PTR(o);
}

// A frame's buffer, or NULL when the heap has none (the frame is dropped, the link survives).
static uint8_t *lc_smp_alloc(void *ctx, size_t n) {
    lc_smp_obj_t *o = ctx;
    o->frame = mp_const_none;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        uint8_t *items = m_new(uint8_t, n);
        o->frame = mp_obj_new_bytearray_by_ref(n, items);
        nlr_pop();
        return items;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (!mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exc)),
                                 MP_OBJ_FROM_PTR(&mp_type_MemoryError))) {
        nlr_jump(nlr.ret_val);
    }
    return NULL;
}

static void lc_smp_emit(void *ctx, uint8_t *buf, size_t n) {
    (void)buf;
    (void)n;
    lc_smp_obj_t *o = ctx;
    mp_obj_t msg = o->frame;
    o->frame = mp_const_none;
    mp_obj_list_append(o->out, msg);
}

// A frame given up is not kept alive by this object.
static void lc_smp_forget(lc_smp_obj_t *o) {
    if (o->s.asm_buf == NULL) {
        o->frame = mp_const_none;
    }
    o->out = mp_const_none;
}

static mp_obj_t lc_smp_feed_fn(mp_obj_t self_in, mp_obj_t data_in, mp_obj_t out_in) {
    lc_smp_obj_t *o = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t data = lc_buf(data_in);
    if (!mp_obj_is_type(out_in, &mp_type_list)) {
        mp_raise_TypeError(MP_ERROR_TEXT("SmpDecoder.feed: out must be a list"));
    }
    o->out = out_in;
    int flags = lc_smp_feed(&o->s, data.buf, data.len, lc_smp_alloc, lc_smp_emit, o);
    lc_smp_forget(o);
    return MP_OBJ_NEW_SMALL_INT(flags);
}
static MP_DEFINE_CONST_FUN_OBJ_3(lc_smp_feed_obj, lc_smp_feed_fn);

static mp_obj_t lc_smp_busy_fn(mp_obj_t self_in) {
    lc_smp_obj_t *o = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT((o->s.line_len > 0 ? 1 : 0) | (o->s.asm_buf != NULL ? 2 : 0));
}
static MP_DEFINE_CONST_FUN_OBJ_1(lc_smp_busy_obj, lc_smp_busy_fn);

static mp_obj_t lc_smp_expire_fn(mp_obj_t self_in, mp_obj_t frame_in, mp_obj_t line_in) {
    lc_smp_obj_t *o = MP_OBJ_TO_PTR(self_in);
    lc_smp_expire(&o->s, mp_obj_is_true(frame_in), mp_obj_is_true(line_in));
    lc_smp_forget(o);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(lc_smp_expire_obj, lc_smp_expire_fn);

static mp_obj_t lc_smp_info_fn(mp_obj_t self_in) {
    lc_smp_obj_t *o = MP_OBJ_TO_PTR(self_in);
    const lc_smp_t *s = &o->s;
    mp_obj_t items[7] = {
        mp_obj_new_int_from_uint(s->frames), mp_obj_new_int_from_uint(s->dropped),
        mp_obj_new_int_from_uint(s->noise_lines), mp_obj_new_int_from_uint(s->timeouts),
        MP_OBJ_NEW_SMALL_INT(s->err), mp_obj_new_int_from_uint(s->err_a),
        mp_obj_new_int_from_uint(s->err_b),
    };
    return mp_obj_new_tuple(7, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(lc_smp_info_obj, lc_smp_info_fn);

// frame.py's take_unheld(): (SMP header bytes, packet length) of the last frame dropped for want
// of memory, once; None when there is none.
static mp_obj_t lc_smp_take_unheld_fn(mp_obj_t self_in) {
    lc_smp_obj_t *o = MP_OBJ_TO_PTR(self_in);
    lc_smp_t *s = &o->s;
    if (!s->has_unheld) {
        return mp_const_none;
    }
    s->has_unheld = 0;
    mp_obj_t items[2] = {
        mp_obj_new_bytes(s->unheld, sizeof(s->unheld)), mp_obj_new_int_from_uint(s->unheld_len),
    };
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(lc_smp_take_unheld_obj, lc_smp_take_unheld_fn);

static const mp_rom_map_elem_t lc_smp_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_take_unheld), MP_ROM_PTR(&lc_smp_take_unheld_obj) },
    { MP_ROM_QSTR(MP_QSTR_feed), MP_ROM_PTR(&lc_smp_feed_obj) },
    { MP_ROM_QSTR(MP_QSTR_busy), MP_ROM_PTR(&lc_smp_busy_obj) },
    { MP_ROM_QSTR(MP_QSTR_expire), MP_ROM_PTR(&lc_smp_expire_obj) },
    { MP_ROM_QSTR(MP_QSTR_info), MP_ROM_PTR(&lc_smp_info_obj) },
};
static MP_DEFINE_CONST_DICT(lc_smp_locals, lc_smp_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    lc_smp_decoder_type,
    MP_QSTR_SmpDecoder,
    MP_TYPE_FLAG_NONE,
    make_new, lc_smp_make_new,
    locals_dict, &lc_smp_locals
    );
