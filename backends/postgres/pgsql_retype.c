/*
 * pgsql_retype.c - ALTER COLUMN ... TYPE for PostgreSQL.
 *
 * The manual (ALTER TABLE, Notes) says a type change rewrites the table and
 * its indexes unless the old type is binary coercible to the new one (or the
 * length/precision coercion is a no-op); checked on PostgreSQL 15 by
 * relfilenode, the table and every index stay untouched for exactly these,
 * which are one short retried ALTER here:
 *   varchar(n) -> varchar(m >= n) or varchar, varchar -> text,
 *   text -> varchar (no length), numeric(p,s) -> numeric(q >= p, s) or numeric.
 * Anything else (including timestamp -> timestamptz, which is in place only
 * when TimeZone is UTC: zdm does not assume the server's setting) is an
 * expand/contract move (pgsql_move.c): a new column kept in step by the
 * table's sync trigger through `using` (or the database's own assignment
 * cast), a batched fill, its indexes and NOT NULL proof built online, and a
 * swap in one short transaction in the contract phase.
 *
 * The rollback of an in-place change narrows the type again, which would
 * rewrite under ACCESS EXCLUSIVE: it is the reverse move instead (the column
 * back in the old type online, through `revert` or the assignment cast, which
 * fails loudly on a value that no longer fits rather than cutting it).
 */
#include "pgsql_int.h"

#include <string.h>

static int32_t scale(int32_t s) { return s < 0 ? 0 : s; }

/* A constraint on the column is re-created by ALTER TYPE, and a re-created
 * CHECK or foreign key may be validated by a scan under its lock: only a
 * column no constraint uses is changed in place (its plain indexes are kept:
 * checked on PostgreSQL 15). */
static bool constrained(const zdm_op *op)
{
    const zdm_table *t = op->before;
    const char *c = op->old_col->name;
    for (size_t i = 0; t && i < t->ncons; i++) {
        const zdm_constraint *k = t->cons[i];
        for (size_t j = 0; j < k->ncols; j++)
            if (strcmp(k->cols[j], c) == 0)
                return true;
        const char *raw = k->kind == ZDM_CON_CHECK && k->check
                              ? zdm_value_raw_for(k->check, PG->family)
                              : NULL;
        if (raw && zdm_raw_mentions(raw, c))
            return true;
    }
    return false;
}

bool pgsql_retype_in_place(const zdm_op *op)
{
    const zdm_coltype *f = &op->old_col->type, *t = &op->col->type;
    if (constrained(op))
        return false;
    /* Arrays go through an element-wise coercion: not proven in place. */
    if (op->using_ || f->array || t->array)
        return false;
    if (f->kind == ZDM_TY_VARCHAR && t->kind == ZDM_TY_VARCHAR)
        return t->p < 0 || (f->p >= 0 && t->p >= f->p);
    if (f->kind == ZDM_TY_VARCHAR && t->kind == ZDM_TY_TEXT)
        return true;
    if (f->kind == ZDM_TY_TEXT && t->kind == ZDM_TY_VARCHAR)
        return t->p < 0;
    if (f->kind == ZDM_TY_NUMERIC && t->kind == ZDM_TY_NUMERIC)
        return t->p < 0 || (f->p >= 0 && t->p >= f->p && scale(t->s) == scale(f->s));
    return false;
}

static const char *qcol(zdm_lower_ctx *cx, const zdm_op *op)
{
    return zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table), op->col->name);
}

/* ALTER COLUMN TYPE resets the collation to the new type's default unless
 * it is restated (https://www.postgresql.org/docs/current/sql-altertable.html). */
static const char *alter_ddl(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *ty = pgsql_type(cx, &op->col->type, false);
    if (op->col->collate)
        ty = zdm_sqlf_str(cx->arena, PG, "%s COLLATE %I", ty, op->col->collate);
    if (op->using_)
        return zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I TYPE %s USING %R;",
                            &op->table, op->col->name, ty, pgsql_value(cx, op->using_));
    return zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ALTER COLUMN %I TYPE %s;", &op->table,
                        op->col->name, ty);
}

static void shape_post(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op)
{
    const zdm_table *fin = zdm_schema_table(cx->mig->final, op->table);
    const zdm_column *fc = fin ? zdm_table_column(fin, op->col->name) : NULL;
    if (fc && !zdm_migration_column_is_new(cx->mig, op->table, fc->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "column %s is %s", qcol(cx, op),
                                      zdm_coltype_str(cx->arena, &fc->type)),
                   zdm_sqlf_str(cx->arena, PG,
                                "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
                                "to_regclass(%L) AND attname = %L AND NOT attisdropped AND %s)",
                                pgsql_regclass(cx, &op->table), fc->name,
                                pgsql_format_type(cx, &fc->type)
                                    ? zdm_sqlf_str(cx->arena, PG,
                                                   "format_type(atttypid, atttypmod) = %L",
                                                   pgsql_format_type(cx, &fc->type))
                                    : zdm_sqlf_str(cx->arena, PG, "atttypid = to_regtype(%L)",
                                                   pgsql_type(cx, &fc->type, false))));
}

