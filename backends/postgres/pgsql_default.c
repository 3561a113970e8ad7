/*
 * pgsql_default.c - DROP NOT NULL, SET DEFAULT and DROP DEFAULT for
 * PostgreSQL: each one catalog change under a brief ACCESS EXCLUSIVE, retried,
 * in the expand phase (a relaxed constraint or a new default is safe for both
 * application versions).
 *
 * The rollback of DROP NOT NULL puts the constraint back the online way: on
 * PostgreSQL 12+ CHECK NOT VALID, VALIDATE (SHARE UPDATE EXCLUSIVE), SET NOT
 * NULL (no scan) and the helper check dropped, all in one guarded rollback
 * text; on 11 one SET NOT NULL whose scan holds ACCESS EXCLUSIVE. It fails
 * when a NULL was written meanwhile, and the plan says so.
 *
 * The rollback of a default change restores the previous default from the
 * history exactly (or drops it when there was none).
 */
#include "pgsql_int.h"

static zdm_step *brief_step(zdm_lower_ctx *cx, const zdm_op *op, const char *title)
{
    return pgsql_brief_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "%s %s.%s", title,
                                        zdm_name_str(cx->arena, op->table), op->old_col->name));
}

static const char *qcol(zdm_lower_ctx *cx, const zdm_op *op)
{
    return zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table),
                       op->old_col->name);
}

static const char *cond_not_null(zdm_lower_ctx *cx, const zdm_op *op, bool not_null)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
                        "to_regclass(%L) AND attname = %L AND attnum > 0 AND NOT attisdropped "
                        "AND attnotnull = %s)",
                        pgsql_regclass(cx, &op->table), op->old_col->name,
                        not_null ? "true" : "false");
}

/* The column as the history leaves it (verify_pre) or as the whole migration
 * leaves it (verify_post), or NULL: checks state what is true at those times,
 * not between two ops on the same column. */
static const zdm_column *col_in(const zdm_schema *sc, const zdm_op *op)
{
    const zdm_table *t = sc ? zdm_schema_table(sc, op->table) : NULL;
    return t ? zdm_table_column(t, op->old_col->name) : NULL;
}

/* ---- DROP NOT NULL ------------------------------------------------------------ */

/* The online SET NOT NULL of PostgreSQL 12+ as one rollback text: every
 * statement guarded, each strong-lock one retried, VALIDATE under its own
 * (longer lock, no statement) timeouts. */
static const char *renull_online(zdm_lower_ctx *cx, const zdm_op *op, zdm_step *s)
{
    const zdm_name *t = &op->table;
    const char *col = op->old_col->name;
    const char *helper = pgsql_object_name(cx->arena, "zdm_nn", t->name, col);
    const char *has_helper = zdm_sqlf_str(cx->arena, PG,
                                          "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE "
                                          "conrelid = to_regclass(%L) AND conname = %L)",
                                          pgsql_regclass(cx, t), helper);
    const char *nullable = cond_not_null(cx, op, false);
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, pgsql_retry_sql(cx, s, zdm_sprintf(cx->arena, "%s\nAND NOT %s", nullable,
                                                         has_helper),
                                     zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT "
                                                  "%I CHECK (%I IS NOT NULL) NOT VALID;",
                                                  t, helper, col),
                                     0));
    /* VALIDATE waits only for SHARE UPDATE EXCLUSIVE: a longer wait, no cap. */
    zdm_step v = {.lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms};
    zdm_buf_puts(&b, pgsql_step_sql(cx, &v,
                                    zdm_sqlf_str(cx->arena, PG,
                                                 "SELECT format('ALTER TABLE %%s VALIDATE "
                                                 "CONSTRAINT %%I', c.conrelid::regclass, "
                                                 "c.conname)\n"
                                                 "  FROM pg_catalog.pg_constraint c\n"
                                                 " WHERE c.conrelid = to_regclass(%L) AND "
                                                 "c.conname = %L AND NOT c.convalidated \\gexec\n",
                                                 pgsql_regclass(cx, t), helper)));
    zdm_buf_puts(&b, pgsql_retry_sql(cx, s, nullable,
                                     zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I "
                                                  "SET NOT NULL;", t, col),
                                     0));
    zdm_buf_puts(&b, pgsql_retry_sql(cx, s, has_helper,
                                     zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N DROP "
                                                  "CONSTRAINT IF EXISTS %I;", t, helper),
                                     0));
    return zdm_buf_cstr(&b);
}

/* PostgreSQL 11: SET NOT NULL scans under ACCESS EXCLUSIVE, whatever is done
 * first; its statement_timeout covers the scan. */
static const char *renull_pg11(zdm_lower_ctx *cx, const zdm_op *op, zdm_step *s)
{
    zdm_step r = *s;
    return pgsql_retry_sql(cx, &r, cond_not_null(cx, op, false),
                           zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I SET NOT "
                                        "NULL;", &op->table, op->old_col->name),
                           pgsql_est_scan(op->rows));
}

