/*
 * sqlt_step.c - the pieces every SQLite step is made of: its phase (kept in
 * file order per table), the busy timeout, IMMEDIATE transactions, inline
 * assertions, checks and their catalog conditions, estimates.
 *
 * Why phases are raised: a copy-swap rebuilds the whole table into the shape
 * the IR gives after its op, so it must not run before a step of an earlier
 * op on the same table (a NOT NULL made later, a column dropped at contract):
 * a step goes at least to the latest phase of the earlier ops on its table.
 *
 * Why an assertion is an INSERT into a temp table with a CHECK: the sqlite3
 * CLI has no IF and raise() exists only inside triggers; a failing CHECK is
 * an error, so `.bail on` stops the script there and the open transaction is
 * rolled back when the client exits.
 */
#include "sqlt_int.h"

#include <string.h>

static size_t op_index(zdm_lower_ctx *cx, const zdm_op *op)
{
    for (size_t i = 0; i < cx->mig->ops.len; i++)
        if (cx->mig->ops.items[i] == op)
            return i;
    return (size_t)-1;
}

static bool same_table(const zdm_op *a, const zdm_op *b)
{
    return zdm_name_eq(a->table, b->table) ||
           (a->kind == ZDM_OP_RENAME_TABLE && zdm_name_eq(a->to, b->table)) ||
           (b->kind == ZDM_OP_RENAME_TABLE && zdm_name_eq(b->to, a->table));
}

zdm_phase sqlt_min_phase(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase natural)
{
    sqlt_state *st = sqlt_st(cx);
    size_t me = op ? op_index(cx, op) : (size_t)-1;
    zdm_phase ph = natural;
    for (size_t i = 0; me != (size_t)-1 && i < me; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        if (st->op_lowered[i] && same_table(o, op) && st->op_phase[i] > ph)
            ph = st->op_phase[i];
    }
    return ph;
}

zdm_step *sqlt_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase phase, const char *title)
{
    sqlt_state *st = sqlt_st(cx);
    zdm_phase ph = sqlt_min_phase(cx, op, phase);
    size_t me = op ? op_index(cx, op) : (size_t)-1;
    if (me != (size_t)-1) {
        if (!st->op_lowered[me] || st->op_phase[me] < ph)
            st->op_phase[me] = ph;
        st->op_lowered[me] = true;
    }
    zdm_step *s = zdm_plan_step(cx->plan, ph, ZDM_STEP_TX, title);
    s->op = op;
    s->transactional = true;
    s->lock = "database write lock (BEGIN IMMEDIATE to COMMIT); readers go on in WAL mode";
    s->lock_level = ZDM_LOCK_BLOCKS_WRITES;
    s->lock_timeout_ms = st->busy_ms;
    s->statement_timeout_ms = 0;
    s->est_seconds = 0.01;
    s->est_note = "schema change only";
    return s;
}

const char *sqlt_step_sql(zdm_lower_ctx *cx, const char *sql)
{
    return zdm_sprintf(cx->arena, ".timeout %lld\n%s", (long long)sqlt_st(cx)->busy_ms, sql);
}

const char *sqlt_tx_sql(zdm_lower_ctx *cx, const char *sql)
{
    return sqlt_step_sql(cx, zdm_sprintf(cx->arena, "BEGIN IMMEDIATE;\n%s\nCOMMIT;\n", sql));
}

const char *sqlt_assert_sql(zdm_lower_ctx *cx, const char *name, const char *cond)
{
    return zdm_sqlf_str(cx->arena, SQ,
                        "-- assert (the script stops here unless it holds): %s\n"
                        "CREATE TEMP TABLE IF NOT EXISTS zdm_assert (what TEXT, ok INTEGER "
                        "CHECK (ok));\n"
                        "INSERT INTO temp.zdm_assert (what, ok) VALUES (%L, coalesce((%R), 0));",
                        name, name, cond);
}

static const char *check_sql(zdm_lower_ctx *cx, const char *name, const char *cond)
{
    return zdm_sqlf_str(cx->arena, SQ, "SELECT %L AS \"check\", coalesce((%R), 0) AS ok", name,
                        cond);
}

void sqlt_pre(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond)
{
    zdm_step_pre(cx->plan, s, name, check_sql(cx, name, cond));
}

void sqlt_post(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond)
{
    zdm_step_post(cx->plan, s, name, check_sql(cx, name, cond));
}

const char *sqlt_cond_table(zdm_lower_ctx *cx, const zdm_name *t, bool exists)
{
    return zdm_sqlf_str(cx->arena, SQ,
                        "%sEXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = %L)",
                        exists ? "" : "NOT ", t->name);
}

const char *sqlt_cond_column(zdm_lower_ctx *cx, const zdm_name *t, const char *col, bool exists)
{
    return zdm_sqlf_str(cx->arena, SQ,
                        "%sEXISTS (SELECT 1 FROM pragma_table_xinfo(%L) WHERE name = %L)",
                        exists ? "" : "NOT ", t->name, col);
}

const char *sqlt_cond_column_shape(zdm_lower_ctx *cx, const zdm_name *t, const zdm_column *c)
{
    const zdm_table *fin = zdm_schema_table(cx->mig->final, *t);
    const char *ty = fin ? sqlt_col_type(cx, fin, c) : sqlt_type(cx, &c->type);
    return zdm_sqlf_str(cx->arena, SQ,
                        "EXISTS (SELECT 1 FROM pragma_table_xinfo(%L) WHERE name = %L AND type "
                        "= %L AND \"notnull\" = %d)",
                        t->name, c->name, ty, c->not_null ? 1 : 0);
}

const char *sqlt_cond_index(zdm_lower_ctx *cx, const char *name, bool exists)
{
    return zdm_sqlf_str(cx->arena, SQ,
                        "%sEXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = %L)",
                        exists ? "" : "NOT ", name);
}

void sqlt_estimate(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, uint64_t rows,
                   double rps, const char *what)
{
    if (rows == 0) {
        s->est_seconds = -1;
        s->est_note = zdm_sprintf(cx->arena, "no `assume %s has N rows`",
                                  zdm_name_str(cx->arena, *t));
        return;
    }
    s->est_seconds = (double)rows / rps;
    s->est_note = zdm_sprintf(cx->arena, "%llu rows at the %s rate (%.0f rows/s)",
                              (unsigned long long)rows, what, rps);
}

void sqlt_risk_write_lock(zdm_lower_ctx *cx, zdm_step *s, const char *what)
{
    const char *dur = s->est_seconds < 0 ? "for an unknown time (no `assume`)"
                                         : zdm_sprintf(cx->arena, "for about %s",
                                                       zdm_duration_str(cx->arena,
                                                                        s->est_seconds));
    zdm_step_risk(cx->plan, s, ZDM_RISK_STRONG_LOCK,
                  zdm_sprintf(cx->arena,
                              "%s holds the database write lock %s: every other writer waits "
                              "(readers go on in WAL mode).",
                              what, dur),
                  "Give the application's connections a busy_timeout longer than that wait; "
                  "run the phase when writes are few.");
}

const char *sqlt_guarded_sql(zdm_lower_ctx *cx, const char *cond, const char *ddl)
{
    return zdm_sqlf_str(cx->arena, SQ,
                        ".headers off\n.mode list\n.output zdm-guard.sql\n"
                        "SELECT %L WHERE %R;\n"
                        ".output stdout\n.read zdm-guard.sql\n",
                        ddl, cond);
}
