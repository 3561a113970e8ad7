/*
 * pgsql_rename.c - RENAME COLUMN and RENAME TABLE for PostgreSQL.
 *
 * A renamed column is an expand/contract move (pgsql_move.c): the column
 * under its new name is added, the table's sync trigger keeps both names in
 * step both ways (the old application writes the old name, the new one the
 * new name), a batched pass fills it, its indexes and NOT NULL proof are built
 * online, and the contract phase drops the old column in the swap. The new
 * application is deployed between the end of expand and contract.
 *
 * A renamed table keeps its old name as a simple view over the new one until
 * the contract phase: ALTER TABLE ... RENAME and CREATE VIEW in one short
 * transaction. Such a view (one table, SELECT *) is automatically updatable
 * (manual: CREATE VIEW, "Updatable Views"), so the old application's
 * SELECT, INSERT, UPDATE, DELETE (with RETURNING and ON CONFLICT) keep
 * working through it. Its limits are stated in the plan.
 */
#include "pgsql_int.h"

/* ---- rename column ---------------------------------------------------------------- */

static int rename_in_place(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_EXPAND, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "rename column %s.%s to %s",
                                            zdm_name_str(cx->arena, op->table),
                                            op->old_col->name, op->col->name));
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    s->why = "The table is created by this migration: no application uses the old name.";
    s->forward = pgsql_retry_sql(cx, s, pgsql_cond_column(cx, &op->table, op->old_col->name, true),
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N RENAME COLUMN %I TO %I;",
                                              &op->table, op->old_col->name, op->col->name),
                                 0);
    s->rollback = "-- nothing to undo here: the rollback of its create table drops the table\n";
    return 0;
}

int pgsql_lower_rename_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (!zdm_schema_table(cx->mig->base, op->table))
        return rename_in_place(cx, op);
    if (zdm_migration_column_is_new(cx->mig, op->table, op->old_col->name))
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "Give the column its final name in the statement that adds "
                               "or renames it; rename it again in a later migration, after "
                               "this one's contract phase.",
                               "renaming column %s.%s, which an earlier statement of this "
                               "migration adds or renames, is not supported for target %s", zdm_name_str(cx->arena, op->table),
                               op->old_col->name, cx->target->canonical);
    if (pgsql_move_supported(cx, op, op->old_col->name) != 0)
        return -1;
    zdm_step *s = pgsql_move_steps(cx, pgsql_move_of(cx, op));
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "Until contract both %s and %s exist: a statement that "
                              "writes both with different values keeps %s's; an INSERT that "
                              "gives %s as NULL explicitly gets %s's value (or default).",
                              op->old_col->name, op->col->name, op->old_col->name,
                              op->col->name, op->old_col->name),
                  "Have each application version write one of the two names.");
    return 0;
}

/* ---- rename table --------------------------------------------------------------------- */

static const char *relkind_is(zdm_lower_ctx *cx, const zdm_name *t, const char *kinds)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass(%L) "
                        "AND relkind = ANY (%L))",
                        pgsql_regclass(cx, t), kinds);
}


static const char *view_sql(zdm_lower_ctx *cx, const zdm_op *op)
{
    return zdm_sqlf_str(cx->arena, PG, "CREATE VIEW %N AS SELECT * FROM %N;", &op->table, &op->to);
}

static const char *table_back_sql(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op)
{
    const char *guard = zdm_sprintf(cx->arena, "%s\nAND (%s\n     OR %s)",
                                    relkind_is(cx, &op->to, "{r,p}"),
                                    pgsql_cond_table(cx, &op->table, false),
                                    relkind_is(cx, &op->table, "{v}"));
    return pgsql_retry_sql(cx, s, guard,
                           zdm_sqlf_str(cx->arena, PG, "DROP VIEW IF EXISTS %N;\n"
                                        "ALTER TABLE %N RENAME TO %I;",
                                        &op->table, &op->to, op->table.name),
                           0);
}

