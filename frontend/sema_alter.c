/*
 * sema_alter.c - `alter table T ...`: one op per action, except `add column`
 * with column constraints, which becomes ADD_COLUMN followed by one
 * ADD_CONSTRAINT per constraint (each its own online step in a backend).
 * A NOT NULL (or primary key) column with no default that a later backfill
 * of the file fills is added nullable and bare; its SET_NOT_NULL and
 * constraints follow the last backfill of it, when the rows hold values.
 *
 * Choices documented in docs/language.md: `set not null` on a NOT NULL column
 * and `drop not null` on a nullable one are errors (their rollback would
 * change a column the migration never meant to touch); `drop default` of a
 * column without one is a warning and emits nothing; a type change to the
 * same type is an error.
 */
#include "sema_int.h"

#include <string.h>

static zdm_column *column_copy(sema *c, const zdm_column *col)
{
    zdm_column *n = ZDM_NEW(c->a, zdm_column);
    *n = *col;
    return n;
}

static zdm_op *column_op(sema *c, zdm_op_kind k, const ast_stmt *st, const zdm_table *t,
                         const zdm_column *old, const zdm_column *col)
{
    zdm_op *op = sema_op(c, k, st, t->name, t);
    op->old_col = old;
    op->col = col;
    return op;
}

static bool column_free(sema *c, const zdm_table *t, const ast_ident *id)
{
    if (!zdm_table_column(t, id->name))
        return true;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_DUP_COLUMN, c->src, id->span,
                               "column \"%s\" already exists in table \"%s\"", id->name,
                               zdm_name_str(c->a, t->name));
    zdm_diag_hint(g, c->a, "Choose another name, or drop or rename the existing column first.");
    return false;
}

/* ---- add column ------------------------------------------------------------------- */

/* The index of the last later `backfill` of this file that sets the column,
 * or 0 when none does. */
static size_t last_backfill(sema *c, zdm_name table, const char *col)
{
    size_t last = 0;
    for (size_t i = c->at + 1; i < c->file->stmts.len; i++) {
        const ast_stmt *st = c->file->stmts.items[i];
        if (st->kind != AST_BACKFILL || !zdm_name_eq(sema_name(&st->u.backfill.table), table))
            continue;
        for (size_t j = 0; j < st->u.backfill.sets.len; j++)
            if (strcmp(st->u.backfill.sets.items[j].col.name, col) == 0)
                last = i;
    }
    return last;
}

/* A NOT NULL column added to existing rows needs their value from somewhere. */
static bool has_value_source(sema *c, const zdm_table *t, const ast_coldef *cd)
{
    bool not_null = cd->null == ZDM_NULL_NOT_NULL || cd->pk;
    if (!not_null || (cd->def && cd->def->kind != AST_LIT_NULL) ||
        cd->identity != ZDM_IDENTITY_NONE || cd->type.serial ||
        last_backfill(c, t->name, cd->name.name))
        return true;
    zdm_span at = cd->null == ZDM_NULL_NOT_NULL ? cd->null_span : cd->pk_span;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_NOT_NULL_NO_VALUE, c->src, at,
                               "not null column \"%s\" has no value for existing rows",
                               cd->name.name);
    zdm_diag_hint(g, c->a, "Add a default, or add the column as nullable, backfill it, then "
                           "set not null.");
    return false;
}

/* The column's own constraints, each its own ADD_CONSTRAINT op, named in
 * PostgreSQL's order (checks, primary key, unique, foreign key). */
static void add_column_constraints(sema *c, const ast_stmt *st, const ast_coldef *cd,
                                   const zdm_table *t)
{
    static const ast_con_kind order[] = {AST_CON_CHECK, AST_CON_PRIMARY, AST_CON_UNIQUE,
                                         AST_CON_FOREIGN};
    const bool has[] = {cd->check != NULL, cd->pk, cd->unique, cd->ref != NULL};
    sema_names taken = {0};
    for (size_t i = 0; i < 4; i++) {
        if (!has[i])
            continue;
        zdm_constraint *k = sema_col_constraint(c, t, cd, order[i], &taken);
        if (!k)
            continue;
        zdm_op *op = sema_op(c, ZDM_OP_ADD_CONSTRAINT, st, t->name, t);
        op->con = k;
        sema_emit(c, op);
        t = op->after;
    }
}

