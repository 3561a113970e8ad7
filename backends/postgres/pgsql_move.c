/*
 * pgsql_move.c - expand/contract of one column into another: the new column
 * of an ALTER TYPE that cannot be done in place, and a RENAME COLUMN.
 *
 * Forward: dst is added (expand), the table's one sync trigger keeps it in
 * step with src for every row written from then on (pgsql_sync.c), one
 * batched pass per table fills the rows that predate the trigger (backfill),
 * src's indexes and unique constraints are built CONCURRENTLY on dst under
 * helper names, its foreign keys added NOT VALID and validated, and NOT NULL
 * is proven by a validated CHECK (validate), and the contract phase swaps in
 * one short transaction: drop the trigger, drop src (which drops its indexes
 * and constraints), rename dst to the final name, set the default and NOT
 * NULL, give the helpers their names back (a CHECK of a type change is re-added
 * NOT VALID there and validated right after).
 *
 * After the swap src and its values are gone, so the rollback of the swap is
 * the same expand/contract run backwards (a "reverse move", pgsql_undo.c).
 * This file holds the move records, what a move cannot carry, and the pieces
 * of SQL the forward steps (pgsql_move_steps.c) and the reverse share.
 */
#include "pgsql_int.h"

#include <string.h>

/* ---- the move records ----------------------------------------------------------- */

static bool index_uses(const zdm_index *ix, const char *col)
{
    for (size_t i = 0; i < ix->nelems; i++)
        if (ix->elems[i].col && strcmp(ix->elems[i].col, col) == 0)
            return true;
    return false;
}

/* `ix` with its column `from` replaced by `to`, under `name`. */
static zdm_index *index_moved(zdm_lower_ctx *cx, const zdm_index *ix, const char *from,
                              const char *to, const char *name)
{
    zdm_index *n = ZDM_NEW(cx->arena, zdm_index);
    *n = *ix;
    n->name = name;
    zdm_index_elem *el = ZDM_NEW_ARRAY(cx->arena, zdm_index_elem, ix->nelems);
    for (size_t i = 0; i < ix->nelems; i++) {
        el[i] = ix->elems[i];
        if (el[i].col && strcmp(el[i].col, from) == 0)
            el[i].col = to;
    }
    n->elems = el;
    return n;
}

/* src's indexes in `t` (named as they are), rebuilt on m->dst. */
static void add_indexes(zdm_lower_ctx *cx, pgsql_move *m, const zdm_table *t, const char *col)
{
    for (size_t i = 0; t && i < t->nindexes; i++) {
        const zdm_index *ix = t->indexes[i];
        if (!index_uses(ix, col))
            continue;
        zdm_vec_push(cx->arena, &m->ixs, ix);
        zdm_vec_push(cx->arena, &m->tmp_ixs,
                     index_moved(cx, ix, col, m->dst,
                                 pgsql_object_name(cx->arena, m->prefix, ix->name, NULL)));
    }
}

static bool con_has(const zdm_constraint *k, const char *col)
{
    for (size_t i = 0; i < k->ncols; i++)
        if (strcmp(k->cols[i], col) == 0)
            return true;
    return false;
}

/* Whether constraint k uses col: as a key column, or named in its CHECK. */
static bool con_uses(zdm_lower_ctx *cx, const zdm_constraint *k, const char *col)
{
    return con_has(k, col) || (k->kind == ZDM_CON_CHECK && k->check &&
                               zdm_raw_mentions(pgsql_value(cx, k->check), col));
}

/* src's unique constraints and foreign keys in `t`, rebuilt on m->dst; and
 * for a type change its CHECKs, whose text names the column as it is named
 * again after the swap (re-added there NOT VALID, validated right after). */
static void add_constraints(zdm_lower_ctx *cx, pgsql_move *m, const zdm_table *t,
                            const char *col)
{
    for (size_t i = 0; t && i < t->ncons; i++) {
        const zdm_constraint *k = t->cons[i];
        bool check = k->kind == ZDM_CON_CHECK && m->op->kind == ZDM_OP_ALTER_TYPE;
        if ((k->kind != ZDM_CON_UNIQUE && k->kind != ZDM_CON_FOREIGN && !check) ||
            !con_uses(cx, k, col))
            continue;
        zdm_vec_push(cx->arena, &m->cons, k);
        zdm_vec_push(cx->arena, &m->tmp_cons,
                     pgsql_object_name(cx->arena, m->prefix, k->name, NULL));
    }
}

