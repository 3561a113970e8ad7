/*
 * mysq_backfill.c - batched backfills of new columns for MySQL/MariaDB, and
 * the sync triggers that fill the rows the old application writes meanwhile.
 *
 * The script's backfill is a procedure (created, called, dropped like every
 * DDL's): it reads the primary key's range once, then walks it in batches of
 * `batch` keys, one UPDATE ... WHERE pk >= lo AND pk < lo + batch per batch,
 * each committed on its own (autocommit), each retried with backoff on a row
 * lock wait timeout or a deadlock (1205, 1213). Each UPDATE only touches rows
 * whose value differs (NOT c <=> value), so a rerun writes nothing twice. The
 * same walk is in the plan as data (zdm_backfill_spec), with the statements
 * `zdm run` sends itself (keyset batches whose size it adapts, the cursor
 * committed with each batch).
 *
 * A BEFORE INSERT / BEFORE UPDATE trigger pair per new column sets NEW.c from
 * the backfill expressions when the statement left it NULL (insert) or
 * unchanged (update): rows written after a batch passed are filled too, and
 * a NOT NULL made later finds no NULL. The expression is written over the
 * table's columns; in the trigger it is evaluated over a one-row derived
 * table of NEW's values under the same names (MySQL forbids a trigger to
 * UPDATE its own table). MariaDB runs trigger DDL as a prepared statement
 * inside the retry procedure; MySQL allows trigger DDL neither in a
 * procedure nor prepared, so there it is a plain statement that waits at
 * most lock_wait_timeout for its metadata lock, without retries.
 */
#include "mysq_int.h"

#include <string.h>

mysq_sync *mysq_sync_find(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    mysq_state *st = mysq_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++)
        if (zdm_name_eq(st->syncs.items[i]->table, *t) && strcmp(st->syncs.items[i]->col, col) == 0)
            return st->syncs.items[i];
    return NULL;
}

/* The value every backfill of `col` gives a row (lower_util.h). */
static const char *fill_expr(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    return zdm_lower_fill_expr(cx, mysq_value, t, col);
}

/* (SELECT expr FROM (SELECT NEW.a AS a, ...) AS zdm_row) */
static const char *over_new(zdm_lower_ctx *cx, const zdm_table *t, const char *expr)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, MQ(cx), "(SELECT %s FROM (SELECT ", expr);
    for (size_t i = 0; i < t->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%sNEW.%I AS %I", i ? ", " : "", t->cols[i]->name, t->cols[i]->name);
    zdm_buf_puts(&b, ") AS zdm_row)");
    return zdm_buf_cstr(&b);
}

/* `stmt` run as a prepared statement (inside a procedure body). */
static const char *dynamic(zdm_lower_ctx *cx, const char *stmt)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "PREPARE zdm_s FROM %L;\n                EXECUTE zdm_s;\n"
                        "                DEALLOCATE PREPARE zdm_s",
                        stmt);
}

