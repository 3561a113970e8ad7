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
} rt_rows;

#define RT_CELL(r, row, col) ((r)->cells[(row) * (r)->ncols + (col)])

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
    const char *step_rolled_back; /* (plan, step) */
    const char *checkpoints;   /* (plan) -> before_phase */
    const char *checkpoint_pass;  /* (plan, before_phase) */
    const char *checkpoints_clear; /* (plan) */
    const char *runs;          /* (plan) -> run_id, command, started, resumed_from, outcome;
                                * the latest few, newest first */
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
    /* Whether the last error was a lock not obtained (after the plan's retries). */
    bool (*lock_failure)(rt_conn *c);
    /* Sessions holding table locks now -> pid, locks, transaction age, state,
     * user, application, query. */
    const char *lock_holders_sql;
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

#endif
