/*
 * mysq_keys.c - CHECK constraints and primary-key changes for MySQL/MariaDB,
 * each by the cheapest path the algorithm table (mysq_algo.c) names:
 *   add check     COPY on every version (the server reads every row under a
 *                 lock): the shadow-table plan (mysq_shadow.c) instead;
 *   drop check    in place (INSTANT on MariaDB), a catalog change;
 *   primary key   a drop followed by an add on the same table is one ALTER
 *                 (DROP PRIMARY KEY, ADD PRIMARY KEY), rebuilt in place with
 *                 LOCK=NONE; an add to a table without one is rebuilt in place
 *                 too; a drop alone copies the table under a lock and leaves
 *                 no key to copy by: refused with the way out.
 * https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html#online-ddl-primary-key-operations
 */
#include "mysq_int.h"

#include <string.h>

const char *mysq_drop_check_clause(zdm_lower_ctx *cx, const char *name)
{
    /* MySQL 8.0 before 8.0.19 knows only DROP CHECK; MariaDB only DROP CONSTRAINT. */
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        mysq_st(cx)->flavour == MYSQ_MYSQL ? "DROP CHECK %I" : "DROP CONSTRAINT %I",
                        name);
}

static const char *guarded(zdm_lower_ctx *cx, const zdm_name *t, const char *cond,
                           const char *clause, mysq_algo_class cls)
{
    return mysq_step_sql(cx, mysq_ddl_sql(cx, cond, mysq_alter_sql(cx, t, clause, cls)));
}

static bool is_copy(zdm_lower_ctx *cx, mysq_algo_class cls)
{
    return strcmp(mysq_algo_for(cx, cls)->algorithm, "COPY") == 0;
}

int mysq_lower_add_check(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (is_copy(cx, MYSQ_ALGO_ADD_CHECK))
        return mysq_lower_shadow(cx, op);
    const zdm_constraint *k = op->con;
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", op->table.name, k->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_VALIDATE,
                            zdm_sprintf(cx->arena, "add check constraint %s", qn));
    mysq_apply_algo(cx, s, MYSQ_ALGO_ADD_CHECK, "ADD CONSTRAINT ... CHECK");
    s->why = "The server checks every row in place without blocking writes.";
    const char *absent = mysq_cond_constraint(cx, &op->table, k->name, "CHECK", false);
    const char *present = mysq_cond_constraint(cx, &op->table, k->name, "CHECK", true);
    s->forward = guarded(cx, &op->table, absent, mysq_add_clause(cx, k), MYSQ_ALGO_ADD_CHECK);
    s->rollback = guarded(cx, &op->table, present, mysq_drop_check_clause(cx, k->name),
                          MYSQ_ALGO_DROP_CHECK);
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "no row of %s fails check %s", op->table.name, k->name),
             zdm_sqlf_str(cx->arena, MQ(cx), "NOT EXISTS (SELECT 1 FROM %I WHERE NOT (%R))",
                          op->table.name, mysq_value(cx, k->check)));
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", qn), present);
    return 0;
}

int mysq_lower_drop_check(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_constraint *k = op->con;
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", op->table.name, k->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "drop check constraint %s", qn));
    mysq_apply_algo(cx, s, MYSQ_ALGO_DROP_CHECK, "DROP CONSTRAINT (check)");
    s->scans = false;
    s->why = "Dropping a check is a catalog change; nothing is read.";
    const char *absent = mysq_cond_constraint(cx, &op->table, k->name, "CHECK", false);
    const char *present = mysq_cond_constraint(cx, &op->table, k->name, "CHECK", true);
    s->forward = guarded(cx, &op->table, present, mysq_drop_check_clause(cx, k->name),
                         MYSQ_ALGO_DROP_CHECK);
    s->rollback = guarded(cx, &op->table, absent, mysq_add_clause(cx, k), MYSQ_ALGO_ADD_CHECK);
    const mysq_algo *back = mysq_algo_for(cx, MYSQ_ALGO_ADD_CHECK);
    s->rollback_note = zdm_sprintf(cx->arena,
                                   "adding the check back reads every row (ALGORITHM=%s, "
                                   "LOCK=%s) and fails, changing nothing, if a row written "
                                   "meanwhile fails it",
                                   back->algorithm, back->lock);
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "constraint %s is gone", qn), absent);
    return 0;
}

