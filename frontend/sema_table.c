/*
 * sema_table.c - the statements that create, drop or rename whole objects:
 * tables and stand-alone indexes. A new table's column constraints stay
 * inside its definition (the table is empty, so nothing needs splitting);
 * they are named in PostgreSQL's order: checks, the primary key, unique
 * constraints, then foreign keys.
 */
#include "sema_int.h"

#include <string.h>

static bool table_free(sema *c, zdm_name n, zdm_span at)
{
    if (zdm_schema_table(c->s, n)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_DUP_TABLE, c->src, at,
                                   "table \"%s\" already exists", zdm_name_str(c->a, n));
        zdm_diag_hint(g, c->a, "Choose another name, or drop or rename the existing table "
                               "first.");
        return false;
    }
    if (zdm_schema_enum(c->s, n)) { /* a table's row type shares the type namespace */
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ENUM_EXISTS, c->src, at,
                                   "type \"%s\" already exists", zdm_name_str(c->a, n));
        zdm_diag_hint(g, c->a, "Types and tables share one namespace per schema; choose "
                               "another name.");
        return false;
    }
    return !sema_relation_taken(c, n, at);
}

/* ---- create table ------------------------------------------------------------- */

typedef zdm_vec(zdm_column *) column_vec;

static const ast_coldef *earlier_column(const ast_stmt *st, size_t i, const char *name)
{
    for (size_t j = 0; j < i; j++) {
        const ast_coldef *cd = st->u.create_table.elems.items[j].col;
        if (cd && strcmp(cd->name.name, name) == 0)
            return cd;
    }
    return NULL;
}

static bool add_columns(sema *c, const ast_stmt *st, column_vec *cols)
{
    bool ok = true;
    for (size_t i = 0; i < st->u.create_table.elems.len; i++) {
        const ast_coldef *cd = st->u.create_table.elems.items[i].col;
        if (!cd)
            continue;
        const ast_coldef *first = earlier_column(st, i, cd->name.name);
        if (first) {
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_DUP_COLUMN, c->src,
                                       cd->name.span, "column \"%s\" defined twice",
                                       cd->name.name);
            zdm_diag_note(g, c->a, first->name.span, "first defined here");
            ok = false;
            continue;
        }
        zdm_vec_push(c->a, cols, sema_column_new(c, cd));
    }
    return ok;
}

static bool coldef_has(const ast_coldef *cd, ast_con_kind k)
{
    switch (k) {
    case AST_CON_PRIMARY: return cd->pk;
    case AST_CON_UNIQUE: return cd->unique;
    case AST_CON_FOREIGN: return cd->ref != NULL;
    case AST_CON_CHECK: return cd->check != NULL;
    }
    return false;
}

/* One naming pass: every constraint of kind `k`, in the order written. */
static bool add_constraints(sema *c, const ast_stmt *st, zdm_table *t, ast_con_kind k,
                            sema_names *taken)
{
    bool ok = true;
    for (size_t i = 0; i < st->u.create_table.elems.len; i++) {
        const ast_table_elem *e = &st->u.create_table.elems.items[i];
        zdm_constraint *con = NULL;
        if (e->col && coldef_has(e->col, k))
            con = sema_col_constraint(c, t, e->col, k, taken);
        else if (e->con && e->con->kind == k)
            con = sema_constraint(c, t, e->con, taken);
        else
            continue;
        if (con)
            t->cons[t->ncons++] = con;
        ok = ok && con;
    }
    return ok;
}

static size_t constraint_count(const ast_stmt *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->u.create_table.elems.len; i++) {
        const ast_table_elem *e = &st->u.create_table.elems.items[i];
        n += e->con ? 1 : (size_t)(e->col->pk + e->col->unique + !!e->col->ref + !!e->col->check);
    }
    return n;
}

/* A primary key makes its columns NOT NULL; the columns are not published
 * yet, so they are set in place. */
static void primary_key_not_null(zdm_table *t)
{
    const zdm_constraint *pk = zdm_table_primary_key(t);
    for (size_t i = 0; pk && i < pk->ncols; i++)
        zdm_table_column(t, pk->cols[i])->not_null = true;
}

