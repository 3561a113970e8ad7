/*
 * sqlt_column.c - column operations for SQLite: ADD, DROP and RENAME COLUMN
 * natively where SQLite allows them
 * (https://www.sqlite.org/lang_altertable.html#altertabaddcol, #altertabdropcol,
 * #altertabrencol), everything else (a type, NOT NULL, a default, the columns
 * ADD COLUMN refuses, drops that something depends on) through the copy-swap.
 *
 * ADD COLUMN refuses a PRIMARY KEY or UNIQUE column (those come as their own
 * constraint op here), a default that is an expression in parentheses, and
 * NOT NULL with a NULL default; NOT NULL without a default is added nullable,
 * filled, then made NOT NULL by a copy-swap. DROP COLUMN refuses a column
 * that is indexed, in a PRIMARY KEY, UNIQUE, foreign key or CHECK, or named
 * by a generated column, trigger or view (the IR knows the first five).
 */
#include "sqlt_int.h"

#include <string.h>

static const char *qcol(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    return zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table), col);
}

/* Whether ADD COLUMN takes the column as it is. */
static bool native_add(const zdm_column *c)
{
    if (c->identity != ZDM_IDENTITY_NONE || c->serial)
        return false;
    if (c->def && c->def->kind == ZDM_V_RAW)
        return false;
    return !c->not_null || (c->def && c->def->kind != ZDM_V_NULL);
}

static const char *add_sql(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *t,
                           const zdm_column *c, const zdm_op *fk)
{
    return sqlt_guarded_sql(cx, sqlt_cond_column(cx, &op->table, c->name, false),
                            zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I ADD COLUMN %s%s;",
                                         op->table.name, sqlt_column_def(cx, t, c),
                                         fk ? sqlt_column_fk_sql(cx, fk->con) : ""));
}

const zdm_op *sqlt_inline_fk(zdm_lower_ctx *cx, const zdm_op *op)
{
    size_t i = 0;
    while (i < cx->mig->ops.len && cx->mig->ops.items[i] != op)
        i++;
    if (op->kind != ZDM_OP_ADD_COLUMN || i + 1 >= cx->mig->ops.len)
        return NULL;
    const zdm_op *next = cx->mig->ops.items[i + 1];
    const zdm_column *c = op->col;
    if (next->kind != ZDM_OP_ADD_CONSTRAINT || next->con->kind != ZDM_CON_FOREIGN ||
        next->span.start != op->span.start || next->con->ncols != 1 ||
        strcmp(next->con->cols[0], c->name) != 0)
        return NULL;
    /* A NULL default (SQLite refuses REFERENCES with any other while foreign
     * keys are on) on a column added in place to a table that exists. */
    if ((c->def && c->def->kind != ZDM_V_NULL) || c->not_null || !native_add(c) ||
        !zdm_schema_table(cx->mig->base, op->table))
        return NULL;
    return next;
}

static const char *drop_sql(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    return sqlt_guarded_sql(cx, sqlt_cond_column(cx, &op->table, col, true),
                            zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I DROP COLUMN %I;",
                                         op->table.name, col));
}

static void shape_post(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op, const zdm_column *c)
{
    sqlt_post(cx, s,
              zdm_sprintf(cx->arena, "column %s is %s%s", qcol(cx, op, c->name),
                          zdm_coltype_str(cx->arena, &c->type),
                          c->not_null ? " not null" : " nullable"),
              sqlt_cond_column_shape(cx, &op->table, c));
}

/* The ADD COLUMN that carries its column's foreign key: every row holds
 * NULL, so nothing can break the key. DROP COLUMN refuses a column in a
 * foreign key: the rollback is the copy-swap back. */
static void inline_fk_step(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op, const zdm_op *fk)
{
    s->title = zdm_sprintf(cx->arena, "%s with foreign key %s", s->title, fk->con->name);
    s->why = "ADD COLUMN with a REFERENCES clause and a NULL default is a catalog change: "
             "existing rows read NULL, which no foreign key refuses; none is rewritten.";
    s->rollback = sqlt_step_sql(cx, sqlt_swap_back_sql(cx, fk->after, op->before, NULL,
                                                       op->rows));
    s->rollback_note = "the column and its foreign key go by a copy-swap (DROP COLUMN refuses "
                       "a column in a foreign key), with every value written to it";
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table),
                                 fk->con->name);
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", qn),
              zdm_sqlf_str(cx->arena, SQ,
                           "(SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = %L) "
                           "LIKE %L",
                           op->table.name,
                           zdm_sqlf_str(cx->arena, SQ, "%%CONSTRAINT %I %%", fk->con->name)));
}

