/*
 * pgsql_enum.c - CREATE TYPE ... AS ENUM and ALTER TYPE ... ADD VALUE for
 * PostgreSQL, both in the expand phase: neither locks a table.
 *
 * ADD VALUE cannot run inside a transaction block before PostgreSQL 12
 * (https://www.postgresql.org/docs/11/sql-altertype.html), so there it is a
 * step outside one; from 12 on it may run in one, but the new label cannot be
 * used before that transaction commits. PostgreSQL cannot remove a label from
 * an enum (no ALTER TYPE ... DROP VALUE): the step has no rollback and says
 * so. The only way back, a new type and ALTER COLUMN ... TYPE on every column
 * that uses it, rewrites those tables under ACCESS EXCLUSIVE, which is what
 * this compiler exists to avoid (docs/backends/postgres.md).
 */
#include "pgsql_int.h"

/* A DO block that runs `stmt` only when `cond` holds: CREATE TYPE has no IF
 * NOT EXISTS, and a rerun of the step must be harmless. */
static const char *guarded(zdm_lower_ctx *cx, const char *cond, const char *stmt)
{
    zdm_buf body;
    zdm_buf_init(&body, cx->arena);
    zdm_sqlf(&body, PG, "BEGIN\n    IF %s THEN\n", cond);
    zdm_buf_indent(&body, stmt, "        ");
    zdm_buf_puts(&body, "\n    END IF;\nEND");
    const char *text = zdm_buf_cstr(&body);
    const char *tag = pgsql_dollar_tag(cx->arena, text);
    return zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, text, tag);
}

static const char *labels_sql(zdm_lower_ctx *cx, const zdm_enum *e)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < e->nlabels; i++)
        zdm_sqlf(&b, PG, "%s%L", i ? ", " : "", e->labels[i]);
    return zdm_buf_cstr(&b);
}

static const char *cond_type(zdm_lower_ctx *cx, const zdm_name *n, bool exists)
{
    return zdm_sqlf_str(cx->arena, PG, "to_regtype(%L) IS %sNULL", pgsql_regclass(cx, n),
                        exists ? "NOT " : "");
}

/* The labels of the type in order, as one text[] for a check. */
static const char *cond_labels(zdm_lower_ctx *cx, const zdm_enum *e)
{
    zdm_buf arr;
    zdm_buf_init(&arr, cx->arena);
    for (size_t i = 0; i < e->nlabels; i++)
        zdm_sqlf(&arr, PG, "%s%L", i ? ", " : "", e->labels[i]);
    return zdm_sqlf_str(cx->arena, PG,
                        "(SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM "
                        "pg_catalog.pg_enum WHERE enumtypid = to_regtype(%L)) = "
                        "ARRAY[%s]::text[]",
                        pgsql_regclass(cx, &e->name), zdm_buf_cstr(&arr));
}

static zdm_step *enum_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_step_kind kind,
                           const char *title)
{
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_EXPAND, kind, title);
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    s->statement_timeout_ms = pgsql_stmt_timeout(cx, 0);
    pgsql_lock(s, "none on tables (the type's catalog rows only)", ZDM_LOCK_NONE);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    return s;
}

/* The enum as the whole migration leaves it, for verify_post. */
static const zdm_enum *final_enum(zdm_lower_ctx *cx, const zdm_op *op)
{
    return zdm_schema_enum(cx->mig->final, op->table);
}

int pgsql_lower_create_enum(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_enum *e = op->enum_after;
    const char *qn = zdm_name_str(cx->arena, e->name);
    zdm_step *s = enum_step(cx, op, ZDM_STEP_TX, zdm_sprintf(cx->arena, "create type %s", qn));
    s->why = "A new type locks no table and no application uses it yet.";
    s->forward = pgsql_step_sql(cx, s, guarded(cx, cond_type(cx, &e->name, false),
                                               zdm_sqlf_str(cx->arena, PG,
                                                            "CREATE TYPE %N AS ENUM (%s);",
                                                            &e->name, labels_sql(cx, e))));
    s->rollback = pgsql_step_sql(cx, s, zdm_sqlf_str(cx->arena, PG, "DROP TYPE IF EXISTS %N;\n",
                                                     &e->name));
    s->rollback_note = "the type is dropped; this fails (RESTRICT) while a column or another "
                       "object still uses it, which the rollback of those changes removes first";
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "Rolling back drops type %s: it fails while anything "
                              "outside this migration uses the type.", qn),
                  "Roll back the changes that use the type first (rollback.sql does this in "
                  "reverse order for the ones in this migration).");
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "type %s does not exist yet", qn),
              cond_type(cx, &e->name, false));
    const zdm_enum *f = final_enum(cx, op);
    if (f)
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "type %s has its labels", qn),
                   cond_labels(cx, f));
    return 0;
}

static const char *add_value_sql(zdm_lower_ctx *cx, const zdm_op *op)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG, "ALTER TYPE %N ADD VALUE IF NOT EXISTS %L", &op->table, op->value);
    if (op->anchor_pos != ZDM_ENUM_END)
        zdm_sqlf(&b, PG, " %s %L", op->anchor_pos == ZDM_ENUM_BEFORE ? "BEFORE" : "AFTER",
                 op->anchor);
    zdm_buf_puts(&b, ";\n");
    return zdm_buf_cstr(&b);
}

int pgsql_lower_add_enum_value(zdm_lower_ctx *cx, const zdm_op *op)
{
    bool pg11 = cx->target->version < 12;
    const char *qn = zdm_name_str(cx->arena, op->table);
    zdm_step *s = enum_step(cx, op, pg11 ? ZDM_STEP_NO_TX : ZDM_STEP_TX,
                            zdm_sprintf(cx->arena, "add value '%s' to type %s", op->value, qn));
    s->why = pg11 ? "ALTER TYPE ... ADD VALUE cannot run inside a transaction block before "
                    "PostgreSQL 12: the step runs on its own. It locks no table; IF NOT EXISTS "
                    "makes a rerun harmless."
                  : "ALTER TYPE ... ADD VALUE locks no table; IF NOT EXISTS makes a rerun "
                    "harmless. The new label can be used once the step has committed.";
    s->forward = pgsql_step_sql(cx, s, add_value_sql(cx, op));
    s->rollback = zdm_sprintf(cx->arena,
                              "-- no rollback: PostgreSQL cannot remove a value from an enum; "
                              "'%s' stays in type %s\n",
                              op->value, qn);
    s->rollback_note = zdm_sprintf(cx->arena, "no rollback: the value '%s' stays in type %s "
                                   "(PostgreSQL cannot drop an enum value)", op->value, qn);
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "The value '%s' cannot be removed again: after a "
                              "rollback it stays in type %s, and rows may hold it.",
                              op->value, qn),
                  "Make the old application tolerate the new value (or never write it) before "
                  "this step; if it must go, move the columns to a new type in a planned "
                  "maintenance step (ALTER COLUMN ... TYPE rewrites each table).");
    if (zdm_schema_enum(cx->mig->base, op->table))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "type %s exists", qn),
                  cond_type(cx, &op->table, true));
    const zdm_enum *f = final_enum(cx, op);
    if (f)
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "type %s has its labels", qn),
                   cond_labels(cx, f));
    return 0;
}