static pgsql_move *move_new(zdm_lower_ctx *cx, const zdm_op *op, const char *prefix)
{
    pgsql_move *m = ZDM_NEW(cx->arena, pgsql_move);
    m->op = op;
    m->table = op->table;
    m->prefix = prefix;
    return m;
}

static void set_nn(zdm_lower_ctx *cx, pgsql_move *m)
{
    if (m->col->not_null && cx->target->version >= 12)
        m->nn = pgsql_object_name(cx->arena, "zdm_nn", m->table.name, m->dst);
}

const char *pgsql_ident(zdm_lower_ctx *cx, const char *col)
{
    return zdm_sqlf_str(cx->arena, PG, "%I", col);
}

/* The forward move of an ALTER TYPE or RENAME COLUMN. */
static pgsql_move *forward_move(zdm_lower_ctx *cx, const zdm_op *op)
{
    pgsql_move *m = move_new(cx, op, "zdm_new");
    m->src = op->old_col->name;
    m->col = op->col;
    if (op->kind == ZDM_OP_RENAME_COLUMN) {
        m->dst = op->col->name;
        m->conv = pgsql_ident(cx, m->src);
        m->two_way = true;
    } else {
        m->dst = pgsql_object_name(cx->arena, "zdm_new", op->col->name, NULL);
        /* Without `using`: the database's own assignment cast, as ALTER TYPE. */
        m->conv = op->using_ ? pgsql_value(cx, op->using_) : pgsql_ident(cx, m->src);
    }
    add_indexes(cx, m, op->before, m->src);
    add_constraints(cx, m, op->before, m->src);
    set_nn(cx, m);
    return m;
}

/* The reverse of a swapped column: the column as it is after the migration
 * back into the column as it was (op->old_col), under a helper name for a
 * type change, under its own name for a rename. */
pgsql_move *pgsql_move_reverse(zdm_lower_ctx *cx, const zdm_op *op)
{
    pgsql_move *m = move_new(cx, op, "zdm_old");
    m->src = op->col->name;
    m->col = op->old_col;
    if (op->kind == ZDM_OP_RENAME_COLUMN) {
        m->dst = op->old_col->name;
        m->conv = pgsql_ident(cx, m->src);
    } else {
        m->dst = pgsql_object_name(cx->arena, "zdm_old", op->old_col->name, NULL);
        m->conv = op->revert ? pgsql_value(cx, op->revert) : pgsql_ident(cx, m->src);
    }
    add_indexes(cx, m, op->before, op->old_col->name);
    add_constraints(cx, m, op->before, op->old_col->name);
    set_nn(cx, m);
    return m;
}

void pgsql_moves_register(zdm_lower_ctx *cx)
{
    pgsql_state *st = pgsql_st(cx);
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *op = cx->mig->ops.items[i];
        if (op->kind != ZDM_OP_RENAME_COLUMN &&
            (op->kind != ZDM_OP_ALTER_TYPE || pgsql_retype_in_place(op)))
            continue;
        if (!zdm_schema_table(cx->mig->base, op->table))
            continue; /* a table made in this migration: one plain ALTER */
        pgsql_sync *sy = pgsql_sync_find(cx, &op->table);
        if (!sy) {
            sy = ZDM_NEW(cx->arena, pgsql_sync);
            sy->table = op->table;
            zdm_vec_push(cx->arena, &st->syncs, sy);
        }
        zdm_vec_push(cx->arena, &sy->moves, forward_move(cx, op));
    }
}

pgsql_move *pgsql_move_of(zdm_lower_ctx *cx, const zdm_op *op)
{
    pgsql_sync *sy = pgsql_sync_find(cx, &op->table);
    for (size_t i = 0; sy && i < sy->moves.len; i++)
        if (sy->moves.items[i]->op == op)
            return sy->moves.items[i];
    return NULL;
}

/* ---- what a move cannot carry yet ----------------------------------------------------- */

static int unsupported(zdm_lower_ctx *cx, const zdm_op *op, const char *hint, const char *what)
{
    return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED, hint,
                           "%s is not supported for target %s yet", what, cx->target->canonical);
}