static void rename_table_expand(zdm_lower_ctx *cx, const zdm_op *op, bool view)
{
    const char *from = zdm_name_str(cx->arena, op->table), *to = zdm_name_str(cx->arena, op->to);
    zdm_step *s = pgsql_brief_step(cx, op, ZDM_PHASE_EXPAND,
                              view ? zdm_sprintf(cx->arena, "rename table %s to %s and leave "
                                                 "a view %s", from, to, from)
                                   : zdm_sprintf(cx->arena, "rename table %s to %s", from, to));
    s->why = view ? "One short transaction: from its commit on the table is reachable under both "
                    "names; the view is automatically updatable, so the old application keeps "
                    "reading and writing through it."
                  : "The table is created by this migration: no application uses the old name.";
    const char *ddl = zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N RENAME TO %I;%s%s", &op->table,
                                   op->to.name, view ? "\n" : "", view ? view_sql(cx, op) : "");
    const char *guard = zdm_sprintf(cx->arena, "%s\nAND %s", relkind_is(cx, &op->table, "{r,p}"),
                                    pgsql_cond_table(cx, &op->to, false));
    s->forward = pgsql_retry_sql(cx, s, guard, ddl, 0);
    s->rollback = view ? table_back_sql(cx, s, op)
                       : "-- nothing to undo here: the rollback of its create table drops the "
                         "table\n";
    pgsql_risk_strong_lock(cx, s, &op->table, "ALTER TABLE ... RENAME");
    if (!view)
        return;
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists", from),
              relkind_is(cx, &op->table, "{r,p}"));
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "name %s is free", to),
              pgsql_cond_table(cx, &op->to, false));
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "table %s exists", to),
               relkind_is(cx, &op->to, "{r,p}"));
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "Until contract the old name %s is a view: reads, "
                              "INSERT/UPDATE/DELETE (with RETURNING, ON CONFLICT) work through "
                              "it, but not COPY FROM, TRUNCATE, LOCK on PostgreSQL < 11, DDL "
                              "(ALTER TABLE %s ...) or columns added after the rename "
                              "(SELECT * was expanded when the view was made); privileges "
                              "on the table are checked as the view's owner.", from, from),
                  "Keep schema changes to the table out of the rollout window; deploy the "
                  "version that uses the new name, then run contract.");
}

static void rename_table_contract(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *from = zdm_name_str(cx->arena, op->table), *to = zdm_name_str(cx->arena, op->to);
    zdm_step *s = pgsql_brief_step(cx, op, ZDM_PHASE_CONTRACT,
                              zdm_sprintf(cx->arena, "drop the compatibility view %s", from));
    s->why = "Every application instance uses the new name now.";
    s->forward = pgsql_retry_sql(cx, s, relkind_is(cx, &op->table, "{v}"),
                                 zdm_sqlf_str(cx->arena, PG, "DROP VIEW %N;", &op->table), 0);
    s->rollback = pgsql_retry_sql(cx, s,
                                  zdm_sprintf(cx->arena, "%s\nAND %s",
                                              relkind_is(cx, &op->to, "{r,p}"),
                                              pgsql_cond_table(cx, &op->table, false)),
                                  view_sql(cx, op), 0);
    pgsql_risk_strong_lock(cx, s, &op->table, "DROP VIEW");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "After this step the name %s is gone.", from),
                  "Run contract only once no instance of the old application is left.");
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "name %s is free", from),
               pgsql_cond_table(cx, &op->table, false));
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "Deploy the application version that uses table "
                                    "%s (not %s) before running contract; it works from the "
                                    "end of expand on.", to, from));
}

int pgsql_lower_rename_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    bool existing = zdm_schema_table(cx->mig->base, op->table) != NULL;
    rename_table_expand(cx, op, existing);
    if (existing)
        rename_table_contract(cx, op);
    return 0;
}
