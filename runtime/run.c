/*
 * run.c - `zdm run DIR`: runs the plan's steps in order from where the state
 * table says it stopped. Each step is recorded started (committed before its
 * script runs) and finished (after): a step found started but not finished
 * was interrupted and is run again, which is safe because every step's
 * script is written to be rerun (IF NOT EXISTS, catalog guards, a backfill
 * that skips rows already right). It stops, with RT_EXIT_STOPPED, at the end
 * of the phase asked for (--phase, --until), before a deploy checkpoint the
 * operator has not passed, and before a destructive step not confirmed.
 * How one step is attempted (in-run retries, reconnecting): attempt.c.
 */
#include "rt_int.h"

#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The last phase this run may enter, and whether the operator named it
 * (which also says the deploys before it are done). */
static size_t last_phase(const rt_session *s, bool *named)
{
    const char *name = s->o.phase ? s->o.phase : s->o.until;
    *named = name != NULL;
    return name ? (size_t)rt_plan_phase(s->p, name) : s->p->nphases - 1;
}

/* --phase NAME: every step of the phases before it must be done. */
static int check_earlier(const rt_session *s)
{
    if (!s->o.phase)
        return RT_EXIT_DONE;
    size_t ph = (size_t)rt_plan_phase(s->p, s->o.phase);
    for (size_t i = 0; i < s->p->nsteps; i++)
        if (s->p->steps[i].phase_index < ph && s->st[i].state != RT_FINISHED) {
            fprintf(stderr, "zdm: error: --phase %s: step %s of phase %s has not run yet\n"
                            "  hint: run the earlier phases first: zdm run %s --until %s\n",
                    s->o.phase, s->p->steps[i].id, s->p->steps[i].phase, s->o.dir,
                    s->p->phases[ph - 1]);
            return RT_EXIT_USAGE;
        }
    return RT_EXIT_DONE;
}

/* Deploy checkpoints before the step's phase: passed already, passed now
 * because the operator named a phase at or after it, or a stop. */
static int checkpoints(rt_session *s, const rt_step *st, bool named, size_t last)
{
    for (size_t k = 0; k < s->p->ncheckpoints; k++) {
        const rt_checkpoint *c = &s->p->checkpoints[k];
        if (c->before_index != st->phase_index || s->passed[k])
            continue;
        if (named && last >= c->before_index) {
            const char *params[] = {s->p->hash, c->before};
            if (!rt_q(s, s->d->state->checkpoint_pass, 2, params, NULL))
                return RT_EXIT_FAILED;
            s->passed[k] = true;
            printf("zdm: deploy checkpoint before %s: passed (you named phase %s)\n", c->before,
                   s->p->phases[last]);
            continue;
        }
        printf("zdm: stopped at the deploy checkpoint before phase %s:\n  %s\n"
               "  when it is deployed: zdm run %s --db URL --phase %s\n",
               c->before, c->deploy, s->o.dir, c->before);
        rt_end_run(s, zdm_sprintf(s->a, "stopped at the checkpoint before %s", c->before));
        return RT_EXIT_STOPPED;
    }
    return RT_EXIT_DONE;
}

static int confirm_destructive(rt_session *s, const rt_step *st)
{
    if (!st->destructive || s->o.yes)
        return RT_EXIT_DONE;
    const char *q = zdm_sprintf(s->a, "zdm: step %s (%s) destroys data%s%s. Run it?", st->id,
                                st->title, st->rollback_note ? ": " : "",
                                st->rollback_note ? st->rollback_note : "");
    int yes = rt_confirm(q);
    if (yes == 1)
        return RT_EXIT_DONE;
    printf("zdm: stopped before step %s (%s): it destroys data and %s\n"
           "  run it with: zdm run %s --db URL --yes\n", st->id, st->title,
           yes < 0 ? "there is no terminal to confirm on" : "it was not confirmed", s->o.dir);
    rt_end_run(s, zdm_sprintf(s->a, "stopped before destructive step %s", st->id));
    return RT_EXIT_STOPPED;
}

/* *resume: some step had run before this invocation and no step has run in
 * it yet; the first step it runs is recorded as where it resumed. */
