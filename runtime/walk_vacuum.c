/*
 * walk_vacuum.c - the vacuum between groups of a walk's batches
 * (PostgreSQL's plan gives vacuum_sql): after each --vacuum-every PCT % of
 * the estimated rows the table is vacuumed (plain VACUUM, outside a
 * transaction, under the step's lock_timeout), beside the batches on a
 * worker connection (side.c) where the driver has one. Every batch leaves
 * one dead version per row it updates, and without a vacuum the next
 * batches put their new versions in new pages, so the heap doubles. A
 * VACUUM that cannot get its SHARE UPDATE EXCLUSIVE lock in time (DDL holds
 * or awaits the table) is skipped, never waited for; the next group tries
 * again. It changes no row, so a kill during it loses nothing.
 */
#include "walk.h"

/* The group size between vacuums, from the row estimate; none without
 * vacuum_sql, with --vacuum-every 0, or without an estimate. */
void rt__vacuum_plan(rt_walk *w)
{
    rt_session *s = w->s;
    if (!w->bf->vacuum_sql || s->o.vacuum_pct <= 0 || !w->hi) /* !hi: nothing to walk */
        return;
    if (w->total <= 0) {
        rt__say(w, zdm_sprintf(s->a, "%s: no row estimate for the table (ANALYZE it): no "
                                     "vacuum between groups of batches", w->name));
        return;
    }
    w->vac_every = (uint64_t)((double)w->total * s->o.vacuum_pct / 100);
    if (w->vac_every < 1)
        w->vac_every = 1;
    w->bg = rt_side_new(s->d, s->o.db, w->st->lock_timeout_ms);
}

/* What a vacuum's outcome means for the walk. False with *err only for what
 * stops the walk (a lost main connection); a lock not obtained in time skips
 * this one, another error turns vacuuming off. */
static bool vacuum_done(rt_walk *w, const rt_side_result *v, const char *how, const char **err)
{
    rt_session *s = w->s;
    const rt_driver *d = s->d;
    if (!v->ok && v->kind == RT_ERR_LOCK) {
        rt__say(w, zdm_sprintf(s->a, "%s: vacuum skipped: its lock was not available within "
                                     "%lld ms (DDL holds or awaits the table); the next group "
                                     "tries again", w->name, (long long)w->st->lock_timeout_ms));
        return true;
    }
    if (!v->ok && v->kind == RT_ERR_CONNECTION) {
        rt__say(w, zdm_sprintf(s->a, "%s: vacuum lost its connection (%s); the next group "
                                     "tries again", w->name, v->err ? v->err : "?"));
        return true;
    }
    if (!v->ok) {
        rt__say(w, zdm_sprintf(s->a, "warning: %s: vacuum failed, no more vacuums in this "
                                     "walk: %s", w->name, v->err ? v->err : "?"));
        w->vac_every = 0;
        return true;
    }
    w->vacuums++;
    const char *key[] = {s->p->hash, w->key};
    rt_rows r;
    if (d->state->bf_vacuum && !d->query(s->c, s->a, d->state->bf_vacuum, 2, key, &r, err))
        return false;
    rt__say(w, zdm_sprintf(s->a, "%s: vacuum %llu%s, %llu rows done: %.1f s", w->name,
                           (unsigned long long)w->vacuums, how, (unsigned long long)w->done,
                           v->secs));
    return true;
}

/* The vacuum on the walk's own connection (a driver without a worker
 * connection, or when the worker cannot connect). */
static bool vacuum_here(rt_walk *w, const char **err)
{
    rt_session *s = w->s;
    const rt_driver *d = s->d;
    double t = rt__now();
    rt_side_result v = {.ok = true};
    const char *ignored = NULL;
    v.ok = d->exec_one(s->c, s->a, w->bf->vacuum_sql, w->st->lock_timeout_ms, &v.err);
    v.kind = v.ok ? RT_ERR_OTHER : d->last_error(s->c);
    v.secs = rt__now() - t;
    if (!v.ok && (v.kind == RT_ERR_CONNECTION || rt_interrupted())) {
        *err = v.err;
        return false;
    }
    if (!d->reset(s->c, s->a, &ignored) && d->last_error(s->c) == RT_ERR_CONNECTION) {
        *err = ignored;
        return false;
    }
    /* The reset turned the triggers back on and the session setting off:
     * as they were for the next batches. */
    if (!rt__walk_session(w, false, err))
        return false;
    if (w->quiet && !d->exec_one(s->c, s->a, w->bf->quiet_sql, 0, &ignored)) {
        if (d->last_error(s->c) == RT_ERR_CONNECTION) {
            *err = ignored;
            return false;
        }
        w->quiet = false;
    }
    return vacuum_done(w, &v, " after the batches", err);
}

/* After each batch: the outcome of a background vacuum that has finished,
 * and, once a group of batches is done, the next vacuum: in the background
 * when the driver has a worker connection, else here. A group that ends
 * while the last vacuum still runs does not skip its vacuum: it is due, and
 * starts at the first batch after that one finishes. Skipping cost space:
 * at 40M rows a vacuum (about 1.9 s) sometimes outlasted a 2 % group, 6 of
 * 50 were skipped, and each skip let a group's new row versions go to new
 * pages (heap 1.38x against 1.29x at 10M; docs/benchmarks.md). */
bool rt__vacuum_between(rt_walk *w, const char **err)
{
    rt_side_result v;
    if (w->bg && rt_side_collect(w->bg, false, &v) &&
        !vacuum_done(w, &v, " beside the batches", err))
        return false;
    if (w->vac_every && w->vac_since >= w->vac_every) {
        w->vac_since = 0;
        w->vac_due = true;
        if (w->bg && rt_side_busy(w->bg) && !w->vac_late++)
            rt__say(w, zdm_sprintf(w->s->a, "%s: a group of batches ended before the last "
                                            "vacuum did: the next one starts when it has finished",
                                   w->name));
    }
    if (!w->vac_due || (w->bg && rt_side_busy(w->bg)))
        return true;
    w->vac_due = false;
    const char *verr = NULL;
    if (w->bg && rt_side_start(w->bg, w->bf->vacuum_sql, 0, NULL, false, &verr))
        return true;
    if (w->bg) {
        rt__say(w, zdm_sprintf(w->s->a, "%s: no worker connection for the vacuums (%s): "
                                        "they run between the batches", w->name, verr));
        rt_side_free(w->bg);
        w->bg = NULL;
    }
    return vacuum_here(w, err);
}

/* The end of the walk: the last background vacuum's outcome, then its
 * connection closed. */
bool rt__vacuum_end(rt_walk *w, bool ok, const char **err)
{
    rt_side_result v;
    if (w->bg && rt_side_collect(w->bg, true, &v) && ok)
        ok = vacuum_done(w, &v, " beside the batches", err);
    rt_side_free(w->bg);
    w->bg = NULL;
    return ok;
}

