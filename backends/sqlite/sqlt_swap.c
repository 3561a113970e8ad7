/*
 * sqlt_swap.c - the copy-swap: SQLite's documented procedure for the schema
 * changes ALTER TABLE cannot make (https://www.sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"), as one script:
 *
 *   PRAGMA foreign_keys = OFF        (outside the transaction: a no-op inside)
 *   BEGIN IMMEDIATE                  (takes the write lock now, not at the first write)
 *   assert nothing zdm cannot rebuild depends on the table
 *   CREATE TABLE zdm_new_T (the new shape)
 *   INSERT INTO zdm_new_T SELECT ... FROM T   (conversions applied here)
 *   DROP TABLE T
 *   ALTER TABLE zdm_new_T RENAME TO T   (never the old table renamed first)
 *   CREATE INDEX ... ; the sync triggers of the table
 *   assert pragma_foreign_key_check is empty for T and its referencing tables
 *   COMMIT; PRAGMA foreign_keys = ON
 *
 * The copy takes the columns the two shapes share, so the same text is right
 * whichever shape the table has when it runs: a rollback that runs when the
 * forward did not rebuilds the table into the shape it already has. A
 * conversion (ALTER TYPE's using/revert) is applied only while the table still
 * has the declared type it converts from. Rows keep their rowid.
 *
 * The new table has the old one's STRICT, WITHOUT ROWID, collations and
 * AUTOINCREMENT (all in the IR: docs/language.md); an AUTOINCREMENT table's
 * sqlite_sequence counter is carried to the new table before the old one is
 * dropped (DROP TABLE deletes its row, ALTER TABLE RENAME renames the new
 * one's), never lowered: a number handed out once is never handed out again.
 * zdm refuses to swap a table it cannot rebuild exactly: one with views or
 * triggers (other than its own sync and copy triggers) that mention it, or
 * whose AUTOINCREMENT, STRICT, WITHOUT ROWID or number of COLLATE clauses
 * differ from what the IR says (a table changed by hand since its history;
 * see docs/backends/sqlite.md). A WITHOUT ROWID table has no rowid to copy
 * by or to batch over: its copy always runs in one transaction.
 *
 * A large table (`assume` above SQLT_ONLINE_SWAP_ROWS) is copied online
 * instead: one short transaction creates the new table and three copy
 * triggers on the old one (every insert, update and delete makes the new
 * table's row for that rowid equal the old table's row, or removes it), then
 * the rows are copied in rowid batches, each its own transaction, skipping
 * rows the triggers have written already; the last transaction checks the
 * row counts are equal, drops the old table (its triggers go with it),
 * renames the new one and builds the indexes. The indexes cannot be built
 * before the swap: index names are database-wide and SQLite has no ALTER
 * INDEX ... RENAME, so the new table cannot carry them while the old one
 * does. Why no OR IGNORE / OR REPLACE: both also apply to NOT NULL, UNIQUE
 * and CHECK conflicts, and would drop or replace rows silently.
 */
#include "sqlt_int.h"

#include <string.h>

static bool rowid_alias(zdm_lower_ctx *cx, const zdm_table *t)
{
    const zdm_constraint *pk = zdm_table_primary_key(t);
    if (!pk || pk->ncols != 1 || t->without_rowid)
        return false;
    const zdm_column *c = zdm_table_column(t, pk->cols[0]);
    return c && strcmp(sqlt_col_type(cx, t, c), "INTEGER") == 0;
}

static const char *copy_list(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to,
                             const sqlt_conv *conv, bool select)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    bool first = true;
    if (!rowid_alias(cx, to) && !to->without_rowid) {
        zdm_buf_puts(&b, "rowid");
        first = false;
    }
    for (size_t i = 0; i < to->ncols; i++) {
        const char *c = to->cols[i]->name;
        if (!zdm_table_column(from, c))
            continue;
        zdm_buf_puts(&b, first ? "" : ", ");
        first = false;
        if (select && conv && strcmp(conv->col, c) == 0 && conv->when)
            zdm_sqlf(&b, SQ, "CASE WHEN %R THEN %R ELSE %I END", conv->when, conv->expr, c);
        else if (select && conv && strcmp(conv->col, c) == 0)
            zdm_sqlf(&b, SQ, "%R", conv->expr);
        else
            zdm_sqlf(&b, SQ, "%I", c);
    }
    return zdm_buf_cstr(&b);
}

