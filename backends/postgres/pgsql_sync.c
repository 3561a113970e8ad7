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
 * The same trigger keeps the columns of expand/contract moves in step
 * (pgsql_move.c: a retyped column's new column, a renamed column, both ways),
 * before the backfilled columns so a backfill expression reads them right.
 * A table with moves has one batched fill pass for all of them and, in the
 * contract phase, one swap transaction that drops the trigger and swaps every
 * move in (instead of the plain trigger drop).
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
    for (size_t i = 0; i < sy->moves.len; i++)
        pgsql_move_trigger(cx, &body, sy->moves.items[i]);
    if (sy->cols.len) {
        put_flags(cx, &body, sy);
        put_assignments(cx, &body, sy);
    }
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
    for (size_t i = 0; i < sy->moves.len; i++)
        zdm_sqlf(&guard, PG, "\nAND %s\nAND %s",
                 pgsql_cond_column(cx, &sy->table, sy->moves.items[i]->src, true),
                 pgsql_cond_column(cx, &sy->table, sy->moves.items[i]->dst, true));
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
    const char *out = NULL;
    for (size_t i = 0; i < sy->moves.len; i++)
        out = zdm_sprintf(cx->arena, "%s%s%s.%s", out ? out : "", out ? ", " : "", t,
                          sy->moves.items[i]->dst);
    for (size_t i = 0; i < sy->cols.len; i++)
        out = zdm_sprintf(cx->arena, "%s%s%s.%s", out ? out : "", out ? ", " : "", t,
                          sy->cols.items[i]);
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
    s->why = sy->moves.len
                 ? "Every row written from now on has its new columns kept in step (a renamed "
                   "column both ways, so old and new application versions both work), so the "
                   "fill needs no catch-up pass and NOT NULL can be proven."
                 : "Rows the old application inserts or updates during and after the backfill "
                   "get the backfilled value, so no catch-up scan is needed and NOT NULL can be "
                   "proven.";
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

static const char *moves_str(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    const char *t = zdm_name_str(cx->arena, sy->table);
    const char *out = "";
    for (size_t i = 0; i < sy->moves.len; i++)
        out = zdm_sprintf(cx->arena, "%s%s%s.%s", out, i ? ", " : "", t,
                          sy->moves.items[i]->col->name);
    return out;
}

/* The swap of every move of the table, in one short transaction that also
 * drops the trigger: no write can slip between the trigger's end and the swap. */
static const char *swap_ddl(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_sqlf(&b, PG, "DROP TRIGGER IF EXISTS %I ON %N;", sy->trg, &sy->table);
    for (size_t i = 0; i < sy->moves.len; i++)
        zdm_sqlf(&b, PG, "\n%s", pgsql_move_swap(cx, sy->moves.items[i]));
    return zdm_buf_cstr(&b);
}

static void swap_checks(zdm_lower_ctx *cx, zdm_step *s, const pgsql_sync *sy)
{
    for (size_t i = 0; i < sy->moves.len; i++) {
        const pgsql_move *m = sy->moves.items[i];
        const char *q = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, sy->table),
                                    m->col->name);
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "column %s is %s%s", q,
                                      zdm_coltype_str(cx->arena, &m->col->type),
                                      m->col->not_null ? " not null" : " nullable"),
                   pgsql_cond_column_shape(cx, &sy->table, m->col));
        if (strcmp(m->src, m->col->name) != 0)
            pgsql_post(cx, s, zdm_sprintf(cx->arena, "column %s.%s is gone",
                                          zdm_name_str(cx->arena, sy->table), m->src),
                       pgsql_cond_column(cx, &sy->table, m->src, false));
        for (size_t k = 0; k < m->cons.len; k++)
            pgsql_post(cx, s, zdm_sprintf(cx->arena, "constraint %s is valid",
                                          m->cons.items[k]->name),
                       zdm_sqlf_str(cx->arena, PG,
                                    "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid "
                                    "= to_regclass(%L) AND conname = %L AND convalidated)",
                                    pgsql_regclass(cx, &sy->table), m->cons.items[k]->name));
        for (size_t k = 0; k < m->ixs.len; k++) {
            zdm_name in = pgsql_index_name(m->ixs.items[k]);
            pgsql_post(cx, s, zdm_sprintf(cx->arena, "index %s is valid on %s",
                                          m->ixs.items[k]->name, q),
                       zdm_sqlf_str(cx->arena, PG,
                                    "EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN "
                                    "pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND "
                                    "a.attnum = ANY (i.indkey) WHERE i.indexrelid = "
                                    "to_regclass(%L) AND i.indisvalid AND a.attname = %L)",
                                    pgsql_regclass(cx, &in), m->col->name));
        }
    }
}

/* The swap's estimate: the completeness scan before the lock, and on
 * PostgreSQL 11 (no validated CHECK to prove NOT NULL) a scan under it.
 * Returns the seconds of work its statement_timeout must allow. */
