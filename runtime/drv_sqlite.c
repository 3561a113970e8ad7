/*
 * drv_sqlite.c - the SQLite runtime driver, over libsqlite3 (the only file
 * of zdm that includes sqlite3.h). `--db sqlite:PATH`.
 *
 * The plan's scripts are sqlite3-shell scripts; they run here exactly as
 * `sqlite3 -bail DB < script` runs them (sqlite_script.c splits them the way
 * the shell does), so the text a DBA reviews is the text that runs. The
 * shell's dot-commands the backend writes are honoured; any other one is
 * refused. What a script captures with `.output FILE` and runs with `.read
 * FILE` (a native ALTER's guard, the batch loop a SELECT generates from the
 * table, the pause after a batch) is kept in memory and run as a script, its
 * own dot-commands and captures included: nothing is written to the working
 * directory.
 *
 * The state tables live in the database itself (zdm_runs, zdm_steps,
 * zdm_checkpoints: SQLite has no schemas), so the record of what ran travels
 * with the file it describes. The plan's lock is a POSIX record lock
 * (fcntl F_SETLK) on a byte of PATH-zdmlock chosen by the plan's hash: the
 * kernel releases it when the process ends, even under kill -9
 * (https://pubs.opengroup.org/onlinepubs/9699919799/functions/fcntl.html).
 * SQLITE_BUSY is waited out by the connection's busy_timeout (the step's
 * `.timeout`), then retried with backoff while no transaction is open
 * (https://www.sqlite.org/c3ref/busy_timeout.html).
 */
#include "driver.h"
#include "sqlite_script.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SQLITE_DEFAULT_BUSY_MS 5000

struct rt_conn {
    sqlite3 *db;
    const char *path;
    int lock_fd;          /* PATH-zdmlock, open while a plan's lock is held */
    rt_err_kind err;      /* what the last error was */
    bool foreign_keys;    /* the connection's setting at connect: reset restores it */
    int changes_seen;     /* sqlite3_total_changes at the last yield */
    int yielded_ms;       /* slept with the lock free since the last write */
};

/* The open connection, for sqlite_interrupt from a signal handler
 * (sqlite3_interrupt only sets a flag the running statement checks:
 * https://www.sqlite.org/c3ref/interrupt.html). */
static sqlite3 *volatile open_db;
static volatile sig_atomic_t cancel_requested;

static void sqlite_interrupt(void)
{
    cancel_requested = 1;
    if (open_db)
        sqlite3_interrupt(open_db);
}

static bool sqlite_accepts_url(const char *url)
{
    return strncmp(url, "sqlite:", 7) == 0;
}

/* "sqlite:PATH" or "sqlite://PATH" -> PATH. */
static const char *url_path(const char *url)
{
    const char *p = url + 7;
    return strncmp(p, "//", 2) == 0 ? p + 2 : p;
}

/* ---- the plan's lock: SQL functions zdm_lock(plan), zdm_unlock(plan) ---- */

static off_t lock_byte(const char *plan)
{
    char hex[8] = {0};
    strncpy(hex, plan, 7);
    return (off_t)strtoul(hex, NULL, 16);
}

static bool set_lock(rt_conn *c, const char *plan, short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = lock_byte(plan);
    fl.l_len = 1;
    return fcntl(c->lock_fd, F_SETLK, &fl) == 0;
}

static void fn_lock(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    rt_conn *c = sqlite3_user_data(ctx);
    const char *plan = (const char *)sqlite3_value_text(argv[0]);
    (void)argc;
    if (c->lock_fd < 0) {
        char *p = sqlite3_mprintf("%s-zdmlock", c->path);
        c->lock_fd = p ? open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
        sqlite3_free(p);
    }
    if (c->lock_fd < 0) {
        sqlite3_result_error(ctx, "cannot open the lock file beside the database", -1);
        return;
    }
    sqlite3_result_text(ctx, plan && set_lock(c, plan, F_WRLCK) ? "t" : "f", -1, SQLITE_STATIC);
}

static void fn_unlock(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    rt_conn *c = sqlite3_user_data(ctx);
    const char *plan = (const char *)sqlite3_value_text(argv[0]);
    (void)argc;
    bool ok = c->lock_fd >= 0 && plan && set_lock(c, plan, F_UNLCK);
    sqlite3_result_text(ctx, ok ? "t" : "f", -1, SQLITE_STATIC);
}

