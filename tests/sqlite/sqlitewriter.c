/*
 * sqlitewriter.c - the concurrent writer of tests/sqlite: a second connection
 * that keeps writing while a migration's phase scripts run, like the old
 * application would.
 *
 *   sqlitewriter DB STOPFILE INSERT_SQL UPDATE_SQL MAXID BUSY_MS
 *
 * Loops until STOPFILE exists: INSERT_SQL with ?1 = a counter, then
 * UPDATE_SQL with ?1 = a row id in 1..MAXID; each statement in autocommit
 * under busy_timeout BUSY_MS. Prints, at the end, one line:
 *   inserted N updated N failed N maxwait_ms N
 * where failed counts statements that returned an error (SQLITE_BUSY after
 * the timeout, or anything else; the first error is printed on stderr) and
 * maxwait_ms is the longest single statement. Exit 0 when nothing failed.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Runs `sql` with ?1 = v; returns 0 when it succeeded and changed a row. */
static int run(sqlite3 *db, const char *sql, long long v, double *maxwait, int *reported)
{
    sqlite3_stmt *st = NULL;
    double t0 = now_ms();
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, v);
        rc = sqlite3_step(st);
    }
    double dt = now_ms() - t0;
    if (dt > *maxwait)
        *maxwait = dt;
    int ok = rc == SQLITE_DONE && sqlite3_changes(db) > 0;
    if (!ok && !*reported) {
        fprintf(stderr, "sqlitewriter: %s: %s\n", sql, sqlite3_errmsg(db));
        *reported = 1;
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: sqlitewriter DB STOPFILE INSERT_SQL UPDATE_SQL MAXID BUSY_MS\n");
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "sqlitewriter: cannot open %s\n", argv[1]);
        return 2;
    }
    sqlite3_busy_timeout(db, atoi(argv[6]));
    long long maxid = atoll(argv[5]);
    long long ins = 0, upd = 0, failed = 0, i = 0;
    double maxwait = 0;
    int reported = 0;
    srand(42);
    while (access(argv[2], F_OK) != 0) {
        i++;
        if (argv[3][0]) {
            if (run(db, argv[3], i, &maxwait, &reported) == 0)
                ins++;
            else
                failed++;
        }
        if (argv[4][0] && maxid > 0) {
            if (run(db, argv[4], 1 + rand() % maxid, &maxwait, &reported) == 0)
                upd++;
            else
                failed++;
        }
        usleep(2000);
    }
    sqlite3_close(db);
    printf("inserted %lld updated %lld failed %lld maxwait_ms %.0f\n", ins, upd, failed, maxwait);
    return failed ? 1 : 0;
}
