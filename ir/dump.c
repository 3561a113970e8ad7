/*
 * dump.c - zdm_ir_dump: the IR as text, for tests and `zdm compile --dump-ir`.
 *
 * Deterministic: the same migration always prints the same bytes (no
 * addresses, objects in model order). Layout: the title and settings, one
 * line per op holding every field ops.def lists for its kind (tables printed
 * whole), then the final schema, one table or enum per line.
 */
#include "ir.h"

#include <inttypes.h>
#include <string.h>

/* Source text on one line: newlines and tabs as \n and \t. */
static void put_oneline(zdm_buf *b, const char *s)
{
    zdm_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '\n')
            zdm_buf_puts(b, "\\n");
        else if (*s == '\t')
            zdm_buf_puts(b, "\\t");
        else if (*s == '\r')
            zdm_buf_puts(b, "\\r");
        else if (*s == '"' || *s == '\\')
            zdm_buf_printf(b, "\\%c", *s);
        else
            zdm_buf_putc(b, *s);
    }
    zdm_buf_putc(b, '"');
}

static void put_value(zdm_buf *b, const zdm_value *v)
{
    switch (v->kind) {
    case ZDM_V_NUMBER: zdm_buf_puts(b, v->text); break;
    case ZDM_V_STRING: zdm_buf_quoted(b, v->text, '\''); break;
    case ZDM_V_BOOL: zdm_buf_puts(b, v->b ? "true" : "false"); break;
    case ZDM_V_NULL: zdm_buf_puts(b, "null"); break;
    case ZDM_V_RAW:
        zdm_buf_puts(b, v->text);
        for (size_t i = 0; i < v->nvariants; i++)
            zdm_buf_printf(b, " %s %s", v->variants[i].family, v->variants[i].text);
        break;
    }
}

static void put_name(zdm_buf *b, zdm_name n)
{
    if (n.schema)
        zdm_buf_printf(b, "%s.", n.schema);
    zdm_buf_puts(b, n.name ? n.name : "?");
}

static void put_list(zdm_buf *b, const char *const *v, size_t n)
{
    zdm_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++)
        zdm_buf_printf(b, "%s%s", i ? ", " : "", v[i]);
    zdm_buf_putc(b, ')');
}

static void put_column(zdm_buf *b, const zdm_column *c)
{
    zdm_buf_printf(b, "%s %s", c->name, zdm_coltype_str(b->arena, &c->type));
    if (c->not_null)
        zdm_buf_puts(b, " not null");
    if (c->def) {
        zdm_buf_puts(b, " default ");
        put_value(b, c->def);
    }
    if (c->identity)
        zdm_buf_puts(b, c->identity == ZDM_IDENTITY_ALWAYS ? " identity always"
                                                           : " identity by default");
    if (c->serial)
        zdm_buf_puts(b, " serial");
    if (c->autoincrement)
        zdm_buf_puts(b, " autoincrement");
    if (c->collate)
        zdm_buf_printf(b, " collate %s", c->collate);
}

static void put_fk(zdm_buf *b, const zdm_constraint *k)
{
    zdm_buf_puts(b, " references ");
    put_name(b, k->ref_table);
    zdm_buf_putc(b, ' ');
    put_list(b, k->ref_cols, k->nref_cols);
    if (k->on_delete)
        zdm_buf_printf(b, " on delete %s", zdm_fk_action_name(k->on_delete));
    if (k->on_update)
        zdm_buf_printf(b, " on update %s", zdm_fk_action_name(k->on_update));
}

static void put_constraint(zdm_buf *b, const zdm_constraint *k)
{
    static const char *const kinds[] = {"primary key", "unique", "foreign key", "check"};
    /* [auto]: the name is PostgreSQL's default, not written by the user */
    zdm_buf_printf(b, "constraint %s%s %s", k->name, k->name_given ? "" : "[auto]",
                   kinds[k->kind]);
    if (k->kind == ZDM_CON_CHECK) {
        zdm_buf_putc(b, ' ');
        put_value(b, k->check);
        return;
    }
    zdm_buf_putc(b, ' ');
    put_list(b, k->cols, k->ncols);
    if (k->kind == ZDM_CON_FOREIGN)
        put_fk(b, k);
}

static void put_index(zdm_buf *b, const zdm_index *x)
{
    zdm_buf_printf(b, "%sindex %s on ", x->unique ? "unique " : "", x->name);
    put_name(b, x->table);
    zdm_buf_puts(b, " (");
    for (size_t i = 0; i < x->nelems; i++) {
        const zdm_index_elem *e = &x->elems[i];
        if (i)
            zdm_buf_puts(b, ", ");
        if (e->col)
            zdm_buf_puts(b, e->col);
        else
            put_value(b, e->expr);
        if (e->order)
            zdm_buf_puts(b, e->order == ZDM_ORDER_ASC ? " asc" : " desc");
    }
    zdm_buf_putc(b, ')');
    if (x->where) {
        zdm_buf_puts(b, " where ");
        put_value(b, x->where);
    }
}