/* zdm_busy_timeout(ms): the native backfill's lock timeout for its batch
 * (a PRAGMA takes no bound parameter). */
static void fn_busy_timeout(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    rt_conn *c = sqlite3_user_data(ctx);
    (void)argc;
    int ms = sqlite3_value_int(argv[0]);
    sqlite3_busy_timeout(c->db, ms > 0 ? ms : SQLITE_DEFAULT_BUSY_MS);
    sqlite3_result_int(ctx, ms);
}

/* ---- connection ---------------------------------------------------------- */

static int pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The database must exist: a mistyped path must not become an empty
 * database that every step then "migrates". */
static rt_conn *sqlite_connect(zdm_arena *a, const char *url, const char **err)
{
    if (!sqlite_accepts_url(url)) {
        *err = "a SQLite plan needs --db sqlite:PATH";
        return NULL;
    }
    const char *path = url_path(url);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        *err = zdm_sprintf(a, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    rt_conn *c = ZDM_NEW(a, rt_conn);
    c->db = db;
    c->path = zdm_strdup(a, path);
    c->lock_fd = -1;
    c->err = RT_ERR_OTHER;
    c->foreign_keys = pragma_int(db, "PRAGMA foreign_keys") != 0;
    sqlite3_busy_timeout(db, SQLITE_DEFAULT_BUSY_MS);
    sqlite3_extended_result_codes(db, 0);
    sqlite3_create_function(db, "zdm_lock", 1, SQLITE_UTF8, c, fn_lock, NULL, NULL);
    sqlite3_create_function(db, "zdm_unlock", 1, SQLITE_UTF8, c, fn_unlock, NULL, NULL);
    sqlite3_create_function(db, "zdm_busy_timeout", 1, SQLITE_UTF8, c, fn_busy_timeout, NULL,
                            NULL);
    open_db = db;
    return c;
}

static void sqlite_close(rt_conn *c)
{
    if (!c)
        return;
    open_db = NULL; /* before it is closed: a signal may come at any time */
    if (c->lock_fd >= 0)
        close(c->lock_fd); /* releases the plan's lock */
    sqlite3_close_v2(c->db);
}

static const char *sqlite_where(zdm_arena *a, rt_conn *c)
{
    return zdm_sprintf(a, "sqlite:%s (SQLite %s)", c->path, sqlite3_libversion());
}

/* 3.40.1 -> 3040: the registry's major*1000+minor (backends/registry.c). */
static unsigned sqlite_version(rt_conn *c)
{
    (void)c;
    int v = sqlite3_libversion_number();
    return (unsigned)(v / 1000000 * 1000 + v / 1000 % 1000);
}

/* ---- statements ---------------------------------------------------------- */

/* ALTER TABLE ... RENAME resolves every view and trigger of the schema
 * (3.25+) and names the first that fails ("error in view V: ..."); in a
 * plan that happens where a copy-swap re-creates what was made outside zdm
 * (backends/sqlite/sqlt_keep.c) or a native rename runs. */
static const char *schema_hint(const char *msg)
{
    if (strncmp(msg, "error in view ", 14) != 0 && strncmp(msg, "error in trigger ", 17) != 0)
        return "";
    return "\n  hint: that view or trigger names what this step removes or renames (SQLite "
           "checks every one when a table is renamed); the step changed nothing: alter or drop "
           "it, then run the step again";
}

static void fail(rt_conn *c, zdm_arena *a, int rc, const char *sql, const char **err)
{
    bool busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
    c->err = busy ? RT_ERR_LOCK : rc == SQLITE_INTERRUPT ? RT_ERR_CANCELED : RT_ERR_OTHER;
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    const char *nl = strchr(sql, '\n');
    size_t n = nl ? (size_t)(nl - sql) : strlen(sql);
    const char *msg = rc == SQLITE_INTERRUPT || cancel_requested ? "interrupted"
                      : busy
                          ? "database is locked: another connection held the write lock "
                            "past the busy timeout and the retries"
                          : sqlite3_errmsg(c->db);
    *err = zdm_sprintf(a, "%s\n  in: %.*s%s%s", msg, (int)(n > 100 ? 100 : n), sql,
                       n > 100 || nl ? " ..." : "", schema_hint(msg));
}

/* Retries of a statement that got SQLITE_BUSY while no transaction was open
 * (so nothing of it happened): 2 more attempts after 250 and 500 ms, each
 * with the busy_timeout's own wait, so a step waits about 3 times its
 * timeout for the write lock before it gives up. Inside a transaction BUSY
 * is not retried: the script's BEGIN IMMEDIATE already holds the lock. */
#define SQLITE_BUSY_RETRIES 2
#define SQLITE_BUSY_BACKOFF_MS 250

typedef void (*rows_fn)(void *arg, sqlite3_stmt *st);

static int step_all(rt_conn *c, sqlite3_stmt *st, rows_fn on_row, void *arg)
{
    bool was_autocommit = sqlite3_get_autocommit(c->db) != 0;
    for (int attempt = 0;; attempt++) {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (on_row)
                on_row(arg, st);
        if (rc == SQLITE_DONE)
            return SQLITE_OK;
        if (rc != SQLITE_BUSY || !was_autocommit || !sqlite3_get_autocommit(c->db) ||
            attempt >= SQLITE_BUSY_RETRIES || cancel_requested)
            return rc;
        sqlite3_reset(st);
        fprintf(stderr, "  zdm: the database write lock is held by another connection; "
                        "retry %d of %d\n", attempt + 1, SQLITE_BUSY_RETRIES);
        usleep((useconds_t)(SQLITE_BUSY_BACKOFF_MS << attempt) * 1000);
    }
}

/* SQLite's write lock has no queue: a writer waiting for it polls from its
 * busy handler, sleeping up to 100 ms between attempts
 * (sqliteDefaultBusyCallback), so transactions run back to back (a copy or
 * backfill in batches) can keep it out for the whole run. After a statement
 * that committed rows, the driver leaves the lock free for one poll
 * interval: a waiting writer then waits at most one batch plus that. */
#define SQLITE_YIELD_MS 100

static void yield_after_commit(rt_conn *c)
{
    int changes = sqlite3_total_changes(c->db);
    if (changes == c->changes_seen)
        return; /* a read (the pause's guard): what was slept still counts */
    c->yielded_ms = 0;
    if (sqlite3_get_autocommit(c->db)) {
        c->changes_seen = changes;
        usleep(SQLITE_YIELD_MS * 1000);
        c->yielded_ms = SQLITE_YIELD_MS;
    }
}

/* A script's own pause between batches (`.shell sleep S`, which the scripts
 * write only after a batch that changed rows): the lock has already been
 * free for what yield_after_commit slept since the last write, so only the
 * rest is slept; inside a transaction a pause would hold the lock, so none. */
static void script_sleep(rt_conn *c, int ms)
{
    if (ms > c->yielded_ms && sqlite3_get_autocommit(c->db))
        usleep((useconds_t)(ms - c->yielded_ms) * 1000);
    c->yielded_ms = ms > c->yielded_ms ? ms : c->yielded_ms;
}

/* Every statement of `sql` in order (the rows go to on_row). */
static bool exec_sql(rt_conn *c, zdm_arena *a, const char *sql, rows_fn on_row, void *arg,
                     const char **err)
{
    const char *tail = sql;
    while (*tail) {
        if (cancel_requested) {
            *err = "interrupted";
            return false;
        }
        sqlite3_stmt *st = NULL;
        const char *start = tail;
        int rc = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
        if (rc == SQLITE_OK && st)
            rc = step_all(c, st, on_row, arg);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            fail(c, a, rc, start, err);
            return false;
        }
        if (!st)
            break; /* only blanks and comments were left */
        yield_after_commit(c);
    }
    return true;
}

