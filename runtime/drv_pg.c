/*
 * drv_pg.c - the PostgreSQL runtime driver, over libpq.
 *
 * Scripts are the psql scripts the plan carries; they are split (script.h)
 * and sent one statement at a time with PQexec, in autocommit, exactly as
 * `psql -v ON_ERROR_STOP=1 -f` sends them: a multi-statement PQexec would run
 * as one implicit transaction, where CREATE INDEX CONCURRENTLY and a DO block
 * that COMMITs per batch both fail
 * (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT).
 * \gexec runs the query, then each value it returns, as psql does
 * (https://www.postgresql.org/docs/current/app-psql.html).
 * NOTICEs (the retry and backfill progress lines) go to stderr.
 * Statements are sent with PQsendQuery and waited for with poll(), so that
 * the runtime's tick (the lock watcher, watch.c) runs while one waits
 * (https://www.postgresql.org/docs/current/libpq-async.html).
 * Connections carry connect_timeout and TCP keepalives unless the URL sets
 * its own, so a server that went away is noticed within about half a minute
 * even in the middle of a long statement
 * (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS).
 * Sessions set client_connection_check_interval (PostgreSQL 14+) so that a
 * killed `zdm run` stops its server-side statement within a second instead of
 * at the end of a long backfill
 * (https://www.postgresql.org/docs/current/runtime-config-connection.html).
 */
#include "driver.h"
#include "script.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rt_conn {
    PGconn *pg;
    rt_err_kind err;   /* what the last error was */
    bool aux;          /* the watcher's or a worker's: not the one interrupt() cancels */
    bool worker;       /* a worker's (the vacuum's): no short timeouts */
    rt_tick_fn tick;
    void *tick_arg;
};

/* The cancel handle of the open connection, for pg_interrupt from a signal
 * handler (PQcancel is safe there:
 * https://www.postgresql.org/docs/current/libpq-cancel.html). The runtime
 * holds one connection at a time. */
static PGcancel *cancel_handle;
static volatile sig_atomic_t cancel_requested;

static void pg_interrupt(void)
{
    char buf[256];
    cancel_requested = 1;
    if (cancel_handle)
        PQcancel(cancel_handle, buf, sizeof buf);
}

/* The error's kind by its SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): class 08
 * and admin/crash shutdown or a server still starting: the connection;
 * lock_not_available (55P03), or the plan's retry block giving up (it raises
 * 'zdm: lock not available after N attempts'): a lock; deadlock_detected
 * (40P01); query_canceled (57014). */
static rt_err_kind classify(rt_conn *c, PGresult *r)
{
    if (PQstatus(c->pg) != CONNECTION_OK)
        return RT_ERR_CONNECTION;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!state)
        return RT_ERR_OTHER;
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
        return RT_ERR_CONNECTION;
    if (strcmp(state, "55P03") == 0 || (msg && strstr(msg, "zdm: lock not available")))
        return RT_ERR_LOCK;
    if (strcmp(state, "40P01") == 0)
        return RT_ERR_DEADLOCK;
    if (strcmp(state, "57014") == 0)
        return RT_ERR_CANCELED;
    return RT_ERR_OTHER;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void notice(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "  %s", msg);
}

static const char *trimmed(zdm_arena *a, const char *msg)
{
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    return zdm_strndup(a, msg, n);
}

/* Session settings every statement of the runtime runs under. The watcher
 * has its own name and short timeouts: it must never wait itself. */
