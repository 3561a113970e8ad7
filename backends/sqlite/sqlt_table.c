/*
 * sqlt_table.c - CREATE TABLE, DROP TABLE, RENAME TABLE, enum types and
 * `execute` for SQLite.
 *
 * CREATE TABLE and DROP TABLE are native and guarded (IF [NOT] EXISTS).
 * RENAME TABLE is native (https://www.sqlite.org/lang_altertable.html#altertabrename):
 * a catalog change in one short transaction that also rewrites the foreign
 * keys, triggers and views that name the table; SQLite has no updatable view
 * to keep the old name working, so the old application must be gone first:
 * the step runs in the contract phase, after the deploy checkpoint.
 * SQLite has no enum types: `create type ... as enum` is refused with a hint
 * (a CHECK constraint on the column is the SQLite way).
 */
#include "sqlt_int.h"

#include <string.h>

/* SQLite numbers only the rowid: an identity column in a WITHOUT ROWID
 * table would get no values. */
static int identity_without_rowid(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->after;
    for (size_t i = 0; t->without_rowid && i < t->ncols; i++)
        if (t->cols[i]->identity != ZDM_IDENTITY_NONE || t->cols[i]->serial)
            return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                                   "drop `without rowid` (the integer primary key is then the "
                                   "rowid, numbered by SQLite), or give the column its values",
                                   "column %s of table %s is an identity column, which target "
                                   "%s cannot number in a table without rowid",
                                   t->cols[i]->name, zdm_name_str(cx->arena, t->name),
                                   cx->target->canonical);
    return 0;
}

int sqlt_lower_create_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->after;
    if (identity_without_rowid(cx, op))
        return -1;
    const char *qn = zdm_name_str(cx->arena, t->name);
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_EXPAND, zdm_sprintf(cx->arena, "create table %s", qn));
    s->why = "A new, empty table that no application uses yet.";
    s->forward = sqlt_tx_sql(cx, sqlt_create_table_sql(cx, t, &t->name, true));
    s->rollback = sqlt_tx_sql(cx, zdm_sqlf_str(cx->arena, SQ, "DROP TABLE IF EXISTS %I;",
                                               t->name.name));
    s->rollback_note = "the table and every row written to it are dropped";
    sqlt_pre(cx, s, zdm_sprintf(cx->arena, "table %s does not exist yet", qn),
             sqlt_cond_table(cx, &t->name, false));
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "table %s exists", qn),
              sqlt_cond_table(cx, &t->name, true));
    for (size_t i = 0; i < t->ncols; i++) {
        const zdm_column *c = t->cols[i];
        sqlt_post(cx, s,
                  zdm_sprintf(cx->arena, "column %s.%s is %s%s", qn, c->name,
                              zdm_coltype_str(cx->arena, &c->type), c->not_null ? " not null" : ""),
                  sqlt_cond_column_shape(cx, &t->name, c));
    }
    return 0;
}

static const char *recreate_sql(zdm_lower_ctx *cx, const zdm_table *t)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, sqlt_create_table_sql(cx, t, &t->name, true));
    for (size_t i = 0; i < t->nindexes; i++)
        zdm_sqlf(&b, SQ, "\n%s", sqlt_create_index_sql(cx, t->indexes[i]));
    return zdm_buf_cstr(&b);
}

