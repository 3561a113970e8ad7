/*
 * pgsql_backfill.c - the batched, resumable backfill of new columns.
 *
 * The backfill is a DO block run outside a transaction block, which may
 * COMMIT (PostgreSQL 11+): it walks the primary key in keyset batches up to
 * the maximum key read when it starts. It needs no catch-up pass because the
 * sync trigger (pgsql_sync.c) exists before it starts and fills every row
 * written after that; it only updates rows whose value differs from the
 * expression, so a rerun after a stop writes nothing twice. A COMMIT may not
 * sit inside a block with an EXCEPTION clause, so the retry on a row-lock
 * timeout is an inner block and the COMMIT follows it.
 *
 * A column added by this migration is rolled back by dropping it. A column
 * that existed before has no sync trigger (the application keeps writing it
 * and its writes win); each batch records (key, old values, new values) of
 * the rows it changes in a backup table, in the batch's own transaction, and
 * the rollback restores an old value only where the row still holds the
 * recorded new one. The contract phase drops the backup table: after it the
 * old values are gone.
 *
 * The first backfill of a table's new columns without a `where` also fills
 * the table's retyped and renamed columns (pgsql_move.c) in its batches.
 */
#include "pgsql_int.h"

#include <string.h>

/* json has no equality operator: compare it as text. */
static const char *cmp_expr(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                            const char *sql)
{
    const zdm_table *fin = zdm_schema_table(cx->mig->final, *t);
    const zdm_column *c = fin ? zdm_table_column(fin, col) : NULL;
    if (c && c->type.kind == ZDM_TY_JSON && !c->type.array)
        return zdm_sprintf(cx->arena, "(%s)::text", sql);
    return sql;
}

static const char *fill_value(zdm_lower_ctx *cx, const zdm_value *v)
{
    return pgsql_value(cx, v);
}

/* "col IS DISTINCT FROM (expr) OR ..." restricted by the where: rows to do. */
static const char *todo_filter(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_putc(&b, '(');
    for (size_t i = 0; i < op->nsets; i++) {
        const char *col = zdm_sqlf_str(cx->arena, PG, "%I", op->sets[i].col);
        zdm_sqlf(&b, PG, "%s%s IS DISTINCT FROM %s", i ? " OR " : "",
                 cmp_expr(cx, &op->table, op->sets[i].col, col),
                 cmp_expr(cx, &op->table, op->sets[i].col, fill_value(cx, op->sets[i].value)));
    }
    zdm_buf_putc(&b, ')');
    if (op->where)
        zdm_sqlf(&b, PG, " AND coalesce(%R, false)", pgsql_value(cx, op->where));
    return zdm_buf_cstr(&b);
}

/* Rows of `col` that a later backfill in this migration writes again: "false"
 * when none does, else the OR of their wheres (true without one). */
static const char *later_fills(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    bool after = false, any = false;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        if (o == op) {
            after = true;
            continue;
        }
        if (!after || o->kind != ZDM_OP_BACKFILL || !zdm_name_eq(o->table, op->table))
            continue;
        for (size_t k = 0; k < o->nsets; k++) {
            if (strcmp(o->sets[k].col, col) != 0)
                continue;
            if (!o->where)
                return "true";
            zdm_sqlf(&b, PG, "%scoalesce(%R, false)", any ? " OR " : "",
                     pgsql_value(cx, o->where));
            any = true;
        }
    }
    return any ? zdm_buf_cstr(&b) : "false";
}

/* verify_post of one backfill: like the to-do filter, but a row a later
 * backfill of the same column rewrote is that backfill's to check. */