static bool session(rt_conn *c)
{
    PGresult *r = PQexec(c->pg, c->worker ? "SET application_name = 'zdm worker'"
                                : c->aux  ? "SELECT set_config('application_name', 'zdm watcher', false),"
                                            " set_config('lock_timeout', '1s', false),"
                                            " set_config('statement_timeout', '5s', false)"
                                          : "SET application_name = 'zdm'");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    /* zdm's own reads (verify_pre's duplicate check groups the whole table)
     * in one process, so they leave the application's writers the other
     * cores: at 40M rows on 2 cores the check took 51-55 s instead of 37-45 s
     * but let 0 and 60 writer transactions pass 1 s instead of 132 and 148
     * (docs/benchmarks.md). The plan's index builds have their own setting. */
    if (ok && !c->aux) {
        r = PQexec(c->pg, "SET max_parallel_workers_per_gather = 0");
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    if (ok && PQserverVersion(c->pg) >= 140000) {
        r = PQexec(c->pg, "SET client_connection_check_interval = '1s'");
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    return ok;
}

/* A postgres:// or postgresql:// URI, a key=value connection string (no
 * scheme), or empty (the environment's defaults). */
static bool pg_accepts_url(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0 ||
           strstr(url, "://") == NULL;
}

/* The URL comes last, so whatever it sets overrides these defaults: a 10 s
 * connect timeout (unless PGCONNECT_TIMEOUT says otherwise) and keepalives
 * probing after 10 s idle, every 5 s, 3 times. */
static PGconn *open_pg(const char *url)
{
    const char *keys[6], *vals[6];
    int n = 0;
    if (!getenv("PGCONNECT_TIMEOUT"))
        keys[n] = "connect_timeout", vals[n++] = "10";
    keys[n] = "keepalives_idle", vals[n++] = "10";
    keys[n] = "keepalives_interval", vals[n++] = "5";
    keys[n] = "keepalives_count", vals[n++] = "3";
    keys[n] = "dbname", vals[n++] = url;
    keys[n] = NULL, vals[n] = NULL;
    return PQconnectdbParams(keys, vals, 1);
}

static rt_conn *connect_as(zdm_arena *a, const char *url, bool aux, bool worker,
                           const char **err)
{
    PGconn *pg = open_pg(url);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        *err = pg ? trimmed(a, PQerrorMessage(pg)) : "out of memory";
        PQfinish(pg);
        return NULL;
    }
    rt_conn *c = ZDM_NEW(a, rt_conn);
    memset(c, 0, sizeof *c);
    c->pg = pg;
    c->aux = aux || worker;
    c->worker = worker;
    if (!c->aux) {
        PGcancel *old = cancel_handle;
        cancel_handle = PQgetCancel(pg);
        PQfreeCancel(old);
    }
    PQsetNoticeProcessor(pg, notice, NULL);
    if (!session(c)) {
        *err = trimmed(a, PQerrorMessage(pg));
        if (!c->aux) {
            PGcancel *h = cancel_handle;
            cancel_handle = NULL;
            PQfreeCancel(h);
        }
        PQfinish(pg);
        return NULL;
    }
    return c;
}

static rt_conn *pg_connect(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, false, false, err);
}

static rt_conn *pg_connect_aux(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, true, false, err);
}

static rt_conn *pg_connect_worker(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, false, true, err);
}

static void pg_close(rt_conn *c)
{
    if (!c)
        return;
    if (!c->aux) {
        PGcancel *h = cancel_handle;
        cancel_handle = NULL; /* before it is freed: a signal may come at any time */
        PQfreeCancel(h);
    }
    PQfinish(c->pg);
}

static const char *pg_where(zdm_arena *a, rt_conn *c)
{
    const char *host = PQhost(c->pg);
    return zdm_sprintf(a, "%s:%s/%s as %s", host && *host ? host : "local socket",
                       PQport(c->pg), PQdb(c->pg), PQuser(c->pg));
}

static unsigned pg_version(rt_conn *c)
{
    int v = PQserverVersion(c->pg);
    return v >= 100000 ? (unsigned)(v / 10000) : (unsigned)(v / 100); /* 9.6 -> 96 */
}

/* The result's error (r NULL: the connection's), with the statement's first
 * line for context. */
