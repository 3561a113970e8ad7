/*
 * drv_mysql.c - the MySQL and MariaDB runtime drivers, over libmariadb (the
 * only file of zdm that includes mysql.h). `--db mysql://user[:pass]@host
 * [:port]/db[?socket=PATH]` or `mariadb://...`; the plan's dialect ("mysql"
 * or "mariadb") must match the server's flavour.
 *
 * Scripts are the mariadb-client scripts the plan carries; they are split
 * as the client splits them (mysql_script.h, DELIMITER included) and sent one
 * statement per call, without CLIENT_MULTI_STATEMENTS, in autocommit;
 * automatic reconnect is off, so a lost connection is an error the runtime
 * sees (and reconnects from, taking the plan's lock again) rather than a
 * silent new session without the step's settings
 * (https://mariadb.com/kb/en/mysql_optionsv/).
 * Statements go through libmariadb's non-blocking API, waited for with
 * poll() in 100 ms slices, so the runtime's tick (the lock watcher) runs while
 * one waits, and a signal's interrupt() (which only sets a flag) is acted on
 * within 100 ms: the driver then sends `KILL QUERY id` on a connection of its
 * own (https://mariadb.com/kb/en/using-the-non-blocking-library/,
 * https://mariadb.com/kb/en/kill/).
 * Parameters are written ?1, ?2, ... (as for SQLite) and bound on the client
 * as escaped string literals (mysql_real_escape_string) or NULL; SQL that
 * compares them with a number casts them; ?i1 binds an integer (for LIMIT),
 * ?o1 the integer less one (an OFFSET: `LIMIT ?o3, 1` is the ?3-th row).
 * The plan's lock is GET_LOCK on a name derived from the plan's hash: it is
 * the session's, so a killed run's lock goes with its connection
 * (https://mariadb.com/kb/en/get_lock/).
 */
#include "driver.h"
#include "mysql_script.h"
#include "mysql_sql.h"
#include "mysql_url.h"

#include <errno.h>
#include <mysql.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

struct rt_conn {
    MYSQL *m;
    rt_my_url u;       /* for the kill connection; the password is never printed */
    bool aux, mariadb; /* aux: the watcher's, never interrupted */
    bool worker;       /* a walk's worker (side.c): the session's defaults, never interrupted */
    rt_err_kind err;   /* what the last error was */
    rt_tick_fn tick;
    void *tick_arg;
    MYSQL *killer;     /* opened at the first interrupt: sends KILL QUERY */
};

/* Interrupts asked for (by the signal handler) and acted on (KILL QUERY
 * sent on the open connection's behalf). */
static volatile sig_atomic_t cancel_requested;
static sig_atomic_t kills_sent;

static void my_interrupt(void)
{
    if (cancel_requested < 1000)
        cancel_requested++;
}

/* ---- URLs ------------------------------------------------------------------ */

static bool my_accepts(const char *url)
{
    return strncmp(url, "mysql://", 8) == 0;
}

static bool mdb_accepts(const char *url)
{
    return strncmp(url, "mariadb://", 10) == 0;
}

/* ---- connections ------------------------------------------------------------- */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TCP keepalives (probing after 10 s idle, every 5 s, 3 times), so a server
 * that went away is noticed within about half a minute even in the middle of
 * a long statement; libmariadb has no option for them. Unix sockets ignore
 * them. */
static void keepalive(MYSQL *m)
{
    int fd = (int)mysql_get_socket(m), on = 1, idle = 10, intvl = 5, cnt = 3;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0)
        return;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

/* A connected handle (NULL and *err, which never holds the password). */
static MYSQL *open_my(zdm_arena *a, const rt_my_url *u, const char **err)
{
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        *err = "out of memory";
        return NULL;
    }
    my_bool off = 0;
    unsigned timeout = 10;
    mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &off);
    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(m, MYSQL_OPT_NONBLOCK, 0);
    const char *host = u->host && *u->host ? u->host : NULL;
    if (!mysql_real_connect(m, host, u->user, u->pass, u->db, u->port, u->sock,
                            CLIENT_MULTI_RESULTS)) {
        *err = zdm_sprintf(a, "%s", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    keepalive(m);
    return m;
}

static bool simple(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql) != 0)
        return false;
    do {
        MYSQL_RES *r = mysql_store_result(m);
        mysql_free_result(r);
    } while (mysql_next_result(m) == 0);
    return mysql_errno(m) == 0;
}

/* Settings every statement of the runtime runs under. The watcher must never
 * wait itself: short lock waits and a statement time limit. */
