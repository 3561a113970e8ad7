/*
 * script.c - the statement splitter of script.h. A small scanner with the
 * lexical rules psql uses to find statement ends (psqlscan.l): '...' strings
 * (E'...' with backslash escapes), "..." identifiers, $tag$...$tag$ bodies,
 * -- and nested block comments, parenthesis depth. A statement made only of
 * blanks and comments is not sent.
 */
#include "script.h"

#include <ctype.h>
#include <string.h>

typedef zdm_vec(rt_item) item_vec;

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Whether s[0..n) holds anything but blanks and comments. */
static bool has_sql(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (isspace((unsigned char)s[i])) {
            i++;
        } else if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
            int depth = 1;
            for (i += 2; i < n && depth > 0; i++) {
                if (s[i] == '*' && i + 1 < n && s[i + 1] == '/')
                    depth--, i++;
                else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*')
                    depth++, i++;
            }
        } else {
            return true;
        }
    }
    return false;
}

static void push(zdm_arena *a, item_vec *v, rt_item_kind k, const char *s, size_t n)
{
    if (!has_sql(s, n))
        return;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    rt_item it = {k, zdm_strndup(a, s, n)};
    zdm_vec_push(a, v, it);
}

/* Length of a dollar-quote delimiter at p ("$tag$" or "$$"), 0 if none. */
static size_t dollar_tag(const char *p)
{
    size_t i = 1;
    if (isdigit((unsigned char)p[1]))
        return 0;
    while (ident_char(p[i]) && p[i] != '$')
        i++;
    return p[i] == '$' ? i + 1 : 0;
}

/* Skips a quoted or commented stretch starting at *pp; false if unterminated. */
static bool skip_quoted(const char **pp, const char *start)
{
    const char *p = *pp;
    if (*p == '\'' || *p == '"') {
        char q = *p;
        bool esc = q == '\'' && p > start && (p[-1] == 'E' || p[-1] == 'e') &&
                   (p - 1 == start || !ident_char(p[-2]));
        for (p++; *p; p++) {
            if (esc && *p == '\\' && p[1]) {
                p++;
            } else if (*p == q) {
                if (p[1] != q)
                    break;
                p++;
            }
        }
        if (!*p)
            return false;
        *pp = p + 1;
    } else if (*p == '-') {
        while (*p && *p != '\n')
            p++;
        *pp = p;
    } else if (*p == '/') {
        int depth = 1;
        for (p += 2; *p && depth > 0; p++) {
            if (p[0] == '*' && p[1] == '/')
                depth--, p++;
            else if (p[0] == '/' && p[1] == '*')
                depth++, p++;
        }
        if (depth > 0)
            return false;
        *pp = p;
    } else { /* '$': a dollar quote, closed by the same tag */
        size_t n = dollar_tag(p);
        const char *q = p + n;
        for (;;) {
            q = strchr(q, '$');
            if (!q)
                return false;
            if (strncmp(q, p, n) == 0)
                break;
            q++;
        }
        *pp = q + n;
    }
    return true;
}

/* A meta-command at p (the backslash): its name, and *pp past its line. */
static const char *meta(zdm_arena *a, const char **pp, const char **args)
{
    const char *p = *pp + 1, *s = p;
    while (isalpha((unsigned char)*p))
        p++;
    const char *name = zdm_strndup(a, s, (size_t)(p - s));
    s = p;
    while (*p && *p != '\n')
        p++;
    *args = zdm_strndup(a, s, (size_t)(p - s));
    *pp = p;
    return name;
}

static bool meta_ok(zdm_arena *a, const char *name, const char *args, const char **err)
{
    if (strcmp(name, "set") == 0) {
        while (isspace((unsigned char)*args))
            args++;
        if (strncmp(args, "ON_ERROR_STOP", 13) == 0)
            return true;
    }
    *err = zdm_sprintf(a, "the psql meta-command \\%s%s is not supported by zdm run", name, args);
    return false;
}

bool rt_script_split(zdm_arena *a, const char *text, rt_script *out, const char **err)
{
    item_vec v = {0};
    const char *p = text, *stmt = text;
    int parens = 0;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"' || (c == '-' && p[1] == '-') || (c == '/' && p[1] == '*') ||
            (c == '$' && (p == text || !ident_char(p[-1])) && dollar_tag(p))) {
            if (!skip_quoted(&p, text)) {
                *err = "unterminated quote, comment or dollar-quoted text";
                return false;
            }
            continue;
        }
        if (c == '(')
            parens++;
        else if (c == ')' && parens > 0)
            parens--;
        if (c == ';' && parens == 0) {
            push(a, &v, RT_ITEM_SQL, stmt, (size_t)(p - stmt));
            stmt = ++p;
            continue;
        }
        if (c == '\\') {
            const char *before = p, *args;
            const char *name = meta(a, &p, &args);
            if (strcmp(name, "gexec") == 0) {
                push(a, &v, RT_ITEM_GEXEC, stmt, (size_t)(before - stmt));
            } else {
                if (!meta_ok(a, name, args, err))
                    return false;
                push(a, &v, RT_ITEM_SQL, stmt, (size_t)(before - stmt));
            }
            stmt = p;
            parens = 0;
            continue;
        }
        p++;
    }
    push(a, &v, RT_ITEM_SQL, stmt, (size_t)(p - stmt));
    out->items = v.items;
    out->len = v.len;
    return true;
}
