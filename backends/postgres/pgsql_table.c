/*
 * pgsql_table.c - CREATE TABLE for PostgreSQL: one step in the expand phase.
 *
 * A new table is empty and nobody uses it yet, so the only lock that matters
 * is the SHARE ROW EXCLUSIVE a foreign key takes on the table it references:
 * only then is the step wrapped in the lock retry.
 */
#include "pgsql_int.h"
#include "../lower_util.h"

#include <string.h>

void pgsql_put_constraint(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c)
{
    zdm_sqlf(b, PG, "CONSTRAINT %I ", c->name);
    pgsql_put_con_body(cx, b, c);
}

void pgsql_put_con_body(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c)
{
    switch (c->kind) {
    case ZDM_CON_PRIMARY: zdm_buf_puts(b, "PRIMARY KEY "); break;
    case ZDM_CON_UNIQUE: zdm_buf_puts(b, "UNIQUE "); break;
    case ZDM_CON_FOREIGN: zdm_buf_puts(b, "FOREIGN KEY "); break;
    case ZDM_CON_CHECK:
        zdm_sqlf(b, PG, "CHECK %R", pgsql_value(cx, c->check));
        return;
    }
    zdm_sql_put_cols(b, PG, c->cols, c->ncols);
    if (c->kind != ZDM_CON_FOREIGN)
        return;
    zdm_sqlf(b, PG, " REFERENCES %N ", &c->ref_table);
    zdm_sql_put_cols(b, PG, c->ref_cols, c->nref_cols);
    if (zdm_sql_fk_action(c->on_delete))
        zdm_sqlf(b, PG, " ON DELETE %s", zdm_sql_fk_action(c->on_delete));
    if (zdm_sql_fk_action(c->on_update))
        zdm_sqlf(b, PG, " ON UPDATE %s", zdm_sql_fk_action(c->on_update));
}

/* The first table a foreign key references (each is locked), or NULL. */
const zdm_name *pgsql_fk_target(const zdm_table *t)
{
    for (size_t i = 0; i < t->ncons; i++)
        if (t->cons[i]->kind == ZDM_CON_FOREIGN)
            return &t->cons[i]->ref_table;
    return NULL;
}

/* PostgreSQL makes primary-key, identity and serial columns NOT NULL itself. */
static bool effective_not_null(const zdm_table *t, const zdm_column *c)
{
    if (c->not_null || c->identity != ZDM_IDENTITY_NONE || c->serial)
        return true;
    const zdm_constraint *pk = zdm_table_primary_key(t);
    for (size_t i = 0; pk && i < pk->ncols; i++)
        if (strcmp(pk->cols[i], c->name) == 0)
            return true;
    return false;
}

const char *pgsql_create_table_sql(zdm_lower_ctx *cx, const zdm_table *t)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG, "CREATE TABLE IF NOT EXISTS %N (", &t->name);
    for (size_t i = 0; i < t->ncols; i++)
        zdm_sqlf(&b, PG, "%s\n    %s", i ? "," : "", pgsql_column_def(cx, t->cols[i]));
    for (size_t i = 0; i < t->ncons; i++) {
        zdm_buf_puts(&b, ",\n    ");
        pgsql_put_constraint(cx, &b, t->cons[i]);
    }
    zdm_buf_puts(&b, "\n);");
    return zdm_buf_cstr(&b);
}

static void table_checks(zdm_lower_ctx *cx, zdm_step *s, const zdm_table *t)
{
    const char *qn = zdm_name_str(cx->arena, t->name);
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "table %s does not exist yet", qn),
              pgsql_cond_table(cx, &t->name, false));
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "table %s exists", qn),
               pgsql_cond_table(cx, &t->name, true));
    for (size_t i = 0; i < t->ncols; i++) {
        zdm_column c = *t->cols[i];
        c.not_null = effective_not_null(t, t->cols[i]);
        pgsql_post(cx, s,
                   zdm_sprintf(cx->arena, "column %s.%s is %s%s", qn, c.name,
                               zdm_coltype_str(cx->arena, &c.type), c.not_null ? " not null" : ""),
                   pgsql_cond_column_shape(cx, &t->name, &c));
    }
}