/* Tables whose foreign keys reference `t` (in the schema after or before). */
static void fk_checks(zdm_lower_ctx *cx, zdm_buf *b, const zdm_name *t)
{
    const zdm_schema *sc[2] = {cx->mig->base, cx->mig->final};
    zdm_vec(const char *) seen = {0};
    zdm_vec_push(cx->arena, &seen, t->name);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; sc[k] && i < sc[k]->tables.len; i++) {
            const zdm_table *o = sc[k]->tables.items[i];
            bool refs = false, dup = false;
            for (size_t j = 0; j < o->ncons; j++)
                refs = refs || (o->cons[j]->kind == ZDM_CON_FOREIGN &&
                                strcmp(o->cons[j]->ref_table.name, t->name) == 0);
            for (size_t j = 0; j < seen.len; j++)
                dup = dup || strcmp(seen.items[j], o->name.name) == 0;
            if (refs && !dup)
                zdm_vec_push(cx->arena, &seen, o->name.name);
        }
    for (size_t i = 0; i < seen.len; i++) {
        const char *cond = zdm_sqlf_str(cx->arena, SQ,
                                        "NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check(%L))",
                                        seen.items[i]);
        zdm_buf_puts(b, sqlt_assert_sql(cx, zdm_sprintf(cx->arena, "foreign keys of %s hold",
                                                        seen.items[i]),
                                        cond));
        zdm_buf_putc(b, '\n');
    }
}

static size_t collations(const zdm_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ncols; i++)
        n += t->cols[i]->collate != NULL;
    return n;
}

/* True when nothing the copy would lose is there: no view or foreign
 * trigger, and the table's options as the IR has them in either shape
 * (`a`, the shape now or `b`, the one the step makes: a rollback may run
 * when its forward did not). */
static const char *rebuildable_cond(zdm_lower_ctx *cx, const zdm_table *a, const zdm_table *b)
{
    const zdm_name *t = &a->name;
    const char *like = zdm_sprintf(cx->arena, "%%%s%%", t->name);
    return zdm_sqlf_str(
        cx->arena, SQ,
        "NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE ((type = 'trigger' AND tbl_name = %L "
        "AND name NOT LIKE 'zdm\\_sync\\_%%' ESCAPE '\\' AND name NOT LIKE 'zdm\\_copy\\_%%' "
        "ESCAPE '\\') OR (type = 'view' AND sql LIKE %L)) "
        "OR (type = 'table' AND name = %L AND ((upper(sql) LIKE '%%AUTOINCREMENT%%') <> %d OR "
        "(upper(sql) LIKE '%%WITHOUT ROWID%%') <> %d OR (upper(sql) LIKE '%%STRICT' OR "
        "upper(sql) LIKE '%%STRICT,%%WITHOUT ROWID') <> %d OR "
        "(length(upper(sql)) - length(replace(upper(sql), ' COLLATE ', ''))) / 9 NOT IN "
        "(%d, %d))))",
        t->name, like, t->name, (int)sqlt_table_autoinc(a), (int)a->without_rowid,
        (int)a->strict, (int)collations(a), (int)collations(b));
}

