/*
 * pgwriter - the "application" that keeps writing while a migration runs.
 *
 * N client connections (threads, one libpq connection each) send a paced,
 * open-loop stream of single-statement transactions: an INSERT template or an
 * UPDATE template, both parameterised by $1. Latency is measured from the
 * time a transaction was SCHEDULED to start, not from when it was sent, so a
 * stall behind a lock shows up in full instead of merely slowing the loop
 * down (coordinated omission). At the end one JSON line on stdout sums up
 * what was committed, so the caller can check that no write was lost:
 * every committed UPDATE adds its row count to the rows it touched, every
 * committed INSERT adds its rows.
 *
 *   pgwriter --db CONNINFO [--insert SQL] [--update SQL] [--clients N]
 *            [--rate TX_PER_S] [--insert-pct P] [--keys LO:HI]
 *            [--insert-start K] [--duration S] [--stop-file F]
 *            [--ready-file F] [--statement-timeout MS]
 *
 * $1 of the INSERT is a unique integer (insert-start + a per-run sequence),
 * $1 of the UPDATE a uniformly random key in LO..HI. The run ends after
 * DURATION seconds, when STOP-FILE exists, or on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_ERRORS 5

struct options {
	const char *conninfo;
	const char *insert_sql;
	const char *update_sql;
	const char *stop_file;
	const char *ready_file;
	int clients;
	double rate;
	int insert_pct;
	long long key_lo, key_hi;
	long long insert_start;
	double duration;
	long statement_timeout_ms;
};

/* Growable array of doubles: latencies and commit times of one client. */
struct series {
	double *v;
	size_t n, cap;
};

struct client {
	int id;
	const struct options *opt;
	PGconn *conn;
	pthread_t thread;
	struct series latency_ms;
	struct series commit_at;
	long long inserts, inserted_rows;
	long long updates, updated_rows;
	long long failures;
	uint64_t rng;
};

static volatile sig_atomic_t stop_signal;

static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char errors[MAX_ERRORS][512];
static int nerrors;

static void on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	if (d <= 0)
		return;
	struct timespec ts;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stop_signal)
		;
}

