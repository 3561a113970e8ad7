/*
 * mysq_column.c - column operations for MySQL/MariaDB: ADD, DROP and RENAME
 * COLUMN, SET/DROP DEFAULT, and (DROP) NOT NULL, each one ALTER of one
 * operation class with the ALGORITHM and LOCK of the algorithm table.
 *
 * A NOT NULL column without a default added to an existing table is added
 * nullable (MySQL would otherwise fill it with the type's implicit default,
 * 0 or '', which PostgreSQL would refuse), filled by the migration's
 * backfill, then made NOT NULL by an in-place rebuild once no row is NULL.
 * NOT NULL is a MODIFY that restates the whole column (MySQL has no ALTER
 * COLUMN ... SET NOT NULL), from the IR's definition of the column.
 */
#include "mysq_int.h"

#include <string.h>

static const char *guarded_alter(zdm_lower_ctx *cx, const zdm_op *op, const char *cond,
                                 const char *clause, mysq_algo_class cls)
{
    return mysq_step_sql(cx, mysq_ddl_sql(cx, cond, mysq_alter_sql(cx, &op->table, clause, cls)));
}

static void shape_post(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op, const zdm_column *c)
{
    mysq_post(cx, s,
              zdm_sprintf(cx->arena, "column %s is %s%s", mysq_qcol(cx, &op->table, c->name),
                          zdm_coltype_str(cx->arena, &c->type),
                          c->not_null ? " not null" : " nullable"),
              mysq_cond_column_shape(cx, &op->table, c));
}

static const char *add_sql(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *t,
                           const zdm_column *c)
{
    return guarded_alter(cx, op, mysq_cond_column(cx, &op->table, c->name, false),
                         zdm_sprintf(cx->arena, "ADD COLUMN %s", mysq_column_def(cx, t, c)),
                         MYSQ_ALGO_ADD_COLUMN);
}

static const char *drop_sql(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    return guarded_alter(cx, op, mysq_cond_column(cx, &op->table, col, true),
                         zdm_sqlf_str(cx->arena, MQ(cx), "DROP COLUMN %I", col),
                         MYSQ_ALGO_DROP_COLUMN);
}

int mysq_lower_add_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_column *c = op->col;
    bool is_new_table = zdm_schema_table(cx->mig->base, op->table) == NULL;
    if ((c->identity != ZDM_IDENTITY_NONE || c->serial) && !is_new_table)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "an AUTO_INCREMENT column must be a key, and adding one numbers "
                               "every row in a table copy; add a plain integer column and "
                               "backfill it",
                               "an identity or serial column cannot be added to an existing "
                               "table for target %s", cx->target->canonical);
    if (c->def && c->def->kind == ZDM_V_RAW && !is_new_table)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "ALGORITHM=INSTANT adds only constant defaults; add the column "
                               "nullable, backfill it, then `alter column ... set default`",
                               "a column with an expression default cannot be added online for "
                               "target %s", cx->target->canonical);
    bool later = c->not_null && !c->def && !is_new_table;
    zdm_column bare = *c;
    if (later)
        bare.not_null = false;
    const char *qc = mysq_qcol(cx, &op->table, c->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND, zdm_sprintf(cx->arena, "add column %s", qc));
    mysq_apply_algo(cx, s, MYSQ_ALGO_ADD_COLUMN, "ADD COLUMN");
    s->why = "ADD COLUMN at the end of the table with ALGORITHM=INSTANT is a catalog change: "
             "existing rows read the default (or NULL) from the table's metadata, none is "
             "rewritten.";
    s->forward = add_sql(cx, op, op->after, &bare);
    s->rollback = drop_sql(cx, op, c->name);
    s->rollback_note = "the column is dropped with every value written to it";
    mysq_pre_long_trx(cx, s);
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "column %s does not exist yet", qc),
             mysq_cond_column(cx, &op->table, c->name, false));
    if (!later) {
        const zdm_table *fin = zdm_schema_table(cx->mig->final, op->table);
        const zdm_column *fc = fin ? zdm_table_column(fin, c->name) : NULL;
        shape_post(cx, s, op, fc ? fc : c);
        return 0;
    }
    mysq_post(cx, s, zdm_sprintf(cx->arena, "column %s exists", qc),
              mysq_cond_column(cx, &op->table, c->name, true));
    return mysq_not_null_later(cx, op);
}

/* What keeps DROP COLUMN from being the one operation class it names: an
 * index or constraint that MySQL would change (or refuse) along with it. */