int sqlt_lower_drop_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->before;
    const char *qn = zdm_name_str(cx->arena, t->name);
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, op->keep ? "move table %s aside to %s"
                                                            : "drop table %s",
                                        qn, op->to.name ? op->to.name : ""));
    if (op->keep) {
        s->why = "A rename is a catalog change; the rows are kept under the aside name.";
        s->forward = sqlt_step_sql(
            cx, sqlt_guarded_sql(cx,
                                 zdm_sprintf(cx->arena, "%s AND %s",
                                             sqlt_cond_table(cx, &t->name, true),
                                             sqlt_cond_table(cx, &op->to, false)),
                                 zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I RENAME TO %I;",
                                              t->name.name, op->to.name)));
        s->rollback = sqlt_step_sql(
            cx, sqlt_guarded_sql(cx,
                                 zdm_sprintf(cx->arena, "%s AND %s",
                                             sqlt_cond_table(cx, &op->to, true),
                                             sqlt_cond_table(cx, &t->name, false)),
                                 zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I RENAME TO %I;",
                                              op->to.name, t->name.name)));
    } else {
        s->why = "The application no longer uses the table (contract phase).";
        s->forward = sqlt_tx_sql(cx, zdm_sqlf_str(cx->arena, SQ, "DROP TABLE IF EXISTS %I;",
                                                  t->name.name));
        s->rollback = sqlt_tx_sql(cx, recreate_sql(cx, t));
        s->rollback_note = "the table comes back empty: its rows are not restored";
        zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                      zdm_sprintf(cx->arena, "Every row of %s is deleted for good.", qn),
                      "Back the database file up first (sqlite3 DB '.backup file'), or use "
                      "`drop table ... keep`.");
    }
    sqlt_estimate(cx, s, &t->name, op->rows, SQLT_SCAN_RPS, "page free");
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "table %s is gone", qn),
              sqlt_cond_table(cx, &t->name, false));
    return 0;
}

int sqlt_lower_rename_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *from = op->table.name, *to = op->to.name;
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "rename table %s to %s", from, to));
    s->why = "ALTER TABLE RENAME is a catalog change in one short transaction; SQLite rewrites "
             "the foreign keys, triggers and views that name the table.";
    s->forward = sqlt_step_sql(
        cx, sqlt_guarded_sql(cx,
                             zdm_sprintf(cx->arena, "%s AND %s",
                                         sqlt_cond_table(cx, &op->table, true),
                                         sqlt_cond_table(cx, &op->to, false)),
                             zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I RENAME TO %I;", from, to)));
    s->rollback = sqlt_step_sql(
        cx, sqlt_guarded_sql(cx,
                             zdm_sprintf(cx->arena, "%s AND %s",
                                         sqlt_cond_table(cx, &op->to, true),
                                         sqlt_cond_table(cx, &op->table, false)),
                             zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I RENAME TO %I;", to, from)));
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "SQLite has no updatable view to keep the old name working: the old "
                  "application fails on the old name from this step on.",
                  "Deploy the application that uses the new name together with this phase; "
                  "it may read both names only if it retries on `no such table`.");
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena,
                                    "Stop the application that uses table %s; the version that "
                                    "uses %s starts right after the contract phase.",
                                    from, to));
    sqlt_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists", from),
             sqlt_cond_table(cx, &op->table, true));
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "table %s exists", to),
              sqlt_cond_table(cx, &op->to, true));
    return 0;
}

int sqlt_lower_create_enum(zdm_lower_ctx *cx, const zdm_op *op)
{
    return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                           "SQLite has no enum types: declare the column text with a check, "
                           "e.g. `check (status in ('new', 'paid'))`, and change that check",
                           "%s is not supported for target %s: SQLite has no enum types",
                           zdm_op_name(op->kind), cx->target->canonical);
}

int sqlt_lower_execute(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *sql = zdm_value_inner_for(cx->arena, op->using_, SQ->family);
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_EXPAND, "execute raw SQL");
    s->why = "Raw SQL from the migration, run as written in one IMMEDIATE transaction.";
    s->est_seconds = -1;
    s->est_note = "raw SQL: zdm cannot estimate it";
    s->forward = sqlt_tx_sql(cx, zdm_sqlf_str(cx->arena, SQ, "%R;", sql));
    if (op->revert)
        s->rollback = sqlt_tx_sql(cx, zdm_sqlf_str(cx->arena, SQ, "%R;",
                                                   zdm_value_inner_for(cx->arena, op->revert,
                                                                       SQ->family)));
    else
        s->rollback_note = "irreversible: the migration gives no revert";
    zdm_step_risk(cx->plan, s, ZDM_RISK_UNVERIFIED_SQL,
                  "zdm does not analyse raw SQL: its locks, duration and effect are unknown.",
                  "Review it; test it on a copy of the database file.");
    return 0;
}
