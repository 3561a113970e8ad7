/*
 * sqlt_index.c - CREATE/DROP INDEX and ADD/DROP CONSTRAINT for SQLite.
 *
 * CREATE INDEX (https://www.sqlite.org/lang_createindex.html) is native and
 * guarded (IF NOT EXISTS); SQLite has no concurrent build, so the build holds
 * the write lock for its whole duration: the plan says how long from `assume`.
 * A constraint is part of the table's definition in SQLite (ALTER TABLE has no
 * ADD/DROP CONSTRAINT), so both go through the copy-swap; an added
 * constraint's pre-check finds the rows that would stop the copy.
 */
#include "sqlt_int.h"

#include <string.h>

static void put_cols(zdm_buf *b, const char *prefix, const char *const *cols, size_t n,
                     const char *sep)
{
    for (size_t i = 0; i < n; i++)
        zdm_sqlf(b, SQ, "%s%s%I", i ? sep : "", prefix, cols[i]);
}

int sqlt_lower_create_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_index *ix = op->index;
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "create %sindex %s on %s",
                                        ix->unique ? "unique " : "", ix->name,
                                        zdm_name_str(cx->arena, op->table)));
    s->scans = true;
    s->why = "SQLite builds an index in one transaction under the write lock (no concurrent "
             "build): readers go on in WAL mode, writers wait for the build.";
    sqlt_estimate(cx, s, &op->table, op->rows, SQLT_INDEX_RPS, "index build");
    s->forward = sqlt_tx_sql(cx, sqlt_create_index_sql(cx, ix));
    s->rollback = sqlt_tx_sql(cx, zdm_sqlf_str(cx->arena, SQ, "DROP INDEX IF EXISTS %I;",
                                               ix->name));
    sqlt_risk_write_lock(cx, s, zdm_sprintf(cx->arena, "Building index %s", ix->name));
    if (ix->unique)
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "The build fails on duplicate values (nothing is changed then).",
                      "Run verify_pre.sql first.");
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "index %s exists", ix->name),
              sqlt_cond_index(cx, ix->name, true));
    return 0;
}

int sqlt_lower_drop_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_index *ix = op->index;
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "drop index %s", ix->name));
    s->why = "DROP INDEX is a catalog change that frees the index's pages.";
    s->forward = sqlt_tx_sql(cx, zdm_sqlf_str(cx->arena, SQ, "DROP INDEX IF EXISTS %I;",
                                              ix->name));
    s->rollback = sqlt_tx_sql(cx, sqlt_create_index_sql(cx, ix));
    s->rollback_note = "the index is built again under the write lock";
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "index %s is gone", ix->name),
              sqlt_cond_index(cx, ix->name, false));
    return 0;
}

/* The rows that keep `k` from holding on `t`: none, for the pre-check. */
static const char *holds_cond(zdm_lower_ctx *cx, const zdm_name *t, const zdm_constraint *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    switch (k->kind) {
    case ZDM_CON_PRIMARY:
    case ZDM_CON_UNIQUE:
        zdm_sqlf(&b, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE ", t->name);
        put_cols(&b, "", k->cols, k->ncols, " IS NOT NULL AND ");
        zdm_buf_puts(&b, " IS NOT NULL GROUP BY ");
        put_cols(&b, "", k->cols, k->ncols, ", ");
        zdm_buf_puts(&b, " HAVING count(*) > 1)");
        break;
    case ZDM_CON_FOREIGN:
        zdm_sqlf(&b, SQ, "NOT EXISTS (SELECT 1 FROM %I AS c WHERE ", t->name);
        put_cols(&b, "c.", k->cols, k->ncols, " IS NOT NULL AND ");
        zdm_sqlf(&b, SQ, " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %I AS p WHERE ",
                 k->ref_table.name);
        for (size_t i = 0; i < k->ncols; i++)
            zdm_sqlf(&b, SQ, "%sp.%I = c.%I", i ? " AND " : "", k->ref_cols[i], k->cols[i]);
        zdm_buf_puts(&b, "))");
        break;
    case ZDM_CON_CHECK:
        zdm_sqlf(&b, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE NOT coalesce(%R, 1))", t->name,
                 sqlt_value(cx, k->check));
        break;
    }
    return zdm_buf_cstr(&b);
}

/* Whether `op` is the foreign key of the column the op before it adds,
 * written in that ADD COLUMN (sqlt_inline_fk): it has no step of its own. */
static bool added_with_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    for (size_t i = 1; i < cx->mig->ops.len; i++)
        if (cx->mig->ops.items[i] == op)
            return sqlt_inline_fk(cx, cx->mig->ops.items[i - 1]) == op;
    return false;
}

/* Whether `k` names a column this migration adds: verify_pre runs before
 * the column exists, so the rows cannot be checked then (the copy itself
 * stops on a row that breaks `k`). */
static bool on_new_column(zdm_lower_ctx *cx, const zdm_op *op, const zdm_constraint *k)
{
    const char *raw = k->kind == ZDM_CON_CHECK && k->check
                          ? zdm_value_raw_for(k->check, SQ->family) : NULL;
    for (size_t i = 0; i < op->after->ncols; i++) {
        const char *c = op->after->cols[i]->name;
        if (!zdm_migration_column_is_new(cx->mig, op->table, c))
            continue;
        for (size_t j = 0; j < k->ncols; j++)
            if (strcmp(k->cols[j], c) == 0)
                return true;
        if (raw && zdm_raw_mentions(raw, c))
            return true;
    }
    return false;
}

int sqlt_lower_constraint(zdm_lower_ctx *cx, const zdm_op *op)
{
    bool add = op->kind == ZDM_OP_ADD_CONSTRAINT;
    if (add && added_with_column(cx, op))
        return 0;
    const zdm_constraint *k = op->con;
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table), k->name);
    zdm_step *s = sqlt_swap_step(cx, op, add ? ZDM_PHASE_VALIDATE : ZDM_PHASE_EXPAND,
                                 zdm_sprintf(cx->arena, "%s constraint %s (copy-swap)",
                                             add ? "add" : "drop", qn),
                                 NULL, NULL);
    const char *cond = holds_cond(cx, &op->table, k);
    /* SQLite keeps constraints only in the table's CREATE text: the post-check
     * looks for the named clause there. */
    const char *pat = zdm_sqlf_str(cx->arena, SQ, "%%CONSTRAINT %I %%", k->name);
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "constraint %s %s", qn, add ? "exists" : "is gone"),
              zdm_sqlf_str(cx->arena, SQ,
                           "(SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = %L) "
                           "%sLIKE %L",
                           op->table.name, add ? "" : "NOT ", pat));
    if (add) {
        if (!on_new_column(cx, op, k))
            sqlt_pre(cx, s, zdm_sprintf(cx->arena, "existing rows satisfy %s", qn), cond);
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "The copy stops on the first row that breaks the constraint; the "
                      "transaction is rolled back and nothing changes.",
                      "Run verify_pre.sql first and fix the rows it reports.");
    } else {
        s->rollback_note = "the constraint comes back only if the rows written meanwhile "
                           "satisfy it (else the rollback stops, with nothing changed)";
    }
    return 0;
}
