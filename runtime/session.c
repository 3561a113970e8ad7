/*
 * session.c - what every runtime command does first and last: options, the
 * plan, the driver and its connection, the version check, the state tables
 * and the plan's lock, and the helpers the commands share (state queries,
 * checks, confirmation).
 */
#include "rt_int.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RT_STATE_LOCK_TIMEOUT_MS 5000

static int usage(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "zdm %s: error: %s%s%s\n", cmd, msg, arg ? " " : "", arg ? arg : "");
    fprintf(stderr, "usage: zdm run DIR [--db URL] [--phase NAME] [--until NAME] [--yes]\n"
                    "               [--reconnect-timeout SECONDS]\n"
                    "               [--batch-ms LO-HI] [--pause MS] [--max-replica-lag SECONDS]\n"
                    "               [--max-load N] [--vacuum-every PERCENT]\n"
                    "       zdm status DIR [--db URL]\n"
                    "       zdm rollback DIR [--db URL] [--yes] [--reconnect-timeout SECONDS]\n"
                    "               [--batch-ms LO-HI] [--pause MS] [--max-replica-lag SECONDS]\n"
                    "               [--max-load N] [--vacuum-every PERCENT]\n"
                    "  DIR is a `zdm compile` output directory (it holds plan.json)\n"
                    "  URL is a libpq connection string or URI (without it, PGHOST, PGDATABASE, ...),\n"
                    "  or sqlite:PATH for a SQLite database file\n");
    return 0;
}

static bool opt_value(int argc, char **argv, int *i, const char *name, const char **out)
{
    size_t n = strlen(name);
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc) {
        *out = argv[++*i];
        return true;
    }
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        return true;
    }
    return false;
}

/* A number >= 0 with nothing after it. */
static bool number(const char *v, double *out)
{
    char *end = NULL;
    *out = strtod(v, &end);
    return end != v && *end == '\0' && *out >= 0 && *out < 1e12;
}

static int bad(const char *cmd, const char *msg, const char *arg)
{
    usage(cmd, msg, arg);
    return -1;
}

/* --batch-ms LO-HI, --pause MS, --max-replica-lag SECONDS, --max-load N,
 * --vacuum-every PERCENT.
 * 1: taken, 0: not one of these, -1: a bad value (printed). */
static int backfill_opt(const char *cmd, int argc, char **argv, int *i, rt_opts *o)
{
    const char *v = NULL;
    double x = 0, y = 0;
    if (opt_value(argc, argv, i, "--batch-ms", &v)) {
        const char *dash = strchr(v, '-');
        char lo[32];
        if (!dash || (size_t)(dash - v) >= sizeof lo)
            return bad(cmd, "--batch-ms wants LO-HI milliseconds, e.g. 100-200:", v);
        memcpy(lo, v, (size_t)(dash - v));
        lo[dash - v] = '\0';
        if (!number(lo, &x) || !number(dash + 1, &y) || x < 1 || y < x)
            return bad(cmd, "--batch-ms wants LO-HI milliseconds with 1 <= LO <= HI:", v);
        o->batch_lo_ms = x;
        o->batch_hi_ms = y;
    } else if (opt_value(argc, argv, i, "--pause", &v)) {
        if (!number(v, &x))
            return bad(cmd, "--pause wants milliseconds:", v);
        o->pause_ms = (int64_t)x;
    } else if (opt_value(argc, argv, i, "--max-replica-lag", &v)) {
        if (!number(v, &x))
            return bad(cmd, "--max-replica-lag wants seconds:", v);
        o->max_lag_s = x;
    } else if (opt_value(argc, argv, i, "--max-load", &v)) {
        if (!number(v, &x) || x != (double)(long)x)
            return bad(cmd, "--max-load wants a whole number of sessions:", v);
        o->max_load = (long)x;
    } else if (opt_value(argc, argv, i, "--vacuum-every", &v)) {
        if (!number(v, &x) || x > 100)
            return bad(cmd, "--vacuum-every wants a percentage of the walk from 0 (never) to 100:", v);
        o->vacuum_pct = x;
    } else
        return 0;
    return 1;
}

