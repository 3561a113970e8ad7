/*
 * sqlite_script.c - the sqlite3-shell script splitter of sqlite_script.h.
 * It follows the shell's own reading loop (process_input in shell.c): blank
 * and comment-only lines are skipped while no SQL is pending, a line whose
 * first character is '.' is then a dot-command, and SQL is sent once
 * sqlite3_complete says the gathered lines end a statement.
 */
#include "sqlite_script.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef zdm_vec(rt_sq_item) sq_vec;

/* Whether the line holds only blanks and comments (the shell's
 * _all_whitespace): -- to the line end, and closed block comments. */
static bool all_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isspace((unsigned char)s[i]))
            continue;
        if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
            return true;
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
            const char *end = NULL;
            for (size_t k = i + 2; k + 1 < n; k++)
                if (s[k] == '*' && s[k + 1] == '/') {
                    end = s + k;
                    break;
                }
            if (!end)
                return false;
            i = (size_t)(end - s) + 1;
            continue;
        }
        return false;
    }
    return true;
}

/* The words of a dot-command line (at most 3 kept). */
static size_t words(zdm_arena *a, const char *s, size_t n, const char **w)
{
    size_t k = 0, i = 0;
    while (i < n && k < 3) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        size_t st = i;
        while (i < n && !isspace((unsigned char)s[i]))
            i++;
        if (i > st)
            w[k++] = zdm_strndup(a, s + st, i - st);
    }
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    return i < n ? 4 : k; /* 4: more words than any accepted command has */
}

static bool is(const char *w, const char *s)
{
    return w && strcmp(w, s) == 0;
}

/* Milliseconds of a `sleep` argument: plain decimal seconds (no sign,
 * exponent or suffix: what sleep(1) and the backend's scripts agree on),
 * at most a minute; -1 otherwise. */
static int sleep_ms(const char *w)
{
    double ms = 0, scale = 1000;
    bool dot_seen = false, digit = false;
    for (const char *p = w; *p; p++) {
        if (*p == '.' && !dot_seen) {
            dot_seen = true;
        } else if (isdigit((unsigned char)*p)) {
            digit = true;
            if (dot_seen)
                ms += (scale /= 10) * (*p - '0');
            else
                ms = ms * 10 + 1000 * (*p - '0');
            if (ms > 60000)
                return -1;
        } else {
            return -1;
        }
    }
    return digit ? (int)(ms + 0.5) : -1;
}

static bool dot(zdm_arena *a, sq_vec *v, const char *line, size_t n, const char **err)
{
    const char *w[3] = {NULL, NULL, NULL};
    size_t k = words(a, line, n, w);
    rt_sq_item it = {RT_SQ_SQL, NULL, 0};
    bool ok = true;
    if (k == 2 && (is(w[0], ".bail") && is(w[1], "on")))
        return true;
    if (k == 2 && ((is(w[0], ".headers") && is(w[1], "off")) ||
                   (is(w[0], ".mode") && is(w[1], "list"))))
        return true;
    if (k == 2 && is(w[0], ".timeout") && isdigit((unsigned char)w[1][0])) {
        it.kind = RT_SQ_TIMEOUT;
        it.ms = atoi(w[1]);
    } else if (is(w[0], ".output") && (k == 1 || (k == 2 && is(w[1], "stdout")))) {
        it.kind = RT_SQ_CAPTURE_END;
    } else if (k == 2 && is(w[0], ".output")) {
        it.kind = RT_SQ_CAPTURE;
        it.text = w[1];
    } else if (k == 3 && (is(w[0], ".shell") || is(w[0], ".system")) && is(w[1], "sleep") &&
               sleep_ms(w[2]) >= 0) {
        it.kind = RT_SQ_SLEEP;
        it.ms = sleep_ms(w[2]);
    } else if (k == 2 && is(w[0], ".read")) {
        it.kind = RT_SQ_READ;
        it.text = w[1];
    } else {
        ok = false;
    }
    if (!ok) {
        *err = zdm_sprintf(a, "the sqlite3 shell command '%.*s' is not one zdm run can honour; "
                              "run the script with the sqlite3 shell instead",
                           (int)(n > 80 ? 80 : n), line);
        return false;
    }
    zdm_vec_push(a, v, it);
    return true;
}

bool rt_sq_split(zdm_arena *a, const char *text, int (*complete)(const char *),
                 rt_sq_script *out, const char **err)
{
    sq_vec v = {0};
    zdm_buf sql;
    zdm_buf_init(&sql, a);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (sql.len == 0 && all_blank(p, n)) {
            /* nothing pending: a blank or comment line is skipped */
        } else if (sql.len == 0 && p[0] == '.') {
            if (!dot(a, &v, p, n, err))
                return false;
        } else {
            zdm_buf_put(&sql, p, n);
            zdm_buf_putc(&sql, '\n');
            if (complete(zdm_buf_cstr(&sql))) {
                rt_sq_item it = {RT_SQ_SQL, zdm_strdup(a, zdm_buf_cstr(&sql)), 0};
                zdm_vec_push(a, &v, it);
                zdm_buf_init(&sql, a);
            }
        }
        p += n + (eol ? 1 : 0);
    }
    if (sql.len && !all_blank(sql.data, sql.len)) {
        *err = "the script ends in the middle of an SQL statement (no closing ';')";
        return false;
    }
    out->items = v.items;
    out->len = v.len;
    return true;
}
