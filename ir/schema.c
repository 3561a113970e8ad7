/*
 * schema.c - the schema model: lookups, and zdm_schema_apply, which moves the
 * model forward by one op with copy-on-write.
 *
 * Invariant: a published table, column, constraint, index or enum is never
 * written again. A change builds a new table (new pointer arrays; unchanged
 * objects shared), and the schema's slot is pointed at it. Ops hold `before`
 * and `after` pointers into this history, so they stay true forever.
 * Effects follow PostgreSQL: dropping a column drops the indexes and the
 * constraints that use it; a primary key makes its columns NOT NULL; dropping
 * a table drops its indexes; renames follow into indexes and foreign keys.
 */
#include "ir.h"

#include <string.h>

zdm_schema *zdm_schema_new(zdm_arena *a)
{
    zdm_schema *s = ZDM_NEW(a, zdm_schema);
    s->arena = a;
    return s;
}

zdm_schema *zdm_schema_copy(const zdm_schema *s)
{
    zdm_schema *c = zdm_schema_new(s->arena);
    for (size_t i = 0; i < s->tables.len; i++)
        zdm_vec_push(c->arena, &c->tables, s->tables.items[i]);
    for (size_t i = 0; i < s->enums.len; i++)
        zdm_vec_push(c->arena, &c->enums, s->enums.items[i]);
    return c;
}

static int table_slot(const zdm_schema *s, zdm_name n)
{
    for (size_t i = 0; i < s->tables.len; i++)
        if (zdm_name_eq(s->tables.items[i]->name, n))
            return (int)i;
    return -1;
}

zdm_table *zdm_schema_table(const zdm_schema *s, zdm_name n)
{
    int i = table_slot(s, n);
    return i < 0 ? NULL : s->tables.items[i];
}

static int enum_slot(const zdm_schema *s, zdm_name n)
{
    for (size_t i = 0; i < s->enums.len; i++)
        if (zdm_name_eq(s->enums.items[i]->name, n))
            return (int)i;
    return -1;
}

zdm_enum *zdm_schema_enum(const zdm_schema *s, zdm_name n)
{
    int i = enum_slot(s, n);
    return i < 0 ? NULL : s->enums.items[i];
}

int zdm_table_column_index(const zdm_table *t, const char *col)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i]->name, col) == 0)
            return (int)i;
    return -1;
}

zdm_column *zdm_table_column(const zdm_table *t, const char *col)
{
    int i = zdm_table_column_index(t, col);
    return i < 0 ? NULL : t->cols[i];
}

zdm_constraint *zdm_table_constraint(const zdm_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncons; i++)
        if (strcmp(t->cons[i]->name, name) == 0)
            return t->cons[i];
    return NULL;
}

const zdm_constraint *zdm_table_primary_key(const zdm_table *t)
{
    for (size_t i = 0; i < t->ncons; i++)
        if (t->cons[i]->kind == ZDM_CON_PRIMARY)
            return t->cons[i];
    return NULL;
}

static bool same_schema(const char *a, const char *b)
{
    return zdm_name_eq((zdm_name){a, ""}, (zdm_name){b, ""});
}

zdm_index *zdm_schema_index(const zdm_schema *s, zdm_name n, zdm_table **table_out)
{
    for (size_t i = 0; i < s->tables.len; i++) {
        zdm_table *t = s->tables.items[i];
        if (!same_schema(t->name.schema, n.schema))
            continue;
        for (size_t j = 0; j < t->nindexes; j++)
            if (strcmp(t->indexes[j]->name, n.name) == 0) {
                if (table_out)
                    *table_out = t;
                return t->indexes[j];
            }
    }
    if (table_out)
        *table_out = NULL;
    return NULL;
}

bool zdm_migration_column_is_new(const zdm_migration *m, zdm_name table, const char *col)
{
    const zdm_table *t = m->base ? zdm_schema_table(m->base, table) : NULL;
    return !t || !zdm_table_column(t, col);
}

/* ---- copy-on-write building blocks ------------------------------------------ */

/* A new table object with its own pointer arrays (room for one more of each),
 * sharing every column, constraint and index with `t`. */
