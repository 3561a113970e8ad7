/*
 * sqlt_backfill.c - batched backfills for SQLite, the backup that makes a
 * backfill of an existing column reversible, and the sync
 * triggers that fill the rows the old application writes meanwhile.
 *
 * The sqlite3 CLI cannot loop, so the script has a SELECT write the
 * statements a DBA would type when it runs (sqlt_loop_sql): one UPDATE per
 * rowid range of `batch` rows over the table's real rowids, each its own
 * transaction (the write lock is released between batches; without the
 * author's `batch N`, at most about 1000 batches for the `assume`d count:
 * the default batch grows on larger tables),
 * then one UPDATE for every rowid past the last range. Each only touches
 * rows whose value differs (`IS NOT`), so a rerun writes nothing twice. The
 * same walk is in the plan as data (zdm_backfill_spec) for `zdm run`.
 *
 * A backfill of a column that existed before keeps (rowid, old value, new
 * value) of every row it changes in a backup table, in each batch's own
 * transaction, so that its rollback can restore them (below).
 *
 * A sync trigger pair per new column (AFTER INSERT when the column is NULL,
 * AFTER UPDATE when the statement left it alone) recomputes the column from
 * the backfill expressions, so rows the old application writes after a batch
 * passed are filled too. They exist from the expand phase to the contract
 * phase; a copy-swap of the table re-creates them (DROP TABLE drops them).
 */
#include "sqlt_int.h"

#include <string.h>

#define SQLT_MAX_BATCHES 1000
/* A batch's rows in the runtime's walk: keys travel as text (?1 the cursor,
 * NULL at the start; ?2 the batch's last key). */
#define SQLT_BATCH_RANGE \
    "(?1 IS NULL OR rowid > CAST(?1 AS INTEGER)) AND rowid <= CAST(?2 AS INTEGER)"

sqlt_sync *sqlt_sync_find(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    sqlt_state *st = sqlt_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++)
        if (zdm_name_eq(st->syncs.items[i]->table, *t) &&
            strcmp(st->syncs.items[i]->col, col) == 0)
            return st->syncs.items[i];
    return NULL;
}

/* The value every backfill of `col` gives a row (lower_util.h). */
static const char *fill_expr(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    return zdm_lower_fill_expr(cx, sqlt_value, t, col);
}

void sqlt_sync_register(zdm_lower_ctx *cx)
{
    sqlt_state *st = sqlt_st(cx);
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *op = cx->mig->ops.items[i];
        if (op->kind != ZDM_OP_BACKFILL)
            continue;
        for (size_t k = 0; k < op->nsets; k++) {
            const char *col = op->sets[k].col;
            if (!zdm_migration_column_is_new(cx->mig, op->table, col) ||
                sqlt_sync_find(cx, &op->table, col))
                continue;
            sqlt_sync *sy = ZDM_NEW(cx->arena, sqlt_sync);
            sy->table = op->table;
            sy->col = col;
            sy->ins = zdm_sprintf(cx->arena, "zdm_sync_%s_%s_ins", op->table.name, col);
            sy->upd = zdm_sprintf(cx->arena, "zdm_sync_%s_%s_upd", op->table.name, col);
            const char *e = fill_expr(cx, &op->table, col);
            sy->expr = e;
            sy->create_sql = zdm_sqlf_str(
                cx->arena, SQ,
                "CREATE TRIGGER IF NOT EXISTS %I AFTER INSERT ON %I FOR EACH ROW WHEN NEW.%I IS "
                "NULL BEGIN\n    UPDATE %I SET %I = %R WHERE rowid = NEW.rowid;\nEND;\n"
                "CREATE TRIGGER IF NOT EXISTS %I AFTER UPDATE ON %I FOR EACH ROW WHEN NEW.%I IS "
                "OLD.%I BEGIN\n    UPDATE %I SET %I = %R WHERE rowid = NEW.rowid AND %I IS NOT "
                "%R;\nEND;",
                sy->ins, op->table.name, col, op->table.name, col, e, sy->upd, op->table.name,
                col, col, op->table.name, col, e, col, e);
            zdm_vec_push(cx->arena, &st->syncs, sy);
        }
    }
}

static const char *drop_sync_sql(zdm_lower_ctx *cx, const sqlt_sync *sy)
{
    return zdm_sqlf_str(cx->arena, SQ, "DROP TRIGGER IF EXISTS %I;\nDROP TRIGGER IF EXISTS %I;",
                        sy->ins, sy->upd);
}