static bool result_ok(rt_conn *c, zdm_arena *a, PGresult *r, const char *sql, const char **err)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
        return true;
    c->err = classify(c, r);
    const char *msg = r ? PQresultErrorMessage(r) : "";
    if (!*msg)
        msg = PQerrorMessage(c->pg);
    const char *nl = strchr(sql, '\n');
    size_t n = nl ? (size_t)(nl - sql) : strlen(sql);
    *err = zdm_sprintf(a, "%s\n  in: %.*s%s", trimmed(a, *msg ? msg : "the connection failed"),
                       (int)(n > 100 ? 100 : n), sql, n > 100 || nl ? " ..." : "");
    return false;
}

/* Sends one statement and waits for it, calling the tick every 100 ms.
 * Returns the error result if there was one, else the last result; NULL
 * when the connection failed (PQerrorMessage says why). */
static PGresult *send_wait(rt_conn *c, const char *sql)
{
    if (!PQsendQuery(c->pg, sql))
        return NULL;
    double t0 = mono_s();
    PGresult *keep = NULL;
    for (;;) {
        while (!PQisBusy(c->pg)) {
            PGresult *r = PQgetResult(c->pg);
            if (!r)
                return keep;
            if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
                PQclear(r);
            } else {
                PQclear(keep);
                keep = r;
            }
        }
        struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
        int n = p.fd < 0 ? -1 : poll(&p, 1, 100);
        if ((n < 0 && (p.fd < 0 || errno != EINTR)) || (n > 0 && !PQconsumeInput(c->pg))) {
            PQclear(keep);
            return NULL;
        }
        if (c->tick)
            c->tick(c->tick_arg, mono_s() - t0);
    }
}

static bool exec1(rt_conn *c, zdm_arena *a, const char *sql, const char **err)
{
    PGresult *r = send_wait(c, sql);
    bool ok = result_ok(c, a, r, sql, err);
    PQclear(r);
    return ok;
}

/* Each value the query returns is run as a statement, and shown: it is what
 * the script decided to do (e.g. drop the INVALID index of a failed build). */
static bool gexec(rt_conn *c, zdm_arena *a, const char *sql, const char **err)
{
    PGresult *r = send_wait(c, sql);
    bool ok = result_ok(c, a, r, sql, err);
    for (int i = 0; ok && i < PQntuples(r); i++)
        for (int k = 0; ok && k < PQnfields(r); k++)
            if (!PQgetisnull(r, i, k)) {
                const char *stmt = zdm_strdup(a, PQgetvalue(r, i, k));
                fprintf(stderr, "  \\gexec: %s\n", stmt);
                ok = exec1(c, a, stmt, err);
            }
    PQclear(r);
    return ok;
}

static bool pg_exec_script(rt_conn *c, zdm_arena *a, const char *text, const char **err)
{
    rt_script s;
    if (!rt_script_split(a, text, &s, err))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (cancel_requested) {
            *err = "interrupted";
            return false;
        }
        bool ok = s.items[i].kind == RT_ITEM_GEXEC ? gexec(c, a, s.items[i].sql, err)
                                                   : exec1(c, a, s.items[i].sql, err);
        if (!ok)
            return false;
    }
    return true;
}

static bool pg_exec_one(rt_conn *c, zdm_arena *a, const char *sql, int64_t lock_timeout_ms,
                        const char **err)
{
    if (lock_timeout_ms > 0 &&
        !exec1(c, a, zdm_sprintf(a, "SET lock_timeout = '%lldms'", (long long)lock_timeout_ms), err))
        return false;
    return exec1(c, a, sql, err);
}

static bool pg_query(rt_conn *c, zdm_arena *a, const char *sql, int nparams,
                     const char *const *params, rt_rows *out, const char **err)
{
    PGresult *r = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    bool ok = result_ok(c, a, r, sql, err);
    memset(out, 0, sizeof *out);
    if (ok && PQresultStatus(r) == PGRES_TUPLES_OK) {
        out->nrows = (size_t)PQntuples(r);
        out->ncols = (size_t)PQnfields(r);
        out->cells = ZDM_NEW_ARRAY(a, const char *, out->nrows * out->ncols + 1);
        for (size_t i = 0; i < out->nrows; i++)
            for (size_t k = 0; k < out->ncols; k++)
                RT_CELL(out, i, k) = PQgetisnull(r, (int)i, (int)k)
                                         ? NULL : zdm_strdup(a, PQgetvalue(r, (int)i, (int)k));
    }
    if (ok)
        out->affected = strtoull(PQcmdTuples(r), NULL, 10); /* "" for a SELECT: 0 */
    PQclear(r);
    return ok;
}