int sqlt_lower_add_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_column *c = op->col;
    bool is_new_table = zdm_schema_table(cx->mig->base, op->table) == NULL;
    if ((c->identity != ZDM_IDENTITY_NONE || c->serial) && !is_new_table)
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "SQLite has no sequences: only a table's INTEGER PRIMARY KEY "
                               "numbers rows itself; add a plain integer column and backfill it",
                               "an identity or serial column cannot be added to an existing "
                               "table for target %s", cx->target->canonical);
    bool later = c->not_null && !c->def && !is_new_table;
    zdm_column bare = *c;
    if (later)
        bare.not_null = false;
    if (!native_add(&bare)) {
        zdm_step *s = sqlt_swap_step(cx, op, ZDM_PHASE_EXPAND,
                                     zdm_sprintf(cx->arena, "add column %s (copy-swap)",
                                                 qcol(cx, op, c->name)),
                                     NULL, NULL);
        s->rollback_note = "the column is dropped with every value written to it";
        shape_post(cx, s, op, c);
        return 0;
    }
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "add column %s", qcol(cx, op, c->name)));
    s->why = bare.def ? "ADD COLUMN with a constant default is a catalog change: existing rows "
                        "read the default from the schema, none is rewritten."
                      : "ADD COLUMN is a catalog change: existing rows read NULL, none is "
                        "rewritten.";
    const zdm_op *fk = sqlt_inline_fk(cx, op);
    s->forward = sqlt_step_sql(cx, add_sql(cx, op, op->after, &bare, fk));
    s->rollback = sqlt_step_sql(cx, drop_sql(cx, op, c->name));
    s->rollback_note = "the column is dropped with every value written to it";
    if (fk)
        inline_fk_step(cx, s, op, fk);
    sqlt_pre(cx, s, zdm_sprintf(cx->arena, "column %s does not exist yet", qcol(cx, op, c->name)),
             sqlt_cond_column(cx, &op->table, c->name, false));
    if (!later) {
        const zdm_table *fin = zdm_schema_table(cx->mig->final, op->table);
        const zdm_column *fc = fin ? zdm_table_column(fin, c->name) : NULL;
        shape_post(cx, s, op, fc ? fc : c);
        return 0;
    }
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "column %s exists", qcol(cx, op, c->name)),
              sqlt_cond_column(cx, &op->table, c->name, true));
    return sqlt_not_null_later(cx, op);
}

/* A NOT NULL swap from the table with `col` nullable to op->after. */
int sqlt_not_null_later(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_table *nullable = ZDM_NEW(cx->arena, zdm_table);
    *nullable = *op->after;
    nullable->cols = ZDM_NEW_ARRAY(cx->arena, zdm_column *, op->after->ncols);
    for (size_t i = 0; i < op->after->ncols; i++) {
        nullable->cols[i] = op->after->cols[i];
        if (strcmp(op->after->cols[i]->name, op->col->name) == 0) {
            zdm_column *c = ZDM_NEW(cx->arena, zdm_column);
            *c = *op->after->cols[i];
            c->not_null = false;
            nullable->cols[i] = c;
        }
    }
    bool synced = sqlt_sync_find(cx, &op->table, op->col->name) != NULL;
    zdm_phase ph = synced ? ZDM_PHASE_CONTRACT : ZDM_PHASE_VALIDATE;
    zdm_step *s = sqlt_step(cx, op, ph,
                            zdm_sprintf(cx->arena, "set not null %s (copy-swap)",
                                        qcol(cx, op, op->col->name)));
    s->rewrites = s->scans = true;
    s->why = "SQLite cannot add NOT NULL to a column: the table is rebuilt by the 12-step "
             "procedure once every row has a value. " SQLT_KEEP_WHY;
    sqlt_estimate(cx, s, &op->table, op->rows, SQLT_COPY_RPS, "copy");
    s->forward = sqlt_step_sql(cx, sqlt_swap_sql(cx, nullable, op->after, NULL, NULL, NULL,
                                                 op->rows));
    s->rollback = sqlt_step_sql(cx, sqlt_swap_back_sql(cx, op->after, nullable, NULL,
                                                       op->rows));
    sqlt_swap_risk(cx, s, op->rows, nullable, op->after, NULL, "The copy that adds NOT NULL");
    /* Checked before the migration runs: a column this migration adds does
     * not exist yet, so the check is on the value its backfills will give. */
    const sqlt_sync *sy = sqlt_sync_find(cx, &op->table, op->col->name);
    const char *nn =
        sy ? zdm_sqlf_str(cx->arena, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE (%R) IS NULL)",
                          op->table.name, sy->expr)
        : zdm_migration_column_is_new(cx->mig, op->table, op->col->name)
            ? zdm_sqlf_str(cx->arena, SQ, "NOT EXISTS (SELECT 1 FROM %I)", op->table.name)
            : zdm_sqlf_str(cx->arena, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE %I IS NULL)",
                           op->table.name, op->col->name);
    sqlt_pre(cx, s, zdm_sprintf(cx->arena, "no NULL in %s", qcol(cx, op, op->col->name)), nn);
    sqlt_swap_pre(cx, s, nullable, op->after);
    shape_post(cx, s, op, op->col);
    if (synced)
        zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena,
                                        "The application writes %s in every insert (it becomes "
                                        "NOT NULL, and SQLite triggers cannot fill it before "
                                        "the check).",
                                        qcol(cx, op, op->col->name)));
    return 0;
}