int sqlt_sync_finish(zdm_lower_ctx *cx)
{
    sqlt_state *st = sqlt_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++) {
        const sqlt_sync *sy = st->syncs.items[i];
        const char *what = zdm_sprintf(cx->arena, "%s.%s", sy->table.name, sy->col);
        zdm_step *s = sqlt_step(cx, NULL, ZDM_PHASE_EXPAND,
                                zdm_sprintf(cx->arena, "create sync triggers for %s", what));
        s->why = "Rows the old application inserts or updates after a batch passed get the "
                 "backfilled value from these triggers.";
        s->forward = sqlt_tx_sql(cx, sy->create_sql);
        s->rollback = sqlt_tx_sql(cx, drop_sync_sql(cx, sy));
        zdm_step_risk(cx->plan, s, ZDM_RISK_TRIGGER_OVERHEAD,
                      "Every insert and update of the table runs one more UPDATE by rowid.",
                      "The triggers are dropped in the contract phase.");
        zdm_step *d = sqlt_step(cx, NULL, ZDM_PHASE_CONTRACT,
                                zdm_sprintf(cx->arena, "drop sync triggers for %s", what));
        d->why = "The new application writes the column itself.";
        d->forward = sqlt_tx_sql(cx, drop_sync_sql(cx, sy));
        d->rollback = sqlt_tx_sql(cx, sy->create_sql);
    }
    return 0;
}

static const char *set_sql(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < op->nsets; i++)
        zdm_sqlf(&b, SQ, "%s%I = %R", i ? ", " : "", op->sets[i].col,
                 sqlt_value(cx, op->sets[i].value));
    return zdm_buf_cstr(&b);
}

static const char *todo_sql(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_putc(&b, '(');
    for (size_t i = 0; i < op->nsets; i++)
        zdm_sqlf(&b, SQ, "%s%I IS NOT %R", i ? " OR " : "", op->sets[i].col,
                 sqlt_value(cx, op->sets[i].value));
    zdm_buf_putc(&b, ')');
    if (op->where)
        zdm_sqlf(&b, SQ, " AND coalesce(%R, 0)", sqlt_value(cx, op->where));
    return zdm_buf_cstr(&b);
}

static zdm_backfill_spec *spec_of(zdm_lower_ctx *cx, const zdm_op *op, uint64_t batch)
{
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    const char **k = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    const char **ty = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    k[0] = "rowid";
    ty[0] = "INTEGER";
    sp->table = op->table;
    sp->key_cols = k;
    sp->key_types = ty;
    sp->nkeys = 1;
    sp->set_sql = set_sql(cx, op);
    sp->filter_sql = todo_sql(cx, op);
    sp->batch = batch;
    sp->pause_ms = 0;
    /* The runtime's walk over rowid: keys travel as text, ?NNN parameters. */
    const char *range = SQLT_BATCH_RANGE;
    sp->max_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT CAST(rowid AS TEXT) AS zdm_last FROM %I "
                                              "ORDER BY rowid DESC LIMIT 1", op->table.name);
    sp->next_sql = zdm_sqlf_str(cx->arena, SQ,
                                "SELECT CAST(zdm_k AS TEXT) AS zdm_last FROM (SELECT rowid AS zdm_k FROM %I "
                                "WHERE %s ORDER BY rowid LIMIT CAST(?3 AS INTEGER)) "
                                "ORDER BY zdm_k DESC LIMIT 1", op->table.name, range);
    sp->batch_sql = zdm_sqlf_str(cx->arena, SQ, "UPDATE %I SET %s WHERE %s AND %s", op->table.name,
                                 sp->set_sql, range, sp->filter_sql);
    return sp;
}

/* ---- backfill of an existing column: the backup table -------------------- */

/* The backup of the old values a backfill overwrites (docs/backends/sqlite.md,
 * "Backfill of an existing column"), as on PostgreSQL (pgsql_backup.c): per
 * changed row its rowid, and per existing column its first old value and its
 * latest new one. Columns have no declared type, so a value is kept exactly
 * as it was (no affinity conversion). */
typedef struct sqlt_backup {
    const char *name;
    zdm_vec(const char *) cols;  /* the existing columns the backfill sets */
    zdm_vec(const char *) exprs; /* their new values (SQL over the row) */
} sqlt_backup;

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

static sqlt_backup *backup_of(zdm_lower_ctx *cx, const zdm_op *op)
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
    return bk;
}

static const char *backup_create_sql(zdm_lower_ctx *cx, const sqlt_backup *bk)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, SQ, "CREATE TABLE IF NOT EXISTS %I (zdm_key INTEGER PRIMARY KEY", bk->name);
    for (size_t i = 0; i < bk->cols.len; i++)
        zdm_sqlf(&b, SQ, ", zdm_old_%zu, zdm_new_%zu", i + 1, i + 1);
    zdm_buf_puts(&b, ");");
    return zdm_buf_cstr(&b);
}

