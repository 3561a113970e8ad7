/*
 * pgsql_backup.c - the backup table that makes a backfill of an EXISTING
 * column reversible.
 *
 * A column that existed before the migration has no sync trigger: the
 * application keeps writing it and its writes win. Each backfill batch
 * records (key, old values, new values) of the rows it changes in a plain
 * table created in the expand phase, in the batch's own transaction: the old
 * values are read under FOR UPDATE in the same statement that writes the new
 * ones, so no concurrent write can slip between them. A row changed twice
 * (a rerun after the application rewrote it) keeps its FIRST old value and
 * its latest new one. The rollback restores, in batches over the backup's
 * key, an old value only where the row still holds the recorded new value:
 * a row the application rewrote since keeps the application's value. The
 * contract phase drops the table; after it the old values are gone.
 */
#include "pgsql_int.h"

#include <string.h>

bool pgsql_backup_needed(zdm_lower_ctx *cx, const zdm_op *op)
{
    for (size_t i = 0; i < op->nsets; i++)
        if (!zdm_migration_column_is_new(cx->mig, op->table, op->sets[i].col))
            return true;
    return false;
}

/* 1-based position of op among the backfills of its table that need a
 * backup: the table's helper name suffix. */
static unsigned backup_ordinal(zdm_lower_ctx *cx, const zdm_op *op)
{
    unsigned n = 0;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        if (o->kind == ZDM_OP_BACKFILL && zdm_name_eq(o->table, op->table) &&
            pgsql_backup_needed(cx, o))
            n++;
        if (o == op)
            break;
    }
    return n;
}

pgsql_backup *pgsql_backup_new(zdm_lower_ctx *cx, const zdm_op *op, const zdm_backfill_spec *sp)
{
    pgsql_backup *bk = ZDM_NEW(cx->arena, pgsql_backup);
    const zdm_table *t = op->before ? op->before : op->after;
    bk->op = op;
    bk->sp = sp;
    bk->name = (zdm_name){op->table.schema,
                          pgsql_object_name(cx->arena, "zdm_backup", op->table.name,
                                            zdm_sprintf(cx->arena, "%u",
                                                        backup_ordinal(cx, op)))};
    for (size_t i = 0; i < op->nsets; i++) {
        const char *c = op->sets[i].col;
        if (zdm_migration_column_is_new(cx->mig, op->table, c))
            continue;
        zdm_vec_push(cx->arena, &bk->cols, c);
        const zdm_column *col = t ? zdm_table_column(t, c) : NULL;
        zdm_vec_push(cx->arena, &bk->types, col ? pgsql_type(cx, &col->type, false) : "text");
        zdm_vec_push(cx->arena, &bk->json,
                     col && col->type.kind == ZDM_TY_JSON && !col->type.array);
    }
    return bk;
}

static const char *cols_str(zdm_lower_ctx *cx, const pgsql_backup *bk)
{
    const char *t = zdm_name_str(cx->arena, bk->op->table);
    const char *out = zdm_sprintf(cx->arena, "%s.%s", t, bk->cols.items[0]);
    for (size_t i = 1; i < bk->cols.len; i++)
        out = zdm_sprintf(cx->arena, "%s, %s.%s", out, t, bk->cols.items[i]);
    return out;
}

/* Every existing column some backfill of the migration sets, "t.c, ...". */
static const char *all_cols(zdm_lower_ctx *cx)
{
    const char *out = NULL;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        if (o->kind != ZDM_OP_BACKFILL)
            continue;
        const char *t = zdm_name_str(cx->arena, o->table);
        for (size_t k = 0; k < o->nsets; k++) {
            if (zdm_migration_column_is_new(cx->mig, o->table, o->sets[k].col))
                continue;
            const char *tc = zdm_sprintf(cx->arena, "%s.%s", t, o->sets[k].col);
            if (out && strstr(zdm_sprintf(cx->arena, ", %s, ", out),
                              zdm_sprintf(cx->arena, ", %s, ", tc)))
                continue;
            out = out ? zdm_sprintf(cx->arena, "%s, %s", out, tc) : tc;
        }
    }
    return out ? out : "";
}

/* "a IS NOT DISTINCT FROM b", through text for json (no equality). */
static const char *same(zdm_lower_ctx *cx, const pgsql_backup *bk, size_t i, const char *a,
                        const char *b)
{
    const char *cast = bk->json.items[i] ? "::text" : "";
    return zdm_sprintf(cx->arena, "%s%s IS NOT DISTINCT FROM %s%s", a, cast, b, cast);
}

