/*
 * core.h - what every zdm module stands on: the compile arena, string slices and
 * buffers, growable arrays, source files with their line tables, and diagnostics.
 *
 * Ownership: everything here lives in a zdm_arena and is freed with it at once;
 * nothing returned by these functions is freed on its own. Allocation never
 * returns NULL: running out of memory prints a message and exits with status 2.
 */
#ifndef ZDM_CORE_H
#define ZDM_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define ZDM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ZDM_NORETURN __attribute__((noreturn))
#else
#define ZDM_PRINTF(f, a)
#define ZDM_NORETURN
#endif

/* ---- arena ------------------------------------------------------------ */

typedef struct zdm_arena zdm_arena;

zdm_arena *zdm_arena_new(void);
void zdm_arena_free(zdm_arena *a);
/* Zeroed, 16-byte aligned memory that lives until the arena is freed. */
void *zdm_alloc(zdm_arena *a, size_t size);
/* Bytes handed out so far (for bench/ and the fuzz target's memory cap). */
size_t zdm_arena_used(const zdm_arena *a);

char *zdm_strndup(zdm_arena *a, const char *s, size_t n);
char *zdm_strdup(zdm_arena *a, const char *s);
char *zdm_sprintf(zdm_arena *a, const char *fmt, ...) ZDM_PRINTF(2, 3);
char *zdm_vsprintf(zdm_arena *a, const char *fmt, va_list ap);

#define ZDM_NEW(a, T) ((T *)zdm_alloc((a), sizeof(T)))
#define ZDM_NEW_ARRAY(a, T, n) ((T *)zdm_alloc((a), sizeof(T) * (size_t)(n)))

ZDM_NORETURN void zdm_fatal(const char *fmt, ...) ZDM_PRINTF(1, 2);

/* ---- growable arrays in the arena ---------------------------------------
 * zdm_vec(T) is an anonymous struct {T *items; size_t len, cap;}; declare a
 * typedef when the same vector type crosses a function boundary. Growing copies
 * into a larger arena block; the old block is simply left behind.            */

#define zdm_vec(T) struct { T *items; size_t len, cap; }
#define zdm_vec_push(arena, vec, item)                                         \
    do {                                                                       \
        if ((vec)->len == (vec)->cap)                                          \
            zdm__grow((arena), (void **)&(vec)->items, &(vec)->cap,            \
                      (vec)->len, sizeof(*(vec)->items));                      \
        (vec)->items[(vec)->len++] = (item);                                   \
    } while (0)
void zdm__grow(zdm_arena *a, void **items, size_t *cap, size_t len, size_t elem);

/* ---- strings ------------------------------------------------------------ */

/* A byte range of a source text: [start, end). Line and column are computed
 * only when a diagnostic is rendered. */
typedef struct zdm_span {
    uint32_t start, end;
} zdm_span;

/* A non-owning slice (identifiers, literals, raw fragments into the source). */
typedef struct zdm_str {
    const char *ptr;
    size_t len;
} zdm_str;

bool zdm_str_eq(zdm_str s, const char *cstr);
bool zdm_str_ieq(zdm_str s, const char *cstr); /* ASCII case-insensitive */
bool zdm_ieq(const char *a, const char *b);    /* ASCII case-insensitive */
int zdm_edit_distance(const char *a, const char *b, int cap);

/* A growable arena-backed text buffer with a sticky error flag: once it passes
 * ZDM_BUF_MAX every later write is dropped and `err` stays set, so callers
 * check once at the end. data is always NUL-terminated. */
#define ZDM_BUF_MAX ((size_t)256 << 20)
typedef struct zdm_buf {
    zdm_arena *arena;
    char *data;
    size_t len, cap;
    bool err;
} zdm_buf;

void zdm_buf_init(zdm_buf *b, zdm_arena *a);
void zdm_buf_put(zdm_buf *b, const char *s, size_t n);
void zdm_buf_puts(zdm_buf *b, const char *s);
void zdm_buf_putc(zdm_buf *b, char c);
void zdm_buf_printf(zdm_buf *b, const char *fmt, ...) ZDM_PRINTF(2, 3);
void zdm_buf_vprintf(zdm_buf *b, const char *fmt, va_list ap);
/* Write s between two `q` characters, doubling every `q` inside: the one rule
 * behind SQL identifiers ("a""b"), SQL strings ('it''s') and zdm's own. */
void zdm_buf_quoted(zdm_buf *b, const char *s, char q);
/* Write s with every line prefixed by `indent`. */
void zdm_buf_indent(zdm_buf *b, const char *s, const char *indent);
const char *zdm_buf_cstr(zdm_buf *b); /* "" for an empty buffer */

/* ---- source files --------------------------------------------------------- */

typedef struct zdm_source {
    const char *path;   /* as given on the command line */
    const char *text;   /* NUL-terminated copy; may contain NUL bytes before len */
    size_t len;
    uint32_t *lines;    /* byte offset where each line starts */
    size_t nlines;
} zdm_source;

/* Reads a whole file into the arena. Returns NULL and sets *err (a static
 * message from strerror) when it cannot be read. Files over 64 MiB are refused. */
zdm_source *zdm_source_read(zdm_arena *a, const char *path, const char **err);
zdm_source *zdm_source_from(zdm_arena *a, const char *path, const char *text, size_t len);
/* 1-based line and column (in bytes) of a byte offset. */
void zdm_source_linecol(const zdm_source *s, uint32_t off, unsigned *line, unsigned *col);

/* ---- diagnostics -----------------------------------------------------------
 * Diagnostics are data: every error or warning is appended to a zdm_diags list
 * with a stable code, a span and optional hint and note; one renderer prints
 * them as  FILE:LINE:COL: error: MESSAGE / the source line / a caret / hint:.
 * Codes: 1xxx lexical and syntax, 2xxx analysis, 3xxx lowering, 4xxx usage. */

typedef enum { ZDM_ERROR, ZDM_WARNING, ZDM_NOTE } zdm_severity;

typedef struct zdm_diag {
    int code;
    zdm_severity sev;
    const zdm_source *src;  /* NULL: a message about no file position */
    zdm_span span;
    const char *msg;        /* short, lower case, no trailing period */
    const char *hint;       /* full sentence, or NULL */
    const char *note;       /* "note:" line pointing at note_span, or NULL */
    zdm_span note_span;
    unsigned seq;           /* order of addition, for a stable sort */
    struct zdm_diag *next;
} zdm_diag;

typedef struct zdm_diags {
    zdm_arena *arena;
    zdm_diag *head, *tail;
    unsigned count, nerrors, nwarnings;
} zdm_diags;

void zdm_diags_init(zdm_diags *d, zdm_arena *a);
/* Appends and returns the diagnostic so the caller can set hint and note. */
zdm_diag *zdm_diag_add(zdm_diags *d, zdm_severity sev, int code, const zdm_source *src,
                       zdm_span span, const char *fmt, ...) ZDM_PRINTF(6, 7);
void zdm_diag_hint(zdm_diag *dg, zdm_arena *a, const char *fmt, ...) ZDM_PRINTF(3, 4);
void zdm_diag_note(zdm_diag *dg, zdm_arena *a, zdm_span at, const char *fmt, ...)
    ZDM_PRINTF(4, 5);
/* Prints every diagnostic, sorted by file then position (stable). */
void zdm_diags_render(FILE *out, zdm_diags *d);

#endif