/* The assertions at the start of a swap's first transaction. */
static void swap_asserts(zdm_lower_ctx *cx, zdm_buf *b, const zdm_table *from,
                         const zdm_table *to, const char *why_assert, const char *assert_cond)
{
    zdm_buf_puts(b, sqlt_assert_sql(cx,
                                    zdm_sprintf(cx->arena,
                                                "no view, trigger, AUTOINCREMENT, STRICT, "
                                                "WITHOUT ROWID or COLLATE that the copy of %s "
                                                "would lose",
                                                to->name.name),
                                    rebuildable_cond(cx, from, to)));
    zdm_buf_putc(b, '\n');
    if (assert_cond) {
        zdm_buf_puts(b, sqlt_assert_sql(cx, why_assert, assert_cond));
        zdm_buf_putc(b, '\n');
    }
}

/* From DROP TABLE of the old table to the end of the swap's transaction. */
static void swap_end(zdm_lower_ctx *cx, zdm_buf *b, const zdm_table *to, const char *tmp)
{
    const zdm_name *t = &to->name;
    if (sqlt_table_autoinc(to))
        zdm_sqlf(b, SQ,
                 "INSERT INTO sqlite_sequence (name, seq) SELECT %L, 0 WHERE NOT EXISTS "
                 "(SELECT 1 FROM sqlite_sequence WHERE name = %L);\n"
                 "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM "
                 "sqlite_sequence WHERE name = %L), 0)) WHERE name = %L;\n",
                 tmp, tmp, t->name, tmp);
    zdm_sqlf(b, SQ, "DROP TABLE %I;\nALTER TABLE %I RENAME TO %I;\n", t->name, tmp, t->name);
    for (size_t i = 0; i < to->nindexes; i++)
        zdm_sqlf(b, SQ, "%s\n", sqlt_create_index_sql(cx, to->indexes[i]));
    for (size_t i = 0; i < sqlt_st(cx)->syncs.len; i++) {
        const sqlt_sync *sy = sqlt_st(cx)->syncs.items[i];
        if (zdm_name_eq(sy->table, *t) && zdm_table_column(to, sy->col))
            zdm_sqlf(b, SQ, "%s\n", sy->create_sql);
    }
    fk_checks(cx, b, t);
    zdm_buf_puts(b, "COMMIT;\nPRAGMA foreign_keys = ON;\n");
}

/* Rows per copy batch: about 50 ms of copying at the estimate's rate, more
 * when that would take over 1000 statements. */
static uint64_t copy_batch(uint64_t rows)
{
    uint64_t batch = SQLT_COPY_BATCH;
    while (rows / batch > 1000)
        batch *= 2;
    return batch;
}

/* The three copy triggers: each makes the new table's row for the rowid
 * equal to the old table's row now (or removes it). */
static void copy_triggers(zdm_lower_ctx *cx, zdm_buf *b, const zdm_name *t, const char *tmp,
                          const char *cols, const char *sel)
{
    static const char *const ev[3] = {"INSERT", "UPDATE", "DELETE"};
    static const char *const sfx[3] = {"ins", "upd", "del"};
    for (int i = 0; i < 3; i++) {
        const char *name = zdm_sprintf(cx->arena, "zdm_copy_%s_%s", t->name, sfx[i]);
        zdm_sqlf(b, SQ, "DROP TRIGGER IF EXISTS %I;\n", name);
        zdm_sqlf(b, SQ, "CREATE TRIGGER %I AFTER %s ON %I FOR EACH ROW BEGIN\n", name, ev[i],
                 t->name);
        if (i > 0)
            zdm_sqlf(b, SQ, "    DELETE FROM %I WHERE rowid = OLD.rowid;\n", tmp);
        if (i < 2)
            zdm_sqlf(b, SQ,
                     "    DELETE FROM %I WHERE rowid = NEW.rowid;\n"
                     "    INSERT INTO %I (%s) SELECT %s FROM %I WHERE rowid = NEW.rowid;\n",
                     tmp, tmp, cols, sel, t->name);
        zdm_buf_puts(b, "END;\n");
    }
}

