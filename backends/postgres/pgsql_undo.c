/*
 * pgsql_undo.c - the rollback of an expand/contract move after its swap (and
 * of a type changed in place): the old column and its values are gone, so the
 * rollback is the same expand/contract run backwards, as one guarded script:
 * add the old column back under a helper name (for a rename: under its old
 * name), keep it in step from the new one with its own trigger (revert, or the
 * database's assignment cast), fill it in batches, build its indexes,
 * constraints and NOT NULL proof online, and swap back in one short retried
 * transaction. The first piece runs only where the swap has happened, the
 * others only while the reverse move's trigger exists, so the script is a
 * no-op before the swap, resumes after a stop and does nothing once done.
 * The fill is also in the step's rollback pieces as a native walk, which
 * `zdm rollback` runs batch by batch with its cursor (runtime/backfill.c).
 */
#include "pgsql_int.h"

static const char *qcol(zdm_lower_ctx *cx, const pgsql_move *m, const char *col)
{
    return zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, m->table), col);
}

static zdm_name in_schema(const zdm_name *t, const char *name)
{
    return (zdm_name){t->schema, name};
}

/* A scratch step: pieces of a rollback script get their own timeouts. */
static zdm_step scratch(zdm_lower_ctx *cx)
{
    zdm_step s = {.lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms, .est_seconds = -1};
    return s;
}

static const char *undo_fn_sql(zdm_lower_ctx *cx, const pgsql_move *r, const zdm_name *fn)
{
    zdm_buf body;
    zdm_buf_init(&body, cx->arena);
    zdm_buf_puts(&body, "#variable_conflict use_column\nBEGIN\n");
    pgsql_move_trigger(cx, &body, r);
    zdm_buf_puts(&body, "    RETURN NEW;\nEND");
    const char *text = zdm_buf_cstr(&body);
    const char *tag = pgsql_dollar_tag(cx->arena, zdm_sprintf(cx->arena, "%s$zdm$", text));
    return zdm_sqlf_str(cx->arena, PG,
                        "CREATE OR REPLACE FUNCTION %N() RETURNS trigger LANGUAGE plpgsql AS "
                        "%s\n%s\n%s;",
                        fn, tag, text, tag);
}

/* One reverse move being written out, into the rollback of step s. */
typedef struct undo {
    zdm_lower_ctx *cx;
    const pgsql_move *r;
    const zdm_name *t;
    const char *trg;     /* the undo trigger (and its function's) name */
    zdm_name fn;
    const char *running; /* "the undo trigger exists": the undo is under way */
    zdm_step *s;
} undo;

static void put(undo *u, const char *text)
{
    zdm_step_rollback_script(u->cx->plan, u->s, text);
}

/* A step's timeouts for pieces that wait only on SHARE UPDATE EXCLUSIVE. */
static zdm_step concurrent(zdm_lower_ctx *cx)
{
    zdm_step s = scratch(cx);
    s.lock_timeout_ms = s.lock_timeout_ms < 10000 ? 10000 : s.lock_timeout_ms;
    s.statement_timeout_ms = 0;
    return s;
}

static const char *while_running(undo *u, const char *cond)
{
    return zdm_sprintf(u->cx->arena, "%s\nAND %s", u->running, cond);
}

/* 1: the old column and the trigger that keeps it in step. */
static void undo_expand(undo *u, const char *swapped)
{
    zdm_step s = scratch(u->cx);
    const char *ddl = zdm_sqlf_str(u->cx->arena, PG, "%s\n%s\nCREATE TRIGGER %I BEFORE INSERT OR "
                                   "UPDATE ON %N\n    FOR EACH ROW EXECUTE FUNCTION %N();",
                                   pgsql_move_add_ddl(u->cx, u->r), undo_fn_sql(u->cx, u->r, &u->fn),
                                   u->trg, u->t, &u->fn);
    const char *guard = zdm_sprintf(u->cx->arena, "%s\nAND %s", swapped,
                                    pgsql_cond_trigger(u->cx, u->t, u->trg, false));
    put(u, pgsql_retry_sql(u->cx, &s, guard, ddl, 0));
}

/* 2: the batched fill, only while the undo is under way; `zdm rollback`
 * walks it natively (the same guard, its own cursor). */
static void undo_fill(undo *u)
{
    zdm_step s = scratch(u->cx);
    s.statement_timeout_ms = 0;
    pgsql_move *one[1] = {(pgsql_move *)u->r};
    const char *pro = zdm_sprintf(u->cx->arena, "    IF NOT %s THEN\n        RETURN;\n    END IF;\n",
                                  u->running);
    const char *loop = pgsql_move_fill_loop(u->cx, u->t, one, 1, pro,
                                            "rows written later are the trigger's");
    put(u, pgsql_step_sql(u->cx, &s, ""));
    zdm_backfill_spec *sp = pgsql_move_spec(u->cx, u->t, one, 1);
    if (!sp) {
        put(u, loop);
        return;
    }
    sp->verb = "fill";
    sp->guard_sql = zdm_sprintf(u->cx->arena, "SELECT %s", u->running);
    zdm_step_rollback_walk(u->cx->plan, u->s, loop, sp);
}

