/*
 * pgsql_sync.c - the sync trigger that keeps backfilled columns right for rows
 * the OLD application writes during and after the backfill, until the new
 * application is deployed; it is removed in the contract phase.
 *
 * One trigger (and one plpgsql function) per table covers every backfilled
 * column of that table. For each column it recomputes the backfill expression
 * over the NEW row when the writing statement did not set the column itself:
 * on INSERT when the column is NULL, on UPDATE when it is unchanged. The
 * expression and the backfill's `where` are evaluated as
 * `SELECT (expr) FROM (SELECT NEW.*) AS <table>`, so a raw fragment that names
 * the table's columns, bare or as `table.col` (as in UPDATE), reads them from
 * the new row; `#variable_conflict
 * use_column` keeps a column from ever being taken for a plpgsql variable.
 *
 * Invariant: the trigger steps are added by finish, after every op, so in the
 * expand phase they follow every ADD COLUMN they refer to.
 */
#include "pgsql_int.h"

#include <string.h>

pgsql_sync *pgsql_sync_find(zdm_lower_ctx *cx, const zdm_name *t)
{
    pgsql_state *st = pgsql_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++)
        if (zdm_name_eq(st->syncs.items[i]->table, *t))
            return st->syncs.items[i];
    return NULL;
}

static bool is_json(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    const zdm_table *fin = zdm_schema_table(cx->mig->final, *t);
    const zdm_column *c = fin ? zdm_table_column(fin, col) : NULL;
    return c && c->type.kind == ZDM_TY_JSON && !c->type.array;
}

/* Flags first: which columns the writing statement left for the trigger. */
static void put_flags(zdm_lower_ctx *cx, zdm_buf *b, const pgsql_sync *sy)
{
    zdm_buf_puts(b, "    IF TG_OP = 'INSERT' THEN\n");
    for (size_t i = 0; i < sy->cols.len; i++)
        zdm_sqlf(b, PG, "        zdm_fill_%zu := NEW.%I IS NULL;\n", i + 1, sy->cols.items[i]);
    zdm_buf_puts(b, "    ELSE\n");
    for (size_t i = 0; i < sy->cols.len; i++) {
        const char *c = sy->cols.items[i];
        const char *cast = is_json(cx, &sy->table, c) ? "::text" : "";
        zdm_sqlf(b, PG, "        zdm_fill_%zu := NEW.%I%s IS NOT DISTINCT FROM OLD.%I%s;\n", i + 1,
                 c, cast, c, cast);
    }
    zdm_buf_puts(b, "    END IF;\n");
}

static size_t col_index(const pgsql_sync *sy, const char *col)
{
    for (size_t i = 0; i < sy->cols.len; i++)
        if (strcmp(sy->cols.items[i], col) == 0)
            return i + 1;
    return 0;
}

/* Backfills apply in file order, so a later one wins where both match. */
static void put_assignments(zdm_lower_ctx *cx, zdm_buf *b, const pgsql_sync *sy)
{
    for (size_t f = 0; f < sy->fills.len; f++) {
        const zdm_op *op = sy->fills.items[f];
        bool synced = false;
        for (size_t k = 0; k < op->nsets; k++)
            synced = synced || col_index(sy, op->sets[k].col) != 0;
        if (!synced)
            continue; /* existing columns only: the application writes them */
        const char *ind = "    ";
        if (op->where) {
            zdm_sqlf(b, PG, "    IF coalesce((SELECT %R FROM (SELECT NEW.*) AS %I), false) THEN\n",
                     pgsql_value(cx, op->where), sy->table.name);
            ind = "        ";
        }
        for (size_t k = 0; k < op->nsets; k++) {
            const char *c = op->sets[k].col;
            if (col_index(sy, c) == 0)
                continue;
            zdm_sqlf(b, PG,
                     "%sIF zdm_fill_%zu THEN\n"
                     "%s    NEW.%I := (SELECT %R FROM (SELECT NEW.*) AS %I);\n"
                     "%sEND IF;\n",
                     ind, col_index(sy, c), ind, c, pgsql_value(cx, op->sets[k].value),
                     sy->table.name, ind);
        }
        if (op->where)
            zdm_buf_puts(b, "    END IF;\n");
    }
}

static const char *function_sql(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    zdm_buf body;
    zdm_buf_init(&body, cx->arena);
    zdm_buf_puts(&body, "#variable_conflict use_column\nDECLARE\n");
    for (size_t i = 0; i < sy->cols.len; i++)
        zdm_buf_printf(&body, "    zdm_fill_%zu boolean;\n", i + 1);
    zdm_buf_puts(&body, "BEGIN\n");
    put_flags(cx, &body, sy);
    put_assignments(cx, &body, sy);
    zdm_buf_puts(&body, "    RETURN NEW;\nEND");
    const char *text = zdm_buf_cstr(&body);
    const char *tag = pgsql_dollar_tag(cx->arena, text);
    zdm_name fn = {sy->table.schema, sy->fn};
    return zdm_sqlf_str(cx->arena, PG,
                        "CREATE OR REPLACE FUNCTION %N() RETURNS trigger LANGUAGE plpgsql AS "
                        "%s\n%s\n%s;\n",
                        &fn, tag, text, tag);
}

