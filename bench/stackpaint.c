/* Deepest C stack of a job (bench/chip_bench.py: chip.<job>.stack_bytes), by stack painting.
 * LD_PRELOADed into the chip's interpreter. The job's script marks its start by opening the
 * path STACKPAINT_MARK (the open fails with ENOENT): there, a region below the current stack
 * pointer is filled with a pattern. At exit the lowest overwritten byte gives the depth the job
 * reached below that point, written to the file named by STACKPAINT_OUT. Marking at the job
 * leaves out what start-up and imports used (the unix port puts 4 KiB path buffers on the stack
 * per nested import, where the ESP32 port uses 128 bytes). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAINT (256 * 1024)
#define PATTERN 0xA5

static uintptr_t top;

__attribute__((noinline)) static void paint(void) {
    volatile unsigned char region[PAINT];
    for (size_t i = 0; i < PAINT; i++) region[i] = PATTERN;
    top = (uintptr_t)&region[PAINT];
}

static int is_mark(const char *path) {
    const char *mark = getenv("STACKPAINT_MARK");
    return mark && path && strcmp(path, mark) == 0;
}

static int forward(const char *name, const char *path, int flags, va_list ap) {
    int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
    mode_t mode = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
    return real(path, flags, mode);
}

int open(const char *path, int flags, ...) {
    if (is_mark(path)) { paint(); errno = ENOENT; return -1; }
    va_list ap; va_start(ap, flags);
    int r = forward("open", path, flags, ap);
    va_end(ap);
    return r;
}

int open64(const char *path, int flags, ...) {
    if (is_mark(path)) { paint(); errno = ENOENT; return -1; }
    va_list ap; va_start(ap, flags);
    int r = forward("open64", path, flags, ap);
    va_end(ap);
    return r;
}

__attribute__((destructor)) static void report(void) {
    const char *out = getenv("STACKPAINT_OUT");
    if (!top || !out) return;
    const volatile unsigned char *p = (const volatile unsigned char *)(top - PAINT);
    size_t i = 0;
    while (i < PAINT && p[i] == PATTERN) i++;
    FILE *f = fopen(out, "w");
    if (f) { fprintf(f, "%lu\n", (unsigned long)(PAINT - i)); fclose(f); }
}
