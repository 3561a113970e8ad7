/*
 * mysq_index.c - indexes and constraints for MySQL/MariaDB: ADD/DROP INDEX
 * in place with LOCK=NONE, unique constraints (a unique index), foreign keys
 * added in place with foreign_key_checks=0 between an orphan pre-check and
 * post-check, and the drops.
 *
 * Why foreign_key_checks=0: with it on, ADD FOREIGN KEY copies the table
 * (ALGORITHM=COPY) to check every row under a lock; with it off the server
 * adds the key in place and checks nothing, so zdm checks: the pre-check
 * finds orphans before the step, the post-check after it (a row written in
 * between by an application that skips the parent is caught there).
 * https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html#online-ddl-foreign-key-operations
 *
 * CHECK and PRIMARY KEY changes are in mysq_keys.c.
 */
#include "mysq_int.h"

#include <string.h>

static const char *alter(zdm_lower_ctx *cx, const zdm_name *t, const char *cond,
                         const char *clause, mysq_algo_class cls)
{
    return mysq_step_sql(cx, mysq_ddl_sql(cx, cond, mysq_alter_sql(cx, t, clause, cls)));
}

static int refuse_index(zdm_lower_ctx *cx, const zdm_op *op, const zdm_index *ix)
{
    bool expr = false;
    for (size_t i = 0; i < ix->nelems; i++)
        expr |= ix->elems[i].col == NULL;
    if (ix->where)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "MySQL and MariaDB have no partial indexes: index the columns, "
                               "or a generated column that is NULL outside the predicate",
                               "a partial index cannot be created for target %s",
                               cx->target->canonical);
    if (expr && mysq_st(cx)->flavour == MYSQ_MARIADB)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "MariaDB has no expression indexes: add a virtual generated "
                               "column with the expression (`execute`) and index it",
                               "an expression index cannot be created for target %s",
                               cx->target->canonical);
    const zdm_table *t = op->before ? op->before : op->after;
    for (size_t i = 0; ix->unique && i < ix->nelems; i++) {
        const zdm_column *c = ix->elems[i].col ? zdm_table_column(t, ix->elems[i].col) : NULL;
        if (c && (mysq_needs_prefix(c) || c->type.kind == ZDM_TY_JSON ||
                  c->type.kind == ZDM_TY_JSONB))
            return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                                   "declare the column varchar(n) (n * 4 bytes at most 3072 "
                                   "with utf8mb4) to make it unique",
                                   "column %s is %s: MySQL indexes it only by a prefix, which "
                                   "cannot be unique on the whole value (and MariaDB's hash "
                                   "for it is built by a copy)",
                                   c->name, zdm_coltype_str(cx->arena, &c->type));
    }
    return 0;
}

/* No two rows share the index's key, checked before the migration runs: a
 * column it adds is read as the value its backfills give (the sync
 * expression), or is NULL in every row (no duplicate). NULL when there is
 * nothing to check (an expression, or every key NULL). */
static const char *index_dups_cond(zdm_lower_ctx *cx, const zdm_op *op, const zdm_index *ix)
{
    zdm_buf keys, nn;
    zdm_buf_init(&keys, cx->arena);
    zdm_buf_init(&nn, cx->arena);
    for (size_t i = 0; i < ix->nelems; i++) {
        const char *col = ix->elems[i].col;
        if (!col)
            return NULL;
        const char *e;
        if (!zdm_migration_column_is_new(cx->mig, op->table, col))
            e = zdm_sqlf_str(cx->arena, MQ(cx), "%I", col);
        else if (mysq_sync_find(cx, &op->table, col))
            e = zdm_sprintf(cx->arena, "(%s)", mysq_sync_find(cx, &op->table, col)->expr);
        else
            return NULL;
        zdm_sqlf(&keys, MQ(cx), "%s%s", i ? ", " : "", e);
        zdm_sqlf(&nn, MQ(cx), "%s%s IS NOT NULL", i ? " AND " : "", e);
    }
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "NOT EXISTS (SELECT 1 FROM %I AS zdm_row WHERE %s GROUP BY %s HAVING "
                        "count(*) > 1)",
                        op->table.name, zdm_buf_cstr(&nn), zdm_buf_cstr(&keys));
}