static const char *post_filter(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_putc(&b, '(');
    size_t n = 0;
    for (size_t i = 0; i < op->nsets; i++) {
        const char *later = later_fills(cx, op, op->sets[i].col);
        /* An existing column is the application's to write: rows it wrote
         * after their batch legitimately differ from the expression. */
        if (strcmp(later, "true") == 0 ||
            !zdm_migration_column_is_new(cx->mig, op->table, op->sets[i].col))
            continue;
        const char *col = zdm_sqlf_str(cx->arena, PG, "%I", op->sets[i].col);
        zdm_sqlf(&b, PG, "%s(%s IS DISTINCT FROM %s", n++ ? " OR " : "",
                 cmp_expr(cx, &op->table, op->sets[i].col, col),
                 cmp_expr(cx, &op->table, op->sets[i].col, fill_value(cx, op->sets[i].value)));
        if (strcmp(later, "false") != 0)
            zdm_sqlf(&b, PG, " AND NOT (%s)", later);
        zdm_buf_putc(&b, ')');
    }
    if (n == 0)
        return NULL;
    zdm_buf_putc(&b, ')');
    if (op->where)
        zdm_sqlf(&b, PG, " AND coalesce(%R, false)", pgsql_value(cx, op->where));
    return zdm_buf_cstr(&b);
}

static const char *set_list(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < op->nsets; i++)
        zdm_sqlf(&b, PG, "%s%I = %R", i ? ", " : "", op->sets[i].col,
                 fill_value(cx, op->sets[i].value));
    return zdm_buf_cstr(&b);
}

static int backfill_supported(zdm_lower_ctx *cx, const zdm_op *op, const char **key)
{
    const zdm_constraint *pk = zdm_table_primary_key(op->before ? op->before : op->after);
    if (!pk || pk->ncols != 1)
        return zdm_lower_error(cx, op, ZDM_E_NO_PRIMARY_KEY,
                               "The batches walk the primary key one column at a time, and a "
                               "composite key cannot be walked yet: give the table a "
                               "single-column primary key first (or fill the column with "
                               "`execute` in a maintenance window).",
                               "backfill of %s needs a single-column primary key, and %s",
                               zdm_name_str(cx->arena, op->table),
                               pk ? "its primary key has several columns" : "it has none");
    *key = pk->cols[0];
    return 0;
}

static zdm_backfill_spec *make_spec(zdm_lower_ctx *cx, const zdm_op *op, const char *key)
{
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    const zdm_table *t = op->before ? op->before : op->after;
    const zdm_column *kc = zdm_table_column(t, key);
    sp->table = op->table;
    sp->key_cols = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    sp->key_types = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    sp->key_cols[0] = key;
    sp->key_types[0] = kc ? pgsql_type(cx, &kc->type, false) : "unknown";
    sp->nkeys = 1;
    sp->set_sql = set_list(cx, op);
    sp->filter_sql = todo_filter(cx, op);
    sp->batch = op->batch ? op->batch : pgsql_st(cx)->batch;
    sp->pause_ms = pgsql_st(cx)->pause_ms;
    return sp;
}

/* The DO block body of every batched walk (a backfill, a restore): keyset
 * batches over one key, each statement retried on lock and deadlock errors,
 * one COMMIT per batch (so no EXCEPTION block may enclose it), NOTICE progress.
 * With hi_note the walk stops at the key that was last when it started. */
