/*
 * driver.h - what the runtime needs from a database, as a table of functions:
 * the PostgreSQL driver (drv_pg.c, over libpq) is the first; the SQLite and
 * MySQL/MariaDB drivers plug in the same way (rt_driver_find by the plan's
 * "dialect"). run.c never tests a dialect's name.
 *
 * Invariants: a connection runs in autocommit; exec_script runs a step's
 * script statement by statement as the dialect's client would and stops at
 * the first error; nothing a driver prints or returns contains a password
 * (where() names host, port, database and user only). Query results are
 * copied into the caller's arena.
 */
#ifndef ZDM_RT_DRIVER_H
#define ZDM_RT_DRIVER_H

#include "../core/core.h"

#include <stdint.h>

typedef struct rt_conn rt_conn; /* the driver's own */

typedef struct rt_rows {
    size_t nrows, ncols;
    const char **cells; /* row-major; NULL for SQL NULL */
    uint64_t affected;  /* rows an INSERT/UPDATE/DELETE changed (the batch's count) */
} rt_rows;

#define RT_CELL(r, row, col) ((r)->cells[(row) * (r)->ncols + (col)])

/* What the last error on a connection was, as far as running a step again
 * is concerned (run.c decides from it; attempt.c). */
typedef enum {
    RT_ERR_OTHER,      /* anything else: not retried */
    RT_ERR_LOCK,       /* a lock not obtained in time (after the plan's own retries, if any) */
    RT_ERR_DEADLOCK,   /* chosen as the deadlock victim */
    RT_ERR_CANCELED,   /* the statement was cancelled (by us, a statement timeout or
                        * another session) */
    RT_ERR_CONNECTION, /* the connection is gone (server restart, network, terminated) */
} rt_err_kind;

/* Called by the driver about every 100 ms while a statement runs, with the
 * seconds since it was sent. */
typedef void (*rt_tick_fn)(void *arg, double elapsed_s);

/* The state table's statements, in the driver's SQL and parameter syntax.
 * Parameters are in the order given in each comment. */
typedef struct rt_state_sql {
    const char *const *ddl;    /* NULL-terminated statements creating the schema and
                                * tables if absent (the session is reset after them) */
    const char *exists;        /* one row, one boolean: the tables exist */
    const char *lock;          /* (plan) one row, one boolean: got the plan's lock */
    const char *unlock;        /* (plan) */
    const char *run_begin;     /* (plan, command, title, target) -> run_id */
    const char *run_resumed;   /* (run_id, step) */
    const char *run_end;       /* (run_id, outcome) */
    const char *steps;         /* (plan) -> step, started, finished, rolled_back, attempts, error */
    const char *step_start;    /* (plan, step, phase, title, run_id) */
    const char *step_finish;   /* (plan, step) */
    const char *step_fail;     /* (plan, step, error) */
    const char *step_retry;    /* (plan, step, error of the attempt that failed): one more attempt */
    const char *step_rolled_back; /* (plan, step) */
    const char *checkpoints;   /* (plan) -> before_phase */
    const char *checkpoint_pass;  /* (plan, before_phase) */
    const char *checkpoints_clear; /* (plan) */
    const char *runs;          /* (plan) -> run_id, command, started, resumed_from, outcome;
                                * the latest few, newest first */
    /* The native backfill's walk (runtime/backfill.c), keys as text. */
    const char *bf_get;        /* (plan, step) -> hi, cursor, rows_done, batches, batch_size, starts */
    const char *bf_start;      /* (plan, step, hi, batch_size): a fresh walk, any old row replaced */
    const char *bf_resume;     /* (plan, step): one more start of a recorded walk */
    const char *bf_batch;      /* (plan, step, cursor, rows, batch_size): in the batch's transaction */
    const char *bf_list;       /* (plan) -> step, hi, cursor, rows_done, batches, batch_size,
                                * starts, updated[, vacuums, last vacuum: where bf_vacuum is] */
    const char *bf_current;    /* (plan, walk, step) -> one row when the walk's row began at
                                * or after the step's last start (a rollback's walk of this
                                * rollback of it, to continue), no row otherwise */
    const char *bf_vacuum;     /* (plan, step): the walk vacuumed the table once more; NULL
                                * where the driver does not record vacuums (bf_get then
                                * returns no 7th column, the vacuums so far) */
    const char *tx_begin, *tx_commit, *tx_rollback;
    const char *tx_lock_timeout; /* (milliseconds) for the rest of the open transaction */
} rt_state_sql;

