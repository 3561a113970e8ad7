/*
 * render_md.c - plan.md, the plan for a person, in the six sections the
 * language contract names: migration plan, forward, rollback, verification,
 * risk assessment, runbook. Scripts are shown as the phase files hold them.
 */
#include "render_int.h"

#include <string.h>

/* Table cells may not hold '|' or newlines. */
static const char *cell(zdm_arena *a, const char *s)
{
    zdm_buf b;
    zdm_buf_init(&b, a);
    for (; s && *s; s++) {
        if (*s == '|')
            zdm_buf_puts(&b, "\\|");
        else
            zdm_buf_putc(&b, *s == '\n' ? ' ' : *s);
    }
    return zdm_buf_cstr(&b);
}

static void fence(zdm_buf *b, const char *lang, const char *text)
{
    zdm_buf_printf(b, "```%s\n%s", lang, text);
    if (*text && text[strlen(text) - 1] != '\n')
        zdm_buf_putc(b, '\n');
    zdm_buf_puts(b, "```\n\n");
}

static void intro(zdm_buf *b, zdm_arena *a, const zdm_plan *p)
{
    zdm_buf_printf(b, "# %s\n\n", p->title ? p->title : "Migration plan");
    if (p->source_path)
        zdm_buf_printf(b, "- Source: `%s`\n", p->source_path);
    zdm_buf_printf(b, "- Target: `%s`%s\n", p->target,
                   p->version_given ? "" : " (assumed: no version was given)");
    const zdm_plan_defaults *d = &p->defaults;
    /* A dialect without a retry loop (SQLite waits in busy_timeout) has 0. */
    if (d->retries > 0)
        zdm_buf_printf(b, "- lock_timeout: %lld ms (%s); strong-lock steps retry up to %u times "
                       "with jittered backoff from %lld ms to %lld ms\n",
                       (long long)d->lock_timeout_ms, d->lock_timeout_source, d->retries,
                       (long long)d->retry_base_ms, (long long)d->retry_cap_ms);
    else
        zdm_buf_printf(b, "- lock_timeout: %lld ms (%s); a step waits that long for its lock, "
                       "with no retry loop\n",
                       (long long)d->lock_timeout_ms, d->lock_timeout_source);
    zdm_buf_printf(b, "- Backfill batches: %llu rows, pause %lld ms\n",
                   (unsigned long long)d->batch, (long long)d->batch_pause_ms);
    for (size_t i = 0; i < p->warnings.len; i++)
        zdm_buf_printf(b, "- **Warning:** %s\n", p->warnings.items[i]);
    for (size_t i = 0; i < p->notes.len; i++)
        zdm_buf_printf(b, "- Note: %s\n", p->notes.items[i]);
    (void)a;
    zdm_buf_putc(b, '\n');
}

static const char *rw_scan(const zdm_step *s)
{
    return s->rewrites ? "rewrite" : s->scans ? "scan" : "no";
}

static void checkpoints_md(zdm_buf *b, const zdm_plan *p)
{
    for (size_t i = 0; i < p->checkpoints.len; i++) {
        const zdm_checkpoint *c = &p->checkpoints.items[i];
        if (c->first)
            zdm_buf_printf(b, "**Deploy checkpoint** before phase 1 `%s` (deploy first): %s\n\n",
                           zdm_phase_name(c->before), c->what);
        else
            zdm_buf_printf(b, "**Deploy checkpoint** between `%s` and `%s`: %s\n\n",
                           zdm_phase_name(c->after), zdm_phase_name(c->before), c->what);
    }
}

static void section_plan(zdm_buf *b, zdm_arena *a, const zdm_plan *p)
{
    zdm_buf_puts(b, "## 1. Migration plan\n\n"
                    "| # | phase | step | lock | rewrite/scan | transaction | estimate |\n"
                    "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < p->steps.len; i++) {
        const zdm_step *s = p->steps.items[i];
        zdm_buf_printf(b, "| %s | %s | %s | %s%s | %s | %s | %s |\n", s->id,
                       zdm_phase_name(s->phase), cell(a, s->title), cell(a, s->lock),
                       s->retried ? ", retried" : "", rw_scan(s),
                       s->transactional ? "yes" : "no (outside)",
                       zdm_duration_str(a, s->est_seconds));
    }
    zdm_buf_putc(b, '\n');
    for (size_t i = 0; i < p->nphases; i++) {
        bool unknown;
        double t = zdm_plan_phase_seconds(p, p->phases[i], &unknown);
        const char *est = unknown && t == 0 ? "unknown"
                        : unknown ? zdm_sprintf(a, "%s plus steps of unknown duration",
                                                zdm_duration_str(a, t))
                                  : zdm_duration_str(a, t);
        zdm_buf_printf(b, "- Phase %zu `%s`: estimated %s\n", i + 1,
                       zdm_phase_name(p->phases[i]), est);
    }
    zdm_buf_putc(b, '\n');
    checkpoints_md(b, p);
    for (size_t i = 0; i < p->steps.len; i++) {
        const zdm_step *s = p->steps.items[i];
        zdm_buf_printf(b, "- **%s** %s Lock: %s. lock_timeout %lld ms, statement_timeout %s. "
                       "Estimate: %s (%s).\n",
                       s->id, s->why ? s->why : zdm_sprintf(a, "%s.", s->title), zdm_lock_level_desc(s->lock_level),
                       (long long)s->lock_timeout_ms,
                       s->statement_timeout_ms ? zdm_sprintf(a, "%lld ms",
                                                             (long long)s->statement_timeout_ms)
                                               : "off",
                       zdm_duration_str(a, s->est_seconds), s->est_note ? s->est_note : "-");
    }
    zdm_buf_putc(b, '\n');
}