/* The op after `op` on the same table, or NULL. */
static const zdm_op *next_on_table(zdm_lower_ctx *cx, const zdm_op *op, int dir)
{
    size_t n = cx->mig->ops.len, i = 0;
    while (i < n && cx->mig->ops.items[i] != op)
        i++;
    for (size_t j = i + (size_t)dir; j < n; j += (size_t)dir) {
        const zdm_op *o = cx->mig->ops.items[j];
        if (zdm_name_eq(o->table, op->table))
            return o;
        if (dir < 0 && j == 0)
            break;
    }
    return NULL;
}

static bool is_pk_op(const zdm_op *o, zdm_op_kind kind)
{
    return o && o->kind == kind && o->con && o->con->kind == ZDM_CON_PRIMARY;
}

/* "[DROP PRIMARY KEY, ]ADD PRIMARY KEY (cols)". */
static const char *pk_clause(zdm_lower_ctx *cx, const zdm_constraint *k, bool drop)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, drop ? "DROP PRIMARY KEY, ADD PRIMARY KEY " : "ADD PRIMARY KEY ");
    zdm_sql_put_cols(&b, MQ(cx), k->cols, k->ncols);
    return zdm_buf_cstr(&b);
}

/* The primary key is on exactly `k`'s columns, in order. */
static const char *pk_cond(zdm_lower_ctx *cx, const zdm_name *t, const zdm_constraint *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < k->ncols; i++) {
        zdm_buf_puts(&b, i ? "," : "");
        zdm_sqlf(&b, MQ(cx), "%R", k->cols[i]);
    }
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "(SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',') "
                        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
                        "TABLE_NAME = %L AND INDEX_NAME = 'PRIMARY') <=> %L",
                        t->name, zdm_buf_cstr(&b));
}

static void pk_prechecks(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op, const zdm_constraint *k)
{
    zdm_buf cols, nulls;
    zdm_buf_init(&cols, cx->arena);
    zdm_buf_init(&nulls, cx->arena);
    for (size_t i = 0; i < k->ncols; i++) {
        zdm_sqlf(&cols, MQ(cx), "%s%I", i ? ", " : "", k->cols[i]);
        zdm_sqlf(&nulls, MQ(cx), "%s%I IS NULL", i ? " OR " : "", k->cols[i]);
    }
    const char *dups = zdm_sqlf_str(cx->arena, MQ(cx),
                                    "SELECT %s, count(*) FROM %I GROUP BY %s HAVING count(*) > 1",
                                    zdm_buf_cstr(&cols), op->table.name, zdm_buf_cstr(&cols));
    const char *nul = zdm_sqlf_str(cx->arena, MQ(cx), "SELECT * FROM %I WHERE %s",
                                   op->table.name, zdm_buf_cstr(&nulls));
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "no duplicate keys for the primary key of %s",
                                op->table.name),
             zdm_sprintf(cx->arena, "NOT EXISTS (%s)", dups));
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "no NULL in the primary key columns of %s",
                                op->table.name),
             zdm_sprintf(cx->arena, "NOT EXISTS (%s)", nul));
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  "The rebuild fails, changing nothing, on a duplicate or NULL key, existing or "
                  "written during it.",
                  zdm_sprintf(cx->arena,
                              "Run verify_pre.sql first; list the rows with %s; and with %s;",
                              dups, nul));
}

static int refuse_pk(zdm_lower_ctx *cx, const zdm_op *op, const char *why, const char *hint)
{
    return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED, hint,
                           "%s the primary key of %s is not supported for target %s: %s",
                           op->kind == ZDM_OP_ADD_CONSTRAINT ? "adding" : "dropping",
                           op->table.name, cx->target->canonical, why);
}

/* ADD PRIMARY KEY to a table without one: an in-place rebuild. Its undo
 * (DROP PRIMARY KEY, and the columns the key made NOT NULL back to NULL) is
 * a locked copy: the rollback note says so. */
