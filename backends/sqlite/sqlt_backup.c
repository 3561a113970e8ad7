/*
 * sqlt_backup.c - the backup table that makes a SQLite backfill of an
 * existing column reversible (docs/backends/sqlite.md, "Backfill of an
 * existing column"), as on PostgreSQL (pgsql_backup.c): per changed row its
 * key, and per existing column its first old value and its latest new one.
 *
 * The key is the row's rowid (`zdm_key`, the backup's own INTEGER PRIMARY
 * KEY), or in a WITHOUT ROWID table the primary key's values (`zdm_key_1`
 * .. `zdm_key_n`, the backup's PRIMARY KEY). No column of the backup has a
 * declared type, so every value, keys included, is kept exactly as it was
 * (no affinity conversion). Each batch records its rows in its own
 * transaction, before its UPDATE, under the write lock it holds from BEGIN
 * IMMEDIATE: no other write comes between the two statements.
 */
#include "sqlt_int.h"

#include <string.h>

struct sqlt_backup {
    const char *name;
    zdm_vec(const char *) cols;  /* the existing columns the backfill sets */
    zdm_vec(const char *) exprs; /* their new values (SQL over the row) */
    sqlt_key tkey, bkey;         /* how the table's rows and the backup's rows are found */
};

static unsigned backup_ordinal(zdm_lower_ctx *cx, const zdm_op *op)
{
    unsigned n = 0;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        bool existing = false;
        for (size_t k = 0; o->kind == ZDM_OP_BACKFILL && k < o->nsets; k++)
            existing = existing || !zdm_migration_column_is_new(cx->mig, o->table, o->sets[k].col);
        if (existing && zdm_name_eq(o->table, op->table))
            n++;
        if (o == op)
            break;
    }
    return n;
}

/* The backup's key: zdm_key for a rowid, zdm_key_1.. for a primary key. */
static sqlt_key backup_key(zdm_lower_ctx *cx, const sqlt_key *tk)
{
    sqlt_key k = {0};
    k.ncols = tk->ncols;
    k.rowid = tk->rowid;
    k.cols = ZDM_NEW_ARRAY(cx->arena, const char *, tk->ncols);
    for (size_t i = 0; i < tk->ncols; i++)
        k.cols[i] = tk->rowid ? "zdm_key" : zdm_sprintf(cx->arena, "zdm_key_%zu", i + 1);
    return k;
}

sqlt_backup *sqlt_backup_of(zdm_lower_ctx *cx, const zdm_op *op)
{
    sqlt_backup *bk = ZDM_NEW(cx->arena, sqlt_backup);
    for (size_t i = 0; i < op->nsets; i++) {
        if (zdm_migration_column_is_new(cx->mig, op->table, op->sets[i].col))
            continue;
        zdm_vec_push(cx->arena, &bk->cols, op->sets[i].col);
        zdm_vec_push(cx->arena, &bk->exprs, sqlt_value(cx, op->sets[i].value));
    }
    if (!bk->cols.len)
        return NULL;
    bk->name = zdm_sprintf(cx->arena, "zdm_backup_%s_%u", op->table.name, backup_ordinal(cx, op));
    bk->tkey = sqlt_key_of(cx, op->before);
    bk->bkey = backup_key(cx, &bk->tkey);
    return bk;
}

static const char *backup_create_sql(zdm_lower_ctx *cx, const sqlt_backup *bk)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, SQ, "CREATE TABLE IF NOT EXISTS %I (", bk->name);
    if (bk->bkey.rowid)
        zdm_buf_puts(&b, "zdm_key INTEGER PRIMARY KEY");
    else
        zdm_buf_puts(&b, sqlt_key_list(cx, &bk->bkey, NULL));
    for (size_t i = 0; i < bk->cols.len; i++)
        zdm_sqlf(&b, SQ, ", zdm_old_%zu, zdm_new_%zu", i + 1, i + 1);
    if (!bk->bkey.rowid)
        zdm_sqlf(&b, SQ, ", PRIMARY KEY (%s)", sqlt_key_list(cx, &bk->bkey, NULL));
    zdm_buf_puts(&b, ");");
    return zdm_buf_cstr(&b);
}

/* The statement that records a batch's rows before its UPDATE, in the same
 * transaction (`range`: the batch's key condition): a row already there
 * (a rerun) keeps its first old value and gets the latest new one. The new
 * value is the set expression over the row as the UPDATE sees it. */