/* Another move of this migration on the table whose column `col` is, or
 * that an index or constraint shares with `col`: the swaps would undo each
 * other's rebuilt objects. Says which, after "in the same migration as";
 * NULL when none. */
static const char *move_conflict(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    const zdm_table *t = op->before;
    pgsql_sync *sy = pgsql_sync_find(cx, &op->table);
    for (size_t i = 0; sy && i < sy->moves.len; i++) {
        const zdm_op *o = sy->moves.items[i]->op;
        if (o == op)
            continue;
        const char *oc = o->old_col->name;
        if (strcmp(oc, col) == 0 || strcmp(o->col->name, col) == 0)
            return zdm_sprintf(cx->arena, "another change of column %s", col);
        for (size_t k = 0; k < t->nindexes; k++)
            if (index_uses(t->indexes[k], col) && index_uses(t->indexes[k], oc))
                return zdm_sprintf(cx->arena, "a change of column %s, which index %s also "
                                   "covers,", oc, t->indexes[k]->name);
        for (size_t k = 0; k < t->ncons; k++)
            if (con_uses(cx, t->cons[k], col) && con_uses(cx, t->cons[k], oc))
                return zdm_sprintf(cx->arena, "a change of column %s, which constraint %s "
                                   "also covers,", oc, t->cons[k]->name);
    }
    return NULL;
}

/* "renaming users.email" / "changing the type of users.email": what the
 * author wrote, for the messages below. */
static const char *move_what(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    return zdm_sprintf(cx->arena, "%s %s.%s",
                       op->kind == ZDM_OP_RENAME_COLUMN ? "renaming" : "changing the type of",
                       zdm_name_str(cx->arena, op->table), col);
}

static int refuse_constraint(zdm_lower_ctx *cx, const zdm_op *op, const char *what,
                             const zdm_constraint *k)
{
    bool pk = k->kind == ZDM_CON_PRIMARY;
    return unsupported(cx, op,
                       pk ? "The primary key cannot move to a new column online yet: change a "
                            "primary-key column in a maintenance window with `execute` and a "
                            "`revert`."
                          : "The CHECK's text names the old column name: drop the constraint "
                            "first, rename the column, then add the CHECK again with the new "
                            "name (three statements).",
                       zdm_sprintf(cx->arena, "%s, which %s %s uses,", what,
                                   pk ? "primary key" : "CHECK constraint", k->name));
}

/* A foreign key of another table (or of this one) that references `col`. */
static int refuse_referenced(zdm_lower_ctx *cx, const zdm_op *op, const char *what,
                             const char *col)
{
    const zdm_table *t = op->before;
    for (size_t i = 0; i < cx->mig->base->tables.len; i++) {
        const zdm_table *o = cx->mig->base->tables.items[i];
        for (size_t j = 0; j < o->ncons; j++) {
            const zdm_constraint *k = o->cons[j];
            for (size_t x = 0; k->kind == ZDM_CON_FOREIGN && zdm_name_eq(k->ref_table, t->name) &&
                               x < k->nref_cols; x++)
                if (strcmp(k->ref_cols[x], col) == 0)
                    return unsupported(
                        cx, op,
                        zdm_sprintf(cx->arena, "Drop the foreign key first (alter table %s drop "
                                    "constraint %s;), change the column, then add the key "
                                    "again.", zdm_name_str(cx->arena, o->name), k->name),
                        zdm_sprintf(cx->arena, "%s, which foreign key %s of table %s "
                                    "references,", what, k->name,
                                    zdm_name_str(cx->arena, o->name)));
        }
    }
    return 0;
}

