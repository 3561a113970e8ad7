/*
 * planfile.c - reads plan.json into an rt_plan (planfile.h). Every field the
 * runtime relies on is checked for presence and type, so a hand-edited or
 * truncated plan is refused with the field's path rather than run partly.
 */
#include "planfile.h"

#include "json.h"
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct reader {
    zdm_arena *a;
    const char *err;
} reader;

static const char *str(reader *r, const rt_json *o, const char *key, bool nullable, const char *where)
{
    const rt_json *v = rt_json_get(o, key);
    if (v && v->type == RT_JSTR)
        return v->str;
    if (nullable && v && v->type == RT_JNULL)
        return NULL;
    if (!r->err)
        r->err = zdm_sprintf(r->a, "plan.json: %s: no string \"%s\"", where, key);
    return NULL;
}

static const rt_json *arr(reader *r, const rt_json *o, const char *key, const char *where)
{
    const rt_json *v = rt_json_get(o, key);
    if (v && v->type == RT_JARR)
        return v;
    if (!r->err)
        r->err = zdm_sprintf(r->a, "plan.json: %s: no array \"%s\"", where, key);
    return NULL;
}

/* A whole number in [0, max]. */
static int64_t num(reader *r, const rt_json *o, const char *key, double max, const char *where)
{
    const rt_json *v = rt_json_get(o, key);
    if (v && v->type == RT_JNUM && v->num >= 0 && v->num <= max && v->num == (double)(int64_t)v->num)
        return (int64_t)v->num;
    if (!r->err)
        r->err = zdm_sprintf(r->a, "plan.json: %s: no whole number \"%s\" (0 to %.0f)", where, key, max);
    return 0;
}

static bool boolean(reader *r, const rt_json *o, const char *key, const char *where)
{
    const rt_json *v = rt_json_get(o, key);
    if (v && v->type == RT_JBOOL)
        return v->b;
    if (!r->err)
        r->err = zdm_sprintf(r->a, "plan.json: %s: no boolean \"%s\"", where, key);
    return false;
}

/* An optional string: absent (a plan compiled before it existed) or null
 * is NULL. */
static const char *opt_str(reader *r, const rt_json *o, const char *key, const char *where)
{
    return rt_json_get(o, key) ? str(r, o, key, true, where) : NULL;
}

/* A native walk (b: the object), when the plan carries one (a plan compiled
 * before it existed has no max_sql: its script runs). */
static const rt_backfill *walk(reader *r, const rt_json *b, const char *where)
{
    if (!b || b->type == RT_JNULL)
        return NULL;
    if (b->type != RT_JOBJ) {
        if (!r->err)
            r->err = zdm_sprintf(r->a, "plan.json: %s is not an object", where);
        return NULL;
    }
    const rt_json *m = rt_json_get(b, "max_sql");
    if (!m || m->type == RT_JNULL)
        return NULL;
    rt_backfill *bf = ZDM_NEW(r->a, rt_backfill);
    bf->schema = str(r, b, "schema", true, where);
    bf->table = str(r, b, "table", false, where);
    bf->max_sql = str(r, b, "max_sql", false, where);
    bf->next_sql = str(r, b, "next_sql", false, where);
    bf->batch_sql = str(r, b, "batch_sql", false, where);
    /* absent in plans compiled before they existed: no vacuum, triggers on */
    bf->vacuum_sql = opt_str(r, b, "vacuum_sql", where);
    bf->quiet_check_sql = opt_str(r, b, "quiet_check_sql", where);
    bf->quiet_sql = opt_str(r, b, "quiet_sql", where);
    bf->session_sql = opt_str(r, b, "session_sql", where);
    bf->verb = opt_str(r, b, "verb", where);
    bf->verb = bf->verb ? bf->verb : "backfill";
    bf->guard_sql = opt_str(r, b, "guard_sql", where);
    bf->total_sql = opt_str(r, b, "total_sql", where);
    /* present only for walks whose batch is more than one statement */
    bf->check_sql = opt_str(r, b, "check_sql", where);
    bf->check_what = opt_str(r, b, "check_what", where);
    bf->after_sql = opt_str(r, b, "after_sql", where);
    bf->open_end = rt_json_get(b, "open_end") && boolean(r, b, "open_end", where);
    bf->check_beside = rt_json_get(b, "check_beside") && boolean(r, b, "check_beside", where);
    bf->checked_sql = opt_str(r, b, "checked_sql", where);
    bf->check_from_sql = opt_str(r, b, "check_from_sql", where);
    bf->batch = (uint64_t)num(r, b, "batch", 1e12, where);
    bf->pause_ms = num(r, b, "pause_ms", 3.6e6, where);
    if (bf->batch < 1 && !r->err)
        r->err = zdm_sprintf(r->a, "plan.json: %s: \"batch\" must be at least 1", where);
    return bf;
}