const char *sqlt_backup_insert_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                                   const char *range, const char *todo)
{
    zdm_buf cols, sel, upd;
    zdm_buf_init(&cols, cx->arena);
    zdm_buf_init(&sel, cx->arena);
    zdm_buf_init(&upd, cx->arena);
    for (size_t i = 0; i < bk->cols.len; i++) {
        zdm_sqlf(&cols, SQ, ", zdm_old_%zu, zdm_new_%zu", i + 1, i + 1);
        zdm_sqlf(&sel, SQ, ", %I, %R", bk->cols.items[i], bk->exprs.items[i]);
        zdm_sqlf(&upd, SQ, "%szdm_new_%zu = excluded.zdm_new_%zu", i ? ", " : "", i + 1, i + 1);
    }
    const char *keys = sqlt_key_list(cx, &bk->bkey, NULL);
    return zdm_sqlf_str(cx->arena, SQ,
                        "INSERT INTO %I (%s%s) SELECT %s%s FROM %I WHERE %s AND %s "
                        "ON CONFLICT (%s) DO UPDATE SET %s;",
                        bk->name, keys, zdm_buf_cstr(&cols), sqlt_key_list(cx, &bk->tkey, NULL),
                        zdm_buf_cstr(&sel), op->table.name, range, todo, keys,
                        zdm_buf_cstr(&upd));
}

/* The restore: in batches over the backup's real keys (sqlt_loop_sql), an
 * old value goes back only where the row still holds the recorded new one (a
 * value the application wrote since wins); guarded, so it does nothing when
 * the backup is gone. */
const char *sqlt_backup_restore_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                                    uint64_t batch)
{
    zdm_buf set, join, b;
    zdm_buf_init(&set, cx->arena);
    zdm_buf_init(&join, cx->arena);
    zdm_buf_init(&b, cx->arena);
    const char *t = op->table.name, *qt = zdm_sqlf_str(cx->arena, SQ, "%I", t);
    for (size_t i = 0; i < bk->cols.len; i++)
        zdm_sqlf(&set, SQ,
                 "%s%I = CASE WHEN %I.%I IS b.zdm_new_%zu THEN b.zdm_old_%zu ELSE %I.%I END",
                 i ? ", " : "", bk->cols.items[i], t, bk->cols.items[i], i + 1, i + 1, t,
                 bk->cols.items[i]);
    for (size_t i = 0; i < bk->tkey.ncols; i++)
        zdm_sqlf(&join, SQ, "%s = %s AND ", sqlt_key_ref(cx, &bk->tkey, i, qt),
                 sqlt_key_ref(cx, &bk->bkey, i, "b"));
    const char *upd = zdm_sqlf_str(cx->arena, SQ, "UPDATE %I SET %s FROM %I AS b WHERE %s%s;", t,
                                   zdm_buf_cstr(&set), bk->name, zdm_buf_cstr(&join), SQLT_RANGE);
    zdm_buf_puts(&b, sqlt_loop_sql(cx, bk->name, &bk->bkey, "b", batch, upd));
    const char *exists = zdm_sqlf_str(cx->arena, SQ,
                                      "EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' "
                                      "AND name = %L)", bk->name);
    return sqlt_guarded_sql(cx, exists, zdm_buf_cstr(&b));
}

/* The same restore as a walk for `zdm rollback` (runtime/backfill.c): the
 * backup's keys in batches, each batch and its cursor one transaction, so a
 * resumed rollback restores no row twice (the batch skips rows that no
 * longer hold the new value, so its count is the rows restored). The walk
 * reads the backup's own key, in the backup's order; the range is applied
 * inside a subquery of the backup alone, so none of its names can meet a
 * column of the table. No vacuum: SQLite updates in place. */