const char *pgsql_batch_loop(zdm_lower_ctx *cx, const pgsql_loop *l)
{
    const zdm_name *t = l->rel;
    const char *k = l->key;
    const char *kt = l->key_type;
    const char *hi = l->hi_note ? " AND %I <= zdm_hi" : "";
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG,
             "#variable_conflict use_column\n"
             "DECLARE\n"
             "    zdm_hi %s;\n    zdm_lo %s;\n    zdm_from %s;\n    zdm_to %s;\n"
             "    zdm_rows bigint;\n    zdm_done bigint := 0;\n    zdm_batches bigint := 0;\n"
             "    zdm_tries int;\n"
             "BEGIN\n",
             kt, kt, kt, kt);
    if (l->prologue)
        zdm_buf_puts(&b, l->prologue);
    if (l->hi_note)
        zdm_sqlf(&b, PG, "    -- %s\n    SELECT %I INTO zdm_hi FROM %N ORDER BY %I DESC LIMIT 1;\n",
                 l->hi_note, k, t, k);
    zdm_sqlf(&b, PG, "    LOOP\n        IF zdm_lo IS NULL THEN\n"
                     "            SELECT %I INTO zdm_from FROM %N", k, t);
    if (l->hi_note)
        zdm_sqlf(&b, PG, " WHERE %I <= zdm_hi", k);
    zdm_sqlf(&b, PG, " ORDER BY %I LIMIT 1;\n        ELSE\n"
                     "            SELECT %I INTO zdm_from FROM %N\n"
                     "             WHERE %I > zdm_lo", k, k, t, k);
    zdm_sqlf(&b, PG, hi, k);
    zdm_sqlf(&b, PG, " ORDER BY %I LIMIT 1;\n        END IF;\n"
                     "        EXIT WHEN zdm_from IS NULL;\n"
                     "        SELECT zdm_k INTO zdm_to FROM (SELECT %I AS zdm_k FROM %N\n"
                     "            WHERE %I >= zdm_from", k, k, t, k);
    zdm_sqlf(&b, PG, hi, k);
    zdm_sqlf(&b, PG,
             " ORDER BY %I LIMIT %llu) AS zdm_batch\n"
             "         ORDER BY zdm_k DESC LIMIT 1;\n"
             "        zdm_tries := 0;\n"
             "        LOOP\n"
             "            BEGIN\n"
             "%s"
             "                GET DIAGNOSTICS zdm_rows = ROW_COUNT;\n"
             "                EXIT;\n"
             "            EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n"
             "                zdm_tries := zdm_tries + 1;\n"
             "                IF zdm_tries >= %u THEN\n"
             "                    RAISE;\n"
             "                END IF;\n"
             "                PERFORM pg_sleep(least(%lld, %lld * 2 ^ (zdm_tries - 1)) / 1000.0 * (0.5 + random() / 2));\n"
             "            END;\n"
             "        END LOOP;\n"
             "        COMMIT;\n"
             "        zdm_lo := zdm_to;\n"
             "        zdm_done := zdm_done + zdm_rows;\n"
             "        zdm_batches := zdm_batches + 1;\n"
             "        RAISE NOTICE 'zdm: %s %%: batch %%, %%%s, key %%%s',\n"
             "            %L, zdm_batches, zdm_done, zdm_to%s;\n",
             k, (unsigned long long)l->batch, l->stmt, cx->plan->defaults.retries,
             (long long)cx->plan->defaults.retry_cap_ms,
             (long long)cx->plan->defaults.retry_base_ms, l->verb, l->done_words,
             l->hi_note ? " of %" : "", l->label, l->hi_note ? ", zdm_hi" : "");
    if (l->pause_ms > 0)
        zdm_buf_printf(&b, "        PERFORM pg_sleep(%lld / 1000.0);\n", (long long)l->pause_ms);
    zdm_sqlf(&b, PG, "    END LOOP;\n"
                     "    RAISE NOTICE 'zdm: %s %%: done, %%%s in %% batches', "
                     "%L, zdm_done, zdm_batches;\nEND",
             l->verb, l->done_words, l->label);
    return zdm_buf_cstr(&b);
}

static void backfill_risks(zdm_lower_ctx *cx, zdm_step *s)
{
    zdm_plan *p = cx->plan;
    zdm_step_risk(p, s, ZDM_RISK_WAL_VOLUME,
                  "Every updated row is written again: WAL about the size of the table.",
                  "Batches with batch_pause spread it; watch archive and disk space.");
    zdm_step_risk(p, s, ZDM_RISK_REPLICA_LAG,
                  "Replicas replay the whole backfill.",
                  "Watch pg_stat_replication.replay_lag; raise batch_pause (set batch_pause) "
                  "or stop and rerun later: the backfill resumes.");
    zdm_step_risk(p, s, ZDM_RISK_BLOAT,
                  "Each update leaves a dead row version: the table can double in size "
                  "(field notes: 3.8 GB to 8.8 GB at 40M rows).",
                  "Let autovacuum keep up (batch_pause), or VACUUM the table after the "
                  "backfill; pg_repack reclaims the space if needed.");
    zdm_step_risk(p, s, ZDM_RISK_LOCK_QUEUE,
                  "Each batch holds row locks until its COMMIT; a writer updating the same "
                  "rows waits for it.",
                  "Batches are short (one COMMIT per batch); a batch that times out on a row "
                  "lock is retried with backoff.");
}