static void put_table(zdm_buf *b, const zdm_table *t)
{
    if (!t) {
        zdm_buf_puts(b, "-");
        return;
    }
    put_name(b, t->name);
    zdm_buf_puts(b, " {");
    for (size_t i = 0; i < t->ncols; i++) {
        zdm_buf_puts(b, i ? ", " : "");
        put_column(b, t->cols[i]);
    }
    for (size_t i = 0; i < t->ncons; i++) {
        zdm_buf_puts(b, "; ");
        put_constraint(b, t->cons[i]);
    }
    for (size_t i = 0; i < t->nindexes; i++) {
        zdm_buf_puts(b, "; ");
        put_index(b, t->indexes[i]);
    }
    if (t->rows)
        zdm_buf_printf(b, "; rows %" PRIu64, t->rows);
    if (t->without_rowid)
        zdm_buf_puts(b, "; without rowid");
    if (t->strict)
        zdm_buf_puts(b, "; strict");
    zdm_buf_putc(b, '}');
}

static void put_enum(zdm_buf *b, const zdm_enum *e)
{
    if (!e) {
        zdm_buf_puts(b, "-");
        return;
    }
    zdm_buf_puts(b, "enum ");
    put_name(b, e->name);
    zdm_buf_puts(b, " (");
    for (size_t i = 0; i < e->nlabels; i++) {
        zdm_buf_puts(b, i ? ", " : "");
        zdm_buf_quoted(b, e->labels[i], '\'');
    }
    zdm_buf_putc(b, ')');
}

static void put_col_field(zdm_buf *b, const char *key, const zdm_column *c)
{
    zdm_buf_printf(b, " %s={", key);
    if (c)
        put_column(b, c);
    zdm_buf_putc(b, '}');
}

static void put_sets(zdm_buf *b, const zdm_op *op)
{
    zdm_buf_puts(b, " sets=[");
    for (size_t i = 0; i < op->nsets; i++) {
        zdm_buf_printf(b, "%s%s = ", i ? ", " : "", op->sets[i].col);
        put_value(b, op->sets[i].value);
    }
    zdm_buf_putc(b, ']');
    if (op->where) {
        zdm_buf_puts(b, " where=");
        put_value(b, op->where);
    }
    zdm_buf_printf(b, " batch=%" PRIu64, op->batch);
}

static void put_enum_op(zdm_buf *b, const zdm_op *op)
{
    static const char *const pos[] = {"end", "before", "after"};
    if (op->kind == ZDM_OP_ADD_ENUM_VALUE) {
        zdm_buf_puts(b, " value=");
        zdm_buf_quoted(b, op->value, '\'');
        zdm_buf_printf(b, " pos=%s", pos[op->anchor_pos]);
        if (op->anchor_pos != ZDM_ENUM_END) {
            zdm_buf_putc(b, ' ');
            zdm_buf_quoted(b, op->anchor, '\'');
        }
        zdm_buf_puts(b, " enum_before=");
        put_enum(b, op->enum_before);
    }
    zdm_buf_puts(b, " enum_after=");
    put_enum(b, op->enum_after);
}

static void put_execute(zdm_buf *b, const zdm_op *op)
{
    zdm_buf_puts(b, " sql=");
    put_value(b, op->using_);
    if (op->irreversible)
        zdm_buf_puts(b, " revert=irreversible");
    else {
        zdm_buf_puts(b, " revert=");
        put_value(b, op->revert);
    }
    zdm_buf_puts(b, " effect=unknown (raw SQL: the schema model is left unchanged)");
}