static const rt_backfill *backfill(reader *r, const rt_json *s, const char *where)
{
    return walk(r, rt_json_get(s, "backfill"), zdm_sprintf(r->a, "%s.backfill", where));
}

/* The rollback's pieces, when it has a walk (absent: its text runs). A walk
 * a plan carries without its SQL (max_sql null) cannot run natively: then
 * the rollback text runs whole. */
static void rollback_pieces(reader *r, const rt_json *s, rt_step *out, const char *where)
{
    const rt_json *v = rt_json_get(s, "rollback_pieces");
    if (!v || v->type == RT_JNULL)
        return;
    where = zdm_sprintf(r->a, "%s.rollback_pieces", where);
    if (v->type != RT_JARR) {
        if (!r->err)
            r->err = zdm_sprintf(r->a, "plan.json: %s is not an array", where);
        return;
    }
    rt_rollback_piece *p = ZDM_NEW_ARRAY(r->a, rt_rollback_piece, v->len + 1);
    for (size_t i = 0; i < v->len && !r->err; i++) {
        const char *at = zdm_sprintf(r->a, "%s[%zu]", where, i);
        const rt_json *w = rt_json_get(v->items[i], "walk");
        if (w) {
            p[i].walk = walk(r, w, zdm_sprintf(r->a, "%s.walk", at));
            if (!p[i].walk)
                return; /* no native form: the rollback text runs */
        } else {
            p[i].script = str(r, v->items[i], "script", false, at);
        }
    }
    out->rb_pieces = p;
    out->nrb_pieces = v->len;
}

static rt_check *checks(reader *r, const rt_json *o, const char *key, size_t *n, const char *where)
{
    const rt_json *v = arr(r, o, key, where);
    *n = 0;
    if (!v)
        return NULL;
    rt_check *c = ZDM_NEW_ARRAY(r->a, rt_check, v->len + 1);
    for (size_t i = 0; i < v->len; i++) {
        c[i].name = str(r, v->items[i], "name", false, where);
        c[i].sql = str(r, v->items[i], "sql", false, where);
    }
    *n = v->len;
    return c;
}

static bool has_risk(const rt_json *s, const char *kind)
{
    const rt_json *v = rt_json_get(s, "risks");
    for (size_t i = 0; v && v->type == RT_JARR && i < v->len; i++) {
        const rt_json *k = rt_json_get(v->items[i], "kind");
        if (k && k->type == RT_JSTR && strcmp(k->str, kind) == 0)
            return true;
    }
    return false;
}

static void step(reader *r, rt_plan *p, const rt_json *s, rt_step *out, size_t i)
{
    const char *where = zdm_sprintf(r->a, "steps[%zu]", i);
    out->id = str(r, s, "id", false, where);
    out->phase = str(r, s, "phase", false, where);
    out->kind = str(r, s, "kind", false, where);
    out->title = str(r, s, "title", false, where);
    out->op = str(r, s, "op", true, where);
    out->forward = str(r, s, "forward", false, where);
    out->rollback = str(r, s, "rollback", false, where);
    out->rollback_note = str(r, s, "rollback_note", true, where);
    out->pre = checks(r, s, "pre_checks", &out->npre, where);
    out->post = checks(r, s, "post_checks", &out->npost, where);
    out->destructive = has_risk(s, "data_loss");
    out->retried = boolean(r, s, "retried", where);
    out->lock_level = str(r, s, "lock_level", false, where);
    out->lock_timeout_ms = num(r, s, "lock_timeout_ms", 1e9, where);
    out->statement_timeout_ms = num(r, s, "statement_timeout_ms", 1e12, where);
    out->backfill = backfill(r, s, where);
    rollback_pieces(r, s, out, where);
    if (r->err)
        return;
    int ph = rt_plan_phase(p, out->phase);
    if (ph < 0 || (i > 0 && (size_t)ph < out[-1].phase_index))
        r->err = zdm_sprintf(r->a, "plan.json: %s: phase \"%s\" is not in the phase list, or out of order",
                             where, out->phase);
    else
        out->phase_index = (size_t)ph;
}

static void phases(reader *r, rt_plan *p, const rt_json *root)
{
    const rt_json *v = arr(r, root, "phases", "top level");
    if (!v)
        return;
    p->phases = ZDM_NEW_ARRAY(r->a, const char *, v->len + 1);
    for (size_t i = 0; i < v->len; i++)
        p->phases[i] = str(r, v->items[i], "name", false, "phases");
    p->nphases = v->len;
}