/* A loop statement (indented 16, ending ";\n") as one statement of its own:
 * the indentation and the terminator dropped. */
static const char *unindent(zdm_lower_ctx *cx, const char *text)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (const char *p = text; *p;) {
        for (int i = 0; i < 16 && *p == ' '; i++)
            p++;
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (b.len)
            zdm_buf_putc(&b, '\n');
        zdm_buf_put(&b, p, n);
        p += n + (nl != NULL);
    }
    const char *out = zdm_buf_cstr(&b);
    size_t n = strlen(out);
    return n && out[n - 1] == ';' ? zdm_strndup(cx->arena, out, n - 1) : out;
}

/* The walk of `zdm run` (runtime/backfill.c) as the spec's three statements:
 * keys travel as text ($1, $2 typed text) and are cast to the key's type, so
 * the comparisons and the order are the key's own (its collation for text). */
const char *pgsql_walk_keys(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const zdm_name *rel,
                            const char *k, const char *kt, const char *key_sql)
{
    const char *own = zdm_sqlf_str(cx->arena, PG, "($1::text IS NULL OR %I > CAST($1::text AS %s))"
                                                  " AND %I <= CAST($2::text AS %s)", k, kt, k, kt);
    /* Each batch commits with its cursor, so a commit that a crash of the
     * server loses (at most three wal_writer_delay's worth, docs/runtime.md)
     * takes its cursor with it and the rerun does the batch again; not
     * waiting for the WAL flush made the headline backfill a sixth faster
     * on this kind of machine (docs/benchmarks.md). */
    sp->session_sql = "SET synchronous_commit = off";
    /* The text outputs get their own names: an ORDER BY name matches an
     * output column first, and the text's order is not the key's. */
    sp->max_sql = zdm_sqlf_str(cx->arena, PG,
                               "SELECT %I::text AS zdm_last FROM %N ORDER BY %I DESC LIMIT 1",
                               k, rel, k);
    sp->next_sql = zdm_sqlf_str(cx->arena, PG,
                                "SELECT zdm_k::text AS zdm_last FROM (SELECT %I AS zdm_k FROM %N"
                                " WHERE %s ORDER BY %I LIMIT $3::bigint) AS zdm_batch"
                                " ORDER BY zdm_k DESC LIMIT 1", k, rel, own, k);
    return zdm_sqlf_str(cx->arena, PG, "($1::text IS NULL OR %s > CAST($1::text AS %s))"
                                       " AND %s <= CAST($2::text AS %s)", key_sql, kt, key_sql, kt);
}

static void native_walk(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const pgsql_backup *bk)
{
    const char *k = sp->key_cols[0], *kt = sp->key_types[0];
    const char *range = pgsql_walk_keys(cx, sp, &sp->table, k, kt, pgsql_ident(cx, k));
    /* Plain VACUUM (no FULL, no ANALYZE): SHARE UPDATE EXCLUSIVE, which
     * writers do not conflict with; it marks the dead versions the batches
     * left as free space for the next batches' new versions. */
    sp->vacuum_sql = zdm_sqlf_str(cx->arena, PG, "VACUUM %N", &sp->table);
    if (bk)
        sp->batch_sql = unindent(cx, pgsql_backup_batch_sql(cx, bk, range));
    else
        sp->batch_sql = zdm_sqlf_str(cx->arena, PG, "UPDATE %N SET %s WHERE %s AND %s", &sp->table,
                                     sp->set_sql, range, sp->filter_sql);
}

zdm_backfill_spec *pgsql_native_spec(zdm_lower_ctx *cx, const zdm_name *t, const char *key,
                                     const char *key_type, const char *set_sql,
                                     const char *filter_sql)
{
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    sp->table = *t;
    sp->key_cols = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    sp->key_types = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    sp->key_cols[0] = key;
    sp->key_types[0] = key_type;
    sp->nkeys = 1;
    sp->set_sql = set_sql;
    sp->filter_sql = filter_sql;
    sp->batch = pgsql_st(cx)->batch;
    sp->pause_ms = pgsql_st(cx)->pause_ms;
    native_walk(cx, sp, NULL);
    return sp;
}