static const char *drop_blocker(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    const zdm_table *t = op->before;
    for (size_t i = 0; i < t->ncons; i++) {
        const zdm_constraint *k = t->cons[i];
        for (size_t j = 0; j < k->ncols; j++)
            if (strcmp(k->cols[j], col) == 0)
                return zdm_sprintf(cx->arena, "constraint %s", k->name);
        const char *raw = k->check ? zdm_value_raw_for(k->check, MQ(cx)->family) : NULL;
        if (raw && zdm_raw_mentions(raw, col))
            return zdm_sprintf(cx->arena, "check %s", k->name);
    }
    for (size_t i = 0; i < t->nindexes; i++)
        for (size_t j = 0; j < t->indexes[i]->nelems; j++) {
            const zdm_index_elem *e = &t->indexes[i]->elems[j];
            const char *raw = e->expr ? zdm_value_raw_for(e->expr, MQ(cx)->family) : NULL;
            if ((e->col && strcmp(e->col, col) == 0) || (raw && zdm_raw_mentions(raw, col)))
                return zdm_sprintf(cx->arena, "index %s", t->indexes[i]->name);
        }
    return NULL;
}

int mysq_lower_drop_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *col = op->old_col->name;
    const char *qc = mysq_qcol(cx, &op->table, col);
    const char *blocker = drop_blocker(cx, op, col);
    if (blocker)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "drop that index or constraint first, in its own statement, "
                               "so each ALTER is one operation class",
                               "column %s is used by %s: dropping both in one ALTER is not "
                               "supported for target %s", qc, blocker, cx->target->canonical);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT, zdm_sprintf(cx->arena, "drop column %s", qc));
    mysq_apply_algo(cx, s, MYSQ_ALGO_DROP_COLUMN, "DROP COLUMN");
    const mysq_algo *r = mysq_algo_for(cx, MYSQ_ALGO_DROP_COLUMN);
    s->why = r->rebuild ? "DROP COLUMN rebuilds the table in place (LOCK=NONE): reads and "
                          "writes go on; the application no longer uses the column."
                        : "DROP COLUMN with ALGORITHM=INSTANT is a catalog change; the "
                          "application no longer uses the column.";
    if (r->rebuild)
        mysq_estimate(cx, s, &op->table, op->rows, MYSQ_REBUILD_RPS, "in-place rebuild");
    s->forward = drop_sql(cx, op, col);
    s->rollback = add_sql(cx, op, op->before, op->old_col);
    s->rollback_note = "the column comes back with its default (or NULL, or the type's implicit "
                       "default when NOT NULL): its values are lost";
    zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                  zdm_sprintf(cx->arena, "The values of %s are gone for good.", qc),
                  "Back the column up first (SELECT the key and the column INTO OUTFILE, or "
                  "mysqldump).");
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "column %s is gone", qc),
              mysq_cond_column(cx, &op->table, col, false));
    return 0;
}

int mysq_lower_rename_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *from = op->old_col->name, *to = op->col->name;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "rename column %s to %s",
                                        mysq_qcol(cx, &op->table, from), to));
    mysq_apply_algo(cx, s, MYSQ_ALGO_RENAME_COLUMN, "RENAME COLUMN");
    s->why = "RENAME COLUMN changes only the catalog (indexes and foreign keys follow it).";
    s->forward = guarded_alter(
        cx, op,
        zdm_sprintf(cx->arena, "%s AND %s", mysq_cond_column(cx, &op->table, from, true),
                    mysq_cond_column(cx, &op->table, to, false)),
        zdm_sqlf_str(cx->arena, MQ(cx), "RENAME COLUMN %I TO %I", from, to),
        MYSQ_ALGO_RENAME_COLUMN);
    s->rollback = guarded_alter(
        cx, op,
        zdm_sprintf(cx->arena, "%s AND %s", mysq_cond_column(cx, &op->table, to, true),
                    mysq_cond_column(cx, &op->table, from, false)),
        zdm_sqlf_str(cx->arena, MQ(cx), "RENAME COLUMN %I TO %I", to, from),
        MYSQ_ALGO_RENAME_COLUMN);
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "No MySQL trigger or view keeps two names of a column writable: the old "
                  "application fails on the old name from this step on.",
                  "Deploy the application that uses the new name together with this phase.");
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena,
                                    "Stop the application that uses column %s; the version "
                                    "that uses %s starts right after the contract phase.",
                                    mysq_qcol(cx, &op->table, from), to));
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "column %s exists", mysq_qcol(cx, &op->table, to)),
              mysq_cond_column(cx, &op->table, to, true));
    return 0;
}