static int run_step(rt_session *s, size_t i, bool *resume)
{
    const rt_step *st = &s->p->steps[i];
    const char *err = NULL;
    bool was_started = s->st[i].state == RT_STARTED;
    if (*resume) {
        const char *params[] = {s->run_id, st->id};
        if (!rt_q(s, s->d->state->run_resumed, 2, params, NULL))
            return RT_EXIT_FAILED;
        *resume = false;
        printf("zdm: resuming at step %s%s\n", st->id,
               s->st[i].state == RT_STARTED
                   ? " (it was started and did not finish: it runs again; its script is safe to rerun)"
                   : "");
    }
    const char *params[] = {s->p->hash, st->id, st->phase, st->title, s->run_id};
    if (!rt_q(s, s->d->state->step_start, 5, params, NULL))
        return RT_EXIT_FAILED;
    s->st[i].state = RT_STARTED;
    printf("zdm: step %s (%s): %s ...\n", st->id, st->phase, st->title);
    fflush(stdout);
    double t0 = now_s();
    rt_watch w;
    int rc = rt_run_attempts(s, i, was_started, false, &w, &err);
    if (rc == RT_EXIT_STOPPED) {
        if (s->c && !s->gone)
            s->d->reset(s->c, s->a, &err);
        printf("zdm: interrupted during step %s: it stays recorded as started; `zdm run` "
               "runs it again (its script is safe to rerun)\n", st->id);
        rt_end_run(s, zdm_sprintf(s->a, "interrupted at step %s", st->id));
        return RT_EXIT_STOPPED;
    }
    if (rc != RT_EXIT_DONE) {
        fprintf(stderr, "zdm: step %s failed: %s\n", st->id, err);
        if (s->gone) {
            fprintf(stderr, "  the state stays as recorded (step %s started, not finished): run "
                            "`zdm run` again when the server is back; it continues with this step\n",
                    st->id);
            return RT_EXIT_FAILED;
        }
        if (s->d->last_error(s->c) == RT_ERR_LOCK)
            rt_watch_report(&w);
        const char *fp[] = {s->p->hash, st->id, err};
        rt_q(s, s->d->state->step_fail, 3, fp, NULL);
        rt_end_run(s, zdm_sprintf(s->a, "failed at step %s", st->id));
        fprintf(stderr, "  the state is recorded (zdm status %s --db URL); fix the cause and run "
                        "`zdm run` again to retry the step, or `zdm rollback` to reverse what ran\n",
                s->o.dir);
        return RT_EXIT_FAILED;
    }
    const char *fin[] = {s->p->hash, st->id};
    if (!rt_q(s, s->d->state->step_finish, 2, fin, NULL))
        return RT_EXIT_FAILED;
    s->st[i].state = RT_FINISHED;
    printf("zdm: step %s done in %.1f s\n", st->id, now_s() - t0);
    fflush(stdout);
    return RT_EXIT_DONE;
}

static int run_steps(rt_session *s)
{
    bool named, resume = false;
    size_t last = last_phase(s, &named);
    for (size_t k = 0; k < s->p->nsteps; k++)
        resume |= rt_ran(s->st[k].state);
    for (size_t i = 0; i < s->p->nsteps; i++) {
        const rt_step *st = &s->p->steps[i];
        if (s->st[i].state == RT_FINISHED)
            continue;
        if (st->phase_index > last) {
            printf("zdm: stopped after phase %s as asked; next: step %s (%s): %s\n",
                   s->p->phases[last], st->id, st->phase, st->title);
            rt_end_run(s, zdm_sprintf(s->a, "stopped after phase %s", s->p->phases[last]));
            return RT_EXIT_STOPPED;
        }
        if (rt_interrupted()) {
            printf("zdm: interrupted before step %s\n", st->id);
            rt_end_run(s, zdm_sprintf(s->a, "interrupted before step %s", st->id));
            return RT_EXIT_STOPPED;
        }
        int rc = checkpoints(s, st, named, last);
        if (rc == RT_EXIT_DONE)
            rc = confirm_destructive(s, st);
        if (rc == RT_EXIT_DONE)
            rc = run_step(s, i, &resume);
        if (rc != RT_EXIT_DONE)
            return rc;
    }
    return RT_EXIT_DONE;
}

static int run(rt_session *s)
{
    int rc = check_earlier(s);
    if (rc != RT_EXIT_DONE)
        return rc;
    if (rt_rollback_unfinished(s)) {
        fprintf(stderr, "zdm: error: the last `zdm rollback` of this plan stopped before it was "
                        "done: the step it was reversing is half reversed, so the plan cannot "
                        "continue forward from here\n"
                        "  hint: finish it with `zdm rollback %s --db URL`, then run the plan "
                        "again (it starts afresh); `zdm status` shows what is left\n",
                s->o.dir);
        return RT_EXIT_FAILED;
    }
    printf("zdm: plan %.12s (%s), %zu steps, on %s\n", s->p->hash,
           s->p->title ? s->p->title : s->p->source, s->p->nsteps, s->d->where(s->a, s->c));
    if (!rt_begin_run(s, "run"))
        return RT_EXIT_FAILED;
    bool any_ran = false;
    for (size_t i = 0; i < s->p->nsteps; i++)
        any_ran |= rt_ran(s->st[i].state);
    if (!any_ran && !rt_verify(s, true)) {
        rt_end_run(s, "verify_pre failed");
        fprintf(stderr, "zdm: verify_pre failed: nothing was run\n");
        return RT_EXIT_FAILED;
    }
    if (any_ran)
        printf("zdm: verify_pre: not run again (it describes the database before the plan started)\n");
    rc = run_steps(s);
    if (rc != RT_EXIT_DONE)
        return rc;
    if (!rt_verify(s, false)) {
        rt_end_run(s, "verify_post failed");
        return RT_EXIT_FAILED;
    }
    rt_end_run(s, "done");
    printf("zdm: done: every step of the plan has run\n");
    return RT_EXIT_DONE;
}

int rt_cmd_run(int argc, char **argv)
{
    rt_session s = {0};
    if (!rt_parse_opts("run", argc, argv, "puybr", &s.o))
        return RT_EXIT_USAGE;
    s.a = zdm_arena_new();
    int rc = rt_open(&s, true);
    if (rc == RT_EXIT_DONE)
        rc = run(&s);
    rt_close(&s);
    zdm_arena_free(s.a);
    return rc;
}
