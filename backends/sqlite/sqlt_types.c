/*
 * sqlt_types.c - portable types and values as SQLite declares them, column
 * definitions, constraints, CREATE TABLE and CREATE INDEX.
 *
 * SQLite stores values by type affinity, derived from the declared name
 * (https://www.sqlite.org/datatype3.html#determination_of_column_affinity):
 * the declared names keep the portable type readable (VARCHAR(40), BIGINT)
 * and give the right affinity; json and uuid are declared TEXT because a
 * NUMERIC affinity would turn the JSON text '12' into the integer 12. A
 * single-column integer primary key with identity or serial is declared
 * INTEGER: the rowid alias, which SQLite fills itself. docs/types.md has the
 * table.
 *
 * A STRICT table accepts only INT, INTEGER, REAL, TEXT, BLOB and ANY
 * (https://www.sqlite.org/stricttables.html): there each portable type is
 * declared by its storage class, numeric (SQLite has no exact decimal) and
 * any other name as ANY, which keeps a value as given. An autoincrement
 * column carries the primary key itself (`INTEGER PRIMARY KEY
 * AUTOINCREMENT`: SQLite accepts the keyword nowhere else), under the
 * constraint's name, and the table constraint is left out.
 */
#include "sqlt_int.h"

#include <string.h>

static const char *base_type(zdm_lower_ctx *cx, const zdm_coltype *t)
{
    zdm_arena *a = cx->arena;
    switch (t->kind) {
    case ZDM_TY_BOOLEAN: return "BOOLEAN";
    case ZDM_TY_SMALLINT: return "SMALLINT";
    case ZDM_TY_INT: return "INTEGER";
    case ZDM_TY_BIGINT: return "BIGINT";
    case ZDM_TY_REAL: return "REAL";
    case ZDM_TY_DOUBLE: return "DOUBLE";
    case ZDM_TY_NUMERIC:
        if (t->p < 0)
            return "NUMERIC";
        return t->s < 0 ? zdm_sprintf(a, "NUMERIC(%d)", (int)t->p)
                        : zdm_sprintf(a, "NUMERIC(%d,%d)", (int)t->p, (int)t->s);
    case ZDM_TY_TEXT: return "TEXT";
    case ZDM_TY_VARCHAR: return t->p < 0 ? "VARCHAR" : zdm_sprintf(a, "VARCHAR(%d)", (int)t->p);
    case ZDM_TY_CHAR: return t->p < 0 ? "CHAR" : zdm_sprintf(a, "CHAR(%d)", (int)t->p);
    case ZDM_TY_BYTES: return "BLOB";
    case ZDM_TY_DATE: return "DATE";
    case ZDM_TY_TIME: return "TIME";
    case ZDM_TY_TIMESTAMP: return "TIMESTAMP";
    case ZDM_TY_TIMESTAMPTZ: return "TIMESTAMPTZ";
    case ZDM_TY_UUID: return "TEXT";
    case ZDM_TY_JSON: return "TEXT";
    case ZDM_TY_JSONB: return "TEXT";
    case ZDM_TY_OTHER: break;
    }
    return zdm_sqlf_str(a, SQ, "%I%s", t->name, t->args ? t->args : "");
}

/* The declared type in a STRICT table. */
static const char *strict_type(const zdm_coltype *t)
{
    if (t->array)
        return "TEXT";
    switch (t->kind) {
    case ZDM_TY_BOOLEAN: case ZDM_TY_SMALLINT: case ZDM_TY_INT: case ZDM_TY_BIGINT:
        return "INTEGER";
    case ZDM_TY_REAL: case ZDM_TY_DOUBLE:
        return "REAL";
    case ZDM_TY_BYTES:
        return "BLOB";
    case ZDM_TY_NUMERIC: case ZDM_TY_OTHER:
        return "ANY";
    default:
        return "TEXT";
    }
}

/* Arrays have no SQLite type: they are stored as JSON text. */
const char *sqlt_type(zdm_lower_ctx *cx, const zdm_coltype *t)
{
    return t->array ? "TEXT" : base_type(cx, t);
}

static bool is_rowid_alias(const zdm_table *t, const zdm_column *c)
{
    if (c->identity == ZDM_IDENTITY_NONE && !c->serial)
        return false;
    if (c->type.kind != ZDM_TY_INT && c->type.kind != ZDM_TY_BIGINT &&
        c->type.kind != ZDM_TY_SMALLINT)
        return false;
    const zdm_constraint *pk = zdm_table_primary_key(t);
    return pk && pk->ncols == 1 && strcmp(pk->cols[0], c->name) == 0;
}

const char *sqlt_col_type(zdm_lower_ctx *cx, const zdm_table *t, const zdm_column *c)
{
    if (is_rowid_alias(t, c) && !t->without_rowid)
        return "INTEGER";
    return t->strict ? strict_type(&c->type) : sqlt_type(cx, &c->type);
}

/* Whether `c` is written `INTEGER PRIMARY KEY AUTOINCREMENT` (sema made sure
 * it is the table's one-column integer key in a rowid table). */
static bool autoinc_col(const zdm_table *t, const zdm_column *c)
{
    return c->autoincrement && is_rowid_alias(t, c) && !t->without_rowid;
}