/* The statement that records a batch's rows before its UPDATE, in the same
 * transaction (`range`: the batch's rowid condition): a row already there
 * (a rerun) keeps its first old value and gets the latest new one. The new
 * value is the set expression over the row as the UPDATE sees it. */
static const char *backup_insert_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
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
    return zdm_sqlf_str(cx->arena, SQ,
                        "INSERT INTO %I (zdm_key%s) SELECT rowid%s FROM %I WHERE %s AND %s "
                        "ON CONFLICT (zdm_key) DO UPDATE SET %s;",
                        bk->name, zdm_buf_cstr(&cols), zdm_buf_cstr(&sel), op->table.name, range,
                        todo, zdm_buf_cstr(&upd));
}

/* The restore: in batches over the backup's real keys (sqlt_loop_sql), an
 * old value goes back only where the row still holds the recorded new one (a
 * value the application wrote since wins); guarded, so it does nothing when
 * the backup is gone. */
static const char *backup_restore_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                                      uint64_t batch)
{
    zdm_buf set, b;
    zdm_buf_init(&set, cx->arena);
    zdm_buf_init(&b, cx->arena);
    const char *t = op->table.name;
    for (size_t i = 0; i < bk->cols.len; i++)
        zdm_sqlf(&set, SQ,
                 "%s%I = CASE WHEN %I.%I IS b.zdm_new_%zu THEN b.zdm_old_%zu ELSE %I.%I END",
                 i ? ", " : "", bk->cols.items[i], t, bk->cols.items[i], i + 1, i + 1, t,
                 bk->cols.items[i]);
    const char *upd = zdm_sqlf_str(cx->arena, SQ,
                                   "UPDATE %I SET %s FROM %I AS b WHERE %I.rowid = b.zdm_key AND "
                                   "%s;",
                                   t, zdm_buf_cstr(&set), bk->name, t, SQLT_RANGE);
    zdm_buf_puts(&b, sqlt_loop_sql(cx, bk->name, "zdm_key", "b.zdm_key", batch, upd));
    const char *exists = zdm_sqlf_str(cx->arena, SQ,
                                      "EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' "
                                      "AND name = %L)", bk->name);
    return sqlt_guarded_sql(cx, exists, zdm_buf_cstr(&b));
}

/* The same restore as a walk for `zdm rollback` (runtime/backfill.c): the
 * backup's keys in batches, each batch and its cursor one transaction, so a
 * resumed rollback restores no row twice; the table's row versions need no
 * vacuum (SQLite updates in place). */
static zdm_backfill_spec *backup_restore_spec(zdm_lower_ctx *cx, const zdm_op *op,
                                              const sqlt_backup *bk, uint64_t batch)
{
    zdm_backfill_spec *sp = spec_of(cx, op, batch);
    const char *t = op->table.name;
    zdm_buf set, cond;
    zdm_buf_init(&set, cx->arena);
    zdm_buf_init(&cond, cx->arena);
    for (size_t i = 0; i < bk->cols.len; i++) {
        const char *eq = zdm_sqlf_str(cx->arena, SQ, "%I.%I IS b.zdm_new_%zu", t,
                                      bk->cols.items[i], i + 1);
        zdm_sqlf(&set, SQ, "%s%I = CASE WHEN %s THEN b.zdm_old_%zu ELSE %I.%I END", i ? ", " : "",
                 bk->cols.items[i], eq, i + 1, t, bk->cols.items[i]);
        zdm_sqlf(&cond, SQ, "%s%s", i ? " OR " : "", eq);
    }
    sp->key_cols[0] = "zdm_key";
    sp->set_sql = zdm_buf_cstr(&set);
    sp->filter_sql = zdm_buf_cstr(&cond);
    sp->max_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT CAST(zdm_key AS TEXT) AS zdm_last FROM %I "
                                              "ORDER BY zdm_key DESC LIMIT 1", bk->name);
    const char *range = "(?1 IS NULL OR zdm_key > CAST(?1 AS INTEGER)) AND zdm_key <= CAST(?2 AS "
                        "INTEGER)";
    sp->next_sql = zdm_sqlf_str(cx->arena, SQ,
                                "SELECT CAST(zdm_k AS TEXT) AS zdm_last FROM (SELECT zdm_key AS "
                                "zdm_k FROM %I WHERE %s ORDER BY zdm_key LIMIT CAST(?3 AS INTEGER)) "
                                "ORDER BY zdm_k DESC LIMIT 1", bk->name, range);
    sp->batch_sql = zdm_sqlf_str(cx->arena, SQ,
                                 "UPDATE %I SET %s FROM %I AS b WHERE %I.rowid = b.zdm_key AND "
                                 "(?1 IS NULL OR b.zdm_key > CAST(?1 AS INTEGER)) AND b.zdm_key <= "
                                 "CAST(?2 AS INTEGER) AND (%s)",
                                 t, sp->set_sql, bk->name, t, sp->filter_sql);
    sp->verb = "restore";
    sp->guard_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE "
                                                "type = 'table' AND name = %L)", bk->name);
    sp->total_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT count(*) FROM %I", bk->name);
    return sp;
}

