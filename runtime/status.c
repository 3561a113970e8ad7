/*
 * status.c - `zdm status DIR`: what has run of the plan on this database,
 * each step's state, the deploy checkpoints, and what comes next with the
 * command that does it. Read-only: it creates nothing.
 */
#include "rt_int.h"

#include <string.h>

static void step_line(const rt_session *s, size_t i)
{
    const rt_step *st = &s->p->steps[i];
    const rt_step_state *ss = &s->st[i];
    printf("  %s %-9s %-22s %s", st->id, st->phase, rt_state_name(ss->state), st->title);
    if (ss->when)
        printf(" [%s%s]", ss->when, ss->attempts > 1 ? zdm_sprintf(s->a, ", %d attempts", ss->attempts) : "");
    putchar('\n');
    if (ss->error && ss->state == RT_STARTED) {
        fputs("      failed: ", stdout);
        for (const char *p = ss->error; *p; p++) {
            if (*p == '\n')
                fputs("\n        ", stdout);
            else
                putchar(*p);
        }
        putchar('\n');
    }
}

static void next_line(rt_session *s)
{
    if (rt_rollback_unfinished(s)) {
        printf("next: finish the rollback that stopped (a forward run is refused until then)\n"
               "  run: zdm rollback %s --db URL\n", s->o.dir);
        return;
    }
    for (size_t i = 0; i < s->p->nsteps; i++) {
        if (s->st[i].state == RT_FINISHED)
            continue;
        const rt_step *st = &s->p->steps[i];
        for (size_t k = 0; k < s->p->ncheckpoints; k++)
            if (s->p->checkpoints[k].before_index == st->phase_index && !s->passed[k]) {
                printf("next: deploy checkpoint before phase %s: %s\n"
                       "  then: zdm run %s --db URL --phase %s\n",
                       st->phase, s->p->checkpoints[k].deploy, s->o.dir, st->phase);
                return;
            }
        printf("next: step %s (%s): %s%s\n  run: zdm run %s --db URL\n", st->id, st->phase,
               st->title, s->st[i].state == RT_STARTED ? " (started before, runs again)" : "",
               s->o.dir);
        return;
    }
    printf("next: nothing, every step has run\n");
}

/* What a walk's row in the state table is: a step's backfill (its id), or
 * a walk of a step's rollback (rt_rollback_walk_key), named by its verb and
 * table. */
static const char *walk_label(rt_session *s, const char *key)
{
    for (size_t i = 0; i < s->p->nsteps; i++) {
        const rt_step *st = &s->p->steps[i];
        if (strcmp(key, st->id) == 0)
            return zdm_sprintf(s->a, "backfill of step %s", st->id);
        for (size_t n = 0, k = 0; n < st->nrb_pieces; n++) {
            const rt_backfill *w = st->rb_pieces[n].walk;
            if (w && strcmp(key, rt_rollback_walk_key(s->a, st, ++k)) == 0)
                return zdm_sprintf(s->a, "rollback of step %s, %s %s", st->id, w->verb, w->table);
        }
    }
    return zdm_sprintf(s->a, "walk %s", key);
}

/* Each native walk recorded for this plan (backfills, and rollbacks' walks):
 * how far it is. A state schema made before backfills were recorded has no
 * such table: nothing. */
static void backfills(rt_session *s)
{
    rt_rows r;
    const char *err = NULL;
    const char *params[] = {s->p->hash};
    if (!s->has_state || !s->d->query(s->c, s->a, s->d->state->bf_list, 1, params, &r, &err))
        return;
    for (size_t i = 0; i < r.nrows; i++) {
        const char *hi = RT_CELL(&r, i, 1), *cur = RT_CELL(&r, i, 2);
        printf("%s: %s rows updated in %s batches (batch size now %s), cursor %s "
               "of last key %s, %s start%s, last batch %s\n",
               walk_label(s, RT_CELL(&r, i, 0)), RT_CELL(&r, i, 3), RT_CELL(&r, i, 4), RT_CELL(&r, i, 5),
               cur ? cur : "(none yet)", hi ? hi : "(empty table)", RT_CELL(&r, i, 6),
               strcmp(RT_CELL(&r, i, 6), "1") == 0 ? "" : "s", RT_CELL(&r, i, 7));
        if (r.ncols > 9 && RT_CELL(&r, i, 8) && strcmp(RT_CELL(&r, i, 8), "0") != 0)
            printf("  vacuums between groups of batches: %s, last %s\n", RT_CELL(&r, i, 8),
                   RT_CELL(&r, i, 9) ? RT_CELL(&r, i, 9) : "-");
    }
}

/* The latest invocations on this plan, newest first. */
static void runs(rt_session *s)
{
    rt_rows r;
    const char *params[] = {s->p->hash};
    if (!s->has_state || !rt_q(s, s->d->state->runs, 1, params, &r) || r.nrows == 0)
        return;
    printf("latest runs:\n");
    for (size_t i = 0; i < r.nrows; i++) {
        const char *resumed = RT_CELL(&r, i, 3);
        printf("  #%s %-8s %s  %s%s%s\n", RT_CELL(&r, i, 0), RT_CELL(&r, i, 1), RT_CELL(&r, i, 2),
               RT_CELL(&r, i, 4), resumed && *resumed ? ", resumed at step " : "",
               resumed ? resumed : "");
    }
}

int rt_cmd_status(int argc, char **argv)
{
    rt_session s = {0};
    if (!rt_parse_opts("status", argc, argv, "", &s.o))
        return RT_EXIT_USAGE;
    s.a = zdm_arena_new();
    int rc = rt_open(&s, false);
    if (rc == RT_EXIT_DONE) {
        printf("plan %.12s: %s (%s) on %s\n", s.p->hash, s.p->title ? s.p->title : s.p->source,
               s.p->target, s.d->where(s.a, s.c));
        for (size_t ph = 0; ph < s.p->nphases; ph++) {
            for (size_t k = 0; k < s.p->ncheckpoints; k++)
                if (s.p->checkpoints[k].before_index == ph)
                    printf("  -- deploy checkpoint before %s: %s\n", s.p->phases[ph],
                           s.passed[k] ? "passed" : "not passed");
            for (size_t i = 0; i < s.p->nsteps; i++)
                if (s.p->steps[i].phase_index == ph)
                    step_line(&s, i);
        }
        backfills(&s);
        next_line(&s);
        runs(&s);
    }
    rt_close(&s);
    zdm_arena_free(s.a);
    return rc;
}