int pgsql_move_supported(zdm_lower_ctx *cx, const zdm_op *op, const char *col)
{
    const char *what = move_what(cx, op, col);
    const char *clash = move_conflict(cx, op, col);
    if (clash)
        return unsupported(cx, op, "Split the changes into two migrations: the second one runs "
                                   "after the first one's contract phase.",
                           zdm_sprintf(cx->arena, "%s in the same migration as %s", what,
                                       clash));
    const zdm_table *t = op->before;
    const zdm_column *c = zdm_table_column(t, col);
    const zdm_constraint *pk = zdm_table_primary_key(t);
    if (!pk || pk->ncols != 1)
        return unsupported(cx, op, "The new column is filled by a batched pass over the primary "
                                   "key: give the table a single-column primary key first.",
                           zdm_sprintf(cx->arena, "%s on a table %s", what,
                                       pk ? "whose primary key has several columns"
                                          : "without a primary key"));
    if (c->identity != ZDM_IDENTITY_NONE || c->serial)
        return unsupported(cx, op, "An identity or serial column owns a sequence that the swap "
                                   "would have to move; change it with `execute` and a `revert`.",
                           zdm_sprintf(cx->arena, "%s, %s %s column,", what,
                                       c->serial ? "a" : "an", c->serial ? "serial" : "identity"));
    for (size_t i = 0; i < t->ncons; i++)
        if ((t->cons[i]->kind == ZDM_CON_PRIMARY ||
             (t->cons[i]->kind == ZDM_CON_CHECK && op->kind == ZDM_OP_RENAME_COLUMN)) &&
            con_uses(cx, t->cons[i], col))
            return refuse_constraint(cx, op, what, t->cons[i]);
    if (refuse_referenced(cx, op, what, col) != 0)
        return -1;
    for (size_t i = 0; i < t->nindexes; i++) {
        const zdm_index *ix = t->indexes[i];
        bool pred = ix->where && zdm_raw_mentions(pgsql_value(cx, ix->where), col);
        bool expr = false;
        for (size_t k = 0; k < ix->nelems; k++)
            expr = expr || (ix->elems[k].expr &&
                            zdm_raw_mentions(pgsql_value(cx, ix->elems[k].expr), col));
        if (expr || pred)
            return unsupported(cx, op,
                               zdm_sprintf(cx->arena, "Drop the index first (drop index %s;), "
                                           "change the column, then create the index again.",
                                           ix->name),
                               zdm_sprintf(cx->arena, "%s, which %s of index %s names,", what,
                                           expr ? "an expression" : "the WHERE predicate",
                                           ix->name));
    }
    return 0;
}

/* ---- conditions and pieces of SQL --------------------------------------------------------- */

static bool is_json(const zdm_column *c)
{
    return c->type.kind == ZDM_TY_JSON && !c->type.array;
}

/* "dst differs from what conv gives", comparable for every type. */
const char *pgsql_move_differs(zdm_lower_ctx *cx, const pgsql_move *m, const char *dst_sql)
{
    const char *ty = pgsql_type(cx, &m->col->type, false);
    if (is_json(m->col))
        return zdm_sqlf_str(cx->arena, PG, "(%s)::text IS DISTINCT FROM CAST(%R AS %s)::text",
                            dst_sql, m->conv, ty);
    return zdm_sqlf_str(cx->arena, PG, "%s IS DISTINCT FROM CAST(%R AS %s)", dst_sql, m->conv,
                        ty);
}

const char *pgsql_cond_constraint(zdm_lower_ctx *cx, const zdm_name *t, const char *name,
                                   bool exists)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "%sEXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = "
                        "to_regclass(%L) AND conname = %L)",
                        exists ? "" : "NOT ", pgsql_regclass(cx, t), name);
}

const char *pgsql_cond_trigger(zdm_lower_ctx *cx, const zdm_name *t, const char *trg,
                                bool exists)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "%sEXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = "
                        "to_regclass(%L) AND tgname = %L)",
                        exists ? "" : "NOT ", pgsql_regclass(cx, t), trg);
}

/* The column exists with this type (any nullability). */
const char *pgsql_cond_type(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                             const zdm_coltype *ty)
{
    const char *ft = pgsql_format_type(cx, ty);
    const char *tc = ft ? zdm_sqlf_str(cx->arena, PG, "format_type(atttypid, atttypmod) = %L", ft)
                        : zdm_sqlf_str(cx->arena, PG, "atttypid = to_regtype(%L)",
                                       pgsql_type(cx, ty, false));
    return zdm_sqlf_str(cx->arena, PG,
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
                        "to_regclass(%L) AND attname = %L AND attnum > 0 AND NOT attisdropped "
                        "AND %s)",
                        pgsql_regclass(cx, t), col, tc);
}