static int add_pk(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_constraint *k = op->con;
    if (is_copy(cx, MYSQ_ALGO_ADD_PRIMARY_KEY))
        return refuse_pk(cx, op, "the server adds a primary key only by a locked copy",
                         "use `execute` with your own online tool");
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "add the primary key of %s", op->table.name));
    mysq_apply_algo(cx, s, MYSQ_ALGO_ADD_PRIMARY_KEY, "ADD PRIMARY KEY");
    mysq_estimate(cx, s, &op->table, op->rows, MYSQ_REBUILD_RPS, "in-place rebuild");
    s->why = "InnoDB rebuilds the table on the new key in place while the application writes "
             "(LOCK=NONE); a duplicate or NULL key, existing or written meanwhile, fails the "
             "ALTER with nothing changed (strict sql_mode).";
    zdm_buf undo;
    zdm_buf_init(&undo, cx->arena);
    zdm_buf_puts(&undo, "DROP PRIMARY KEY");
    for (size_t i = 0; i < k->ncols; i++) {
        const zdm_column *c = zdm_table_column(op->before, k->cols[i]);
        if (c && !c->not_null)
            zdm_buf_printf(&undo, ", MODIFY COLUMN %s", mysq_column_def(cx, op->before, c));
    }
    s->forward = guarded(cx, &op->table, zdm_sprintf(cx->arena, "NOT (%s)", pk_cond(cx, &op->table, k)),
                         pk_clause(cx, k, false),
                         MYSQ_ALGO_ADD_PRIMARY_KEY);
    s->rollback = guarded(cx, &op->table, pk_cond(cx, &op->table, k), zdm_buf_cstr(&undo),
                          MYSQ_ALGO_DROP_PRIMARY_KEY);
    const mysq_algo *back = mysq_algo_for(cx, MYSQ_ALGO_DROP_PRIMARY_KEY);
    s->rollback_note = zdm_sprintf(cx->arena,
                                   "dropping the key copies the table (ALGORITHM=%s, LOCK=%s: "
                                   "writes wait)",
                                   back->algorithm, back->lock);
    pk_prechecks(cx, s, op, k);
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "the primary key of %s is the new one", op->table.name),
              pk_cond(cx, &op->table, k));
    return 0;
}

/* DROP then ADD of the primary key: one in-place rebuild, at the drop. */
static int change_pk(zdm_lower_ctx *cx, const zdm_op *op, const zdm_op *add)
{
    const zdm_constraint *k = add->con, *was = op->con;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "change the primary key of %s",
                                        op->table.name));
    mysq_apply_algo(cx, s, MYSQ_ALGO_CHANGE_PRIMARY_KEY, "DROP PRIMARY KEY, ADD PRIMARY KEY");
    mysq_estimate(cx, s, &op->table, op->rows, MYSQ_REBUILD_RPS, "in-place rebuild");
    s->why = "Dropping and adding the primary key in one ALTER rebuilds the table in place "
             "while the application writes (LOCK=NONE); dropping it alone would copy the table "
             "under a lock.";
    s->forward = guarded(cx, &op->table, zdm_sprintf(cx->arena, "NOT (%s)", pk_cond(cx, &op->table, k)),
                         pk_clause(cx, k, true), MYSQ_ALGO_CHANGE_PRIMARY_KEY);
    s->rollback = guarded(cx, &op->table, pk_cond(cx, &op->table, k), pk_clause(cx, was, true),
                          MYSQ_ALGO_CHANGE_PRIMARY_KEY);
    s->rollback_note = "the old key is rebuilt in place the same way; it fails, changing nothing, "
                       "if rows written meanwhile duplicate it";
    for (size_t i = 0; i < k->ncols; i++) {
        const zdm_column *c = zdm_table_column(op->before, k->cols[i]);
        if (c && !c->not_null)
            s->rollback_note = zdm_sprintf(cx->arena,
                                           "%s; column %s, made NOT NULL by the new key, "
                                           "stays NOT NULL",
                                           s->rollback_note, k->cols[i]);
    }
    pk_prechecks(cx, s, add, k);
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "the primary key of %s is the new one", op->table.name),
              pk_cond(cx, &op->table, k));
    return 0;
}

int mysq_lower_primary_key(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->kind == ZDM_OP_DROP_CONSTRAINT) {
        const zdm_op *add = next_on_table(cx, op, 1);
        if (!is_pk_op(add, ZDM_OP_ADD_CONSTRAINT))
            return refuse_pk(cx, op,
                             "InnoDB copies the table under a lock to drop its primary key "
                             "alone, and a table without a key cannot be copied online",
                             "add the new primary key in the next statement on the table: the "
                             "two become one in-place rebuild");
        if (is_copy(cx, MYSQ_ALGO_CHANGE_PRIMARY_KEY))
            return refuse_pk(cx, op, "the server rebuilds the key only by a locked copy",
                             "use `execute` with your own online tool");
        return change_pk(cx, op, add);
    }
    if (is_pk_op(next_on_table(cx, op, -1), ZDM_OP_DROP_CONSTRAINT))
        return 0; /* the drop's step adds it */
    return add_pk(cx, op);
}
