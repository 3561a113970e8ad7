/*
 * rollback.c - `zdm rollback DIR`: runs the rollback text of exactly the
 * steps that ran (finished, or started and interrupted or failed), newest
 * first. Every rollback text is guarded, so it is right for a step that ran
 * only partly. Each step is marked rolled back as it goes, so an interrupted
 * rollback continues where it stopped; once all are reversed the deploy
 * checkpoints are cleared, and a later `zdm run` starts the plan afresh.
 */
#include "rt_int.h"

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
        if (!s->d->exec_script(s->c, s->a, st->rollback, &err) || !s->d->reset(s->c, s->a, &err)) {
            if (rt_interrupted()) {
                s->d->reset(s->c, s->a, &err);
                printf("zdm: rollback interrupted during step %s; `zdm rollback` continues it\n",
                       st->id);
                rt_end_run(s, zdm_sprintf(s->a, "rollback interrupted at step %s", st->id));
                return RT_EXIT_STOPPED;
            }
            fprintf(stderr, "zdm: rollback of step %s failed: %s\n"
                            "  fix the cause and run `zdm rollback` again: it continues here\n",
                    st->id, err);
            s->d->reset(s->c, s->a, &err);
            const char *fp[] = {s->p->hash, st->id, err};
            rt_q(s, s->d->state->step_fail, 3, fp, NULL);
            rt_end_run(s, zdm_sprintf(s->a, "rollback failed at step %s", st->id));
            return RT_EXIT_FAILED;
        }
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
    if (!rt_parse_opts("rollback", argc, argv, "y", &s.o))
        return RT_EXIT_USAGE;
    s.a = zdm_arena_new();
    int rc = rt_open(&s, true);
    if (rc == RT_EXIT_DONE)
        rc = rollback(&s);
    rt_close(&s);
    zdm_arena_free(s.a);
    return rc;
}