/* One batch over the keys where `range` holds (the forward loop's
 * "k BETWEEN zdm_from AND zdm_to", or the runtime's parameters), indented for
 * the loop. */
const char *pgsql_backup_batch_sql(zdm_lower_ctx *cx, const pgsql_backup *bk, const char *range)
{
    const zdm_backfill_spec *sp = bk->sp;
    const zdm_name *t = &bk->op->table;
    const char *k = sp->key_cols[0];
    zdm_buf olds, rets, cols, upd;
    zdm_buf_init(&olds, cx->arena);
    zdm_buf_init(&rets, cx->arena);
    zdm_buf_init(&cols, cx->arena);
    zdm_buf_init(&upd, cx->arena);
    for (size_t i = 0; i < bk->cols.len; i++) {
        const char *c = bk->cols.items[i];
        zdm_sqlf(&olds, PG, ", %I AS zdm_old_%zu", c, i + 1);
        zdm_sqlf(&rets, PG, ", zdm_o.zdm_old_%zu, %I.%I", i + 1, t->name, c);
        zdm_buf_printf(&cols, ", zdm_old_%zu, zdm_new_%zu", i + 1, i + 1);
        zdm_buf_printf(&upd, "%szdm_new_%zu = EXCLUDED.zdm_new_%zu", i ? ", " : "", i + 1, i + 1);
    }
    return zdm_sqlf_str(cx->arena, PG,
                        "                -- old values read under FOR UPDATE in the statement that\n"
                        "                -- writes the new ones: one transaction, nothing in between\n"
                        "                WITH zdm_o AS (\n"
                        "                    SELECT %I AS zdm_k%s FROM %N\n"
                        "                     WHERE %s\n"
                        "                       AND %s\n"
                        "                     FOR UPDATE\n"
                        "                ), zdm_u AS (\n"
                        "                    UPDATE %N SET %s\n"
                        "                      FROM zdm_o\n"
                        "                     WHERE %I.%I = zdm_o.zdm_k\n"
                        "                       AND %s\n"
                        "                    RETURNING zdm_o.zdm_k%s\n"
                        "                )\n"
                        "                INSERT INTO %N (zdm_key%s) SELECT * FROM zdm_u\n"
                        "                ON CONFLICT (zdm_key) DO UPDATE SET %s;\n",
                        k, zdm_buf_cstr(&olds), t, range, sp->filter_sql, t, sp->set_sql, t->name, k,
                        sp->filter_sql, zdm_buf_cstr(&rets), &bk->name, zdm_buf_cstr(&cols),
                        zdm_buf_cstr(&upd));
}

/* What the restore sets and where: an old value back only where the row
 * still holds the recorded new one. */
typedef struct restore {
    const char *set, *cond;
} restore;

static restore restore_of(zdm_lower_ctx *cx, const pgsql_backup *bk)
{
    const zdm_name *t = &bk->op->table;
    zdm_buf set, cond;
    zdm_buf_init(&set, cx->arena);
    zdm_buf_init(&cond, cx->arena);
    for (size_t i = 0; i < bk->cols.len; i++) {
        const char *cur = zdm_sqlf_str(cx->arena, PG, "%I.%I", t->name, bk->cols.items[i]);
        const char *nw = zdm_sprintf(cx->arena, "zdm_b.zdm_new_%zu", i + 1);
        const char *eq = same(cx, bk, i, cur, nw);
        zdm_sqlf(&set, PG, "%s%I = CASE WHEN %s THEN zdm_b.zdm_old_%zu ELSE %s END",
                 i ? ",\n                       " : "", bk->cols.items[i], eq, i + 1, cur);
        zdm_buf_printf(&cond, "%s%s", i ? " OR " : "", eq);
    }
    return (restore){zdm_buf_cstr(&set), zdm_buf_cstr(&cond)};
}

/* The restore's batch over the backup keys where `range` holds, each line
 * indented by `in`. */
static const char *restore_stmt(zdm_lower_ctx *cx, const pgsql_backup *bk, const restore *r,
                                const char *in, const char *range)
{
    const zdm_name *t = &bk->op->table;
    return zdm_sqlf_str(cx->arena, PG, "%sUPDATE %N SET %s\n%s  FROM %N AS zdm_b\n%s WHERE %I.%I = "
                                       "zdm_b.zdm_key\n%s   AND %s\n%s   AND (%s)",
                        in, t, r->set, in, &bk->name, in, t->name, bk->sp->key_cols[0], in, range,
                        in, r->cond);
}

