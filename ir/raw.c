/*
 * raw.c - the one place zdm looks inside a raw SQL fragment: finding whether
 * it mentions a column. A lexical scan, not a parse: identifiers outside
 * string literals and comments, skipping function names (an identifier
 * followed by '('). Unquoted identifiers compare case-folded, "quoted" ones
 * exactly, as in SQL. Used for PostgreSQL's column dependencies of CHECKs and
 * index expressions, which the database tracks and we can only read.
 */
#include "ir.h"

#include <ctype.h>
#include <string.h>

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool ident_char(char c)
{
    return ident_start(c) || isdigit((unsigned char)c) || c == '$';
}

/* Skips to just past the closing `q` of a quoted run starting at p (on the
 * opening quote); a doubled quote is an escape. Fills the decoded text when
 * `out` is given. */
static const char *skip_quoted(const char *p, char q, char *out, size_t cap, size_t *n)
{
    p++;
    while (*p) {
        if (*p == q && p[1] == q)
            p++;
        else if (*p == q)
            return p + 1;
        if (out && *n + 1 < cap)
            out[(*n)++] = *p;
        p++;
    }
    return p;
}

static bool followed_by_paren(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return *p == '(';
}

static const char *skip_comment(const char *p)
{
    if (p[0] == '-' && p[1] == '-') {
        while (*p && *p != '\n')
            p++;
        return p;
    }
    const char *e = strstr(p + 2, "*/");
    return e ? e + 2 : p + strlen(p);
}

bool zdm_raw_mentions(const char *raw, const char *ident)
{
    char word[256];
    size_t want = strlen(ident);
    for (const char *p = raw; p && *p;) {
        size_t n = 0;
        if (*p == '\'') {
            p = skip_quoted(p, '\'', NULL, 0, NULL);
        } else if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
            p = skip_comment(p);
        } else if (*p == '"') {
            p = skip_quoted(p, '"', word, sizeof word, &n);
            if (n == want && memcmp(word, ident, n) == 0 && !followed_by_paren(p))
                return true;
        } else if (ident_start(*p)) {
            while (ident_char(*p)) {
                if (n + 1 < sizeof word)
                    word[n++] = (char)tolower((unsigned char)*p);
                p++;
            }
            if (n == want && memcmp(word, ident, n) == 0 && !followed_by_paren(p))
                return true;
        } else if (isdigit((unsigned char)*p)) {
            while (ident_char(*p))
                p++; /* 1e5, 12abc: never a column */
        } else {
            p++;
        }
    }
    return false;
}