static bool session(rt_conn *c)
{
    if (!c->aux)
        return simple(c->m, "SET SESSION autocommit = 1");
    return simple(c->m, c->mariadb ? "SET SESSION autocommit = 1, lock_wait_timeout = 1,"
                                     " innodb_lock_wait_timeout = 1, max_statement_time = 5"
                                   : "SET SESSION autocommit = 1, lock_wait_timeout = 1,"
                                     " innodb_lock_wait_timeout = 1, max_execution_time = 5000");
}

static rt_conn *connect_as(zdm_arena *a, const char *url, bool aux, bool want_mariadb,
                           const char **err)
{
    rt_my_url u;
    if (!rt_my_url_parse(a, url, &u, err))
        return NULL;
    MYSQL *m = open_my(a, &u, err);
    if (!m)
        return NULL;
    rt_conn *c = ZDM_NEW(a, rt_conn);
    memset(c, 0, sizeof *c);
    c->m = m;
    c->u = u;
    c->aux = aux;
    c->mariadb = strstr(mysql_get_server_info(m), "MariaDB") != NULL;
    if (c->mariadb != want_mariadb) {
        *err = zdm_sprintf(a, "the server is %s %s, not %s: use a %s:// URL and a plan "
                              "compiled with --target %s@VERSION",
                           c->mariadb ? "MariaDB" : "MySQL", mysql_get_server_info(m),
                           want_mariadb ? "MariaDB" : "MySQL", c->mariadb ? "mariadb" : "mysql",
                           c->mariadb ? "mariadb" : "mysql");
        mysql_close(m);
        return NULL;
    }
    if (!session(c)) {
        *err = zdm_sprintf(a, "%s", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return c;
}

static rt_conn *my_connect(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, false, false, err);
}

static rt_conn *mdb_connect(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, false, true, err);
}

static rt_conn *my_connect_aux(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, true, false, err);
}

static rt_conn *mdb_connect_aux(zdm_arena *a, const char *url, const char **err)
{
    return connect_as(a, url, true, true, err);
}

/* A connection for work beside the walk in another thread (side.c): like the
 * main one, but never the target of KILL QUERY on interrupt. */
static rt_conn *worker_of(rt_conn *c)
{
    if (c)
        c->worker = true;
    return c;
}

static rt_conn *my_connect_worker(zdm_arena *a, const char *url, const char **err)
{
    return worker_of(connect_as(a, url, false, false, err));
}

static rt_conn *mdb_connect_worker(zdm_arena *a, const char *url, const char **err)
{
    return worker_of(connect_as(a, url, false, true, err));
}

static void my_close(rt_conn *c)
{
    if (!c)
        return;
    if (c->killer)
        mysql_close(c->killer);
    mysql_close(c->m);
}

static const char *my_where(zdm_arena *a, rt_conn *c)
{
    const rt_my_url *u = &c->u;
    const char *at = u->sock ? zdm_sprintf(a, "(socket %s)", u->sock)
                             : zdm_sprintf(a, "%s:%u", u->host && *u->host ? u->host : "localhost",
                                           u->port ? u->port : 3306);
    return zdm_sprintf(a, "%s/%s as %s", at, u->db, u->user ? u->user : "(default user)");
}

/* 10.11.6 -> 10011, 8.0.36 -> 8000: the registry's major*1000+minor. */
static unsigned my_version(rt_conn *c)
{
    unsigned long v = mysql_get_server_version(c->m);
    return (unsigned)(v / 10000 * 1000 + v / 100 % 100);
}

/* ---- statements ---------------------------------------------------------------- */

/* The error's kind by its number (https://mariadb.com/kb/en/mariadb-error-codes/):
 * lock wait timeout 1205 and NOWAIT 3572; deadlock 1213; interrupted 1317,
 * MariaDB's max_statement_time 1969, MySQL's max_execution_time 3024; the
 * client's lost connection 2006, 2013, 2055, the server's 1927 (connection
 * killed) and 1053 (shutdown in progress). */
static rt_err_kind classify(unsigned no)
{
    switch (no) {
    case 1205: case 3572: return RT_ERR_LOCK;
    case 1213: return RT_ERR_DEADLOCK;
    case 1317: case 1969: case 3024: return RT_ERR_CANCELED;
    case 1053: case 1927: case 2002: case 2003: case 2006: case 2013: case 2055:
        return RT_ERR_CONNECTION;
    default: return RT_ERR_OTHER;
    }
}

