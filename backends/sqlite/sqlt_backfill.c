/*
 * sqlt_backfill.c - batched backfills for SQLite and the sync triggers that
 * fill the rows the old application writes meanwhile (the backup that makes
 * a backfill of an existing column reversible is sqlt_backup.c).
 *
 * The sqlite3 CLI cannot loop, so the script has a SELECT write the
 * statements a DBA would type when it runs (sqlt_loop_sql): one UPDATE per
 * range of `batch` rows over the table's real keys - its rowids, or in a
 * WITHOUT ROWID table its primary key (sqlt_key.c) - each its own
 * transaction (the write lock is released between batches; without the
 * author's `batch N`, at most about 1000 batches for the `assume`d count:
 * the default batch grows on larger tables), then one UPDATE for every key
 * past the last range. Each only touches rows whose value differs (`IS
 * NOT`), so a rerun writes nothing twice. The same walk is in the plan as
 * data (zdm_backfill_spec) for `zdm run`.
 *
 * A sync trigger pair per new column (AFTER INSERT when the column is NULL,
 * AFTER UPDATE when the statement left it alone) recomputes the column from
 * the backfill expressions for the row (by rowid, or by primary key), so
 * rows the old application writes after a batch passed are filled too.
 * They exist from the expand phase to the contract phase; a copy-swap of
 * the table re-creates them (DROP TABLE drops them).
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
            sqlt_key key = sqlt_key_of(cx, op->before);
            const char *row = sqlt_key_eq(cx, &key, NULL, "NEW");
            sy->expr = e;
            sy->create_sql = zdm_sqlf_str(
                cx->arena, SQ,
                "CREATE TRIGGER IF NOT EXISTS %I AFTER INSERT ON %I FOR EACH ROW WHEN NEW.%I IS "
                "NULL BEGIN\n    UPDATE %I SET %I = %R WHERE %s;\nEND;\n"
                "CREATE TRIGGER IF NOT EXISTS %I AFTER UPDATE ON %I FOR EACH ROW WHEN NEW.%I IS "
                "OLD.%I BEGIN\n    UPDATE %I SET %I = %R WHERE %s AND %I IS NOT "
                "%R;\nEND;",
                sy->ins, op->table.name, col, op->table.name, col, e, row, sy->upd,
                op->table.name, col, col, op->table.name, col, e, row, col, e);
            zdm_vec_push(cx->arena, &st->syncs, sy);
        }
    }
}

static const char *drop_sync_sql(zdm_lower_ctx *cx, const sqlt_sync *sy)
{
    return zdm_sqlf_str(cx->arena, SQ, "DROP TRIGGER IF EXISTS %I;\nDROP TRIGGER IF EXISTS %I;",
                        sy->ins, sy->upd);
}

/* The sync triggers of the new columns `op` fills, created right before its
 * batches: in the phase of the latest earlier op on the table (where the
 * column was added, at the earliest), so never before the column exists
 * (an earlier copy-swap can put its add column past the expand phase) and
 * never after a batch has passed. Once per column. */
static void sync_create_steps(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_phase ph = sqlt_min_phase(cx, op, ZDM_PHASE_EXPAND);
    for (size_t i = 0; i < op->nsets; i++) {
        sqlt_sync *sy = sqlt_sync_find(cx, &op->table, op->sets[i].col);
        if (!sy || sy->created)
            continue;
        sy->created = true;
        zdm_step *s = sqlt_step(cx, NULL, ph,
                                zdm_sprintf(cx->arena, "create sync triggers for %s.%s",
                                            sy->table.name, sy->col));
        s->why = "Rows the old application inserts or updates after a batch passed get the "
                 "backfilled value from these triggers.";
        s->forward = sqlt_tx_sql(cx, sy->create_sql);
        s->rollback = sqlt_tx_sql(cx, drop_sync_sql(cx, sy));
        zdm_step_risk(cx->plan, s, ZDM_RISK_TRIGGER_OVERHEAD,
                      "Every insert and update of the table runs one more UPDATE of that row.",
                      "The triggers are dropped in the contract phase.");
    }
}

int sqlt_sync_finish(zdm_lower_ctx *cx)
{
    sqlt_state *st = sqlt_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++) {
        const sqlt_sync *sy = st->syncs.items[i];
        const char *what = zdm_sprintf(cx->arena, "%s.%s", sy->table.name, sy->col);
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

/* The runtime's walk (runtime/backfill.c): keys travel as text, ?NNN
 * parameters. A rowid is its decimal text; a primary key a JSON array
 * (sqlt_key.c); NULL statements where a BLOB key column has no such form,
 * and zdm run runs the script instead. Returns the batch's range. */
static const char *walk_of(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const zdm_table *t,
                           const sqlt_key *k)
{
    sp->key_cols = k->cols;
    sp->nkeys = k->ncols;
    const char **ty = ZDM_NEW_ARRAY(cx->arena, const char *, k->ncols);
    for (size_t i = 0; i < k->ncols; i++) {
        const zdm_column *c = k->rowid ? NULL : zdm_table_column(t, k->cols[i]);
        ty[i] = c ? sqlt_col_type(cx, t, c) : "INTEGER";
    }
    sp->key_types = ty;
    if (!k->rowid)
        return sqlt_key_walkable(t, k) ? sqlt_key_walk(cx, sp, k) : NULL;
    sp->max_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT CAST(rowid AS TEXT) AS zdm_last FROM %I "
                                              "ORDER BY rowid DESC LIMIT 1", t->name.name);
    sp->next_sql = zdm_sqlf_str(cx->arena, SQ,
                                "SELECT CAST(zdm_k AS TEXT) AS zdm_last FROM (SELECT rowid AS zdm_k FROM %I "
                                "WHERE %s ORDER BY rowid LIMIT CAST(?3 AS INTEGER)) "
                                "ORDER BY zdm_k DESC LIMIT 1", t->name.name, SQLT_BATCH_RANGE);
    return SQLT_BATCH_RANGE;
}

