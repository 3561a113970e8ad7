/*
 * json.c - the strict JSON reader of json.h: a recursive-descent parser over
 * a byte range, depth-limited, building the tree in the caller's arena.
 * Objects and arrays are collected into arena vectors and then frozen.
 */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    zdm_arena *a;
    const char *p, *end, *start;
    const char *err;
    int depth;
} parser;

static rt_json *value(parser *ps);

static bool fail(parser *ps, const char *msg)
{
    if (!ps->err) {
        unsigned line = 1;
        for (const char *q = ps->start; q < ps->p && q < ps->end; q++)
            line += *q == '\n';
        ps->err = zdm_sprintf(ps->a, "line %u: %s", line, msg);
    }
    return false;
}

static void ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool lit(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "unexpected character");
    ps->p += n;
    return true;
}

static int hex4(parser *ps)
{
    if (ps->end - ps->p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    ps->p += 4;
    return v;
}

static void utf8(zdm_buf *b, unsigned long cp)
{
    if (cp < 0x80) {
        zdm_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        zdm_buf_putc(b, (char)(0xC0 | (cp >> 6)));
        zdm_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        zdm_buf_putc(b, (char)(0xE0 | (cp >> 12)));
        zdm_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        zdm_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        zdm_buf_putc(b, (char)(0xF0 | (cp >> 18)));
        zdm_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        zdm_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        zdm_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A \u escape (after the "\u"), joining a surrogate pair. */
static bool uescape(parser *ps, zdm_buf *b)
{
    int hi = hex4(ps);
    if (hi < 0)
        return fail(ps, "bad \\u escape");
    unsigned long cp = (unsigned long)hi;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail(ps, "lone low surrogate in \\u escape");
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
            return fail(ps, "lone high surrogate in \\u escape");
        ps->p += 2;
        int lo = hex4(ps);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(ps, "bad surrogate pair in \\u escape");
        cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
    }
    if (cp == 0)
        return fail(ps, "\\u0000 in a string");
    utf8(b, cp);
    return true;
}

static const char *string(parser *ps)
{
    zdm_buf b;
    zdm_buf_init(&b, ps->a);
    ps->p++; /* the opening quote */
    for (;;) {
        if (ps->p >= ps->end)
            return fail(ps, "unterminated string"), NULL;
        unsigned char c = (unsigned char)*ps->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(ps, "control character in a string"), NULL;
        if (c != '\\') {
            zdm_buf_putc(&b, (char)c);
            continue;
        }
        if (ps->p >= ps->end)
            return fail(ps, "unterminated string"), NULL;
        char e = *ps->p++;
        switch (e) {
        case '"': case '\\': case '/': zdm_buf_putc(&b, e); break;
        case 'b': zdm_buf_putc(&b, '\b'); break;
        case 'f': zdm_buf_putc(&b, '\f'); break;
        case 'n': zdm_buf_putc(&b, '\n'); break;
        case 'r': zdm_buf_putc(&b, '\r'); break;
        case 't': zdm_buf_putc(&b, '\t'); break;
        case 'u':
            if (!uescape(ps, &b))
                return NULL;
            break;
        default: return fail(ps, "bad escape in a string"), NULL;
        }
    }
    if (b.err)
        return fail(ps, "string too long"), NULL;
    return zdm_strndup(ps->a, zdm_buf_cstr(&b), b.len);
}

static bool digits(parser *ps)
{
    const char *s = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    return ps->p > s;
}

static bool number(parser *ps, rt_json *v)
{
    const char *s = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            return fail(ps, "leading zero in a number");
    } else if (!digits(ps)) {
        return fail(ps, "bad number");
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!digits(ps))
            return fail(ps, "bad fraction in a number");
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!digits(ps))
            return fail(ps, "bad exponent in a number");
    }
    char *copy = zdm_strndup(ps->a, s, (size_t)(ps->p - s));
    v->num = strtod(copy, NULL);
    if (!isfinite(v->num))
        return fail(ps, "number out of range");
    return true;
}

/* An array ('[') or an object ('{'), elements collected then frozen. */
static bool compound(parser *ps, rt_json *v, bool obj)
{
    zdm_vec(rt_json *) items = {0};
    zdm_vec(const char *) keys = {0};
    char close = obj ? '}' : ']';
    if (++ps->depth > RT_JSON_MAX_DEPTH)
        return fail(ps, "nested too deeply");
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return true;
    }
    for (;;) {
        ws(ps);
        if (obj) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "object key expected");
            const char *k = string(ps);
            if (!k)
                return false;
            ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, "':' expected");
            ps->p++;
            zdm_vec_push(ps->a, &keys, k);
        }
        rt_json *item = value(ps);
        if (!item)
            return false;
        zdm_vec_push(ps->a, &items, item);
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            break;
        }
        return fail(ps, obj ? "',' or '}' expected" : "',' or ']' expected");
    }
    v->items = items.items;
    v->keys = keys.items;
    v->len = items.len;
    ps->depth--;
    return true;
}

static rt_json *value(parser *ps)
{
    ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "value expected"), NULL;
    rt_json *v = ZDM_NEW(ps->a, rt_json);
    memset(v, 0, sizeof *v);
    bool ok;
    switch (*ps->p) {
    case '{': v->type = RT_JOBJ; ok = compound(ps, v, true); break;
    case '[': v->type = RT_JARR; ok = compound(ps, v, false); break;
    case '"': v->type = RT_JSTR; ok = (v->str = string(ps)) != NULL; break;
    case 't': v->type = RT_JBOOL; v->b = true; ok = lit(ps, "true"); break;
    case 'f': v->type = RT_JBOOL; ok = lit(ps, "false"); break;
    case 'n': v->type = RT_JNULL; ok = lit(ps, "null"); break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
            v->type = RT_JNUM;
            ok = number(ps, v);
        } else {
            ok = fail(ps, "unexpected character");
        }
    }
    return ok ? v : NULL;
}

rt_json *rt_json_parse(zdm_arena *a, const char *text, size_t len, const char **err)
{
    parser ps = {.a = a, .p = text, .end = text + len, .start = text};
    rt_json *v = value(&ps);
    if (v) {
        ws(&ps);
        if (ps.p != ps.end) {
            fail(&ps, "text after the JSON value");
            v = NULL;
        }
    }
    if (!v)
        *err = ps.err ? ps.err : "bad JSON";
    return v;
}

const rt_json *rt_json_get(const rt_json *o, const char *key)
{
    if (!o || o->type != RT_JOBJ)
        return NULL;
    for (size_t i = 0; i < o->len; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->items[i];
    return NULL;
}