/* "One of the tables is gone": then there is nothing to restore. */
static const char *restore_gone(zdm_lower_ctx *cx, const pgsql_backup *bk)
{
    return zdm_sqlf_str(cx->arena, PG, "to_regclass(%L) IS NULL OR to_regclass(%L) IS NULL",
                        pgsql_regclass(cx, &bk->name), pgsql_regclass(cx, &bk->op->table));
}

/* The backup's statistics before its restore: nothing has analyzed the
 * freshly filled table, and without its row count the planner joins each
 * batch by a hash over a sequential scan of the whole table (measured on 1M
 * rows: 14k rows/s, against a nested loop on the key once analyzed). */
static const char *analyze_sql(zdm_lower_ctx *cx, const pgsql_backup *bk)
{
    return zdm_sqlf_str(cx->arena, PG, "    -- the backup's statistics, so that every batch joins "
                                       "by the key\n    ANALYZE %N;\n", &bk->name);
}

/* The restore loop: batches over the backup's key, guarded by the new value. */
static const char *restore_body(zdm_lower_ctx *cx, const pgsql_backup *bk, const restore *r)
{
    const zdm_backfill_spec *sp = bk->sp;
    const zdm_name *t = &bk->op->table;
    const zdm_name *b = &bk->name;
    const pgsql_loop loop = {
        .rel = b, .key = "zdm_key", .key_type = sp->key_types[0],
        .prologue = zdm_sqlf_str(cx->arena, PG,
                                 "    IF %s THEN\n"
                                 "        RAISE NOTICE 'zdm: no backup table %%: no old values to "
                                 "restore', %L;\n"
                                 "        RETURN;\n"
                                 "    END IF;\n"
                                 "%s",
                                 restore_gone(cx, bk), zdm_name_str(cx->arena, *b),
                                 analyze_sql(cx, bk)),
        .stmt = zdm_sprintf(cx->arena,
                            "                -- only where the row still holds the backfilled value: a row\n"
                            "                -- the application rewrote since keeps the application's value\n"
                            "%s;\n",
                            restore_stmt(cx, bk, r, "                ",
                                         "zdm_b.zdm_key BETWEEN zdm_from AND zdm_to")),
        .batch = sp->batch, .verb = "restore", .label = zdm_name_str(cx->arena, *t),
        .done_words = " rows given back their old values",
    };
    return pgsql_batch_loop(cx, &loop);
}

/* The same restore as a walk for `zdm rollback` (runtime/backfill.c): the
 * backup's keys in keyset batches, each batch with its cursor in one
 * transaction, so a resumed rollback restores no row twice. */
static zdm_backfill_spec *restore_spec(zdm_lower_ctx *cx, const pgsql_backup *bk, const restore *r)
{
    const zdm_backfill_spec *f = bk->sp;
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    const char *kt = f->key_types[0];
    sp->table = bk->op->table;
    sp->key_cols = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    sp->key_types = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    sp->key_cols[0] = "zdm_key";
    sp->key_types[0] = kt;
    sp->nkeys = 1;
    sp->set_sql = r->set;
    sp->filter_sql = r->cond;
    sp->batch = f->batch;
    sp->pause_ms = f->pause_ms;
    const char *range = pgsql_walk_keys(cx, sp, &bk->name, "zdm_key", kt, "zdm_b.zdm_key");
    sp->batch_sql = restore_stmt(cx, bk, r, "", range);
    /* Every restored row leaves a dead version in the table, as a backfill's. */
    sp->vacuum_sql = zdm_sqlf_str(cx->arena, PG, "VACUUM %N", &sp->table);
    sp->verb = "restore";
    sp->guard_sql = zdm_sprintf(cx->arena, "SELECT NOT (%s)", restore_gone(cx, bk));
    sp->total_sql = zdm_sqlf_str(cx->arena, PG, "SELECT count(*) FROM %N", &bk->name);
    return sp;
}

static const char *create_sql(zdm_lower_ctx *cx, const pgsql_backup *bk)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG, "CREATE TABLE IF NOT EXISTS %N (\n    zdm_key %s PRIMARY KEY", &bk->name,
             bk->sp->key_types[0]);
    for (size_t i = 0; i < bk->cols.len; i++)
        zdm_buf_printf(&b, ",\n    zdm_old_%zu %s,\n    zdm_new_%zu %s", i + 1,
                       bk->types.items[i], i + 1, bk->types.items[i]);
    zdm_buf_puts(&b, "\n);\n");
    return zdm_buf_cstr(&b);
}