/* ---- scripts ------------------------------------------------------------- */

/* The files a script wrote with `.output FILE` (the guard, the batch loop,
 * the pause), kept in memory. */
typedef struct captured {
    const char *file;
    zdm_buf text;
    bool reading;         /* a .read of it is running: the shell would truncate it */
} captured;

typedef struct script_run {
    rt_conn *c;
    zdm_arena *a;
    zdm_vec(captured *) files;
    captured *out;        /* where rows go now; NULL: discarded, as stdout is */
} script_run;

/* A row as `.mode list` with `.headers off` prints it: values joined by '|',
 * NULL as the empty string. */
static void capture_row(void *arg, sqlite3_stmt *st)
{
    script_run *r = arg;
    if (!r->out)
        return;
    for (int i = 0; i < sqlite3_column_count(st); i++) {
        const unsigned char *v = sqlite3_column_text(st, i);
        if (i)
            zdm_buf_putc(&r->out->text, '|');
        zdm_buf_puts(&r->out->text, v ? (const char *)v : "");
    }
    zdm_buf_putc(&r->out->text, '\n');
}

static captured *find_file(script_run *r, const char *file)
{
    for (size_t i = 0; i < r->files.len; i++)
        if (strcmp(r->files.items[i]->file, file) == 0)
            return r->files.items[i];
    return NULL;
}