/* The walk may run with the table's triggers off (session_replication_role
 * = replica) when the only trigger is this backfill's own sync trigger: for
 * the rows a batch updates, the trigger would recompute what the batch sets
 * itself, and any BEFORE ROW trigger makes PostgreSQL fetch and lock each
 * updated row once more (measured: a 1M-row UPDATE 4.3 s with the trigger,
 * 2.2 s without; docs/benchmarks.md). Not with a backup (an existing column),
 * moves or other fills on the table, whose triggers have other work; the
 * runtime checks the table's triggers and rules when the walk starts. */
static void quiet_walk(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const zdm_op *op,
                       const pgsql_backup *bk)
{
    const pgsql_sync *sy = pgsql_sync_find(cx, &op->table);
    if (bk || !sy || !sy->trg || sy->moves.len || sy->fills.len != 1 || sy->fills.items[0] != op)
        return;
    const char *qn = zdm_sqlf_str(cx->arena, PG, "%N", &sp->table);
    sp->quiet_check_sql = zdm_sqlf_str(
        cx->arena, PG,
        "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass(%L)"
        " AND tgname <> %L) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite WHERE ev_class"
        " = to_regclass(%L) AND rulename <> '_RETURN')", qn, sy->trg, qn);
    sp->quiet_sql = "SET session_replication_role = replica";
}

/* The step shared by `backfill` and a raw default's fill of existing rows;
 * bk: the backup of an existing column's old values, or NULL. */
static zdm_step *backfill_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_backfill_spec *sp,
                               const pgsql_backup *bk, const char *what, const char *why)
{
    const char *hi_note = "the upper key is read after the sync trigger exists: later rows are its job";
    const char *stmt = NULL;
    native_walk(cx, sp, bk);
    quiet_walk(cx, sp, op, bk);
    if (bk) { /* an existing column: no trigger */
        hi_note = "rows written later are the application's: it writes the column itself";
        stmt = pgsql_backup_batch_sql(cx, bk, zdm_sqlf_str(cx->arena, PG,
                                                           "%I BETWEEN zdm_from AND zdm_to",
                                                           sp->key_cols[0]));
    }
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_BACKFILL, ZDM_STEP_BACKFILL,
                                zdm_sprintf(cx->arena, "%s in batches of %llu", what,
                                            (unsigned long long)sp->batch));
    s->op = op;
    s->backfill = sp;
    s->scans = true;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    s->statement_timeout_ms = 0; /* one statement that commits many transactions */
    pgsql_lock(s, "ROW EXCLUSIVE and row locks, one batch at a time", ZDM_LOCK_ROWS);
    if (op->rows) {
        s->est_seconds = pgsql_est_backfill(op->rows, sp->batch);
        s->est_note = zdm_sprintf(cx->arena, "%llu rows at the batched-update rate",
                                  (unsigned long long)op->rows);
    } else
        pgsql_estimate(cx, s, &op->table, 0, pgsql_est_scan, "");
    s->why = why;
    if (!stmt) /* one batch: only the rows left to do */
        stmt = zdm_sqlf_str(cx->arena, PG,
                            "                UPDATE %N SET %s\n"
                            "                 WHERE %I BETWEEN zdm_from AND zdm_to\n"
                            "                   AND %s;\n",
                            &sp->table, sp->set_sql, sp->key_cols[0], sp->filter_sql);
    const pgsql_loop loop = {
        .rel = &sp->table, .key = sp->key_cols[0],
        .key_type = zdm_sqlf_str(cx->arena, PG, "%N.%I%%TYPE", &sp->table, sp->key_cols[0]),
        .hi_note = hi_note, .batch = sp->batch, .pause_ms = sp->pause_ms, .stmt = stmt,
        .verb = "backfill", .done_words = " rows updated",
        .label = zdm_name_str(cx->arena, sp->table),
    };
    const char *body = pgsql_batch_loop(cx, &loop);
    const char *tag = pgsql_dollar_tag(cx->arena, body);
    s->forward = pgsql_step_sql(cx, s, zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, body, tag));
    s->rollback = "-- nothing to undo here: the backfilled columns are new in this migration "
                  "and the rollback of their add column drops them\n";
    const char *post = op->kind == ZDM_OP_BACKFILL ? post_filter(cx, op) : sp->filter_sql;
    if (post)
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "%s: no row left to do", what),
                   zdm_sqlf_str(cx->arena, PG, "NOT EXISTS (SELECT 1 FROM %N WHERE %s)",
                                &op->table, post));
    backfill_risks(cx, s);
    return s;
}

