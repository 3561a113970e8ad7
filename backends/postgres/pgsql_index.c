/*
 * pgsql_index.c - CREATE [UNIQUE] INDEX and DROP INDEX, always CONCURRENTLY.
 *
 * CREATE INDEX CONCURRENTLY cannot run in a transaction block (nor in a DO
 * block), so these steps are plain psql statements. A concurrent build that
 * fails leaves an INVALID index behind; the step first drops such a leftover
 * (found in pg_index) with a \gexec, then builds with IF NOT EXISTS, so a rerun
 * after any failure finishes the job.
 *
 * The build runs with max_parallel_maintenance_workers set for it alone
 * (`set index_workers`, default 0): a parallel build's workers compete with
 * the application for every core, which on a small server stalls writers for
 * seconds while the build runs (docs/benchmarks.md, "Headline"). The setting
 * is reset after the statement, as the scripts also run as one psql session.
 */
#include "pgsql_int.h"

static void put_elems(zdm_lower_ctx *cx, zdm_buf *b, const zdm_index *ix)
{
    zdm_buf_putc(b, '(');
    for (size_t i = 0; i < ix->nelems; i++) {
        const zdm_index_elem *e = &ix->elems[i];
        if (i)
            zdm_buf_puts(b, ", ");
        if (e->col)
            zdm_sqlf(b, PG, "%I", e->col);
        else
            zdm_sqlf(b, PG, "%R", pgsql_value(cx, e->expr));
        if (e->order == ZDM_ORDER_ASC)
            zdm_buf_puts(b, " ASC");
        else if (e->order == ZDM_ORDER_DESC)
            zdm_buf_puts(b, " DESC");
    }
    zdm_buf_putc(b, ')');
}

const char *pgsql_create_index_sql(zdm_lower_ctx *cx, const zdm_index *ix)
{
    zdm_name in = pgsql_index_name(ix);
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG,
             "-- a failed concurrent build leaves an INVALID index: drop it first\n"
             "SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %%s', i.indexrelid::regclass)\n"
             "  FROM pg_catalog.pg_index i\n"
             " WHERE i.indexrelid = to_regclass(%L) AND NOT i.indisvalid \\gexec\n"
             "SET max_parallel_maintenance_workers = %lld;\n"
             "CREATE %sINDEX CONCURRENTLY IF NOT EXISTS %I ON %N ",
             pgsql_regclass(cx, &in),
             (long long)pgsql_st(cx)->index_workers,
             ix->unique ? "UNIQUE " : "", ix->name, &ix->table);
    put_elems(cx, &b, ix);
    if (ix->where)
        zdm_sqlf(&b, PG, " WHERE %R", pgsql_value(cx, ix->where));
    zdm_buf_puts(&b, ";\nRESET max_parallel_maintenance_workers;\n");
    return zdm_buf_cstr(&b);
}

static const char *drop_index_sql(zdm_lower_ctx *cx, const zdm_index *ix)
{
    zdm_name in = pgsql_index_name(ix);
    return zdm_sqlf_str(cx->arena, PG, "DROP INDEX CONCURRENTLY IF EXISTS %N;\n", &in);
}

static const char *cond_index(zdm_lower_ctx *cx, const zdm_index *ix, bool valid)
{
    zdm_name in = pgsql_index_name(ix);
    if (!valid)
        return pgsql_cond_table(cx, &in, false);
    return zdm_sqlf_str(cx->arena, PG,
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = "
                        "to_regclass(%L) AND indisvalid)",
                        pgsql_regclass(cx, &in));
}

/* Timeouts of a step that only takes SHARE UPDATE EXCLUSIVE: waiting for it
 * stalls no reader or writer, so the wait may be longer (an autovacuum is
 * cancelled after deadlock_timeout), and no statement_timeout cuts a build. */
