// Shared by the libFuzzer harnesses: the input is cut into arguments, each copied into a heap
// block of exactly its length (so AddressSanitizer sees any read past an argument, as it would
// past a MicroPython bytes object), and a failed property aborts with its name.
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lc_core.h"

typedef struct {
    const uint8_t *p;
    size_t n;
    uint8_t *owned[8];
    int n_owned;
} fuzz_in;

static inline uint8_t fuzz_byte(fuzz_in *in) {
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

// A length near `want`: mostly exactly it (the fuzzer still finds valid inputs), sometimes
// want-16 .. want+15, so every length check is exercised on both sides.
static inline size_t fuzz_len(uint8_t sel, size_t want) {
    if (sel < 224) {
        return want;
    }
    long n = (long)want + (sel - 224) - 16;
    return n < 0 ? 0 : (size_t)n;
}

// The next `want` bytes (fewer if the input ends) in their own exact-size heap block.
static inline uint8_t *fuzz_take(fuzz_in *in, size_t want, size_t *got) {
    size_t n = want < in->n ? want : in->n;
    uint8_t *b = malloc(n ? n : 1);
    if (b == NULL) {
        abort();
    }
    if (n) {
        memcpy(b, in->p, n);
    }
    in->p += n;
    in->n -= n;
    *got = n;
    if (in->n_owned < 8) {
        in->owned[in->n_owned++] = b;
    }
    return b;
}

static inline uint8_t *fuzz_rest(fuzz_in *in, size_t *got) {
    return fuzz_take(in, in->n, got);
}

static inline void fuzz_free(fuzz_in *in) {
    for (int i = 0; i < in->n_owned; i++) {
        free(in->owned[i]);
    }
    in->n_owned = 0;
}

#define FUZZ_CHECK(cond, what) do { \
        if (!(cond)) { \
            fprintf(stderr, "property failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
            abort(); \
        } \
} while (0)

#endif
