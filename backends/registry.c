/*
 * registry.c - the list of dialects zdm knows, target parsing, and zdm_lower:
 * the loop that hands each op to its dialect's lowering function.
 *
 * Adding a dialect is one line in `dialects` below (docs/new-dialect.md).
 * Error messages of zdm_target_parse live in a static buffer: valid until the
 * next call, which is enough for a command line that reports and exits.
 */
#include "dialect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const zdm_dialect zdm_dialect_postgres;
extern const zdm_dialect zdm_dialect_sqlite;
extern const zdm_dialect zdm_dialect_mysql;
extern const zdm_dialect zdm_dialect_mariadb;

static const zdm_dialect *const dialects[] = {
    &zdm_dialect_postgres,
    &zdm_dialect_sqlite,
    &zdm_dialect_mysql,
    &zdm_dialect_mariadb,
};
#define NDIALECTS (sizeof dialects / sizeof dialects[0])

const zdm_dialect *zdm_dialect_find(const char *name)
{
    for (size_t i = 0; i < NDIALECTS; i++)
        if (strcmp(dialects[i]->name, name) == 0)
            return dialects[i];
    return NULL;
}

static const char *version_str(char *buf, size_t n, unsigned v);

const char *zdm_dialect_list(void)
{
    static char list[256];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < NDIALECTS && n < sizeof list; i++) {
        const zdm_dialect *d = dialects[i];
        char lo[16], hi[16];
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s (%s@%s .. %s@%s)", i ? ", " : "",
                              d->name, d->name, version_str(lo, sizeof lo, d->min_version),
                              d->name, version_str(hi, sizeof hi, d->max_version));
    }
    return list;
}

static char errbuf[512];

/* Versions are a major number ("15"), or major.minor ("3.35") held as
 * major*1000+minor (3035) for dialects whose minor versions matter (SQLite
 * 3.x): one rule for every dialect, no dialect named here. */
static int parse_version(const char *s, unsigned *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (v >= 1000)
        return -1;
    if (*end == '.') {
        if (end[1] < '0' || end[1] > '9')
            return -1;
        unsigned long minor = strtoul(end + 1, &end, 10);
        if (minor >= 1000)
            return -1;
        v = v * 1000 + minor;
    }
    if (*end)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* "15", or "3.35" for a major.minor version (see parse_version). */
static const char *version_str(char *buf, size_t n, unsigned v)
{
    if (v >= 1000)
        snprintf(buf, n, "%u.%u", v / 1000, v % 1000);
    else
        snprintf(buf, n, "%u", v);
    return buf;
}

int zdm_target_parse(zdm_target *out, const char *spec, const char **err)
{
    memset(out, 0, sizeof *out);
    const char *at = strchr(spec, '@');
    size_t nlen = at ? (size_t)(at - spec) : strlen(spec);
    char name[32];
    const zdm_dialect *d = NULL;
    if (nlen < sizeof name) {
        memcpy(name, spec, nlen);
        name[nlen] = '\0';
        d = zdm_dialect_find(name);
    }
    if (!d) {
        snprintf(errbuf, sizeof errbuf, "unknown target '%s'; the targets zdm has are: %s",
                 spec, zdm_dialect_list());
        *err = errbuf;
        return -1;
    }
    unsigned v = d->default_version;
    char lo[16], hi[16], df[16];
    version_str(lo, sizeof lo, d->min_version);
    version_str(hi, sizeof hi, d->max_version);
    version_str(df, sizeof df, d->default_version);
    if (at && (parse_version(at + 1, &v) != 0 || v < d->min_version || v > d->max_version)) {
        snprintf(errbuf, sizeof errbuf,
                 "target '%s': %s versions %s to %s are supported (write %s@%s .. %s@%s, or "
                 "%s for version %s)",
                 spec, d->name, lo, hi, d->name, lo, d->name, hi, d->name, df);
        *err = errbuf;
        return -1;
    }
    out->dialect = d;
    out->version = v;
    out->version_given = at != NULL;
    snprintf(out->canonical, sizeof out->canonical, "%s@%s", d->name,
             version_str(df, sizeof df, v));
    return 0;
}

int zdm_lower_error(zdm_lower_ctx *cx, const zdm_op *op, int code, const char *hint,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = zdm_vsprintf(cx->arena, fmt, ap);
    va_end(ap);
    zdm_span sp = op ? op->span : (zdm_span){0, 0};
    zdm_diag *dg = zdm_diag_add(cx->diags, ZDM_ERROR, code, op ? cx->mig->src : NULL, sp,
                                "%s", msg);
    if (hint)
        zdm_diag_hint(dg, cx->arena, "%s", hint);
    return -1;
}

static void plan_header(zdm_lower_ctx *cx)
{
    zdm_plan *p = cx->plan;
    const zdm_dialect *d = cx->dialect;
    p->title = cx->mig->title;
    p->source_path = cx->mig->src ? cx->mig->src->path : NULL;
    p->target = cx->target->canonical;
    p->dialect = d->name;
    p->version = cx->target->version;
    p->version_given = cx->target->version_given;
    p->client.name = d->client;
    p->client.run_fmt = d->client_run_fmt;
    p->client.preamble = d->script_preamble ? d->script_preamble : "";
    p->client.comment = "-- ";
    p->client.monitor = d->monitor;
    p->client.on_retry_exhausted = d->on_retry_exhausted;
}

zdm_plan *zdm_lower(zdm_arena *a, zdm_diags *d, const zdm_target *t, const zdm_migration *m,
                    const zdm_compile_opts *opts)
{
    zdm_compile_opts none = {.lock_timeout_ms = -1};
    zdm_lower_ctx cx = {
        .arena = a, .diags = d, .target = t, .dialect = t->dialect, .mig = m,
        .opts = opts ? opts : &none, .plan = zdm_plan_new(a),
    };
    unsigned errors_before = d->nerrors;
    plan_header(&cx);
    int rc = t->dialect->begin ? t->dialect->begin(&cx) : 0;
    for (size_t i = 0; rc == 0 && i < m->ops.len; i++) {
        /* Keep lowering after an error so one run reports every unsupported op. */
        const zdm_op *op = m->ops.items[i];
        zdm_lower_fn fn = t->dialect->lower[op->kind];
        if (!fn)
            zdm_lower_error(&cx, op, ZDM_E_UNSUPPORTED,
                            "this target's backend does not lower it yet; see "
                            "docs/backends/ for what each target supports",
                            "%s is not supported for target %s yet", zdm_op_name(op->kind),
                            t->canonical);
        else
            fn(&cx, op);
    }
    if (d->nerrors == errors_before && rc == 0 && t->dialect->finish)
        rc = t->dialect->finish(&cx);
    if (rc != 0 || d->nerrors > errors_before)
        return NULL;
    zdm_plan_finish(cx.plan);
    return cx.plan;
}