bool rt_parse_opts(const char *cmd, int argc, char **argv, const char *allowed, rt_opts *o)
{
    memset(o, 0, sizeof *o);
    o->db = "";
    o->batch_lo_ms = 100;
    o->batch_hi_ms = 200;
    o->pause_ms = -1;
    o->max_lag_s = -1;
    o->max_load = -1;
    o->vacuum_pct = RT_VACUUM_EVERY_DEFAULT;
    o->reconnect_s = strchr(allowed, 'r') ? RT_RECONNECT_DEFAULT_S : 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        if (opt_value(argc, argv, &i, "--db", &o->db))
            continue;
        int b = strchr(allowed, 'b') ? backfill_opt(cmd, argc, argv, &i, o) : 0;
        if (b < 0)
            return false;
        if (b > 0)
            continue;
        if (strchr(allowed, 'r') && opt_value(argc, argv, &i, "--reconnect-timeout", &v)) {
            char *end;
            o->reconnect_s = strtod(v, &end);
            if (end == v || *end || !(o->reconnect_s >= 0 && o->reconnect_s <= 86400))
                return usage(cmd, "--reconnect-timeout wants seconds from 0 to 86400, not", v);
            continue;
        }
        if (strchr(allowed, 'p') && opt_value(argc, argv, &i, "--phase", &o->phase))
            continue;
        if (strchr(allowed, 'u') && opt_value(argc, argv, &i, "--until", &o->until))
            continue;
        if (strchr(allowed, 'y') && strcmp(a, "--yes") == 0) {
            o->yes = true;
            continue;
        }
        if (a[0] == '-' && a[1])
            return usage(cmd, "unknown option or missing value:", a);
        if (o->dir)
            return usage(cmd, "more than one directory given:", a);
        o->dir = a;
    }
    if (!o->dir)
        return usage(cmd, "no plan directory given", NULL);
    if (o->phase && o->until)
        return usage(cmd, "--phase and --until cannot be combined", NULL);
    return true;
}

static int check_phase_opt(rt_session *s, const char *opt, const char *name)
{
    if (!name || rt_plan_phase(s->p, name) >= 0)
        return RT_EXIT_DONE;
    fprintf(stderr, "zdm: error: %s %s: the plan has no such phase; its phases are:", opt, name);
    for (size_t i = 0; i < s->p->nphases; i++)
        fprintf(stderr, " %s", s->p->phases[i]);
    fputc('\n', stderr);
    return RT_EXIT_USAGE;
}

/* "15", or "3.40" for a major*1000+minor version (backends/registry.c). */
static const char *version_name(zdm_arena *a, unsigned v)
{
    return v >= 1000 ? zdm_sprintf(a, "%u.%u", v / 1000, v % 1000) : zdm_sprintf(a, "%u", v);
}

static int check_version(rt_session *s)
{
    unsigned have = s->d->server_version(s->c);
    if (have >= s->p->version)
        return RT_EXIT_DONE;
    const char *name = version_name(s->a, have);
    fprintf(stderr, "zdm: error: the plan was compiled for %s but the server runs version %s\n"
                    "  hint: compile the migration for this server and run that plan:\n    ",
            s->p->target, name);
    fprintf(stderr, "zdm compile %s --target %s@%s\n", s->p->source, s->d->target_name, name);
    return RT_EXIT_FAILED;
}

static volatile sig_atomic_t interrupted, soft;
static void (*volatile interrupt_driver)(void);

static void on_signal(int sig)
{
    (void)sig;
    if (interrupted < 2)
        interrupted++;
    if (interrupt_driver && (!soft || interrupted > 1))
        interrupt_driver();
}

void rt_signals_soft(bool on)
{
    soft = on;
}

/* SIGINT and SIGTERM stop the command cleanly: the running statement is
 * cancelled, the step stays recorded as started, and the command exits with
 * 3. While a native backfill batch runs (rt_signals_soft) the first signal
 * only asks to stop, so the batch commits with its cursor; a second one
 * cancels it (it rolls back, the committed ones stay). */
static void catch_signals(const rt_driver *d)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupt_driver = d->interrupt;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool rt_interrupted(void)
{
    return interrupted != 0;
}

double rt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool rt_sleep(double secs)
{
    double end = rt_now() + secs;
    while (!interrupted) {
        double left = end - rt_now();
        if (left <= 0)
            return true;
        usleep((useconds_t)((left < 0.1 ? left : 0.1) * 1e6));
    }
    return false;
}

/* The plan's lock: one runtime command per plan at a time. A killed run's
 * session (or, after a reconnect, our own old one) can take a moment to
 * end, so wait up to `wait_s` for it. */
