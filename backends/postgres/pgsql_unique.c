/*
 * pgsql_unique.c - UNIQUE and PRIMARY KEY on an existing table.
 *
 * ADD CONSTRAINT ... UNIQUE (c) builds its index under ACCESS EXCLUSIVE for
 * the whole build. Instead: CREATE UNIQUE INDEX CONCURRENTLY under the
 * constraint's name (SHARE UPDATE EXCLUSIVE: reads and writes go on), then
 * ALTER TABLE ... ADD CONSTRAINT n UNIQUE USING INDEX n, a catalog change
 * under a brief, retried ACCESS EXCLUSIVE. The constraint then owns the index,
 * so the rollback's DROP CONSTRAINT drops both.
 *
 * A primary key needs its columns NOT NULL; USING INDEX on a nullable column
 * would run SET NOT NULL with its full scan under ACCESS EXCLUSIVE. So each
 * nullable column first gets the online NOT NULL sequence (pgsql_notnull.c),
 * and the key's steps follow it in the validate phase.
 */
#include "pgsql_int.h"

static zdm_index con_index(const pgsql_con *k)
{
    zdm_index_elem *el = ZDM_NEW_ARRAY(k->cx->arena, zdm_index_elem, k->con->ncols);
    for (size_t i = 0; i < k->con->ncols; i++)
        el[i].col = k->con->cols[i];
    zdm_index ix = {
        .name = k->con->name, .table = *k->table, .unique = true,
        .elems = el, .nelems = k->con->ncols,
    };
    return ix;
}

static const char *kind_sql(const zdm_constraint *c)
{
    return c->kind == ZDM_CON_PRIMARY ? "PRIMARY KEY" : "UNIQUE";
}

static const char *attach_sql(pgsql_con *k)
{
    return zdm_sqlf_str(k->cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I %s USING INDEX %I;",
                        k->table, k->con->name, kind_sql(k->con), k->con->name);
}

static const char *absent(pgsql_con *k)
{
    return zdm_sprintf(k->cx->arena, "NOT %s",
                       pgsql_cond_con(k->cx, k->table, k->con->name, false));
}

/* The key columns as "a, b", and "a IS NOT NULL AND b IS NOT NULL". */
static void key_lists(pgsql_con *k, const char **cols, const char **notnull)
{
    zdm_buf c, n;
    zdm_buf_init(&c, k->cx->arena);
    zdm_buf_init(&n, k->cx->arena);
    for (size_t i = 0; i < k->con->ncols; i++) {
        zdm_sqlf(&c, PG, "%s%I", i ? ", " : "", k->con->cols[i]);
        zdm_sqlf(&n, PG, "%s%I IS NOT NULL", i ? " AND " : "", k->con->cols[i]);
    }
    *cols = zdm_buf_cstr(&c);
    *notnull = zdm_buf_cstr(&n);
}

/* Duplicates among the keys as the migration leaves the rows (NULLs never
 * collide in a unique constraint; a primary key has none by then). */
static void duplicate_checks(pgsql_con *k, zdm_step *s)
{
    zdm_lower_ctx *cx = k->cx;
    const char *cols, *notnull;
    key_lists(k, &cols, &notnull);
    const char *start = pgsql_start_rel(cx, k->table);
    if (start)
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "no duplicates for %s", k->qname),
                  zdm_sqlf_str(cx->arena, PG,
                               "NOT EXISTS (SELECT 1 FROM %s WHERE %s GROUP BY %s HAVING "
                               "count(*) > 1)",
                               start, notnull, cols));
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  "The build fails on a duplicate key and leaves an INVALID index (which the "
                  "rollback or a rerun drops); nothing else changes.",
                  zdm_sqlf_str(cx->arena, PG,
                               "verify_pre looks for duplicates first. List them with: SELECT "
                               "%s, count(*) FROM %N WHERE %s GROUP BY %s HAVING count(*) > 1 "
                               "ORDER BY count(*) DESC LIMIT 100; fix or remove them, then rerun "
                               "the phase.",
                               cols, k->table, notnull, cols));
}