zdm_backfill_spec *sqlt_backup_restore_spec(zdm_lower_ctx *cx, const zdm_op *op,
                                            const sqlt_backup *bk, uint64_t batch)
{
    if (!bk->tkey.rowid && !sqlt_key_walkable(op->before, &bk->tkey))
        return NULL;
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    const char *t = op->table.name, *qt = zdm_sqlf_str(cx->arena, SQ, "%I", t);
    sp->table = op->table;
    sp->batch = batch;
    zdm_buf set, cond, join;
    zdm_buf_init(&set, cx->arena);
    zdm_buf_init(&cond, cx->arena);
    zdm_buf_init(&join, cx->arena);
    for (size_t i = 0; i < bk->cols.len; i++) {
        const char *eq = zdm_sqlf_str(cx->arena, SQ, "%I.%I IS b.zdm_new_%zu", t,
                                      bk->cols.items[i], i + 1);
        zdm_sqlf(&set, SQ, "%s%I = CASE WHEN %s THEN b.zdm_old_%zu ELSE %I.%I END", i ? ", " : "",
                 bk->cols.items[i], eq, i + 1, t, bk->cols.items[i]);
        zdm_sqlf(&cond, SQ, "%s%s", i ? " OR " : "", eq);
    }
    for (size_t i = 0; i < bk->tkey.ncols; i++)
        zdm_sqlf(&join, SQ, "%s = %s AND ", sqlt_key_ref(cx, &bk->tkey, i, qt),
                 sqlt_key_ref(cx, &bk->bkey, i, "b"));
    sp->set_sql = zdm_buf_cstr(&set);
    sp->filter_sql = zdm_buf_cstr(&cond);
    sp->key_cols = bk->bkey.cols;
    sp->nkeys = bk->bkey.ncols;
    const char **ty = ZDM_NEW_ARRAY(cx->arena, const char *, sp->nkeys);
    for (size_t i = 0; i < sp->nkeys; i++) {
        const zdm_column *c = bk->tkey.rowid ? NULL : zdm_table_column(op->before, bk->tkey.cols[i]);
        ty[i] = c ? sqlt_col_type(cx, op->before, c) : "INTEGER";
    }
    sp->key_types = ty;
    const char *range;
    if (bk->bkey.rowid) {
        range = "(?1 IS NULL OR zdm_key > CAST(?1 AS INTEGER)) AND zdm_key <= CAST(?2 AS INTEGER)";
        sp->max_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT CAST(zdm_key AS TEXT) AS zdm_last "
                                                  "FROM %I ORDER BY zdm_key DESC LIMIT 1",
                                   bk->name);
        sp->next_sql = zdm_sqlf_str(cx->arena, SQ,
                                    "SELECT CAST(zdm_k AS TEXT) AS zdm_last FROM (SELECT zdm_key "
                                    "AS zdm_k FROM %I WHERE %s ORDER BY zdm_key LIMIT CAST(?3 AS "
                                    "INTEGER)) ORDER BY zdm_k DESC LIMIT 1",
                                    bk->name, range);
    } else {
        zdm_backfill_spec keys = {0};
        keys.table = (zdm_name){NULL, bk->name};
        range = sqlt_key_walk(cx, &keys, &bk->bkey);
        sp->max_sql = keys.max_sql;
        sp->next_sql = keys.next_sql;
    }
    sp->batch_sql = zdm_sqlf_str(cx->arena, SQ,
                                 "UPDATE %I SET %s FROM (SELECT * FROM %I WHERE %s) AS b WHERE "
                                 "%s(%s)",
                                 t, sp->set_sql, bk->name, range, zdm_buf_cstr(&join),
                                 sp->filter_sql);
    sp->verb = "restore";
    sp->guard_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE "
                                                "type = 'table' AND name = %L)", bk->name);
    sp->total_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT count(*) FROM %I", bk->name);
    return sp;
}

/* The backup table's own steps: created in the expand phase, dropped in the
 * contract phase (after the deploy checkpoint: from then on the old values
 * are gone). */
void sqlt_backup_steps(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk)
{
    const char *create = backup_create_sql(cx, bk);
    const char *drop = zdm_sqlf_str(cx->arena, SQ, "DROP TABLE IF EXISTS %I;", bk->name);
    zdm_step *s = sqlt_step(cx, NULL, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "create backup table %s", bk->name));
    s->why = "The backfill overwrites values that existed before; this table keeps them so "
             "that the rollback can put them back.";
    s->forward = sqlt_tx_sql(cx, create);
    s->rollback = sqlt_tx_sql(cx, drop);
    zdm_step *d = sqlt_step(cx, NULL, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "drop backup table %s", bk->name));
    d->why = "The new application is in place; the old values are no longer needed.";
    d->forward = sqlt_tx_sql(cx, drop);
    d->rollback = sqlt_tx_sql(cx, create);
    d->rollback_note = "the backup comes back empty: a rollback past this step cannot restore "
                       "the backfilled columns' old values";
    zdm_step_risk(cx->plan, d, ZDM_RISK_DATA_LOSS,
                  zdm_sprintf(cx->arena, "The old values of %s.%s%s are dropped for good.",
                              op->table.name, bk->cols.items[0],
                              bk->cols.len > 1 ? " (and the other backfilled columns)" : ""),
                  "Back the database file up first (sqlite3 DB '.backup file').");
    sqlt_post(cx, d, zdm_sprintf(cx->arena, "backup table %s is gone", bk->name),
              sqlt_cond_table(cx, &(zdm_name){NULL, bk->name}, false));
}
