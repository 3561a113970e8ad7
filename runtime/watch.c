/*
 * watch.c - the lock watcher: who blocks a step while it waits.
 *
 * A step that takes a table lock (any lock level but "none" and "rows") can
 * wait: a strong lock queues behind every open transaction on the table, a
 * concurrent index build waits for every older transaction. While one of
 * its statements has run for half its lock timeout (at most 1 s), a second
 * connection samples the driver's blockers query (PostgreSQL:
 * pg_blocking_pids joined to pg_stat_activity) every 250 ms and prints each
 * blocking session the first time it is seen, so the operator sees whom the
 * step waits for while it waits. The latest sample that named anyone is
 * kept: when the step gives up on a lock, those are the sessions that
 * blocked its last attempt. pg_blocking_pids takes the lock manager's locks
 * briefly, hence the sampling only past the threshold and at most 4 times a
 * second (https://www.postgresql.org/docs/current/functions-info.html).
 */
#include "rt_int.h"

#include <stdlib.h>
#include <string.h>

#define WATCH_EVERY_S 0.25
#define WATCH_REOPEN_S 5.0

static void print_session(const rt_rows *r, size_t i, const char *indent)
{
    fprintf(stderr, "%spid %s: %s; transaction open %s, %s, user %s, application %s: %s\n", indent,
            RT_CELL(r, i, 0), RT_CELL(r, i, 1), RT_CELL(r, i, 2), RT_CELL(r, i, 3),
            RT_CELL(r, i, 4), RT_CELL(r, i, 5), RT_CELL(r, i, 6));
}

static bool seen(rt_watch *w, long pid)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i] == pid)
            return true;
    if (w->nseen == w->capseen) {
        size_t cap = w->capseen ? w->capseen * 2 : 16;
        long *n = ZDM_NEW_ARRAY(w->s->a, long, cap);
        if (w->nseen)
            memcpy(n, w->seen, w->nseen * sizeof *n);
        w->seen = n;
        w->capseen = cap;
    }
    w->seen[w->nseen++] = pid;
    return false;
}

/* The watcher's connection, opened on first use; after a failure it is not
 * tried again for a while (the server may be restarting). */
static rt_conn *watcher(rt_session *s)
{
    if (s->wc || s->gone)
        return s->wc;
    double now = rt_now();
    if (s->wc_failed_at > 0 && now - s->wc_failed_at < WATCH_REOPEN_S)
        return NULL;
    const char *err = NULL;
    s->wc = s->d->connect_aux(s->a, s->o.db, &err);
    if (!s->wc) {
        if (s->wc_failed_at == 0)
            fprintf(stderr, "  (cannot open a second connection to see who blocks the step: %s)\n", err);
        s->wc_failed_at = now;
    }
    return s->wc;
}

static void sample(rt_watch *w)
{
    rt_session *s = w->s;
    rt_conn *wc = watcher(s);
    if (!wc || !s->c)
        return;
    const char *pid = zdm_sprintf(s->a, "%ld", s->d->session_id(s->c));
    const char *params[] = {pid};
    const char *err = NULL;
    rt_rows r;
    if (!s->d->query(wc, s->a, s->d->blockers_sql, 1, params, &r, &err)) {
        s->d->close(wc); /* reopened at a later tick */
        s->wc = NULL;
        s->wc_failed_at = rt_now();
        return;
    }
    if (r.nrows == 0)
        return;
    w->last = r;
    w->have_last = true;
    for (size_t i = 0; i < r.nrows; i++)
        if (!seen(w, atol(RT_CELL(&r, i, 0)))) {
            fprintf(stderr, "zdm: step %s waits for a lock held by ", w->st->id);
            print_session(&r, i, "");
        }
}

static void tick(void *arg, double elapsed)
{
    rt_watch *w = arg;
    double now = rt_now();
    if (elapsed < w->start_s || now < w->next_s)
        return;
    w->next_s = now + WATCH_EVERY_S;
    sample(w);
}

static bool takes_table_lock(const rt_step *st)
{
    return strcmp(st->lock_level, "none") != 0 && strcmp(st->lock_level, "rows") != 0;
}

void rt_watch_begin(rt_watch *w, rt_session *s, const rt_step *st)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    w->st = st;
    double half = (double)st->lock_timeout_ms / 2000.0;
    w->start_s = half > 0 && half < 1 ? half : 1;
    if (s->c && takes_table_lock(st))
        s->d->set_tick(s->c, tick, w);
}

void rt_watch_end(rt_watch *w)
{
    if (w->s->c)
        w->s->d->set_tick(w->s->c, NULL, NULL);
}

/* Who holds table locks now: the fallback when no sample named anyone. */
static void name_holders(rt_session *s)
{
    rt_rows r;
    const char *err = NULL;
    if (!rt_query(s, s->d->lock_holders_sql, 0, NULL, &r, &err)) {
        fprintf(stderr, "  (cannot list the sessions holding locks: %s)\n", err);
        return;
    }
    if (r.nrows == 0) {
        fprintf(stderr, "  no session holds a table lock now: the holder has ended; run `zdm run` again\n");
        return;
    }
    fprintf(stderr, "  sessions holding table locks now (longest transaction first):\n");
    for (size_t i = 0; i < r.nrows; i++)
        print_session(&r, i, "    ");
}

void rt_watch_report(rt_watch *w)
{
    if (w->have_last) {
        fprintf(stderr, "  its last attempt was blocked by (longest transaction first):\n");
        for (size_t i = 0; i < w->last.nrows; i++)
            print_session(&w->last, i, "    ");
    } else {
        name_holders(w->s);
    }
    fprintf(stderr, "  wait for them to end (or end them), then run `zdm run` again\n");
}

void rt_watch_close(rt_session *s)
{
    if (s->wc)
        s->d->close(s->wc);
    s->wc = NULL;
}
