/*
 * mysqlwriter.c - the concurrent writer of tests/mysql: a second connection
 * (libmariadb, automatic reconnect off) that keeps writing while a
 * migration's phase scripts run, like the old application would.
 *
 *   mysqlwriter SOCKET DB STOPFILE INSERT_SQL UPDATE_SQL MAXID
 *
 * Loops until STOPFILE exists: INSERT_SQL with ?1 replaced by a counter, then
 * UPDATE_SQL with ?1 replaced by a row id in 1..MAXID; each statement in
 * autocommit. Prints, at the end, one line:
 *   inserted N updated N failed N maxwait_ms N
 * where failed counts statements that returned an error or changed no row
 * (the first one is printed on stderr) and maxwait_ms is the slowest
 * statement. Exit 0 when nothing failed.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* `sql` with every "?1" replaced by v, into out. */
static void bind(char *out, size_t n, const char *sql, long long v)
{
    size_t o = 0;
    for (const char *p = sql; *p && o + 24 < n; p++) {
        if (p[0] == '?' && p[1] == '1') {
            o += (size_t)snprintf(out + o, n - o, "%lld", v);
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* Runs `sql` with ?1 = v; returns 0 when it succeeded and changed a row. */
static int run(MYSQL *db, const char *sql, long long v, double *maxwait, int *reported)
{
    char q[4096];
    bind(q, sizeof q, sql, v);
    double t0 = now_ms();
    int rc = mysql_query(db, q);
    double dt = now_ms() - t0;
    if (dt > *maxwait)
        *maxwait = dt;
    int ok = rc == 0 && mysql_affected_rows(db) > 0;
    if (!ok && !*reported) {
        fprintf(stderr, "mysqlwriter: %s: %s\n", q, rc ? mysql_error(db) : "no row changed");
        *reported = 1;
    }
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: mysqlwriter SOCKET DB STOPFILE INSERT_SQL UPDATE_SQL MAXID\n");
        return 2;
    }
    MYSQL *db = mysql_init(NULL);
    my_bool off = 0;
    mysql_optionsv(db, MYSQL_OPT_RECONNECT, &off);
    if (!mysql_real_connect(db, NULL, "root", NULL, argv[2], 0, argv[1], 0)) {
        fprintf(stderr, "mysqlwriter: cannot connect: %s\n", mysql_error(db));
        return 2;
    }
    long long maxid = atoll(argv[6]);
    long long ins = 0, upd = 0, failed = 0, i = 0;
    double maxwait = 0;
    int reported = 0;
    srand(42);
    while (access(argv[3], F_OK) != 0) {
        i++;
        if (argv[4][0]) {
            if (run(db, argv[4], i, &maxwait, &reported) == 0)
                ins++;
            else
                failed++;
        }
        if (argv[5][0] && maxid > 0) {
            if (run(db, argv[5], 1 + rand() % maxid, &maxwait, &reported) == 0)
                upd++;
            else
                failed++;
        }
        usleep(2000);
    }
    mysql_close(db);
    printf("inserted %lld updated %lld failed %lld maxwait_ms %.0f\n", ins, upd, failed, maxwait);
    return failed ? 1 : 0;
}
