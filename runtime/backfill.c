/*
 * backfill.c - the native walk runner: walks a BACKFILL step's key (`zdm
 * run`), or a rollback's walk (`zdm rollback`: a backup's restore, a reverse
 * move's fill; rollback.c), in batches with the dialect's own statements
 * from plan.json (max_sql, next_sql, batch_sql; the scripts' DO loops stay
 * for DBAs). Each walk has its own row in the state table, named by the
 * caller (a backfill: its step's id).
 *
 * Invariants:
 * - The upper key `hi` is read once, at the walk's first start, and recorded
 *   (zdm.backfills): rows written later are the sync trigger's (or, for an
 *   existing column, the application's), so the walk ends under any insert
 *   rate.
 * - Each batch is one transaction: BEGIN; lock_timeout; batch_sql; the cursor
 *   and counters; COMMIT. A kill at any moment leaves the cursor at the last
 *   committed batch, so a rerun skips no row and writes none twice (and the
 *   batch only touches rows still wrong anyway).
 * - A batch that meets lock_not_available or a deadlock is rolled back and
 *   retried with the plan's capped, jittered backoff; the walk stops with the
 *   error when the retries run out.
 * - A walk whose batch is more than one statement (a copy into a shadow
 *   table) runs, in the same transaction, the plan's check_sql after the
 *   batch (false: rolled back, the walk stops for good, no retry: the rows
 *   are locked, so the answer would be the same) and its after_sql (the
 *   copy's cursor); with check_beside the check runs instead after the
 *   commit, beside the next batch (walk_check.c). With open_end the last
 *   batch runs those statements with no upper key, so rows inserted since
 *   the walk started are taken too, and an empty table still gets that one
 *   batch; the cursor recorded in the state table is still the walk's upper
 *   key, so a rerun finds nothing left.
 * - During the walk the first SIGINT/SIGTERM waits for the statement in
 *   progress (a batch: its COMMIT); the walk then stops (rt_interrupted); a
 *   second signal cancels the statement at once.
 * - The vacuums between groups of batches: walk_vacuum.c.
 */
#include "progress.h"
#include "walk.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_LINE_EVERY_S 5.0  /* plain lines, when stdout is no terminal */
#define PROGRESS_BAR_EVERY_S 0.2   /* the bar's redraw */
#define THROTTLE_EVERY_S 1.0       /* how often lag and load are read */



double rt__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps ms milliseconds in short slices; false when interrupted. */
static bool nap(double ms)
{
    double end = rt__now() + ms / 1000;
    while (!rt_interrupted()) {
        double left = end - rt__now();
        if (left <= 0)
            return true;
        usleep((useconds_t)((left > 0.05 ? 0.05 : left) * 1e6));
    }
    return false;
}

const char *rt__cell(const rt_rows *r, size_t col)
{
    return r->nrows > 0 && r->ncols > col ? RT_CELL(r, 0, col) : NULL;
}