/* The unique index that becomes constraint i at the swap (USING INDEX). */
zdm_index *pgsql_move_unique_index(zdm_lower_ctx *cx, const pgsql_move *m, size_t i)
{
    const zdm_constraint *k = m->cons.items[i];
    zdm_index *ix = ZDM_NEW(cx->arena, zdm_index);
    zdm_index_elem *el = ZDM_NEW_ARRAY(cx->arena, zdm_index_elem, k->ncols);
    for (size_t c = 0; c < k->ncols; c++)
        el[c].col = strcmp(k->cols[c], m->op->old_col->name) == 0 ? m->dst : k->cols[c];
    ix->name = m->tmp_cons.items[i];
    ix->table = m->table;
    ix->unique = true;
    ix->elems = el;
    ix->nelems = k->ncols;
    return ix;
}

/* ADD CONSTRAINT helper FOREIGN KEY (.. dst ..) REFERENCES ... NOT VALID */
const char *pgsql_move_fk_ddl(zdm_lower_ctx *cx, const pgsql_move *m, size_t i)
{
    zdm_constraint k = *m->cons.items[i];
    const char **cols = ZDM_NEW_ARRAY(cx->arena, const char *, k.ncols);
    for (size_t c = 0; c < k.ncols; c++)
        cols[c] = strcmp(k.cols[c], m->op->old_col->name) == 0 ? m->dst : k.cols[c];
    k.cols = cols;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG, "ALTER TABLE %N ADD CONSTRAINT %I ", &m->table, m->tmp_cons.items[i]);
    pgsql_put_con_body(cx, &b, &k);
    zdm_buf_puts(&b, " NOT VALID;");
    return zdm_buf_cstr(&b);
}

const char *pgsql_validate_if_sql(zdm_lower_ctx *cx, const zdm_name *t, const char *con)
{
    const char *v = zdm_sqlf_str(cx->arena, PG,
                                 "BEGIN\n    IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint "
                                 "WHERE conrelid = to_regclass(%L) AND conname = %L AND NOT "
                                 "convalidated) THEN\n        ALTER TABLE %N VALIDATE "
                                 "CONSTRAINT %I;\n    END IF;\nEND",
                                 pgsql_regclass(cx, t), con, t, con);
    const char *tag = pgsql_dollar_tag(cx->arena, v);
    return zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, v, tag);
}

const char *pgsql_move_add_ddl(zdm_lower_ctx *cx, const pgsql_move *m)
{
    const char *ty = pgsql_type(cx, &m->col->type, false);
    if (m->col->collate) /* the new column keeps the column's collation */
        ty = zdm_sqlf_str(cx->arena, PG, "%s COLLATE %I", ty, m->col->collate);
    return zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD COLUMN IF NOT EXISTS %I %s;", &m->table,
                        m->dst, ty);
}

static const char *set_sql(zdm_lower_ctx *cx, pgsql_move *const *ms, size_t n)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < n; i++)
        zdm_sqlf(&b, PG, "%s%I = %R", i ? ", " : "", ms[i]->dst, ms[i]->conv);
    return zdm_buf_cstr(&b);
}

static const char *todo_sql(zdm_lower_ctx *cx, pgsql_move *const *ms, size_t n)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < n; i++)
        zdm_sqlf(&b, PG, "%s%s", i ? " OR " : "",
                 pgsql_move_differs(cx, ms[i], pgsql_ident(cx, ms[i]->dst)));
    return zdm_buf_cstr(&b);
}

const char *pgsql_moves_set_sql(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    return set_sql(cx, sy->moves.items, sy->moves.len);
}

const char *pgsql_moves_todo_sql(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    return todo_sql(cx, sy->moves.items, sy->moves.len);
}

/* One keyset batch that fills dst for every move in `ms`. */
static const char *fill_stmt(zdm_lower_ctx *cx, const zdm_name *t, const char *key,
                             pgsql_move *const *ms, size_t n)
{
    zdm_buf set, diff;
    zdm_buf_init(&set, cx->arena);
    zdm_buf_init(&diff, cx->arena);
    for (size_t i = 0; i < n; i++) {
        zdm_sqlf(&set, PG, "%s%I = %R", i ? ", " : "", ms[i]->dst, ms[i]->conv);
        zdm_sqlf(&diff, PG, "%s%s", i ? "\n                     OR " : "",
                 pgsql_move_differs(cx, ms[i], pgsql_ident(cx, ms[i]->dst)));
    }
    return zdm_sqlf_str(cx->arena, PG,
                        "                UPDATE %N SET %s\n"
                        "                 WHERE %I BETWEEN zdm_from AND zdm_to\n"
                        "                   AND (%s);\n",
                        t, zdm_buf_cstr(&set), key, zdm_buf_cstr(&diff));
}

