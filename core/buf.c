/*
 * buf.c - string slices and the growable text buffer used for every piece of
 * generated text (SQL, plan.md, JSON). Errors are sticky: past ZDM_BUF_MAX the
 * buffer stops growing and sets `err`, which the writer checks once at the end.
 */
#include "core.h"

#include <string.h>

bool zdm_str_eq(zdm_str s, const char *c)
{
    return strlen(c) == s.len && memcmp(s.ptr, c, s.len) == 0;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

bool zdm_str_ieq(zdm_str s, const char *c)
{
    size_t i = 0;
    for (; i < s.len && c[i]; i++)
        if (lower(s.ptr[i]) != lower(c[i]))
            return false;
    return i == s.len && c[i] == '\0';
}

bool zdm_ieq(const char *a, const char *b)
{
    return zdm_str_ieq((zdm_str){a, strlen(a)}, b);
}

/* Levenshtein distance, giving up (returning cap + 1) past `cap`; used for
 * "did you mean" hints, so both strings are short. */
int zdm_edit_distance(const char *a, const char *b, int cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return cap + 1;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0], best = (int)i;
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            int v = diag + cost;
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

void zdm_buf_init(zdm_buf *b, zdm_arena *a)
{
    memset(b, 0, sizeof *b);
    b->arena = a;
}

static bool reserve(zdm_buf *b, size_t more)
{
    if (b->err)
        return false;
    if (more > ZDM_BUF_MAX - b->len) {
        b->err = true;
        return false;
    }
    size_t need = b->len + more + 1;
    if (need <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap * 2 : 256;
    while (ncap < need)
        ncap *= 2;
    char *n = zdm_alloc(b->arena, ncap);
    if (b->len)
        memcpy(n, b->data, b->len);
    b->data = n;
    b->cap = ncap;
    return true;
}

void zdm_buf_put(zdm_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void zdm_buf_puts(zdm_buf *b, const char *s) { zdm_buf_put(b, s, strlen(s)); }

void zdm_buf_putc(zdm_buf *b, char c) { zdm_buf_put(b, &c, 1); }

void zdm_buf_vprintf(zdm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void zdm_buf_printf(zdm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zdm_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void zdm_buf_quoted(zdm_buf *b, const char *s, char q)
{
    zdm_buf_putc(b, q);
    for (; *s; s++) {
        if (*s == q)
            zdm_buf_putc(b, q);
        zdm_buf_putc(b, *s);
    }
    zdm_buf_putc(b, q);
}

void zdm_buf_indent(zdm_buf *b, const char *s, const char *indent)
{
    bool bol = true;
    for (; *s; s++) {
        if (bol && *s != '\n')
            zdm_buf_puts(b, indent);
        zdm_buf_putc(b, *s);
        bol = *s == '\n';
    }
}

const char *zdm_buf_cstr(zdm_buf *b) { return b->data ? b->data : ""; }