static const char *online_swap_sql(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to,
                                   const sqlt_conv *conv, const char *why_assert,
                                   const char *assert_cond, uint64_t rows)
{
    const zdm_name *t = &to->name;
    const char *tmp = zdm_sprintf(cx->arena, "zdm_new_%s", t->name);
    const char *cols = copy_list(cx, from, to, conv, false);
    const char *sel = copy_list(cx, from, to, conv, true);
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "-- 1. the new table and the copy triggers (a rerun starts the copy afresh)\n"
                     "BEGIN IMMEDIATE;\n");
    swap_asserts(cx, &b, from, to, why_assert, assert_cond);
    zdm_sqlf(&b, SQ, "DROP TABLE IF EXISTS %I;\n%s\n", tmp,
             sqlt_create_table_sql(cx, to, &(zdm_name){NULL, tmp}, false));
    copy_triggers(cx, &b, t, tmp, cols, sel);
    zdm_buf_puts(&b, "COMMIT;\n-- 2. the rows, in rowid batches (each its own transaction); "
                     "rows the triggers wrote are skipped;\n"
                     "-- a pause after each that wrote rows leaves the write lock to other "
                     "writers\n" SQLT_YIELD_HEAD);
    uint64_t batch = copy_batch(rows), lo = 0;
    const char *skip = zdm_sqlf_str(cx->arena, SQ,
                                    "NOT EXISTS (SELECT 1 FROM %I WHERE %I.rowid = %I.rowid)", tmp,
                                    tmp, t->name);
    for (; lo < rows; lo += batch)
        zdm_sqlf(&b, SQ,
                 "INSERT INTO %I (%s) SELECT %s FROM %I WHERE rowid > %llu AND rowid <= %llu "
                 "AND %s;\n%s",
                 tmp, cols, sel, t->name, (unsigned long long)lo,
                 (unsigned long long)(lo + batch), skip, SQLT_YIELD);
    zdm_sqlf(&b, SQ, "INSERT INTO %I (%s) SELECT %s FROM %I WHERE rowid > %llu AND %s;\n%s", tmp,
             cols, sel, t->name, (unsigned long long)lo, skip, SQLT_YIELD);
    zdm_buf_puts(&b, "-- 3. the swap: one short transaction\n"
                     "PRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n");
    const char *same = zdm_sqlf_str(cx->arena, SQ,
                                    "(SELECT count(*) FROM %I) = (SELECT count(*) FROM %I)",
                                    t->name, tmp);
    zdm_buf_puts(&b, sqlt_assert_sql(cx,
                                     zdm_sprintf(cx->arena, "the copy of %s has every row",
                                                 t->name),
                                     same));
    zdm_buf_putc(&b, '\n');
    swap_end(cx, &b, to, tmp);
    return zdm_buf_cstr(&b);
}

bool sqlt_swap_online(const zdm_table *t, uint64_t rows)
{
    return rows > SQLT_ONLINE_SWAP_ROWS && !t->without_rowid;
}

const char *sqlt_swap_sql(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to,
                          const sqlt_conv *conv, const char *why_assert,
                          const char *assert_cond, uint64_t rows)
{
    if (sqlt_swap_online(to, rows))
        return online_swap_sql(cx, from, to, conv, why_assert, assert_cond, rows);
    const zdm_name *t = &to->name;
    const char *tmp = zdm_sprintf(cx->arena, "zdm_new_%s", t->name);
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "PRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n");
    swap_asserts(cx, &b, from, to, why_assert, assert_cond);
    zdm_sqlf(&b, SQ, "DROP TABLE IF EXISTS %I;\n%s\n", tmp,
             sqlt_create_table_sql(cx, to, &(zdm_name){NULL, tmp}, false));
    zdm_sqlf(&b, SQ, "INSERT INTO %I (%s)\n    SELECT %s FROM %I;\n", tmp,
             copy_list(cx, from, to, conv, false), copy_list(cx, from, to, conv, true), t->name);
    swap_end(cx, &b, to, tmp);
    return zdm_buf_cstr(&b);
}