static bool take_lock(rt_session *s, double wait_s)
{
    const char *params[] = {s->p->hash};
    for (int tries = 0; tries < 1 + (int)(wait_s * 2); tries++) {
        rt_rows r;
        if (!rt_q(s, s->d->state->lock, 1, params, &r))
            return false;
        if (r.nrows == 1 && RT_CELL(&r, 0, 0) && strcmp(RT_CELL(&r, 0, 0), "t") == 0) {
            s->locked = true;
            return true;
        }
        if (tries == 0)
            fprintf(stderr, "zdm: another session runs this plan; waiting up to %.0f s for it to end\n",
                    wait_s);
        if (!rt_sleep(0.5))
            return false;
    }
    fprintf(stderr, "zdm: error: another zdm session is running this plan (plan %.12s)\n", s->p->hash);
    return false;
}

/* The state tables, each statement under a lock timeout: a session holding
 * them (a DBA's LOCK, a long dump) makes the command fail, not hang. */
static bool make_state(rt_session *s)
{
    const char *err = NULL;
    for (const char *const *q = s->d->state->ddl; *q; q++)
        if (!s->d->exec_one(s->c, s->a, *q, RT_STATE_LOCK_TIMEOUT_MS, &err)) {
            fprintf(stderr, "zdm: error: cannot create the state tables: %s\n", err);
            return false;
        }
    if (!s->d->reset(s->c, s->a, &err)) {
        fprintf(stderr, "zdm: error: %s\n", err);
        return false;
    }
    return true;
}

int rt_open(rt_session *s, bool create_state)
{
    const char *err = NULL;
    s->p = rt_plan_read(s->a, s->o.dir, &err);
    if (!s->p) {
        fprintf(stderr, "zdm: error: %s\n", err);
        return RT_EXIT_USAGE;
    }
    int rc = check_phase_opt(s, "--phase", s->o.phase);
    if (rc == RT_EXIT_DONE)
        rc = check_phase_opt(s, "--until", s->o.until);
    if (rc != RT_EXIT_DONE)
        return rc;
    s->d = rt_driver_find(s->p->dialect);
    if (!s->d) {
        fprintf(stderr, "zdm: error: no runtime driver for %s plans yet; run the scripts with the "
                        "dialect's client as plan.md says\n", s->p->dialect);
        return RT_EXIT_USAGE;
    }
    s->c = s->d->connect(s->a, s->o.db, &err);
    if (!s->c) {
        fprintf(stderr, "zdm: error: cannot connect: %s\n", err);
        return RT_EXIT_FAILED;
    }
    catch_signals(s->d);
    srand((unsigned)time(NULL) ^ (unsigned)getpid()); /* the jitter of retries */
    rc = check_version(s);
    if (rc != RT_EXIT_DONE)
        return rc;
    if (create_state) {
        if (!make_state(s))
            return RT_EXIT_FAILED;
        if (!take_lock(s, 20))
            return RT_EXIT_FAILED;
    }
    return rt_load_state(s) ? RT_EXIT_DONE : RT_EXIT_FAILED;
}

void rt_close(rt_session *s)
{
    interrupt_driver = NULL;
    rt_watch_close(s);
    if (s->c && s->locked && !s->gone) {
        const char *params[] = {s->p->hash};
        rt_rows r;
        rt_q(s, s->d->state->unlock, 1, params, &r);
    }
    if (s->c)
        s->d->close(s->c);
    s->c = NULL;
}

bool rt_conn_lost(const rt_session *s)
{
    return !s->c || s->d->last_error(s->c) == RT_ERR_CONNECTION;
}

bool rt_query(rt_session *s, const char *sql, int n, const char *const *params, rt_rows *out,
              const char **err)
{
    rt_rows dummy;
    if (!s->c) {
        *err = "not connected (the server did not come back)";
        return false;
    }
    if (s->d->query(s->c, s->a, sql, n, params, out ? out : &dummy, err))
        return true;
    if (!rt_conn_lost(s) || !rt_reconnect(s))
        return false;
    return s->d->query(s->c, s->a, sql, n, params, out ? out : &dummy, err);
}

bool rt_q(rt_session *s, const char *sql, int n, const char *const *params, rt_rows *out)
{
    const char *err = NULL;
    if (rt_query(s, sql, n, params, out, &err))
        return true;
    fprintf(stderr, "zdm: error: the state table: %s\n", err);
    return false;
}