static void build_step(pgsql_con *k, const zdm_index *ix)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_step *s = pgsql_con_step(k, ZDM_STEP_CONCURRENT_INDEX, "build the unique index of");
    pgsql_lock(s, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
    s->scans = true;
    /* Waiting for SHARE UPDATE EXCLUSIVE stalls no reader or writer. */
    if (s->lock_timeout_ms < 10000)
        s->lock_timeout_ms = 10000;
    s->statement_timeout_ms = 0;
    pgsql_estimate(cx, s, k->table, k->rows, pgsql_est_index, "index build");
    s->why = "CREATE UNIQUE INDEX CONCURRENTLY builds the constraint's index while reads and "
             "writes go on; the constraint then adopts it without a second build.";
    s->forward = pgsql_step_sql(cx, s, pgsql_create_index_sql(cx, ix));
    s->rollback = pgsql_step_sql(cx, s, zdm_sqlf_str(cx->arena, PG,
                                                     "DROP INDEX CONCURRENTLY IF EXISTS %N;\n",
                                                     &(zdm_name){k->table->schema, ix->name}));
    if (!pgsql_con_in(cx->mig->base, k->table, k->con->name)) {
        zdm_name in = {k->table->schema, ix->name};
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "name %s is free", k->qname),
                  zdm_sprintf(cx->arena, "%s AND NOT %s", pgsql_cond_table(cx, &in, false),
                              pgsql_cond_con(cx, k->table, k->con->name, false)));
    }
    duplicate_checks(k, s);
    zdm_step_risk(cx->plan, s, ZDM_RISK_INDEX_BUILD,
                  "A concurrent build scans the table twice and sorts; a parallel build can "
                  "take every core, and it needs disk for the index and the sort.",
                  "Run it off-peak; check free disk; lower max_parallel_maintenance_workers to "
                  "leave cores to the application.");
    zdm_step_risk(cx->plan, s, ZDM_RISK_LOCK_QUEUE,
                  "CONCURRENTLY waits for every transaction open when it starts before each "
                  "of its phases.",
                  "End long transactions first; the wait holds only SHARE UPDATE EXCLUSIVE, so "
                  "reads and writes go on.");
}

static void attach_step(pgsql_con *k)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_step *s = pgsql_con_step(k, ZDM_STEP_TX, k->con->kind == ZDM_CON_PRIMARY
                                                     ? "add primary key using index"
                                                     : "add unique constraint using index");
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only: the index is built and its columns are NOT NULL";
    s->why = "USING INDEX adopts the valid unique index as the constraint's: a catalog change, "
             "no scan and no build, under a brief, retried lock.";
    s->forward = pgsql_retry_sql(cx, s, absent(k), attach_sql(k), 0);
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                               "CONSTRAINT IF EXISTS %I;", k->table,
                                               k->con->name),
                                  0);
    s->rollback_note = "dropping the constraint drops its index too";
    pgsql_risk_strong_lock(cx, s, k->table, "ADD CONSTRAINT ... USING INDEX");
    if (pgsql_con_in(cx->mig->final, k->table, k->con->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "%s %s exists and is valid",
                                      k->con->kind == ZDM_CON_PRIMARY ? "primary key"
                                                                      : "unique constraint",
                                      k->qname),
                   zdm_sqlf_str(cx->arena, PG,
                                "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid "
                                "= to_regclass(%L) AND conname = %L AND contype = %L AND "
                                "convalidated)",
                                pgsql_regclass(cx, k->table), k->con->name,
                                k->con->kind == ZDM_CON_PRIMARY ? "p" : "u"));
}

/* A column of the primary key that is nullable before it, or NULL: it is
 * made NOT NULL online first. */
static const zdm_column *nullable_key_col(pgsql_con *k, size_t i)
{
    const zdm_column *c = zdm_table_column(k->op->before, k->con->cols[i]);
    if (k->con->kind != ZDM_CON_PRIMARY || !c || c->not_null ||
        c->identity != ZDM_IDENTITY_NONE || c->serial)
        return NULL;
    return c;
}

int pgsql_unique_steps(pgsql_con *k)
{
    for (size_t i = 0; i < k->con->ncols; i++) {
        const zdm_column *c = nullable_key_col(k, i);
        if (!c)
            continue;
        k->phase = ZDM_PHASE_VALIDATE; /* where pgsql_not_null_steps puts its steps */
        if (pgsql_not_null_steps(k->cx, k->op, k->table, c->name) != 0)
            return -1;
    }
    zdm_index ix = con_index(k);
    build_step(k, &ix);
    attach_step(k);
    return 0;
}

const char *pgsql_unique_recreate_sql(pgsql_con *k, zdm_step *s)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_index ix = con_index(k);
    zdm_step build = *s;
    build.lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms;
    build.statement_timeout_ms = 0;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "-- skipped (IF NOT EXISTS) while the constraint and its index exist\n");
    zdm_buf_puts(&b, pgsql_step_sql(cx, &build, pgsql_create_index_sql(cx, &ix)));
    zdm_buf_puts(&b, pgsql_retry_sql(cx, s, absent(k), attach_sql(k), 0));
    return zdm_buf_cstr(&b);
}
