/*
 * render_json.c - plan.json: the whole plan for machines (the runtime, CI
 * tools). A small emitter: objects and arrays are written in one pass with a
 * comma flag per nesting level; strings are escaped per RFC 8259 (quote,
 * backslash, control characters as \uXXXX); bytes >= 0x80 pass through, as
 * the input is UTF-8. Numbers are printed with fixed precision so output is
 * deterministic.
 */
#include "render_int.h"

#include <string.h>

typedef struct json {
    zdm_buf *b;
    int depth;
    bool need_comma[32];
} json;

static void jstr(zdm_buf *b, const char *s)
{
    zdm_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': zdm_buf_puts(b, "\\\""); break;
        case '\\': zdm_buf_puts(b, "\\\\"); break;
        case '\n': zdm_buf_puts(b, "\\n"); break;
        case '\t': zdm_buf_puts(b, "\\t"); break;
        case '\r': zdm_buf_puts(b, "\\r"); break;
        default:
            if (*p < 0x20)
                zdm_buf_printf(b, "\\u%04x", *p);
            else
                zdm_buf_putc(b, (char)*p);
        }
    }
    zdm_buf_putc(b, '"');
}

static void indent(json *j)
{
    zdm_buf_putc(j->b, '\n');
    for (int i = 0; i < j->depth; i++)
        zdm_buf_puts(j->b, "  ");
}

/* Starts a member (key != NULL) or an array element. */
static void item(json *j, const char *key)
{
    if (j->need_comma[j->depth])
        zdm_buf_putc(j->b, ',');
    j->need_comma[j->depth] = true;
    indent(j);
    if (key) {
        jstr(j->b, key);
        zdm_buf_puts(j->b, ": ");
    }
}

