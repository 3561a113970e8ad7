/*
 * attempt.c - one step of `zdm run` (or its rollback text, for `zdm
 * rollback`), attempted until it is done within the same run when what
 * stopped it is passing:
 *
 * - a lock not obtained in time, a deadlock, or a cancel that was neither
 *   ours nor a statement timeout (someone's pg_cancel_backend of a
 *   concurrent index build): the step's script runs again after a capped,
 *   jittered exponential backoff, up to the plan's lock_retries attempts
 *   (its retry_base_ms and retry_cap_ms, as the scripts' own retry block).
 *   Only for steps WITHOUT the plan's in-script retry block and that are not
 *   backfills: a retried step has already made lock_retries attempts inside
 *   its script, and running it again would multiply the waits (each one a
 *   stall of the table's queue) by lock_retries; a backfill retries each
 *   batch itself (so does the batch loop of its rollback, where it restores
 *   old values). A cancel counts as foreign only when the step's script
 *   sets no statement timeout (a timed-out statement would time out again).
 *   A rollback text follows its step's flags: a step is marked retried when
 *   its scripts carry the retry block, and its rollback sets the same
 *   statement timeout;
 * - the connection lost (server restart, network): reconnect with backoff
 *   for up to --reconnect-timeout, take the plan's lock again, and run the
 *   step's script again, at most RT_MAX_RECONNECTS times per step.
 *
 * Running the script again is safe: every step's script is written to be
 * rerun (run.c), every rollback text is guarded (rollback.c). A concurrent
 * index build that failed leaves an INVALID index; the step's script drops
 * it (CONCURRENTLY) before building again. Each attempt of a forward step
 * after the first is counted in the state table's attempts (a rollback's
 * are only printed: that column counts the step's runs).
 */
#include "progress.h"
#include "rt_int.h"

#include <stdlib.h>
#include <string.h>

#define RT_MAX_RECONNECTS 10

static bool retryable(const rt_step *st, rt_err_kind k)
{
    if (st->retried || strcmp(st->kind, "backfill") == 0)
        return false;
    return k == RT_ERR_LOCK || k == RT_ERR_DEADLOCK ||
           (k == RT_ERR_CANCELED && st->statement_timeout_ms == 0);
}

static const char *kind_text(rt_err_kind k)
{
    switch (k) {
    case RT_ERR_LOCK: return "lock not available";
    case RT_ERR_DEADLOCK: return "deadlock";
    case RT_ERR_CANCELED: return "cancelled by another session";
    case RT_ERR_CONNECTION: return "connection lost";
    case RT_ERR_OTHER: break;
    }
    return "error";
}

double rt_backoff_ms(const rt_plan *p, int n, double r01)
{
    return rt_bf_backoff_ms(n > 0 ? (unsigned)n : 1, (double)p->retry_base_ms,
                            (double)p->retry_cap_ms, r01);
}

/* One attempt: the step's script (undo: its rollback text), then the
 * session's settings back. A backfill with a native walk runs batch by batch
 * instead (backfill.c), continuing from its committed cursor when resumed;
 * its script's DO loop is for the DBAs who run the scripts. So does a
 * rollback that has walks among its pieces (rollback.c). */
static bool attempt(rt_session *s, size_t i, bool resumed, bool undo, rt_watch *w,
                    const char **err)
{
    const rt_step *st = &s->p->steps[i];
    rt_watch_begin(w, s, st);
    bool ok = undo && st->rb_pieces ? rt_rollback_pieces_run(s, i, err)
              : undo                  ? s->d->exec_script(s->c, s->a, st->rollback, err)
              : st->backfill          ? rt_backfill_run(s, i, resumed, err)
                                      : s->d->exec_script(s->c, s->a, st->forward, err);
    rt_watch_end(w);
    return ok && s->d->reset(s->c, s->a, err);
}

static bool count_attempt(rt_session *s, const rt_step *st, const char *err)
{
    const char *params[] = {s->p->hash, st->id, err};
    return rt_q(s, s->d->state->step_retry, 3, params, NULL);
}

int rt_run_attempts(rt_session *s, size_t i, bool resumed, bool undo, rt_watch *w,
                    const char **err)
{
    const rt_step *st = &s->p->steps[i];
    const char *what = undo ? "rollback of step" : "step";
    unsigned tries = 1, max = s->p->lock_retries ? s->p->lock_retries : 1;
    int reconnects = 0;
    for (int n = 1;; n++) {
        /* a later attempt continues the walk the earlier ones committed */
        if (attempt(s, i, resumed || n > 1, undo, w, err))
            return RT_EXIT_DONE;
        if (rt_interrupted())
            return RT_EXIT_STOPPED;
        const char *why = *err;
        if (rt_conn_lost(s)) {
            const char *nl = strchr(why, '\n');
            fprintf(stderr, "zdm: %s %s: attempt %d: %.*s\n", what, st->id, n,
                    (int)(nl ? (size_t)(nl - why) : strlen(why)), why);
            if (++reconnects > RT_MAX_RECONNECTS || !rt_reconnect(s))
                return rt_interrupted() ? RT_EXIT_STOPPED : RT_EXIT_FAILED;
            printf("zdm: %s %s runs again (attempt %d; its script is safe to rerun)\n", what,
                   st->id, n + 1);
        } else {
            rt_err_kind k = s->d->last_error(s->c);
            const char *ignored = NULL;
            s->d->reset(s->c, s->a, &ignored);
            if (!retryable(st, k) || tries >= max) {
                if (tries > 1)
                    fprintf(stderr, "zdm: %s %s: no attempt left (%u of %u made)\n", what, st->id,
                            tries, max);
                return RT_EXIT_FAILED;
            }
            tries++;
            double d = rt_backoff_ms(s->p, (int)tries - 1, (double)rand() / RAND_MAX) / 1000.0;
            printf("zdm: %s %s: attempt %d failed (%s); attempt %d in %.1f s (try %u of %u)\n",
                   what, st->id, n, kind_text(k), n + 1, d, tries, max);
            fprintf(stderr, "  %s\n", why);
            fflush(stdout);
            if (!rt_sleep(d))
                return RT_EXIT_STOPPED;
        }
        fflush(stdout);
        if (!undo && !count_attempt(s, st, why))
            return RT_EXIT_FAILED;
    }
}