/*
 * The schema a new table goes into, when the history knows no table in it
 * (public always exists): the language has no `create schema`, so the step
 * creates it if missing, and its rollback drops it again once it is empty
 * (RESTRICT: a schema that holds anything else is kept).
 */
static const char *new_schema(zdm_lower_ctx *cx, const zdm_table *t)
{
    const char *sch = t->name.schema;
    if (!sch || strcmp(sch, "public") == 0)
        return NULL;
    const zdm_schema *base = cx->mig->base;
    for (size_t i = 0; base && i < base->tables.len; i++) {
        const char *o = base->tables.items[i]->name.schema;
        if (o && strcmp(o, sch) == 0)
            return NULL;
    }
    return sch;
}

/* PL/pgSQL statements: drop the schema if nothing is left in it. */
static const char *drop_schema_block(zdm_lower_ctx *cx, const char *sch)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "BEGIN\n"
                        "    DROP SCHEMA IF EXISTS %I;\n"
                        "EXCEPTION WHEN dependent_objects_still_exist THEN\n"
                        "    NULL; -- it holds other objects: keep it\n"
                        "END;",
                        sch);
}

int pgsql_lower_create_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->after;
    zdm_lower_note_sqlite_options(cx, t);
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_EXPAND, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "create table %s",
                                            zdm_name_str(cx->arena, t->name)));
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    const char *sql = pgsql_create_table_sql(cx, t);
    const char *drop = zdm_sqlf_str(cx->arena, PG, "DROP TABLE IF EXISTS %N;", &t->name);
    const char *sch = new_schema(cx, t);
    const char *plain_drop = drop;
    if (sch) {
        const char *blk = drop_schema_block(cx, sch);
        sql = zdm_sqlf_str(cx->arena, PG, "CREATE SCHEMA IF NOT EXISTS %I;\n%s", sch, sql);
        plain_drop = zdm_sprintf(cx->arena, "%s\n%s\nDO %s\nBEGIN\n%s\nEND\n%s;", drop,
                                 "-- the schema was created by this step if the history did not know it",
                                 pgsql_dollar_tag(cx->arena, blk), blk,
                                 pgsql_dollar_tag(cx->arena, blk));
        drop = zdm_sprintf(cx->arena, "%s\n%s", drop, blk);
    }
    const zdm_name *ref = pgsql_fk_target(t);
    if (ref) {
        pgsql_lock(s, "SHARE ROW EXCLUSIVE on each referenced table (brief)",
                   ZDM_LOCK_BLOCKS_WRITES);
        s->why = "A new table is empty; its foreign keys lock the tables they reference "
                 "briefly, so the step retries on lock timeout.";
        s->forward = pgsql_retry_sql(cx, s, NULL, sql, 0);
        s->rollback = pgsql_retry_sql(cx, s, NULL, drop, 0);
        pgsql_risk_strong_lock(cx, s, ref, "Creating the foreign keys");
    } else {
        pgsql_lock(s, "none on existing tables", ZDM_LOCK_NONE);
        s->why = "A new, empty table that no application uses yet: no existing table is locked.";
        s->statement_timeout_ms = pgsql_stmt_timeout(cx, 0);
        s->forward = pgsql_step_sql(cx, s, zdm_sprintf(cx->arena, "%s\n", sql));
        s->rollback = pgsql_step_sql(cx, s, zdm_sprintf(cx->arena, "%s\n", plain_drop));
    }
    s->rollback_note = sch ? "the table and every row written to it are dropped, and its "
                             "schema too if nothing else is left in it"
                           : "the table and every row written to it are dropped";
    table_checks(cx, s, t);
    return 0;
}