static bool mentions_col(const zdm_value *v, const char *col)
{
    const char *raw = v ? zdm_value_raw_for(v, "sqlite") : NULL;
    return raw && zdm_raw_mentions(raw, col);
}

/* What keeps DROP COLUMN from dropping `col` natively, or NULL. */
static const char *drop_blocker(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    const zdm_table *t = op->before;
    for (size_t i = 0; i < t->ncons; i++) {
        const zdm_constraint *k = t->cons[i];
        for (size_t j = 0; j < k->ncols; j++)
            if (strcmp(k->cols[j], col) == 0)
                return zdm_sprintf(cx->arena, "constraint %s", k->name);
        if (k->kind == ZDM_CON_CHECK && mentions_col(k->check, col))
            return zdm_sprintf(cx->arena, "check %s", k->name);
    }
    for (size_t i = 0; i < t->nindexes; i++) {
        const zdm_index *ix = t->indexes[i];
        if (mentions_col(ix->where, col))
            return zdm_sprintf(cx->arena, "index %s", ix->name);
        for (size_t j = 0; j < ix->nelems; j++)
            if ((ix->elems[j].col && strcmp(ix->elems[j].col, col) == 0) ||
                mentions_col(ix->elems[j].expr, col))
                return zdm_sprintf(cx->arena, "index %s", ix->name);
    }
    const zdm_schema *sc = cx->mig->base;
    for (size_t i = 0; sc && i < sc->tables.len; i++)
        for (size_t j = 0; j < sc->tables.items[i]->ncons; j++) {
            const zdm_constraint *k = sc->tables.items[i]->cons[j];
            if (k->kind != ZDM_CON_FOREIGN || !zdm_name_eq(k->ref_table, op->table))
                continue;
            for (size_t m = 0; m < k->nref_cols; m++)
                if (strcmp(k->ref_cols[m], col) == 0)
                    return zdm_sprintf(cx->arena, "foreign key %s", k->name);
        }
    return NULL;
}

int sqlt_lower_drop_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *col = op->old_col->name;
    const char *blocker = drop_blocker(cx, op, col);
    zdm_step *s;
    if (blocker) {
        s = sqlt_swap_step(cx, op, ZDM_PHASE_CONTRACT,
                           zdm_sprintf(cx->arena, "drop column %s (copy-swap: %s uses it)",
                                       qcol(cx, op, col), blocker),
                           NULL, NULL);
    } else {
        s = sqlt_step(cx, op, ZDM_PHASE_CONTRACT,
                      zdm_sprintf(cx->arena, "drop column %s", qcol(cx, op, col)));
        s->why = "Nothing depends on the column, so ALTER TABLE DROP COLUMN (3.35+) removes it; "
                 "SQLite rewrites the table's rows to do so, under the write lock.";
        s->rewrites = true;
        sqlt_estimate(cx, s, &op->table, op->rows, SQLT_COPY_RPS, "copy");
        s->forward = sqlt_step_sql(cx, drop_sql(cx, op, col));
        if (native_add(op->old_col))
            s->rollback = sqlt_step_sql(cx, add_sql(cx, op, op->before, op->old_col, NULL));
        else
            s->rollback = sqlt_step_sql(cx, sqlt_swap_back_sql(cx, op->after, op->before, NULL,
                                                               op->rows));
        sqlt_risk_write_lock(cx, s, "DROP COLUMN");
    }
    s->rollback_note = "the column comes back with its default (or NULL): its values are lost";
    zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                  zdm_sprintf(cx->arena, "The values of %s are gone for good.", qcol(cx, op, col)),
                  "Back the database file up first (sqlite3 DB '.backup file').");
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "column %s is gone", qcol(cx, op, col)),
              sqlt_cond_column(cx, &op->table, col, false));
    return 0;
}

