/*
 * pgsql_estimate.c - the duration model for PostgreSQL steps, from the rows
 * an `assume` gives. The constants are starting points taken from the field
 * notes (2-core Debian 12, PostgreSQL 15, 10M-40M rows, writers running) and
 * stated in docs/backends/postgres.md; bench/ will re-measure them. Without an
 * `assume` the estimate is "unknown": a guess would size timeouts wrongly.
 */
#include "pgsql_int.h"

/* One unloaded full-table UPDATE ran at 213k rows/s; keyset batches under
 * load reached 56% of it at 5,000 rows and 74% at 20,000 (field notes). */
#define UPDATE_CEILING_RPS 213000.0
/* CREATE INDEX CONCURRENTLY scans the table twice and sorts once; taken as
 * 400k rows/s for a btree on one short column. */
#define INDEX_RPS 400000.0
/* VALIDATE CONSTRAINT / a NOT NULL scan: a sequential scan testing one
 * expression per row, taken as 2M rows/s. */
#define SCAN_RPS 2000000.0

double pgsql_est_backfill(uint64_t rows, uint64_t batch)
{
    double share = batch <= 5000 ? 0.56 : batch >= 20000 ? 0.74
                 : 0.56 + (0.74 - 0.56) * ((double)batch - 5000) / 15000.0;
    return (double)rows / (UPDATE_CEILING_RPS * share);
}

double pgsql_est_index(uint64_t rows) { return (double)rows / INDEX_RPS; }
double pgsql_est_scan(uint64_t rows) { return (double)rows / SCAN_RPS; }

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
