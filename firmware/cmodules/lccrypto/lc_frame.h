// The SMP serial framing's receiver in C (lightclient/chip/smp/frame.py's FrameDecoder, the same
// rules byte for byte; docs/smp-link.md): raw UART bytes in, whole SMP messages out. No
// MicroPython here (the fuzz harness links it alone): the caller allocates each frame's buffer.
#ifndef LC_FRAME_H
#define LC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define LC_SMP_RX_LINE_MAX 136   // frame.RX_LINE_MAX: bytes of one line, delimiter included
#define LC_SMP_MAX_DECODED 102   // base64 of at most 134 characters

// What a dropped frame or line was (frame.py's DecodeError checks, in this order in FRAME_ERRORS).
enum {
    LC_SMP_OK = 0,
    LC_SMP_LINE_TOO_LONG,   // a = max_len
    LC_SMP_BASE64_LENGTH,   // a = length
    LC_SMP_BASE64,          // not canonical base64
    LC_SMP_ORPHAN,
    LC_SMP_ABANDONED,
    LC_SMP_SHORT,
    LC_SMP_LENGTH,          // a = length
    LC_SMP_TOO_LARGE,       // a = length, b = max_bytes
    LC_SMP_OVERRUN,         // a = length, b = expected
    LC_SMP_CRC,             // a = got, b = expected
    LC_SMP_NO_MEMORY,       // a = length (the frame's header is kept in unheld)
    LC_SMP_TIMEOUT,
};

// feed()'s result bits: the caller keeps the clock (frame.py's line_start / asm_start)
#define LC_SMP_LINE_STARTED 1
#define LC_SMP_FRAME_STARTED 2

typedef struct lc_smp {
    uint8_t line[LC_SMP_RX_LINE_MAX];
    size_t line_len;
    uint8_t skipping;       // inside an oversized line: drop up to the next newline
    uint8_t discarding;     // the rest of a dropped frame
    int tail;               // the last byte fed, -1 after a newline (a delimiter may straddle reads)
    uint8_t *asm_buf;       // the frame being assembled (NULL: none), need - 2 bytes
    size_t need, fill;      // announced packet length (message + CRC), bytes received
    uint8_t crc[2];
    size_t max_message;
    uint32_t frames, dropped, noise_lines, timeouts;
    int err;                // the last drop's reason (LC_SMP_*) and its values
    uint32_t err_a, err_b;
    // the SMP header of the last frame dropped for want of memory, until the caller takes it
    // (frame.py's unheld): its sender is owed an answer (ENOMEM), not silence
    uint8_t unheld[8];
    uint8_t has_unheld;
    uint32_t unheld_len;
} lc_smp_t;

// alloc(ctx, n): a buffer of n bytes for a frame's message, NULL when there is no memory.
// emit(ctx, buf, n): a complete message (in a buffer alloc made); the decoder forgets it.
typedef uint8_t *(*lc_smp_alloc_fn)(void *ctx, size_t n);
typedef void (*lc_smp_emit_fn)(void *ctx, uint8_t *buf, size_t n);

void lc_smp_init(lc_smp_t *s, size_t max_message);
int lc_smp_feed(lc_smp_t *s, const uint8_t *data, size_t n, lc_smp_alloc_fn alloc,
                lc_smp_emit_fn emit, void *ctx);
// frame.py's expire(), the ages computed by the caller: drops the frame, then the partial line.
void lc_smp_expire(lc_smp_t *s, int frame_expired, int line_expired);

// The sender's side, frame.py's packet_size() and encode_in_place(): the bytes of all the lines
// of the n-byte message's packet (0: line_max outside 8..LC_SMP_TX_LINE_MAX, or n too long for
// the 16-bit length), and those lines written over buf from its start, the message read from
// buf + off (buf_len must be lc_smp_packet_size(buf_len - off, line_max): the lines never
// overtake the message). Returns 0, or -1 for a buffer of another size.
#define LC_SMP_TX_LINE_MAX 256
size_t lc_smp_packet_size(size_t n, size_t line_max);
int lc_smp_encode_in_place(uint8_t *buf, size_t buf_len, size_t off, size_t line_max);

#endif