/* The fields specific to each kind, as ops.def lists them. */
static void put_specific(zdm_buf *b, const zdm_op *op)
{
    switch (op->kind) {
    case ZDM_OP_RENAME_TABLE:
        zdm_buf_puts(b, " to=");
        put_name(b, op->to);
        break;
    case ZDM_OP_DROP_TABLE:
        if (op->keep) {
            zdm_buf_puts(b, " keep to=");
            put_name(b, op->to);
        }
        break;
    case ZDM_OP_ADD_COLUMN:
        put_col_field(b, "col", op->col);
        break;
    case ZDM_OP_DROP_COLUMN:
        put_col_field(b, "old_col", op->old_col);
        break;
    case ZDM_OP_ALTER_TYPE:
        put_col_field(b, "old_col", op->old_col);
        put_col_field(b, "col", op->col);
        zdm_buf_puts(b, " using=");
        if (op->using_)
            put_value(b, op->using_);
        else
            zdm_buf_puts(b, "cast");
        zdm_buf_puts(b, " revert=");
        if (op->revert)
            put_value(b, op->revert);
        else
            zdm_buf_puts(b, "cast");
        break;
    case ZDM_OP_RENAME_COLUMN:
    case ZDM_OP_SET_NOT_NULL:
    case ZDM_OP_DROP_NOT_NULL:
    case ZDM_OP_SET_DEFAULT:
    case ZDM_OP_DROP_DEFAULT:
        put_col_field(b, "old_col", op->old_col);
        put_col_field(b, "col", op->col);
        break;
    case ZDM_OP_ADD_CONSTRAINT:
    case ZDM_OP_DROP_CONSTRAINT:
        zdm_buf_puts(b, " con={");
        put_constraint(b, op->con);
        zdm_buf_putc(b, '}');
        break;
    case ZDM_OP_CREATE_INDEX:
    case ZDM_OP_DROP_INDEX:
        zdm_buf_puts(b, " index={");
        put_index(b, op->index);
        zdm_buf_putc(b, '}');
        break;
    case ZDM_OP_BACKFILL:
        put_sets(b, op);
        zdm_buf_puts(b, " effect=data only");
        break;
    default:
        break;
    }
}

static bool has_table(zdm_op_kind k)
{
    return k != ZDM_OP_EXECUTE && k != ZDM_OP_CREATE_ENUM && k != ZDM_OP_ADD_ENUM_VALUE;
}

static void put_op(zdm_buf *b, const zdm_migration *m, size_t i, const zdm_op *op)
{
    unsigned line = 0, col = 0;
    if (m->src)
        zdm_source_linecol(m->src, op->span.start, &line, &col);
    zdm_buf_printf(b, "op %zu %s at=%u:%u", i + 1, zdm_op_name(op->kind), line, col);
    if (zdm_op_destructive(op->kind))
        zdm_buf_puts(b, " destructive");
    if (op->kind != ZDM_OP_EXECUTE) {
        zdm_buf_puts(b, has_table(op->kind) ? " table=" : " type=");
        put_name(b, op->table);
    }
    if (op->kind == ZDM_OP_CREATE_ENUM || op->kind == ZDM_OP_ADD_ENUM_VALUE)
        put_enum_op(b, op);
    else if (op->kind == ZDM_OP_EXECUTE)
        put_execute(b, op);
    else {
        zdm_buf_printf(b, " rows=%" PRIu64, op->rows);
        put_specific(b, op);
        zdm_buf_puts(b, " before=");
        put_table(b, op->before);
        zdm_buf_puts(b, " after=");
        put_table(b, op->after);
    }
    zdm_buf_puts(b, " source=");
    put_oneline(b, op->source ? op->source : "");
    zdm_buf_putc(b, '\n');
}

static void put_ms(zdm_buf *b, const char *key, int64_t v, const char *unit)
{
    if (v < 0)
        zdm_buf_printf(b, " %s=default", key);
    else
        zdm_buf_printf(b, " %s=%" PRId64 "%s", key, v, unit);
}

void zdm_ir_dump(zdm_buf *b, const zdm_migration *m)
{
    zdm_buf_puts(b, "migration ");
    if (m->title)
        zdm_buf_quoted(b, m->title, '\'');
    else
        zdm_buf_puts(b, "-");
    zdm_buf_puts(b, "\nsettings");
    put_ms(b, "lock_timeout", m->settings.lock_timeout_ms, "ms");
    put_ms(b, "statement_timeout", m->settings.statement_timeout_ms, "ms");
    put_ms(b, "batch", m->settings.batch, "");
    put_ms(b, "batch_pause", m->settings.batch_pause_ms, "ms");
    /* only when given: the dumps of every file without it stay as they were */
    if (m->settings.index_workers >= 0)
        put_ms(b, "index_workers", m->settings.index_workers, "");
    zdm_buf_putc(b, '\n');
    for (size_t i = 0; i < m->ops.len; i++)
        put_op(b, m, i, m->ops.items[i]);
    const zdm_schema *s = m->final;
    for (size_t i = 0; s && i < s->tables.len; i++) {
        zdm_buf_puts(b, "final table ");
        put_table(b, s->tables.items[i]);
        zdm_buf_putc(b, '\n');
    }
    for (size_t i = 0; s && i < s->enums.len; i++) {
        zdm_buf_puts(b, "final ");
        put_enum(b, s->enums.items[i]);
        zdm_buf_putc(b, '\n');
    }
}