static bool run_text(script_run *r, const char *text, int depth, const char **err);

static bool run_item(script_run *r, const rt_sq_item *it, int depth, const char **err)
{
    captured *f;
    bool ok;
    switch (it->kind) {
    case RT_SQ_SQL:
        return exec_sql(r->c, r->a, it->text, capture_row, r, err);
    case RT_SQ_TIMEOUT:
        sqlite3_busy_timeout(r->c->db, it->ms);
        return true;
    case RT_SQ_CAPTURE: /* the shell truncates the file it opens */
        f = find_file(r, it->text);
        if (f && f->reading) {
            *err = zdm_sprintf(r->a, ".output %s: the file is being read (.read %s); the "
                                     "sqlite3 shell would truncate it under its reader",
                               it->text, it->text);
            return false;
        }
        if (!f) {
            f = ZDM_NEW(r->a, captured);
            f->file = it->text;
            zdm_vec_push(r->a, &r->files, f);
        }
        zdm_buf_init(&f->text, r->a);
        r->out = f;
        return true;
    case RT_SQ_CAPTURE_END:
        r->out = NULL;
        return true;
    case RT_SQ_SLEEP:
        script_sleep(r->c, it->ms);
        return true;
    case RT_SQ_READ:
        f = find_file(r, it->text);
        if (!f || r->out || depth > 4) {
            *err = zdm_sprintf(r->a, ".read %s: zdm run reads back only a file the same script "
                                     "wrote with .output and closed", it->text);
            return false;
        }
        f->reading = true;
        ok = run_text(r, zdm_buf_cstr(&f->text), depth + 1, err);
        f->reading = false;
        return ok;
    }
    return false;
}

static int complete(const char *sql)
{
    return sqlite3_complete(sql);
}

static bool run_text(script_run *r, const char *text, int depth, const char **err)
{
    rt_sq_script s;
    if (!rt_sq_split(r->a, text, complete, &s, err))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (cancel_requested) {
            *err = "interrupted";
            return false;
        }
        if (!run_item(r, &s.items[i], depth, err))
            return false;
    }
    return true;
}

static bool sqlite_exec_script(rt_conn *c, zdm_arena *a, const char *text, const char **err)
{
    c->err = RT_ERR_OTHER;
    c->changes_seen = sqlite3_total_changes(c->db); /* the state table's own writes */
    script_run r = {.c = c, .a = a};
    return run_text(&r, text, 0, err);
}

static bool sqlite_exec_one(rt_conn *c, zdm_arena *a, const char *sql, int64_t lock_timeout_ms,
                            const char **err)
{
    if (lock_timeout_ms > 0)
        sqlite3_busy_timeout(c->db, (int)lock_timeout_ms);
    return exec_sql(c, a, sql, NULL, NULL, err);
}

typedef struct collect {
    zdm_arena *a;
    zdm_vec(const char *) cells;
    size_t ncols;
} collect;

static void collect_row(void *arg, sqlite3_stmt *st)
{
    collect *k = arg;
    k->ncols = (size_t)sqlite3_column_count(st);
    for (int i = 0; i < (int)k->ncols; i++) {
        const unsigned char *v = sqlite3_column_text(st, i);
        const char *cell = v ? zdm_strdup(k->a, (const char *)v) : NULL;
        zdm_vec_push(k->a, &k->cells, cell);
    }
}