static bool fail(rt_conn *c, zdm_arena *a, const char *sql, const char **err)
{
    unsigned no = mysql_errno(c->m);
    c->err = classify(no);
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    const char *nl = strchr(sql, '\n');
    size_t n = nl ? (size_t)(nl - sql) : strlen(sql);
    *err = zdm_sprintf(a, "ERROR %u (%s): %s\n  in: %.*s%s", no, mysql_sqlstate(c->m),
                       no ? mysql_error(c->m) : "the statement failed", (int)(n > 100 ? 100 : n),
                       sql, n > 100 || nl ? " ..." : "");
    return false;
}

/* KILL QUERY for the interrupts not yet acted on, from a connection of our
 * own (the statement's connection is busy). */
static void kill_pending(rt_conn *c)
{
    if (c->aux || c->worker || cancel_requested <= kills_sent)
        return;
    kills_sent = cancel_requested;
    if (!c->killer) {
        zdm_arena *a = zdm_arena_new();
        const char *err = NULL;
        c->killer = open_my(a, &c->u, &err);
        if (!c->killer)
            fprintf(stderr, "zdm: cannot open a connection to cancel the statement: %s\n", err);
        zdm_arena_free(a);
    }
    char q[64];
    snprintf(q, sizeof q, "KILL QUERY %lu", mysql_thread_id(c->m));
    if (c->killer && !simple(c->killer, q)) {
        fprintf(stderr, "zdm: %s failed: %s\n", q, mysql_error(c->killer));
        mysql_close(c->killer); /* the next interrupt opens a fresh one */
        c->killer = NULL;
    }
}

/* Waits for what libmariadb asked for (MYSQL_WAIT_* bits), ticking and acting
 * on interrupts every 100 ms; returns the bits that are ready. */
static int await(rt_conn *c, int status, double t0)
{
    double deadline = -1;
    if (status & MYSQL_WAIT_TIMEOUT)
        deadline = mono_s() + mysql_get_timeout_value_ms(c->m) / 1000.0;
    for (;;) {
        kill_pending(c);
        struct pollfd p = {.fd = (int)mysql_get_socket(c->m), .events = 0};
        if (status & MYSQL_WAIT_READ)
            p.events |= POLLIN;
        if (status & MYSQL_WAIT_WRITE)
            p.events |= POLLOUT;
        if (status & MYSQL_WAIT_EXCEPT)
            p.events |= POLLPRI;
        int n = poll(&p, 1, 100);
        if (n < 0 && errno != EINTR)
            return status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT);
        if (n > 0) {
            int r = 0;
            if (p.revents & (POLLIN | POLLHUP | POLLERR))
                r |= MYSQL_WAIT_READ;
            if (p.revents & POLLOUT)
                r |= MYSQL_WAIT_WRITE;
            if (p.revents & POLLPRI)
                r |= MYSQL_WAIT_EXCEPT;
            return r & status ? r & status : status & ~MYSQL_WAIT_TIMEOUT;
        }
        if (deadline >= 0 && mono_s() >= deadline)
            return MYSQL_WAIT_TIMEOUT;
        if (c->tick)
            c->tick(c->tick_arg, mono_s() - t0);
    }
}

/* Sends one statement and reads every result it returns (a CALL returns
 * one more). *keep (if keep) gets the first result set; *affected the first
 * result's row count. False on error (mysql_errno says which). */
static bool run_sql(rt_conn *c, const char *sql, MYSQL_RES **keep, uint64_t *affected)
{
    double t0 = mono_s();
    int ret = 0;
    int st = mysql_real_query_start(&ret, c->m, sql, (unsigned long)strlen(sql));
    while (st)
        st = mysql_real_query_cont(&ret, c->m, await(c, st, t0));
    if (ret)
        return false;
    for (bool first = true;; first = false) {
        MYSQL_RES *r = NULL;
        st = mysql_store_result_start(&r, c->m);
        while (st)
            st = mysql_store_result_cont(&r, c->m, await(c, st, t0));
        if (!r && mysql_field_count(c->m) != 0)
            return false;
        if (first && affected && !r)
            *affected = (uint64_t)mysql_affected_rows(c->m);
        if (r && keep && !*keep)
            *keep = r;
        else
            mysql_free_result(r);
        int more = -1;
        st = mysql_next_result_start(&more, c->m);
        while (st)
            st = mysql_next_result_cont(&more, c->m, await(c, st, t0));
        if (more > 0)
            return false;
        if (more < 0)
            return true;
    }
}

static bool exec1(rt_conn *c, zdm_arena *a, const char *sql, const char **err)
{
    if (run_sql(c, sql, NULL, NULL))
        return true;
    return fail(c, a, sql, err);
}