static void push(struct series *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		double *v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			fprintf(stderr, "pgwriter: out of memory\n");
			exit(2);
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static void append(struct series *dst, const struct series *src)
{
	for (size_t i = 0; i < src->n; i++)
		push(dst, src->v[i]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: good enough to spread keys, and reentrant. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Keeps the first few error messages (their first line); the rest are only counted. */
static void note_error(int client, const char *what, const char *msg)
{
	size_t len = strcspn(msg, "\n");
	pthread_mutex_lock(&err_lock);
	if (nerrors < MAX_ERRORS) {
		snprintf(errors[nerrors], sizeof errors[nerrors], "%s: %.*s", what, (int)len, msg);
		fprintf(stderr, "pgwriter: client %d: %s\n", client, errors[nerrors]);
		nerrors++;
	}
	pthread_mutex_unlock(&err_lock);
}

static int should_stop(const struct options *o, double deadline)
{
	if (stop_signal || now_s() >= deadline)
		return 1;
	return o->stop_file && access(o->stop_file, F_OK) == 0;
}

/* Runs one transaction; returns 1 when it committed. */
static int run_one(struct client *c, int is_insert, long long key)
{
	char param[32];
	const char *values[1] = { param };
	const char *sql = is_insert ? c->opt->insert_sql : c->opt->update_sql;
	snprintf(param, sizeof param, "%lld", key);

	PGresult *res = PQexecParams(c->conn, sql, 1, NULL, values, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (ok) {
		long long rows = atoll(PQcmdTuples(res));
		if (is_insert) {
			c->inserts++;
			c->inserted_rows += rows;
		} else {
			c->updates++;
			c->updated_rows += rows;
		}
	} else {
		c->failures++;
		note_error(c->id, is_insert ? "insert" : "update", PQerrorMessage(c->conn));
		if (PQstatus(c->conn) == CONNECTION_BAD)
			PQreset(c->conn);
	}
	PQclear(res);
	return ok;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	const struct options *o = c->opt;
	double interval = (double)o->clients / o->rate;
	double start = now_s();
	double deadline = start + o->duration;
	long long local_inserts = 0;

	/* Stagger the clients so their schedules interleave. */
	double sched = start + interval * c->id / o->clients;
	while (!should_stop(o, deadline)) {
		sleep_until(sched);
		if (should_stop(o, deadline))
			break;
		int is_insert;
		if (!o->insert_sql)
			is_insert = 0;
		else if (!o->update_sql)
			is_insert = 1;
		else
			is_insert = (int)(next_rand(&c->rng) % 100) < o->insert_pct;
		long long key;
		if (is_insert)
			key = o->insert_start + c->id + (long long)o->clients * local_inserts++;
		else
			key = o->key_lo + (long long)(next_rand(&c->rng) %
			                              (uint64_t)(o->key_hi - o->key_lo + 1));
		int ok = run_one(c, is_insert, key);
		double end = now_s();
		push(&c->latency_ms, (end - sched) * 1000.0);
		if (ok)
			push(&c->commit_at, end);
		sched += interval;
	}
	return NULL;
}

static void usage(void)
{
	fputs("usage: pgwriter --db CONNINFO [--insert SQL] [--update SQL] [--clients N]\n"
	      "                [--rate TX_PER_S] [--insert-pct P] [--keys LO:HI]\n"
	      "                [--insert-start K] [--duration S] [--stop-file F]\n"
	      "                [--ready-file F] [--statement-timeout MS]\n",
	      stderr);
	exit(2);
}

static double parse_num(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end) {
		fprintf(stderr, "pgwriter: %s: not a number: '%s'\n", flag, s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .clients = 2, .rate = 100, .insert_pct = 30,
		.key_lo = 1, .key_hi = 1000, .insert_start = 1000000000LL,
		.duration = 60, .statement_timeout_ms = 30000 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--db"))
			o->conninfo = v;
		else if (!strcmp(a, "--insert"))
			o->insert_sql = *v ? v : NULL;
		else if (!strcmp(a, "--update"))
			o->update_sql = *v ? v : NULL;
		else if (!strcmp(a, "--stop-file"))
			o->stop_file = v;
		else if (!strcmp(a, "--ready-file"))
			o->ready_file = v;
		else if (!strcmp(a, "--clients"))
			o->clients = (int)parse_num(a, v);
		else if (!strcmp(a, "--rate"))
			o->rate = parse_num(a, v);
		else if (!strcmp(a, "--insert-pct"))
			o->insert_pct = (int)parse_num(a, v);
		else if (!strcmp(a, "--insert-start"))
			o->insert_start = (long long)parse_num(a, v);
		else if (!strcmp(a, "--duration"))
			o->duration = parse_num(a, v);
		else if (!strcmp(a, "--statement-timeout"))
			o->statement_timeout_ms = (long)parse_num(a, v);
		else if (!strcmp(a, "--keys")) {
			if (sscanf(v, "%lld:%lld", &o->key_lo, &o->key_hi) != 2 ||
			    o->key_hi < o->key_lo) {
				fprintf(stderr, "pgwriter: --keys wants LO:HI, got '%s'\n", v);
				exit(2);
			}
		} else
			usage();
	}
	if (!o->conninfo || (!o->insert_sql && !o->update_sql))
		usage();
	if (o->clients < 1 || o->clients > MAX_CLIENTS || o->rate <= 0 ||
	    o->duration <= 0 || o->insert_pct < 0 || o->insert_pct > 100) {
		fprintf(stderr, "pgwriter: clients 1..%d, rate > 0, duration > 0, "
		        "insert-pct 0..100\n", MAX_CLIENTS);
		exit(2);
	}
}

static int connect_client(struct client *c)
{
	c->conn = PQconnectdb(c->opt->conninfo);
	if (PQstatus(c->conn) != CONNECTION_OK) {
		fprintf(stderr, "pgwriter: client %d: cannot connect: %s", c->id,
		        PQerrorMessage(c->conn));
		return 0;
	}
	char sql[96];
	snprintf(sql, sizeof sql, "SET statement_timeout = %ld", c->opt->statement_timeout_ms);
	PGresult *res = PQexec(c->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "pgwriter: client %d: %s", c->id, PQerrorMessage(c->conn));
	PQclear(res);
	return ok;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void report(struct client *cl, int n)
{
	struct series lat = { 0 }, commits = { 0 };
	long long ins = 0, ins_rows = 0, upd = 0, upd_rows = 0, fail = 0;
	for (int i = 0; i < n; i++) {
		append(&lat, &cl[i].latency_ms);
		append(&commits, &cl[i].commit_at);
		ins += cl[i].inserts;
		ins_rows += cl[i].inserted_rows;
		upd += cl[i].updates;
		upd_rows += cl[i].updated_rows;
		fail += cl[i].failures;
	}
	double max_lat = 0, p99 = 0, max_gap = 0;
	if (lat.n) {
		qsort(lat.v, lat.n, sizeof *lat.v, cmp_double);
		max_lat = lat.v[lat.n - 1];
		p99 = lat.v[(size_t)((double)(lat.n - 1) * 0.99)];
	}
	qsort(commits.v, commits.n, sizeof *commits.v, cmp_double);
	for (size_t i = 1; i < commits.n; i++)
		if (commits.v[i] - commits.v[i - 1] > max_gap)
			max_gap = commits.v[i] - commits.v[i - 1];

	printf("{\"inserts\":%lld,\"inserted_rows\":%lld,\"updates\":%lld,"
	       "\"updated_rows\":%lld,\"failures\":%lld,\"transactions\":%zu,"
	       "\"max_latency_ms\":%.1f,\"p99_ms\":%.1f,\"max_gap_ms\":%.1f,\"errors\":[",
	       ins, ins_rows, upd, upd_rows, fail, lat.n, max_lat, p99, max_gap * 1000.0);
	for (int i = 0; i < nerrors; i++) {
		if (i)
			putchar(',');
		json_string(errors[i]);
	}
	puts("]}");
	free(lat.v);
	free(commits.v);
}

int main(int argc, char **argv)
{
	struct options opt;
	parse_args(argc, argv, &opt);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct client cl[MAX_CLIENTS];
	memset(cl, 0, sizeof cl);
	int status = 0;
	for (int i = 0; i < opt.clients; i++) {
		cl[i].id = i;
		cl[i].opt = &opt;
		cl[i].rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)(i + 1) * 0xBF58476D1CE4E5B9ULL) ^
		            (uint64_t)getpid();
		if (!connect_client(&cl[i])) {
			for (int j = 0; j <= i; j++)
				PQfinish(cl[j].conn);
			return 2;
		}
	}
	if (opt.ready_file) {
		FILE *f = fopen(opt.ready_file, "w");
		if (f)
			fclose(f);
	}
	for (int i = 0; i < opt.clients; i++)
		if (pthread_create(&cl[i].thread, NULL, client_main, &cl[i]) != 0) {
			fprintf(stderr, "pgwriter: cannot start thread %d\n", i);
			stop_signal = 1;
			opt.clients = i;
			status = 2;
			break;
		}
	for (int i = 0; i < opt.clients; i++)
		pthread_join(cl[i].thread, NULL);
	report(cl, opt.clients);
	for (int i = 0; i < opt.clients; i++) {
		PQfinish(cl[i].conn);
		free(cl[i].latency_ms.v);
		free(cl[i].commit_at.v);
	}
	return status;
}
