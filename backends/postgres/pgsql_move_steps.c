/*
 * pgsql_move_steps.c - the forward steps of an expand/contract move
 * (pgsql_move.c): the helper column (expand), the one batched fill pass of a
 * table (backfill), the indexes, constraints and NOT NULL proof rebuilt on
 * the new column online (validate), and the completeness check the swap runs
 * before its lock. The swap itself and the trigger are the table's, in
 * pgsql_sync.c.
 */
#include "pgsql_int.h"

/* ---- forward steps of one move ----------------------------------------------------------- */

static zdm_step *move_step(zdm_lower_ctx *cx, const pgsql_move *m, zdm_phase ph,
                           zdm_step_kind k, const char *title)
{
    zdm_step *s = zdm_plan_step(cx->plan, ph, k, title);
    s->op = m->op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    return s;
}

static const char *qcol(zdm_lower_ctx *cx, const pgsql_move *m, const char *col)
{
    return zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, m->table), col);
}

static zdm_step *add_dst_step(zdm_lower_ctx *cx, const pgsql_move *m)
{
    bool ren = m->two_way;
    zdm_step *s = move_step(cx, m, ZDM_PHASE_EXPAND, ZDM_STEP_TX,
                            zdm_sprintf(cx->arena, "add column %s (%s of %s, kept in step)",
                                        qcol(cx, m, m->dst),
                                        ren ? "the new name" : "the new type",
                                        qcol(cx, m, m->src)));
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    s->why = "A nullable column without a default is metadata only; the sync trigger and the "
             "batched fill give it its values, so nothing rewrites the table.";
    s->forward = pgsql_retry_sql(cx, s, NULL, pgsql_move_add_ddl(cx, m), 0);
    /* Only while src exists: after the swap dst holds the only copy. */
    s->rollback = pgsql_retry_sql(cx, s, pgsql_cond_column(cx, &m->table, m->src, true),
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N DROP COLUMN IF "
                                               "EXISTS %I;", &m->table, m->dst),
                                  0);
    s->rollback_note = "drops the helper column; the original column is untouched";
    pgsql_risk_strong_lock(cx, s, &m->table, "ADD COLUMN");
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "column %s exists", qcol(cx, m, m->src)),
              pgsql_cond_column(cx, &m->table, m->src, true));
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "column %s does not exist yet", qcol(cx, m, m->dst)),
              pgsql_cond_column(cx, &m->table, m->dst, false));
    return s;
}