/* Backoff between connection attempts: 0.5 s doubling to 5 s, jittered. */
static bool reconnect_loop(rt_session *s, double t0, const char **err)
{
    double delay = 0.5;
    for (;;) {
        s->c = s->d->connect(s->a, s->o.db, err);
        if (s->c)
            return true;
        double left = s->o.reconnect_s - (rt_now() - t0);
        if (left <= 0 || interrupted)
            return false;
        double d = delay * (0.5 + (double)rand() / RAND_MAX / 2);
        if (!rt_sleep(d < left ? d : left))
            return false;
        delay = delay * 2 < 5 ? delay * 2 : 5;
    }
}

bool rt_reconnect(rt_session *s)
{
    if (s->reconnecting || s->gone || s->o.reconnect_s <= 0 || interrupted)
        return false;
    s->reconnecting = true;
    fprintf(stderr, "zdm: the connection to the server was lost; reconnecting for up to %.0f s "
                    "(--reconnect-timeout)\n", s->o.reconnect_s);
    rt_watch_close(s);
    if (s->c)
        s->d->close(s->c);
    s->c = NULL;
    s->locked = false;
    double t0 = rt_now();
    const char *err = "interrupted";
    bool ok = reconnect_loop(s, t0, &err);
    if (ok) {
        double left = s->o.reconnect_s - (rt_now() - t0);
        ok = take_lock(s, left > 1 ? left : 1);
        err = "the plan's lock is still held (by the lost session?)";
    }
    s->reconnecting = false;
    if (!ok) {
        s->gone = true;
        if (interrupted)
            fprintf(stderr, "zdm: interrupted while reconnecting\n");
        else
            fprintf(stderr, "zdm: error: could not reconnect within %.0f s: %s\n", s->o.reconnect_s, err);
        return false;
    }
    printf("zdm: reconnected to %s after %.1f s; the plan's lock is taken again\n",
           s->d->where(s->a, s->c), rt_now() - t0);
    fflush(stdout);
    return true;
}

static rt_state parse_state(const char *started, const char *finished, const char *rolled)
{
    if (rolled && strcmp(rolled, "t") == 0)
        return RT_ROLLED_BACK;
    if (finished && strcmp(finished, "t") == 0)
        return RT_FINISHED;
    if (started && strcmp(started, "t") == 0)
        return RT_STARTED;
    return RT_PENDING;
}

bool rt_load_state(rt_session *s)
{
    const rt_plan *p = s->p;
    s->st = ZDM_NEW_ARRAY(s->a, rt_step_state, p->nsteps + 1);
    memset(s->st, 0, sizeof(rt_step_state) * (p->nsteps + 1));
    s->passed = ZDM_NEW_ARRAY(s->a, bool, p->ncheckpoints + 1);
    memset(s->passed, 0, sizeof(bool) * (p->ncheckpoints + 1));
    rt_rows r;
    if (!rt_q(s, s->d->state->exists, 0, NULL, &r))
        return false;
    if (r.nrows != 1 || !RT_CELL(&r, 0, 0) || strcmp(RT_CELL(&r, 0, 0), "t") != 0)
        return true; /* nothing has ever run on this database */
    s->has_state = true;
    const char *params[] = {p->hash};
    if (!rt_q(s, s->d->state->steps, 1, params, &r))
        return false;
    for (size_t i = 0; i < r.nrows; i++)
        for (size_t k = 0; k < p->nsteps; k++)
            if (strcmp(p->steps[k].id, RT_CELL(&r, i, 0)) == 0) {
                s->st[k].state = parse_state(RT_CELL(&r, i, 1), RT_CELL(&r, i, 2), RT_CELL(&r, i, 3));
                s->st[k].attempts = atoi(RT_CELL(&r, i, 4) ? RT_CELL(&r, i, 4) : "0");
                s->st[k].error = RT_CELL(&r, i, 5);
                s->st[k].when = RT_CELL(&r, i, 6);
            }
    if (!rt_q(s, s->d->state->checkpoints, 1, params, &r))
        return false;
    for (size_t i = 0; i < r.nrows; i++)
        for (size_t k = 0; k < p->ncheckpoints; k++)
            if (strcmp(p->checkpoints[k].before, RT_CELL(&r, i, 0)) == 0)
                s->passed[k] = true;
    return true;
}