static zdm_table *table_clone(zdm_arena *a, const zdm_table *t)
{
    zdm_table *c = ZDM_NEW(a, zdm_table);
    *c = *t;
    c->cols = ZDM_NEW_ARRAY(a, zdm_column *, t->ncols + 1);
    c->cons = ZDM_NEW_ARRAY(a, zdm_constraint *, t->ncons + 1);
    c->indexes = ZDM_NEW_ARRAY(a, zdm_index *, t->nindexes + 1);
    if (t->ncols)
        memcpy(c->cols, t->cols, t->ncols * sizeof *c->cols);
    if (t->ncons)
        memcpy(c->cons, t->cons, t->ncons * sizeof *c->cons);
    if (t->nindexes)
        memcpy(c->indexes, t->indexes, t->nindexes * sizeof *c->indexes);
    return c;
}

static bool list_has(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* A copy of a name list with `from` renamed to `to`. */
static const char **list_rename(zdm_arena *a, const char **v, size_t n, const char *from,
                                const char *to)
{
    const char **c = ZDM_NEW_ARRAY(a, const char *, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        c[i] = strcmp(v[i], from) == 0 ? to : v[i];
    return c;
}

static bool con_uses(const zdm_constraint *k, const char *col)
{
    if (k->kind == ZDM_CON_CHECK)
        return k->check && zdm_raw_mentions(k->check->text, col);
    return list_has(k->cols, k->ncols, col);
}

static bool index_uses(const zdm_index *x, const char *col)
{
    for (size_t i = 0; i < x->nelems; i++) {
        const zdm_index_elem *e = &x->elems[i];
        if (e->col ? strcmp(e->col, col) == 0 : zdm_raw_mentions(e->expr->text, col))
            return true;
    }
    return x->where && zdm_raw_mentions(x->where->text, col);
}

static zdm_index *index_rename_col(zdm_arena *a, const zdm_index *x, const char *from,
                                   const char *to)
{
    zdm_index *c = ZDM_NEW(a, zdm_index);
    *c = *x;
    zdm_index_elem *e = ZDM_NEW_ARRAY(a, zdm_index_elem, x->nelems ? x->nelems : 1);
    for (size_t i = 0; i < x->nelems; i++) {
        e[i] = x->elems[i];
        if (e[i].col && strcmp(e[i].col, from) == 0)
            e[i].col = to;
    }
    c->elems = e;
    return c;
}

/* ---- the after-image of each op ----------------------------------------------- */

static void replace_col(zdm_table *t, const char *name, const zdm_column *col)
{
    int i = zdm_table_column_index(t, name);
    if (i >= 0)
        t->cols[i] = (zdm_column *)col;
}

static void drop_column(zdm_table *t, const char *col)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i]->name, col) != 0)
            t->cols[n++] = t->cols[i];
    t->ncols = n;
    n = 0;
    for (size_t i = 0; i < t->ncons; i++)
        if (!con_uses(t->cons[i], col))
            t->cons[n++] = t->cons[i];
    t->ncons = n;
    n = 0;
    for (size_t i = 0; i < t->nindexes; i++)
        if (!index_uses(t->indexes[i], col))
            t->indexes[n++] = t->indexes[i];
    t->nindexes = n;
}

/* A constraint with column `from` renamed to `to`, in its own columns (when
 * `own`) and in the columns it references on table `ref` (FKs). */
static zdm_constraint *con_rename_col(zdm_arena *a, const zdm_constraint *k, bool own,
                                      zdm_name ref, const char *from, const char *to)
{
    zdm_constraint *c = ZDM_NEW(a, zdm_constraint);
    *c = *k;
    if (own)
        c->cols = list_rename(a, k->cols, k->ncols, from, to);
    if (k->kind == ZDM_CON_FOREIGN && zdm_name_eq(k->ref_table, ref))
        c->ref_cols = list_rename(a, k->ref_cols, k->nref_cols, from, to);
    return c;
}

static void rename_column(zdm_arena *a, zdm_table *t, const zdm_op *op)
{
    const char *from = op->old_col->name, *to = op->col->name;
    replace_col(t, from, op->col);
    for (size_t i = 0; i < t->ncons; i++)
        t->cons[i] = con_rename_col(a, t->cons[i], true, t->name, from, to);
    for (size_t i = 0; i < t->nindexes; i++)
        if (index_uses(t->indexes[i], from))
            t->indexes[i] = index_rename_col(a, t->indexes[i], from, to);
}