/* A column without a value for existing rows that a later backfill fills:
 * added nullable and bare now; its NOT NULL and constraints come after the
 * last backfill of it (sema_deferred), when the rows hold their values. */
static bool defer_column(sema *c, const ast_stmt *st, const zdm_table *t, zdm_column *col)
{
    const ast_coldef *cd = st->u.alter_table.action.coldef;
    bool no_value = (cd->null == ZDM_NULL_NOT_NULL || cd->pk) &&
                    !(cd->def && cd->def->kind != AST_LIT_NULL) &&
                    cd->identity == ZDM_IDENTITY_NONE && !cd->type.serial;
    size_t last = no_value ? last_backfill(c, t->name, cd->name.name) : 0;
    if (!last)
        return false;
    col->not_null = false;
    sema_deferral d = {st, cd, last, cd->null == ZDM_NULL_NOT_NULL};
    zdm_vec_push(c->a, &c->deferred, d);
    return true;
}

static void add_column(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_coldef *cd = st->u.alter_table.action.coldef;
    if (cd->autoinc) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_AUTOINCREMENT, c->src,
                                   cd->autoinc_span,
                                   "autoincrement is only allowed in create table");
        zdm_diag_hint(g, c->a, "It belongs to the table's rowid primary key, which SQLite "
                               "cannot add to an existing table; use `generated by default as "
                               "identity` here.");
        return;
    }
    if (!column_free(c, t, &cd->name) || !has_value_source(c, t, cd))
        return;
    zdm_column *col = sema_column_new(c, cd);
    bool deferred = defer_column(c, st, t, col);
    zdm_op *op = column_op(c, ZDM_OP_ADD_COLUMN, st, t, NULL, col);
    sema_emit(c, op);
    if (!deferred)
        add_column_constraints(c, st, cd, op->after);
}

/* After statement `at`: the NOT NULL and constraints of columns whose last
 * backfill it was. Their op source is the `add column` that asked for them. */
void sema_deferred(sema *c)
{
    for (size_t i = 0; i < c->deferred.len; i++) {
        const sema_deferral *d = &c->deferred.items[i];
        if (d->after != c->at)
            continue;
        zdm_name n = sema_name(&d->stmt->u.alter_table.table);
        const zdm_table *t = zdm_schema_table(c->s, n);
        const zdm_column *col = t ? zdm_table_column(t, d->cd->name.name) : NULL;
        if (!col)
            continue; /* dropped or renamed in between: nothing left to constrain */
        if (d->not_null && !col->not_null) {
            zdm_column *nn = column_copy(c, col);
            nn->not_null = true;
            zdm_op *op = column_op(c, ZDM_OP_SET_NOT_NULL, d->stmt, t, col, nn);
            sema_emit(c, op);
            t = op->after;
        }
        add_column_constraints(c, d->stmt, d->cd, t);
    }
}

/* ---- drop and rename column ------------------------------------------------------- */

/* PostgreSQL refuses to drop a column a foreign key references (without CASCADE). */
static bool column_referenced(sema *c, const zdm_table *t, const ast_ident *id)
{
    for (size_t i = 0; i < c->s->tables.len; i++) {
        const zdm_table *o = c->s->tables.items[i];
        for (size_t j = 0; j < o->ncons; j++) {
            const zdm_constraint *k = o->cons[j];
            if (k->kind != ZDM_CON_FOREIGN || !zdm_name_eq(k->ref_table, t->name))
                continue;
            bool refs = false, own = false;
            for (size_t x = 0; x < k->nref_cols; x++)
                refs = refs || strcmp(k->ref_cols[x], id->name) == 0;
            for (size_t x = 0; o == t && x < k->ncols; x++)
                own = own || strcmp(k->cols[x], id->name) == 0;
            if (!refs || own)
                continue;
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_COL_REFERENCED, c->src, id->span,
                                       "column \"%s\" is referenced by foreign key \"%s\" of "
                                       "table \"%s\"", id->name, k->name,
                                       zdm_name_str(c->a, o->name));
            zdm_diag_hint(g, c->a, "Drop the foreign key first: alter table %s drop "
                                   "constraint %s;", zdm_name_str(c->a, o->name), k->name);
            return true;
        }
    }
    return false;
}

