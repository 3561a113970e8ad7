/*
 * rollback.c - `zdm rollback DIR`: runs the rollback text of exactly the
 * steps that ran (finished, or started and interrupted or failed), newest
 * first. Every rollback text is guarded, so it is right for a step that ran
 * only partly. Each step is marked rolled back as it goes, so an interrupted
 * rollback continues where it stopped; once all are reversed the deploy
 * checkpoints are cleared, and a later `zdm run` starts the plan afresh.
 * Each rollback text is attempted as `zdm run` attempts a step (attempt.c):
 * again after a lock timeout, deadlock or foreign cancel where its script
 * does not retry by itself, and after reconnecting to a restarted server.
 *
 * A rollback whose text has batched loops (a backup's restore, a reverse
 * move's fill) comes with its pieces in plan.json: its scripts run as they
 * are and its walks natively (backfill.c), each with its own row in the
 * state table (rt_rollback_walk_key), its cursor committed with every batch.
 * A rerun continues a walk whose row began after the step's last start (this
 * rollback of the step was interrupted: no row restored twice, none
 * skipped); an older row is a finished rollback's, before the step ran
 * again, and the walk starts afresh.
 */
#include "rt_int.h"

#include <string.h>

const char *rt_rollback_walk_key(zdm_arena *a, const rt_step *st, size_t ordinal)
{
    return zdm_sprintf(a, "%s/rollback/%zu", st->id, ordinal);
}

/* Whether the walk's row is this rollback's (begun after the step's last
 * start): then it continues. */
static bool walk_resumes(rt_session *s, const rt_step *st, const char *key, bool *yes,
                         const char **err)
{
    rt_rows r;
    const char *p[] = {s->p->hash, key, st->id};
    *yes = false;
    if (!s->d->query(s->c, s->a, s->d->state->bf_current, 3, p, &r, err))
        return false;
    *yes = r.nrows > 0;
    return true;
}

bool rt_rollback_pieces_run(rt_session *s, size_t i, const char **err)
{
    const rt_step *st = &s->p->steps[i];
    size_t walks = 0;
    for (size_t n = 0; n < st->nrb_pieces; n++) {
        const rt_rollback_piece *pc = &st->rb_pieces[n];
        if (pc->script) {
            if (!s->d->exec_script(s->c, s->a, pc->script, err))
                return false;
            continue;
        }
        const char *key = rt_rollback_walk_key(s->a, st, ++walks);
        bool resumed;
        if (!walk_resumes(s, st, key, &resumed, err))
            return false;
        const char *rp[] = {s->run_id, st->id};
        if (resumed && s->run_id && !s->d->query(s->c, s->a, s->d->state->run_resumed, 2, rp,
                                                 &(rt_rows){0}, err))
            return false;
        if (!rt_walk_run(s, i, pc->walk, key, resumed, "rollback", err))
            return false;
    }
    return true;
}

/* The rollback of st gave up: say so, name the blockers of a lock it did
 * not get, and record the error (not when the server is gone: the state
 * stays as it was, and a rerun continues at this step). */
static int failed(rt_session *s, const rt_step *st, rt_watch *w, const char *err)
{
    fprintf(stderr, "zdm: rollback of step %s failed: %s\n"
                    "  fix the cause and run `zdm rollback` again: it continues here\n",
            st->id, err);
    if (s->gone)
        return RT_EXIT_FAILED;
    if (s->d->last_error(s->c) == RT_ERR_LOCK)
        rt_watch_report(w);
    const char *fp[] = {s->p->hash, st->id, err};
    rt_q(s, s->d->state->step_fail, 3, fp, NULL);
    rt_end_run(s, zdm_sprintf(s->a, "rollback failed at step %s", st->id));
    return RT_EXIT_FAILED;
}

static int reverse(rt_session *s, size_t n)
{
    const char *err = NULL;
    for (size_t i = s->p->nsteps; i-- > 0;) {
        const rt_step *st = &s->p->steps[i];
        if (!rt_ran(s->st[i].state))
            continue;
        printf("zdm: rollback of step %s (%s): %s ...\n", st->id, st->phase, st->title);
        fflush(stdout);
        if (rt_interrupted()) {
            printf("zdm: rollback interrupted before step %s; `zdm rollback` continues it\n", st->id);
            rt_end_run(s, zdm_sprintf(s->a, "rollback interrupted at step %s", st->id));
            return RT_EXIT_STOPPED;
        }
        rt_watch w;
        int rc = rt_run_attempts(s, i, false, true, &w, &err);
        if (rc == RT_EXIT_STOPPED) {
            const char *ignored = NULL;
            if (s->c && !s->gone)
                s->d->reset(s->c, s->a, &ignored);
            printf("zdm: rollback interrupted during step %s; `zdm rollback` continues it\n",
                   st->id);
            rt_end_run(s, zdm_sprintf(s->a, "rollback interrupted at step %s", st->id));
            return RT_EXIT_STOPPED;
        }
        if (rc != RT_EXIT_DONE)
            return failed(s, st, &w, err);
        if (st->rollback_note)
            printf("  note: %s\n", st->rollback_note);
        const char *params[] = {s->p->hash, st->id};
        if (!rt_q(s, s->d->state->step_rolled_back, 2, params, NULL))
            return RT_EXIT_FAILED;
        s->st[i].state = RT_ROLLED_BACK;
    }
    const char *params[] = {s->p->hash};
    if (!rt_q(s, s->d->state->checkpoints_clear, 1, params, NULL))
        return RT_EXIT_FAILED;
    rt_end_run(s, "rolled back");
    printf("zdm: rolled back %zu step%s\n", n, n == 1 ? "" : "s");
    return RT_EXIT_DONE;
}

static int rollback(rt_session *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->p->nsteps; i++)
        n += rt_ran(s->st[i].state);
    if (n == 0) {
        printf("zdm: nothing to roll back: no step of plan %.12s has run here\n", s->p->hash);
        return RT_EXIT_DONE;
    }
    if (!s->o.yes) {
        const char *q = zdm_sprintf(s->a, "zdm: reverse the %zu step%s of \"%s\" that ran?", n,
                                    n == 1 ? "" : "s", s->p->title ? s->p->title : s->p->source);
        int yes = rt_confirm(q);
        if (yes != 1) {
            printf("zdm: rollback not %s; run it with: zdm rollback %s --db URL --yes\n",
                   yes < 0 ? "confirmed (no terminal)" : "confirmed", s->o.dir);
            return RT_EXIT_STOPPED;
        }
    }
    if (!rt_begin_run(s, "rollback"))
        return RT_EXIT_FAILED;
    return reverse(s, n);
}

int rt_cmd_rollback(int argc, char **argv)
{
    rt_session s = {0};
    if (!rt_parse_opts("rollback", argc, argv, "yrb", &s.o))
        return RT_EXIT_USAGE;
    s.a = zdm_arena_new();
    int rc = rt_open(&s, true);
    if (rc == RT_EXIT_DONE)
        rc = rollback(&s);
    rt_close(&s);
    zdm_arena_free(s.a);
    return rc;
}