static bool my_exec_script(rt_conn *c, zdm_arena *a, const char *text, const char **err)
{
    rt_my_script s;
    c->err = RT_ERR_OTHER;
    if (!rt_my_split(a, text, &s, err))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (cancel_requested) {
            c->err = RT_ERR_CANCELED;
            *err = "interrupted";
            return false;
        }
        if (!exec1(c, a, s.stmts[i], err))
            return false;
    }
    return true;
}

static bool my_exec_one(rt_conn *c, zdm_arena *a, const char *sql, int64_t lock_timeout_ms,
                        const char **err)
{
    c->err = RT_ERR_OTHER;
    if (lock_timeout_ms > 0) {
        long long s = (lock_timeout_ms + 999) / 1000;
        if (!exec1(c, a, zdm_sprintf(a, "SET SESSION lock_wait_timeout = %lld,"
                                        " innodb_lock_wait_timeout = %lld", s, s), err))
            return false;
    }
    return exec1(c, a, sql, err);
}

/* ---- parameters ------------------------------------------------------------------ */

/* The end of the quoted text or comment starting at p, or p itself. */
static const char *skip_lexeme(const char *p)
{
    if (*p == '\'' || *p == '"' || *p == '`') {
        char q = *p++;
        while (*p && !(*p == q && p[1] != q)) {
            if (*p == '\\' && q != '`' && p[1])
                p++;
            else if (*p == q) /* doubled */
                p++;
            p++;
        }
        return *p ? p + 1 : p;
    }
    if (*p == '#' ||
        (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || p[2] == '\t' || p[2] == '\n'))) {
        while (*p && *p != '\n')
            p++;
        return p;
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *e = strstr(p + 2, "*/");
        return e ? e + 2 : p + strlen(p);
    }
    return p;
}

/* sql with each ?N (outside quotes and comments) replaced by parameter N as
 * an escaped string literal, each ?iN by parameter N as an integer (LIMIT
 * takes no expression) and each ?oN by that integer less one (at least 0),
 * NULL for a NULL parameter. */
static const char *bind_params(rt_conn *c, zdm_arena *a, const char *sql, int n,
                               const char *const *params, const char **err)
{
    zdm_buf b;
    zdm_buf_init(&b, a);
    for (const char *p = sql; *p;) {
        const char *e = skip_lexeme(p);
        if (e != p) {
            zdm_buf_put(&b, p, (size_t)(e - p));
            p = e;
            continue;
        }
        if (*p != '?') {
            zdm_buf_putc(&b, *p++);
            continue;
        }
        bool offset = p[1] == 'o', integer = p[1] == 'i' || offset;
        const char *num = p + 1 + integer;
        char *end;
        long k = strtol(num, &end, 10);
        if (end == num || k < 1 || k > n) {
            c->err = RT_ERR_OTHER;
            *err = zdm_sprintf(a, "parameter %.*s of a statement given %d: %s", (int)(end - p), p,
                               n, sql);
            return NULL;
        }
        const char *v = params[k - 1];
        if (!v) {
            zdm_buf_puts(&b, "NULL");
        } else if (integer) {
            char *ve;
            long long x = strtoll(v, &ve, 10);
            if (ve == v || *ve) {
                c->err = RT_ERR_OTHER;
                *err = zdm_sprintf(a, "parameter ?%c%ld is not an integer: '%s'",
                                   offset ? 'o' : 'i', k, v);
                return NULL;
            }
            zdm_buf_printf(&b, "%lld", offset ? (x > 0 ? x - 1 : 0) : x);
        } else {
            size_t len = strlen(v);
            char *esc = zdm_alloc(a, 2 * len + 1);
            mysql_real_escape_string(c->m, esc, v, (unsigned long)len);
            zdm_buf_printf(&b, "'%s'", esc);
        }
        p = end;
    }
    return zdm_buf_cstr(&b);
}

static void copy_rows(zdm_arena *a, MYSQL_RES *r, rt_rows *out)
{
    out->nrows = (size_t)mysql_num_rows(r);
    out->ncols = mysql_num_fields(r);
    out->cells = ZDM_NEW_ARRAY(a, const char *, out->nrows * out->ncols + 1);
    MYSQL_ROW row;
    for (size_t i = 0; (row = mysql_fetch_row(r)) != NULL; i++) {
        unsigned long *len = mysql_fetch_lengths(r);
        for (size_t k = 0; k < out->ncols; k++)
            RT_CELL(out, i, k) = row[k] ? zdm_strndup(a, row[k], len[k]) : NULL;
    }
}

