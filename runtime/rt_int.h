/*
 * rt_int.h - shared by the runtime's command files (session.c, run.c,
 * status.c, rollback.c): the options, the open session (plan, driver,
 * connection, the recorded state of every step) and its helpers.
 */
#ifndef ZDM_RT_INT_H
#define ZDM_RT_INT_H

#include "driver.h"
#include "planfile.h"
#include "runtime.h"

#include <stdio.h>

/* --reconnect-timeout's default, in seconds (docs/runtime.md). */
#define RT_RECONNECT_DEFAULT_S 60
/* --vacuum-every's default, in percent of the walk (docs/runtime.md has the
 * measurement it comes from: heap growth against backfill time). */
#define RT_VACUUM_EVERY_DEFAULT 2.0 /* docs/benchmarks.md: the heap goal at 10M rows */

typedef struct rt_opts {
    const char *dir, *db, *phase, *until;
    bool yes;
    /* The native backfill (backfill.c): the target batch duration, the pause
     * between batches (-1: the plan's), the throttles (-1: off). */
    double batch_lo_ms, batch_hi_ms;
    int64_t pause_ms;
    double max_lag_s;
    long max_load;
    double vacuum_pct;      /* vacuum the table after each this % of the walk; 0: never */
    double reconnect_s;     /* run: how long to try reconnecting; 0: never */
} rt_opts;

typedef enum { RT_PENDING, RT_STARTED, RT_FINISHED, RT_ROLLED_BACK } rt_state;

typedef struct rt_step_state {
    rt_state state;
    int attempts;
    const char *error, *when;
} rt_step_state;

typedef struct rt_session {
    zdm_arena *a;
    rt_opts o;
    const rt_plan *p;
    const rt_driver *d;
    rt_conn *c;
    rt_step_state *st;      /* per plan step */
    bool *passed;           /* per checkpoint: the operator said the deploy is done */
    const char *run_id;     /* this invocation's row in the runs table */
    bool locked;
    bool has_state;         /* the state tables exist */
    bool reconnecting;      /* inside rt_reconnect: a failure there does not recurse */
    bool gone;              /* the server did not come back: no more reconnecting */
    rt_conn *wc;            /* the lock watcher's connection (watch.c), opened when needed */
    double wc_failed_at;    /* when opening it last failed (not retried for a while) */
} rt_session;

/* Parses the options allowed by `allowed` ("puybr" letters: p --phase,
 * u --until, y --yes, b the backfill's --batch-ms, --pause,
 * --max-replica-lag, --max-load, --vacuum-every, r --reconnect-timeout); prints usage
 * errors. Returns false on bad usage. */
bool rt_parse_opts(const char *cmd, int argc, char **argv, const char *allowed, rt_opts *o);

/* Reads the plan, connects, checks the server version, and (create_state)
 * makes the state tables and takes the plan's lock. Returns an exit status
 * (RT_EXIT_DONE when the session is ready). */
int rt_open(rt_session *s, bool create_state);
void rt_close(rt_session *s);
/* Reads the recorded state of every step and checkpoint. */
bool rt_load_state(rt_session *s);

/* Runs a state statement with parameters; prints the error. A lost
 * connection is reconnected (rt_reconnect) and the statement run again. */
bool rt_q(rt_session *s, const char *sql, int n, const char *const *params, rt_rows *out);
/* A query that reconnects the same way; *err on failure, nothing printed. */
bool rt_query(rt_session *s, const char *sql, int n, const char *const *params, rt_rows *out,
              const char **err);
/* After the connection was lost: connects again with backoff for up to
 * --reconnect-timeout and takes the plan's lock again. False (and s->gone)
 * when the server did not come back in time, or reconnecting is off. */
bool rt_reconnect(rt_session *s);
/* Whether the last error on the session's connection was a lost connection. */
bool rt_conn_lost(const rt_session *s);
bool rt_begin_run(rt_session *s, const char *command);
void rt_end_run(rt_session *s, const char *outcome);
/* The newest run on the plan is a rollback that stopped with steps left. */
bool rt_rollback_unfinished(rt_session *s);

/* Runs every check of `pre` (verify_pre) or the post checks (verify_post):
 * prints each check not ok; false if any is not ok or a query failed. */
bool rt_verify(rt_session *s, bool pre);

/* Whether SIGINT or SIGTERM came (rt_open installs the handler: it cancels
 * the running statement through the driver). */
bool rt_interrupted(void);
/* While on (a backfill batch runs), the first SIGINT/SIGTERM only asks to
 * stop after the batch; a second one cancels the statement at once. */
void rt_signals_soft(bool on);

/* Runs plan step i's native backfill walk (p->steps[i].backfill), continuing
 * from the recorded cursor when `resumed` (the step was started and not
 * finished before). False with *err on failure, or with rt_interrupted()
 * after an interruption (the batches committed stay, the cursor with them). */