/* One short ALTER: in place, or on a table this migration creates (empty). */
static int short_alter(zdm_lower_ctx *cx, const zdm_op *op, bool new_table)
{
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_EXPAND, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "change the type of %s to %s%s",
                                            qcol(cx, op), zdm_coltype_str(cx->arena, &op->col->type),
                                            new_table ? "" : " (in place)"));
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    s->why = new_table ? "The table is created by this migration and still empty."
                       : "The old type converts to the new one without a change to any stored "
                         "value (binary coercible, or a wider length/precision): PostgreSQL "
                         "rewrites neither the table nor its indexes (manual: ALTER TABLE, "
                         "Notes; relfilenode unchanged on PostgreSQL 15).";
    s->forward = pgsql_retry_sql(cx, s, NULL, alter_ddl(cx, op), 0);
    if (new_table) {
        s->rollback = "-- nothing to undo here: the rollback of its create table drops the "
                      "table\n";
    } else {
        pgsql_retype_undo(cx, s, op);
        s->rollback_note = "narrowing the type back would rewrite the table under ACCESS "
                           "EXCLUSIVE, so the rollback moves the column back online (new column "
                           "in the old type, trigger, batched fill, indexes CONCURRENTLY, swap); "
                           "the column moves to the end of the table, and a value that no "
                           "longer fits the old type stops it with an error";
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "column %s exists", qcol(cx, op)),
                  pgsql_cond_column(cx, &op->table, op->old_col->name, true));
    }
    pgsql_risk_strong_lock(cx, s, &op->table, "ALTER COLUMN TYPE");
    shape_post(cx, s, op);
    return 0;
}

/* Whether every value converts and converts back to itself: what makes the
 * rollback after the swap exact. */
static void round_trip_pre(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op)
{
    const char *c = op->old_col->name;
    const char *to = pgsql_type(cx, &op->col->type, false);
    const char *from = pgsql_type(cx, &op->old_col->type, false);
    const char *fwd = op->using_ ? pgsql_value(cx, op->using_)
                                 : zdm_sqlf_str(cx->arena, PG, "%I", c);
    const char *back = op->revert ? pgsql_value(cx, op->revert)
                                  : zdm_sqlf_str(cx->arena, PG, "%I", c);
    bool json = op->old_col->type.kind == ZDM_TY_JSON;
    pgsql_pre(cx, s,
              zdm_sprintf(cx->arena, "every %s converts to %s and back unchanged", qcol(cx, op),
                          zdm_coltype_str(cx->arena, &op->col->type)),
              zdm_sqlf_str(cx->arena, PG,
                           "NOT EXISTS (SELECT 1 FROM (SELECT %I AS zdm_old, CAST(%R AS %s) AS %I "
                           "FROM %N) AS %I WHERE zdm_old%s IS DISTINCT FROM CAST(%R AS %s)%s)",
                           c, fwd, to, c, &op->table, op->table.name, json ? "::text" : "",
                           back, from, json ? "::text" : ""));
}

/* A later rename of the same column: its rollback would bring the column back
 * in the type it had when renamed, not the original one. */
static bool renamed_later(zdm_lower_ctx *cx, const zdm_op *op)
{
    bool after = false;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        after = after || o == op;
        if (after && o->kind == ZDM_OP_RENAME_COLUMN && zdm_name_eq(o->table, op->table) &&
            strcmp(o->old_col->name, op->col->name) == 0)
            return true;
    }
    return false;
}

int pgsql_lower_alter_type(zdm_lower_ctx *cx, const zdm_op *op)
{
    bool new_table = zdm_schema_table(cx->mig->base, op->table) == NULL;
    if (!new_table && renamed_later(cx, op))
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "Split the changes into two migrations: the second one runs after "
                               "the first one's contract phase.",
                               "changing the type of %s and renaming it in one migration is not "
                               "supported for target %s", qcol(cx, op), cx->target->canonical);
    if (new_table || pgsql_retype_in_place(op))
        return short_alter(cx, op, new_table);
    if (zdm_migration_column_is_new(cx->mig, op->table, op->old_col->name))
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "Give a new column its final type where this migration adds "
                               "it; change the type of a renamed one in a later migration, "
                               "after this one's contract phase.",
                               "changing the type of column %s, which an earlier statement of "
                               "this migration adds or renames, is not supported for target %s", qcol(cx, op),
                               cx->target->canonical);
    if (pgsql_move_supported(cx, op, op->old_col->name) != 0)
        return -1;
    pgsql_move *m = pgsql_move_of(cx, op);
    zdm_step *s = pgsql_move_steps(cx, m);
    round_trip_pre(cx, s, op);
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "%s keeps its name; it has the new type %s from the "
                              "contract's swap on, and the swap moves it to the end of the "
                              "table (SELECT * column order changes).", qcol(cx, op),
                              zdm_coltype_str(cx->arena, &op->col->type)),
                  "Name columns in queries; write values both types accept until the swap.");
    return 0;
}