/* 3: its indexes and unique constraints' indexes CONCURRENTLY, its foreign
 * keys NOT VALID + VALIDATE. */
static void undo_indexes(undo *u)
{
    zdm_lower_ctx *cx = u->cx;
    const pgsql_move *r = u->r;
    zdm_step s = concurrent(cx);
    for (size_t i = 0; i < r->tmp_ixs.len; i++)
        put(u, pgsql_step_sql(cx, &s, pgsql_index_if_sql(cx, r->tmp_ixs.items[i], u->running)));
    for (size_t i = 0; i < r->cons.len; i++) {
        const char *tmp = r->tmp_cons.items[i];
        if (r->cons.items[i]->kind == ZDM_CON_CHECK)
            continue; /* re-added by the swap back, validated after it */
        if (r->cons.items[i]->kind == ZDM_CON_UNIQUE) {
            put(u, pgsql_step_sql(cx, &s, pgsql_index_if_sql(cx, pgsql_move_unique_index(cx, r, i),
                                                             u->running)));
            continue;
        }
        zdm_step a = scratch(cx);
        put(u, pgsql_retry_sql(cx, &a,
                               while_running(u, pgsql_cond_constraint(cx, u->t, tmp, false)),
                               pgsql_move_fk_ddl(cx, r, i), 0));
        put(u, pgsql_step_sql(cx, &s, pgsql_validate_if_sql(cx, u->t, tmp)));
    }
}

/* 4: NOT NULL proven by a validated CHECK (PostgreSQL 12+). */
static void undo_not_null(undo *u)
{
    const pgsql_move *r = u->r;
    if (!r->nn)
        return;
    zdm_step a = scratch(u->cx), v = concurrent(u->cx);
    put(u, pgsql_retry_sql(u->cx, &a,
                           while_running(u, pgsql_cond_constraint(u->cx, u->t, r->nn, false)),
                           zdm_sqlf_str(u->cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I "
                                        "CHECK (%I IS NOT NULL) NOT VALID;", u->t, r->nn, r->dst),
                           0));
    put(u, pgsql_step_sql(u->cx, &v, pgsql_validate_if_sql(u->cx, u->t, r->nn)));
}

/* 5: the swap back, in one short retried transaction. */
static void undo_swap(undo *u)
{
    zdm_step s = scratch(u->cx);
    const char *ddl = zdm_sqlf_str(u->cx->arena, PG, "DROP TRIGGER %I ON %N;\n%s\nDROP FUNCTION "
                                   "IF EXISTS %N();",
                                   u->trg, u->t, pgsql_move_swap(u->cx, u->r), &u->fn);
    put(u, pgsql_retry_sql(u->cx, &s, u->running, ddl, 0));
    zdm_step v = concurrent(u->cx);
    for (size_t i = 0; i < u->r->cons.len; i++)
        if (u->r->cons.items[i]->kind == ZDM_CON_CHECK)
            put(u, pgsql_step_sql(u->cx, &v, pgsql_validate_if_sql(u->cx, u->t,
                                                                   u->r->cons.items[i]->name)));
}

/* The reverse move `r` of a swapped column, started only where `swapped`
 * holds, appended to s's rollback. */
static void undo_script(zdm_lower_ctx *cx, zdm_step *s, const pgsql_move *r, const char *swapped)
{
    undo u = {.cx = cx, .r = r, .t = &r->table, .s = s};
    u.trg = pgsql_object_name(cx->arena, "zdm_undo", r->table.name, r->dst);
    u.fn = in_schema(u.t, u.trg);
    u.running = pgsql_cond_trigger(cx, u.t, u.trg, true);
    put(&u, zdm_sqlf_str(cx->arena, PG, "-- undo the swap of %s: the old column back, online\n",
                         qcol(cx, r, r->src)));
    undo_expand(&u, swapped);
    undo_fill(&u);
    undo_indexes(&u);
    undo_not_null(&u);
    undo_swap(&u);
}

void pgsql_move_undo_swap(zdm_lower_ctx *cx, zdm_step *s, const pgsql_move *m)
{
    const zdm_op *op = m->op;
    pgsql_move *r = pgsql_move_reverse(cx, op);
    const char *swapped;
    if (op->kind == ZDM_OP_RENAME_COLUMN) /* the old name is gone, the new one is there */
        swapped = zdm_sprintf(cx->arena, "%s\nAND %s",
                              pgsql_cond_column(cx, &op->table, op->old_col->name, false),
                              pgsql_cond_column(cx, &op->table, op->col->name, true));
    else /* the column has the new type and no helper column is left */
        swapped = zdm_sprintf(cx->arena, "%s\nAND %s",
                              pgsql_cond_type(cx, &op->table, op->col->name, &op->col->type),
                              pgsql_cond_column(cx, &op->table, m->dst, false));
    undo_script(cx, s, r, swapped);
}

void pgsql_retype_undo(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op)
{
    undo_script(cx, s, pgsql_move_reverse(cx, op),
                pgsql_cond_type(cx, &op->table, op->col->name, &op->col->type));
}