bool sema_autoinc_type(const zdm_coltype *t)
{
    return !t->array && (t->kind == ZDM_TY_INT || t->kind == ZDM_TY_BIGINT ||
                         t->kind == ZDM_TY_SMALLINT);
}

/* `autoincrement` is SQLite's: the rowid alias (the table's one-column
 * integer primary key) never reuses a number; it cannot be had without a
 * rowid. */
static bool autoinc_ok(sema *c, const ast_stmt *st, const zdm_table *t, const ast_coldef *cd)
{
    const zdm_constraint *pk = zdm_table_primary_key(t);
    const zdm_column *col = zdm_table_column(t, cd->name.name);
    const char *why = NULL, *hint = NULL;
    if (!sema_autoinc_type(&col->type)) {
        why = "autoincrement needs an integer column (int, bigint or smallint)";
        hint = "Declare the column int or bigint, or drop autoincrement.";
    } else if (!pk || pk->ncols != 1 || strcmp(pk->cols[0], col->name) != 0) {
        why = "autoincrement needs the column to be the table's whole primary key";
        hint = "Add `primary key` to this column (and no other primary key), or drop "
               "autoincrement.";
    } else if (t->without_rowid) {
        why = "autoincrement needs a rowid: the table is `without rowid`";
        hint = "Drop autoincrement, or `without rowid`.";
    }
    if (!why)
        return true;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_AUTOINCREMENT, c->src, cd->autoinc_span,
                               "%s", why);
    if (t->without_rowid && pk && sema_autoinc_type(&col->type))
        zdm_diag_note(g, c->a, st->u.create_table.opts.without_rowid_span, "declared here");
    zdm_diag_hint(g, c->a, "%s", hint);
    return false;
}

/* The table options and the checks they need: `without rowid` needs a
 * primary key (SQLite refuses the table otherwise). */
static bool table_options(sema *c, const ast_stmt *st, zdm_table *t)
{
    const ast_topts *o = &st->u.create_table.opts;
    t->strict = o->strict;
    t->without_rowid = o->without_rowid;
    bool ok = true;
    if (t->without_rowid && !zdm_table_primary_key(t)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_WITHOUT_ROWID, c->src,
                                   o->without_rowid_span,
                                   "table \"%s\" is without rowid but has no primary key",
                                   zdm_name_str(c->a, t->name));
        zdm_diag_hint(g, c->a, "A table without rowid is stored by its primary key: declare "
                               "one, or drop `without rowid`.");
        ok = false;
    }
    for (size_t i = 0; ok && i < st->u.create_table.elems.len; i++) {
        const ast_coldef *cd = st->u.create_table.elems.items[i].col;
        if (cd && cd->autoinc)
            ok = autoinc_ok(c, st, t, cd);
    }
    return ok;
}

void sema_create_table(sema *c, const ast_stmt *st)
{
    zdm_name n = sema_name(&st->u.create_table.table);
    if (!table_free(c, n, st->u.create_table.table.name.span))
        return;
    column_vec cols = {0};
    bool ok = add_columns(c, st, &cols);
    zdm_table *t = ZDM_NEW(c->a, zdm_table);
    t->name = n;
    t->cols = cols.items;
    t->ncols = cols.len;
    t->cons = ZDM_NEW_ARRAY(c->a, zdm_constraint *, constraint_count(st) + 1);
    t->rows = sema_assumed_rows(c, n);
    sema_names taken = {0};
    static const ast_con_kind order[] = {AST_CON_CHECK, AST_CON_PRIMARY, AST_CON_UNIQUE,
                                         AST_CON_FOREIGN};
    for (size_t i = 0; i < 4; i++)
        ok = add_constraints(c, st, t, order[i], &taken) && ok;
    if (!ok || !table_options(c, st, t))
        return;
    primary_key_not_null(t);
    zdm_op *op = sema_op(c, ZDM_OP_CREATE_TABLE, st, n, NULL);
    op->after = t;
    op->rows = t->rows;
    sema_emit(c, op);
}

/* ---- drop and rename table ------------------------------------------------------ */