static rt_err_kind pg_last_error(rt_conn *c)
{
    return c->err;
}

static long pg_session_id(rt_conn *c)
{
    return (long)PQbackendPID(c->pg);
}

static void pg_set_tick(rt_conn *c, rt_tick_fn tick, void *arg)
{
    c->tick = tick;
    c->tick_arg = arg;
}

static bool pg_reset(rt_conn *c, zdm_arena *a, const char **err)
{
    if (!exec1(c, a, "RESET ALL", err))
        return false;
    if (!session(c)) {
        *err = trimmed(a, PQerrorMessage(c->pg));
        return false;
    }
    return true;
}

/* Sessions holding locks on this database's own tables, longest transaction
 * first: who made a strong-lock step give up
 * (https://www.postgresql.org/docs/current/view-pg-locks.html,
 * https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW). */
static const char pg_lock_holders[] =
    "SELECT a.pid::text,"
    " string_agg(DISTINCT l.relation::regclass::text || ' ' || l.mode, ', '),"
    " coalesce(to_char(clock_timestamp() - a.xact_start, 'HH24:MI:SS'), '-'),"
    " coalesce(a.state, '-'), coalesce(a.usename::text, '-'), coalesce(a.application_name, '-'),"
    " left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 100)"
    " FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
    " JOIN pg_catalog.pg_class c ON c.oid = l.relation"
    " WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()"
    " AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
    " AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"
    " GROUP BY a.pid, a.xact_start, a.state, a.usename, a.application_name, a.query"
    " ORDER BY a.xact_start NULLS LAST LIMIT 10";

/* The native backfill's throttles and total: the largest replay lag of the
 * standbys (https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-VIEW),
 * the client sessions running a statement now, as gh-ost's Threads_running
 * (https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW;
 * sessions of other users count only when we may see their state, e.g. with
 * pg_read_all_stats), and the planner's row estimate
 * (https://www.postgresql.org/docs/current/catalog-pg-class.html; -1 when never
 * analyzed, on 14+). */
static const char pg_replica_lag[] =
    "SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_catalog.pg_stat_replication";
static const char pg_load[] =
    "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE state = 'active'"
    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()";
static const char pg_table_rows[] =
    "SELECT c.reltuples::bigint FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relname = $2 AND n.nspname = coalesce($1, current_schema())";
/* The sessions blocking the given session's lock request, from
 * pg_blocking_pids (hard blocks: they hold a conflicting lock; soft: they
 * wait ahead of it in the queue;
 * https://www.postgresql.org/docs/current/functions-info.html), with the
 * table locks each holds. The waiter may also wait for a transaction rather
 * than a table (a concurrent index build waits for every older one,
 * including, for a moment, the watcher's own query: never named). */
static const char pg_blockers[] =
    "SELECT a.pid::text,"
    " coalesce((SELECT string_agg(DISTINCT l.relation::regclass::text || ' ' || l.mode, ', ')"
    "   FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_class c ON c.oid = l.relation"
    "  WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation'"
    "    AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
    "    AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)),"
    "  'no table lock'),"
    " coalesce(to_char(clock_timestamp() - a.xact_start, 'HH24:MI:SS'), '-'),"
    " coalesce(a.state, '-'), coalesce(a.usename::text, '-'), coalesce(a.application_name, '-'),"
    " left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 100)"
    " FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1::int))"
    " AND a.pid <> pg_catalog.pg_backend_pid()"
    " ORDER BY a.xact_start NULLS LAST, a.pid LIMIT 10";