int sqlt_lower_rename_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *from = op->old_col->name, *to = op->col->name;
    zdm_step *s = sqlt_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "rename column %s to %s",
                                        qcol(cx, op, from), to));
    s->why = "ALTER TABLE RENAME COLUMN (3.25+) is a catalog change that also rewrites the "
             "indexes, triggers and views naming the column.";
    const char *fwd = zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I RENAME COLUMN %I TO %I;",
                                   op->table.name, from, to);
    const char *back = zdm_sqlf_str(cx->arena, SQ, "ALTER TABLE %I RENAME COLUMN %I TO %I;",
                                    op->table.name, to, from);
    s->forward = sqlt_step_sql(
        cx, sqlt_guarded_sql(cx, sqlt_cond_column(cx, &op->table, from, true), fwd));
    s->rollback = sqlt_step_sql(
        cx, sqlt_guarded_sql(cx, sqlt_cond_column(cx, &op->table, to, true), back));
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "SQLite has no trigger that can keep two names of a column in step: the old "
                  "application fails on the old name from this step on.",
                  "Deploy the application that uses the new name together with this phase.");
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena,
                                    "Stop the application that uses column %s; the version "
                                    "that uses %s starts right after the contract phase.",
                                    qcol(cx, op, from), to));
    sqlt_post(cx, s, zdm_sprintf(cx->arena, "column %s exists", qcol(cx, op, to)),
              sqlt_cond_column(cx, &op->table, to, true));
    return 0;
}

static const char *type_is(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *t,
                           const zdm_column *c)
{
    return zdm_sqlf_str(cx->arena, SQ,
                        "(SELECT type FROM pragma_table_xinfo(%L) WHERE name = %L) = %L",
                        op->table.name, c->name, sqlt_col_type(cx, t, c));
}

int sqlt_lower_alter_type(zdm_lower_ctx *cx, const zdm_op *op)
{
    sqlt_conv fwd = {op->col->name, type_is(cx, op, op->before, op->old_col), NULL};
    sqlt_conv back = {op->col->name, type_is(cx, op, op->after, op->col), NULL};
    if (op->using_)
        fwd.expr = sqlt_value(cx, op->using_);
    if (op->revert)
        back.expr = sqlt_value(cx, op->revert);
    zdm_step *s = sqlt_swap_step(cx, op, ZDM_PHASE_EXPAND,
                                 zdm_sprintf(cx->arena, "alter type of %s to %s (copy-swap)",
                                             qcol(cx, op, op->col->name),
                                             zdm_coltype_str(cx->arena, &op->col->type)),
                                 fwd.expr ? &fwd : NULL, back.expr ? &back : NULL);
    s->rollback_note = op->revert ? "the values are converted back with `revert`"
                                  : "the values are copied back and take the old type's "
                                    "affinity";
    shape_post(cx, s, op, op->col);
    return 0;
}

static const char *op_words(zdm_op_kind k)
{
    switch (k) {
    case ZDM_OP_SET_NOT_NULL: return "set not null";
    case ZDM_OP_DROP_NOT_NULL: return "drop not null";
    case ZDM_OP_SET_DEFAULT: return "set default of";
    case ZDM_OP_DROP_DEFAULT: return "drop default of";
    default: return zdm_op_name(k);
    }
}

int sqlt_lower_column_swap(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *col = op->col->name;
    if (op->kind == ZDM_OP_SET_NOT_NULL &&
        zdm_migration_column_is_new(cx->mig, op->table, col))
        return sqlt_not_null_later(cx, op);
    bool nn = op->kind == ZDM_OP_SET_NOT_NULL;
    zdm_step *s = sqlt_swap_step(cx, op, nn ? ZDM_PHASE_VALIDATE : ZDM_PHASE_EXPAND,
                                 zdm_sprintf(cx->arena, "%s %s (copy-swap)",
                                             op_words(op->kind), qcol(cx, op, col)),
                                 NULL, NULL);
    if (nn)
        sqlt_pre(cx, s, zdm_sprintf(cx->arena, "no NULL in %s", qcol(cx, op, col)),
                 zdm_sqlf_str(cx->arena, SQ, "NOT EXISTS (SELECT 1 FROM %I WHERE %I IS NULL)",
                              op->table.name, col));
    if (op->kind == ZDM_OP_DROP_NOT_NULL)
        s->rollback_note = "NOT NULL comes back only if no NULL was written meanwhile "
                           "(else the rollback stops, with nothing changed)";
    shape_post(cx, s, op, op->col);
    return 0;
}