/* PostgreSQL refuses to drop a table another table's foreign key references. */
static bool referenced_elsewhere(sema *c, const zdm_table *t, zdm_span at)
{
    for (size_t i = 0; i < c->s->tables.len; i++) {
        const zdm_table *o = c->s->tables.items[i];
        for (size_t j = 0; o != t && j < o->ncons; j++) {
            const zdm_constraint *k = o->cons[j];
            if (k->kind != ZDM_CON_FOREIGN || !zdm_name_eq(k->ref_table, t->name))
                continue;
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_TABLE_REFERENCED, c->src, at,
                                       "table \"%s\" is referenced by foreign key \"%s\" of "
                                       "table \"%s\"", zdm_name_str(c->a, t->name), k->name,
                                       zdm_name_str(c->a, o->name));
            zdm_diag_hint(g, c->a, "Drop the foreign key first: alter table %s drop "
                                   "constraint %s;", zdm_name_str(c->a, o->name), k->name);
            return true;
        }
    }
    return false;
}

/* `drop table T keep` moves T aside to zdm_dropped_T (docs/language.md): the
 * name must be free and fit PostgreSQL's 63 bytes, since a later migration
 * drops it by that name. */
static bool keep_name(sema *c, const zdm_table *t, zdm_span at, zdm_name *out)
{
    *out = (zdm_name){t->name.schema, zdm_sprintf(c->a, "zdm_dropped_%s", t->name.name)};
    if (strlen(out->name) > 63) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_KEEP_NAME, c->src, at,
                                   "table name \"%s\" is too long to keep aside",
                                   t->name.name);
        zdm_diag_hint(g, c->a, "The kept table is renamed zdm_dropped_<name>, which must fit "
                               "in 63 bytes: rename the table to a shorter name first, or drop "
                               "it without `keep`.");
        return false;
    }
    if (zdm_schema_table(c->s, *out)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_KEEP_NAME, c->src, at,
                                   "table \"%s\" already exists: \"%s\" cannot be kept aside",
                                   zdm_name_str(c->a, *out), t->name.name);
        zdm_diag_hint(g, c->a, "A table kept aside earlier has that name: drop it first "
                               "(drop table %s;), or drop this one without `keep`.",
                      zdm_name_str(c->a, *out));
        return false;
    }
    return table_free(c, *out, at);
}

void sema_drop_table(sema *c, const ast_stmt *st)
{
    const ast_qname *q = &st->u.drop_table.table;
    zdm_table *t = sema_table(c, q);
    if (!t || referenced_elsewhere(c, t, q->span))
        return;
    zdm_op *op = sema_op(c, ZDM_OP_DROP_TABLE, st, t->name, t);
    if (st->u.drop_table.keep) {
        op->keep = true;
        if (!keep_name(c, t, st->span, &op->to))
            return;
    }
    sema_emit(c, op);
}

void sema_rename_table(sema *c, const ast_stmt *st)
{
    const ast_qname *to = &st->u.rename_table.to;
    zdm_table *t = sema_table(c, &st->u.rename_table.table);
    if (!t)
        return;
    zdm_name n = {t->name.schema, to->name.name};
    if (to->schema.name && !zdm_name_eq(sema_name(to), n)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_RENAME_SCHEMA, c->src, to->span,
                                   "rename cannot move a table to another schema");
        zdm_diag_hint(g, c->a, "A rename keeps the table in its schema: write the new name "
                               "without one. To move a table, use `execute` with a `revert`.");
        return;
    }
    if (!table_free(c, n, to->span))
        return;
    zdm_op *op = sema_op(c, ZDM_OP_RENAME_TABLE, st, t->name, t);
    op->to = n;
    sema_emit(c, op);
}

/* ---- indexes --------------------------------------------------------------------- */

static zdm_index_elem *index_elems(sema *c, const ast_stmt *st, const zdm_table *t)
{
    size_t n = st->u.create_index.elems.len;
    zdm_index_elem *v = ZDM_NEW_ARRAY(c->a, zdm_index_elem, n + 1);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const ast_index_elem *e = &st->u.create_index.elems.items[i];
        v[i].order = e->order;
        if (e->col.name) {
            v[i].col = e->col.name;
            ok = sema_column(c, t, &e->col) && ok;
        } else {
            v[i].expr = sema_value(c, e->expr);
        }
    }
    return ok ? v : NULL;
}