/* The state tables (docs/runtime.md), one statement each. */
static const char *const pg_state_ddl[] = {
    "SET client_min_messages = warning", /* no "already exists, skipping" */
    "CREATE SCHEMA IF NOT EXISTS zdm",
    "CREATE TABLE IF NOT EXISTS zdm.runs (\n"
    "    run_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "    plan text NOT NULL, command text NOT NULL, title text, target text,\n"
    "    started_at timestamptz NOT NULL DEFAULT clock_timestamp(), ended_at timestamptz,\n"
    "    resumed_from text, outcome text NOT NULL DEFAULT 'running')",
    "CREATE TABLE IF NOT EXISTS zdm.steps (\n"
    "    plan text NOT NULL, step text NOT NULL, phase text NOT NULL, title text,\n"
    "    started_at timestamptz, finished_at timestamptz, rolled_back_at timestamptz,\n"
    "    attempts int NOT NULL DEFAULT 0, run_id bigint, error text,\n"
    "    PRIMARY KEY (plan, step))",
    "CREATE TABLE IF NOT EXISTS zdm.checkpoints (\n"
    "    plan text NOT NULL, before_phase text NOT NULL,\n"
    "    passed_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
    "    PRIMARY KEY (plan, before_phase))",
    "CREATE TABLE IF NOT EXISTS zdm.backfills (\n"
    "    plan text NOT NULL, step text NOT NULL, hi text, cursor text,\n"
    "    rows_done bigint NOT NULL DEFAULT 0, batches bigint NOT NULL DEFAULT 0,\n"
    "    batch_size bigint NOT NULL, starts int NOT NULL DEFAULT 1,\n"
    "    started timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
    "    updated timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
    "    PRIMARY KEY (plan, step))",
    /* Added after the table existed: a state schema made by an older zdm gets them. */
    "ALTER TABLE zdm.backfills ADD COLUMN IF NOT EXISTS vacuums bigint NOT NULL DEFAULT 0,\n"
    "    ADD COLUMN IF NOT EXISTS vacuumed timestamptz",
    NULL,
};

/* The state table statements. The plan's lock is a session advisory lock,
 * so a killed run's lock goes with its session. */