static void index_steps(zdm_lower_ctx *cx, const pgsql_move *m)
{
    for (size_t i = 0; i < m->tmp_ixs.len; i++) {
        const zdm_index *ix = m->tmp_ixs.items[i];
        zdm_name in = pgsql_index_name(ix);
        zdm_step *s = move_step(cx, m, ZDM_PHASE_VALIDATE, ZDM_STEP_CONCURRENT_INDEX,
                                zdm_sprintf(cx->arena, "create index %s on %s (for %s)",
                                            ix->name, qcol(cx, m, m->dst),
                                            m->ixs.items[i]->name));
        s->scans = true;
        s->lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms;
        s->statement_timeout_ms = 0;
        pgsql_lock(s, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
        pgsql_estimate(cx, s, &m->table, m->op->rows, pgsql_est_index, "index build");
        s->why = zdm_sprintf(cx->arena, "The index %s follows the column: built CONCURRENTLY "
                             "on the new column now, renamed to %s by the swap.", ix->name,
                             m->ixs.items[i]->name);
        s->forward = pgsql_step_sql(cx, s, pgsql_create_index_sql(cx, ix));
        s->rollback = pgsql_step_sql(cx, s, zdm_sqlf_str(cx->arena, PG, "DROP INDEX "
                                                         "CONCURRENTLY IF EXISTS %N;\n", &in));
        zdm_step_risk(cx->plan, s, ZDM_RISK_INDEX_BUILD,
                      "A concurrent build scans the table twice and needs disk for the index.",
                      "Run it off-peak; it holds only SHARE UPDATE EXCLUSIVE.");
    }
}

/* src's unique constraints (as unique indexes built CONCURRENTLY, attached at
 * the swap) and foreign keys (NOT VALID, then VALIDATE), on dst. */
static void cons_steps(zdm_lower_ctx *cx, const pgsql_move *m)
{
    for (size_t i = 0; i < m->cons.len; i++) {
        const zdm_constraint *k = m->cons.items[i];
        const char *tmp = m->tmp_cons.items[i];
        if (k->kind == ZDM_CON_CHECK)
            continue; /* re-added by the swap, validated after it (pgsql_sync.c) */
        if (k->kind == ZDM_CON_UNIQUE) {
            zdm_index *ix = pgsql_move_unique_index(cx, m, i);
            zdm_name in = pgsql_index_name(ix);
            zdm_step *s = move_step(cx, m, ZDM_PHASE_VALIDATE, ZDM_STEP_CONCURRENT_INDEX,
                                    zdm_sprintf(cx->arena, "create unique index %s on %s (for "
                                                "constraint %s)", tmp, qcol(cx, m, m->dst),
                                                k->name));
            s->scans = true;
            s->lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms;
            s->statement_timeout_ms = 0;
            pgsql_lock(s, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
            pgsql_estimate(cx, s, &m->table, m->op->rows, pgsql_est_index, "index build");
            s->why = zdm_sprintf(cx->arena, "The unique constraint %s follows the column: its "
                                 "index is built CONCURRENTLY now and attached by the swap "
                                 "(ADD CONSTRAINT ... UNIQUE USING INDEX).", k->name);
            s->forward = pgsql_step_sql(cx, s, pgsql_create_index_sql(cx, ix));
            s->rollback = pgsql_step_sql(cx, s, zdm_sqlf_str(cx->arena, PG, "DROP INDEX "
                                                             "CONCURRENTLY IF EXISTS %N;\n",
                                                             &in));
            zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                          "The build fails if the conversion makes two values equal, leaving an "
                          "INVALID index.",
                          "A rerun drops the INVALID index and builds again once the rows are "
                          "fixed.");
            continue;
        }
        zdm_step *a = move_step(cx, m, ZDM_PHASE_VALIDATE, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "add foreign key %s on %s NOT VALID (for "
                                            "%s)", tmp, qcol(cx, m, m->dst), k->name));
        pgsql_lock(a, "SHARE ROW EXCLUSIVE on both tables (brief)", ZDM_LOCK_BLOCKS_WRITES);
        a->est_seconds = 0.1;
        a->est_note = "catalog change only";
        a->why = "NOT VALID skips the check of existing rows; new and updated rows are checked "
                 "from now on.";
        a->forward = pgsql_retry_sql(cx, a, pgsql_cond_constraint(cx, &m->table, tmp, false),
                                     pgsql_move_fk_ddl(cx, m, i), 0);
        a->rollback = pgsql_retry_sql(cx, a, NULL,
                                      zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                                   "CONSTRAINT IF EXISTS %I;", &m->table, tmp),
                                      0);
        pgsql_risk_strong_lock(cx, a, &m->table, "ADD FOREIGN KEY ... NOT VALID");
        zdm_step *v = move_step(cx, m, ZDM_PHASE_VALIDATE, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "validate foreign key %s", tmp));
        pgsql_lock(v, "SHARE UPDATE EXCLUSIVE (ROW SHARE on the referenced table)",
                   ZDM_LOCK_CONCURRENT);
        v->scans = true;
        v->lock_timeout_ms = v->lock_timeout_ms < 10000 ? 10000 : v->lock_timeout_ms;
        v->statement_timeout_ms = 0;
        pgsql_estimate(cx, v, &m->table, m->op->rows, pgsql_est_scan, "sequential scan");
        v->why = "VALIDATE checks the existing rows without blocking reads or writes.";
        v->forward = pgsql_step_sql(cx, v, pgsql_validate_if_sql(cx, &m->table, tmp));
        v->rollback = "-- nothing to undo: validating a constraint changes no data\n";
        zdm_step_risk(cx->plan, v, ZDM_RISK_CONSTRAINT_FAIL,
                      "VALIDATE fails if a converted value has no match in the referenced "
                      "table.",
                      "A failure changes nothing: fix the rows and rerun the phase.");
    }
}