static void make_sync(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    mysq_sync *sy = ZDM_NEW(cx->arena, mysq_sync);
    sy->table = op->table;
    sy->col = col;
    sy->ins = zdm_sprintf(cx->arena, "zdm_sync_%s_%s_ins", op->table.name, col);
    sy->upd = zdm_sprintf(cx->arena, "zdm_sync_%s_%s_upd", op->table.name, col);
    sy->expr = fill_expr(cx, &op->table, col);
    const char *v = over_new(cx, op->after ? op->after : op->before, sy->expr);
    const char *tn = op->table.name;
    const char *ins = zdm_sqlf_str(cx->arena, MQ(cx),
                                   "CREATE TRIGGER %I BEFORE INSERT ON %I FOR EACH ROW\nBEGIN\n"
                                   "    IF NEW.%I IS NULL THEN\n        SET NEW.%I = %s;\n"
                                   "    END IF;\nEND",
                                   sy->ins, tn, col, col, v);
    const char *upd = zdm_sqlf_str(cx->arena, MQ(cx),
                                   "CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW\nBEGIN\n"
                                   "    IF NEW.%I <=> OLD.%I THEN\n        SET NEW.%I = %s;\n"
                                   "    END IF;\nEND",
                                   sy->upd, tn, col, col, col, v);
    const char *drop_ins = zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", sy->ins);
    const char *drop_upd = zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", sy->upd);
    if (mysq_st(cx)->flavour == MYSQ_MARIADB) {
        /* MariaDB prepares trigger DDL, so it runs in the retry procedure. */
        sy->drop_sql = mysq_ddl_sql(cx, NULL,
                                    zdm_sprintf(cx->arena, "%s;\n%s", dynamic(cx, drop_ins),
                                                dynamic(cx, drop_upd)));
        sy->create_sql = mysq_ddl_sql(
            cx, NULL,
            zdm_sprintf(cx->arena, "%s;\n%s;\n%s;\n%s", dynamic(cx, drop_ins),
                        dynamic(cx, ins), dynamic(cx, drop_upd), dynamic(cx, upd)));
    } else {
        /* MySQL prepares no trigger DDL and runs none in a procedure. */
        sy->drop_sql = zdm_sprintf(cx->arena, "%s;\n%s;\n", drop_ins, drop_upd);
        sy->create_sql = zdm_sprintf(cx->arena, "%sDELIMITER $$\n%s$$\n%s$$\nDELIMITER ;\n",
                                     sy->drop_sql, ins, upd);
    }
    zdm_vec_push(cx->arena, &mysq_st(cx)->syncs, sy);
}

void mysq_sync_register(zdm_lower_ctx *cx)
{
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *op = cx->mig->ops.items[i];
        if (op->kind != ZDM_OP_BACKFILL)
            continue;
        for (size_t k = 0; k < op->nsets; k++)
            if (zdm_migration_column_is_new(cx->mig, op->table, op->sets[k].col) &&
                !mysq_sync_find(cx, &op->table, op->sets[k].col))
                make_sync(cx, op, op->sets[k].col);
    }
}

int mysq_sync_finish(zdm_lower_ctx *cx)
{
    mysq_state *st = mysq_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++) {
        const mysq_sync *sy = st->syncs.items[i];
        const char *what = mysq_qcol(cx, &sy->table, sy->col);
        zdm_step *s = mysq_step(cx, NULL, ZDM_PHASE_EXPAND,
                                zdm_sprintf(cx->arena, "create sync triggers for %s", what));
        s->why = "Rows the old application inserts or updates after a batch passed get the "
                 "backfilled value from these triggers.";
        s->retried = st->flavour == MYSQ_MARIADB;
        s->forward = mysq_step_sql(cx, sy->create_sql);
        s->rollback = mysq_step_sql(cx, sy->drop_sql);
        zdm_step_risk(cx->plan, s, ZDM_RISK_TRIGGER_OVERHEAD,
                      "Every insert and update of the table evaluates the fill expression once "
                      "more.",
                      "The triggers are dropped in the contract phase.");
        if (st->flavour == MYSQ_MYSQL)
            zdm_step_risk(cx->plan, s, ZDM_RISK_LOCK_QUEUE,
                          "CREATE TRIGGER takes an exclusive metadata lock and MySQL cannot "
                          "retry it in a procedure: behind a long transaction it fails after "
                          "lock_wait_timeout.",
                          "Rerun the phase script (the step is guarded) once the transaction "
                          "ends.");
        zdm_step *d = mysq_step(cx, NULL, ZDM_PHASE_CONTRACT,
                                zdm_sprintf(cx->arena, "drop sync triggers for %s", what));
        d->why = "The new application writes the column itself.";
        d->retried = st->flavour == MYSQ_MARIADB;
        d->forward = mysq_step_sql(cx, sy->drop_sql);
        d->rollback = mysq_step_sql(cx, sy->create_sql);
        zdm_step_risk(cx->plan, d, ZDM_RISK_APP_COMPAT,
                      zdm_sprintf(cx->arena, "After this step an old application version's "
                                  "writes leave %s unset.", what),
                      "Run the contract phase only once no instance of the old application is "
                      "left.");
        zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "Deploy the application version that writes "
                                        "%s itself before running contract.", what));
    }
    return 0;
}