static void drop_column(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_ident *id = &st->u.alter_table.action.col;
    zdm_column *col = sema_column(c, t, id);
    if (!col || column_referenced(c, t, id))
        return;
    sema_emit(c, column_op(c, ZDM_OP_DROP_COLUMN, st, t, col, NULL));
}

static void rename_column(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_alter *al = &st->u.alter_table.action;
    zdm_column *col = sema_column(c, t, &al->col);
    if (!col || !column_free(c, t, &al->to))
        return;
    zdm_column *n = column_copy(c, col);
    n->name = al->to.name;
    sema_emit(c, column_op(c, ZDM_OP_RENAME_COLUMN, st, t, col, n));
}

/* ---- type ------------------------------------------------------------------------------ */

static bool casts_ok(sema *c, const ast_alter *al, const zdm_column *col, const zdm_coltype *to)
{
    const char *from_s = zdm_coltype_str(c->a, &col->type), *to_s = zdm_coltype_str(c->a, to);
    bool ok = true;
    zdm_cast fwd = zdm_cast_between(&col->type, to);
    if (!al->using_ && fwd == ZDM_CAST_NONE) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_NEEDS_USING, c->src, al->type.span,
                                   "no cast from %s to %s", from_s, to_s);
        zdm_diag_hint(g, c->a, "Say how old values convert: add `using (...)`, e.g. using "
                               "((%s::%s)).", al->col.name, to_s);
        ok = false;
    } else if (!al->using_ && fwd == ZDM_CAST_CHECKED) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_WARNING, SEMA_W_NARROWING, c->src, al->type.span,
                                   "changing %s to %s can fail or lose data on some rows",
                                   from_s, to_s);
        zdm_diag_hint(g, c->a, "A value that does not fit makes the change fail; add "
                               "`using (...)` to convert such values your own way.");
    }
    if (!al->revert && zdm_cast_between(to, &col->type) == ZDM_CAST_NONE) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_NEEDS_REVERT, c->src, al->type.span,
                                   "no cast back from %s to %s for the rollback", to_s, from_s);
        zdm_diag_hint(g, c->a, "Say how new values convert back: add `revert (...)`; it also "
                               "keeps the old column in sync while both application versions "
                               "run.");
        ok = false;
    }
    return ok;
}

static void alter_type(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_alter *al = &st->u.alter_table.action;
    zdm_column *col = sema_column(c, t, &al->col);
    if (!col)
        return;
    zdm_coltype to = sema_type(&al->type);
    if (zdm_coltype_eq(&col->type, &to)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_SAME_TYPE, c->src, al->type.span,
                                   "column \"%s\" already has type %s", col->name,
                                   zdm_coltype_str(c->a, &to));
        zdm_diag_hint(g, c->a, "Remove this change; it would do nothing.");
        return;
    }
    if (col->autoincrement && !sema_autoinc_type(&to)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_AUTOINCREMENT, c->src, al->type.span,
                                   "column \"%s\" is autoincrement: its type must stay an "
                                   "integer", col->name);
        zdm_diag_hint(g, c->a, "Change it to int, bigint or smallint.");
        return;
    }
    if (!casts_ok(c, al, col, &to))
        return;
    zdm_column *n = column_copy(c, col);
    n->type = to;
    zdm_op *op = column_op(c, ZDM_OP_ALTER_TYPE, st, t, col, n);
    op->using_ = sema_value(c, al->using_);
    op->revert = sema_value(c, al->revert);
    sema_emit(c, op);
}

/* ---- null and default --------------------------------------------------------------------- */