static const char *default_clause(zdm_lower_ctx *cx, const zdm_column *c)
{
    if (!c->def)
        return zdm_sqlf_str(cx->arena, MQ(cx), "ALTER COLUMN %I DROP DEFAULT", c->name);
    if (c->def->kind != ZDM_V_RAW && mysq_st(cx)->flavour == MYSQ_MYSQL &&
        (mysq_needs_prefix(c) || c->type.kind == ZDM_TY_JSON || c->type.kind == ZDM_TY_JSONB))
        return zdm_sqlf_str(cx->arena, MQ(cx), "ALTER COLUMN %I SET DEFAULT (%R)", c->name,
                            mysq_value(cx, c->def));
    return zdm_sqlf_str(cx->arena, MQ(cx), "ALTER COLUMN %I SET DEFAULT %R", c->name,
                        mysq_value(cx, c->def));
}

int mysq_lower_default(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *qc = mysq_qcol(cx, &op->table, op->col->name);
    bool set = op->kind == ZDM_OP_SET_DEFAULT;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "%s default of %s", set ? "set" : "drop", qc));
    mysq_apply_algo(cx, s, MYSQ_ALGO_SET_DEFAULT, "the default change");
    s->why = "A column default lives in the table's metadata: ALGORITHM=INSTANT, no row is "
             "touched; rows written from now on get the new default.";
    const char *exists = mysq_cond_column(cx, &op->table, op->col->name, true);
    s->forward = guarded_alter(cx, op, exists, default_clause(cx, op->col),
                               MYSQ_ALGO_SET_DEFAULT);
    s->rollback = guarded_alter(cx, op, exists, default_clause(cx, op->old_col),
                                MYSQ_ALGO_SET_DEFAULT);
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "column %s exists", qc), exists);
    return 0;
}

static const char *modify_sql(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *t,
                              const zdm_column *c)
{
    mysq_algo_class cls = c->not_null ? MYSQ_ALGO_SET_NOT_NULL : MYSQ_ALGO_DROP_NOT_NULL;
    return guarded_alter(cx, op, mysq_cond_column(cx, &op->table, c->name, true),
                         zdm_sprintf(cx->arena, "MODIFY COLUMN %s", mysq_column_def(cx, t, c)),
                         cls);
}

/* The rows a NOT NULL would refuse: none, for the pre-check. Checked before
 * the migration runs: a column it adds does not exist yet, so the check is
 * on the value its backfills will give. */
static const char *no_nulls_cond(zdm_lower_ctx *cx, const zdm_op *op)
{
    const mysq_sync *sy = mysq_sync_find(cx, &op->table, op->col->name);
    if (sy)
        return zdm_sqlf_str(cx->arena, MQ(cx),
                            "NOT EXISTS (SELECT 1 FROM %I AS zdm_row WHERE (%s) IS NULL)",
                            op->table.name, sy->expr);
    if (zdm_migration_column_is_new(cx->mig, op->table, op->col->name))
        return zdm_sqlf_str(cx->arena, MQ(cx), "NOT EXISTS (SELECT 1 FROM %I)", op->table.name);
    return zdm_sqlf_str(cx->arena, MQ(cx), "NOT EXISTS (SELECT 1 FROM %I WHERE %I IS NULL)",
                        op->table.name, op->col->name);
}

static zdm_step *not_null_step(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *from,
                               const zdm_column *nullable)
{
    const char *qc = mysq_qcol(cx, &op->table, op->col->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_VALIDATE,
                            zdm_sprintf(cx->arena, "set not null %s", qc));
    mysq_apply_algo(cx, s, MYSQ_ALGO_SET_NOT_NULL, "MODIFY ... NOT NULL");
    const mysq_algo *r = mysq_algo_for(cx, MYSQ_ALGO_SET_NOT_NULL);
    s->why = zdm_sprintf(cx->arena,
                         "MODIFY ... NOT NULL with ALGORITHM=%s, LOCK=%s: reads and writes go "
                         "on while the table is rebuilt; a NULL found (or written meanwhile) "
                         "makes the ALTER fail with nothing changed (strict sql_mode).",
                         r->algorithm, r->lock);
    mysq_estimate(cx, s, &op->table, op->rows, MYSQ_REBUILD_RPS, "in-place rebuild");
    s->forward = modify_sql(cx, op, op->after, op->col);
    s->rollback = modify_sql(cx, op, from, nullable);
    mysq_pre_long_trx(cx, s);
    mysq_pre(cx, s, zdm_sprintf(cx->arena, "no NULL in %s", qc), no_nulls_cond(cx, op));
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  "The rebuild fails on the first NULL (nothing changes then).",
                  zdm_sprintf(cx->arena,
                              "Run verify_pre.sql first; list the rows with SELECT * FROM %s "
                              "WHERE %s IS NULL.",
                              zdm_name_str(cx->arena, op->table), op->col->name));
    shape_post(cx, s, op, op->col);
    return s;
}

