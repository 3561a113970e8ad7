/*
 * sema_data.c - data changes and the remaining statements: `backfill` (keyed
 * on the primary key, so a table without one is refused), enum types, and
 * `execute` (raw SQL: passed through, no effect on the model).
 */
#include "sema_int.h"

#include <math.h>
#include <string.h>

#define MAX_BATCH 10000000.0

/* ---- backfill ---------------------------------------------------------------- */

static bool set_column_ok(sema *c, const zdm_table *t, const ast_stmt *st, size_t i)
{
    const ast_set_item *it = &st->u.backfill.sets.items[i];
    const zdm_column *col = sema_column(c, t, &it->col);
    if (!col)
        return false;
    for (size_t j = 0; j < i; j++)
        if (strcmp(st->u.backfill.sets.items[j].col.name, it->col.name) == 0) {
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_DUP_LIST_COLUMN, c->src,
                                       it->col.span, "column \"%s\" set twice", it->col.name);
            zdm_diag_note(g, c->a, st->u.backfill.sets.items[j].col.span, "first set here");
            return false;
        }
    if (col->identity == ZDM_IDENTITY_ALWAYS) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_BACKFILL_IDENTITY, c->src,
                                   it->col.span, "column \"%s\" is generated always as identity",
                                   it->col.name);
        zdm_diag_hint(g, c->a, "The database writes this column itself; it cannot be set.");
        return false;
    }
    return true;
}

static bool has_primary_key(sema *c, const zdm_table *t, const ast_qname *q)
{
    if (zdm_table_primary_key(t))
        return true;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_BACKFILL_NO_PK, c->src, q->span,
                               "cannot backfill table \"%s\": it has no primary key",
                               zdm_name_str(c->a, t->name));
    zdm_diag_hint(g, c->a, "Backfill batches are keyed on the primary key; add one first "
                           "(alter table %s add primary key (...);).",
                  zdm_name_str(c->a, t->name));
    return false;
}

static bool batch_ok(sema *c, const ast_count *b)
{
    if (!b || (b->value >= 1 && b->value <= MAX_BATCH && floor(b->value) == b->value))
        return true;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_BATCH, c->src, b->span,
                               "batch must be a whole number of rows from 1 to 10M");
    zdm_diag_hint(g, c->a, "Write a row count, e.g. batch 5000.");
    return false;
}

void sema_backfill(sema *c, const ast_stmt *st)
{
    const ast_qname *q = &st->u.backfill.table;
    zdm_table *t = sema_table(c, q);
    if (!t)
        return;
    bool ok = has_primary_key(c, t, q);
    size_t n = st->u.backfill.sets.len;
    zdm_set_clause *sets = ZDM_NEW_ARRAY(c->a, zdm_set_clause, n + 1);
    for (size_t i = 0; i < n; i++) {
        ok = set_column_ok(c, t, st, i) && ok;
        sets[i].col = st->u.backfill.sets.items[i].col.name;
        sets[i].value = sema_value(c, st->u.backfill.sets.items[i].value);
    }
    if (!batch_ok(c, st->u.backfill.batch) || !ok)
        return;
    zdm_op *op = sema_op(c, ZDM_OP_BACKFILL, st, t->name, t);
    op->sets = sets;
    op->nsets = n;
    op->where = sema_value(c, st->u.backfill.where);
    op->batch = st->u.backfill.batch ? (uint64_t)st->u.backfill.batch->value : 0;
    sema_emit(c, op);
}

/* ---- enums ------------------------------------------------------------------------- */

static bool enum_name_free(sema *c, zdm_name n, zdm_span at)
{
    const char *what = zdm_schema_enum(c->s, n) ? "type" : zdm_schema_table(c->s, n) ? "table"
                                                                                     : NULL;
    if (!what)
        return true;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ENUM_EXISTS, c->src, at,
                               "%s \"%s\" already exists", what, zdm_name_str(c->a, n));
    zdm_diag_hint(g, c->a, "Types and tables share one namespace per schema; choose another "
                           "name.");
    return false;
}

