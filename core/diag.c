/*
 * diag.c - the diagnostics list and its one renderer.
 *
 * Output shape (compared byte for byte by tests/errors):
 *   FILE:LINE:COL: error: MESSAGE
 *     3 | alter table users add column x texx;
 *       |                                 ^~~~
 *   hint: A full sentence.
 * Long lines are shown as a window around the column so that a 10 MB line
 * prints a few hundred bytes; control bytes and NULs print as '?'.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define WINDOW 120
/* A broken history can yield thousands of errors; past this many the rest are
 * counted, not printed (the parser already stops at 50 of its own). */
#define MAX_SHOWN 100

void zdm_diags_init(zdm_diags *d, zdm_arena *a)
{
    memset(d, 0, sizeof *d);
    d->arena = a;
}

zdm_diag *zdm_diag_add(zdm_diags *d, zdm_severity sev, int code, const zdm_source *src,
                       zdm_span span, const char *fmt, ...)
{
    zdm_diag *dg = ZDM_NEW(d->arena, zdm_diag);
    va_list ap;
    va_start(ap, fmt);
    dg->msg = zdm_vsprintf(d->arena, fmt, ap);
    va_end(ap);
    dg->code = code;
    dg->sev = sev;
    dg->src = src;
    dg->span = span;
    dg->seq = d->count++;
    if (sev == ZDM_ERROR)
        d->nerrors++;
    else if (sev == ZDM_WARNING)
        d->nwarnings++;
    if (d->tail)
        d->tail->next = dg;
    else
        d->head = dg;
    d->tail = dg;
    return dg;
}

void zdm_diag_hint(zdm_diag *dg, zdm_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dg->hint = zdm_vsprintf(a, fmt, ap);
    va_end(ap);
}

void zdm_diag_note(zdm_diag *dg, zdm_arena *a, zdm_span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dg->note = zdm_vsprintf(a, fmt, ap);
    va_end(ap);
    dg->note_span = at;
}

static const char *sev_name(zdm_severity s)
{
    return s == ZDM_ERROR ? "error" : s == ZDM_WARNING ? "warning" : "note";
}

static void put_clean(FILE *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        fputc(c == '\t' ? ' ' : (c < 32 || c == 127) ? '?' : c, out);
    }
}

/* The source line holding `span.start`, with a caret line under the span. */
static void show_line(FILE *out, const zdm_source *s, zdm_span span)
{
    unsigned line, col;
    zdm_source_linecol(s, span.start, &line, &col);
    size_t ls = s->lines[line - 1];
    size_t le = ls;
    while (le < s->len && s->text[le] != '\n')
        le++;
    if (le > ls && s->text[le - 1] == '\r')
        le--;
    size_t from = ls, to = le, at = ls + col - 1;
    if (to - from > 2 * WINDOW) {
        from = at > ls + WINDOW / 2 ? at - WINDOW / 2 : ls;
        to = from + 2 * WINDOW < le ? from + 2 * WINDOW : le;
    }
    size_t caret_end = span.end > span.start ? span.end : span.start + 1;
    if (caret_end > to + 1)
        caret_end = to + 1;
    int w = fprintf(out, "%5u | ", line);
    if (from > ls)
        fputs("...", out);
    put_clean(out, s->text + from, to - from);
    if (to < le)
        fputs("...", out);
    fputc('\n', out);
    fprintf(out, "%*s| ", w - 2, "");
    if (from > ls)
        fputs("   ", out);
    for (size_t i = from; i < at; i++)
        fputc(' ', out);
    fputc('^', out);
    for (size_t i = at + 1; i < caret_end; i++)
        fputc('~', out);
    fputc('\n', out);
}

static int cmp(const void *x, const void *y)
{
    const zdm_diag *a = *(zdm_diag *const *)x, *b = *(zdm_diag *const *)y;
    const char *pa = a->src ? a->src->path : "", *pb = b->src ? b->src->path : "";
    int c = strcmp(pa, pb);
    if (c)
        return c;
    if (a->span.start != b->span.start)
        return a->span.start < b->span.start ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void zdm_diags_render(FILE *out, zdm_diags *d)
{
    if (!d->count)
        return;
    zdm_diag **v = ZDM_NEW_ARRAY(d->arena, zdm_diag *, d->count);
    size_t n = 0;
    for (zdm_diag *g = d->head; g; g = g->next)
        v[n++] = g;
    qsort(v, n, sizeof *v, cmp);
    size_t shown = n < MAX_SHOWN ? n : MAX_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        zdm_diag *g = v[i];
        if (g->src) {
            unsigned line, col;
            zdm_source_linecol(g->src, g->span.start, &line, &col);
            fprintf(out, "%s:%u:%u: %s: %s\n", g->src->path, line, col, sev_name(g->sev),
                    g->msg);
            show_line(out, g->src, g->span);
        } else {
            fprintf(out, "zdm: %s: %s\n", sev_name(g->sev), g->msg);
        }
        if (g->hint)
            fprintf(out, "hint: %s\n", g->hint);
        if (g->note && g->src) {
            unsigned line, col;
            zdm_source_linecol(g->src, g->note_span.start, &line, &col);
            fprintf(out, "%s:%u:%u: note: %s\n", g->src->path, line, col, g->note);
        }
    }
    if (shown < n)
        fprintf(out, "zdm: note: %zu more diagnostics not shown\n", n - shown);
}