static void stamp(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void progress(rt_walk *w, bool final)
{
    double t = rt__now();
    if (!final && t - w->last_shown < (w->tty ? PROGRESS_BAR_EVERY_S : PROGRESS_LINE_EVERY_S))
        return;
    w->last_shown = t;
    rt_progress p = {
        .label = w->bf->table, .verb = w->bf->verb, .done = w->done, .total = w->total,
        .batch = w->size,
        .rate = t > w->t0 ? (double)w->done_here / (t - w->t0) : 0, .lag_s = w->lag,
        .vacuums = w->vacuums, .finished = final,
    };
    char buf[320];
    if (w->tty) {
        rt_progress_bar(buf, sizeof buf, &p, 24);
        printf("\r\033[K%s%s", buf, final ? "\n" : "");
        w->shown_bar = !final;
    } else {
        char ts[32];
        rt_progress_line(buf, sizeof buf, &p);
        stamp(ts, sizeof ts);
        printf("%s zdm: %s\n", ts, buf);
    }
    fflush(stdout);
}

void rt__say(rt_walk *w, const char *msg)
    {
        if (w->shown_bar)
            fputc('\n', stdout);
    w->shown_bar = false;
    char ts[32];
    stamp(ts, sizeof ts);
    printf("%s%szdm: %s\n", w->tty ? "" : ts, w->tty ? "" : " ", msg);
    fflush(stdout);
}

static double query_num(rt_walk *w, const char *sql, bool *ok)
{
    rt_rows r;
    const char *err = NULL;
    *ok = w->s->d->query(w->s->c, w->s->a, sql, 0, NULL, &r, &err);
    const char *v = *ok ? rt__cell(&r, 0) : NULL;
    return v ? atof(v) : -1;
}

/* Why the walk must wait now, or NULL. Lag is read for the progress line
 * too; a throttle query that fails (no permission) turns that throttle off
 * with a warning. */
static const char *over_limit(rt_walk *w)
{
    rt_session *s = w->s;
    bool ok;
    double lag = query_num(w, s->d->replica_lag_sql, &ok);
    w->lag = ok ? lag : -1;
    if (!ok && s->o.max_lag_s >= 0) {
        rt__say(w, "warning: cannot read the replica lag; --max-replica-lag is off");
        s->o.max_lag_s = -1;
    }
    if (s->o.max_lag_s >= 0 && w->lag > s->o.max_lag_s)
        return zdm_sprintf(s->a, "replica lag %.1f s > --max-replica-lag %g s", w->lag,
                           s->o.max_lag_s);
    if (s->o.max_load < 0)
        return NULL;
    double load = query_num(w, s->d->load_sql, &ok);
    if (!ok) {
        rt__say(w, "warning: cannot read the server's load; --max-load is off");
        s->o.max_load = -1;
        return NULL;
    }
    if (load > (double)s->o.max_load)
        return zdm_sprintf(s->a, "load: %.0f active sessions > --max-load %ld", load,
                           s->o.max_load);
    return NULL;
}

/* Waits while a throttle is exceeded, saying why; false when interrupted. */
static bool throttle(rt_walk *w)
{
    if (rt__now() - w->last_check < THROTTLE_EVERY_S)
        return true;
    w->last_check = rt__now();
    const char *why = over_limit(w);
    if (!why)
        return true;
    double since = rt__now(), said = since;
    rt__say(w, zdm_sprintf(w->s->a, "%s paused: %s", w->name, why));
    while (why) {
        if (!nap(THROTTLE_EVERY_S * 1000))
            return false;
        why = over_limit(w);
        if (why && rt__now() - said >= 10) {
            said = rt__now();
            rt__say(w, zdm_sprintf(w->s->a, "%s still paused: %s", w->name, why));
        }
    }
    w->last_check = rt__now();
    rt__say(w, zdm_sprintf(w->s->a, "%s resumed after %.0f s", w->name, rt__now() - since));
    return true;
}

bool rt__is_true(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcmp(v, "t") == 0 || strcmp(v, "true") == 0);
}

/* The plan's check of the batch just done, and its after_sql, in the batch's
 * transaction; bp: the batch's (lo, to) as its statements take them. */
static bool check_and_after(rt_walk *w, const char *const *bp, const char **err)
{
    rt_session *s = w->s;
    const rt_driver *d = s->d;
    rt_rows r;
    if (w->bf->check_sql && !w->bf->check_beside) {
        if (!d->query(s->c, s->a, w->bf->check_sql, 2, bp, &r, err))
            return false;
        if (!rt__is_true(rt__cell(&r, 0))) {
            w->check_failed = true;
            *err = zdm_sprintf(s->a, "%s: the batch after key %s up to key %s failed "
                                     "its check: %s; the batch is rolled back (nothing of it is "
                                     "committed) and the walk stops",
                               w->name, bp[0] ? bp[0] : "(start)",
                               bp[1] ? bp[1] : "(the last, with every row inserted since)",
                               w->bf->check_what ? w->bf->check_what : "the check is false");
            return false;
        }
    }
    return !w->bf->after_sql || d->query(s->c, s->a, w->bf->after_sql, 2, bp, &r, err);
}