int pgsql_lower_drop_not_null(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_step *s = brief_step(cx, op, "drop not null on");
    bool pg11 = cx->target->version < 12;
    s->why = "DROP NOT NULL only changes the catalog (no scan, no rewrite); both application "
             "versions accept a column that allows NULL, so it belongs to the expand phase.";
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I "
                                              "DROP NOT NULL;", &op->table, op->old_col->name),
                                 0);
    s->rollback = pg11 ? renull_pg11(cx, op, s) : renull_online(cx, op, s);
    s->rollback_note =
        pg11 ? "SET NOT NULL again: on PostgreSQL 11 it scans the whole table under ACCESS "
               "EXCLUSIVE; it fails if a NULL was written to the column meanwhile"
             : "NOT NULL is put back online (CHECK NOT VALID, VALIDATE, SET NOT NULL without a "
               "scan, drop the helper check); it fails if a NULL was written meanwhile";
    pgsql_risk_strong_lock(cx, s, &op->table, "DROP NOT NULL");
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  zdm_sprintf(cx->arena, "Once the new application writes NULL into %s, the "
                              "rollback cannot make the column NOT NULL again.",
                              qcol(cx, op)),
                  "Before rolling back, set those rows to a value (UPDATE ... WHERE col IS "
                  "NULL) or keep the column nullable; the rollback stops without changing "
                  "anything on its first NULL.");
    if (pg11)
        zdm_step_risk(cx->plan, s, ZDM_RISK_FULL_SCAN,
                      "On PostgreSQL 11 the rollback's SET NOT NULL scans the table under "
                      "ACCESS EXCLUSIVE: reads and writes wait for the scan.",
                      "Roll back in a quiet window, or upgrade to PostgreSQL 12+.");
    const zdm_column *b = col_in(cx->mig->base, op), *f = col_in(cx->mig->final, op);
    if (b)
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "%s is %s", qcol(cx, op),
                                     b->not_null ? "NOT NULL" : "nullable"),
                  cond_not_null(cx, op, b->not_null));
    if (f)
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "%s is %s", qcol(cx, op),
                                      f->not_null ? "NOT NULL" : "nullable"),
                   cond_not_null(cx, op, f->not_null));
    return 0;
}

/* ---- SET DEFAULT / DROP DEFAULT --------------------------------------------------- */

static const char *default_sql(zdm_lower_ctx *cx, const zdm_op *op, const zdm_value *def)
{
    if (!def)
        return zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I DROP DEFAULT;",
                            &op->table, op->old_col->name);
    return zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I SET DEFAULT %R;",
                        &op->table, op->old_col->name, pgsql_value(cx, def));
}

/* Whether pg_attrdef holds a default for the column (present) or not. */
static const char *cond_default(zdm_lower_ctx *cx, const zdm_op *op, bool present)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "%sEXISTS (SELECT 1 FROM pg_catalog.pg_attrdef d JOIN "
                        "pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = "
                        "d.adnum WHERE d.adrelid = to_regclass(%L) AND a.attname = %L)",
                        present ? "" : "NOT ", pgsql_regclass(cx, &op->table),
                        op->old_col->name);
}

int pgsql_lower_set_default(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_value *def = op->col->def, *old = op->old_col->def;
    if (op->old_col->serial)
        return zdm_lower_error(cx, op, ZDM_E_NO_DEFINITION,
                               "A serial column's default is nextval() of its own sequence, "
                               "which the history does not spell out; change it with `execute` "
                               "and state its `revert`.",
                               "changing the default of serial column %s is not supported for "
                               "target %s", qcol(cx, op), cx->target->canonical);
    zdm_step *s = brief_step(cx, op, def ? "set default of" : "drop default of");
    s->why = "A column default applies only to rows inserted from now on: the change is "
             "catalog-only even for a volatile expression (no row is rewritten), and both "
             "application versions keep working.";
    s->forward = pgsql_retry_sql(cx, s, NULL, default_sql(cx, op, def), 0);
    s->rollback = pgsql_retry_sql(cx, s, pgsql_cond_column(cx, &op->table, op->old_col->name,
                                                           true),
                                  default_sql(cx, op, old), 0);
    s->rollback_note = old ? "the previous default is set again; rows inserted meanwhile keep "
                             "the value they got"
                           : "the default is dropped again; rows inserted meanwhile keep the "
                             "value they got";
    pgsql_risk_strong_lock(cx, s, &op->table, def ? "SET DEFAULT" : "DROP DEFAULT");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "Rows inserted without the column get the new default from this step on, "
                  "also from the old application; existing rows are not changed.",
                  "Backfill existing rows separately (backfill ...) if they must hold the new "
                  "value too.");
    const zdm_column *b = col_in(cx->mig->base, op), *f = col_in(cx->mig->final, op);
    if (b)
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "%s %s a default", qcol(cx, op),
                                     b->def ? "has" : "has no"),
                  cond_default(cx, op, b->def != NULL));
    if (f)
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "%s %s a default", qcol(cx, op),
                                      f->def ? "has" : "has no"),
                   cond_default(cx, op, f->def != NULL));
    return 0;
}