/* One statement; parameters bound as text to ?1, ?2, ... */
/* `sql` may hold several statements (a backfill batch that writes its
 * backup rows before its UPDATE): each gets the parameters it names, the
 * rows are the last result's, `affected` the last writing statement's. */
static bool sqlite_query(rt_conn *c, zdm_arena *a, const char *sql, int nparams,
                         const char *const *params, rt_rows *out, const char **err)
{
    memset(out, 0, sizeof *out);
    c->err = RT_ERR_OTHER;
    const char *tail = sql;
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && *tail) {
        sqlite3_stmt *st = NULL;
        const char *start = tail;
        rc = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
        if (rc == SQLITE_OK && !st)
            break; /* only blanks and comments were left */
        int n = rc == SQLITE_OK ? sqlite3_bind_parameter_count(st) : 0;
        for (int i = 0; rc == SQLITE_OK && i < nparams && i < n; i++)
            rc = params[i] ? sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT)
                           : sqlite3_bind_null(st, i + 1);
        collect k = {.a = a};
        if (rc == SQLITE_OK)
            rc = step_all(c, st, collect_row, &k);
        bool writes = st && !sqlite3_stmt_readonly(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            fail(c, a, rc, start, err);
            return false;
        }
        if (k.ncols) {
            out->ncols = k.ncols;
            out->nrows = k.cells.len / k.ncols;
            out->cells = k.cells.items;
        }
        if (writes)
            out->affected = (uint64_t)sqlite3_changes(c->db);
    }
    if (rc != SQLITE_OK) {
        fail(c, a, rc, sql, err);
        return false;
    }
    return true;
}

static rt_err_kind sqlite_last_error(rt_conn *c)
{
    return c->err;
}

/* SQLite cannot say which connection holds its write lock, so there is no
 * watcher: the tick is never called and no second connection is opened;
 * a step that gives up names "another connection" (sqlite_lock_holders). */
static long sqlite_session_id(rt_conn *c)
{
    (void)c;
    return (long)getpid();
}

static void sqlite_set_tick(rt_conn *c, rt_tick_fn tick, void *arg)
{
    (void)c, (void)tick, (void)arg;
}

static rt_conn *sqlite_connect_aux(zdm_arena *a, const char *url, const char **err)
{
    (void)a, (void)url;
    *err = "SQLite cannot name the connection that holds its write lock";
    return NULL;
}

/* What the shell's exit gives the next script: an open transaction rolled
 * back, the connection's own settings, no temp table of a script's (the
 * assertions, a copy-swap's kept objects). */
static bool sqlite_reset(rt_conn *c, zdm_arena *a, const char **err)
{
    rt_err_kind keep = c->err;
    if (!sqlite3_get_autocommit(c->db) && !exec_sql(c, a, "ROLLBACK", NULL, NULL, err))
        return false;
    sqlite3_busy_timeout(c->db, SQLITE_DEFAULT_BUSY_MS);
    bool ok = exec_sql(c, a,
                              c->foreign_keys ? "PRAGMA foreign_keys = ON; DROP TABLE IF EXISTS "
                                                "temp.zdm_assert; DROP TABLE IF EXISTS "
                                                "temp.zdm_keep"
                                              : "PRAGMA foreign_keys = OFF; DROP TABLE IF EXISTS "
                                                "temp.zdm_assert; DROP TABLE IF EXISTS "
                                                "temp.zdm_keep",
                              NULL, NULL, err);
    c->err = keep;
    return ok;
}

/* SQLite records no lock holders: the one thing it can say. Columns as
 * driver.h asks (pid, locks, transaction age, state, user, application,
 * query). */
static const char sqlite_lock_holders[] =
    "SELECT 'unknown (SQLite cannot name it)', 'another connection holds the database write "
    "lock', '-', '-', '-', '-', '-'";

/* The state tables (docs/runtime.md), one statement each. Times are UTC text
 * (SQLite has no timestamp type); booleans come back as 't'/'f' as the
 * runtime reads them. */