/* The upper key a batch's statements take: `to`, or NULL for the walk's
 * open-ended last batch (open_end: to = hi, or the one batch of an empty
 * table). */
static const char *batch_to(const rt_walk *w, const char *to)
{
    bool last = w->bf->open_end && (!to || (w->hi && strcmp(to, w->hi) == 0));
    return last ? NULL : to;
}

/* One batch (cursor, to] in its own transaction with the cursor; *rows: the
 * rows it updated. With open_end, the walk's last batch (to = hi, or the one
 * batch of an empty table) runs its statements with no upper key. On failure
 * it is rolled back and *err set. */
static bool one_batch(rt_walk *w, const char *to, uint64_t *rows, const char **err)
{
    rt_session *s = w->s;
    const rt_driver *d = s->d;
    const char *ms = zdm_sprintf(s->a, "%lld", (long long)w->st->lock_timeout_ms);
    const char *bp[] = {w->cursor, batch_to(w, to)};
    rt_rows r;
    bool ok = d->query(s->c, s->a, d->state->tx_begin, 0, NULL, &r, err);
    if (ok && w->st->lock_timeout_ms > 0)
        ok = d->query(s->c, s->a, d->state->tx_lock_timeout, 1, &ms, &r, err);
    if (ok && (ok = d->query(s->c, s->a, w->bf->batch_sql, 2, bp, &r, err)))
        *rows = r.affected;
    if (ok)
        ok = check_and_after(w, bp, err);
    if (ok) {
        const char *n = zdm_sprintf(s->a, "%llu", (unsigned long long)*rows);
        const char *sz = zdm_sprintf(s->a, "%llu", (unsigned long long)w->size);
        const char *up[] = {s->p->hash, w->key, to, n, sz};
        ok = d->query(s->c, s->a, d->state->bf_batch, 5, up, &r, err);
        if (ok && r.affected != 1) { /* no cursor to move: commit nothing */
            *err = zdm_sprintf(s->a, "the walk's row in the state table (zdm.backfills) is gone; "
                                     "run `zdm %s` again to start the walk afresh", w->cmd);
            ok = false;
        }
    }
    if (ok)
        ok = d->query(s->c, s->a, d->state->tx_commit, 0, NULL, &r, err);
    if (!ok) { /* a successful ROLLBACK leaves the driver's record of the error as it was */
        const char *ignored = NULL;
        d->query(s->c, s->a, d->state->tx_rollback, 0, NULL, &r, &ignored);
    }
    return ok;
}

/* The batch with its retries on lock timeouts and deadlocks. */
static bool batch_retried(rt_walk *w, const char *to, uint64_t *rows, const char **err)
{
    rt_session *s = w->s;
    for (unsigned attempt = 1;; attempt++) {
        if (one_batch(w, to, rows, err))
            return true;
        if (w->check_failed)
            return false;
        rt_err_kind k = s->d->last_error(s->c);
        if ((k != RT_ERR_LOCK && k != RT_ERR_DEADLOCK) || attempt >= s->p->lock_retries ||
            rt_interrupted())
            return false;
        double ms = rt_backoff_ms(s->p, (int)attempt, (double)rand() / RAND_MAX);
        rt__say(w, zdm_sprintf(s->a, "%s: batch after key %s: %s, retry %u of %u in %.0f ms",
                               w->name, w->cursor ? w->cursor : "(start)",
                               k == RT_ERR_DEADLOCK ? "deadlock (the server rolled the batch back)"
                                                    : "lock not available",
                               attempt, s->p->lock_retries - 1, ms));
        if (!nap(ms))
            return false;
    }
}