typedef struct rt_driver {
    const char *dialect;       /* the plan's "dialect" it runs */
    /* Whether a --db URL is this driver's (for `zdm run FILE.zdm`, which has
     * no plan to name the dialect yet). */
    bool (*accepts_url)(const char *url);
    /* url: the dialect's connection string; "" means the client's defaults
     * from the environment. NULL and *err on failure. */
    rt_conn *(*connect)(zdm_arena *a, const char *url, const char **err);
    void (*close)(rt_conn *c);
    const char *(*where)(zdm_arena *a, rt_conn *c);   /* "host:port/db as user" */
    unsigned (*server_version)(rt_conn *c);           /* major, e.g. 15 */
    bool (*exec_script)(rt_conn *c, zdm_arena *a, const char *text, const char **err);
    /* One statement under a lock timeout (0: the session's). */
    bool (*exec_one)(rt_conn *c, zdm_arena *a, const char *sql, int64_t lock_timeout_ms,
                     const char **err);
    bool (*query)(rt_conn *c, zdm_arena *a, const char *sql, int nparams,
                  const char *const *params, rt_rows *out, const char **err);
    /* Back to the session's defaults after a step changed settings. */
    bool (*reset)(rt_conn *c, zdm_arena *a, const char **err);
    /* What the last error was. */
    rt_err_kind (*last_error)(rt_conn *c);
    /* Sessions holding table locks now -> pid, locks, transaction age, state,
     * user, application, query. */
    const char *lock_holders_sql;
    /* The native backfill's throttles: one row, one number each.
     * replica_lag_sql -> the largest replay lag in seconds (NULL: no replica);
     * load_sql -> the sessions running a statement now, other than ours;
     * table_rows_sql (schema or NULL, table) -> the planner's row estimate. */
    const char *replica_lag_sql, *load_sql, *table_rows_sql;
    /* (pid) The sessions that block that session's lock request now, with the
     * same columns as lock_holders_sql; no row when it waits for nothing. */
    const char *blockers_sql;
    /* The server's id of the connection's session (the pid for PostgreSQL). */
    long (*session_id)(rt_conn *c);
    /* tick (NULL: none) is called while a statement of exec_script or
     * exec_one runs on c. */
    void (*set_tick)(rt_conn *c, rt_tick_fn tick, void *arg);
    /* A second connection that only looks (the lock watcher): short timeouts,
     * its own application name, never cancelled by interrupt(). */
    rt_conn *(*connect_aux)(zdm_arena *a, const char *url, const char **err);
    /* A further connection for work the runner does beside the main one, in
     * another thread (the vacuum between groups of batches): the session's
     * defaults, never cancelled by interrupt(). NULL: the driver has none
     * (that work then runs on the main connection). */
    rt_conn *(*connect_worker)(zdm_arena *a, const char *url, const char **err);
    /* Called from a signal handler (async-signal-safe): cancel the statement
     * running on the open connection and refuse to start another. */
    void (*interrupt)(void);
    const rt_state_sql *state;
    const char *target_name;   /* "postgres": `zdm compile --target NAME@VERSION` */
} rt_driver;

/* The driver for a plan's dialect, or NULL when there is none yet. */
const rt_driver *rt_driver_find(const char *dialect);
/* The driver whose URLs look like this one, or NULL. */
const rt_driver *rt_driver_for_url(const char *url);

extern const rt_driver rt_driver_pg;
extern const rt_driver rt_driver_sqlite;
extern const rt_driver rt_driver_mysql, rt_driver_mariadb;

#endif
