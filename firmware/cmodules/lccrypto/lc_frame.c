// The SMP serial framing's receiver (lc_frame.h): frame.py's FrameDecoder in C. Each step below
// names the Python it mirrors; tests/chip32/test_frame_native32.py feeds both the same chunkings
// and compares messages, counters and errors. Untrusted bytes: a line is kept only up to
// LC_SMP_RX_LINE_MAX, decodes into a stack buffer of at most LC_SMP_MAX_DECODED bytes, and
// reaches the frame's buffer only within the length the start line announced (itself bounded by
// max_message before the buffer is asked for).
#include <string.h>

#include "lc_core.h"
#include "lc_frame.h"

#define START0 0x06
#define START1 0x09
#define CONT0 0x04
#define CONT1 0x14

void lc_smp_init(lc_smp_t *s, size_t max_message) {
    memset(s, 0, sizeof(*s));
    s->tail = -1;
    s->max_message = max_message;
}

static void drop(lc_smp_t *s, int err, uint32_t a, uint32_t b) {
    s->err = err;
    s->err_a = a;
    s->err_b = b;
    s->dropped++;
}

// The frame is given up (frame.py: self.asm = None; self.discarding = True; self._drop(e)).
static void abort_frame(lc_smp_t *s, int err, uint32_t a, uint32_t b) {
    s->asm_buf = NULL;
    s->discarding = 1;
    drop(s, err, a, b);
}

void lc_smp_expire(lc_smp_t *s, int frame_expired, int line_expired) {
    if (frame_expired && s->asm_buf != NULL) {
        s->timeouts++;
        abort_frame(s, LC_SMP_TIMEOUT, 0, 0);
    }
    if (line_expired && s->line_len > 0) {
        s->line_len = 0;
        s->timeouts++;
    }
}

// base64 character -> its 6 bits, 255 outside the alphabet ('=' included)
static const uint8_t B64[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 62, 255, 255, 255, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 255, 255, 255, 255, 255, 255,
    255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 255, 255, 255, 255, 255,
    255, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

// Canonical base64 only (frame.decode_line: a2b_base64, then the re-encoding must equal the
// input): the alphabet, '=' only as the last one or two characters, zero pad bits.
// len is a positive multiple of 4, at most LC_SMP_RX_LINE_MAX - 2. Returns bytes written or -1.
static int b64_decode(uint8_t *out, const uint8_t *in, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int pad = 0;
        if (i + 4 == len) {
            pad = in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0;
        }
        int v0 = B64[in[i]], v1 = B64[in[i + 1]];
        int v2 = pad == 2 ? 0 : B64[in[i + 2]];
        int v3 = pad >= 1 ? 0 : B64[in[i + 3]];
        if ((v0 | v1 | v2 | v3) > 63) {   // a character outside the alphabet
            return -1;
        }
        if ((pad == 2 && (v1 & 0x0F)) || (pad == 1 && (v2 & 0x03))) {
            return -1;   // pad bits not zero: not what b2a_base64 writes
        }
        uint32_t w = ((uint32_t)v0 << 18) | ((uint32_t)v1 << 12) | ((uint32_t)v2 << 6) | (uint32_t)v3;
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) {
            out[o++] = (uint8_t)(w >> 8);
        }
        if (pad < 1) {
            out[o++] = (uint8_t)w;
        }
    }
    return (int)o;
}

// _Assembly.add: bounded by the announced length, the last two bytes are the CRC.
static int asm_add(lc_smp_t *s, const uint8_t *d, size_t k) {
    if (s->fill + k > s->need) {
        abort_frame(s, LC_SMP_OVERRUN, (uint32_t)(s->fill + k), (uint32_t)s->need);
        return 0;
    }
    size_t m = s->need - 2;
    size_t j = s->fill >= m ? 0 : (k < m - s->fill ? k : m - s->fill);   // message bytes
    memcpy(s->asm_buf + s->fill, d, j);
    for (size_t i = j; i < k; i++) {   // the rest, at most 2, is the CRC
        s->crc[s->fill + i - m] = d[i];
    }
    s->fill += k;
    return 1;
}