bool rt_backfill_run(rt_session *s, size_t i, bool resumed, const char **err);
/* The same for any walk of plan step i (a rollback's: rollback.c): its row
 * in the state table is `key`; `cmd` ("run", "rollback") is the command its
 * lines name to continue it. A walk whose guard_sql says it has no work
 * (what it reads is gone) does nothing. */
bool rt_walk_run(rt_session *s, size_t i, const rt_backfill *bf, const char *key, bool resumed,
                 const char *cmd, const char **err);
/* Runs step i's rollback from its pieces (rollback.c): scripts as they are,
 * walks natively, each walk continuing from its cursor when this rollback
 * of the step was interrupted before (its row began after the step's last
 * start). False with *err, or with rt_interrupted(). */
bool rt_rollback_pieces_run(rt_session *s, size_t i, const char **err);
/* A rollback walk's row in the state table: step id, "/rollback/", and its
 * ordinal among the step's rollback walks (1, 2, ...). */
const char *rt_rollback_walk_key(zdm_arena *a, const rt_step *st, size_t ordinal);

/* side.c: one statement at a time beside a walk (a vacuum, a check of a
 * committed batch) on a worker connection in its own thread. rt_side_new is
 * NULL when the driver has no worker connection (the walk then does that
 * work on its own connection). */
typedef struct rt_side rt_side;
typedef struct rt_side_result {
    bool ok;
    rt_err_kind kind;
    const char *err;  /* valid until rt_side_free */
    const char *cell; /* want_row: the first cell of the result (NULL: none, or NULL) */
    double secs;
} rt_side_result;
rt_side *rt_side_new(const rt_driver *d, const char *url, int64_t lock_timeout_ms);
/* Connects on first use, then starts sql: a query whose first cell is kept
 * (want_row), or a statement under the lock timeout; false with *err when it
 * cannot. sql and params must live until the statement is collected. */
bool rt_side_start(rt_side *v, const char *sql, int nparams, const char *const *params,
                   bool want_row, const char **err);
bool rt_side_busy(rt_side *v);
/* The outcome of the statement started last, once it has finished (wait:
 * until it has); false when there is none to collect. */
bool rt_side_collect(rt_side *v, bool wait, rt_side_result *out);
void rt_side_free(rt_side *v);

/* The lock watcher (watch.c): while a statement of a step that takes a
 * table lock runs longer than about its lock timeout, a second connection
 * samples who blocks it and prints each blocker as it appears. */
typedef struct rt_watch {
    rt_session *s;
    const rt_step *st;
    double start_s;         /* sampling starts once a statement has run this long */
    double next_s;          /* the next sample, on the monotonic clock */
    rt_rows last;           /* the latest sample that named blockers */
    bool have_last;
    long *seen;             /* pids already printed for this step */
    size_t nseen, capseen;
} rt_watch;

/* Starts watching step st on the session's connection (a no-op for steps
 * that take no table lock); rt_watch_end stops. */
void rt_watch_begin(rt_watch *w, rt_session *s, const rt_step *st);
void rt_watch_end(rt_watch *w);
/* After the step gave up on a lock: the sessions that blocked its last
 * attempt, or, when none was seen, those holding table locks now. */
void rt_watch_report(rt_watch *w);
/* Closes the watcher's connection (rt_close). */
void rt_watch_close(rt_session *s);

/* Runs step i to the end within this run (attempt.c): the step's script
 * again after a lock failure, deadlock or foreign cancel (steps without the
 * plan's in-script retry), or after reconnecting; `resumed`: the step was
 * started before this run (a backfill continues from its cursor); `undo`:
 * its rollback text instead (zdm rollback). w watches each attempt.
 * Returns RT_EXIT_DONE, RT_EXIT_FAILED (*err says why; the caller records
 * it and names the blockers with rt_watch_report) or RT_EXIT_STOPPED
 * (interrupted). */
int rt_run_attempts(rt_session *s, size_t i, bool resumed, bool undo, rt_watch *w,
                    const char **err);

/* The plan's backoff before attempt n+1 (n >= 1), as its scripts' retry
 * block computes it: min(cap, base * 2^(n-1)) * (0.5 + r01 / 2), r01 a
 * random number in [0, 1]. */
double rt_backoff_ms(const rt_plan *p, int n, double r01);

/* Monotonic seconds; sleeps up to `s` seconds, false if interrupted. */
double rt_now(void);
bool rt_sleep(double s);

/* Asks on the terminal; 1 yes, 0 no, -1 no terminal to ask on. */
int rt_confirm(const char *question);

const char *rt_state_name(rt_state st);
bool rt_ran(rt_state st); /* started or finished, not rolled back */

#endif