/* The recorded walk (resumed) or a fresh one with hi read now. */
static bool begin_walk(rt_walk *w, bool resumed, const char **err)
{
    rt_session *s = w->s;
    const char *key[] = {s->p->hash, w->key};
    rt_rows r;
    if (!s->d->query(s->c, s->a, s->d->state->bf_get, 2, key, &r, err))
        return false;
    if (resumed && r.nrows == 1) {
        w->hi = RT_CELL(&r, 0, 0);
        w->cursor = RT_CELL(&r, 0, 1);
        w->done = strtoull(RT_CELL(&r, 0, 2), NULL, 10);
        w->batches = strtoull(RT_CELL(&r, 0, 3), NULL, 10);
        w->vacuums = r.ncols > 6 && RT_CELL(&r, 0, 6) ? strtoull(RT_CELL(&r, 0, 6), NULL, 10) : 0;
        uint64_t sz = strtoull(RT_CELL(&r, 0, 4), NULL, 10);
        w->size = sz < w->smin ? w->smin : sz > w->smax ? w->smax : sz;
        printf("zdm: %s: resuming after key %s (%llu rows done in %llu batches, up to "
               "key %s recorded at the first start)\n", w->name,
               w->cursor ? w->cursor : "(none yet)", (unsigned long long)w->done,
               (unsigned long long)w->batches, w->hi ? w->hi : "(empty table)");
        return s->d->query(s->c, s->a, s->d->state->bf_resume, 2, key, &r, err);
    }
    if (!s->d->query(s->c, s->a, w->bf->max_sql, 0, NULL, &r, err))
        return false;
    w->hi = rt__cell(&r, 0);
    const char *sz = zdm_sprintf(s->a, "%llu", (unsigned long long)w->size);
    const char *p[] = {s->p->hash, w->key, w->hi, sz};
    printf("zdm: %s: keys up to %s (the last key now%s), batches of %llu to start\n", w->name,
           w->hi ? w->hi : "(none: nothing to walk)",
           w->bf->open_end ? "; the last batch also takes every key inserted after it"
           : w->st->backfill == w->bf ? "; rows written later are the sync trigger's or the "
                                        "application's"
                                      : "",
           (unsigned long long)w->size);
    return s->d->query(s->c, s->a, s->d->state->bf_start, 4, p, &r, err);
}

/* The rows the walk goes over: the plan's count where it has one (a
 * restore counts its backup), else the table's row estimate. */
static void estimate_total(rt_walk *w)
{
    rt_rows r;
    const char *err = NULL;
    const char *p[] = {w->bf->schema, w->bf->table};
    bool ok = w->bf->total_sql
                  ? w->s->d->query(w->s->c, w->s->a, w->bf->total_sql, 0, NULL, &r, &err)
                  : w->s->d->query(w->s->c, w->s->a, w->s->d->table_rows_sql, 2, p, &r, &err);
    w->total = ok && rt__cell(&r, 0) ? atoll(rt__cell(&r, 0)) : -1;
}

/* Whether the walk has work (the plan's guard_sql; none: always): a
 * rollback's walk has none when what it reads is gone, as its script's
 * loop returns at once. False with *err when the query fails. */
static bool has_work(rt_walk *w, bool *yes, const char **err)
{
    rt_rows r;
    *yes = true;
    if (!w->bf->guard_sql)
        return true;
    if (!w->s->d->query(w->s->c, w->s->a, w->bf->guard_sql, 0, NULL, &r, err))
        return false;
    const char *v = rt__cell(&r, 0);
    *yes = v && (strcmp(v, "t") == 0 || strcmp(v, "1") == 0);
    return true;
}

static bool interrupted(rt_walk *w, const char **err)
{
    rt__say(w, zdm_sprintf(w->s->a, "%s interrupted: the batches up to key %s are "
                                    "committed with the cursor; `zdm %s` continues after it",
                           w->name, w->cursor ? w->cursor : "(none)", w->cmd));
    *err = "interrupted";
    return false;
}