static bool labels_unique(sema *c, const ast_stmt *st)
{
    for (size_t i = 0; i < st->u.create_enum.labels.len; i++)
        for (size_t j = 0; j < i; j++) {
            const ast_expr *a = &st->u.create_enum.labels.items[j];
            const ast_expr *b = &st->u.create_enum.labels.items[i];
            if (strcmp(a->text, b->text) != 0)
                continue;
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ENUM_VALUE_EXISTS, c->src,
                                       b->span, "enum label '%s' listed twice", b->text);
            zdm_diag_note(g, c->a, a->span, "first listed here");
            return false;
        }
    return true;
}

void sema_create_enum(sema *c, const ast_stmt *st)
{
    zdm_name n = sema_name(&st->u.create_enum.name);
    if (!enum_name_free(c, n, st->u.create_enum.name.span) || !labels_unique(c, st))
        return;
    zdm_enum *e = ZDM_NEW(c->a, zdm_enum);
    e->name = n;
    e->nlabels = st->u.create_enum.labels.len;
    e->labels = ZDM_NEW_ARRAY(c->a, const char *, e->nlabels + 1);
    for (size_t i = 0; i < e->nlabels; i++)
        e->labels[i] = st->u.create_enum.labels.items[i].text;
    zdm_op *op = sema_op(c, ZDM_OP_CREATE_ENUM, st, n, NULL);
    op->enum_after = e;
    sema_emit(c, op);
}

static zdm_enum *enum_lookup(sema *c, const ast_qname *q)
{
    zdm_name n = sema_name(q);
    zdm_enum *e = zdm_schema_enum(c->s, n);
    if (e)
        return e;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_UNKNOWN_ENUM, c->src, q->span,
                               "unknown enum type \"%s\"", zdm_name_str(c->a, n));
    zdm_vec(const char *) names = {0};
    for (size_t i = 0; i < c->s->enums.len; i++)
        zdm_vec_push(c->a, &names, c->s->enums.items[i]->name.name);
    const char *s = sema_suggest(n.name, names.items, names.len);
    if (s)
        zdm_diag_hint(g, c->a, "Did you mean \"%s\"?", s);
    else
        sema_baseline_hint(c, g, "enum type", zdm_name_str(c->a, n), "create type");
    return NULL;
}

static bool has_label(const zdm_enum *e, const char *label)
{
    for (size_t i = 0; i < e->nlabels; i++)
        if (strcmp(e->labels[i], label) == 0)
            return true;
    return false;
}

void sema_alter_enum(sema *c, const ast_stmt *st)
{
    zdm_enum *e = enum_lookup(c, &st->u.alter_enum.name);
    if (!e)
        return;
    const ast_expr *v = &st->u.alter_enum.value, *anchor = &st->u.alter_enum.anchor;
    if (has_label(e, v->text)) {
        zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ENUM_VALUE_EXISTS, c->src, v->span,
                     "enum type \"%s\" already has the value '%s'",
                     zdm_name_str(c->a, e->name), v->text);
        return;
    }
    bool anchored = st->u.alter_enum.pos != AST_ENUM_END;
    if (anchored && !has_label(e, anchor->text)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ENUM_ANCHOR, c->src, anchor->span,
                                   "enum type \"%s\" has no value '%s'",
                                   zdm_name_str(c->a, e->name), anchor->text);
        const char *s = sema_suggest(anchor->text, e->labels, e->nlabels);
        if (s)
            zdm_diag_hint(g, c->a, "Did you mean '%s'?", s);
        return;
    }
    zdm_op *op = sema_op(c, ZDM_OP_ADD_ENUM_VALUE, st, e->name, NULL);
    op->enum_before = e;
    op->value = v->text;
    op->anchor = anchored ? anchor->text : NULL;
    op->anchor_pos = (zdm_enum_pos)st->u.alter_enum.pos;
    sema_emit(c, op);
}

/* ---- execute ------------------------------------------------------------------------- */

void sema_execute(sema *c, const ast_stmt *st)
{
    zdm_op *op = sema_op(c, ZDM_OP_EXECUTE, st, (zdm_name){NULL, NULL}, NULL);
    op->using_ = sema_value(c, st->u.execute.sql);
    op->revert = sema_value(c, st->u.execute.revert);
    op->irreversible = st->u.execute.irreversible || !st->u.execute.revert;
    sema_emit(c, op);
}
