/*
 * pgsql_fk.c - FOREIGN KEY and CHECK on an existing table: ADD CONSTRAINT
 * ... NOT VALID, then VALIDATE CONSTRAINT.
 *
 * NOT VALID skips the scan of the existing rows: a foreign key takes SHARE ROW
 * EXCLUSIVE on both tables (writes wait, reads go on), a check ACCESS
 * EXCLUSIVE, each only for a catalog change, retried under a short
 * lock_timeout. New and updated rows are checked from then on. VALIDATE then
 * scans under SHARE UPDATE EXCLUSIVE (ROW SHARE on the referenced table), so
 * reads and writes go on.
 *
 * A NOT VALID check is enforced on every UPDATE of a row, whatever column
 * changes: if an existing row broke it, the application's next update of that
 * row would fail. So the check's step first scans for such a row (no lock but
 * ACCESS SHARE) and fails before adding anything. A foreign key is only
 * re-checked when its key columns change, so VALIDATE is its enforcing step.
 */
#include "pgsql_int.h"

#include <string.h>

static bool is_fk(const pgsql_con *k) { return k->con->kind == ZDM_CON_FOREIGN; }

static const char *add_sql(pgsql_con *k)
{
    return zdm_sqlf_str(k->cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I %s NOT VALID;",
                        k->table, k->con->name, pgsql_con_def(k->cx, k->con));
}

static const char *absent(pgsql_con *k)
{
    return zdm_sprintf(k->cx->arena, "NOT %s",
                       pgsql_cond_con(k->cx, k->table, k->con->name, false));
}

/* ---- what breaks the rule: conditions over the rows -------------------------- */

/* "zdm_child.a IS NOT NULL AND ..." and "zdm_parent.x = zdm_child.a AND ...":
 * MATCH SIMPLE, a key with a NULL in it references nothing. */
static void fk_conds(pgsql_con *k, const char **notnull, const char **join, const char **cols)
{
    zdm_buf n, j, c;
    zdm_buf_init(&n, k->cx->arena);
    zdm_buf_init(&j, k->cx->arena);
    zdm_buf_init(&c, k->cx->arena);
    for (size_t i = 0; i < k->con->ncols; i++) {
        zdm_sqlf(&n, PG, "%szdm_child.%I IS NOT NULL", i ? " AND " : "", k->con->cols[i]);
        zdm_sqlf(&j, PG, "%szdm_parent.%I = zdm_child.%I", i ? " AND " : "",
                 k->con->ref_cols[i], k->con->cols[i]);
        zdm_sqlf(&c, PG, "%szdm_child.%I", i ? ", " : "", k->con->cols[i]);
    }
    *notnull = zdm_buf_cstr(&n);
    *join = zdm_buf_cstr(&j);
    *cols = zdm_buf_cstr(&c);
}

/* Rows of `rel` (aliased zdm_child) whose key has no parent. */
static const char *orphans_where(pgsql_con *k)
{
    const char *notnull, *join, *cols;
    fk_conds(k, &notnull, &join, &cols);
    if (!zdm_schema_table(k->cx->mig->base, k->con->ref_table))
        return notnull; /* the referenced table is created by this migration: empty */
    return zdm_sqlf_str(k->cx->arena, PG,
                        "%s AND NOT EXISTS (SELECT 1 FROM %N AS zdm_parent WHERE %s)", notnull,
                        &k->con->ref_table, join);
}

/* The pre-check over the rows as the migration leaves them, and the query
 * that lists what breaks the rule (in the risk's mitigation, plan.md). */
static void data_checks(pgsql_con *k, zdm_step *s)
{
    zdm_lower_ctx *cx = k->cx;
    const char *start = pgsql_start_rel(cx, k->table);
    const char *list, *risk;
    if (is_fk(k)) {
        const char *notnull, *join, *cols;
        fk_conds(k, &notnull, &join, &cols);
        if (start)
            pgsql_pre(cx, s, zdm_sprintf(cx->arena, "no orphans for %s", k->qname),
                      zdm_sqlf_str(cx->arena, PG,
                                   "NOT EXISTS (SELECT 1 FROM (SELECT * FROM %s) AS zdm_child "
                                   "WHERE %s)",
                                   start, orphans_where(k)));
        list = zdm_sqlf_str(cx->arena, PG,
                            "SELECT %s, count(*) FROM %N AS zdm_child WHERE %s GROUP BY %s "
                            "ORDER BY count(*) DESC LIMIT 100;",
                            cols, k->table, orphans_where(k), cols);
        risk = "VALIDATE fails if a row references a key that does not exist; the constraint "
               "stays NOT VALID (new rows are still checked).";
    } else {
        const char *expr = pgsql_value(cx, k->con->check);
        if (start)
            pgsql_pre(cx, s, zdm_sprintf(cx->arena, "no row breaks %s", k->qname),
                      zdm_sqlf_str(cx->arena, PG, "NOT EXISTS (SELECT 1 FROM %s WHERE NOT %R)",
                                   start, expr));
        list = zdm_sqlf_str(cx->arena, PG, "SELECT * FROM %N WHERE NOT %R LIMIT 100;",
                            k->table, expr);
        risk = "The check fails if a row makes the expression false (NULL passes).";
    }
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL, risk,
                  zdm_sprintf(cx->arena, "verify_pre looks for such rows first. List them with: "
                              "%s Fix them, then rerun the phase.", list));
}