static const char *set_sql(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < op->nsets; i++)
        zdm_sqlf(&b, MQ(cx), "%s%I = %R", i ? ", " : "", op->sets[i].col,
                 mysq_value(cx, op->sets[i].value));
    return zdm_buf_cstr(&b);
}

static const char *todo_sql(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_putc(&b, '(');
    for (size_t i = 0; i < op->nsets; i++)
        zdm_sqlf(&b, MQ(cx), "%sNOT (%I <=> %R)", i ? " OR " : "", op->sets[i].col,
                 mysq_value(cx, op->sets[i].value));
    zdm_buf_putc(&b, ')');
    if (op->where)
        zdm_sqlf(&b, MQ(cx), " AND coalesce(%R, 0)", mysq_value(cx, op->where));
    return zdm_buf_cstr(&b);
}

/* The walk of `zdm run` (runtime/backfill.c) over an integer key: max_sql
 * and next_sql in the MySQL driver's parameter syntax (runtime/drv_mysql.c):
 * ?N is a text literal, cast to the integer key so the comparison and the
 * order are the key's; ?iN an integer (LIMIT takes no expression). */
void mysq_walk_keys(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const char *tn, const char *pk)
{
    const char *range = zdm_sqlf_str(cx->arena, MQ(cx),
                                     "(?1 IS NULL OR %I > CAST(?1 AS SIGNED))"
                                     " AND %I <= CAST(?2 AS SIGNED)", pk, pk);
    sp->max_sql = zdm_sqlf_str(cx->arena, MQ(cx),
                               "SELECT CAST(%I AS CHAR) AS zdm_last FROM %I"
                               " ORDER BY %I DESC LIMIT 1", pk, tn, pk);
    /* The n-th key after lo, read along the primary key with no temporary
     * table (half the time of sorting a derived table of n keys: 7-10 against
     * 16-24 ms for 50,000 keys on MariaDB 10.11), or, with fewer than n left,
     * the last key up to hi (one index dive). */
    sp->next_sql = zdm_sqlf_str(cx->arena, MQ(cx),
                                "SELECT CAST(coalesce((SELECT %I FROM %I FORCE INDEX (PRIMARY)"
                                " WHERE %s ORDER BY %I LIMIT ?o3, 1), (SELECT max(%I) FROM %I"
                                " WHERE %s)) AS CHAR) AS zdm_last",
                                pk, tn, range, pk, pk, tn, range);
}

/* The backfill's walk: the keys, and one UPDATE per batch. */
static void native_walk(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const char *tn, const char *pk)
{
    mysq_walk_keys(cx, sp, tn, pk);
    const char *range = zdm_sqlf_str(cx->arena, MQ(cx),
                                     "(?1 IS NULL OR %I > CAST(?1 AS SIGNED))"
                                     " AND %I <= CAST(?2 AS SIGNED)", pk, pk);
    sp->batch_sql = zdm_sqlf_str(cx->arena, MQ(cx), "UPDATE %I SET %s WHERE %s AND %s", tn,
                                 sp->set_sql, range, sp->filter_sql);
}

static zdm_backfill_spec *spec_of(zdm_lower_ctx *cx, const zdm_op *op, const char *pk,
                                  uint64_t batch)
{
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    const char **k = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    const char **ty = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    k[0] = pk;
    ty[0] = "BIGINT";
    sp->table = op->table;
    sp->key_cols = k;
    sp->key_types = ty;
    sp->nkeys = 1;
    sp->set_sql = set_sql(cx, op);
    sp->filter_sql = todo_sql(cx, op);
    sp->batch = batch;
    sp->pause_ms = 0;
    native_walk(cx, sp, op->table.name, pk);
    return sp;
}