static const char *trigger_absent(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = "
                        "to_regclass(%L) AND tgname = %L)",
                        pgsql_regclass(cx, &sy->table), sy->trg);
}

/* The trigger is created only where it can work: the table and every
 * column it fills exist, and it is not there already. */
static const char *create_sql(zdm_lower_ctx *cx, zdm_step *s, const pgsql_sync *sy)
{
    zdm_buf guard;
    zdm_buf_init(&guard, cx->arena);
    zdm_buf_puts(&guard, pgsql_cond_table(cx, &sy->table, true));
    for (size_t i = 0; i < sy->cols.len; i++)
        zdm_sqlf(&guard, PG, "\nAND %s",
                 pgsql_cond_column(cx, &sy->table, sy->cols.items[i], true));
    zdm_sqlf(&guard, PG, "\nAND %s", trigger_absent(cx, sy));
    zdm_name fn = {sy->table.schema, sy->fn};
    const char *ddl = zdm_sqlf_str(cx->arena, PG,
                                   "CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %N\n"
                                   "    FOR EACH ROW EXECUTE FUNCTION %N();",
                                   sy->trg, &sy->table, &fn);
    return pgsql_retry_sql_after(cx, s, function_sql(cx, sy), zdm_buf_cstr(&guard), ddl, 0);
}

static const char *drop_sql(zdm_lower_ctx *cx, zdm_step *s, const pgsql_sync *sy)
{
    zdm_name fn = {sy->table.schema, sy->fn};
    const char *ddl = zdm_sqlf_str(cx->arena, PG, "DROP TRIGGER IF EXISTS %I ON %N;", sy->trg,
                                   &sy->table);
    const char *retry = pgsql_retry_sql(cx, s, pgsql_cond_table(cx, &sy->table, true), ddl, 0);
    return zdm_sqlf_str(cx->arena, PG, "%sDROP FUNCTION IF EXISTS %N();\n", retry, &fn);
}

static const char *cols_str(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    const char *t = zdm_name_str(cx->arena, sy->table);
    const char *out = zdm_sprintf(cx->arena, "%s.%s", t, sy->cols.items[0]);
    for (size_t i = 1; i < sy->cols.len; i++)
        out = zdm_sprintf(cx->arena, "%s, %s.%s", out, t, sy->cols.items[i]);
    return out;
}

static zdm_step *sync_step(zdm_lower_ctx *cx, const pgsql_sync *sy, zdm_phase ph,
                           const char *title)
{
    zdm_step *s = zdm_plan_step(cx->plan, ph, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "%s %s (keeps %s filled)", title, sy->trg,
                                            cols_str(cx, sy)));
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    return s;
}

static void add_create(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    zdm_step *s = sync_step(cx, sy, ZDM_PHASE_EXPAND, "create sync trigger");
    pgsql_lock(s, "SHARE ROW EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_WRITES);
    s->why = "Rows the old application inserts or updates during and after the backfill get "
             "the backfilled value, so no catch-up scan is needed and NOT NULL can be proven.";
    s->forward = create_sql(cx, s, sy);
    s->rollback = drop_sql(cx, s, sy);
    pgsql_risk_strong_lock(cx, s, &sy->table, "CREATE TRIGGER");
    zdm_step_risk(cx->plan, s, ZDM_RISK_TRIGGER_OVERHEAD,
                  "Every INSERT and UPDATE on the table runs the trigger function (one small "
                  "subquery per backfilled column) until the contract phase.",
                  "Keep the time between expand and contract short; the contract phase drops "
                  "the trigger.");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "Until the contract phase, a write that leaves the column unchanged has it "
                  "recomputed from the expression, also for the new application version.",
                  "Deploy the new application version, then run the contract phase promptly.");
}

static void add_drop(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    zdm_step *s = sync_step(cx, sy, ZDM_PHASE_CONTRACT, "drop sync trigger");
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->why = "The new application writes the columns itself; the trigger's work is done.";
    s->forward = drop_sql(cx, s, sy);
    s->rollback = create_sql(cx, s, sy);
    pgsql_risk_strong_lock(cx, s, &sy->table, "DROP TRIGGER");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "After this step an old application version's writes "
                              "leave %s unset.", cols_str(cx, sy)),
                  "Run the contract phase only once no instance of the old application is "
                  "left.");
    zdm_name fn = {sy->table.schema, sy->fn};
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "sync trigger %s is gone", sy->trg),
               zdm_sqlf_str(cx->arena, PG, "%s AND to_regprocedure(%L) IS NULL",
                            trigger_absent(cx, sy),
                            zdm_sqlf_str(cx->arena, PG, "%N()", &fn)));
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "Deploy the application version that writes %s "
                                    "itself before running contract.", cols_str(cx, sy)));
}

int pgsql_sync_finish(zdm_lower_ctx *cx)
{
    pgsql_state *st = pgsql_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++) {
        if (st->syncs.items[i]->cols.len == 0)
            continue; /* backfills of existing columns only */
        add_create(cx, st->syncs.items[i]);
        add_drop(cx, st->syncs.items[i]);
    }
    return 0;
}