static void concurrent_timeouts(zdm_lower_ctx *cx, zdm_step *s)
{
    int64_t lt = pgsql_st(cx)->lock_timeout_ms;
    s->lock_timeout_ms = lt < 10000 ? 10000 : lt;
    s->statement_timeout_ms = 0;
    pgsql_lock(s, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
}

/* Duplicates among the values the index will hold, computed before the
 * migration from the rows as it will leave them (pgsql_start_rel: new
 * columns with their default or backfill value); NULLs never collide. */
static void unique_precheck(zdm_lower_ctx *cx, zdm_step *s, const zdm_index *ix)
{
    const char *start = pgsql_start_rel(cx, &ix->table);
    if (!start)
        return;
    zdm_buf cols, keys, notnull;
    zdm_buf_init(&cols, cx->arena);
    zdm_buf_init(&keys, cx->arena);
    zdm_buf_init(&notnull, cx->arena);
    for (size_t i = 0; i < ix->nelems; i++) {
        const zdm_index_elem *e = &ix->elems[i];
        const char *v = e->col ? zdm_sqlf_str(cx->arena, PG, "%I", e->col)
                               : pgsql_value(cx, e->expr);
        /* Named in a subquery: GROUP BY (0) would mean "column 0". */
        zdm_sqlf(&cols, PG, "%s(%s) AS zdm_k%zu", i ? ", " : "", v, i + 1);
        zdm_sqlf(&keys, PG, "%szdm_k%zu", i ? ", " : "", i + 1);
        zdm_sqlf(&notnull, PG, "%szdm_k%zu IS NOT NULL", i ? " AND " : "", i + 1);
    }
    const char *where = ix->where ? zdm_sqlf_str(cx->arena, PG, " WHERE %R",
                                                 pgsql_value(cx, ix->where))
                                  : "";
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "no duplicates for unique index %s", ix->name),
              zdm_sqlf_str(cx->arena, PG,
                           "NOT EXISTS (SELECT 1 FROM (SELECT %s FROM %s%s) AS zdm_keys WHERE %s "
                           "GROUP BY %s HAVING count(*) > 1)",
                           zdm_buf_cstr(&cols), start, where, zdm_buf_cstr(&notnull),
                           zdm_buf_cstr(&keys)));
}

static void build_risks(zdm_lower_ctx *cx, zdm_step *s, const zdm_index *ix)
{
    zdm_step_risk(cx->plan, s, ZDM_RISK_INDEX_BUILD,
                  "A concurrent build scans the table twice and sorts; a parallel build can "
                  "take every core (field notes: writer latency rose during it), and it needs "
                  "disk for the index and the sort.",
                  "Run it off-peak; check free disk (about the size of the indexed columns); "
                  "lower max_parallel_maintenance_workers to leave cores to the application.");
    zdm_step_risk(cx->plan, s, ZDM_RISK_LOCK_QUEUE,
                  "CONCURRENTLY waits for every transaction open when it starts (on any "
                  "table) before each phase.",
                  "End long transactions first; the wait holds only SHARE UPDATE EXCLUSIVE, "
                  "so reads and writes go on.");
    if (ix->unique)
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "The build fails on a duplicate and leaves an INVALID index.",
                      "verify_pre looks for duplicates first; a rerun drops the INVALID index "
                      "and builds again.");
}

zdm_phase pgsql_index_phase(zdm_lower_ctx *cx, const zdm_name *t)
{
    return pgsql_sync_find(cx, t) ? ZDM_PHASE_VALIDATE : ZDM_PHASE_EXPAND;
}

/* Whether the schema (before or after the migration) has an index of that name. */
static bool index_in(const zdm_schema *sc, const zdm_index *ix)
{
    return sc && zdm_schema_index(sc, pgsql_index_name(ix), NULL) != NULL;
}

/*
 * An index dropped and made again under the same name in one migration (to
 * change its definition): the drop waits for the contract phase otherwise, and
 * CREATE ... IF NOT EXISTS would keep the old index and then lose both. So the
 * drop moves up to the create's phase, where it runs just before it (its
 * sequence number is lower), and the rollback undoes them in reverse.
 */