static void nn_steps(zdm_lower_ctx *cx, const pgsql_move *m)
{
    if (!m->nn)
        return;
    zdm_step *s = move_step(cx, m, ZDM_PHASE_VALIDATE, ZDM_STEP_TX,
                            zdm_sprintf(cx->arena, "add CHECK (IS NOT NULL) NOT VALID on %s",
                                        qcol(cx, m, m->dst)));
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    s->why = "Proves NOT NULL before the swap, so the swap's SET NOT NULL scans nothing.";
    s->forward = pgsql_retry_sql(cx, s, pgsql_cond_constraint(cx, &m->table, m->nn, false),
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I "
                                              "CHECK (%I IS NOT NULL) NOT VALID;", &m->table,
                                              m->nn, m->dst),
                                 0);
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                               "CONSTRAINT IF EXISTS %I;", &m->table, m->nn),
                                  0);
    pgsql_risk_strong_lock(cx, s, &m->table, "ADD CONSTRAINT ... NOT VALID");
    zdm_step *v = move_step(cx, m, ZDM_PHASE_VALIDATE, ZDM_STEP_TX,
                            zdm_sprintf(cx->arena, "validate the NOT NULL check on %s",
                                        qcol(cx, m, m->dst)));
    pgsql_lock(v, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
    v->scans = true;
    v->lock_timeout_ms = v->lock_timeout_ms < 10000 ? 10000 : v->lock_timeout_ms;
    v->statement_timeout_ms = 0;
    pgsql_estimate(cx, v, &m->table, m->op->rows, pgsql_est_scan, "sequential scan");
    v->why = "VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes go on.";
    v->forward = pgsql_step_sql(cx, v, zdm_sqlf_str(cx->arena, PG,
                                                    "ALTER TABLE %N VALIDATE CONSTRAINT %I;\n",
                                                    &m->table, m->nn));
    v->rollback = "-- nothing to undo: validating a constraint changes no data\n";
    zdm_step_risk(cx->plan, v, ZDM_RISK_CONSTRAINT_FAIL,
                  zdm_sprintf(cx->arena, "VALIDATE fails if %s holds a NULL.",
                              qcol(cx, m, m->dst)),
                  "The source column is NOT NULL and the conversion keeps NULL only for NULL; "
                  "a `using` that yields NULL makes it fail: fix the rows and rerun the phase.");
}

zdm_step *pgsql_move_steps(zdm_lower_ctx *cx, pgsql_move *m)
{
    zdm_step *s = add_dst_step(cx, m);
    zdm_plan_note(cx->plan, "%s: the column moves to the end of the table (expand/contract "
                  "adds it as a new column; PostgreSQL cannot place a column elsewhere).",
                  qcol(cx, m, m->col->name));
    index_steps(cx, m);
    cons_steps(cx, m);
    nn_steps(cx, m);
    return s;
}

