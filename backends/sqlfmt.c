/*
 * sqlfmt.c - zdm_sqlf, the quoting printf (conversions in sqlfmt.h).
 *
 * Why not printf: identifiers and literals must be quoted by the dialect, and
 * printf cannot tell a name from trusted text. Every conversion is explicit
 * about which of the two (or a raw user fragment) it is writing.
 */
#include "sqlfmt.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void put_name(zdm_buf *out, const zdm_dialect *d, const zdm_name *n)
{
    if (n->schema) {
        d->quote_ident(out, n->schema);
        zdm_buf_putc(out, '.');
    }
    d->quote_ident(out, n->name);
}

/* Integer conversions: returns how many format bytes after '%' it consumed. */
static size_t put_int(zdm_buf *out, const char *f, va_list *ap)
{
    if (f[0] == 'd') {
        zdm_buf_printf(out, "%d", va_arg(*ap, int));
        return 1;
    }
    if (f[0] == 'u') {
        zdm_buf_printf(out, "%u", va_arg(*ap, unsigned));
        return 1;
    }
    if (f[0] == 'z' && f[1] == 'u') {
        zdm_buf_printf(out, "%zu", va_arg(*ap, size_t));
        return 2;
    }
    if (f[0] == 'l' && f[1] == 'd') {
        zdm_buf_printf(out, "%ld", va_arg(*ap, long));
        return 2;
    }
    if (f[0] == 'l' && f[1] == 'l' && f[2] == 'd') {
        zdm_buf_printf(out, "%lld", va_arg(*ap, long long));
        return 3;
    }
    if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u') {
        zdm_buf_printf(out, "%llu", va_arg(*ap, unsigned long long));
        return 3;
    }
    assert(!"zdm_sqlf: unknown conversion");
    return 1;
}

void zdm_vsqlf(zdm_buf *out, const zdm_dialect *d, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    for (const char *f = fmt; *f;) {
        const char *pct = strchr(f, '%');
        if (!pct) {
            zdm_buf_puts(out, f);
            break;
        }
        zdm_buf_put(out, f, (size_t)(pct - f));
        f = pct + 1;
        switch (*f) {
        case 'I': d->quote_ident(out, va_arg(cp, const char *)); f++; break;
        case 'N': put_name(out, d, va_arg(cp, const zdm_name *)); f++; break;
        case 'L': d->quote_literal(out, va_arg(cp, const char *)); f++; break;
        case 'R':
        case 's': zdm_buf_puts(out, va_arg(cp, const char *)); f++; break;
        case '%': zdm_buf_putc(out, '%'); f++; break;
        default: f += put_int(out, f, &cp); break;
        }
    }
    va_end(cp);
}

void zdm_sqlf(zdm_buf *out, const zdm_dialect *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zdm_vsqlf(out, d, fmt, ap);
    va_end(ap);
}

const char *zdm_sqlf_str(zdm_arena *a, const zdm_dialect *d, const char *fmt, ...)
{
    zdm_buf b;
    zdm_buf_init(&b, a);
    va_list ap;
    va_start(ap, fmt);
    zdm_vsqlf(&b, d, fmt, ap);
    va_end(ap);
    return zdm_buf_cstr(&b);
}

static int kwcmp(const void *k, const void *e) { return strcmp(k, *(const char *const *)e); }

bool zdm_sql_needs_quotes(const char *s, const char *extra, const char *const *keywords,
                          size_t nkeywords)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return true;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              (extra && strchr(extra, *p))))
            return true;
    return bsearch(s, keywords, nkeywords, sizeof *keywords, kwcmp) != NULL;
}

void zdm_sql_put_cols(zdm_buf *b, const zdm_dialect *d, const char *const *cols, size_t n)
{
    zdm_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++)
        zdm_sqlf(b, d, "%s%I", i ? ", " : "", cols[i]);
    zdm_buf_putc(b, ')');
}

const char *zdm_sql_fk_action(zdm_fk_action a)
{
    switch (a) {
    case ZDM_FK_CASCADE: return "CASCADE";
    case ZDM_FK_SET_NULL: return "SET NULL";
    case ZDM_FK_SET_DEFAULT: return "SET DEFAULT";
    case ZDM_FK_RESTRICT: return "RESTRICT";
    case ZDM_FK_NO_ACTION: return "NO ACTION";
    case ZDM_FK_UNSPECIFIED: break;
    }
    return NULL;
}