static void section_scripts(zdm_buf *b, zdm_arena *a, const zdm_plan *p, bool rollback)
{
    zdm_buf_puts(b, rollback ? "## 3. Rollback migration\n\n"
                               "`rollback.sql` runs every phase's rollback, last phase first; "
                               "each step is guarded, so it is correct from any point the "
                               "forward run stopped at.\n\n"
                             : "## 2. Forward migration\n\n"
                               "`forward.sql` runs every phase in order; the phase files "
                               "below let the application be deployed between phases.\n\n");
    for (size_t k = 0; k < p->nphases; k++) {
        size_t i = rollback ? p->nphases - 1 - k : k;
        zdm_phase ph = p->phases[i];
        zdm_buf_printf(b, "### %zu. %s — `%s`\n\n", i + 1, zdm_phase_name(ph),
                       zdm_render_phase_file(a, p, ph, rollback));
        fence(b, "sql", rollback ? zdm_render_rollback(a, p, (int)ph)
                                 : zdm_render_forward(a, p, (int)ph));
    }
}

static void checks_md(zdm_buf *b, const zdm_plan *p, bool post)
{
    for (size_t i = 0; i < p->steps.len; i++) {
        const zdm_step *s = p->steps.items[i];
        const zdm_check_vec *v = post ? &s->post : &s->pre;
        for (size_t k = 0; k < v->len; k++)
            if (!render__check_seen(p, s, k, post))
                zdm_buf_printf(b, "- step %s: %s\n", s->id, v->items[k].name);
    }
    zdm_buf_putc(b, '\n');
}

static void section_verify(zdm_buf *b, zdm_arena *a, const zdm_plan *p)
{
    zdm_buf_puts(b, "## 4. Verification queries\n\n"
                    "Every check is one query returning one row: `check` (text) and `ok` "
                    "(boolean).\n\n### Pre-checks — `verify_pre.sql`\n\n");
    checks_md(b, p, false);
    fence(b, "sql", zdm_render_verify(a, p, false));
    zdm_buf_puts(b, "### Post-checks — `verify_post.sql`\n\n");
    checks_md(b, p, true);
    fence(b, "sql", zdm_render_verify(a, p, true));
}

static void section_risks(zdm_buf *b, const zdm_plan *p)
{
    zdm_buf_puts(b, "## 5. Risk assessment\n\n");
    size_t n = 0;
    for (size_t i = 0; i < p->steps.len; i++) {
        const zdm_step *s = p->steps.items[i];
        for (size_t k = 0; k < s->risks.len; k++, n++) {
            const zdm_risk *r = &s->risks.items[k];
            zdm_buf_printf(b, "- **%s** (step %s, %s): %s\n  *Mitigation:* %s\n",
                           zdm_risk_title(r->kind), s->id, s->title, r->detail, r->mitigation);
        }
        if (s->rollback_note)
            zdm_buf_printf(b, "- **rollback** (step %s): %s.\n", s->id, s->rollback_note);
    }
    if (!n)
        zdm_buf_puts(b, "No risk beyond the locks listed in section 1.\n");
    zdm_buf_putc(b, '\n');
}

static void section_runbook(zdm_buf *b, zdm_arena *a, const zdm_plan *p)
{
    unsigned n = 1;
    zdm_buf_puts(b, "## 6. Runbook\n\nRun from this directory, with the connection set in "
                    "the environment (PGHOST, PGDATABASE, ...).\n\n");
    zdm_buf_printf(b, "%u. Pre-checks, every `ok` must be `t`: `%s`\n", n++,
                   render__run_cmd(a, p, "verify_pre.sql"));
    for (size_t i = 0; i < p->nphases; i++) {
        zdm_phase ph = p->phases[i];
        for (size_t k = 0; k < p->checkpoints.len; k++)
            if (p->checkpoints.items[k].before == ph)
                zdm_buf_printf(b, "%u. **Deploy checkpoint%s:** %s\n", n++,
                               p->checkpoints.items[k].first ? " (before phase 1, deploy first)"
                                                             : "",
                               p->checkpoints.items[k].what);
        zdm_buf_printf(b, "%u. Phase `%s`: `%s`\n", n++, zdm_phase_name(ph),
                       render__run_cmd(a, p, zdm_render_phase_file(a, p, ph, false)));
    }
    zdm_buf_printf(b, "%u. Post-checks, every `ok` must be `t`: `%s`\n\n", n++,
                   render__run_cmd(a, p, "verify_post.sql"));
    zdm_buf_puts(b, "While it runs, watch:\n\n");
    for (const char *const *m = p->client.monitor; m && *m; m++)
        zdm_buf_printf(b, "- %s\n", *m);
    if (p->client.on_retry_exhausted)
        zdm_buf_printf(b, "\nIf a step gives up after its lock retries: %s\n",
                       p->client.on_retry_exhausted);
    zdm_buf_printf(b, "\nTo roll back from wherever the forward run stopped: `%s` (or the "
                   "phase files in reverse order, starting with the last phase that ran).\n",
                   render__run_cmd(a, p, "rollback.sql"));
}

const char *zdm_render_md(zdm_arena *a, const zdm_plan *p)
{
    zdm_buf b;
    zdm_buf_init(&b, a);
    intro(&b, a, p);
    section_plan(&b, a, p);
    section_scripts(&b, a, p, false);
    section_scripts(&b, a, p, true);
    section_verify(&b, a, p);
    section_risks(&b, p);
    section_runbook(&b, a, p);
    return zdm_buf_cstr(&b);
}
