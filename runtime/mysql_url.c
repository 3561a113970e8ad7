/*
 * mysql_url.c - the --db URL of the MySQL/MariaDB driver (mysql_url.h).
 * Percent-escapes are decoded in every part, so a password may hold '@',
 * ':' or '/'.
 */
#include "mysql_url.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* s[0..n) with %XX decoded. */
static const char *decoded(zdm_arena *a, const char *s, size_t n)
{
    char *out = zdm_strndup(a, s, n), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* The part of [p, end) up to the first of `stops`. */
static const char *upto(const char *p, const char *end, const char *stops)
{
    while (p < end && !strchr(stops, *p))
        p++;
    return p;
}

static bool parse_query(zdm_arena *a, const char *q, rt_my_url *u, const char **err)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (strncmp(q, "socket=", 7) == 0 && n > 7) {
            u->sock = decoded(a, q + 7, n - 7);
        } else {
            *err = zdm_sprintf(a, "unknown parameter '%.*s' in the --db URL (only socket=PATH)",
                               (int)strcspn(q, "=&"), q);
            return false;
        }
        q += n + (amp != NULL);
    }
    return true;
}

bool rt_my_url_parse(zdm_arena *a, const char *url, rt_my_url *u, const char **err)
{
    memset(u, 0, sizeof *u);
    const char *p = strstr(url, "://");
    if (!p || !(strncmp(url, "mysql://", 8) == 0 || strncmp(url, "mariadb://", 10) == 0)) {
        *err = "a MySQL or MariaDB plan needs --db mysql://USER[:PASS]@HOST[:PORT]/DB "
               "(or mariadb://...; ?socket=PATH for a unix socket)";
        return false;
    }
    p += 3;
    const char *end = p + strlen(p), *qm = strchr(p, '?');
    const char *stop = qm ? qm : end;
    const char *at = NULL;
    for (const char *s = p; s < stop && *s != '/'; s++)
        if (*s == '@')
            at = s;
    if (at) {
        const char *colon = upto(p, at, ":");
        u->user = decoded(a, p, (size_t)(colon - p));
        u->pass = colon < at ? decoded(a, colon + 1, (size_t)(at - colon - 1)) : NULL;
        p = at + 1;
    }
    const char *hend = *p == '[' ? upto(p, stop, "]") : upto(p, stop, ":/");
    if (*p == '[') {
        u->host = decoded(a, p + 1, (size_t)(hend - p - 1));
        hend += hend < stop;
    } else {
        u->host = decoded(a, p, (size_t)(hend - p));
    }
    p = hend;
    if (p < stop && *p == ':') {
        char *e;
        long port = strtol(p + 1, &e, 10);
        if (e == p + 1 || port <= 0 || port > 65535 || (e < stop && *e != '/')) {
            *err = "the port in the --db URL is not a number from 1 to 65535";
            return false;
        }
        u->port = (unsigned)port;
        p = e;
    }
    if (p < stop && *p == '/')
        u->db = decoded(a, p + 1, (size_t)(stop - p - 1));
    if (!u->db || !*u->db) {
        *err = "the --db URL names no database (mysql://USER@HOST/DB)";
        return false;
    }
    return !qm || parse_query(a, qm + 1, u, err);
}