/* A primary key makes its columns NOT NULL (as in PostgreSQL). */
static void primary_key_not_null(zdm_arena *a, zdm_table *t, const zdm_constraint *k)
{
    for (size_t i = 0; i < k->ncols; i++) {
        zdm_column *c = zdm_table_column(t, k->cols[i]);
        if (!c || c->not_null)
            continue;
        zdm_column *n = ZDM_NEW(a, zdm_column);
        *n = *c;
        n->not_null = true;
        replace_col(t, c->name, n);
    }
}

static void remove_constraint(zdm_table *t, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ncons; i++)
        if (strcmp(t->cons[i]->name, name) != 0)
            t->cons[n++] = t->cons[i];
    t->ncons = n;
}

static void remove_index(zdm_table *t, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nindexes; i++)
        if (strcmp(t->indexes[i]->name, name) != 0)
            t->indexes[n++] = t->indexes[i];
    t->nindexes = n;
}

/* Renaming a table renames the table in its indexes and in its own
 * self-referencing foreign keys. */
static void rename_table(zdm_arena *a, zdm_table *t, zdm_name to)
{
    zdm_name from = t->name;
    t->name = to;
    for (size_t i = 0; i < t->nindexes; i++) {
        zdm_index *x = ZDM_NEW(a, zdm_index);
        *x = *t->indexes[i];
        x->table = to;
        t->indexes[i] = x;
    }
    for (size_t i = 0; i < t->ncons; i++)
        if (t->cons[i]->kind == ZDM_CON_FOREIGN && zdm_name_eq(t->cons[i]->ref_table, from)) {
            zdm_constraint *k = ZDM_NEW(a, zdm_constraint);
            *k = *t->cons[i];
            k->ref_table = to;
            t->cons[i] = k;
        }
}

static void alter_in_place_kinds(zdm_arena *a, zdm_table *t, const zdm_op *op)
{
    switch (op->kind) {
    case ZDM_OP_ADD_COLUMN:
        t->cols[t->ncols++] = (zdm_column *)op->col;
        break;
    case ZDM_OP_DROP_COLUMN:
        drop_column(t, op->old_col->name);
        break;
    case ZDM_OP_RENAME_COLUMN:
        rename_column(a, t, op);
        break;
    case ZDM_OP_ADD_CONSTRAINT:
        t->cons[t->ncons++] = (zdm_constraint *)op->con;
        if (op->con->kind == ZDM_CON_PRIMARY)
            primary_key_not_null(a, t, op->con);
        break;
    case ZDM_OP_DROP_CONSTRAINT:
        remove_constraint(t, op->con->name);
        break;
    case ZDM_OP_CREATE_INDEX:
        t->indexes[t->nindexes++] = (zdm_index *)op->index;
        break;
    case ZDM_OP_DROP_INDEX:
        remove_index(t, op->index->name);
        break;
    case ZDM_OP_RENAME_TABLE:
        rename_table(a, t, op->to);
        break;
    default: /* the column-replacing kinds */
        replace_col(t, op->old_col->name, op->col);
        break;
    }
}

const zdm_table *zdm_op_table_after(zdm_arena *a, const zdm_op *op)
{
    switch (op->kind) {
    case ZDM_OP_CREATE_TABLE:
        return op->after;
    case ZDM_OP_DROP_TABLE:
        if (op->keep) { /* the table lives on under its aside name */
            zdm_table *k = table_clone(a, op->before);
            rename_table(a, k, op->to);
            return k;
        }
        return NULL;
    case ZDM_OP_CREATE_ENUM:
    case ZDM_OP_ADD_ENUM_VALUE:
    case ZDM_OP_EXECUTE:
    case ZDM_OP__COUNT:
        return NULL;
    case ZDM_OP_BACKFILL: /* data only: the table is unchanged */
        return op->before;
    default:
        break;
    }
    zdm_table *t = table_clone(a, op->before);
    alter_in_place_kinds(a, t, op);
    return t;
}

