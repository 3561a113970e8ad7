/*
 * pgsql_notnull.c - SET NOT NULL without a long lock: on PostgreSQL 12+ the
 * CHECK NOT VALID / VALIDATE / SET NOT NULL / drop-check sequence (see the
 * PG 12 release notes: SET NOT NULL skips the scan when a valid CHECK proves
 * the column has no NULL); on PostgreSQL 11 one retried SET NOT NULL whose
 * scan holds ACCESS EXCLUSIVE, stated as such in the plan and its risks.
 *
 * Every rollback is guarded to be right whether or not its forward ran.
 */
#include "pgsql_int.h"

typedef struct nn_ctx {
    zdm_lower_ctx *cx;
    const zdm_op *op;
    const zdm_name *table;
    const char *col;
    const char *qcol;   /* "users.email", for titles */
    const char *helper; /* the helper CHECK's name */
    uint64_t rows;
} nn_ctx;

static zdm_step *nn_step(nn_ctx *n, zdm_step_kind kind, const char *title)
{
    zdm_step *s = zdm_plan_step(n->cx->plan, ZDM_PHASE_VALIDATE, kind,
                                zdm_sprintf(n->cx->arena, "%s %s", title, n->qcol));
    s->op = n->op;
    s->lock_timeout_ms = pgsql_st(n->cx)->lock_timeout_ms;
    return s;
}

static const char *not_null_ddl(nn_ctx *n, const char *what)
{
    return zdm_sqlf_str(n->cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I %s NOT NULL;",
                        n->table, n->col, what);
}

/* Rollback of SET NOT NULL: only when the column still exists. */
static const char *drop_not_null(nn_ctx *n, zdm_step *s)
{
    return pgsql_retry_sql(n->cx, s, pgsql_cond_column(n->cx, n->table, n->col, true),
                           not_null_ddl(n, "DROP"), 0);
}

static void nn_checks(nn_ctx *n, zdm_step *s)
{
    zdm_lower_ctx *cx = n->cx;
    const char *start = pgsql_start_rel(cx, n->table);
    if (start)
        pgsql_pre(cx, s,
                  zdm_sprintf(cx->arena, "no NULL in %s once filled", n->qcol),
                  zdm_sqlf_str(cx->arena, PG, "NOT EXISTS (SELECT 1 FROM %s WHERE %I IS NULL)",
                               start, n->col));
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "%s is NOT NULL", n->qcol),
               zdm_sqlf_str(cx->arena, PG,
                            "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
                            "to_regclass(%L) AND attname = %L AND attnotnull)",
                            pgsql_regclass(cx, n->table), n->col));
}

static void fail_risk(nn_ctx *n, zdm_step *s, const char *how)
{
    const zdm_value *e;
    /* An existing column a backfill sets has no sync trigger: the
     * application's own writes must already be non-NULL. */
    bool app_writes = !zdm_migration_column_is_new(n->cx->mig, *n->table, n->col) &&
                      pgsql_fill_of(n->cx, n->table, n->col, &e);
    zdm_step_risk(n->cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  zdm_sprintf(n->cx->arena, "%s fails if a NULL is left in %s.", how, n->qcol),
                  app_writes
                      ? "verify_pre checks the rows as the backfill leaves them before the "
                        "migration starts; the application writes the column itself (no sync "
                        "trigger), so it must write no NULL from the backfill on; a failure "
                        "changes nothing: fix the rows, rerun the backfill phase, then this one."
                      : "verify_pre checks it before the migration starts, the sync trigger "
                        "fills rows the old application writes during the backfill; a failure "
                        "changes nothing: fix the rows and rerun the phase.");
}