void pgsql_moves_fill_step(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    const pgsql_move *m0 = sy->moves.items[0];
    zdm_step *s = zdm_plan_step(cx->plan, ZDM_PHASE_BACKFILL, ZDM_STEP_BACKFILL,
                                zdm_sprintf(cx->arena, "fill the new columns of %s in one "
                                            "batched pass", zdm_name_str(cx->arena, sy->table)));
    s->scans = true;
    s->backfill = pgsql_moves_spec(cx, sy); /* `zdm run` walks it natively */
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    s->statement_timeout_ms = 0;
    pgsql_lock(s, "ROW EXCLUSIVE and row locks, one batch at a time", ZDM_LOCK_ROWS);
    if (m0->op->rows) {
        s->est_seconds = pgsql_est_backfill(m0->op->rows, pgsql_st(cx)->batch);
        s->est_note = zdm_sprintf(cx->arena, "%llu rows at the batched-update rate",
                                  (unsigned long long)m0->op->rows);
    } else
        pgsql_estimate(cx, s, &sy->table, 0, pgsql_est_scan, "");
    s->why = "One short transaction per batch; the sync trigger keeps rows written meanwhile "
             "in step, and a rerun skips rows already right.";
    s->forward = pgsql_step_sql(cx, s, pgsql_move_fill_loop(cx, &sy->table, sy->moves.items, sy->moves.len,
                                                 NULL, "the upper key is read after the sync "
                                                 "trigger exists: later rows are its job"));
    s->rollback = "-- nothing to undo here: the filled columns are helpers that the rollback "
                  "of their add column drops\n";
    zdm_step_risk(cx->plan, s, ZDM_RISK_BLOAT,
                  "Every row is written again: the table can double in size, and replicas "
                  "replay it.",
                  "batch_pause spreads it; VACUUM after the migration.");
}

/* An inline check before the swap takes its lock: every row's dst is in step
 * (the fill ran to its end). It scans under ACCESS SHARE only; the trigger
 * keeps rows written after it in step. Skipped where the swap already ran. */
const char *pgsql_moves_complete_sql(zdm_lower_ctx *cx, const pgsql_sync *sy)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "BEGIN\n");
    for (size_t i = 0; i < sy->moves.len; i++) {
        const pgsql_move *m = sy->moves.items[i];
        zdm_sqlf(&b, PG,
                 "    IF %s THEN\n"
                 "        IF EXISTS (SELECT 1 FROM %N WHERE %s) THEN\n"
                 "            RAISE EXCEPTION 'zdm: check failed: %%', %L\n"
                 "                USING HINT = 'Run the backfill phase (again) before contract.';\n"
                 "        END IF;\n"
                 "    END IF;\n",
                 pgsql_cond_column(cx, &m->table, m->dst, true), &m->table,
                 pgsql_move_differs(cx, m, pgsql_ident(cx, m->dst)),
                 zdm_sprintf(cx->arena, "%s is filled from %s in every row",
                             qcol(cx, m, m->dst), qcol(cx, m, m->src)));
    }
    zdm_buf_puts(&b, "END");
    const char *text = zdm_buf_cstr(&b);
    const char *tag = pgsql_dollar_tag(cx->arena, text);
    return zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, text, tag);
}

void pgsql_move_check_steps(zdm_lower_ctx *cx, const pgsql_move *m)
{
    for (size_t i = 0; i < m->cons.len; i++) {
        const zdm_constraint *k = m->cons.items[i];
        if (k->kind != ZDM_CON_CHECK)
            continue;
        zdm_step *v = move_step(cx, m, ZDM_PHASE_CONTRACT, ZDM_STEP_TX,
                                zdm_sprintf(cx->arena, "validate check %s on %s", k->name,
                                            qcol(cx, m, m->col->name)));
        pgsql_lock(v, "SHARE UPDATE EXCLUSIVE", ZDM_LOCK_CONCURRENT);
        v->scans = true;
        v->lock_timeout_ms = v->lock_timeout_ms < 10000 ? 10000 : v->lock_timeout_ms;
        v->statement_timeout_ms = 0;
        pgsql_estimate(cx, v, &m->table, m->op->rows, pgsql_est_scan, "sequential scan");
        v->why = "The swap re-added the CHECK NOT VALID (its text names the column, which has its "
                 "name again only after the swap): VALIDATE proves the existing rows without "
                 "blocking reads or writes.";
        v->forward = pgsql_step_sql(cx, v, pgsql_validate_if_sql(cx, &m->table, k->name));
        v->rollback = "-- nothing to undo: validating a constraint changes no data\n";
        zdm_step_risk(cx->plan, v, ZDM_RISK_CONSTRAINT_FAIL,
                      zdm_sprintf(cx->arena, "VALIDATE fails if a converted value breaks %s; the "
                                  "check holds for every row written since the swap.", k->name),
                      "A failure changes nothing: fix the rows and rerun the contract phase.");
    }
}