void sqlt_swap_risk(zdm_lower_ctx *cx, zdm_step *s, uint64_t rows, const zdm_table *t,
                    const char *what)
{
    size_t nindexes = t->nindexes;
    if (!sqlt_swap_online(t, rows)) {
        sqlt_risk_write_lock(cx, s, what);
        return;
    }
    double batch_s = (double)copy_batch(rows) / SQLT_COPY_RPS;
    double swap_s = 0.01 + 2.0 * (double)rows / SQLT_COUNT_RPS + (double)rows / SQLT_DROP_RPS +
                    (double)rows * (double)nindexes / SQLT_INDEX_RPS;
    s->lock = zdm_sprintf(cx->arena,
                          "database write lock per copy batch (%llu rows, about %s), then for "
                          "the swap (about %s); readers go on in WAL mode",
                          (unsigned long long)copy_batch(rows),
                          zdm_duration_str(cx->arena, batch_s),
                          zdm_duration_str(cx->arena, swap_s));
    s->transactional = false;
    zdm_step_risk(cx->plan, s, ZDM_RISK_STRONG_LOCK,
                  zdm_sprintf(cx->arena,
                              "%s copies the rows in batches while triggers mirror the writes "
                              "made meanwhile; the final swap holds the database write lock for "
                              "about %s (the row counts compared, the old table dropped, %zu "
                              "index%s built): every other writer waits that long.",
                              what, zdm_duration_str(cx->arena, swap_s), nindexes,
                              nindexes == 1 ? "" : "es"),
                  "Give the application's connections a busy_timeout longer than that wait; "
                  "while the copy runs, every write to the table is also written to the copy.");
}

zdm_step *sqlt_swap_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase phase,
                         const char *title, const sqlt_conv *fwd, const sqlt_conv *back)
{
    zdm_step *s = sqlt_step(cx, op, phase, title);
    const zdm_name *t = &op->table;
    s->rewrites = true;
    s->scans = true;
    s->why = "SQLite's ALTER TABLE cannot make this change: the table is rebuilt by the "
             "documented 12-step procedure in one IMMEDIATE transaction (new table, copy, "
             "drop, rename the new one into place, indexes), so readers see the old or the "
             "new table, never a mix.";
    double idx = (double)op->after->nindexes / SQLT_INDEX_RPS;
    sqlt_estimate(cx, s, t, op->rows, 1.0 / (1.0 / SQLT_COPY_RPS + idx), "copy");
    s->forward = sqlt_step_sql(cx, sqlt_swap_sql(cx, op->before, op->after, fwd, NULL, NULL,
                                                 op->rows));
    s->rollback = sqlt_step_sql(cx, sqlt_swap_sql(cx, op->after, op->before, back, NULL, NULL,
                                                  op->rows));
    sqlt_swap_risk(cx, s, op->rows, op->after,
                   zdm_sprintf(cx->arena, "Copying %s into its new shape",
                               zdm_name_str(cx->arena, *t)));
    zdm_step_risk(cx->plan, s, ZDM_RISK_TABLE_REWRITE,
                  "Every row is copied: the database file and the WAL grow by the table's "
                  "size until the next checkpoint and VACUUM.",
                  "Check the free disk space (twice the table); run PRAGMA wal_checkpoint(TRUNCATE) "
                  "after the phase.");
    const char *qn = zdm_name_str(cx->arena, *t);
    sqlt_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists", qn), sqlt_cond_table(cx, t, true));
    sqlt_pre(cx, s, zdm_sprintf(cx->arena, "table %s can be rebuilt exactly", qn),
             rebuildable_cond(cx, op->before, op->after));
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "table %s passes quick_check", qn),
              zdm_sqlf_str(cx->arena, SQ,
                           "(SELECT group_concat(quick_check) FROM pragma_quick_check(%L)) = 'ok'",
                           t->name));
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "foreign keys of %s hold", qn),
              zdm_sqlf_str(cx->arena, SQ,
                           "NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check(%L))", t->name));
    return s;
}