int mysq_lower_create_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_index *ix = op->index;
    const zdm_table *t = op->before ? op->before : op->after;
    if (refuse_index(cx, op, ix) != 0)
        return -1;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "create %sindex %s on %s",
                                        ix->unique ? "unique " : "", ix->name,
                                        zdm_name_str(cx->arena, op->table)));
    mysq_apply_algo(cx, s, MYSQ_ALGO_ADD_INDEX, zdm_sprintf(cx->arena, "Building index %s", ix->name));
    s->scans = true;
    s->why = "ADD INDEX in place with LOCK=NONE: InnoDB sorts the existing rows into the index "
             "while reads and writes go on, logging concurrent changes and applying them at the "
             "end under a brief exclusive metadata lock.";
    mysq_estimate(cx, s, &op->table, op->rows, MYSQ_INDEX_RPS, "index build");
    s->forward = alter(cx, &op->table, mysq_cond_index(cx, &op->table, ix->name, false),
                       zdm_sprintf(cx->arena, "ADD %s", mysq_index_clause(cx, t, ix)),
                       MYSQ_ALGO_ADD_INDEX);
    s->rollback = alter(cx, &op->table, mysq_cond_index(cx, &op->table, ix->name, true),
                        zdm_sqlf_str(cx->arena, MQ(cx), "DROP INDEX %I", ix->name),
                        MYSQ_ALGO_DROP_INDEX);
    zdm_step_risk(cx->plan, s, ZDM_RISK_INDEX_BUILD,
                  "The build reads the whole table and needs temporary disk for the sort.",
                  "Check free disk (innodb_tmpdir); run it when the load is low.");
    mysq_pre_long_trx(cx, s);
    if (ix->unique) {
        const char *dups = index_dups_cond(cx, op, ix);
        if (dups)
            mysq_pre(cx, s, zdm_sprintf(cx->arena, "no duplicates for unique index %s", ix->name),
                     dups);
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "The build fails on duplicate values, existing or written during the "
                      "build (nothing is changed then).",
                      "Run verify_pre.sql first and fix the rows it reports.");
    }
    mysq_post(cx, s, zdm_sprintf(cx->arena, "index %s exists", ix->name),
              mysq_cond_index(cx, &op->table, ix->name, true));
    return 0;
}

int mysq_lower_drop_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_index *ix = op->index;
    const zdm_table *t = op->before ? op->before : op->after;
    if (refuse_index(cx, op, ix) != 0)
        return -1;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "drop index %s", ix->name));
    mysq_apply_algo(cx, s, MYSQ_ALGO_DROP_INDEX, "DROP INDEX");
    s->scans = false;
    s->why = "DROP INDEX in place is a catalog change; InnoDB frees the pages afterwards.";
    s->forward = alter(cx, &op->table, mysq_cond_index(cx, &op->table, ix->name, true),
                       zdm_sqlf_str(cx->arena, MQ(cx), "DROP INDEX %I", ix->name),
                       MYSQ_ALGO_DROP_INDEX);
    s->rollback = alter(cx, &op->table, mysq_cond_index(cx, &op->table, ix->name, false),
                        zdm_sprintf(cx->arena, "ADD %s", mysq_index_clause(cx, t, ix)),
                        MYSQ_ALGO_ADD_INDEX);
    s->rollback_note = "the index is built again in place (LOCK=NONE)";
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "index %s is gone", ix->name),
              mysq_cond_index(cx, &op->table, ix->name, false));
    return 0;
}

