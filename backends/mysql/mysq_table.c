/*
 * mysq_table.c - CREATE TABLE, DROP TABLE, RENAME TABLE, `execute`, and the
 * clear refusals of what this backend does not lower yet, for MySQL/MariaDB.
 *
 * RENAME TABLE is atomic and a catalog change, but it takes an exclusive
 * metadata lock: it runs through the retry procedure with the short
 * lock_wait_timeout. MySQL has no updatable alias that keeps the old name
 * working, so a rename goes to the contract phase, after the checkpoint that
 * stops the application using the old name. Enum types are refused: MySQL's
 * enum is a column type.
 */
#include "mysq_int.h"

#include <string.h>

int mysq_lower_create_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->after;
    zdm_lower_note_sqlite_options(cx, t);
    const char *qn = zdm_name_str(cx->arena, t->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND, zdm_sprintf(cx->arena, "create table %s", qn));
    s->why = "A new, empty table that no application uses yet.";
    s->lock = "none (a new table)";
    s->retried = false;
    s->lock_level = ZDM_LOCK_NONE;
    s->forward = mysq_step_sql(cx, zdm_sprintf(cx->arena, "%s;\n", mysq_create_table_sql(cx, t)));
    s->rollback = mysq_step_sql(cx, zdm_sqlf_str(cx->arena, MQ(cx), "DROP TABLE IF EXISTS %I;\n",
                                                 t->name.name));
    s->rollback_note = "the table and every row written to it are dropped";
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "table %s does not exist yet", qn),
             mysq_cond_table(cx, &t->name, false));
    mysq_post(cx, s, zdm_sprintf(cx->arena, "table %s exists", qn),
              mysq_cond_table(cx, &t->name, true));
    for (size_t i = 0; i < t->ncols; i++) {
        const zdm_column *c = t->cols[i];
        mysq_post(cx, s,
                  zdm_sprintf(cx->arena, "column %s.%s is %s%s", qn, c->name,
                              zdm_coltype_str(cx->arena, &c->type), c->not_null ? " not null" : ""),
                  mysq_cond_column_shape(cx, &t->name, c));
    }
    return 0;
}

static const char *rename_sql(zdm_lower_ctx *cx, const zdm_name *from, const zdm_name *to)
{
    const char *cond = zdm_sprintf(cx->arena, "%s AND %s", mysq_cond_table(cx, from, true),
                                   mysq_cond_table(cx, to, false));
    return mysq_step_sql(cx, mysq_ddl_sql(cx, cond,
                                          zdm_sqlf_str(cx->arena, MQ(cx), "RENAME TABLE %I TO %I",
                                                       from->name, to->name)));
}

int mysq_lower_drop_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->before;
    const char *qn = zdm_name_str(cx->arena, t->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, op->keep ? "move table %s aside to %s"
                                                            : "drop table %s",
                                        qn, op->to.name ? op->to.name : ""));
    if (op->keep) {
        s->why = "RENAME TABLE is a catalog change; the rows are kept under the aside name.";
        s->forward = rename_sql(cx, &t->name, &op->to);
        s->rollback = rename_sql(cx, &op->to, &t->name);
    } else {
        s->why = "The application no longer uses the table (contract phase). DROP TABLE holds "
                 "an exclusive metadata lock while InnoDB frees the table's file.";
        s->forward = mysq_step_sql(
            cx, mysq_ddl_sql(cx, mysq_cond_table(cx, &t->name, true),
                             zdm_sqlf_str(cx->arena, MQ(cx), "DROP TABLE %I", t->name.name)));
        s->rollback = mysq_step_sql(cx, zdm_sprintf(cx->arena, "%s;\n",
                                                    mysq_create_table_sql(cx, t)));
        s->rollback_note = "the table comes back empty: its rows are not restored";
        zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                      zdm_sprintf(cx->arena, "Every row of %s is deleted for good.", qn),
                      "Back the table up first (mysqldump DB TABLE), or use `drop table ... "
                      "keep`.");
    }
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "table %s is gone", qn),
              mysq_cond_table(cx, &t->name, false));
    return 0;
}

int mysq_lower_rename_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *from = op->table.name, *to = op->to.name;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "rename table %s to %s", from, to));
    s->why = "RENAME TABLE is atomic and a catalog change; foreign keys that reference the "
             "table follow it.";
    s->forward = rename_sql(cx, &op->table, &op->to);
    s->rollback = rename_sql(cx, &op->to, &op->table);
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "MySQL has no updatable alias that keeps the old name working: the old "
                  "application fails on the old name from this step on.",
                  "Deploy the application that uses the new name together with this phase.");
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena,
                                    "Stop the application that uses table %s; the version that "
                                    "uses %s starts right after the contract phase.",
                                    from, to));
    mysq_pre_long_trx(cx, s);
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists", from),
             mysq_cond_table(cx, &op->table, true));
    mysq_post(cx, s, zdm_sprintf(cx->arena, "table %s exists", to),
              mysq_cond_table(cx, &op->to, true));
    return 0;
}

int mysq_lower_execute(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *sql = zdm_value_inner_for(cx->arena, op->using_, MQ(cx)->family);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND, "execute raw SQL");
    s->why = "Raw SQL from the migration, run as written.";
    s->lock = "unknown (raw SQL)";
    s->retried = false;
    s->est_seconds = -1;
    s->est_note = "raw SQL: zdm cannot estimate it";
    s->forward = mysq_step_sql(cx, zdm_sqlf_str(cx->arena, MQ(cx), "%R;\n", sql));
    if (op->revert)
        s->rollback = mysq_step_sql(
            cx, zdm_sqlf_str(cx->arena, MQ(cx), "%R;\n",
                             zdm_value_inner_for(cx->arena, op->revert, MQ(cx)->family)));
    else
        s->rollback_note = "irreversible: the migration gives no revert";
    zdm_step_risk(cx->plan, s, ZDM_RISK_UNVERIFIED_SQL,
                  "zdm does not analyse raw SQL: its locks, duration and effect are unknown.",
                  "Review it; give every ALTER an explicit ALGORITHM and LOCK; test it on a "
                  "copy of the database.");
    return 0;
}

int mysq_lower_refuse(zdm_lower_ctx *cx, const zdm_op *op)
{
    return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                           "MySQL has no enum types: declare the column with the raw type "
                           "`enum('a', 'b')`, or as varchar with a check",
                           "%s is not supported for target %s: MySQL has no enum types",
                           zdm_op_name(op->kind), cx->target->canonical);
}
