/*
 * pgsql_column.c - ADD COLUMN and SET NOT NULL for PostgreSQL.
 *
 * ADD COLUMN is metadata-only on PostgreSQL 11+ when the column has no default
 * or a non-volatile one (the value is kept in pg_attribute.attmissingval), so
 * it is one retried ALTER under a short lock_timeout. A literal default is
 * non-volatile by construction; a raw default might be volatile (now(),
 * random()) and would rewrite the table, so it becomes: nullable ADD COLUMN and
 * SET DEFAULT in one short transaction (new rows get the default from then
 * on), a batched fill of the rows that existed before (still NULL), then the
 * online NOT NULL sequence if the column is NOT NULL.
 *
 * SET NOT NULL on PostgreSQL 12+ skips its full-table scan when a validated
 * CHECK (c IS NOT NULL) proves it, so it is: CHECK ... NOT VALID (brief lock),
 * VALIDATE (SHARE UPDATE EXCLUSIVE, reads and writes go on), SET NOT NULL
 * (brief lock, no scan), drop the helper check. PostgreSQL 11 scans under
 * ACCESS EXCLUSIVE whatever is done first, and the plan says so.
 *
 * An identity or serial column added to an existing table has no online form
 * in PostgreSQL (every row would get a nextval(): a rewrite); pgsql_identity.c
 * builds it from online steps instead.
 */
#include "pgsql_int.h"

#include <string.h>

static bool table_is_new(zdm_lower_ctx *cx, const zdm_name *t)
{
    return zdm_schema_table(cx->mig->base, *t) == NULL;
}

static void add_column_checks(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op)
{
    const char *qc = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table),
                                 op->col->name);
    if (!table_is_new(cx, &op->table)) {
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists",
                                     zdm_name_str(cx->arena, op->table)),
                  pgsql_cond_table(cx, &op->table, true));
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "column %s does not exist yet", qc),
                  pgsql_cond_column(cx, &op->table, op->col->name, false));
    }
    /* The post-check states the column as the whole migration leaves it. */
    const zdm_table *fin = zdm_schema_table(cx->mig->final, op->table);
    const zdm_column *fc = fin ? zdm_table_column(fin, op->col->name) : NULL;
    if (fc)
        pgsql_post(cx, s,
                   zdm_sprintf(cx->arena, "column %s is %s%s", qc,
                               zdm_coltype_str(cx->arena, &fc->type),
                               fc->not_null ? " not null" : " nullable"),
                   pgsql_cond_column_shape(cx, &op->table, fc));
}

static bool raw_default(zdm_lower_ctx *cx, const zdm_op *op)
{
    return op->col->def && op->col->def->kind == ZDM_V_RAW && !table_is_new(cx, &op->table);
}

static const char *add_sql(zdm_lower_ctx *cx, const zdm_op *op, const zdm_column *c)
{
    if (!raw_default(cx, op))
        return zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD COLUMN IF NOT EXISTS %s;",
                            &op->table, pgsql_column_def(cx, c));
    zdm_column bare = *c;
    bare.def = NULL;
    return zdm_sqlf_str(cx->arena, PG,
                        "ALTER TABLE %N ADD COLUMN IF NOT EXISTS %s;\n"
                        "ALTER TABLE %N ALTER COLUMN %I SET DEFAULT %R;",
                        &op->table, pgsql_column_def(cx, &bare), &op->table, c->name,
                        pgsql_value(cx, c->def));
}

static const char *add_why(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (raw_default(cx, op))
        return "The default is a raw expression that may be volatile, which would rewrite the "
               "table: the column is added without it (metadata only), the default is set in "
               "the same transaction for new rows, and existing rows are filled in batches.";
    return op->col->def ? "Metadata only on PostgreSQL 11+: a non-volatile default is stored "
                          "once in the catalog (attmissingval), not written into every row."
                        : "Metadata only: a column without a default is NULL in every existing "
                          "row without touching them.";
}

int pgsql_lower_add_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    /* A unique / references / check / primary key on the new column comes
     * as its own ADD_CONSTRAINT op after this one (pgsql_constraint.c), so
     * the column is added bare. Identity and serial columns on an existing table: their own online
     * sequence (pgsql_identity.c), since ADD COLUMN would rewrite the table. */
    if (!table_is_new(cx, &op->table) &&
        (op->col->identity != ZDM_IDENTITY_NONE || op->col->serial))
        return pgsql_add_sequence_column(cx, op);
    zdm_column c = *op->col;
    /* NOT NULL without a literal default: added nullable, filled (by its
     * backfill, or by the default fill), then made NOT NULL online. */
    bool not_null_later = c.not_null && !table_is_new(cx, &op->table) &&
                          (!c.def || raw_default(cx, op));
    if (not_null_later)
        c.not_null = false;
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_EXPAND, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "add column %s.%s",
                                            zdm_name_str(cx->arena, op->table), c.name));
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    s->why = add_why(cx, op);
    s->forward = pgsql_retry_sql(cx, s, NULL, add_sql(cx, op, &c), 0);
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                               "COLUMN IF EXISTS %I;", &op->table, c.name),
                                  0);
    s->rollback_note = "the column is dropped with every value written to it";
    pgsql_risk_strong_lock(cx, s, &op->table, "ADD COLUMN");
    add_column_checks(cx, s, op);
    if (raw_default(cx, op)) {
        zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                      "Existing rows get the default when the backfill reaches them, not at "
                      "ADD COLUMN time: a volatile default (now()) differs per batch, unlike "
                      "the single value one ALTER would give.",
                      "Use a literal default if every existing row must hold the same value.");
        if (pgsql_default_fill(cx, op, &c) != 0)
            return -1;
    }
    if (not_null_later)
        return pgsql_not_null_steps(cx, op, &op->table, c.name);
    return 0;
}

int pgsql_lower_set_not_null(zdm_lower_ctx *cx, const zdm_op *op)
{
    return pgsql_not_null_steps(cx, op, &op->table, op->col->name);
}