const char *mysq_orphans_cond(zdm_lower_ctx *cx, const zdm_name *t, const zdm_constraint *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, MQ(cx), "NOT EXISTS (SELECT 1 FROM %I AS c WHERE ", t->name);
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%sc.%I IS NOT NULL", i ? " AND " : "", k->cols[i]);
    zdm_sqlf(&b, MQ(cx), " AND NOT EXISTS (SELECT 1 FROM %I AS p WHERE ", k->ref_table.name);
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%sp.%I = c.%I", i ? " AND " : "", k->ref_cols[i], k->cols[i]);
    zdm_buf_puts(&b, "))");
    return zdm_buf_cstr(&b);
}

static const char *dups_cond(zdm_lower_ctx *cx, const zdm_name *t, const zdm_constraint *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, MQ(cx), "NOT EXISTS (SELECT 1 FROM %I WHERE ", t->name);
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%s%I IS NOT NULL", i ? " AND " : "", k->cols[i]);
    zdm_buf_puts(&b, " GROUP BY ");
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%s%I", i ? ", " : "", k->cols[i]);
    zdm_buf_puts(&b, " HAVING count(*) > 1)");
    return zdm_buf_cstr(&b);
}

const char *mysq_add_clause(zdm_lower_ctx *cx, const zdm_constraint *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "ADD ");
    mysq_put_constraint(cx, &b, k);
    return zdm_buf_cstr(&b);
}

/* ADD FOREIGN KEY with foreign_key_checks off for this session only. */
static const char *fk_sql(zdm_lower_ctx *cx, const zdm_name *t, const char *cond,
                          const zdm_constraint *k)
{
    return mysq_step_sql(
        cx, zdm_sprintf(cx->arena,
                        "SET SESSION foreign_key_checks = 0;\n%sSET SESSION foreign_key_checks = "
                        "1;\n",
                        mysq_ddl_sql(cx, cond,
                                     mysq_alter_sql(cx, t, mysq_add_clause(cx, k),
                                                    MYSQ_ALGO_ADD_FOREIGN_KEY))));
}

/* Checks and primary keys go to mysq_keys.c; the rest is handled here. */
static bool keys_kind(const zdm_constraint *k)
{
    return k->kind == ZDM_CON_CHECK || k->kind == ZDM_CON_PRIMARY;
}

/* DROP FOREIGN KEY, then the index ADD FOREIGN KEY created under the key's
 * name when the table had none for it (the table before the op says). */
static const char *drop_fk_sql(zdm_lower_ctx *cx, const zdm_op *op, const zdm_constraint *k)
{
    const char *fk = alter(cx, &op->table,
                           mysq_cond_constraint(cx, &op->table, k->name, "FOREIGN KEY", true),
                           zdm_sqlf_str(cx->arena, MQ(cx), "DROP FOREIGN KEY %I", k->name),
                           MYSQ_ALGO_DROP_FOREIGN_KEY);
    for (size_t i = 0; i < op->before->nindexes; i++)
        if (strcmp(op->before->indexes[i]->name, k->name) == 0)
            return fk;
    const char *ix = alter(cx, &op->table, mysq_cond_index(cx, &op->table, k->name, true),
                           zdm_sqlf_str(cx->arena, MQ(cx), "DROP INDEX %I", k->name),
                           MYSQ_ALGO_DROP_INDEX);
    return zdm_sprintf(cx->arena, "%s%s", fk, ix);
}