int mysq_not_null_later(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_column *nullable = ZDM_NEW(cx->arena, zdm_column);
    *nullable = *op->col;
    nullable->not_null = false;
    not_null_step(cx, op, op->after, nullable);
    return 0;
}

int mysq_lower_nullness(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->kind == ZDM_OP_SET_NOT_NULL) {
        not_null_step(cx, op, op->before, op->old_col);
        return 0;
    }
    const char *qc = mysq_qcol(cx, &op->table, op->col->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "drop not null %s", qc));
    mysq_apply_algo(cx, s, MYSQ_ALGO_DROP_NOT_NULL, "MODIFY ... NULL");
    if (mysq_algo_for(cx, MYSQ_ALGO_DROP_NOT_NULL)->rebuild)
        mysq_estimate(cx, s, &op->table, op->rows, MYSQ_REBUILD_RPS, "in-place rebuild");
    s->why = "Allowing NULL never fails on existing rows.";
    s->forward = modify_sql(cx, op, op->after, op->col);
    s->rollback = modify_sql(cx, op, op->before, op->old_col);
    s->rollback_note = "making the column NOT NULL again fails if NULLs were written meanwhile";
    mysq_pre_long_trx(cx, s);
    shape_post(cx, s, op, op->col);
    return 0;
}

/* VARCHAR lengths are stored with a 1-byte prefix up to 255 bytes and a
 * 2-byte one above: widening within one size changes only metadata, crossing
 * it rewrites every row. zdm does not know the column's character set and
 * counts 4 bytes a character (utf8mb4); a narrower set that makes the widening
 * cross anyway is refused by the server (the ALTER names its algorithm),
 * never copied under a lock. */
#define MYSQ_MAX_CHAR_BYTES 4

static bool same_length_bytes(int32_t from, int32_t to)
{
    return (from * MYSQ_MAX_CHAR_BYTES <= 255) == (to * MYSQ_MAX_CHAR_BYTES <= 255);
}

int mysq_lower_alter_type(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_coltype *a = &op->old_col->type, *b = &op->col->type;
    if (op->using_ || a->array || b->array || a->kind != ZDM_TY_VARCHAR ||
        b->kind != ZDM_TY_VARCHAR || a->p < 0 || b->p < a->p || !same_length_bytes(a->p, b->p))
        return mysq_lower_shadow(cx, op);
    const char *qc = mysq_qcol(cx, &op->table, op->col->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "widen %s to varchar(%d)", qc, (int)b->p));
    mysq_apply_algo(cx, s, MYSQ_ALGO_EXTEND_VARCHAR, "MODIFY ... VARCHAR");
    s->why = "Widening a VARCHAR whose length prefix keeps its size (1 byte up to 255 bytes, "
             "2 above; counted at 4 bytes a character) changes only the table's metadata.";
    const char *exists = mysq_cond_column(cx, &op->table, op->col->name, true);
    s->forward = guarded_alter(cx, op, exists,
                               zdm_sprintf(cx->arena, "MODIFY COLUMN %s",
                                           mysq_column_def(cx, op->after, op->col)),
                               MYSQ_ALGO_EXTEND_VARCHAR);
    s->rollback = guarded_alter(cx, op, exists,
                                zdm_sprintf(cx->arena, "MODIFY COLUMN %s",
                                            mysq_column_def(cx, op->before, op->old_col)),
                                MYSQ_ALGO_CHANGE_TYPE);
    const mysq_algo *back = mysq_algo_for(cx, MYSQ_ALGO_CHANGE_TYPE);
    s->rollback_note = zdm_sprintf(cx->arena,
                                   "narrowing back copies the table (ALGORITHM=%s, LOCK=%s: "
                                   "writes wait) and fails, changing nothing, when a value "
                                   "written meanwhile is longer than %d characters",
                                   back->algorithm, back->lock, (int)a->p);
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "column %s is varchar(%d)", qc, (int)b->p),
              zdm_sqlf_str(cx->arena, MQ(cx),
                           "EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA "
                           "= DATABASE() AND TABLE_NAME = %L AND COLUMN_NAME = %L AND "
                           "CHARACTER_MAXIMUM_LENGTH = %d)",
                           op->table.name, op->col->name, (int)b->p));
    return 0;
}