static bool is_insert(const char *sql)
{
    while (*sql == ' ' || *sql == '\n')
        sql++;
    return strncasecmp(sql, "INSERT", 6) == 0;
}

/* One statement with ?N parameters. An INSERT that generated an
 * AUTO_INCREMENT value returns it as its one row (what RETURNING gives
 * elsewhere: MySQL has no INSERT ... RETURNING). NULL sql: a query this
 * server cannot answer (the replica lag, docs/runtime.md). A success leaves
 * the last error's kind as it was (backfill.c reads it after its ROLLBACK). */
static bool my_query(rt_conn *c, zdm_arena *a, const char *sql, int nparams,
                     const char *const *params, rt_rows *out, const char **err)
{
    memset(out, 0, sizeof *out);
    if (!sql) {
        c->err = RT_ERR_OTHER;
        *err = "not available on MySQL/MariaDB";
        return false;
    }
    const char *q = bind_params(c, a, sql, nparams, params, err);
    if (!q)
        return false;
    MYSQL_RES *r = NULL;
    uint64_t affected = 0;
    if (!run_sql(c, q, &r, &affected)) {
        mysql_free_result(r);
        return fail(c, a, sql, err);
    }
    if (r) {
        copy_rows(a, r, out);
        mysql_free_result(r);
    } else {
        out->affected = affected;
        if (is_insert(sql) && mysql_insert_id(c->m) != 0) {
            out->nrows = out->ncols = 1;
            out->cells = ZDM_NEW_ARRAY(a, const char *, 1);
            out->cells[0] = zdm_sprintf(a, "%llu", (unsigned long long)mysql_insert_id(c->m));
        }
    }
    return true;
}

static rt_err_kind my_last_error(rt_conn *c)
{
    return c->err;
}

static long my_session_id(rt_conn *c)
{
    return (long)mysql_thread_id(c->m);
}

static void my_set_tick(rt_conn *c, rt_tick_fn tick, void *arg)
{
    c->tick = tick;
    c->tick_arg = arg;
}

/* What the client's exit gives the next script: an open transaction rolled
 * back, the settings a step's script may change back at their defaults (the
 * session is kept: it holds the plan's lock). */
static bool my_reset(rt_conn *c, zdm_arena *a, const char **err)
{
    rt_err_kind keep = c->err;
    const char *defaults =
        c->mariadb ? "SET SESSION sql_mode = DEFAULT, lock_wait_timeout = DEFAULT,"
                     " innodb_lock_wait_timeout = DEFAULT, foreign_key_checks = DEFAULT,"
                     " unique_checks = DEFAULT, max_statement_time = DEFAULT"
                   : "SET SESSION sql_mode = DEFAULT, lock_wait_timeout = DEFAULT,"
                     " innodb_lock_wait_timeout = DEFAULT, foreign_key_checks = DEFAULT,"
                     " unique_checks = DEFAULT, max_execution_time = DEFAULT";
    bool ok = exec1(c, a, "ROLLBACK", err) && exec1(c, a, defaults, err);
    if (ok && !session(c))
        ok = fail(c, a, "SET SESSION autocommit = 1", err);
    if (ok)
        c->err = keep;
    return ok;
}

#define MY_COMMON                                                                            \
    .close = my_close, .where = my_where, .server_version = my_version,                      \
    .exec_script = my_exec_script, .exec_one = my_exec_one, .query = my_query,               \
    .reset = my_reset, .last_error = my_last_error, .interrupt = my_interrupt,               \
    .lock_holders_sql = rt_my_lock_holders, .replica_lag_sql = NULL,                         \
    .load_sql = rt_my_load, .table_rows_sql = rt_my_table_rows,                              \
    .blockers_sql = rt_my_blockers, .session_id = my_session_id, .set_tick = my_set_tick,    \
    .state = &rt_my_state

const rt_driver rt_driver_mysql = {
    .dialect = "mysql",
    .accepts_url = my_accepts,
    .connect = my_connect,
    .connect_aux = my_connect_aux,
    .connect_worker = my_connect_worker,
    .target_name = "mysql",
    MY_COMMON,
};

const rt_driver rt_driver_mariadb = {
    .dialect = "mariadb",
    .accepts_url = mdb_accepts,
    .connect = mdb_connect,
    .connect_aux = mdb_connect_aux,
    .connect_worker = mdb_connect_worker,
    .target_name = "mariadb",
    MY_COMMON,
};