static const char *primary_key_of(const zdm_table *t, const char *col)
{
    const zdm_constraint *pk = zdm_table_primary_key(t);
    for (size_t i = 0; pk && i < pk->ncols; i++)
        if (strcmp(pk->cols[i], col) == 0)
            return pk->name;
    return NULL;
}

static bool nullability_ok(sema *c, const ast_alter *al, const zdm_table *t,
                           const zdm_column *col)
{
    bool set = al->kind == AST_AT_SET_NOT_NULL;
    const char *pk = set ? NULL : primary_key_of(t, col->name);
    zdm_diag *g = NULL;
    if (set && col->not_null)
        g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ALREADY_NOT_NULL, c->src, al->col.span,
                         "column \"%s\" is already not null", col->name);
    else if (!set && !col->not_null)
        g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ALREADY_NULLABLE, c->src, al->col.span,
                         "column \"%s\" is already nullable", col->name);
    else if (pk || (!set && col->identity)) {
        g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_PK_NULLABLE, c->src, al->col.span,
                         pk ? "column \"%s\" is in primary key \"%s\""
                            : "column \"%s\" is an identity column%s",
                         col->name, pk ? pk : "");
        zdm_diag_hint(g, c->a, "Such a column is always not null.");
        return false;
    }
    if (g)
        zdm_diag_hint(g, c->a, "Remove this change: its rollback would change the column "
                               "the other way.");
    return g == NULL;
}

static void nullability(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_alter *al = &st->u.alter_table.action;
    zdm_column *col = sema_column(c, t, &al->col);
    if (!col || !nullability_ok(c, al, t, col))
        return;
    zdm_column *n = column_copy(c, col);
    n->not_null = al->kind == AST_AT_SET_NOT_NULL;
    zdm_op_kind k = n->not_null ? ZDM_OP_SET_NOT_NULL : ZDM_OP_DROP_NOT_NULL;
    sema_emit(c, column_op(c, k, st, t, col, n));
}

static void set_default(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_alter *al = &st->u.alter_table.action;
    zdm_column *col = sema_column(c, t, &al->col);
    if (!col)
        return;
    if (col->identity) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_PK_NULLABLE, c->src, al->col.span,
                                   "column \"%s\" is an identity column", col->name);
        zdm_diag_hint(g, c->a, "An identity column takes its values from its sequence; it "
                               "cannot have a default.");
        return;
    }
    bool drop = al->kind == AST_AT_DROP_DEFAULT;
    if (drop && !col->def) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_WARNING, SEMA_W_NO_DEFAULT, c->src, al->col.span,
                                   "column \"%s\" has no default; nothing to drop", col->name);
        zdm_diag_hint(g, c->a, "This statement is skipped.");
        return;
    }
    zdm_column *n = column_copy(c, col);
    n->def = drop ? NULL : sema_value(c, al->def);
    if (n->def && n->def->kind == ZDM_V_NULL)
        n->def = NULL;
    zdm_op_kind k = drop ? ZDM_OP_DROP_DEFAULT : ZDM_OP_SET_DEFAULT;
    sema_emit(c, column_op(c, k, st, t, col, n));
}

/* ---- constraints ------------------------------------------------------------------------------ */

static void add_constraint(sema *c, const ast_stmt *st, const zdm_table *t)
{
    sema_names taken = {0};
    zdm_constraint *k = sema_constraint(c, t, st->u.alter_table.action.con, &taken);
    if (!k)
        return;
    zdm_op *op = sema_op(c, ZDM_OP_ADD_CONSTRAINT, st, t->name, t);
    op->con = k;
    sema_emit(c, op);
}

static void unknown_constraint(sema *c, const zdm_table *t, const ast_ident *id)
{
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_UNKNOWN_CONSTRAINT, c->src, id->span,
                               "unknown constraint \"%s\" on table \"%s\"", id->name,
                               zdm_name_str(c->a, t->name));
    const char **names = ZDM_NEW_ARRAY(c->a, const char *, t->ncons + 1);
    for (size_t i = 0; i < t->ncons; i++)
        names[i] = t->cons[i]->name;
    const char *s = sema_suggest(id->name, names, t->ncons);
    if (s)
        zdm_diag_hint(g, c->a, "Did you mean \"%s\"?", s);
    else
        sema_baseline_hint(c, g, "constraint", id->name, "alter table ... add constraint");
}

