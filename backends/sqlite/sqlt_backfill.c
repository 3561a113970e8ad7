/*
 * sqlt_backfill.c - batched backfills of new columns for SQLite, and the sync
 * triggers that fill the rows the old application writes meanwhile.
 *
 * The sqlite3 CLI cannot loop, so the script is the sequence of statements a
 * DBA would type: one UPDATE per rowid range of `batch` rows, each its own
 * transaction (the write lock is released between batches), ranges computed
 * from `assume` (at most 1000 batches: the batch grows on larger tables),
 * then one UPDATE for every rowid past the assumed count. Each only touches
 * rows whose value differs (`IS NOT`), so a rerun writes nothing twice. The
 * same walk is in the plan as data (zdm_backfill_spec) for `zdm run`.
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
    const char *range = "(?1 IS NULL OR rowid > CAST(?1 AS INTEGER)) AND rowid <= CAST(?2 AS INTEGER)";
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

int sqlt_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op)
{
    for (size_t i = 0; i < op->nsets; i++)
        if (!zdm_migration_column_is_new(cx->mig, op->table, op->sets[i].col))
            return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                                   "back the database file up and use `execute` with its own "
                                   "revert, or backfill a new column and rename it",
                                   "a backfill of column %s, which existed before, is not "
                                   "supported for target %s yet (its rollback needs the old "
                                   "values)",
                                   op->sets[i].col, cx->target->canonical);
    uint64_t batch = op->batch ? op->batch : sqlt_st(cx)->batch;
    if (op->rows / batch > SQLT_MAX_BATCHES)
        batch = op->rows / SQLT_MAX_BATCHES + 1;
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_BACKFILL,
                            zdm_sprintf(cx->arena, "backfill %s",
                                        zdm_name_str(cx->arena, op->table)));
    s->kind = ZDM_STEP_BACKFILL;
    s->transactional = false;
    s->lock = "database write lock per batch (each UPDATE is its own transaction)";
    s->why = "One UPDATE per rowid range, each in its own transaction: other writers wait at "
             "most one batch.";
    sqlt_estimate(cx, s, &op->table, op->rows, SQLT_UPDATE_RPS, "batched update");
    s->backfill = spec_of(cx, op, batch);
    const char *set = s->backfill->set_sql, *todo = s->backfill->filter_sql;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    uint64_t lo = 0;
    for (; op->rows && lo < op->rows; lo += batch)
        zdm_sqlf(&b, SQ, "UPDATE %I SET %s WHERE rowid > %llu AND rowid <= %llu AND %s;\n",
                 op->table.name, set, (unsigned long long)lo, (unsigned long long)(lo + batch),
                 todo);
    zdm_sqlf(&b, SQ, "UPDATE %I SET %s WHERE rowid > %llu AND %s;\n", op->table.name, set,
             (unsigned long long)lo, todo);
    s->forward = sqlt_step_sql(cx, zdm_buf_cstr(&b));
    s->rollback = sqlt_step_sql(cx, "-- nothing to undo here: the backfilled columns are new, "
                                    "and undoing their add column step drops them\n");
    zdm_step_risk(cx->plan, s, ZDM_RISK_WAL_VOLUME,
                  "Every updated row is written to the WAL.",
                  "Run PRAGMA wal_checkpoint(TRUNCATE) after the phase.");
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "every row of %s is backfilled",
                                 zdm_name_str(cx->arena, op->table)),
              zdm_sqlf_str(cx->arena, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE %s)",
                           op->table.name, todo));
    return 0;
}