#define NOW "strftime('%Y-%m-%d %H:%M:%f', 'now')"
static const char *const sqlite_state_ddl[] = {
    "PRAGMA journal_mode = WAL", /* as every plan script's preamble sets it */
    "CREATE TABLE IF NOT EXISTS zdm_runs (\n"
    "    run_id INTEGER PRIMARY KEY,\n"
    "    plan TEXT NOT NULL, command TEXT NOT NULL, title TEXT, target TEXT,\n"
    "    started_at TEXT NOT NULL DEFAULT (" NOW "), ended_at TEXT,\n"
    "    resumed_from TEXT, outcome TEXT NOT NULL DEFAULT 'running')",
    "CREATE TABLE IF NOT EXISTS zdm_steps (\n"
    "    plan TEXT NOT NULL, step TEXT NOT NULL, phase TEXT NOT NULL, title TEXT,\n"
    "    started_at TEXT, finished_at TEXT, rolled_back_at TEXT,\n"
    "    attempts INTEGER NOT NULL DEFAULT 0, run_id INTEGER, error TEXT,\n"
    "    PRIMARY KEY (plan, step))",
    "CREATE TABLE IF NOT EXISTS zdm_checkpoints (\n"
    "    plan TEXT NOT NULL, before_phase TEXT NOT NULL,\n"
    "    passed_at TEXT NOT NULL DEFAULT (" NOW "),\n"
    "    PRIMARY KEY (plan, before_phase))",
    "CREATE TABLE IF NOT EXISTS zdm_backfills (\n"
    "    plan TEXT NOT NULL, step TEXT NOT NULL, hi TEXT, cursor TEXT,\n"
    "    rows_done INTEGER NOT NULL DEFAULT 0, batches INTEGER NOT NULL DEFAULT 0,\n"
    "    batch_size INTEGER NOT NULL, starts INTEGER NOT NULL DEFAULT 1,\n"
    "    started TEXT NOT NULL DEFAULT (" NOW "), updated TEXT NOT NULL DEFAULT (" NOW "),\n"
    "    PRIMARY KEY (plan, step))",
    NULL,
};