static int is_space(uint8_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

// frame.py's _line: one complete line (without its newline).
static int line_done(lc_smp_t *s, const uint8_t *line, size_t len, lc_smp_alloc_fn alloc,
                     lc_smp_emit_fn emit, void *ctx) {
    int flags = 0;
    int start = len >= 2 && line[0] == START0 && line[1] == START1;
    int cont = len >= 2 && line[0] == CONT0 && line[1] == CONT1;
    if (!start && !cont) {
        for (size_t i = 0; i < len; i++) {
            if (!is_space(line[i])) {   // console text sharing the line: counted, not an error
                s->noise_lines++;
                break;
            }
        }
        return 0;
    }
    if (cont && s->asm_buf == NULL && s->discarding) {
        return 0;
    }
    // decode_line
    if (line[len - 1] == '\r') {
        len--;
    }
    size_t body = len - 2;
    if (body == 0 || body % 4) {
        abort_frame(s, LC_SMP_BASE64_LENGTH, (uint32_t)body, 0);
        return 0;
    }
    uint8_t data[LC_SMP_MAX_DECODED];
    int k = b64_decode(data, line + 2, body);
    if (k < 0) {
        abort_frame(s, LC_SMP_BASE64, 0, 0);
        return 0;
    }
    if (start) {
        s->discarding = 0;
        if (s->asm_buf != NULL) {
            drop(s, LC_SMP_ABANDONED, 0, 0);
        }
        s->asm_buf = NULL;
        // _Assembly(first, max_message)
        if (k < 2) {
            abort_frame(s, LC_SMP_SHORT, 0, 0);
            return 0;
        }
        size_t n = ((size_t)data[0] << 8) | data[1];
        if (n < 2 + 8) {
            abort_frame(s, LC_SMP_LENGTH, (uint32_t)n, 0);
            return 0;
        }
        if (n > s->max_message + 2) {
            abort_frame(s, LC_SMP_TOO_LARGE, (uint32_t)n, (uint32_t)(s->max_message + 2));
            return 0;
        }
        uint8_t *buf = alloc(ctx, n - 2);
        if (buf == NULL) {
            if (k >= 2 + 8) {
                memcpy(s->unheld, data + 2, 8);
                s->unheld_len = (uint32_t)n;
                s->has_unheld = 1;
            }
            abort_frame(s, LC_SMP_NO_MEMORY, (uint32_t)n, 0);
            return 0;
        }
        s->asm_buf = buf;
        s->need = n;
        s->fill = 0;
        if (!asm_add(s, data + 2, (size_t)k - 2)) {
            return 0;
        }
        flags |= LC_SMP_FRAME_STARTED;
    } else {
        if (s->asm_buf == NULL) {
            abort_frame(s, LC_SMP_ORPHAN, 0, 0);
            return 0;
        }
        if (!asm_add(s, data, (size_t)k)) {
            return 0;
        }
    }
    if (s->fill != s->need) {
        return flags;
    }
    // finish
    uint8_t *msg = s->asm_buf;
    size_t m = s->need - 2;
    s->asm_buf = NULL;
    uint16_t got = (uint16_t)((s->crc[0] << 8) | s->crc[1]);
    uint16_t want = lc_crc16_xmodem(msg, m, 0);
    if (got != want) {
        abort_frame(s, LC_SMP_CRC, got, want);
        return flags;
    }
    s->frames++;
    emit(ctx, msg, m);
    return flags;
}

// The last START or CONT delimiter wholly inside d[start:end] (bytes.rfind of either), -1: none.
static long last_delimiter_at_or_after(const uint8_t *d, size_t start, size_t end, size_t floor) {
    for (size_t i = end - 1; i > start && i >= floor + 1; i--) {
        if ((d[i - 1] == START0 && d[i] == START1) || (d[i - 1] == CONT0 && d[i] == CONT1)) {
            return (long)(i - 1);
        }
    }
    return -1;
}

// frame.py's _segment: data[start:end], a piece of one line, joins the current line; a
// delimiter inside it starts a new line (what came before is noise).
static int segment(lc_smp_t *s, const uint8_t *d, size_t start, size_t end) {
    int flags = 0;
    int busy = s->skipping || s->line_len > 0;
    // a delimiter at `start` itself cuts only inside a line already begun
    long cut = last_delimiter_at_or_after(d, start, end, busy ? start : start + 1);
    int keep = -1;
    if (cut < 0 && (s->tail == START0 || s->tail == CONT0) && (s->skipping || s->line_len > 1)
        && ((s->tail == START0 && d[start] == START1) || (s->tail == CONT0 && d[start] == CONT1))) {
        cut = (long)start;   // the delimiter straddles two reads: its first byte was fed last
        keep = s->tail;
    }
    if (cut >= 0) {
        s->noise_lines++;
        s->line_len = 0;
        if (keep >= 0) {
            s->line[s->line_len++] = (uint8_t)keep;
        }
        s->skipping = 0;
        flags |= LC_SMP_LINE_STARTED;
        start = (size_t)cut;
    }
    if (!s->skipping) {
        if (s->line_len == 0) {
            flags |= LC_SMP_LINE_STARTED;
        }
        size_t k = end - start;
        if (s->line_len + k > LC_SMP_RX_LINE_MAX) {
            s->line_len = 0;
            s->skipping = 1;
            drop(s, LC_SMP_LINE_TOO_LONG, LC_SMP_RX_LINE_MAX, 0);
        } else {
            memcpy(s->line + s->line_len, d + start, k);
            s->line_len += k;
        }
    }
    s->tail = d[end - 1];
    return flags;
}

int lc_smp_feed(lc_smp_t *s, const uint8_t *data, size_t n, lc_smp_alloc_fn alloc,
                lc_smp_emit_fn emit, void *ctx) {
    int flags = 0;
    size_t start = 0;
    while (start < n) {
        const uint8_t *nl = memchr(data + start, '\n', n - start);
        size_t end = nl == NULL ? n : (size_t)(nl - data);
        if (end > start) {
            flags |= segment(s, data, start, end);
        }
        if (nl == NULL) {
            break;
        }
        if (s->skipping) {
            s->skipping = 0;
        } else {
            // the line leaves the buffer before it is handled (frame.py: self.line = bytearray())
            uint8_t line[LC_SMP_RX_LINE_MAX];
            size_t len = s->line_len;
            memcpy(line, s->line, len);
            s->line_len = 0;
            flags |= line_done(s, line, len, alloc, emit, ctx);
        }
        s->tail = -1;
        start = end + 1;
    }
    return flags;
}

// --- the sender ------------------------------------------------------------------------------

static const char B64_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t lc_smp_packet_size(size_t n, size_t line_max) {
    if (line_max < 8 || line_max > LC_SMP_TX_LINE_MAX || n + 2 > 0xFFFF) {
        return 0;
    }
    size_t chunk = (line_max - 4) / 4 * 3;   // frame.py's _chunk
    size_t total = n + 4, full = total / chunk, last = total % chunk;
    size_t size = full * (2 + chunk / 3 * 4 + 1);
    if (last) {
        size += 2 + (last + 2) / 3 * 4 + 1;
    }
    return size;
}

int lc_smp_encode_in_place(uint8_t *buf, size_t buf_len, size_t off, size_t line_max) {
    if (off > buf_len) {
        return -1;
    }
    size_t n = buf_len - off;
    if (lc_smp_packet_size(n, line_max) != buf_len || buf_len == 0) {
        return -1;
    }
    uint16_t crc = lc_crc16_xmodem(buf + off, n, 0);
    uint8_t head[2] = {(uint8_t)((n + 2) >> 8), (uint8_t)(n + 2)};
    uint8_t tail[2] = {(uint8_t)(crc >> 8), (uint8_t)crc};
    size_t chunk = (line_max - 4) / 4 * 3, total = n + 4, o = 0;
    uint8_t raw[(LC_SMP_TX_LINE_MAX - 4) / 4 * 3];
    for (size_t i = 0; i < total; i += chunk) {
        size_t end = i + chunk < total ? i + chunk : total;
        // the line's packet bytes, copied out before its characters are written: they may
        // cover what was read (never what is still to read, lc_smp_packet_size's room)
        for (size_t j = i; j < end; j++) {
            raw[j - i] = j < 2 ? head[j] : (j >= n + 2 ? tail[j - n - 2] : buf[off + j - 2]);
        }
        buf[o++] = i == 0 ? START0 : CONT0;
        buf[o++] = i == 0 ? START1 : CONT1;
        size_t k = end - i;
        for (size_t j = 0; j < k; j += 3) {
            uint32_t v = (uint32_t)raw[j] << 16;
            if (j + 1 < k) {
                v |= (uint32_t)raw[j + 1] << 8;
            }
            if (j + 2 < k) {
                v |= raw[j + 2];
            }
            buf[o++] = B64_CHARS[(v >> 18) & 63];
            buf[o++] = B64_CHARS[(v >> 12) & 63];
            buf[o++] = j + 1 < k ? B64_CHARS[(v >> 6) & 63] : '=';
            buf[o++] = j + 2 < k ? B64_CHARS[v & 63] : '=';
        }
        buf[o++] = '\n';
    }
    return 0;
}
