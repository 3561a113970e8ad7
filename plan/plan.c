/*
 * plan.c - building the plan model: steps, checks, risks, checkpoints, and the
 * final ordering pass. Dialect-free; the backends fill it, renderers read it.
 *
 * Invariant: steps only move in zdm_plan_finish, by a stable sort on phase, so
 * two steps of one phase keep the order in which the backend created them.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = {
#define X(e, s) s,
    ZDM_PHASES(X)
#undef X
};

const char *zdm_phase_name(zdm_phase p) { return phase_names[p]; }

static const char *const step_kind_names[] = {
#define X(e, s, d) s,
    ZDM_STEP_KINDS(X)
#undef X
};

const char *zdm_step_kind_name(zdm_step_kind k) { return step_kind_names[k]; }

static const char *const lock_names[] = {
#define X(e, s, d) s,
    ZDM_LOCK_LEVELS(X)
#undef X
};
static const char *const lock_descs[] = {
#define X(e, s, d) d,
    ZDM_LOCK_LEVELS(X)
#undef X
};

const char *zdm_lock_level_name(zdm_lock_level l) { return lock_names[l]; }
const char *zdm_lock_level_desc(zdm_lock_level l) { return lock_descs[l]; }

static const char *const risk_names[] = {
#define X(e, s, t) s,
    ZDM_RISK_KINDS(X)
#undef X
};
static const char *const risk_titles[] = {
#define X(e, s, t) t,
    ZDM_RISK_KINDS(X)
#undef X
};

const char *zdm_risk_name(zdm_risk_kind k) { return risk_names[k]; }
const char *zdm_risk_title(zdm_risk_kind k) { return risk_titles[k]; }

zdm_plan *zdm_plan_new(zdm_arena *a)
{
    zdm_plan *p = ZDM_NEW(a, zdm_plan);
    p->arena = a;
    return p;
}

zdm_step *zdm_plan_step(zdm_plan *p, zdm_phase phase, zdm_step_kind kind, const char *title)
{
    zdm_step *s = ZDM_NEW(p->arena, zdm_step);
    s->seq = p->next_seq++;
    s->phase = phase;
    s->kind = kind;
    s->title = title;
    s->est_seconds = -1;
    s->forward = "";
    s->rollback = "";
    s->transactional = kind == ZDM_STEP_TX;
    zdm_vec_push(p->arena, &p->steps, s);
    return s;
}

void zdm_step_pre(zdm_plan *p, zdm_step *s, const char *name, const char *sql)
{
    zdm_vec_push(p->arena, &s->pre, ((zdm_check){name, sql}));
}

void zdm_step_post(zdm_plan *p, zdm_step *s, const char *name, const char *sql)
{
    zdm_vec_push(p->arena, &s->post, ((zdm_check){name, sql}));
}

void zdm_step_risk(zdm_plan *p, zdm_step *s, zdm_risk_kind k, const char *detail,
                   const char *mitigation)
{
    zdm_vec_push(p->arena, &s->risks, ((zdm_risk){k, detail, mitigation}));
}

void zdm_step_rollback_script(zdm_plan *p, zdm_step *s, const char *text)
{
    s->rollback = zdm_sprintf(p->arena, "%s%s", s->rollback, text);
    zdm_rollback_piece *last = s->rollback_pieces.len
                                   ? &s->rollback_pieces.items[s->rollback_pieces.len - 1]
                                   : NULL;
    if (last && last->script)
        last->script = zdm_sprintf(p->arena, "%s%s", last->script, text);
    else
        zdm_vec_push(p->arena, &s->rollback_pieces, ((zdm_rollback_piece){text, NULL}));
}

void zdm_step_rollback_walk(zdm_plan *p, zdm_step *s, const char *loop_text,
                            const zdm_backfill_spec *walk)
{
    s->rollback = zdm_sprintf(p->arena, "%s%s", s->rollback, loop_text);
    zdm_vec_push(p->arena, &s->rollback_pieces, ((zdm_rollback_piece){NULL, walk}));
}

void zdm_plan_checkpoint(zdm_plan *p, zdm_phase before, const char *what)
{
    for (size_t i = 0; i < p->checkpoints.len; i++) {
        zdm_checkpoint *c = &p->checkpoints.items[i];
        if (c->before == before) {
            if (!strstr(c->what, what))
                c->what = zdm_sprintf(p->arena, "%s %s", c->what, what);
            return;
        }
    }
    zdm_vec_push(p->arena, &p->checkpoints, ((zdm_checkpoint){before, before, false, what}));
}

void zdm_plan_note(zdm_plan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zdm_vec_push(p->arena, &p->notes, zdm_vsprintf(p->arena, fmt, ap));
    va_end(ap);
}

void zdm_plan_warning(zdm_plan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    zdm_vec_push(p->arena, &p->warnings, zdm_vsprintf(p->arena, fmt, ap));
    va_end(ap);
}

static int step_cmp(const void *x, const void *y)
{
    const zdm_step *a = *(const zdm_step *const *)x, *b = *(const zdm_step *const *)y;
    if (a->phase != b->phase)
        return a->phase < b->phase ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void zdm_plan_finish(zdm_plan *p)
{
    if (p->steps.len)
        qsort(p->steps.items, p->steps.len, sizeof *p->steps.items, step_cmp);
    p->nphases = 0;
    for (size_t i = 0; i < p->steps.len; i++) {
        zdm_step *s = p->steps.items[i];
        s->id = zdm_sprintf(p->arena, "%02zu", i + 1);
        if (p->nphases == 0 || p->phases[p->nphases - 1] != s->phase)
            p->phases[p->nphases++] = s->phase;
    }
    /* A checkpoint sits right before its `before` phase, after whichever phase
     * precedes it in this plan. Before phase 1 it still binds: a plan that only
     * contracts must wait for the application that no longer needs what it
     * drops. Without its `before` phase it means nothing. */
    size_t keep = 0;
    for (size_t i = 0; i < p->checkpoints.len; i++) {
        zdm_checkpoint c = p->checkpoints.items[i];
        unsigned n = zdm_plan_phase_number(p, c.before);
        if (n == 0)
            continue;
        c.first = n == 1;
        c.after = c.first ? c.before : p->phases[n - 2];
        p->checkpoints.items[keep++] = c;
    }
    p->checkpoints.len = keep;
}

unsigned zdm_plan_phase_number(const zdm_plan *p, zdm_phase ph)
{
    for (size_t i = 0; i < p->nphases; i++)
        if (p->phases[i] == ph)
            return (unsigned)i + 1;
    return 0;
}

double zdm_plan_phase_seconds(const zdm_plan *p, zdm_phase ph, bool *unknown)
{
    double sum = 0;
    *unknown = false;
    for (size_t i = 0; i < p->steps.len; i++) {
        const zdm_step *s = p->steps.items[i];
        if (s->phase != ph)
            continue;
        if (s->est_seconds < 0)
            *unknown = true;
        else
            sum += s->est_seconds;
    }
    return sum;
}

const char *zdm_duration_str(zdm_arena *a, double s)
{
    if (s < 0)
        return "unknown";
    if (s < 1)
        return "< 1 s";
    if (s < 120)
        return zdm_sprintf(a, "%.0f s", s);
    if (s < 7200)
        return zdm_sprintf(a, "%.0f min", s / 60);
    return zdm_sprintf(a, "%.1f h", s / 3600);
}