static void checkpoints(reader *r, rt_plan *p, const rt_json *root)
{
    const rt_json *v = arr(r, root, "checkpoints", "top level");
    if (!v)
        return;
    p->checkpoints = ZDM_NEW_ARRAY(r->a, rt_checkpoint, v->len + 1);
    for (size_t i = 0; i < v->len && !r->err; i++) {
        rt_checkpoint *c = &p->checkpoints[i];
        c->before = str(r, v->items[i], "before", false, "checkpoints");
        c->deploy = str(r, v->items[i], "deploy", false, "checkpoints");
        int ph = c->before ? rt_plan_phase(p, c->before) : -1;
        if (ph < 0 && !r->err)
            r->err = "plan.json: checkpoints: a checkpoint names a phase the plan does not have";
        c->before_index = ph < 0 ? 0 : (size_t)ph;
    }
    p->ncheckpoints = v->len;
}

static void header(reader *r, rt_plan *p, const rt_json *root)
{
    const rt_json *fmt = rt_json_get(root, "zdm_plan_format");
    if (!fmt || fmt->type != RT_JNUM || fmt->num != 1) {
        r->err = "plan.json: not a zdm plan of format 1 (compile it again with this zdm)";
        return;
    }
    p->title = str(r, root, "title", true, "top level");
    p->source = str(r, root, "source", false, "top level");
    p->target = str(r, root, "target", false, "top level");
    p->dialect = str(r, root, "dialect", false, "top level");
    const rt_json *ver = rt_json_get(root, "version");
    /* a major version (15), or major*1000+minor (SQLite 3.35 is 3035) */
    if (!ver || ver->type != RT_JNUM || ver->num < 1 || ver->num >= 1000000)
        r->err = "plan.json: top level: no numeric \"version\"";
    else
        p->version = (unsigned)ver->num;
    const rt_json *d = rt_json_get(root, "defaults");
    if (!d || d->type != RT_JOBJ) {
        if (!r->err)
            r->err = "plan.json: top level: no object \"defaults\"";
        return;
    }
    p->lock_retries = (unsigned)num(r, d, "lock_retries", 1000, "defaults");
    p->retry_base_ms = num(r, d, "retry_base_ms", 3.6e6, "defaults");
    p->retry_cap_ms = num(r, d, "retry_cap_ms", 3.6e6, "defaults");
}

static char *slurp(zdm_arena *a, const char *path, size_t *len, const char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = zdm_sprintf(a, "cannot read %s: %s (is it a `zdm compile` output directory?)",
                           path, strerror(errno));
        return NULL;
    }
    zdm_buf b;
    zdm_buf_init(&b, a);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        zdm_buf_put(&b, chunk, n);
    bool bad = ferror(f) || b.err;
    fclose(f);
    if (bad) {
        *err = zdm_sprintf(a, "cannot read %s", path);
        return NULL;
    }
    *len = b.len;
    return (char *)zdm_buf_cstr(&b);
}

rt_plan *rt_plan_read(zdm_arena *a, const char *dir, const char **err)
{
    const char *path = zdm_sprintf(a, "%s/plan.json", dir);
    size_t len = 0;
    char *text = slurp(a, path, &len, err);
    if (!text)
        return NULL;
    const char *jerr = NULL;
    rt_json *root = rt_json_parse(a, text, len, &jerr);
    if (!root) {
        *err = zdm_sprintf(a, "%s: %s", path, jerr);
        return NULL;
    }
    rt_plan *p = ZDM_NEW(a, rt_plan);
    memset(p, 0, sizeof *p);
    p->dir = dir;
    rt_sha256_hex(text, len, p->hash);
    reader r = {.a = a};
    header(&r, p, root);
    phases(&r, p, root);
    checkpoints(&r, p, root);
    const rt_json *steps = arr(&r, root, "steps", "top level");
    if (steps && !r.err) {
        p->steps = ZDM_NEW_ARRAY(a, rt_step, steps->len + 1);
        memset(p->steps, 0, sizeof(rt_step) * (steps->len + 1));
        for (size_t i = 0; i < steps->len && !r.err; i++)
            step(&r, p, steps->items[i], &p->steps[i], i);
        p->nsteps = steps->len;
    }
    if (r.err) {
        *err = r.err;
        return NULL;
    }
    return p;
}

int rt_plan_phase(const rt_plan *p, const char *name)
{
    for (size_t i = 0; i < p->nphases; i++)
        if (p->phases[i] && strcmp(p->phases[i], name) == 0)
            return (int)i;
    return -1;
}