static const char *drop_sql(zdm_lower_ctx *cx, const pgsql_backup *bk)
{
    return zdm_sqlf_str(cx->arena, PG, "DROP TABLE IF EXISTS %N;\n", &bk->name);
}

static zdm_step *helper_step(zdm_lower_ctx *cx, zdm_phase ph, const char *title)
{
    zdm_step *s = zdm_plan_step(cx->plan, ph, ZDM_STEP_TX, title);
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    s->statement_timeout_ms = pgsql_stmt_timeout(cx, 0.1);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    pgsql_lock(s, "none on the table", ZDM_LOCK_NONE);
    return s;
}

void pgsql_backup_steps(zdm_lower_ctx *cx, const pgsql_backup *bk, zdm_step *fill)
{
    const char *cols = cols_str(cx, bk);
    const char *bname = zdm_name_str(cx->arena, bk->name);
    zdm_step *s = helper_step(cx, ZDM_PHASE_EXPAND,
                              zdm_sprintf(cx->arena, "create backup table %s (old values of %s)",
                                          bname, cols));
    s->op = bk->op;
    s->why = "The backfill records the old value of every row it changes here, so the "
             "rollback can restore it exactly.";
    s->forward = pgsql_step_sql(cx, s, create_sql(cx, bk));
    s->rollback = pgsql_step_sql(cx, s, drop_sql(cx, bk));

    fill->why = zdm_sprintf(cx->arena,
                            "One short transaction per batch keeps row locks brief; each batch "
                            "saves the old values of the rows it changes in %s in the same "
                            "transaction; rerunning skips the rows already right. No sync "
                            "trigger: the application keeps writing %s itself and its writes "
                            "win.",
                            bname, cols);
    restore r = restore_of(cx, bk);
    const char *body = restore_body(cx, bk, &r);
    const char *tag = pgsql_dollar_tag(cx->arena, body);
    fill->rollback = pgsql_step_sql(cx, fill, zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, body,
                                                          tag));
    /* For `zdm rollback`: the loop's prologue (its guard and ANALYZE) as a
     * script, then its batches as a native walk. */
    const char *an = zdm_sprintf(cx->arena, "BEGIN\n    IF %s THEN\n        RETURN;\n    END IF;\n"
                                            "%sEND", restore_gone(cx, bk), analyze_sql(cx, bk));
    const char *atag = pgsql_dollar_tag(cx->arena, an);
    zdm_rollback_piece pre = {pgsql_step_sql(cx, fill, zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n",
                                                                   atag, an, atag)), NULL};
    zdm_vec_push(cx->arena, &fill->rollback_pieces, pre);
    zdm_vec_push(cx->arena, &fill->rollback_pieces,
                 ((zdm_rollback_piece){NULL, restore_spec(cx, bk, &r)}));
    fill->rollback_note = zdm_sprintf(cx->arena,
                                      "restores the old values of %s from %s where the row still "
                                      "holds the backfilled value; after contract the backfilled "
                                      "column's old values are gone",
                                      cols, bname);
    zdm_step_risk(cx->plan, fill, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "%s existed before: the application keeps writing it "
                              "during and after the backfill, and its writes win (rows it "
                              "writes after their batch keep the application's value).", cols),
                  "Deploy the application version that writes the new values itself before "
                  "or during the backfill; rerun the backfill phase to catch rows the old "
                  "version wrote.");

    zdm_step *c = helper_step(cx, ZDM_PHASE_CONTRACT,
                              zdm_sprintf(cx->arena, "drop backup table %s", bname));
    c->op = bk->op;
    c->why = "The backfilled values are kept: the old values are no longer needed.";
    c->forward = pgsql_step_sql(cx, c, drop_sql(cx, bk));
    c->rollback = zdm_sprintf(cx->arena, "-- nothing can restore the backup table %s: after "
                              "contract the backfilled column's old values are gone\n", bname);
    c->rollback_note = "after contract the backfilled column's old values are gone";
    zdm_step_risk(cx->plan, c, ZDM_RISK_DATA_LOSS,
                  zdm_sprintf(cx->arena, "After contract the backfilled column's old values "
                              "are gone: the change to %s can no longer be rolled back.", cols),
                  "Check the backfilled data before running contract; until then rollback.sql "
                  "restores the old values.");
    pgsql_post(cx, c, zdm_sprintf(cx->arena, "backup table %s is gone", bname),
               pgsql_cond_table(cx, &bk->name, false));
    /* One sentence for the whole migration: identical texts are joined once. */
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "Check the backfilled values of %s before "
                                    "running contract: after contract the backfilled column's "
                                    "old values are gone.", all_cols(cx)));
}