static const char *key_of(zdm_lower_ctx *cx, const zdm_name *t)
{
    const zdm_table *bt = zdm_schema_table(cx->mig->base, *t);
    const zdm_constraint *pk = bt ? zdm_table_primary_key(bt) : NULL;
    return pk && pk->ncols == 1 ? pk->cols[0] : NULL;
}

zdm_backfill_spec *pgsql_move_spec(zdm_lower_ctx *cx, const zdm_name *t, pgsql_move *const *ms,
                                   size_t n)
{
    const char *key = key_of(cx, t);
    const zdm_table *bt = zdm_schema_table(cx->mig->base, *t);
    const zdm_column *kc = key && bt ? zdm_table_column(bt, key) : NULL;
    if (!kc)
        return NULL;
    return pgsql_native_spec(cx, t, key, pgsql_type(cx, &kc->type, false), set_sql(cx, ms, n),
                             zdm_sprintf(cx->arena, "(%s)", todo_sql(cx, ms, n)));
}

zdm_backfill_spec *pgsql_moves_spec(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    return pgsql_move_spec(cx, &sy->table, sy->moves.items, sy->moves.len);
}

const char *pgsql_move_fill_loop(zdm_lower_ctx *cx, const zdm_name *t, pgsql_move *const *ms,
                             size_t n, const char *prologue, const char *hi_note)
{
    const char *key = key_of(cx, t);
    const pgsql_loop loop = {
        .rel = t, .key = key,
        .key_type = zdm_sqlf_str(cx->arena, PG, "%N.%I%%TYPE", t, key),
        .hi_note = hi_note, .prologue = prologue, .stmt = fill_stmt(cx, t, key, ms, n),
        .batch = pgsql_st(cx)->batch, .pause_ms = pgsql_st(cx)->pause_ms,
        .verb = "fill", .done_words = " rows updated", .label = zdm_name_str(cx->arena, *t),
    };
    const char *body = pgsql_batch_loop(cx, &loop);
    const char *tag = pgsql_dollar_tag(cx->arena, body);
    return zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, body, tag);
}

/* CREATE INDEX CONCURRENTLY of `ix`, run (by \gexec) only where `cond` holds. */
const char *pgsql_index_if_sql(zdm_lower_ctx *cx, const zdm_index *ix, const char *cond)
{
    zdm_name in = pgsql_index_name(ix);
    zdm_buf d;
    zdm_buf_init(&d, cx->arena);
    zdm_sqlf(&d, PG, "CREATE %sINDEX CONCURRENTLY IF NOT EXISTS %I ON %N (",
             ix->unique ? "UNIQUE " : "", ix->name, &ix->table);
    for (size_t i = 0; i < ix->nelems; i++) {
        const zdm_index_elem *e = &ix->elems[i];
        if (e->col)
            zdm_sqlf(&d, PG, "%s%I", i ? ", " : "", e->col);
        else
            zdm_sqlf(&d, PG, "%s%R", i ? ", " : "", pgsql_value(cx, e->expr));
        zdm_buf_puts(&d, e->order == ZDM_ORDER_ASC ? " ASC" : e->order == ZDM_ORDER_DESC ? " DESC" : "");
    }
    zdm_buf_putc(&d, ')');
    if (ix->where)
        zdm_sqlf(&d, PG, " WHERE %R", pgsql_value(cx, ix->where));
    return zdm_sqlf_str(cx->arena, PG,
                        "SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %%s', "
                        "i.indexrelid::regclass)\n"
                        "  FROM pg_catalog.pg_index i\n"
                        " WHERE i.indexrelid = to_regclass(%L) AND NOT i.indisvalid \\gexec\n"
                        "SELECT %L WHERE %s \\gexec\n",
                        pgsql_regclass(cx, &in), zdm_buf_cstr(&d), cond);
}