/* The first backfill of a table's new columns without a `where` also fills
 * the table's expand/contract moves (pgsql_move.c) in the same batches: one
 * pass over the table instead of two. */
static bool join_moves(zdm_lower_ctx *cx, const zdm_op *op, zdm_backfill_spec *sp)
{
    pgsql_sync *sy = pgsql_sync_find(cx, &op->table);
    if (!sy || sy->moves.len == 0 || sy->moves_fill || op->where)
        return false;
    sy->moves_fill = op;
    sp->set_sql = zdm_sprintf(cx->arena, "%s, %s", sp->set_sql, pgsql_moves_set_sql(cx, sy));
    sp->filter_sql = zdm_sprintf(cx->arena, "(%s OR %s)", sp->filter_sql,
                                 pgsql_moves_todo_sql(cx, sy));
    return true;
}

int pgsql_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *key = NULL;
    if (backfill_supported(cx, op, &key) != 0)
        return -1;
    zdm_backfill_spec *sp = make_spec(cx, op, key);
    const char *what = zdm_sprintf(cx->arena, "backfill %s", zdm_name_str(cx->arena, op->table));
    if (pgsql_backup_needed(cx, op)) {
        pgsql_backup *bk = pgsql_backup_new(cx, op, sp);
        zdm_step *s = backfill_step(cx, op, sp, bk, what, NULL);
        pgsql_backup_steps(cx, bk, s);
        return 0;
    }
    if (join_moves(cx, op, sp))
        what = zdm_sprintf(cx->arena, "%s, filling its retyped and renamed columns in the same "
                           "pass,", what);
    backfill_step(cx, op, sp, NULL, what,
                  "One short transaction per batch keeps row locks brief; rerunning skips the "
                  "rows already right; the sync trigger fills rows written meanwhile.");
    return 0;
}

int pgsql_default_fill(zdm_lower_ctx *cx, const zdm_op *op, const zdm_column *col)
{
    const zdm_constraint *pk = zdm_table_primary_key(op->before);
    if (!pk || pk->ncols != 1)
        return zdm_lower_error(cx, op, ZDM_E_NO_PRIMARY_KEY,
                               "Existing rows get a raw default by a batched backfill that walks "
                               "the primary key; give the table a single-column primary key, or "
                               "use a literal default.",
                               "a raw default on a new column of %s needs a single-column "
                               "primary key to fill existing rows",
                               zdm_name_str(cx->arena, op->table));
    zdm_backfill_spec *sp = make_spec(cx, op, pk->cols[0]);
    const char *def = pgsql_value(cx, col->def);
    sp->set_sql = zdm_sqlf_str(cx->arena, PG, "%I = %R", col->name, def);
    /* Only rows that predate the default are NULL: new rows got it on insert. */
    sp->filter_sql = zdm_sqlf_str(cx->arena, PG, "%I IS NULL", col->name);
    backfill_step(cx, op, sp, NULL,
                  zdm_sprintf(cx->arena, "fill existing rows of %s.%s with its default",
                              zdm_name_str(cx->arena, op->table), col->name),
                  "Rows that existed before the default was set get it in short batches; rows "
                  "inserted since got it from the column default, so no trigger is needed.");
    return 0;
}