static void open_(json *j, const char *key, char c)
{
    item(j, key);
    zdm_buf_putc(j->b, c);
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(json *j, char c)
{
    bool had = j->need_comma[j->depth];
    j->depth--;
    if (had)
        indent(j);
    zdm_buf_putc(j->b, c);
}

static void kstr(json *j, const char *key, const char *v)
{
    item(j, key);
    if (v)
        jstr(j->b, v);
    else
        zdm_buf_puts(j->b, "null");
}

static void kint(json *j, const char *key, long long v)
{
    item(j, key);
    zdm_buf_printf(j->b, "%lld", v);
}

static void kbool(json *j, const char *key, bool v)
{
    item(j, key);
    zdm_buf_puts(j->b, v ? "true" : "false");
}

static void checks(json *j, const char *key, const zdm_check_vec *v)
{
    open_(j, key, '[');
    for (size_t i = 0; i < v->len; i++) {
        open_(j, NULL, '{');
        kstr(j, "name", v->items[i].name);
        kstr(j, "sql", v->items[i].sql);
        close_(j, '}');
    }
    close_(j, ']');
}

static void risks(json *j, const zdm_risk_vec *v)
{
    open_(j, "risks", '[');
    for (size_t i = 0; i < v->len; i++) {
        open_(j, NULL, '{');
        kstr(j, "kind", zdm_risk_name(v->items[i].kind));
        kstr(j, "detail", v->items[i].detail);
        kstr(j, "mitigation", v->items[i].mitigation);
        close_(j, '}');
    }
    close_(j, ']');
}

/* A batched walk (key: its member name, NULL in an array); a rollback's
 * walk carries verb, guard_sql and total_sql, a backfill's leaves them out. */
static void walk(json *j, const char *key, const zdm_backfill_spec *sp)
{
    if (!sp) {
        kstr(j, key, NULL);
        return;
    }
    open_(j, key, '{');
    kstr(j, "schema", sp->table.schema);
    kstr(j, "table", sp->table.name);
    open_(j, "key", '[');
    for (size_t i = 0; i < sp->nkeys; i++) {
        open_(j, NULL, '{');
        kstr(j, "column", sp->key_cols[i]);
        kstr(j, "type", sp->key_types[i]);
        close_(j, '}');
    }
    close_(j, ']');
    kstr(j, "set", sp->set_sql);
    kstr(j, "filter", sp->filter_sql);
    kint(j, "batch", (long long)sp->batch);
    kint(j, "pause_ms", (long long)sp->pause_ms);
    kstr(j, "max_sql", sp->max_sql);
    kstr(j, "next_sql", sp->next_sql);
    kstr(j, "batch_sql", sp->batch_sql);
    kstr(j, "vacuum_sql", sp->vacuum_sql);
    kstr(j, "quiet_check_sql", sp->quiet_check_sql);
    kstr(j, "quiet_sql", sp->quiet_sql);
    /* Only where a walk has them, so every other plan.json stays as it was. */
    if (sp->session_sql)
        kstr(j, "session_sql", sp->session_sql);
    if (sp->check_sql)
        kstr(j, "check_sql", sp->check_sql);
    if (sp->check_what)
        kstr(j, "check_what", sp->check_what);
    if (sp->after_sql)
        kstr(j, "after_sql", sp->after_sql);
    if (sp->open_end)
        kbool(j, "open_end", true);
    if (sp->check_beside)
        kbool(j, "check_beside", true);
    if (sp->checked_sql)
        kstr(j, "checked_sql", sp->checked_sql);
    if (sp->check_from_sql)
        kstr(j, "check_from_sql", sp->check_from_sql);
    if (sp->verb)
        kstr(j, "verb", sp->verb);
    if (sp->guard_sql)
        kstr(j, "guard_sql", sp->guard_sql);
    if (sp->total_sql)
        kstr(j, "total_sql", sp->total_sql);
    close_(j, '}');
}

/* The rollback as scripts and native walks, only where it has a walk (else
 * the rollback text is all there is to run). */
static void rollback_pieces(json *j, const zdm_rollback_piece_vec *v)
{
    bool any = false;
    for (size_t i = 0; i < v->len; i++)
        any = any || v->items[i].walk;
    if (!any)
        return;
    open_(j, "rollback_pieces", '[');
    for (size_t i = 0; i < v->len; i++) {
        open_(j, NULL, '{');
        if (v->items[i].walk)
            walk(j, "walk", v->items[i].walk);
        else
            kstr(j, "script", v->items[i].script);
        close_(j, '}');
    }
    close_(j, ']');
}

static void step(json *j, const zdm_step *s)
{
    open_(j, NULL, '{');
    kstr(j, "id", s->id);
    kstr(j, "phase", zdm_phase_name(s->phase));
    kstr(j, "kind", zdm_step_kind_name(s->kind));
    kstr(j, "title", s->title);
    kstr(j, "op", s->op ? zdm_op_name(s->op->kind) : NULL);
    kstr(j, "why", s->why);
    kstr(j, "lock", s->lock);
    kstr(j, "lock_level", zdm_lock_level_name(s->lock_level));
    kbool(j, "rewrites", s->rewrites);
    kbool(j, "scans", s->scans);
    kbool(j, "transactional", s->transactional);
    kbool(j, "retried", s->retried);
    kint(j, "lock_timeout_ms", (long long)s->lock_timeout_ms);
    kint(j, "statement_timeout_ms", (long long)s->statement_timeout_ms);
    item(j, "estimate_seconds");
    if (s->est_seconds < 0)
        zdm_buf_puts(j->b, "null");
    else
        zdm_buf_printf(j->b, "%.2f", s->est_seconds);
    kstr(j, "estimate_note", s->est_note);
    kstr(j, "forward", s->forward);
    kstr(j, "rollback", s->rollback);
    kstr(j, "rollback_note", s->rollback_note);
    checks(j, "pre_checks", &s->pre);
    checks(j, "post_checks", &s->post);
    risks(j, &s->risks);
    walk(j, "backfill", s->backfill);
    rollback_pieces(j, &s->rollback_pieces);
    close_(j, '}');
}

static void texts(json *j, const char *key, const zdm_text_vec *v)
{
    open_(j, key, '[');
    for (size_t i = 0; i < v->len; i++)
        kstr(j, NULL, v->items[i]);
    close_(j, ']');
}

static void phases(json *j, zdm_arena *a, const zdm_plan *p)
{
    open_(j, "phases", '[');
    for (size_t i = 0; i < p->nphases; i++) {
        zdm_phase ph = p->phases[i];
        open_(j, NULL, '{');
        kint(j, "number", (long long)i + 1);
        kstr(j, "name", zdm_phase_name(ph));
        kstr(j, "forward_file", zdm_render_phase_file(a, p, ph, false));
        kstr(j, "rollback_file", zdm_render_phase_file(a, p, ph, true));
        open_(j, "steps", '[');
        for (size_t k = 0; k < p->steps.len; k++)
            if (p->steps.items[k]->phase == ph)
                kstr(j, NULL, p->steps.items[k]->id);
        close_(j, ']');
        close_(j, '}');
    }
    close_(j, ']');
    open_(j, "checkpoints", '[');
    for (size_t i = 0; i < p->checkpoints.len; i++) {
        const zdm_checkpoint *c = &p->checkpoints.items[i];
        open_(j, NULL, '{');
        /* null: before the first phase, i.e. deploy before running the plan */
        kstr(j, "after", c->first ? NULL : zdm_phase_name(c->after));
        kstr(j, "before", zdm_phase_name(c->before));
        kstr(j, "deploy", c->what);
        close_(j, '}');
    }
    close_(j, ']');
}

static void defaults(json *j, const zdm_plan *p)
{
    const zdm_plan_defaults *d = &p->defaults;
    open_(j, "defaults", '{');
    kint(j, "lock_timeout_ms", (long long)d->lock_timeout_ms);
    kstr(j, "lock_timeout_source", d->lock_timeout_source);
    kint(j, "statement_timeout_ms", (long long)d->statement_timeout_ms);
    kint(j, "batch", (long long)d->batch);
    kint(j, "batch_pause_ms", (long long)d->batch_pause_ms);
    kint(j, "lock_retries", (long long)d->retries);
    kint(j, "retry_base_ms", (long long)d->retry_base_ms);
    kint(j, "retry_cap_ms", (long long)d->retry_cap_ms);
    close_(j, '}');
    open_(j, "client", '{');
    kstr(j, "name", p->client.name);
    kstr(j, "run", p->client.run_fmt);
    kstr(j, "preamble", p->client.preamble);
    close_(j, '}');
}

const char *zdm_render_json(zdm_arena *a, const zdm_plan *p)
{
    zdm_buf b;
    zdm_buf_init(&b, a);
    json j = {.b = &b};
    zdm_buf_putc(&b, '{');
    kint(&j, "zdm_plan_format", 1);
    kstr(&j, "title", p->title);
    kstr(&j, "source", p->source_path);
    kstr(&j, "target", p->target);
    kstr(&j, "dialect", p->dialect);
    kint(&j, "version", (long long)p->version);
    kbool(&j, "version_assumed", !p->version_given);
    defaults(&j, p);
    phases(&j, a, p);
    open_(&j, "steps", '[');
    for (size_t i = 0; i < p->steps.len; i++)
        step(&j, p->steps.items[i]);
    close_(&j, ']');
    texts(&j, "notes", &p->notes);
    texts(&j, "warnings", &p->warnings);
    zdm_buf_puts(&b, "\n}\n");
    return zdm_buf_cstr(&b);
}
