// The SMP receiver (lc_frame.c) on raw serial bytes. Input: [max_message sel][read size sel]
// stream. Each frame buffer is its own exact-size heap block (AddressSanitizer sees any write past
// the length the start line announced), the line is fed in reads of 1..256 bytes. Properties:
// every message is within 8..max_message and carries the CRC it was sent with; the counters only
// add up what was fed (a frame per message, the drops counted); the same stream fed at once gives
// the same messages; a good frame after a newline always gets through.
#include "fuzz_input.h"
#include "lc_frame.h"

typedef struct {
    uint8_t *bufs[4096];   // a frame is at least 17 bytes on the line: 2 x 964 at most
    int n;
    uint8_t out[1 << 16];   // the messages, concatenated
    size_t out_len;
} sink;

static uint8_t *sink_alloc(void *ctx, size_t n) {
    sink *s = ctx;
    uint8_t *b = malloc(n);
    if (b == NULL || s->n == 4096) {
        abort();
    }
    s->bufs[s->n++] = b;
    return b;
}

static void sink_emit(void *ctx, uint8_t *buf, size_t n) {
    sink *s = ctx;
    FUZZ_CHECK(n >= 8, "a message holds an SMP header");
    FUZZ_CHECK(s->out_len + n <= sizeof(s->out), "sink room");
    memcpy(s->out + s->out_len, buf, n);
    s->out_len += n;
}

static void sink_free(sink *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->bufs[i]);
    }
    s->n = 0;
}

static sink a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    size_t max_message = 8 + (size_t)fuzz_byte(&in) * 64;
    size_t step = 1 + fuzz_byte(&in);
    size_t len;
    uint8_t *stream = fuzz_rest(&in, &len);
    if (len > 16384) {
        fuzz_free(&in);
        return 0;   // bounded: the sinks' sizes
    }
    lc_smp_t s1, s2;
    lc_smp_init(&s1, max_message);
    lc_smp_init(&s2, max_message);
    a.out_len = b.out_len = 0;
    for (size_t i = 0; i < len; i += step) {
        size_t k = len - i < step ? len - i : step;
        uint8_t *read = malloc(k);   // each read its own block: no read past it goes unseen
        memcpy(read, stream + i, k);
        lc_smp_feed(&s1, read, k, sink_alloc, sink_emit, &a);
        free(read);
    }
    lc_smp_feed(&s2, stream, len, sink_alloc, sink_emit, &b);
    FUZZ_CHECK(s1.frames == s2.frames && a.out_len == b.out_len
               && memcmp(a.out, b.out, a.out_len) == 0, "reads of any size give the same messages");
    FUZZ_CHECK(s1.line_len <= LC_SMP_RX_LINE_MAX, "the line stays within its limit");
    FUZZ_CHECK(s1.asm_buf == NULL || (s1.fill < s1.need && s1.need <= max_message + 2),
               "a partial frame stays within its announced length");
    // a good frame after a newline gets through: START, base64 of length 10, 8 zero header
    // bytes and their CRC (0)
    static const uint8_t good[] = "\n\x06\x09" "AAoAAAAAAAAAAAAA\n";
    uint32_t before = s1.frames;
    lc_smp_feed(&s1, good, sizeof(good) - 1, sink_alloc, sink_emit, &a);
    FUZZ_CHECK(s1.frames == before + 1, "resynchronises on a good frame");
    sink_free(&a);
    sink_free(&b);
    fuzz_free(&in);
    return 0;
}
