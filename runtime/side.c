/*
 * side.c - one statement at a time beside a walk, on a worker connection in
 * a thread of its own, so that the walk's batches go on while it runs: the
 * vacuum between groups of batches (PostgreSQL), and the check of each batch
 * already committed (the MySQL/MariaDB shadow copy's count and checksum).
 *
 * Measured: run between the batches on the walk's own connection, the
 * vacuums took a quarter of the headline's backfill at 10M rows (9.3 of
 * 38.2 s), and the shadow copy's per-range checks a fifth to a third of the
 * copy; a plain VACUUM's SHARE UPDATE EXCLUSIVE lock does not conflict with
 * the batches' ROW EXCLUSIVE, and a check is a consistent read that takes no
 * lock, so nothing makes them wait for each other.
 *
 * Each rt_side runs one statement at a time on its own connection. The
 * thread touches only that connection and its own arena (the statement and
 * its parameters are the caller's, which keeps them until the statement is
 * collected); the caller reads the outcome after the thread has said it is
 * done (an atomic flag), and joins it before reading.
 */
#include "rt_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rt_side {
    const rt_driver *d;
    const char *url;
    int64_t lock_timeout_ms;
    zdm_arena *a;            /* the worker's: its connection and its results */
    rt_conn *c;
    pthread_t th;
    bool running;            /* a thread was started and not yet joined */
    atomic_bool done;
    /* the statement, set before the thread starts */
    const char *sql;
    int nparams;
    const char *const *params;
    bool want_row;
    /* written by the thread before done, read after the join */
    bool ok;
    rt_err_kind kind;
    const char *err, *cell;
    double t0, secs;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

rt_side *rt_side_new(const rt_driver *d, const char *url, int64_t lock_timeout_ms)
{
    if (!d->connect_worker)
        return NULL;
    rt_side *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->d = d, v->url = url, v->lock_timeout_ms = lock_timeout_ms;
    v->a = zdm_arena_new();
    atomic_init(&v->done, false);
    return v;
}

static void *run(void *arg)
{
    rt_side *v = arg;
    v->err = v->cell = NULL;
    if (v->want_row) {
        rt_rows r;
        v->ok = v->d->query(v->c, v->a, v->sql, v->nparams, v->params, &r, &v->err);
        v->cell = v->ok && r.nrows > 0 && r.ncols > 0 ? RT_CELL(&r, 0, 0) : NULL;
    } else {
        v->ok = v->d->exec_one(v->c, v->a, v->sql, v->lock_timeout_ms, &v->err);
    }
    v->kind = v->ok ? RT_ERR_OTHER : v->d->last_error(v->c);
    /* The next statement starts from the session's defaults again; a reset
     * that fails on a lost connection shows in the next one's outcome. */
    const char *ignored = NULL;
    (void)v->d->reset(v->c, v->a, &ignored);
    v->secs = mono() - v->t0;
    atomic_store(&v->done, true);
    return NULL;
}

bool rt_side_busy(rt_side *v)
{
    return v->running && !atomic_load(&v->done);
}

bool rt_side_start(rt_side *v, const char *sql, int nparams, const char *const *params,
                   bool want_row, const char **err)
{
    if (!v->c) {
        v->c = v->d->connect_worker(v->a, v->url, err);
        if (!v->c)
            return false;
    }
    v->sql = sql, v->nparams = nparams, v->params = params, v->want_row = want_row;
    atomic_store(&v->done, false);
    v->t0 = mono();
    /* The thread starts with every signal blocked, so SIGINT and SIGTERM
     * always reach the walk's thread (the soft stop of runtime/backfill.c). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&v->th, NULL, run, v);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        *err = strerror(rc);
        return false;
    }
    v->running = true;
    return true;
}

bool rt_side_collect(rt_side *v, bool wait, rt_side_result *out)
{
    if (!v || !v->running || (!wait && !atomic_load(&v->done)))
        return false;
    pthread_join(v->th, NULL);
    v->running = false;
    out->ok = v->ok;
    out->kind = v->kind;
    out->err = v->err;
    out->cell = v->cell;
    out->secs = v->secs;
    if (!v->ok && v->kind == RT_ERR_CONNECTION) {
        v->d->close(v->c); /* a new one for the next statement */
        v->c = NULL;
    }
    return true;
}

void rt_side_free(rt_side *v)
{
    if (!v)
        return;
    if (v->running)
        pthread_join(v->th, NULL);
    if (v->c)
        v->d->close(v->c);
    zdm_arena_free(v->a);
    free(v);
}