static bool same_cols(const zdm_constraint *a, const char *const *cols, size_t n)
{
    if (a->ncols != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(a->cols[i], cols[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* A primary key or unique constraint a foreign key depends on cannot go. */
static bool constraint_referenced(sema *c, const zdm_table *t, const zdm_constraint *k,
                                  zdm_span at)
{
    if (k->kind > ZDM_CON_UNIQUE)
        return false;
    for (size_t i = 0; i < c->s->tables.len; i++) {
        const zdm_table *o = c->s->tables.items[i];
        for (size_t j = 0; j < o->ncons; j++) {
            const zdm_constraint *f = o->cons[j];
            if (f->kind != ZDM_CON_FOREIGN || !zdm_name_eq(f->ref_table, t->name) ||
                !same_cols(k, f->ref_cols, f->nref_cols))
                continue;
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_CON_REFERENCED, c->src, at,
                                       "constraint \"%s\" is needed by foreign key \"%s\" of "
                                       "table \"%s\"", k->name, f->name,
                                       zdm_name_str(c->a, o->name));
            zdm_diag_hint(g, c->a, "Drop the foreign key first: alter table %s drop "
                                   "constraint %s;", zdm_name_str(c->a, o->name), f->name);
            return true;
        }
    }
    return false;
}

/* The primary key of a `without rowid` table stores it, and an
 * autoincrement column must stay that key: neither can be dropped alone. */
static bool key_needed(sema *c, const zdm_table *t, const zdm_constraint *k, zdm_span at)
{
    if (k->kind != ZDM_CON_PRIMARY)
        return false;
    const zdm_column *ai = NULL;
    for (size_t i = 0; i < t->ncols && !ai; i++)
        ai = t->cols[i]->autoincrement ? t->cols[i] : NULL;
    if (!t->without_rowid && !ai)
        return false;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_KEY_NEEDED, c->src, at,
                               t->without_rowid
                                   ? "table \"%s\" is without rowid: its primary key \"%s\" "
                                     "cannot be dropped"
                                   : "table \"%s\": primary key \"%s\" holds an "
                                     "autoincrement column",
                               zdm_name_str(c->a, t->name), k->name);
    zdm_diag_hint(g, c->a, "Create the table anew with the key you want (create table, copy "
                           "with `execute`, drop table, rename table).");
    return true;
}

static void drop_constraint(sema *c, const ast_stmt *st, const zdm_table *t)
{
    const ast_ident *id = &st->u.alter_table.action.con_name;
    zdm_constraint *k = zdm_table_constraint(t, id->name);
    if (!k) {
        unknown_constraint(c, t, id);
        return;
    }
    if (constraint_referenced(c, t, k, id->span) || key_needed(c, t, k, id->span))
        return;
    zdm_op *op = sema_op(c, ZDM_OP_DROP_CONSTRAINT, st, t->name, t);
    op->con = k;
    sema_emit(c, op);
}

void sema_alter_table(sema *c, const ast_stmt *st)
{
    const zdm_table *t = sema_table(c, &st->u.alter_table.table);
    if (!t)
        return;
    switch (st->u.alter_table.action.kind) {
    case AST_AT_ADD_COLUMN: add_column(c, st, t); break;
    case AST_AT_DROP_COLUMN: drop_column(c, st, t); break;
    case AST_AT_RENAME_COLUMN: rename_column(c, st, t); break;
    case AST_AT_ALTER_TYPE: alter_type(c, st, t); break;
    case AST_AT_SET_NOT_NULL:
    case AST_AT_DROP_NOT_NULL: nullability(c, st, t); break;
    case AST_AT_SET_DEFAULT:
    case AST_AT_DROP_DEFAULT: set_default(c, st, t); break;
    case AST_AT_ADD_CONSTRAINT: add_constraint(c, st, t); break;
    case AST_AT_DROP_CONSTRAINT: drop_constraint(c, st, t); break;
    }
}