static const rt_state_sql pg_state = {
    .ddl = pg_state_ddl,
    .exists = "SELECT to_regclass('zdm.steps') IS NOT NULL AND to_regclass('zdm.runs') IS NOT NULL"
              " AND to_regclass('zdm.checkpoints') IS NOT NULL",
    .lock = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
    .unlock = "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
    .run_begin = "INSERT INTO zdm.runs (plan, command, title, target) VALUES ($1, $2, $3, $4)"
                 " RETURNING run_id",
    .run_resumed = "UPDATE zdm.runs SET resumed_from = $2 WHERE run_id = $1 AND resumed_from IS NULL",
    .run_end = "UPDATE zdm.runs SET ended_at = clock_timestamp(), outcome = $2 WHERE run_id = $1",
    .steps = "SELECT step, started_at IS NOT NULL, finished_at IS NOT NULL,"
             " rolled_back_at IS NOT NULL, attempts, error,"
             " to_char(coalesce(rolled_back_at, finished_at, started_at), 'YYYY-MM-DD HH24:MI:SS')"
             " FROM zdm.steps WHERE plan = $1",
    .step_start =
        "INSERT INTO zdm.steps (plan, step, phase, title, run_id, started_at, attempts)"
        " VALUES ($1, $2, $3, $4, $5, clock_timestamp(), 1)"
        " ON CONFLICT (plan, step) DO UPDATE SET started_at = clock_timestamp(),"
        " finished_at = NULL, rolled_back_at = NULL, error = NULL, run_id = EXCLUDED.run_id,"
        " attempts = zdm.steps.attempts + 1",
    .step_finish = "UPDATE zdm.steps SET finished_at = clock_timestamp(), error = NULL WHERE plan = $1 AND step = $2",
    .step_fail = "UPDATE zdm.steps SET error = $3 WHERE plan = $1 AND step = $2",
    .step_retry = "UPDATE zdm.steps SET attempts = attempts + 1, error = $3 WHERE plan = $1 AND step = $2",
    .step_rolled_back = "UPDATE zdm.steps SET rolled_back_at = clock_timestamp(), error = NULL"
                        " WHERE plan = $1 AND step = $2",
    .checkpoints = "SELECT before_phase FROM zdm.checkpoints WHERE plan = $1",
    .checkpoint_pass = "INSERT INTO zdm.checkpoints (plan, before_phase) VALUES ($1, $2)"
                       " ON CONFLICT DO NOTHING",
    .checkpoints_clear = "DELETE FROM zdm.checkpoints WHERE plan = $1",
    .runs = "SELECT run_id::text, command, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS'),"
            " coalesce(resumed_from, ''), outcome FROM zdm.runs WHERE plan = $1"
            " ORDER BY run_id DESC LIMIT 5",
    .bf_get = "SELECT hi, cursor, rows_done::text, batches::text, batch_size::text, starts::text,"
              " vacuums::text FROM zdm.backfills WHERE plan = $1 AND step = $2",
    .bf_start = "INSERT INTO zdm.backfills (plan, step, hi, batch_size) VALUES ($1, $2, $3, $4::bigint)"
                " ON CONFLICT (plan, step) DO UPDATE SET hi = EXCLUDED.hi, cursor = NULL,"
                " rows_done = 0, batches = 0, batch_size = EXCLUDED.batch_size, starts = 1,"
                " vacuums = 0, vacuumed = NULL, started = clock_timestamp(), updated = clock_timestamp()",
    .bf_resume = "UPDATE zdm.backfills SET starts = starts + 1, updated = clock_timestamp()"
                 " WHERE plan = $1 AND step = $2",
    .bf_batch = "UPDATE zdm.backfills SET cursor = $3, rows_done = rows_done + $4::bigint,"
                " batches = batches + 1, batch_size = $5::bigint, updated = clock_timestamp()"
                " WHERE plan = $1 AND step = $2",
    .bf_list = "SELECT step, hi, cursor, rows_done::text, batches::text, batch_size::text,"
               " starts::text, to_char(updated, 'YYYY-MM-DD HH24:MI:SS'), vacuums::text,"
               " to_char(vacuumed, 'YYYY-MM-DD HH24:MI:SS') FROM zdm.backfills WHERE plan = $1 ORDER BY step",
    .bf_current = "SELECT 1 FROM zdm.backfills b JOIN zdm.steps s ON s.plan = b.plan AND s.step = $3"
                  " WHERE b.plan = $1 AND b.step = $2 AND b.started >= s.started_at",
    .bf_vacuum = "UPDATE zdm.backfills SET vacuums = vacuums + 1, vacuumed = clock_timestamp()"
                 " WHERE plan = $1 AND step = $2",
    .tx_begin = "BEGIN",
    .tx_commit = "COMMIT",
    .tx_rollback = "ROLLBACK",
    /* SET LOCAL through set_config, so the value is a parameter
     * (https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-SET). */
    .tx_lock_timeout = "SELECT set_config('lock_timeout', $1::text || 'ms', true)",
};

const rt_driver rt_driver_pg = {
    .dialect = "postgres",
    .accepts_url = pg_accepts_url,
    .connect = pg_connect,
    .close = pg_close,
    .where = pg_where,
    .server_version = pg_version,
    .exec_script = pg_exec_script,
    .exec_one = pg_exec_one,
    .query = pg_query,
    .reset = pg_reset,
    .last_error = pg_last_error,
    .interrupt = pg_interrupt,
    .lock_holders_sql = pg_lock_holders,
    .replica_lag_sql = pg_replica_lag,
    .load_sql = pg_load,
    .table_rows_sql = pg_table_rows,
    .blockers_sql = pg_blockers,
    .session_id = pg_session_id,
    .set_tick = pg_set_tick,
    .connect_aux = pg_connect_aux,
    .connect_worker = pg_connect_worker,
    .state = &pg_state,
    .target_name = "postgres",
};
