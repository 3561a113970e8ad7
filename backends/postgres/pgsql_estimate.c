/*
 * pgsql_estimate.c - the duration model for PostgreSQL steps, from the rows
 * an `assume` gives. The rates are measured by bench/estimates.sh (`make
 * bench`; method, machine and every run in docs/benchmarks.md): PostgreSQL
 * 15 on a 2-core Debian 12 VM, 2M rows, fsync and synchronous_commit on, a
 * 100 tx/s writer during the backfills. Each constant is the slowest of three
 * runs, rounded down: the machine was shared, other load only slows a run,
 * and an estimate that errs long sizes a statement_timeout that does not cut
 * a healthy step short. Without an `assume` the estimate is "unknown": a
 * guess would size timeouts wrongly.
 */
#include "pgsql_int.h"

/* The generated keyset loop costs a share per row (the UPDATE, its WAL and
 * index entries) and a share per batch (two key lookups and the COMMIT).
 * Fitted to the batch 1,000 and 20,000 runs: 60k and 69k rows/s; batch
 * 5,000 then comes out at 67k rows/s (measured 62k-158k). */
#define BACKFILL_ROW_US 14.5
#define BACKFILL_BATCH_US 2300.0
/* CREATE [UNIQUE] INDEX CONCURRENTLY of one text column: 384k-804k rows/s
 * on a clean heap, 318k-456k right after a backfill (twice the heap). */
#define INDEX_RPS 300000.0
/* VALIDATE CONSTRAINT of a CHECK (c IS NOT NULL), one backend: 1.43M-2.33M
 * rows/s; the same serial scan a NOT NULL check makes. */
#define SCAN_RPS 1400000.0
/* VALIDATE CONSTRAINT of a FOREIGN KEY: one anti-join of the referencing
 * rows against the referenced key's index, 349k-684k referencing rows/s -
 * about 0.28 of the plain scan in every run. */
#define FK_SCAN_RPS 340000.0

double pgsql_est_backfill(uint64_t rows, uint64_t batch)
{
    double per_row_us = BACKFILL_ROW_US + BACKFILL_BATCH_US / (double)(batch ? batch : 1);
    return (double)rows * per_row_us / 1e6;
}

double pgsql_est_index(uint64_t rows) { return (double)rows / INDEX_RPS; }
double pgsql_est_scan(uint64_t rows) { return (double)rows / SCAN_RPS; }
double pgsql_est_fk_scan(uint64_t rows) { return (double)rows / FK_SCAN_RPS; }

void pgsql_estimate(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, uint64_t rows,
                    double (*fn)(uint64_t), const char *what)
{
    if (rows == 0) {
        s->est_seconds = -1;
        s->est_note = zdm_sprintf(cx->arena, "no `assume %s has N rows`",
                                  zdm_name_str(cx->arena, *t));
        return;
    }
    s->est_seconds = fn(rows);
    s->est_note = zdm_sprintf(cx->arena, "%llu rows at the %s rate",
                              (unsigned long long)rows, what);
}