bool sqlt_table_autoinc(const zdm_table *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (autoinc_col(t, t->cols[i]))
            return true;
    return false;
}

const char *sqlt_value(zdm_lower_ctx *cx, const zdm_value *v)
{
    return zdm_lower_value_01(cx, v);
}

const char *sqlt_column_def(zdm_lower_ctx *cx, const zdm_table *t, const zdm_column *c)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, SQ, "%I %s", c->name, sqlt_col_type(cx, t, c));
    if (c->not_null)
        zdm_buf_puts(&b, " NOT NULL");
    if (c->def)
        zdm_sqlf(&b, SQ, " DEFAULT %R", sqlt_value(cx, c->def));
    if (c->collate)
        zdm_sqlf(&b, SQ, " COLLATE %I", c->collate);
    if (autoinc_col(t, c))
        zdm_sqlf(&b, SQ, " CONSTRAINT %I PRIMARY KEY AUTOINCREMENT",
                 zdm_table_primary_key(t)->name);
    return zdm_buf_cstr(&b);
}

void sqlt_put_constraint(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c)
{
    zdm_sqlf(b, SQ, "CONSTRAINT %I ", c->name);
    switch (c->kind) {
    case ZDM_CON_PRIMARY: zdm_buf_puts(b, "PRIMARY KEY "); break;
    case ZDM_CON_UNIQUE: zdm_buf_puts(b, "UNIQUE "); break;
    case ZDM_CON_FOREIGN: zdm_buf_puts(b, "FOREIGN KEY "); break;
    case ZDM_CON_CHECK:
        zdm_sqlf(b, SQ, "CHECK %R", sqlt_value(cx, c->check));
        return;
    }
    zdm_sql_put_cols(b, SQ, c->cols, c->ncols);
    if (c->kind != ZDM_CON_FOREIGN)
        return;
    zdm_sqlf(b, SQ, " REFERENCES %I ", c->ref_table.name);
    zdm_sql_put_cols(b, SQ, c->ref_cols, c->nref_cols);
    if (zdm_sql_fk_action(c->on_delete))
        zdm_sqlf(b, SQ, " ON DELETE %s", zdm_sql_fk_action(c->on_delete));
    if (zdm_sql_fk_action(c->on_update))
        zdm_sqlf(b, SQ, " ON UPDATE %s", zdm_sql_fk_action(c->on_update));
}

const char *sqlt_column_fk_sql(zdm_lower_ctx *cx, const zdm_constraint *c)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, SQ, " CONSTRAINT %I REFERENCES %I ", c->name, c->ref_table.name);
    zdm_sql_put_cols(&b, SQ, c->ref_cols, c->nref_cols);
    if (zdm_sql_fk_action(c->on_delete))
        zdm_sqlf(&b, SQ, " ON DELETE %s", zdm_sql_fk_action(c->on_delete));
    if (zdm_sql_fk_action(c->on_update))
        zdm_sqlf(&b, SQ, " ON UPDATE %s", zdm_sql_fk_action(c->on_update));
    return zdm_buf_cstr(&b);
}

const char *sqlt_create_table_sql(zdm_lower_ctx *cx, const zdm_table *t, const zdm_name *name,
                                  bool if_not_exists)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, SQ, "CREATE TABLE %s%I (", if_not_exists ? "IF NOT EXISTS " : "", name->name);
    for (size_t i = 0; i < t->ncols; i++)
        zdm_sqlf(&b, SQ, "%s\n    %s", i ? "," : "", sqlt_column_def(cx, t, t->cols[i]));
    bool inline_pk = sqlt_table_autoinc(t);
    for (size_t i = 0; i < t->ncons; i++) {
        if (inline_pk && t->cons[i]->kind == ZDM_CON_PRIMARY)
            continue;
        zdm_buf_puts(&b, ",\n    ");
        sqlt_put_constraint(cx, &b, t->cons[i]);
    }
    zdm_buf_puts(&b, "\n)");
    if (t->without_rowid)
        zdm_buf_puts(&b, " WITHOUT ROWID");
    if (t->strict)
        zdm_buf_puts(&b, t->without_rowid ? ", STRICT" : " STRICT");
    zdm_buf_putc(&b, ';');
    return zdm_buf_cstr(&b);
}

const char *sqlt_create_index_sql(zdm_lower_ctx *cx, const zdm_index *ix)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, SQ, "CREATE %sINDEX IF NOT EXISTS %I ON %I (", ix->unique ? "UNIQUE " : "",
             ix->name, ix->table.name);
    for (size_t i = 0; i < ix->nelems; i++) {
        const zdm_index_elem *e = &ix->elems[i];
        if (i)
            zdm_buf_puts(&b, ", ");
        if (e->col)
            zdm_sqlf(&b, SQ, "%I", e->col);
        else
            zdm_sqlf(&b, SQ, "%R", sqlt_value(cx, e->expr));
        if (e->order == ZDM_ORDER_ASC)
            zdm_buf_puts(&b, " ASC");
        else if (e->order == ZDM_ORDER_DESC)
            zdm_buf_puts(&b, " DESC");
    }
    zdm_buf_putc(&b, ')');
    if (ix->where)
        zdm_sqlf(&b, SQ, " WHERE %R", sqlt_value(cx, ix->where));
    zdm_buf_putc(&b, ';');
    return zdm_buf_cstr(&b);
}