static double swap_estimate(zdm_lower_ctx *cx, zdm_step *s, const pgsql_sync *sy)
{
    uint64_t rows = sy->moves.items[0]->op->rows;
    /* The completeness check scans the table (ACCESS SHARE) before the lock. */
    double scan = pgsql_est_scan(rows), work = scan;
    bool pg11_scan = false;
    for (size_t i = 0; i < sy->moves.len; i++)
        pg11_scan = pg11_scan || (sy->moves.items[i]->col->not_null && !sy->moves.items[i]->nn);
    s->est_seconds = 0.1 + (pg11_scan ? 2 * scan : scan);
    s->est_note = rows ? zdm_sprintf(cx->arena, "a scan of %llu rows checks every row is filled "
                                     "(no lock beyond ACCESS SHARE)%s, then catalog changes",
                                     (unsigned long long)rows,
                                     pg11_scan ? ", and SET NOT NULL scans them again under "
                                                 "ACCESS EXCLUSIVE (PostgreSQL 11)" : "")
                       : "a scan checks every row is filled, then catalog changes";
    if (pg11_scan) {
        /* PostgreSQL 11: SET NOT NULL scans under the swap's lock. */
        work += scan;
        s->scans = true;
        pgsql_lock(s, "ACCESS EXCLUSIVE for the SET NOT NULL scan", ZDM_LOCK_BLOCKS_ALL);
        zdm_step_risk(cx->plan, s, ZDM_RISK_FULL_SCAN,
                      "On PostgreSQL 11 the swap's SET NOT NULL scans the whole table under "
                      "ACCESS EXCLUSIVE.",
                      "Run contract in a quiet window, or upgrade to PostgreSQL 12+.");
        zdm_plan_warning(cx->plan, "PostgreSQL 11: the swap of %s scans the table for SET NOT "
                         "NULL under ACCESS EXCLUSIVE.", zdm_name_str(cx->arena, sy->table));
    }
    return work;
}

static void add_swap(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_CONTRACT, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "swap in %s and drop sync trigger %s",
                                            moves_str(cx, sy), sy->trg));
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    double work = swap_estimate(cx, s, sy);
    s->why = "The new columns are complete (trigger + fill) and their indexes and NOT NULL "
             "proof are built: the swap is catalog work in one short transaction, retried.";
    for (size_t i = sy->moves.len; i-- > 0;)
        pgsql_move_undo_swap(cx, s, sy->moves.items[i]);
    zdm_step_rollback_script(cx->plan, s, create_sql(cx, s, sy));
    s->rollback_note = "after the swap the old columns are gone: the rollback adds each back "
                       "under a helper name, keeps it in step from the new one with its own "
                       "trigger (revert, or the database's cast), fills it in batches, builds "
                       "its indexes CONCURRENTLY and swaps back; exact where revert undoes using";
    zdm_name fn = {sy->table.schema, sy->fn};
    s->forward = zdm_sqlf_str(cx->arena, PG, "%sDROP FUNCTION IF EXISTS %N();\n",
                              pgsql_retry_sql_after(cx, s, pgsql_moves_complete_sql(cx, sy),
                                                    pgsql_cond_table(cx, &sy->table, true),
                                                    swap_ddl(cx, sy), work),
                              &fn);
    pgsql_risk_strong_lock(cx, s, &sy->table, "the swap (DROP COLUMN, RENAME, SET NOT NULL)");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "After the swap the old columns of %s are gone and "
                              "retyped columns have their new type.",
                              zdm_name_str(cx->arena, sy->table)),
                  "Run contract only once every application instance uses the new names and "
                  "writes values the new types accept.");
    swap_checks(cx, s, sy);
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "sync trigger %s is gone", sy->trg),
               trigger_absent(cx, sy));
    bool ren = false, retype = false;
    for (size_t i = 0; i < sy->moves.len; i++) {
        ren = ren || sy->moves.items[i]->two_way;
        retype = retype || !sy->moves.items[i]->two_way;
    }
    const char *t = zdm_name_str(cx->arena, sy->table);
    if (ren)
        zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "Deploy the application version that uses the "
                                        "new column names of %s before running contract (it "
                                        "works from the end of expand on: the trigger keeps old "
                                        "and new names in step both ways).", t));
    if (retype)
        zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "Columns of %s change type at the contract's "
                                        "swap: before contract, every application instance must "
                                        "write values both types accept.", t));
}

int pgsql_sync_finish(zdm_lower_ctx *cx)
{
    pgsql_state *st = pgsql_st(cx);
    for (size_t i = 0; i < st->syncs.len; i++) {
        pgsql_sync *sy = st->syncs.items[i];
        if (sy->cols.len == 0 && sy->moves.len == 0)
            continue; /* backfills of existing columns only */
        add_create(cx, sy);
        if (sy->moves.len == 0) {
            add_drop(cx, sy);
            continue;
        }
        if (!sy->moves_fill)
            pgsql_moves_fill_step(cx, sy);
        add_swap(cx, sy);
        for (size_t k = 0; k < sy->moves.len; k++)
            pgsql_move_check_steps(cx, sy->moves.items[k]);
    }
    return 0;
}