const zdm_enum *zdm_op_enum_after(zdm_arena *a, const zdm_op *op)
{
    if (op->kind == ZDM_OP_CREATE_ENUM)
        return op->enum_after;
    if (op->kind != ZDM_OP_ADD_ENUM_VALUE)
        return NULL;
    const zdm_enum *e = op->enum_before;
    zdm_enum *c = ZDM_NEW(a, zdm_enum);
    *c = *e;
    c->labels = ZDM_NEW_ARRAY(a, const char *, e->nlabels + 1);
    size_t at = e->nlabels;
    for (size_t i = 0; op->anchor_pos != ZDM_ENUM_END && i < e->nlabels; i++)
        if (strcmp(e->labels[i], op->anchor) == 0)
            at = op->anchor_pos == ZDM_ENUM_BEFORE ? i : i + 1;
    for (size_t i = 0, j = 0; i <= e->nlabels; i++)
        c->labels[i] = i == at ? op->value : e->labels[j++];
    c->nlabels = e->nlabels + 1;
    return c;
}

/* ---- effects on other tables ------------------------------------------------------ */

/* Foreign keys elsewhere follow a renamed table or referenced column. */
static void follow_references(zdm_schema *s, const zdm_op *op)
{
    zdm_name ref = op->table;
    for (size_t i = 0; i < s->tables.len; i++) {
        const zdm_table *t = s->tables.items[i];
        if (zdm_name_eq(t->name, op->kind == ZDM_OP_RENAME_TABLE ? op->to : op->table))
            continue; /* the op's own table: its after-image already did this */
        zdm_table *c = NULL;
        for (size_t j = 0; j < t->ncons; j++) {
            const zdm_constraint *k = t->cons[j];
            if (k->kind != ZDM_CON_FOREIGN || !zdm_name_eq(k->ref_table, ref))
                continue;
            if (!c)
                c = table_clone(s->arena, t);
            zdm_constraint *n;
            if (op->kind == ZDM_OP_RENAME_TABLE) {
                n = ZDM_NEW(s->arena, zdm_constraint);
                *n = *k;
                n->ref_table = op->to;
            } else {
                n = con_rename_col(s->arena, k, false, ref, op->old_col->name, op->col->name);
            }
            c->cons[j] = n;
        }
        if (c)
            s->tables.items[i] = c;
    }
}

static void apply_enum(zdm_schema *s, const zdm_op *op)
{
    const zdm_enum *e = op->enum_after ? op->enum_after : zdm_op_enum_after(s->arena, op);
    int i = enum_slot(s, op->table);
    if (i < 0)
        zdm_vec_push(s->arena, &s->enums, (zdm_enum *)e);
    else
        s->enums.items[i] = (zdm_enum *)e;
}

static void remove_table(zdm_schema *s, zdm_name n)
{
    int i = table_slot(s, n);
    if (i < 0)
        return;
    memmove(&s->tables.items[i], &s->tables.items[i + 1],
            (s->tables.len - (size_t)i - 1) * sizeof s->tables.items[0]);
    s->tables.len--;
}

void zdm_schema_apply(zdm_schema *s, const zdm_op *op)
{
    switch (op->kind) {
    case ZDM_OP_EXECUTE: /* raw SQL: the compiler cannot see what it does */
    case ZDM_OP_BACKFILL: /* data only */
    case ZDM_OP__COUNT:
        return;
    case ZDM_OP_CREATE_ENUM:
    case ZDM_OP_ADD_ENUM_VALUE:
        apply_enum(s, op);
        return;
    case ZDM_OP_DROP_TABLE:
        if (!op->keep) {
            remove_table(s, op->table); /* its indexes live in it and go with it */
            return;
        }
        break; /* kept: renamed aside, below */
    case ZDM_OP_CREATE_TABLE:
        zdm_vec_push(s->arena, &s->tables, (zdm_table *)op->after);
        return;
    default:
        break;
    }
    const zdm_table *after = op->after ? op->after : zdm_op_table_after(s->arena, op);
    int i = table_slot(s, op->table);
    if (i >= 0)
        s->tables.items[i] = (zdm_table *)after;
    if (op->kind == ZDM_OP_RENAME_TABLE || op->kind == ZDM_OP_RENAME_COLUMN)
        follow_references(s, op);
}
