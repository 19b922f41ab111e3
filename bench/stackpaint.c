/* Deepest C stack of a process, by stack painting (bench/chip_bench.py: chip.<job>.stack_bytes).
 * LD_PRELOADed into the chip's interpreter: before main, a region below the current stack
 * pointer is filled with a pattern; at exit, the lowest overwritten byte gives the depth reached
 * below that point. Written to the file named by STACKPAINT_OUT. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PAINT (512 * 1024)
#define PATTERN 0xA5

static uintptr_t top;

__attribute__((noinline)) static void paint(void) {
    volatile unsigned char region[PAINT];
    for (size_t i = 0; i < PAINT; i++) region[i] = PATTERN;
    top = (uintptr_t)&region[PAINT];
}

__attribute__((constructor)) static void start(void) { paint(); }

__attribute__((destructor)) static void report(void) {
    const char *out = getenv("STACKPAINT_OUT");
    const volatile unsigned char *p = (const volatile unsigned char *)(top - PAINT);
    size_t i = 0;
    while (i < PAINT && p[i] == PATTERN) i++;
    if (out) {
        FILE *f = fopen(out, "w");
        if (f) { fprintf(f, "%lu\n", (unsigned long)(PAINT - i)); fclose(f); }
    }
}