/* PostgreSQL 11: no way around the scan under ACCESS EXCLUSIVE. */
static int nn_pg11(nn_ctx *n)
{
    zdm_step *s = nn_step(n, ZDM_STEP_TX, "set not null with a full scan on");
    pgsql_lock(s, "ACCESS EXCLUSIVE for the whole scan", ZDM_LOCK_BLOCKS_ALL);
    s->scans = true;
    pgsql_estimate(n->cx, s, n->table, n->rows, pgsql_est_scan, "sequential scan");
    s->why = "PostgreSQL 11 cannot use a validated CHECK to skip the scan (that came in "
             "12): reads and writes wait for the whole scan.";
    s->forward = pgsql_retry_sql(n->cx, s, NULL, not_null_ddl(n, "SET"), s->est_seconds);
    s->rollback = drop_not_null(n, s);
    pgsql_risk_strong_lock(n->cx, s, n->table, "SET NOT NULL");
    zdm_step_risk(n->cx->plan, s, ZDM_RISK_FULL_SCAN,
                  zdm_sprintf(n->cx->arena, "On PostgreSQL 11 SET NOT NULL scans the whole "
                              "table while holding ACCESS EXCLUSIVE (estimate: %s).",
                              zdm_duration_str(n->cx->arena, s->est_seconds)),
                  "Run the validate phase in a quiet window, or upgrade to PostgreSQL 12+ "
                  "where zdm proves NOT NULL with a validated CHECK and skips the scan.");
    fail_risk(n, s, "SET NOT NULL");
    nn_checks(n, s);
    zdm_plan_warning(n->cx->plan,
                     "PostgreSQL 11: SET NOT NULL on %s scans the table under ACCESS EXCLUSIVE; "
                     "reads and writes wait for the scan.", n->qcol);
    return 0;
}

/* A catalog-only step under a brief ACCESS EXCLUSIVE, retried by its caller. */
static zdm_step *nn_brief(nn_ctx *n, const char *title, const char *why, const char *note)
{
    zdm_step *s = nn_step(n, ZDM_STEP_TX, title);
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = note;
    s->why = why;
    return s;
}

static void nn_add_check(nn_ctx *n)
{
    zdm_lower_ctx *cx = n->cx;
    zdm_step *s = nn_brief(n, "add CHECK (IS NOT NULL) NOT VALID on",
                           "NOT VALID skips the scan of existing rows; new and updated rows are "
                           "checked from now on. It first makes sure no NULL is left (a read "
                           "under ACCESS SHARE that stops at the first one): an updated row "
                           "that broke the check would fail.",
                           "catalog change only");
    s->scans = true;
    pgsql_estimate(cx, s, n->table, n->rows, pgsql_est_scan,
                   "sequential scan (the NULL pre-check read; the ALTER is a catalog change)");
    zdm_step_risk(cx->plan, s, ZDM_RISK_FULL_SCAN,
                  "The step first reads the table for a NULL (ACCESS SHARE only: reads and "
                  "writes go on); it stops at the first one.",
                  "On a large table run the phase off-peak.");
    const char *absent = zdm_sqlf_str(cx->arena, PG,
                                      "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE "
                                      "conrelid = to_regclass(%L) AND conname = %L)",
                                      pgsql_regclass(cx, n->table), n->helper);
    /* A NOT VALID check fails every later UPDATE of a row that breaks it:
     * with a NULL left, the application's updates would fail until the
     * VALIDATE does. So the step looks for one first and stops. */
    s->forward = zdm_sprintf(
        cx->arena, "%s%s",
        pgsql_scan_assert_sql(cx, s, zdm_sprintf(cx->arena, "no NULL in %s", n->qcol),
                              zdm_sqlf_str(cx->arena, PG,
                                           "NOT EXISTS (SELECT 1 FROM %N WHERE %I IS NULL)",
                                           n->table, n->col),
                              zdm_sqlf_str(cx->arena, PG,
                                           "List them: SELECT * FROM %N WHERE %I IS NULL LIMIT "
                                           "100; fill them, then rerun the phase.",
                                           n->table, n->col),
                              n->rows),
        pgsql_retry_sql(cx, s, absent,
                        zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I "
                                     "CHECK (%I IS NOT NULL) NOT VALID;",
                                     n->table, n->helper, n->col),
                        0));
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                               "CONSTRAINT IF EXISTS %I;", n->table, n->helper),
                                  0);
    pgsql_risk_strong_lock(cx, s, n->table, "ADD CONSTRAINT ... NOT VALID");
}