/* The plan's session setting for the walk (PostgreSQL: commits that do not
 * wait for the WAL flush). A server that refuses it leaves the walk as it
 * was, slower but as exact. The vacuum between batches sets it again after
 * its reset. */
bool rt__walk_session(rt_walk *w, bool say, const char **err)
{
    rt_session *s = w->s;
    const char *serr = NULL;
    if (!w->bf->session_sql)
        return true;
    if (s->d->exec_one(s->c, s->a, w->bf->session_sql, 0, &serr)) {
        if (say)
            rt__say(w, zdm_sprintf(s->a, "%s: the batches run with %s", w->name,
                                   w->bf->session_sql));
        return true;
    }
    if (s->d->last_error(s->c) == RT_ERR_CONNECTION) {
        *err = serr;
        return false;
    }
    if (say)
        rt__say(w, zdm_sprintf(s->a, "%s: the server refused %s (%s): the batches run "
                                     "without it", w->name, w->bf->session_sql,
                               serr ? serr : "no answer"));
    return true;
}

/* Triggers off for the walk's session when the plan says it is safe and the
 * table has no trigger but the walk's own sync trigger: that trigger would
 * only recompute, row by row, what the batch sets itself, and a BEFORE ROW
 * trigger makes every updated row be fetched and locked once more (the
 * backfill ran at about half its speed with it). A role that may not change
 * the setting keeps the triggers. False with *err only when the connection
 * is gone; the session's reset after the step turns them back on. */
static bool quiet_triggers(rt_walk *w, const char **err)
{
    rt_session *s = w->s;
    const rt_driver *d = s->d;
    if (!w->bf->quiet_check_sql || !w->bf->quiet_sql)
        return true;
    rt_rows r;
    const char *qerr = NULL;
    bool ok = d->query(s->c, s->a, w->bf->quiet_check_sql, 0, NULL, &r, &qerr) && r.nrows == 1;
    if (ok && !rt__is_true(rt__cell(&r, 0))) {
        rt__say(w, zdm_sprintf(s->a, "%s: the table has triggers besides zdm's sync "
                                     "trigger: the batches fire them", w->name));
        return true;
    }
    if (ok)
        ok = d->exec_one(s->c, s->a, w->bf->quiet_sql, 0, &qerr);
    if (!ok) {
        if (d->last_error(s->c) == RT_ERR_CONNECTION) {
            *err = qerr;
            return false;
        }
        rt__say(w, zdm_sprintf(s->a, "%s: the batches fire the table's triggers (%s)",
                               w->name, qerr ? qerr : "no answer"));
        return true;
    }
    w->quiet = true;
    rt__say(w, zdm_sprintf(s->a, "%s: the sync trigger is the table's only trigger: the "
                                 "batches run without firing it (%s)", w->name,
                           w->bf->quiet_sql));
    return true;
}

/* With open_end: the open-ended last batch has run (the cursor is at the
 * upper key; for an empty table, its one batch is done). */
bool rt__last_done(const rt_walk *w)
{
    return w->hi ? w->cursor && strcmp(w->cursor, w->hi) == 0 : w->batches > 0;
}

/* The walk's loop: next upper key, throttles, batch, adapt, progress, pause.
 * With open_end, the walk ends with the open-ended batch even when the row
 * at the upper key was deleted meanwhile (next_sql then runs out first). */
