/*
 * mysql_script.c - the mariadb-client script splitter of mysql_script.h.
 * It follows the client's reading loop (add_line in client/mysql.cc): quotes
 * ('...', "..." with backslash escapes and doubled quotes; `...` with
 * doubled backticks) and comments (-- followed by a blank, #, and C-style block comments)
 * hide the delimiter; the DELIMITER command is read only at the start of a
 * line with nothing pending, and its argument is the next word.
 */
#include "mysql_script.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct splitter {
    zdm_arena *a;
    const char *p;         /* the next character */
    const char *delim;
    size_t dlen;
    zdm_buf cur;           /* the statement so far */
    bool pending;          /* cur holds more than blanks and comments */
    int line;
    zdm_vec(const char *) out;
    const char **err;
} splitter;

static void emit(splitter *s)
{
    if (s->pending) {
        const char *t = zdm_buf_cstr(&s->cur);
        while (isspace((unsigned char)*t))
            t++;
        size_t n = strlen(t);
        while (n && isspace((unsigned char)t[n - 1]))
            n--;
        zdm_vec_push(s->a, &s->out, zdm_strndup(s->a, t, n));
    }
    zdm_buf_init(&s->cur, s->a);
    s->pending = false;
}

static bool fail(splitter *s, const char *what)
{
    *s->err = zdm_sprintf(s->a, "script line %d: %s", s->line, what);
    return false;
}

/* A `DELIMITER x` line (case-insensitive) when nothing is pending. */
static bool delimiter_line(splitter *s, bool *done)
{
    const char *p = s->p;
    *done = false;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "delimiter", 9) != 0 || (p[9] && !isspace((unsigned char)p[9])))
        return true;
    p += 9;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *w = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (p == w)
        return fail(s, "DELIMITER needs the new delimiter");
    s->delim = zdm_strndup(s->a, w, (size_t)(p - w));
    s->dlen = (size_t)(p - w);
    while (*p && *p != '\n')
        p++;
    s->p = p;
    *done = true;
    zdm_buf_init(&s->cur, s->a); /* blanks and comments before it are dropped */
    return true;
}

/* Copies a quoted string or identifier starting at s->p (the quote). */
static bool quoted(splitter *s)
{
    char q = *s->p;
    zdm_buf_putc(&s->cur, *s->p++);
    for (;;) {
        char c = *s->p;
        if (!c)
            return fail(s, zdm_sprintf(s->a, "unterminated %c quote", q));
        s->line += c == '\n';
        if (c == '\\' && q != '`' && s->p[1]) { /* the escaped character is text */
            zdm_buf_putc(&s->cur, *s->p++);
            s->line += *s->p == '\n';
            zdm_buf_putc(&s->cur, *s->p++);
            continue;
        }
        if (c == q && s->p[1] == q) { /* a doubled quote is text */
            zdm_buf_put(&s->cur, s->p, 2);
            s->p += 2;
            continue;
        }
        zdm_buf_putc(&s->cur, *s->p++);
        if (c == q)
            return true;
    }
}

/* A comment starting at s->p, copied (the server skips it). An executable
 * comment (a block comment opening with ! or M!) is a statement's text. */
static bool comment(splitter *s)
{
    if (s->p[0] == '/') {
        const char *end = strstr(s->p + 2, "*/");
        if (!end)
            return fail(s, "unterminated /* comment");
        if (s->p[2] == '!' || (s->p[2] == 'M' && s->p[3] == '!'))
            s->pending = true;
        for (const char *q = s->p; q < end; q++)
            s->line += *q == '\n';
        if (s->pending) /* comments before a statement are not sent */
            zdm_buf_put(&s->cur, s->p, (size_t)(end + 2 - s->p));
        s->p = end + 2;
        return true;
    }
    while (*s->p && *s->p != '\n') {
        if (s->pending)
            zdm_buf_putc(&s->cur, *s->p);
        s->p++;
    }
    return true;
}

static bool starts_comment(const char *p)
{
    return *p == '#' || (p[0] == '/' && p[1] == '*') ||
           (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' ||
                                          p[2] == '\r' || !p[2]));
}

/* One character (or token) of the text; at_bol: a line starts here. */
static bool step(splitter *s, bool *at_bol)
{
    bool bol = *at_bol;
    *at_bol = false;
    if (bol && !s->pending) {
        bool done;
        if (!delimiter_line(s, &done))
            return false;
        if (done)
            return true;
    }
    const char *p = s->p;
    if (*p == '\'' || *p == '"' || *p == '`') {
        s->pending = true;
        return quoted(s);
    }
    if (starts_comment(p))
        return comment(s);
    if (strncmp(p, s->delim, s->dlen) == 0) {
        s->p += s->dlen;
        emit(s);
        return true;
    }
    if (*p == '\\' && p[1]) {
        if (p[1] != 'g' && p[1] != 'G')
            return fail(s, zdm_sprintf(s->a, "the client command \\%c: zdm run honours only "
                                             "DELIMITER and \\g", p[1]));
        s->p += 2;
        emit(s);
        return true;
    }
    if (*p == '\n') {
        s->line++;
        *at_bol = true;
    } else if (!isspace((unsigned char)*p)) {
        s->pending = true;
    }
    zdm_buf_putc(&s->cur, *s->p++);
    return true;
}

bool rt_my_split(zdm_arena *a, const char *text, rt_my_script *out, const char **err)
{
    splitter s = {.a = a, .p = text, .delim = ";", .dlen = 1, .line = 1, .err = err};
    zdm_buf_init(&s.cur, a);
    bool bol = true;
    while (*s.p)
        if (!step(&s, &bol))
            return false;
    emit(&s); /* the client sends a last statement without its delimiter too */
    out->stmts = s.out.items;
    out->len = s.out.len;
    return true;
}
