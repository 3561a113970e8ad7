/*
 * mybench.c - the steady writer of bench/mysql_shadow.sh: CLIENTS sessions
 * (libmariadb, automatic reconnect off) offering RATE transactions a second
 * in total on a fixed schedule (open loop: a slow transaction does not lower
 * the offered rate, the ones due meanwhile queue behind it), so a stall shows
 * up as latency and as lost throughput, as it would for an application.
 *
 *   mybench SOCKET DB TABLE STOPFILE RATE CLIENTS MAXID INSERT_PCT OUT
 *
 * Each transaction is one autocommit statement: an UPDATE of a random row in
 * 1..MAXID (n = n + 1), or, INSERT_PCT percent of the time, an INSERT of a new
 * row (n = 0). Runs until STOPFILE exists. Writes OUT as one line per
 * transaction, "scheduled_ms end_ms ok kind" (ms since the writer's start;
 * latency = end - scheduled), and prints the totals on stdout:
 *   inserted N updated N failed N
 * which the script checks against the table (count and sum(n)) for lost
 * writes; before it, "start EPOCH_MS", the wall-clock time of ms 0. The first error of each session goes to stderr.
 */
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct client {
    pthread_t th;
    int id;
    unsigned seed;
    long inserted, updated, failed;
    FILE *out;
} client;

static const char *g_sock, *g_db, *g_table, *g_stop;
static double g_rate, g_t0;
static int g_clients, g_insert_pct;
static long g_maxid;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_until(double t)
{
    double d = t - now_ms();
    if (d <= 0)
        return;
    struct timespec ts = {(time_t)(d / 1000.0), (long)((d - (double)(long)(d / 1000.0) * 1000.0) * 1e6)};
    nanosleep(&ts, NULL);
}

static MYSQL *connect_db(void)
{
    MYSQL *db = mysql_init(NULL);
    my_bool off = 0;
    mysql_options(db, MYSQL_OPT_RECONNECT, &off);
    if (!mysql_real_connect(db, NULL, "root", NULL, g_db, 0, g_sock, 0)) {
        fprintf(stderr, "mybench: connect: %s\n", mysql_error(db));
        exit(2);
    }
    return db;
}

static void *run(void *arg)
{
    client *c = arg;
    MYSQL *db = connect_db();
    /* Session k takes the k-th of every CLIENTS scheduled slots. */
    double step = 1000.0 * g_clients / g_rate;
    double due = g_t0 + step * c->id / g_clients;
    int reported = 0;
    char q[512];
    while (access(g_stop, F_OK) != 0) {
        sleep_until(due);
        int ins = (int)(rand_r(&c->seed) % 100) < g_insert_pct;
        if (ins)
            snprintf(q, sizeof q, "INSERT INTO `%s` (email, n) VALUES ('w%d-%ld@example.com', 0)",
                     g_table, c->id, c->inserted);
        else
            snprintf(q, sizeof q, "UPDATE `%s` SET n = n + 1 WHERE id = %ld", g_table,
                     1 + (long)(rand_r(&c->seed) % (unsigned)g_maxid));
        int rc = mysql_query(db, q);
        int ok = rc == 0 && mysql_affected_rows(db) == 1;
        double end = now_ms();
        if (!ok) {
            c->failed++;
            if (!reported++)
                fprintf(stderr, "mybench[%d]: %s: %s\n", c->id, q,
                        rc ? mysql_error(db) : "no row changed");
        } else if (ins) {
            c->inserted++;
        } else {
            c->updated++;
        }
        fprintf(c->out, "%.1f %.1f %d %c\n", due - g_t0, end - g_t0, ok, ins ? 'i' : 'u');
        due += step;
    }
    mysql_close(db);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 10) {
        fprintf(stderr, "usage: mybench SOCKET DB TABLE STOPFILE RATE CLIENTS MAXID "
                        "INSERT_PCT OUT\n");
        return 2;
    }
    g_sock = argv[1], g_db = argv[2], g_table = argv[3], g_stop = argv[4];
    g_rate = atof(argv[5]), g_clients = atoi(argv[6]), g_maxid = atol(argv[7]);
    g_insert_pct = atoi(argv[8]);
    if (g_rate <= 0 || g_clients <= 0 || g_clients > 64 || g_maxid <= 0) {
        fprintf(stderr, "mybench: RATE, CLIENTS (1..64) and MAXID must be positive\n");
        return 2;
    }
    FILE *out = fopen(argv[9], "w");
    if (!out) {
        perror(argv[9]);
        return 2;
    }
    mysql_library_init(0, NULL, NULL);
    client cs[64];
    g_t0 = now_ms() + 200;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    /* The schedule's origin on the wall clock, for the script's phase marks. */
    printf("start %.0f\n", (double)wall.tv_sec * 1000.0 + (double)wall.tv_nsec / 1e6 + 200);
    fflush(stdout);
    for (int i = 0; i < g_clients; i++) {
        cs[i] = (client){.id = i, .seed = 12345u + (unsigned)i * 7919u};
        cs[i].out = tmpfile();
        pthread_create(&cs[i].th, NULL, run, &cs[i]);
    }
    long ins = 0, upd = 0, failed = 0;
    char line[128];
    for (int i = 0; i < g_clients; i++) {
        pthread_join(cs[i].th, NULL);
        ins += cs[i].inserted, upd += cs[i].updated, failed += cs[i].failed;
        rewind(cs[i].out);
        while (fgets(line, sizeof line, cs[i].out))
            fputs(line, out);
        fclose(cs[i].out);
    }
    fclose(out);
    mysql_library_end();
    printf("inserted %ld updated %ld failed %ld\n", ins, upd, failed);
    return 0;
}