static bool walk_batches(rt_walk *w, const char **err)
{
    rt_session *s = w->s;
    int64_t pause = s->o.pause_ms >= 0 ? s->o.pause_ms : w->bf->pause_ms;
    uint64_t lo_size = w->size, hi_size = w->size;
    while (w->hi || w->bf->open_end) {
        if (rt_interrupted() || !throttle(w))
            break;
        const char *n = zdm_sprintf(s->a, "%llu", (unsigned long long)w->size);
        const char *np[] = {w->cursor, w->hi, n};
        rt_rows r;
        const char *to = NULL;
        if (w->hi && !s->d->query(s->c, s->a, w->bf->next_sql, 3, np, &r, err))
            return false;
        if (w->hi)
            to = rt__cell(&r, 0);
        if (!to) {
            if (!w->bf->open_end || rt__last_done(w))
                break;
            to = w->hi; /* NULL for an empty table */
        }
        double t = rt__now();
        uint64_t rows = 0;
        const char *lo = w->cursor;
        if (!batch_retried(w, to, &rows, err) || !rt__check_batch(w, lo, batch_to(w, to), err))
            return false;
        w->cursor = to;
        w->done += rows;
        w->done_here += rows;
        w->vac_since += rows;
        w->batches++;
        w->size = rt_bf_adapt(w->size, (rt__now() - t) * 1000, s->o.batch_lo_ms, s->o.batch_hi_ms,
                              w->bf->batch);
        lo_size = w->size < lo_size ? w->size : lo_size;
        hi_size = w->size > hi_size ? w->size : hi_size;
        progress(w, false);
        if (!rt__vacuum_between(w, err))
            return rt_interrupted() ? interrupted(w, err) : false;
        if (pause > 0 && !nap((double)pause))
            break;
    }
    if (rt_interrupted())
        return interrupted(w, err);
    progress(w, true);
    printf("zdm: %s: done, %llu rows updated in %llu batches; batch size %llu..%llu "
           "(adapted toward %g-%g ms per batch); %llu vacuum%s between groups%s\n", w->name,
           (unsigned long long)w->done, (unsigned long long)w->batches,
           (unsigned long long)lo_size, (unsigned long long)hi_size, s->o.batch_lo_ms,
           s->o.batch_hi_ms, (unsigned long long)w->vacuums, w->vacuums == 1 ? "" : "s",
           w->vac_late ? zdm_sprintf(s->a, " (%llu started late: a group ended before the "
                                           "previous vacuum)",
                                     (unsigned long long)w->vac_late)
                       : "");
    return true;
}

bool rt_walk_run(rt_session *s, size_t i, const rt_backfill *bf, const char *key, bool resumed,
                 const char *cmd, const char **err)
{
    rt_walk w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.st = &s->p->steps[i];
    w.bf = bf;
    w.key = key;
    w.cmd = cmd;
    w.name = zdm_sprintf(s->a, "%s %s", bf->verb, bf->table);
    w.smin = rt_bf_min_batch(w.bf->batch);
    w.smax = rt_bf_max_batch(w.bf->batch);
    w.size = w.bf->batch;
    w.lag = -1;
    w.tty = isatty(STDOUT_FILENO);
    w.t0 = rt__now();
    w.last_check = -1e9;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    bool work = true;
    if (!has_work(&w, &work, err))
        return false;
    if (!work) {
        printf("zdm: %s: skipped, nothing to walk (the plan's guard_sql is false: what it walks "
               "is not there)\n", w.name);
        return true;
    }
    /* Every statement of the walk is short (a batch is bounded by its lock
     * timeout and its target duration): a first signal waits for it. */
    rt_signals_soft(true);
    bool ok = begin_walk(&w, resumed, err);
    if (ok) {
        estimate_total(&w);
        rt__vacuum_plan(&w);
        ok = rt__walk_session(&w, true, err) && quiet_triggers(&w, err) &&
             rt__check_catch_up(&w, err) && walk_batches(&w, err);
        ok = rt__check_end(&w, ok, err);
        ok = rt__vacuum_end(&w, ok, err);
    }
    rt_signals_soft(false);
    return ok;
}

bool rt_backfill_run(rt_session *s, size_t i, bool resumed, const char **err)
{
    return rt_walk_run(s, i, s->p->steps[i].backfill, s->p->steps[i].id, resumed, "run", err);
}
