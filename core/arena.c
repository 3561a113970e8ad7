/*
 * arena.c - the compile arena: a chain of large blocks handed out by bumping a
 * pointer, all freed together by zdm_arena_free. Also the printf-into-arena
 * helpers and the growth step of zdm_vec.
 *
 * Invariant: every block's payload starts 16-byte aligned and every allocation
 * is rounded up to 16 bytes, so any object may be placed in the arena.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_MIN ((size_t)64 << 10)

typedef struct block {
    struct block *prev;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} block;

struct zdm_arena {
    block *cur;
    size_t total;
};

void zdm_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("zdm: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

zdm_arena *zdm_arena_new(void)
{
    zdm_arena *a = calloc(1, sizeof *a);
    if (!a)
        zdm_fatal("out of memory");
    return a;
}

void zdm_arena_free(zdm_arena *a)
{
    if (!a)
        return;
    for (block *b = a->cur, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    free(a);
}

size_t zdm_arena_used(const zdm_arena *a) { return a->total; }

void *zdm_alloc(zdm_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    block *b = a->cur;
    if (!b || b->size - b->used < size) {
        size_t want = size > BLOCK_MIN ? size : BLOCK_MIN;
        b = malloc(sizeof(block) + want);
        if (!b)
            zdm_fatal("out of memory (asked for %zu bytes)", size);
        b->size = want;
        b->used = 0;
        /* A big one-off allocation goes behind the current block so the
         * current block's free tail is not wasted. */
        if (a->cur && size > BLOCK_MIN) {
            b->prev = a->cur->prev;
            a->cur->prev = b;
        } else {
            b->prev = a->cur;
            a->cur = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

void zdm__grow(zdm_arena *a, void **items, size_t *cap, size_t len, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = zdm_alloc(a, ncap * elem);
    if (len)
        memcpy(n, *items, len * elem);
    *items = n;
    *cap = ncap;
}

char *zdm_strndup(zdm_arena *a, const char *s, size_t n)
{
    char *p = zdm_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *zdm_strdup(zdm_arena *a, const char *s) { return zdm_strndup(a, s, strlen(s)); }

char *zdm_vsprintf(zdm_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        zdm_fatal("bad format string");
    char *p = zdm_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *zdm_sprintf(zdm_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = zdm_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
