/*
 * mysq_types.c - portable types and values as MySQL/MariaDB declare them,
 * column definitions, constraints, CREATE TABLE and index clauses.
 *
 * The mapping (docs/types.md): timestamps are DATETIME(6) (TIMESTAMP ends in
 * 2038; a timestamptz is stored as given, the application keeps it in UTC),
 * uuid is CHAR(36), bytes LONGBLOB, json and arrays JSON (MariaDB: LONGTEXT
 * with a JSON_VALID check), an unbounded varchar or numeric becomes TEXT or
 * DECIMAL(65,30) (MySQL has neither unbounded). Identity and serial columns
 * are AUTO_INCREMENT. The post-checks compare information_schema's DATA_TYPE,
 * which both flavours spell the same except for JSON.
 */
#include "mysq_int.h"

#include <string.h>

static const char *base_type(zdm_lower_ctx *cx, const zdm_coltype *t)
{
    zdm_arena *a = cx->arena;
    switch (t->kind) {
    case ZDM_TY_BOOLEAN: return "BOOLEAN";
    case ZDM_TY_SMALLINT: return "SMALLINT";
    case ZDM_TY_INT: return "INT";
    case ZDM_TY_BIGINT: return "BIGINT";
    case ZDM_TY_REAL: return "FLOAT";
    case ZDM_TY_DOUBLE: return "DOUBLE";
    case ZDM_TY_NUMERIC:
        if (t->p < 0)
            return "DECIMAL(65,30)";
        return t->s < 0 ? zdm_sprintf(a, "DECIMAL(%d)", (int)t->p)
                        : zdm_sprintf(a, "DECIMAL(%d,%d)", (int)t->p, (int)t->s);
    case ZDM_TY_TEXT: return "TEXT";
    case ZDM_TY_VARCHAR: return t->p < 0 ? "TEXT" : zdm_sprintf(a, "VARCHAR(%d)", (int)t->p);
    case ZDM_TY_CHAR: return t->p < 0 ? "CHAR(1)" : zdm_sprintf(a, "CHAR(%d)", (int)t->p);
    case ZDM_TY_BYTES: return "LONGBLOB";
    case ZDM_TY_DATE: return "DATE";
    case ZDM_TY_TIME: return "TIME(6)";
    case ZDM_TY_TIMESTAMP: return "DATETIME(6)";
    case ZDM_TY_TIMESTAMPTZ: return "DATETIME(6)";
    case ZDM_TY_UUID: return "CHAR(36)";
    case ZDM_TY_JSON: return "JSON";
    case ZDM_TY_JSONB: return "JSON";
    case ZDM_TY_OTHER: break;
    }
    return zdm_sqlf_str(a, MQ(cx), "%s%s", t->name, t->args ? t->args : "");
}

const char *mysq_type(zdm_lower_ctx *cx, const zdm_coltype *t)
{
    return t->array ? "JSON" : base_type(cx, t);
}

const char *mysq_data_type(zdm_lower_ctx *cx, const zdm_coltype *t)
{
    bool maria = mysq_st(cx)->flavour == MYSQ_MARIADB;
    if (t->array || t->kind == ZDM_TY_JSON || t->kind == ZDM_TY_JSONB)
        return maria ? "longtext" : "json";
    switch (t->kind) {
    case ZDM_TY_BOOLEAN: return "tinyint";
    case ZDM_TY_SMALLINT: return "smallint";
    case ZDM_TY_INT: return "int";
    case ZDM_TY_BIGINT: return "bigint";
    case ZDM_TY_REAL: return "float";
    case ZDM_TY_DOUBLE: return "double";
    case ZDM_TY_NUMERIC: return "decimal";
    case ZDM_TY_TEXT: return "text";
    case ZDM_TY_VARCHAR: return t->p < 0 ? "text" : "varchar";
    case ZDM_TY_CHAR:
    case ZDM_TY_UUID: return "char";
    case ZDM_TY_BYTES: return "longblob";
    case ZDM_TY_DATE: return "date";
    case ZDM_TY_TIME: return "time";
    case ZDM_TY_TIMESTAMP:
    case ZDM_TY_TIMESTAMPTZ: return "datetime";
    default: break;
    }
    /* The name as written, lower case, without arguments. */
    char *n = zdm_sprintf(cx->arena, "%s", t->name);
    for (char *p = n; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return n;
}

const char *mysq_value(zdm_lower_ctx *cx, const zdm_value *v)
{
    return zdm_lower_value_01(cx, v);
}

const char *mysq_column_def(zdm_lower_ctx *cx, const zdm_table *t, const zdm_column *c)
{
    (void)t;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, MQ(cx), "%I %s", c->name, mysq_type(cx, &c->type));
    if (c->collate)
        zdm_sqlf(&b, MQ(cx), " COLLATE %I", c->collate);
    zdm_buf_puts(&b, c->not_null ? " NOT NULL" : " NULL");
    if (c->identity != ZDM_IDENTITY_NONE || c->serial)
        zdm_buf_puts(&b, " AUTO_INCREMENT");
    else if (c->def && c->def->kind != ZDM_V_RAW && mysq_st(cx)->flavour == MYSQ_MYSQL &&
             (mysq_needs_prefix(c) || c->type.kind == ZDM_TY_JSON ||
              c->type.kind == ZDM_TY_JSONB || c->type.array))
        /* MySQL takes a TEXT, BLOB or JSON default only as an expression. */
        zdm_sqlf(&b, MQ(cx), " DEFAULT (%R)", mysq_value(cx, c->def));
    else if (c->def)
        zdm_sqlf(&b, MQ(cx), " DEFAULT %R", mysq_value(cx, c->def));
    return zdm_buf_cstr(&b);
}