#define TF(x) "CASE WHEN " x " THEN 't' ELSE 'f' END"
static const rt_state_sql sqlite_state = {
    .ddl = sqlite_state_ddl,
    .exists = "SELECT " TF("(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                           "('zdm_runs', 'zdm_steps', 'zdm_checkpoints')) = 3"),
    .lock = "SELECT zdm_lock(?1)",
    .unlock = "SELECT zdm_unlock(?1)",
    .run_begin = "INSERT INTO zdm_runs (plan, command, title, target) VALUES (?1, ?2, ?3, ?4)"
                 " RETURNING run_id",
    .run_resumed = "UPDATE zdm_runs SET resumed_from = ?2"
                   " WHERE run_id = ?1 AND resumed_from IS NULL",
    .run_end = "UPDATE zdm_runs SET ended_at = " NOW ", outcome = ?2 WHERE run_id = ?1",
    .steps = "SELECT step, " TF("started_at IS NOT NULL") ", " TF("finished_at IS NOT NULL") ", "
             TF("rolled_back_at IS NOT NULL") ", attempts, error,"
             " substr(coalesce(rolled_back_at, finished_at, started_at), 1, 19)"
             " FROM zdm_steps WHERE plan = ?1",
    .step_start =
        "INSERT INTO zdm_steps (plan, step, phase, title, run_id, started_at, attempts)"
        " VALUES (?1, ?2, ?3, ?4, ?5, " NOW ", 1)"
        " ON CONFLICT (plan, step) DO UPDATE SET started_at = excluded.started_at,"
        " finished_at = NULL, rolled_back_at = NULL, error = NULL, run_id = excluded.run_id,"
        " attempts = zdm_steps.attempts + 1",
    .step_finish = "UPDATE zdm_steps SET finished_at = " NOW ", error = NULL"
                   " WHERE plan = ?1 AND step = ?2",
    .step_fail = "UPDATE zdm_steps SET error = ?3 WHERE plan = ?1 AND step = ?2",
    .step_retry = "UPDATE zdm_steps SET attempts = attempts + 1, error = ?3"
                  " WHERE plan = ?1 AND step = ?2",
    .step_rolled_back = "UPDATE zdm_steps SET rolled_back_at = " NOW ", error = NULL"
                        " WHERE plan = ?1 AND step = ?2",
    .checkpoints = "SELECT before_phase FROM zdm_checkpoints WHERE plan = ?1",
    .checkpoint_pass = "INSERT INTO zdm_checkpoints (plan, before_phase) VALUES (?1, ?2)"
                       " ON CONFLICT DO NOTHING",
    .checkpoints_clear = "DELETE FROM zdm_checkpoints WHERE plan = ?1",
    .runs = "SELECT CAST(run_id AS TEXT), command, substr(started_at, 1, 19),"
            " coalesce(resumed_from, ''), outcome FROM zdm_runs WHERE plan = ?1"
            " ORDER BY run_id DESC LIMIT 5",
    .bf_get = "SELECT hi, cursor, CAST(rows_done AS TEXT), CAST(batches AS TEXT),"
              " CAST(batch_size AS TEXT), CAST(starts AS TEXT)"
              " FROM zdm_backfills WHERE plan = ?1 AND step = ?2",
    .bf_start = "INSERT INTO zdm_backfills (plan, step, hi, batch_size) VALUES (?1, ?2, ?3, ?4)"
                " ON CONFLICT (plan, step) DO UPDATE SET hi = excluded.hi, cursor = NULL,"
                " rows_done = 0, batches = 0, batch_size = excluded.batch_size, starts = 1,"
                " started = " NOW ", updated = " NOW,
    .bf_resume = "UPDATE zdm_backfills SET starts = starts + 1, updated = " NOW
                 " WHERE plan = ?1 AND step = ?2",
    .bf_batch = "UPDATE zdm_backfills SET cursor = ?3, rows_done = rows_done + ?4,"
                " batches = batches + 1, batch_size = ?5, updated = " NOW
                " WHERE plan = ?1 AND step = ?2",
    .bf_list = "SELECT step, hi, cursor, CAST(rows_done AS TEXT), CAST(batches AS TEXT),"
               " CAST(batch_size AS TEXT), CAST(starts AS TEXT), substr(updated, 1, 19)"
               " FROM zdm_backfills WHERE plan = ?1 ORDER BY step",
    .bf_current = "SELECT 1 FROM zdm_backfills b JOIN zdm_steps s ON s.plan = b.plan AND s.step = ?3"
                  " WHERE b.plan = ?1 AND b.step = ?2 AND b.started >= s.started_at",
    /* Deferred: the batch's UPDATE takes the write lock, under the busy
     * timeout set just before it. */
    .tx_begin = "BEGIN",
    .tx_commit = "COMMIT",
    .tx_rollback = "ROLLBACK",
    .tx_lock_timeout = "SELECT zdm_busy_timeout(?1)",
};

/* No replicas and no server load to throttle on (one NULL: never over a
 * limit); the row estimate is ANALYZE's, when it ran (sqlite_stat1's first
 * number, https://www.sqlite.org/fileformat2.html#stat1tab). */
static const char sqlite_replica_lag[] = "SELECT NULL";
static const char sqlite_load[] = "SELECT NULL";
static const char sqlite_table_rows[] =
    "SELECT CAST(substr(stat, 1, instr(stat || ' ', ' ') - 1) AS INTEGER)"
    " FROM sqlite_schema s JOIN sqlite_stat1 t ON t.tbl = s.name"
    " WHERE s.type = 'table' AND s.name = ?2 AND ?1 IS NULL LIMIT 1";

const rt_driver rt_driver_sqlite = {
    .dialect = "sqlite",
    .accepts_url = sqlite_accepts_url,
    .connect = sqlite_connect,
    .close = sqlite_close,
    .where = sqlite_where,
    .server_version = sqlite_version,
    .exec_script = sqlite_exec_script,
    .exec_one = sqlite_exec_one,
    .query = sqlite_query,
    .reset = sqlite_reset,
    .last_error = sqlite_last_error,
    .replica_lag_sql = sqlite_replica_lag,
    .load_sql = sqlite_load,
    .table_rows_sql = sqlite_table_rows,
    .blockers_sql = sqlite_lock_holders,
    .session_id = sqlite_session_id,
    .set_tick = sqlite_set_tick,
    .connect_aux = sqlite_connect_aux,
    .interrupt = sqlite_interrupt,
    .lock_holders_sql = sqlite_lock_holders,
    .state = &sqlite_state,
    .target_name = "sqlite",
};