static void pull_drop_forward(zdm_lower_ctx *cx, const zdm_index *ix, zdm_phase ph)
{
    zdm_name in = pgsql_index_name(ix);
    for (size_t i = 0; i < cx->plan->steps.len; i++) {
        zdm_step *d = cx->plan->steps.items[i];
        if (!d->op || d->op->kind != ZDM_OP_DROP_INDEX || d->phase <= ph)
            continue;
        zdm_name dn = pgsql_index_name(d->op->index);
        if (!zdm_name_eq(dn, in))
            continue;
        d->phase = ph;
        zdm_step_risk(cx->plan, d, ZDM_RISK_APP_COMPAT,
                      "The index is dropped before its new definition is built (same name): "
                      "queries that used it run without it during the build.",
                      "Give the new index another name to build it first and drop the old "
                      "one in the contract phase.");
    }
}

int pgsql_lower_create_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_index *ix = op->index;
    pull_drop_forward(cx, ix, pgsql_index_phase(cx, &ix->table));
    zdm_step *s = zdm_plan_step(cx->plan, pgsql_index_phase(cx, &ix->table),
                                ZDM_STEP_CONCURRENT_INDEX,
                                zdm_sprintf(cx->arena, "create %sindex %s on %s",
                                            ix->unique ? "unique " : "", ix->name,
                                            zdm_name_str(cx->arena, ix->table)));
    s->op = op;
    s->scans = true;
    concurrent_timeouts(cx, s);
    pgsql_estimate(cx, s, &ix->table, op->rows, pgsql_est_index, "index build");
    s->why = "CONCURRENTLY builds without blocking reads or writes; it must run outside a "
             "transaction block.";
    s->forward = pgsql_step_sql(cx, s, pgsql_create_index_sql(cx, ix));
    s->rollback = pgsql_step_sql(cx, s, drop_index_sql(cx, ix));
    /* verify_pre sees the schema before the migration and verify_post the one
     * after it: an index dropped and made again in it is checked where true. */
    if (!index_in(cx->mig->base, ix))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "index name %s is free", ix->name),
                  cond_index(cx, ix, false));
    if (ix->unique)
        unique_precheck(cx, s, ix);
    if (index_in(cx->mig->final, ix))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "index %s exists and is valid", ix->name),
                   cond_index(cx, ix, true));
    build_risks(cx, s, ix);
    return 0;
}

int pgsql_lower_drop_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_index *ix = op->index;
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_CONTRACT, ZDM_STEP_CONCURRENT_INDEX,
                                zdm_sprintf(cx->arena, "drop index %s",
                                            zdm_name_str(cx->arena, pgsql_index_name(ix))));
    s->op = op;
    concurrent_timeouts(cx, s);
    pgsql_lock(s, "SHARE UPDATE EXCLUSIVE (waits for queries using the index)",
               ZDM_LOCK_CONCURRENT);
    s->est_seconds = 0.1;
    s->est_note = "catalog change, after the transactions using the index end";
    s->why = "DROP INDEX CONCURRENTLY waits for queries using the index instead of blocking "
             "the table.";
    s->forward = pgsql_step_sql(cx, s, drop_index_sql(cx, ix));
    s->rollback = pgsql_step_sql(cx, s, pgsql_create_index_sql(cx, ix));
    s->rollback_note = "the rollback rebuilds the index CONCURRENTLY: as long as the original "
                       "build";
    if (index_in(cx->mig->base, ix))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "index %s exists", ix->name),
                  zdm_sqlf_str(cx->arena, PG, "NOT (%s)", cond_index(cx, ix, false)));
    if (!index_in(cx->mig->final, ix))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "index %s is gone", ix->name),
                   cond_index(cx, ix, false));
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "Queries that used the index get slower (sequential scans).",
                  "Check pg_stat_user_indexes.idx_scan is 0 (or its replacement is valid) "
                  "before the contract phase.");
    return 0;
}