void mysq_put_constraint(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c)
{
    switch (c->kind) {
    case ZDM_CON_PRIMARY:
        /* MySQL names every primary key PRIMARY: a CONSTRAINT name is ignored. */
        zdm_buf_puts(b, "PRIMARY KEY ");
        break;
    case ZDM_CON_UNIQUE: zdm_sqlf(b, MQ(cx), "CONSTRAINT %I UNIQUE ", c->name); break;
    case ZDM_CON_FOREIGN: zdm_sqlf(b, MQ(cx), "CONSTRAINT %I FOREIGN KEY ", c->name); break;
    case ZDM_CON_CHECK:
        zdm_sqlf(b, MQ(cx), "CONSTRAINT %I CHECK %R", c->name, mysq_value(cx, c->check));
        return;
    }
    zdm_sql_put_cols(b, MQ(cx), c->cols, c->ncols);
    if (c->kind != ZDM_CON_FOREIGN)
        return;
    zdm_sqlf(b, MQ(cx), " REFERENCES %I ", c->ref_table.name);
    zdm_sql_put_cols(b, MQ(cx), c->ref_cols, c->nref_cols);
    if (zdm_sql_fk_action(c->on_delete))
        zdm_sqlf(b, MQ(cx), " ON DELETE %s", zdm_sql_fk_action(c->on_delete));
    if (zdm_sql_fk_action(c->on_update))
        zdm_sqlf(b, MQ(cx), " ON UPDATE %s", zdm_sql_fk_action(c->on_update));
}

const char *mysq_create_table_sql(zdm_lower_ctx *cx, const zdm_table *t)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, MQ(cx), "CREATE TABLE IF NOT EXISTS %I (", t->name.name);
    for (size_t i = 0; i < t->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%s\n    %s", i ? "," : "", mysq_column_def(cx, t, t->cols[i]));
    for (size_t i = 0; i < t->ncons; i++) {
        zdm_buf_puts(&b, ",\n    ");
        mysq_put_constraint(cx, &b, t->cons[i]);
    }
    for (size_t i = 0; i < t->nindexes; i++)
        zdm_sqlf(&b, MQ(cx), ",\n    %s", mysq_index_clause(cx, t, t->indexes[i]));
    zdm_buf_puts(&b, "\n) ENGINE=InnoDB");
    return zdm_buf_cstr(&b);
}

bool mysq_needs_prefix(const zdm_column *c)
{
    if (c->type.array)
        return false;
    return c->type.kind == ZDM_TY_TEXT || c->type.kind == ZDM_TY_BYTES ||
           (c->type.kind == ZDM_TY_VARCHAR && c->type.p < 0);
}

const char *mysq_index_clause(zdm_lower_ctx *cx, const zdm_table *t, const zdm_index *ix)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, MQ(cx), "%sINDEX %I (", ix->unique ? "UNIQUE " : "", ix->name);
    for (size_t i = 0; i < ix->nelems; i++) {
        const zdm_index_elem *e = &ix->elems[i];
        if (i)
            zdm_buf_puts(&b, ", ");
        const zdm_column *c = e->col ? zdm_table_column(t, e->col) : NULL;
        if (c && mysq_needs_prefix(c))
            zdm_sqlf(&b, MQ(cx), "%I(%d)", e->col, MYSQ_PREFIX_CHARS);
        else if (e->col)
            zdm_sqlf(&b, MQ(cx), "%I", e->col);
        else
            zdm_sqlf(&b, MQ(cx), "(%R)", mysq_value(cx, e->expr));
        if (e->order == ZDM_ORDER_ASC)
            zdm_buf_puts(&b, " ASC");
        else if (e->order == ZDM_ORDER_DESC)
            zdm_buf_puts(&b, " DESC");
    }
    zdm_buf_putc(&b, ')');
    return zdm_buf_cstr(&b);
}

const char *mysq_int_pk(const zdm_table *t)
{
    const zdm_constraint *pk = zdm_table_primary_key(t);
    if (!pk || pk->ncols != 1)
        return NULL;
    const zdm_column *c = zdm_table_column(t, pk->cols[0]);
    if (!c || (c->type.kind != ZDM_TY_INT && c->type.kind != ZDM_TY_BIGINT &&
               c->type.kind != ZDM_TY_SMALLINT))
        return NULL;
    return c->name;
}
