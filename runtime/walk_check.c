/*
 * walk_check.c - the plan's check of each committed batch, run beside the
 * next batch (check_beside: the MySQL/MariaDB shadow copy's row count and
 * CRC32 comparison of a key range of the table and of its shadow).
 *
 * Why beside, not in the batch's transaction: there the check read the
 * range twice more while the copy waited, and made the copy a fifth to a
 * third slower (docs/benchmarks.md); beside it, on a worker connection
 * (side.c), it runs on the other core while the next batch copies.
 *
 * Why it is still exact: the check is one SELECT, read by the server in
 * one snapshot of both tables; once a batch has committed, every write to
 * its rows reaches the shadow in the writer's own transaction (the plan's
 * triggers cover every key below the copy's cursor), so at any snapshot the
 * range and its copy agree unless the copy lost or changed something.
 *
 * Invariants:
 * - Batches are checked in order, one at a time: a batch's check starts
 *   once the one before has been collected, so checked_sql records a
 *   prefix of the walk whose keys all passed.
 * - A failed check stops the walk (the step fails, so nothing after it,
 *   the cut-over, runs); the batch stays in the shadow, which nothing reads
 *   yet. A rerun checks again from the recorded prefix before its next
 *   batch: a row fixed in the table meanwhile has reached the shadow through
 *   the triggers.
 * - Where the driver has no worker connection (or the worker fails), the
 *   check runs on the walk's own connection between the batches.
 */
#include "walk.h"

#include <string.h>

static bool beside(const rt_walk *w)
{
    return w->bf->check_beside && w->bf->check_sql;
}

static const char *range_text(rt_walk *w, const char *lo, const char *to)
{
    return zdm_sprintf(w->s->a, "after key %s up to key %s", lo ? lo : "(start)",
                       to ? to : "(the last, with every row inserted since)");
}

/* What a check's answer means: true, or false with *err naming the batch. */
static bool judge(rt_walk *w, const char *lo, const char *to, const char *answer,
                  const char **err)
{
    if (rt__is_true(answer)) {
        w->checks++;
        return true;
    }
    *err = zdm_sprintf(w->s->a,
                       "%s: the batch %s failed its check: %s; the batch is committed where "
                       "nothing reads it yet, and the walk stops here: fix the cause, then "
                       "`zdm %s` checks again from this batch before going on",
                       w->name, range_text(w, lo, to),
                       w->bf->check_what ? w->bf->check_what : "the check is false", w->cmd);
    return false;
}

static bool record(rt_walk *w, const char *lo, const char *to, const char **err)
{
    const char *p[] = {lo, to};
    rt_rows r;
    return !w->bf->checked_sql ||
           w->s->d->query(w->s->c, w->s->a, w->bf->checked_sql, 2, p, &r, err);
}

/* The batch's check on the walk's own connection, then its record. */
static bool check_here(rt_walk *w, const char *lo, const char *to, const char **err)
{
    const char *p[] = {lo, to};
    rt_rows r;
    if (!w->s->d->query(w->s->c, w->s->a, w->bf->check_sql, 2, p, &r, err))
        return false;
    return judge(w, lo, to, rt__cell(&r, 0), err) && record(w, lo, to, err);
}

/* The outcome of the check running beside, waiting for it. A check the
 * worker could not run (its connection lost) is run here instead. */
static bool collect(rt_walk *w, const char **err)
{
    if (!w->chk_running)
        return true;
    rt_side_result v;
    rt_side_collect(w->chk, true, &v);
    w->chk_running = false;
    if (!v.ok) {
        rt__say(w, zdm_sprintf(w->s->a, "%s: the check of the batch %s did not run beside the "
                                        "batches (%s): it runs here",
                               w->name, range_text(w, w->chk_lo, w->chk_to),
                               v.err ? v.err : "?"));
        return check_here(w, w->chk_lo, w->chk_to, err);
    }
    return judge(w, w->chk_lo, w->chk_to, v.cell, err) && record(w, w->chk_lo, w->chk_to, err);
}

bool rt__check_batch(rt_walk *w, const char *lo, const char *to, const char **err)
{
    if (!beside(w))
        return true;
    if (!collect(w, err))
        return false;
    if (w->chk) {
        w->chk_lo = w->chk_params[0] = lo;
        w->chk_to = w->chk_params[1] = to;
        const char *serr = NULL;
        if (rt_side_start(w->chk, w->bf->check_sql, 2, w->chk_params, true, &serr)) {
            w->chk_running = true;
            return true;
        }
        rt__say(w, zdm_sprintf(w->s->a, "%s: no worker connection for the checks (%s): they "
                                        "run between the batches",
                               w->name, serr ? serr : "?"));
        rt_side_free(w->chk);
        w->chk = NULL;
    }
    return check_here(w, lo, to, err);
}

/* The next committed batch after lo (up to the cursor) that a stopped walk
 * may have left unchecked: its upper key, or NULL when none is left. */
static bool next_committed(rt_walk *w, const char *lo, const char **to, const char **err)
{
    const char *n = zdm_sprintf(w->s->a, "%llu", (unsigned long long)w->size);
    const char *np[] = {lo, w->cursor, n};
    rt_rows r;
    if (!w->s->d->query(w->s->c, w->s->a, w->bf->next_sql, 3, np, &r, err))
        return false;
    *to = rt__cell(&r, 0);
    return true;
}

bool rt__check_catch_up(rt_walk *w, const char **err)
{
    if (!beside(w))
        return true;
    w->chk = rt_side_new(w->s->d, w->s->o.db, 0);
    if (!w->cursor || !w->bf->check_from_sql)
        return true; /* no batch committed yet */
    rt_rows r;
    if (!w->s->d->query(w->s->c, w->s->a, w->bf->check_from_sql, 0, NULL, &r, err))
        return false;
    const char *lo = rt__cell(&r, 0), *from = lo, *to = NULL;
    uint64_t before = w->checks;
    bool ok = true;
    while ((ok = next_committed(w, lo, &to, err)) && to && (ok = check_here(w, lo, to, err)))
        lo = to;
    if (ok && w->bf->open_end && rt__last_done(w))
        ok = check_here(w, w->cursor, NULL, err);
    if (!ok)
        return false;
    if (w->checks > before)
        rt__say(w, zdm_sprintf(w->s->a, "%s: %llu committed batch%s checked before going on "
                                        "(the checks had passed up to key %s)",
                               w->name, (unsigned long long)(w->checks - before),
                               w->checks - before == 1 ? "" : "es", from ? from : "(none)"));
    return true;
}

bool rt__check_end(rt_walk *w, bool ok, const char **err)
{
    if (!beside(w))
        return ok;
    const char *cerr = NULL;
    bool cok = collect(w, &cerr);
    rt_side_free(w->chk);
    w->chk = NULL;
    if (!cok && ok) {
        *err = cerr;
        return false;
    }
    if (!cok) /* the walk stopped for another reason: say this one too */
        rt__say(w, cerr);
    return ok;
}