/* ---- the missing index warning -------------------------------------------------- */

static bool leads_with(const char *const *cols, size_t n, const zdm_constraint *fk)
{
    if (n < fk->ncols)
        return false;
    for (size_t i = 0; i < fk->ncols; i++) {
        bool found = false;
        for (size_t j = 0; j < fk->ncols && !found; j++)
            found = cols[j] && strcmp(cols[j], fk->cols[i]) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* Whether the table (as the migration leaves it) has an index whose leading
 * columns are the foreign key's: a unique or primary key, or a full index. */
static bool fk_indexed(zdm_lower_ctx *cx, const zdm_table *t, const zdm_constraint *fk)
{
    for (size_t i = 0; i < t->ncons; i++)
        if (t->cons[i]->kind <= ZDM_CON_UNIQUE &&
            leads_with(t->cons[i]->cols, t->cons[i]->ncols, fk))
            return true;
    for (size_t i = 0; i < t->nindexes; i++) {
        const zdm_index *ix = t->indexes[i];
        if (ix->where)
            continue;
        const char **cols = ZDM_NEW_ARRAY(cx->arena, const char *, ix->nelems + 1);
        for (size_t j = 0; j < ix->nelems; j++)
            cols[j] = ix->elems[j].col;
        if (leads_with(cols, ix->nelems, fk))
            return true;
    }
    return false;
}

static void index_warning(pgsql_con *k)
{
    zdm_lower_ctx *cx = k->cx;
    const zdm_table *ft = zdm_schema_table(cx->mig->final, *k->table);
    if (!ft || !zdm_table_constraint(ft, k->con->name) || fk_indexed(cx, ft, k->con))
        return;
    zdm_buf cols, under;
    zdm_buf_init(&cols, cx->arena);
    zdm_buf_init(&under, cx->arena);
    for (size_t i = 0; i < k->con->ncols; i++) {
        zdm_sqlf(&cols, PG, "%s%I", i ? ", " : "", k->con->cols[i]);
        zdm_buf_printf(&under, "%s%s", i ? "_" : "", k->con->cols[i]);
    }
    const char *name = zdm_sprintf(cx->arena, "%s_%s_idx", k->table->name, zdm_buf_cstr(&under));
    if (strlen(name) > 63)
        name = pgsql_object_name(cx->arena, k->table->name, zdm_buf_cstr(&under), "idx");
    zdm_plan_warning(
        cx->plan,
        "foreign key %s: no index on %s leads with (%s). Every DELETE or key UPDATE on %s then "
        "scans %s for referencing rows%s. Add one in this or the next migration: `%s` "
        "(SQL: `%s`).",
        k->qname, zdm_name_str(cx->arena, *k->table), zdm_buf_cstr(&cols),
        zdm_name_str(cx->arena, k->con->ref_table), zdm_name_str(cx->arena, *k->table),
        k->con->on_delete == ZDM_FK_CASCADE ? " (and the cascade deletes them by that scan)" : "",
        zdm_sqlf_str(cx->arena, PG, "create index %I on %N (%s);", name, k->table,
                     zdm_buf_cstr(&cols)),
        zdm_sqlf_str(cx->arena, PG, "CREATE INDEX CONCURRENTLY %I ON %N (%s);", name, k->table,
                     zdm_buf_cstr(&cols)));
}

/* ---- the steps ------------------------------------------------------------------------- */

static void add_step(pgsql_con *k)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_step *s = pgsql_con_step(k, ZDM_STEP_TX, is_fk(k) ? "add foreign key NOT VALID"
                                                          : "add check NOT VALID");
    if (is_fk(k))
        pgsql_lock(s, zdm_sprintf(cx->arena, "SHARE ROW EXCLUSIVE (brief) on %s and %s",
                                  zdm_name_str(cx->arena, *k->table),
                                  zdm_name_str(cx->arena, k->con->ref_table)),
                   ZDM_LOCK_BLOCKS_WRITES);
    else
        pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    if (!is_fk(k)) { /* the read that looks for a row breaking the check */
        s->scans = true;
        pgsql_estimate(cx, s, k->table, k->rows, pgsql_est_scan,
                       "sequential scan (the pre-check read; the ALTER is a catalog change)");
    }
    s->why = is_fk(k) ? "NOT VALID adds the foreign key without checking the existing rows: a "
                        "catalog change under a brief, retried lock; new rows are checked."
                      : "NOT VALID adds the check without scanning: a catalog change under a "
                        "brief, retried lock. The step first makes sure no existing row breaks "
                        "it, since a NOT VALID check fails any later UPDATE of such a row.";
    const char *ddl = pgsql_retry_sql(cx, s, absent(k), add_sql(k), 0);
    if (!is_fk(k)) {
        const char *expr = pgsql_value(cx, k->con->check);
        ddl = zdm_sprintf(cx->arena, "%s%s",
                          pgsql_scan_assert_sql(
                              cx, s, zdm_sprintf(cx->arena, "no row breaks %s", k->qname),
                              zdm_sqlf_str(cx->arena, PG,
                                           "NOT EXISTS (SELECT 1 FROM %N WHERE NOT %R)",
                                           k->table, expr),
                              "List them with the query in plan.md (risk constraint_fail), "
                              "fix them, then rerun the phase.",
                              k->rows),
                          ddl);
    }
    s->forward = ddl;
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                               "CONSTRAINT IF EXISTS %I;", k->table,
                                               k->con->name),
                                  0);
    pgsql_risk_strong_lock(cx, s, k->table, is_fk(k) ? "ADD FOREIGN KEY ... NOT VALID"
                                                     : "ADD CHECK ... NOT VALID");
    if (!pgsql_con_in(cx->mig->base, k->table, k->con->name))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "constraint name %s is free", k->qname),
                  absent(k));
    if (!is_fk(k))
        zdm_step_risk(cx->plan, s, ZDM_RISK_FULL_SCAN,
                      "The step first reads the table for a row that breaks the check "
                      "(ACCESS SHARE only: reads and writes go on).",
                      "It stops at the first such row; on a large table run it off-peak.");
}