const zdm_op *pgsql_fill_of(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                            const zdm_value **expr)
{
    pgsql_sync *sy = pgsql_sync_find(cx, t);
    for (size_t i = sy ? sy->fills.len : 0; i-- > 0;) {
        const zdm_op *op = sy->fills.items[i];
        for (size_t k = 0; k < op->nsets; k++)
            if (strcmp(op->sets[k].col, col) == 0) {
                *expr = op->sets[k].value;
                return op;
            }
    }
    return NULL;
}

const char *pgsql_start_value(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    const char *v;
    if (!zdm_migration_column_is_new(cx->mig, *t, col)) {
        v = zdm_sqlf_str(cx->arena, PG, "%I", col); /* its value now, where no backfill sets it */
    } else {
        const zdm_table *fin = zdm_schema_table(cx->mig->final, *t);
        const zdm_column *c = fin ? zdm_table_column(fin, col) : NULL;
        v = c && c->def ? pgsql_value(cx, c->def) : "NULL";
    }
    /* Every backfill of the column in file order: a later one wins where its
     * `where` holds, an earlier one (or the default) stays elsewhere. */
    pgsql_sync *sy = pgsql_sync_find(cx, t);
    for (size_t i = 0; sy && i < sy->fills.len; i++) {
        const zdm_op *op = sy->fills.items[i];
        for (size_t k = 0; k < op->nsets; k++) {
            if (strcmp(op->sets[k].col, col) != 0)
                continue;
            const char *e = pgsql_value(cx, op->sets[k].value);
            v = op->where ? zdm_sqlf_str(cx->arena, PG,
                                         "CASE WHEN coalesce(%R, false) THEN %R ELSE %s END",
                                         pgsql_value(cx, op->where), e, v)
                          : e;
        }
    }
    return v;
}

/*
 * The table as the migration will leave its rows, readable before it starts
 * (for verify_pre): the columns this migration adds hold their default (or
 * NULL) in an inner query, so a backfill or index expression may read them,
 * and their start values (pgsql_start_value) in the outer one, as do the
 * existing columns a backfill sets. NULL if the table is new.
 */
const char *pgsql_start_rel(zdm_lower_ctx *cx, const zdm_name *t)
{
    const zdm_table *bt = zdm_schema_table(cx->mig->base, *t);
    const zdm_table *ft = zdm_schema_table(cx->mig->final, *t);
    if (!bt)
        return NULL;
    if (!ft)
        return zdm_sqlf_str(cx->arena, PG, "%N", t);
    zdm_buf in, out;
    zdm_buf_init(&in, cx->arena);
    zdm_buf_init(&out, cx->arena);
    size_t nnew = 0, nfill = 0;
    for (size_t i = 0; i < ft->ncols; i++) {
        const zdm_column *c = ft->cols[i];
        const zdm_value *e;
        if (zdm_table_column(bt, c->name)) {
            if (pgsql_fill_of(cx, t, c->name, &e)) { /* an existing column backfilled */
                nfill++;
                zdm_sqlf(&out, PG, "%s%s AS %I", i ? ", " : "",
                         pgsql_start_value(cx, t, c->name), c->name);
            } else
                zdm_sqlf(&out, PG, "%s%I", i ? ", " : "", c->name);
            continue;
        }
        nnew++;
        zdm_sqlf(&in, PG, ", CAST(%s AS %s) AS %I", c->def ? pgsql_value(cx, c->def) : "NULL",
                 pgsql_type(cx, &c->type, false), c->name);
        if (pgsql_fill_of(cx, t, c->name, &e))
            zdm_sqlf(&out, PG, "%s%s AS %I", i ? ", " : "", pgsql_start_value(cx, t, c->name),
                     c->name);
        else
            zdm_sqlf(&out, PG, "%s%I", i ? ", " : "", c->name); /* its default, typed */
    }
    if (nnew == 0 && nfill == 0)
        return zdm_sqlf_str(cx->arena, PG, "%N", t);
    return zdm_sqlf_str(cx->arena, PG, "(SELECT %s FROM (SELECT *%s FROM %N) AS %I) AS %I",
                        zdm_buf_cstr(&out), zdm_buf_cstr(&in), t, t->name, t->name);
}