const char *pgsql_move_swap(zdm_lower_ctx *cx, const pgsql_move *m)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    const zdm_name *t = &m->table;
    const char *fin = m->col->name;
    zdm_sqlf(&b, PG, "IF %s\n   AND %s THEN\n", pgsql_cond_column(cx, t, m->src, true),
             pgsql_cond_column(cx, t, m->dst, true));
    zdm_sqlf(&b, PG, "    ALTER TABLE %N DROP COLUMN %I;\n", t, m->src);
    if (strcmp(m->dst, fin) != 0)
        zdm_sqlf(&b, PG, "    ALTER TABLE %N RENAME COLUMN %I TO %I;\n", t, m->dst, fin);
    if (m->col->def)
        zdm_sqlf(&b, PG, "    ALTER TABLE %N ALTER COLUMN %I SET DEFAULT %R;\n", t, fin,
                 pgsql_value(cx, m->col->def));
    if (m->col->not_null)
        zdm_sqlf(&b, PG, "    ALTER TABLE %N ALTER COLUMN %I SET NOT NULL;\n", t, fin);
    if (m->nn)
        zdm_sqlf(&b, PG, "    ALTER TABLE %N DROP CONSTRAINT IF EXISTS %I;\n", t, m->nn);
    for (size_t i = 0; i < m->tmp_ixs.len; i++) {
        zdm_name tn = pgsql_index_name(m->tmp_ixs.items[i]);
        zdm_sqlf(&b, PG, "    ALTER INDEX %N RENAME TO %I;\n", &tn, m->ixs.items[i]->name);
    }
    /* Dropping src dropped its constraints; their helpers take their names. */
    for (size_t i = 0; i < m->cons.len; i++) {
        const zdm_constraint *k = m->cons.items[i];
        if (k->kind == ZDM_CON_UNIQUE)
            zdm_sqlf(&b, PG, "    ALTER TABLE %N ADD CONSTRAINT %I UNIQUE USING INDEX %I;\n", t,
                     k->name, m->tmp_cons.items[i]);
        else if (k->kind == ZDM_CON_CHECK)
            zdm_sqlf(&b, PG, "    ALTER TABLE %N ADD CONSTRAINT %I CHECK %R NOT VALID;\n", t,
                     k->name, pgsql_value(cx, k->check));
        else
            zdm_sqlf(&b, PG, "    ALTER TABLE %N RENAME CONSTRAINT %I TO %I;\n", t,
                     m->tmp_cons.items[i], k->name);
    }
    zdm_buf_puts(&b, "END IF;");
    return zdm_buf_cstr(&b);
}

void pgsql_move_trigger(zdm_lower_ctx *cx, zdm_buf *b, const pgsql_move *m)
{
    if (!m->two_way) {
        /* Nobody but the trigger writes dst: it follows src on every write. */
        zdm_sqlf(b, PG, "    NEW.%I := (SELECT %R FROM (SELECT NEW.*) AS %I);\n", m->dst,
                 m->conv, m->table.name);
        return;
    }
    /* A rename: the old application writes src, the new one dst; what a
     * statement wrote wins, and an untouched pair follows src. */
    const zdm_table *bt = zdm_schema_table(cx->mig->base, m->table);
    const zdm_column *sc = bt ? zdm_table_column(bt, m->src) : NULL;
    const char *cast = sc && is_json(sc) ? "::text" : "";
    zdm_sqlf(b, PG,
             "    IF TG_OP = 'INSERT' THEN\n"
             "        IF NEW.%I IS NULL THEN\n"
             "            NEW.%I := NEW.%I;\n"
             "        ELSE\n"
             "            NEW.%I := NEW.%I;\n"
             "        END IF;\n"
             "    ELSIF NEW.%I%s IS DISTINCT FROM OLD.%I%s AND NEW.%I%s IS NOT DISTINCT FROM OLD.%I%s THEN\n"
             "        NEW.%I := NEW.%I;\n"
             "    ELSE\n"
             "        NEW.%I := NEW.%I;\n"
             "    END IF;\n",
             m->dst, m->dst, m->src, m->src, m->dst, m->dst, cast, m->dst, cast, m->src, cast,
             m->src, cast, m->src, m->dst, m->dst, m->src);
}