static zdm_backfill_spec *spec_of(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                                  uint64_t batch)
{
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    sqlt_key k = sqlt_key_of(cx, op->before);
    sp->table = op->table;
    sp->set_sql = set_sql(cx, op);
    sp->filter_sql = todo_sql(cx, op);
    sp->batch = batch;
    sp->pause_ms = 0;
    const char *range = walk_of(cx, sp, op->before, &k);
    if (!range)
        return sp;
    sp->batch_sql = zdm_sqlf_str(cx->arena, SQ, "UPDATE %I SET %s WHERE %s AND %s", op->table.name,
                                 sp->set_sql, range, sp->filter_sql);
    if (bk) /* one transaction per batch in the runtime too (runtime/backfill.c) */
        sp->batch_sql = zdm_sprintf(cx->arena, "%s\n%s",
                                    sqlt_backup_insert_sql(cx, op, bk, range, sp->filter_sql),
                                    sp->batch_sql);
    return sp;
}

/* The forward batches: per key range one transaction (backup, then the
 * UPDATE) when there is a backup, else one UPDATE; a pause after each. */
static const char *batches_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                               uint64_t batch, const char *set, const char *todo)
{
    const char *upd = zdm_sqlf_str(cx->arena, SQ, "UPDATE %I SET %s WHERE %s AND %s;",
                                   op->table.name, set, SQLT_RANGE, todo);
    if (bk)
        upd = zdm_sqlf_str(cx->arena, SQ, "BEGIN IMMEDIATE;\n%s\n%s\nCOMMIT;",
                           sqlt_backup_insert_sql(cx, op, bk, SQLT_RANGE, todo), upd);
    sqlt_key k = sqlt_key_of(cx, op->before);
    return sqlt_loop_sql(cx, op->table.name, &k, NULL, batch, upd);
}

int sqlt_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op)
{
    uint64_t batch = op->batch ? op->batch : sqlt_st(cx)->batch;
    /* An author's own `batch N` is kept: the loop is generated when the
     * script runs, so the batch count no longer sizes the script. */
    if (!op->batch && op->rows / batch > SQLT_MAX_BATCHES)
        batch = op->rows / SQLT_MAX_BATCHES + 1;
    sqlt_backup *bk = sqlt_backup_of(cx, op);
    sync_create_steps(cx, op);
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_BACKFILL,
                            zdm_sprintf(cx->arena, "backfill %s",
                                        zdm_name_str(cx->arena, op->table)));
    s->kind = ZDM_STEP_BACKFILL;
    s->transactional = false;
    s->lock = "database write lock per batch (each UPDATE is its own transaction)";
    s->why = op->before->without_rowid
                 ? "One UPDATE per range of the primary key (the table is without rowid), each "
                   "in its own transaction: other writers wait at most one batch."
                 : "One UPDATE per rowid range, each in its own transaction: other writers wait "
                   "at most one batch.";
    sqlt_estimate(cx, s, &op->table, op->rows, SQLT_UPDATE_RPS, "batched update");
    zdm_backfill_spec *sp = spec_of(cx, op, bk, batch);
    const char *set = sp->set_sql, *todo = sp->filter_sql;
    s->backfill = sp;
    s->forward = sqlt_step_sql(cx, batches_sql(cx, op, bk, batch, set, todo));
    zdm_step_risk(cx->plan, s, ZDM_RISK_WAL_VOLUME,
                  "Every updated row is written to the WAL.",
                  "Run PRAGMA wal_checkpoint(TRUNCATE) after the phase.");
    if (bk) {
        sqlt_backup_steps(cx, op, bk);
        s->lock = "database write lock per batch (each batch, its backup rows and its UPDATE, "
                  "is its own transaction)";
        const zdm_backfill_spec *walk = sqlt_backup_restore_spec(cx, op, bk, batch);
        const char *restore = sqlt_backup_restore_sql(cx, op, bk, batch);
        if (walk) {
            zdm_step_rollback_script(cx->plan, s, sqlt_step_sql(cx, ""));
            zdm_step_rollback_walk(cx->plan, s, restore, walk);
        } else {
            s->rollback = sqlt_step_sql(cx, restore);
        }
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