/* The backup table's own steps: created in the expand phase, dropped in the
 * contract phase (after the deploy checkpoint: from then on the old values
 * are gone). */
static void backup_steps(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk)
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

/* The forward batches: per rowid range one transaction (backup, then the
 * UPDATE) when there is a backup, else one UPDATE; a pause after each. */
static const char *batches_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                               uint64_t batch, const char *set, const char *todo)
{
    const char *upd = zdm_sqlf_str(cx->arena, SQ, "UPDATE %I SET %s WHERE %s AND %s;",
                                   op->table.name, set, SQLT_RANGE, todo);
    if (bk)
        upd = zdm_sqlf_str(cx->arena, SQ, "BEGIN IMMEDIATE;\n%s\n%s\nCOMMIT;",
                           backup_insert_sql(cx, op, bk, SQLT_RANGE, todo), upd);
    return sqlt_loop_sql(cx, op->table.name, "rowid", "rowid", batch, upd);
}

int sqlt_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->before->without_rowid)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "update it with `execute` (one transaction) and its own revert",
                               "a backfill of table %s is not supported for target %s: the "
                               "table is without rowid, and the batches walk the rowid",
                               zdm_name_str(cx->arena, op->table), cx->target->canonical);
    uint64_t batch = op->batch ? op->batch : sqlt_st(cx)->batch;
    /* An author's own `batch N` is kept: the loop is generated when the
     * script runs, so the batch count no longer sizes the script. */
    if (!op->batch && op->rows / batch > SQLT_MAX_BATCHES)
        batch = op->rows / SQLT_MAX_BATCHES + 1;
    sqlt_backup *bk = backup_of(cx, op);
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_BACKFILL,
                            zdm_sprintf(cx->arena, "backfill %s",
                                        zdm_name_str(cx->arena, op->table)));
    s->kind = ZDM_STEP_BACKFILL;
    s->transactional = false;
    s->lock = "database write lock per batch (each UPDATE is its own transaction)";
    s->why = "One UPDATE per rowid range, each in its own transaction: other writers wait at "
             "most one batch.";
    sqlt_estimate(cx, s, &op->table, op->rows, SQLT_UPDATE_RPS, "batched update");
    zdm_backfill_spec *sp = spec_of(cx, op, batch);
    const char *set = sp->set_sql, *todo = sp->filter_sql;
    if (bk) /* one transaction per batch in the runtime too (runtime/backfill.c) */
        sp->batch_sql = zdm_sprintf(cx->arena, "%s\n%s",
                                    backup_insert_sql(cx, op, bk, SQLT_BATCH_RANGE, todo),
                                    sp->batch_sql);
    s->backfill = sp;
    s->forward = sqlt_step_sql(cx, batches_sql(cx, op, bk, batch, set, todo));
    zdm_step_risk(cx->plan, s, ZDM_RISK_WAL_VOLUME,
                  "Every updated row is written to the WAL.",
                  "Run PRAGMA wal_checkpoint(TRUNCATE) after the phase.");
    if (bk) {
        backup_steps(cx, op, bk);
        s->lock = "database write lock per batch (each batch, its backup rows and its UPDATE, "
                  "is its own transaction)";
        zdm_step_rollback_script(cx->plan, s, sqlt_step_sql(cx, ""));
        zdm_step_rollback_walk(cx->plan, s, backup_restore_sql(cx, op, bk, batch),
                               backup_restore_spec(cx, op, bk, batch));
        s->rollback_note = "restores the old values from the backup table, except where the "
                           "application wrote the column since";
        zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                      "The column existed before: the old application keeps writing it and "
                      "its writes win (no sync trigger); rows it writes after their batch keep "
                      "its value.",
                      "Deploy the application that writes the new values before this phase, "
                      "or accept that rows written meanwhile keep what it wrote.");
        return 0;
    }
    s->rollback = sqlt_step_sql(cx, "-- nothing to undo here: the backfilled columns are new, "
                                    "and undoing their add column step drops them\n");
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "every row of %s is backfilled",
                                 zdm_name_str(cx->arena, op->table)),
              zdm_sqlf_str(cx->arena, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE %s)",
                           op->table.name, todo));
    return 0;
}