static void validate_step(pgsql_con *k)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_step *s = pgsql_con_step(k, ZDM_STEP_TX, "validate");
    if (is_fk(k))
        pgsql_lock(s, zdm_sprintf(cx->arena, "SHARE UPDATE EXCLUSIVE on %s, ROW SHARE on %s",
                                  zdm_name_str(cx->arena, *k->table),
                                  zdm_name_str(cx->arena, k->con->ref_table)),
                   ZDM_LOCK_CONCURRENT);
    else
        pgsql_lock(s, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
    s->scans = true;
    /* Waiting for SHARE UPDATE EXCLUSIVE stalls no reader or writer; a longer
     * wait lets an autovacuum on the table be cancelled instead of failing. */
    if (s->lock_timeout_ms < 10000)
        s->lock_timeout_ms = 10000;
    s->statement_timeout_ms = 0;
    if (is_fk(k))
        pgsql_estimate(cx, s, k->table, k->rows, pgsql_est_index,
                       "index-build (a join against the referenced table)");
    else
        pgsql_estimate(cx, s, k->table, k->rows, pgsql_est_scan, "sequential scan");
    s->why = "VALIDATE checks the existing rows under SHARE UPDATE EXCLUSIVE: reads and writes "
             "go on.";
    s->forward = pgsql_step_sql(cx, s, zdm_sqlf_str(cx->arena, PG,
                                                    "ALTER TABLE %N VALIDATE CONSTRAINT %I;\n",
                                                    k->table, k->con->name));
    s->rollback = "-- nothing to undo: validating a constraint changes no data\n";
    zdm_step_risk(cx->plan, s, ZDM_RISK_FULL_SCAN,
                  zdm_sprintf(cx->arena, "VALIDATE reads the whole table%s (estimate: %s).",
                              is_fk(k) ? " and looks up each key in the referenced one" : "",
                              zdm_duration_str(cx->arena, s->est_seconds)),
                  "It holds only SHARE UPDATE EXCLUSIVE; watch I/O and replica lag, and run it "
                  "off-peak on very large tables.");
    data_checks(k, s);
    if (pgsql_con_in(cx->mig->final, k->table, k->con->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "constraint %s exists and is validated",
                                      k->qname),
                   pgsql_cond_con(cx, k->table, k->con->name, true));
}

int pgsql_not_valid_steps(pgsql_con *k)
{
    add_step(k);
    validate_step(k);
    if (is_fk(k))
        index_warning(k);
    return 0;
}

const char *pgsql_not_valid_recreate_sql(pgsql_con *k, zdm_step *s)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_step val = *s;
    val.lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms;
    val.statement_timeout_ms = 0;
    const char *body = zdm_sqlf_str(cx->arena, PG,
                                    "BEGIN\n"
                                    "    IF %s THEN\n"
                                    "        ALTER TABLE %N VALIDATE CONSTRAINT %I;\n"
                                    "    END IF;\n"
                                    "END",
                                    zdm_sprintf(cx->arena, "%s AND NOT %s",
                                                pgsql_cond_con(cx, k->table, k->con->name, false),
                                                pgsql_cond_con(cx, k->table, k->con->name, true)),
                                    k->table, k->con->name);
    const char *tag = pgsql_dollar_tag(cx->arena, body);
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, pgsql_retry_sql(cx, s, absent(k), add_sql(k), 0));
    zdm_buf_puts(&b, "-- VALIDATE holds SHARE UPDATE EXCLUSIVE only: reads and writes go on\n");
    pgsql_timeouts(&b, &val);
    zdm_buf_printf(&b, "DO %s\n%s\n%s;\n", tag, body, tag);
    return zdm_buf_cstr(&b);
}