bool rt_begin_run(rt_session *s, const char *command)
{
    const char *params[] = {s->p->hash, command, s->p->title, s->p->target};
    rt_rows r;
    if (!rt_q(s, s->d->state->run_begin, 4, params, &r) || r.nrows != 1)
        return false;
    s->run_id = RT_CELL(&r, 0, 0);
    return true;
}

void rt_end_run(rt_session *s, const char *outcome)
{
    if (!s->run_id || !s->c || s->gone)
        return; /* a run whose server went away stays `running` in zdm.runs */
    const char *params[] = {s->run_id, outcome};
    rt_q(s, s->d->state->run_end, 2, params, NULL);
}

/* The newest invocation on this plan is a rollback that did not end "rolled
 * back" (interrupted, failed, killed: no outcome) while steps it has not
 * reversed yet still stand. A forward run from there would skip the step
 * whose rollback was cut short (it is still recorded done, half reversed:
 * a restore walk that put back some of the old values), so it is refused. */
bool rt_rollback_unfinished(rt_session *s)
{
    bool any = false;
    for (size_t i = 0; i < s->p->nsteps; i++)
        any |= rt_ran(s->st[i].state);
    rt_rows r;
    const char *params[] = {s->p->hash};
    if (!any || !s->has_state || !rt_q(s, s->d->state->runs, 1, params, &r) || r.nrows == 0)
        return false;
    const char *cmd = RT_CELL(&r, 0, 1), *outcome = RT_CELL(&r, 0, 4);
    return cmd && strcmp(cmd, "rollback") == 0 && (!outcome || strcmp(outcome, "rolled back") != 0);
}

bool rt_verify(rt_session *s, bool pre)
{
    const char *what = pre ? "verify_pre" : "verify_post";
    const char *err = NULL;
    size_t n = 0, bad = 0;
    for (size_t i = 0; i < s->p->nsteps; i++) {
        const rt_step *st = &s->p->steps[i];
        const rt_check *c = pre ? st->pre : st->post;
        for (size_t k = 0; k < (pre ? st->npre : st->npost); k++, n++) {
            rt_rows r;
            if (!rt_query(s, c[k].sql, 0, NULL, &r, &err)) {
                fprintf(stderr, "zdm: %s: step %s: check '%s' failed to run: %s\n", what, st->id,
                        c[k].name, err);
                bad++;
            } else if (r.nrows != 1 || r.ncols < 2 || !RT_CELL(&r, 0, 1) ||
                       (strcmp(RT_CELL(&r, 0, 1), "t") != 0 && strcmp(RT_CELL(&r, 0, 1), "1") != 0)) {
                /* ok: PostgreSQL's boolean true, or 1 where there is no boolean type */
                fprintf(stderr, "zdm: %s: step %s: not ok: %s\n", what, st->id, c[k].name);
                bad++;
            }
        }
    }
    printf("zdm: %s: %zu of %zu checks ok\n", what, n - bad, n);
    fflush(stdout);
    return bad == 0;
}

int rt_confirm(const char *question)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
        return -1;
    fprintf(stderr, "%s [type yes to go on] ", question);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return strcmp(line, "yes\n") == 0 || strcmp(line, "yes") == 0;
}

const char *rt_state_name(rt_state st)
{
    switch (st) {
    case RT_PENDING: return "pending";
    case RT_STARTED: return "started, not finished";
    case RT_FINISHED: return "done";
    case RT_ROLLED_BACK: return "rolled back";
    }
    return "?";
}

bool rt_ran(rt_state st)
{
    return st == RT_STARTED || st == RT_FINISHED;
}

int rt_server_target(const char *url, char *out, size_t n)
{
    const rt_driver *d = rt_driver_for_url(url);
    if (!d) {
        fprintf(stderr, "zdm: error: no runtime driver for this --db URL\n");
        return RT_EXIT_USAGE;
    }
    zdm_arena *a = zdm_arena_new();
    const char *err = NULL;
    rt_conn *c = d->connect(a, url, &err);
    int rc = RT_EXIT_DONE;
    if (!c) {
        fprintf(stderr, "zdm: error: cannot connect: %s\n", err);
        rc = RT_EXIT_FAILED;
    } else {
        snprintf(out, n, "%s@%s", d->target_name, version_name(a, d->server_version(c)));
        d->close(c);
    }
    zdm_arena_free(a);
    return rc;
}