static const char *walk_sql(zdm_lower_ctx *cx, const zdm_op *op, const char *pk, uint64_t batch,
                            const zdm_backfill_spec *sp)
{
    const zdm_plan_defaults *d = &cx->plan->defaults;
    const char *tn = op->table.name;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "DROP PROCEDURE IF EXISTS zdm_step;\nDELIMITER $$\n"
                     "CREATE PROCEDURE zdm_step()\nBEGIN\n"
                     "    DECLARE zdm_lo, zdm_max BIGINT;\n"
                     "    DECLARE zdm_tries INT DEFAULT 0;\n");
    zdm_sqlf(&b, MQ(cx),
             "    SELECT coalesce(min(%I), 0), coalesce(max(%I), -1) INTO zdm_lo, zdm_max FROM "
             "%I;\n",
             pk, pk, tn);
    zdm_buf_puts(&b, "    WHILE zdm_lo <= zdm_max DO\n        BEGIN\n"
                     "            DECLARE EXIT HANDLER FOR 1205, 1213\n            BEGIN\n"
                     "                SET zdm_tries = zdm_tries + 1;\n");
    zdm_buf_printf(&b,
                   "                IF zdm_tries > %u THEN RESIGNAL; END IF;\n"
                   "                DO SLEEP(LEAST(%.3f, %.3f * POW(2, zdm_tries - 1)) * "
                   "(0.5 + RAND() / 2));\n            END;\n",
                   d->retries, (double)d->retry_cap_ms / 1000.0,
                   (double)d->retry_base_ms / 1000.0);
    zdm_sqlf(&b, MQ(cx),
             "            UPDATE %I SET %s WHERE %I >= zdm_lo AND %I < zdm_lo + %llu AND %s;\n",
             tn, sp->set_sql, pk, pk, (unsigned long long)batch, sp->filter_sql);
    zdm_buf_printf(&b,
                   "            SET zdm_lo = zdm_lo + %llu, zdm_tries = 0;\n        END;\n"
                   "    END WHILE;\nEND$$\nDELIMITER ;\nCALL zdm_step();\n"
                   "DROP PROCEDURE IF EXISTS zdm_step;\n",
                   (unsigned long long)batch);
    return zdm_buf_cstr(&b);
}

int mysq_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op)
{
    for (size_t i = 0; i < op->nsets; i++)
        if (!zdm_migration_column_is_new(cx->mig, op->table, op->sets[i].col))
            return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                                   "back the table up and use `execute` with its own revert, "
                                   "or backfill a new column and rename it",
                                   "a backfill of column %s, which existed before, is not "
                                   "supported for target %s yet (its rollback needs the old "
                                   "values)",
                                   op->sets[i].col, cx->target->canonical);
    const char *pk = mysq_int_pk(op->before);
    if (!pk)
        return zdm_lower_error(cx, op, ZDM_E_NO_PRIMARY_KEY,
                               "give the table a single-column integer primary key",
                               "a backfill needs a single-column integer primary key on %s "
                               "for target %s",
                               zdm_name_str(cx->arena, op->table), cx->target->canonical);
    uint64_t batch = op->batch ? op->batch : mysq_st(cx)->batch;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_BACKFILL,
                            zdm_sprintf(cx->arena, "backfill %s", zdm_name_str(cx->arena, op->table)));
    s->kind = ZDM_STEP_BACKFILL;
    s->lock = "row locks of one batch at a time (each UPDATE commits on its own)";
    s->lock_level = ZDM_LOCK_ROWS;
    s->scans = true;
    s->why = "One UPDATE per primary-key range, each its own transaction: a writer waits at "
             "most for one batch's row locks.";
    mysq_estimate(cx, s, &op->table, op->rows, MYSQ_UPDATE_RPS, "batched update");
    s->backfill = spec_of(cx, op, pk, batch);
    s->forward = mysq_step_sql(cx, walk_sql(cx, op, pk, batch, s->backfill));
    s->rollback = mysq_step_sql(cx, "-- nothing to undo here: the backfilled columns are new, "
                                    "and undoing their add column step drops them\n");
    zdm_step_risk(cx->plan, s, ZDM_RISK_REPLICA_LAG,
                  "Every batch is replicated; a large backfill can make replicas lag.",
                  "Watch Seconds_Behind_Master; lower `batch` if it grows.");
    mysq_post(cx, s, zdm_sprintf(cx->arena, "every row of %s is backfilled",
                                 zdm_name_str(cx->arena, op->table)),
              zdm_sqlf_str(cx->arena, MQ(cx), "NOT EXISTS (SELECT 1 FROM %I WHERE %s)",
                           op->table.name, s->backfill->filter_sql));
    return 0;
}