int mysq_lower_add_constraint(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_constraint *k = op->con;
    if (keys_kind(k))
        return k->kind == ZDM_CON_CHECK ? mysq_lower_add_check(cx, op)
                                        : mysq_lower_primary_key(cx, op);
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table), k->name);
    bool fk = k->kind == ZDM_CON_FOREIGN;
    const char *type = fk ? "FOREIGN KEY" : "UNIQUE";
    zdm_step *s = mysq_step(cx, op, fk ? ZDM_PHASE_VALIDATE : ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "add %s constraint %s",
                                        fk ? "foreign key" : "unique", qn));
    mysq_algo_class cls = fk ? MYSQ_ALGO_ADD_FOREIGN_KEY : MYSQ_ALGO_ADD_INDEX;
    mysq_apply_algo(cx, s, cls, fk ? "ADD FOREIGN KEY" : "ADD UNIQUE");
    s->scans = !fk;
    const char *absent = mysq_cond_constraint(cx, &op->table, k->name, type, false);
    const char *present = mysq_cond_constraint(cx, &op->table, k->name, type, true);
    const char *cond = fk ? mysq_orphans_cond(cx, &op->table, k) : dups_cond(cx, &op->table, k);
    if (fk) {
        s->why = "With foreign_key_checks=0 (this session only) the key is added in place "
                 "without the locked copy that checks every row; the orphan checks before and "
                 "after the step do that check instead.";
        s->forward = fk_sql(cx, &op->table, absent, k);
        s->rollback = drop_fk_sql(cx, op, k);
        mysq_pre(cx, s, zdm_sprintf(cx->arena, "no orphan rows for %s", qn), cond);
        mysq_post(cx, s, zdm_sprintf(cx->arena, "still no orphan rows for %s", qn), cond);
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "The server does not check existing rows with foreign_key_checks=0: an "
                      "orphan written before the key exists stays (the post-check reports it).",
                      "Run verify_pre.sql first; run verify_post.sql after the phase and fix "
                      "any orphan it reports.");
    } else {
        mysq_estimate(cx, s, &op->table, op->rows, MYSQ_INDEX_RPS, "index build");
        s->why = "A unique constraint is a unique index, built in place with LOCK=NONE; it "
                 "fails (changing nothing) on a duplicate.";
        s->forward = alter(cx, &op->table, absent, mysq_add_clause(cx, k), MYSQ_ALGO_ADD_INDEX);
        s->rollback = alter(cx, &op->table, present,
                            zdm_sqlf_str(cx->arena, MQ(cx), "DROP INDEX %I", k->name),
                            MYSQ_ALGO_DROP_INDEX);
        mysq_pre(cx, s, zdm_sprintf(cx->arena, "no duplicates for %s", qn), cond);
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "The build fails on duplicate values (nothing is changed then).",
                      "Run verify_pre.sql first and fix the rows it reports.");
    }
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", qn), present);
    return 0;
}

int mysq_lower_drop_constraint(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_constraint *k = op->con;
    if (keys_kind(k))
        return k->kind == ZDM_CON_CHECK ? mysq_lower_drop_check(cx, op)
                                        : mysq_lower_primary_key(cx, op);
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table), k->name);
    bool fk = k->kind == ZDM_CON_FOREIGN;
    const char *type = fk ? "FOREIGN KEY" : "UNIQUE";
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "drop constraint %s", qn));
    mysq_algo_class cls = fk ? MYSQ_ALGO_DROP_FOREIGN_KEY : MYSQ_ALGO_DROP_INDEX;
    mysq_apply_algo(cx, s, cls, fk ? "DROP FOREIGN KEY" : "DROP INDEX");
    s->scans = false;
    s->why = "Dropping a constraint in place is a catalog change; nothing is checked.";
    const char *absent = mysq_cond_constraint(cx, &op->table, k->name, type, false);
    const char *present = mysq_cond_constraint(cx, &op->table, k->name, type, true);
    s->forward = alter(cx, &op->table, present,
                       zdm_sqlf_str(cx->arena, MQ(cx), fk ? "DROP FOREIGN KEY %I" : "DROP INDEX %I",
                                    k->name),
                       cls);
    s->rollback = fk ? fk_sql(cx, &op->table, absent, k)
                     : alter(cx, &op->table, absent, mysq_add_clause(cx, k), MYSQ_ALGO_ADD_INDEX);
    s->rollback_note = "the constraint comes back only if the rows written meanwhile satisfy "
                       "it (a unique build fails on duplicates; a foreign key is not checked)";
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "constraint %s is gone", qn), absent);
    return 0;
}
