/*
 * sema.c - analysis driver: walks a file's statements in order against the
 * running schema model, and the helpers every statement family shares (name
 * resolution with "did you mean", AST -> IR value/type/column conversion, op
 * construction and emission).
 *
 * Names: an unqualified name lives in the default schema (schema NULL);
 * `public.x` is the same object as `x` (PostgreSQL's default schema), so
 * "public" folds to NULL here.
 */
#include "sema_int.h"

#include <string.h>

zdm_name sema_name(const ast_qname *q)
{
    const char *schema = q->schema.name;
    if (schema && strcmp(schema, "public") == 0)
        schema = NULL;
    return (zdm_name){schema, q->name.name};
}

const char *sema_suggest(const char *name, const char *const *cands, size_t n)
{
    const char *best = NULL;
    int best_d = 3;
    int cap = strlen(name) <= 3 ? 1 : 2;
    for (size_t i = 0; i < n; i++) {
        int dist = zdm_edit_distance(name, cands[i], cap);
        if (dist <= cap && dist < best_d) {
            best = cands[i];
            best_d = dist;
        }
    }
    return best;
}

/* Where a definition is missing, say which and how to give it: never guess.
 * `create` is the statement that would define it ("create table"). */
void sema_baseline_hint(sema *c, zdm_diag *g, const char *what, const char *name,
                        const char *create)
{
    zdm_diag_hint(g, c->a,
                  "zdm needs the definition of %s \"%s\" to check this change and write its "
                  "rollback, and the migration history (the .zdm files that sort before this "
                  "one) does not create it; if it exists in the database, add a baseline file "
                  "that sorts first (e.g. 0000_baseline.zdm) with its `%s` statement.",
                  what, name, create);
}

static const char **table_names(sema *c, const char *schema, size_t *n)
{
    const char **v = ZDM_NEW_ARRAY(c->a, const char *, c->s->tables.len + 1);
    *n = 0;
    for (size_t i = 0; i < c->s->tables.len; i++) {
        zdm_name tn = c->s->tables.items[i]->name;
        if (zdm_name_eq((zdm_name){tn.schema, ""}, (zdm_name){schema, ""}))
            v[(*n)++] = tn.name;
    }
    return v;
}

zdm_table *sema_table(sema *c, const ast_qname *q)
{
    zdm_name n = sema_name(q);
    zdm_table *t = zdm_schema_table(c->s, n);
    if (t)
        return t;
    const char *full = zdm_name_str(c->a, n);
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_UNKNOWN_TABLE, c->src, q->span,
                               "unknown table \"%s\"", full);
    size_t nn;
    const char **names = table_names(c, n.schema, &nn);
    const char *s = sema_suggest(n.name, names, nn);
    if (s)
        zdm_diag_hint(g, c->a, "Did you mean \"%s\"?", s);
    else
        sema_baseline_hint(c, g, "table", full, "create table");
    return NULL;
}

zdm_column *sema_column(sema *c, const zdm_table *t, const ast_ident *id)
{
    zdm_column *col = zdm_table_column(t, id->name);
    if (col)
        return col;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_UNKNOWN_COLUMN, c->src, id->span,
                               "unknown column \"%s\" in table \"%s\"", id->name,
                               zdm_name_str(c->a, t->name));
    const char **names = ZDM_NEW_ARRAY(c->a, const char *, t->ncols + 1);
    for (size_t i = 0; i < t->ncols; i++)
        names[i] = t->cols[i]->name;
    const char *s = sema_suggest(id->name, names, t->ncols);
    if (s)
        zdm_diag_hint(g, c->a, "Did you mean \"%s\"?", s);
    return NULL;
}

/* PostgreSQL keeps tables, indexes and the indexes behind primary key and
 * unique constraints in one namespace per schema. */
bool sema_relation_taken(sema *c, zdm_name n, zdm_span at)
{
    const char *what = NULL;
    for (size_t i = 0; i < c->s->tables.len && !what; i++) {
        const zdm_table *t = c->s->tables.items[i];
        if (!zdm_name_eq((zdm_name){t->name.schema, ""}, (zdm_name){n.schema, ""}))
            continue;
        if (strcmp(t->name.name, n.name) == 0)
            what = "a table";
        for (size_t j = 0; j < t->nindexes && !what; j++)
            if (strcmp(t->indexes[j]->name, n.name) == 0)
                what = zdm_sprintf(c->a, "an index on table \"%s\"", t->name.name);
        for (size_t j = 0; j < t->ncons && !what; j++)
            if (t->cons[j]->kind <= ZDM_CON_UNIQUE && strcmp(t->cons[j]->name, n.name) == 0)
                what = zdm_sprintf(c->a, "the index of constraint \"%s\" on table \"%s\"",
                                   t->cons[j]->name, t->name.name);
    }
    if (!what)
        return false;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_NAME_TAKEN, c->src, at,
                               "name \"%s\" is already taken by %s",
                               zdm_name_str(c->a, n), what);
    zdm_diag_hint(g, c->a, "Tables and indexes share one namespace per schema; choose "
                           "another name.");
    return true;
}

/* ---- AST -> IR ------------------------------------------------------------- */