void sema_create_index(sema *c, const ast_stmt *st)
{
    zdm_table *t = sema_table(c, &st->u.create_index.table);
    if (!t)
        return;
    const ast_ident *name = &st->u.create_index.name;
    zdm_name n = {t->name.schema, name->name};
    bool free = !sema_relation_taken(c, n, name->span);
    zdm_index_elem *elems = index_elems(c, st, t);
    if (!free || !elems)
        return;
    zdm_index *x = ZDM_NEW(c->a, zdm_index);
    x->name = name->name;
    x->table = t->name;
    x->unique = st->u.create_index.unique;
    x->elems = elems;
    x->nelems = st->u.create_index.elems.len;
    x->where = sema_value(c, st->u.create_index.where);
    zdm_op *op = sema_op(c, ZDM_OP_CREATE_INDEX, st, t->name, t);
    op->index = x;
    sema_emit(c, op);
}

/* `drop index` of the index behind a primary key or unique constraint:
 * PostgreSQL refuses it; the constraint must be dropped instead. */
static bool constraint_index(sema *c, zdm_name n, zdm_span at)
{
    for (size_t i = 0; i < c->s->tables.len; i++) {
        const zdm_table *t = c->s->tables.items[i];
        const zdm_constraint *k = zdm_table_constraint(t, n.name);
        if (!k || k->kind > ZDM_CON_UNIQUE ||
            !zdm_name_eq((zdm_name){t->name.schema, ""}, (zdm_name){n.schema, ""}))
            continue;
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_INDEX_OF_CONSTRAINT, c->src, at,
                                   "index \"%s\" belongs to constraint \"%s\" of table \"%s\"",
                                   n.name, k->name, zdm_name_str(c->a, t->name));
        zdm_diag_hint(g, c->a, "Drop the constraint instead: alter table %s drop constraint %s;",
                      zdm_name_str(c->a, t->name), k->name);
        return true;
    }
    return false;
}

static void unknown_index(sema *c, zdm_name n, zdm_span at)
{
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_UNKNOWN_INDEX, c->src, at,
                               "unknown index \"%s\"", zdm_name_str(c->a, n));
    zdm_vec(const char *) names = {0};
    for (size_t i = 0; i < c->s->tables.len; i++)
        for (size_t j = 0; j < c->s->tables.items[i]->nindexes; j++)
            zdm_vec_push(c->a, &names, c->s->tables.items[i]->indexes[j]->name);
    const char *s = sema_suggest(n.name, names.items, names.len);
    if (s)
        zdm_diag_hint(g, c->a, "Did you mean \"%s\"?", s);
    else
        sema_baseline_hint(c, g, "index", zdm_name_str(c->a, n), "create index");
}

void sema_drop_index(sema *c, const ast_stmt *st)
{
    const ast_qname *q = &st->u.drop_index.name;
    const ast_qname *on = &st->u.drop_index.table;
    zdm_name n = sema_name(q);
    /* An index lives in its table's schema: `drop index i on app.t` is app.i. */
    if (!n.schema && on->name.name)
        n.schema = sema_name(on).schema;
    zdm_table *t = NULL;
    zdm_index *x = zdm_schema_index(c->s, n, &t);
    if (!x) {
        if (!constraint_index(c, n, q->span))
            unknown_index(c, n, q->span);
        return;
    }
    if (on->name.name && !zdm_name_eq(sema_name(on), t->name)) {
        zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_INDEX_TABLE, c->src, on->span,
                     "index \"%s\" is on table \"%s\", not \"%s\"", x->name,
                     zdm_name_str(c->a, t->name), zdm_name_str(c->a, sema_name(on)));
        return;
    }
    zdm_op *op = sema_op(c, ZDM_OP_DROP_INDEX, st, t->name, t);
    op->index = x;
    sema_emit(c, op);
}