static void nn_validate(nn_ctx *n)
{
    zdm_lower_ctx *cx = n->cx;
    zdm_step *s = nn_step(n, ZDM_STEP_TX, "validate the NOT NULL check on");
    pgsql_lock(s, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
    s->scans = true;
    /* Waiting for SHARE UPDATE EXCLUSIVE stalls no reader or writer; a longer
     * wait lets an autovacuum on the table be cancelled instead of failing. */
    if (s->lock_timeout_ms < 10000)
        s->lock_timeout_ms = 10000;
    s->statement_timeout_ms = 0;
    pgsql_estimate(cx, s, n->table, n->rows, pgsql_est_scan, "sequential scan");
    s->why = "VALIDATE scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on.";
    s->forward = pgsql_step_sql(cx, s, zdm_sqlf_str(cx->arena, PG,
                                                    "ALTER TABLE %N VALIDATE CONSTRAINT %I;\n",
                                                    n->table, n->helper));
    s->rollback = "-- nothing to undo: validating a constraint changes no data\n";
    zdm_step_risk(cx->plan, s, ZDM_RISK_FULL_SCAN,
                  zdm_sprintf(cx->arena, "VALIDATE reads the whole table (estimate: %s).",
                              zdm_duration_str(cx->arena, s->est_seconds)),
                  "It holds only SHARE UPDATE EXCLUSIVE; watch I/O and replica lag, and run "
                  "it off-peak on very large tables.");
    fail_risk(n, s, "VALIDATE");
}

static void nn_set(nn_ctx *n)
{
    zdm_lower_ctx *cx = n->cx;
    zdm_step *s = nn_brief(n, "set not null",
                           "On PostgreSQL 12+ SET NOT NULL skips the table scan because the "
                           "validated CHECK (... IS NOT NULL) already proves it.",
                           "no scan: the validated CHECK proves it (PostgreSQL 12+)");
    s->forward = pgsql_retry_sql(cx, s, NULL, not_null_ddl(n, "SET"), 0);
    s->rollback = drop_not_null(n, s);
    pgsql_risk_strong_lock(cx, s, n->table, "SET NOT NULL");
    nn_checks(n, s);
}

static void nn_drop_check(nn_ctx *n)
{
    zdm_lower_ctx *cx = n->cx;
    zdm_step *s = nn_brief(n, "drop the helper NOT NULL check on",
                           "The helper check only existed to prove NOT NULL; the column "
                           "constraint now does.",
                           "catalog change only");
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N DROP CONSTRAINT IF "
                                              "EXISTS %I;", n->table, n->helper),
                                 0);
    s->rollback = "-- nothing to undo: the helper check is not re-created (the NOT NULL "
                  "rollback and the check's own rollback cover it)\n";
    pgsql_risk_strong_lock(cx, s, n->table, "DROP CONSTRAINT");
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "helper check %s is gone", n->helper),
               zdm_sqlf_str(cx->arena, PG,
                            "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = "
                            "to_regclass(%L) AND conname = %L)",
                            pgsql_regclass(cx, n->table), n->helper));
}

int pgsql_not_null_steps(zdm_lower_ctx *cx, const zdm_op *op, const zdm_name *table,
                         const char *col)
{
    nn_ctx n = {
        .cx = cx, .op = op, .table = table, .col = col,
        .qcol = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, *table), col),
        .helper = pgsql_object_name(cx->arena, "zdm_nn", table->name, col),
        .rows = op->rows,
    };
    if (cx->target->version < 12)
        return nn_pg11(&n);
    nn_add_check(&n);
    nn_validate(&n);
    nn_set(&n);
    nn_drop_check(&n);
    return 0;
}