const zdm_value *sema_value(sema *c, const ast_expr *e)
{
    if (!e)
        return NULL;
    zdm_value *v = ZDM_NEW(c->a, zdm_value);
    v->text = e->text;
    switch (e->kind) {
    case AST_LIT_NUMBER: v->kind = ZDM_V_NUMBER; break;
    case AST_LIT_STRING: v->kind = ZDM_V_STRING; break;
    case AST_LIT_TRUE: v->kind = ZDM_V_BOOL; v->b = true; break;
    case AST_LIT_FALSE: v->kind = ZDM_V_BOOL; break;
    case AST_LIT_NULL: v->kind = ZDM_V_NULL; break;
    case AST_RAW: v->kind = ZDM_V_RAW; break;
    }
    if (e->kind == AST_RAW && e->variants.len) {
        zdm_variant *vs = ZDM_NEW_ARRAY(c->a, zdm_variant, e->variants.len);
        for (size_t i = 0; i < e->variants.len; i++)
            vs[i] = (zdm_variant){e->variants.items[i].family, e->variants.items[i].text};
        v->variants = vs;
        v->nvariants = e->variants.len;
    }
    return v;
}

zdm_coltype sema_type(const ast_type *t)
{
    return (zdm_coltype){t->kind, t->name, t->p, t->s, t->args, t->array};
}

zdm_column *sema_column_new(sema *c, const ast_coldef *cd)
{
    zdm_column *col = ZDM_NEW(c->a, zdm_column);
    col->name = cd->name.name;
    col->type = sema_type(&cd->type);
    col->not_null = cd->null == ZDM_NULL_NOT_NULL || cd->identity != ZDM_IDENTITY_NONE;
    col->def = sema_value(c, cd->def);
    if (col->def && col->def->kind == ZDM_V_NULL)
        col->def = NULL; /* `default null` is no default */
    col->identity = cd->identity;
    if (cd->autoinc && col->identity == ZDM_IDENTITY_NONE && !cd->type.serial)
        col->identity = ZDM_IDENTITY_BY_DEFAULT; /* autoincrement: numbered by the database */
    col->not_null = col->not_null || cd->autoinc;
    col->autoincrement = cd->autoinc;
    col->collate = cd->collate.name;
    col->serial = cd->type.serial;
    if (col->serial)
        col->not_null = true; /* serial implies NOT NULL in PostgreSQL */
    return col;
}

const char **sema_idents(sema *c, const ast_ident_list *l)
{
    const char **v = ZDM_NEW_ARRAY(c->a, const char *, l->len + 1);
    for (size_t i = 0; i < l->len; i++)
        v[i] = l->items[i].name;
    return v;
}

static const char *stmt_source(sema *c, const ast_stmt *st)
{
    return zdm_strndup(c->a, c->src->text + st->span.start, st->span.end - st->span.start);
}

zdm_op *sema_op(sema *c, zdm_op_kind k, const ast_stmt *st, zdm_name table,
                const zdm_table *before)
{
    zdm_op *op = ZDM_NEW(c->a, zdm_op);
    op->kind = k;
    op->span = st->span;
    op->source = stmt_source(c, st);
    op->table = table;
    op->before = before;
    op->rows = before ? before->rows : 0;
    return op;
}

void sema_emit(sema *c, zdm_op *op)
{
    if (!op->after)
        op->after = zdm_op_table_after(c->a, op);
    if (!op->enum_after)
        op->enum_after = zdm_op_enum_after(c->a, op);
    zdm_schema_apply(c->s, op);
    zdm_vec_push(c->a, &c->m->ops, op);
}

/* ---- the driver ----------------------------------------------------------------- */

static bool is_header(ast_stmt_kind k)
{
    return k == AST_MIGRATION || k == AST_ASSUME || k == AST_SET;
}

static void header_late(sema *c, const ast_stmt *st)
{
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_HEADER_LATE, c->src, st->span,
                               "header statement after a change");
    zdm_diag_hint(g, c->a, "Move `migration`, `assume` and `set` to the top of the file, "
                           "before the first change.");
}

static void statement(sema *c, const ast_stmt *st)
{
    if (is_header(st->kind) && c->changed)
        header_late(c, st);
    c->changed = c->changed || !is_header(st->kind);
    switch (st->kind) {
    case AST_MIGRATION: sema_migration(c, st); break;
    case AST_ASSUME: sema_assume_stmt(c, st); break;
    case AST_SET: sema_set(c, st); break;
    case AST_CREATE_TABLE: sema_create_table(c, st); break;
    case AST_DROP_TABLE: sema_drop_table(c, st); break;
    case AST_RENAME_TABLE: sema_rename_table(c, st); break;
    case AST_ALTER_TABLE: sema_alter_table(c, st); break;
    case AST_CREATE_INDEX: sema_create_index(c, st); break;
    case AST_DROP_INDEX: sema_drop_index(c, st); break;
    case AST_BACKFILL: sema_backfill(c, st); break;
    case AST_CREATE_ENUM: sema_create_enum(c, st); break;
    case AST_ALTER_ENUM: sema_alter_enum(c, st); break;
    case AST_EXECUTE: sema_execute(c, st); break;
    }
}

zdm_migration *sema__run(zdm_arena *a, zdm_diags *d, const ast_file *file,
                         const zdm_schema *base)
{
    sema c = {.a = a, .d = d, .src = file->src, .file = file};
    c.m = ZDM_NEW(a, zdm_migration);
    c.m->src = file->src;
    c.m->settings = (zdm_settings){-1, -1, -1, -1, -1};
    c.m->base = base ? base : zdm_schema_new(a);
    c.s = zdm_schema_copy(c.m->base);
    for (c.at = 0; c.at < file->stmts.len; c.at++) {
        statement(&c, file->stmts.items[c.at]);
        sema_deferred(&c);
    }
    c.m->final = c.s;
    return c.m;
}

zdm_migration *zdm_analyze(zdm_arena *a, zdm_diags *d, const ast_file *file,
                           const zdm_schema *base)
{
    unsigned before = d->nerrors;
    zdm_migration *m = sema__run(a, d, file, base);
    return d->nerrors > before ? NULL : m;
}
