/*
 * pgsql_constraint.c - ADD CONSTRAINT and DROP CONSTRAINT for PostgreSQL: the
 * dispatch by kind, the pieces the constraint files share (definition text,
 * catalog conditions, the scan pre-check) and DROP CONSTRAINT.
 *
 * A constraint on a table this migration creates is one ALTER (the table is
 * empty and unused). On an existing table each kind gets its online sequence:
 * unique and primary key in pgsql_unique.c, foreign key and check in
 * pgsql_fk.c. Their steps go to the expand phase, or to the validate phase
 * when a table they read is backfilled (the rows must hold their values first).
 *
 * DROP CONSTRAINT goes to the contract phase: it loses no data, but the old
 * application may rely on the rule (an ON CONFLICT on a unique key, a cascade,
 * a check it never repeats in code), so the rule goes only once the new
 * application runs. Its rollback re-creates the constraint from the history's
 * definition with the same online sequence, only when it is absent.
 */
#include "pgsql_int.h"

#include <string.h>

const char *pgsql_con_def(zdm_lower_ctx *cx, const zdm_constraint *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    pgsql_put_con_body(cx, &b, k);
    return zdm_buf_cstr(&b);
}

const char *pgsql_cond_con(zdm_lower_ctx *cx, const zdm_name *t, const char *name, bool valid)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = "
                        "to_regclass(%L) AND conname = %L%s)",
                        pgsql_regclass(cx, t), name, valid ? " AND convalidated" : "");
}

bool pgsql_con_in(const zdm_schema *sc, const zdm_name *t, const char *name)
{
    const zdm_table *tb = sc ? zdm_schema_table(sc, *t) : NULL;
    return tb && zdm_table_constraint(tb, name) != NULL;
}

zdm_step *pgsql_con_step(pgsql_con *k, zdm_step_kind kind, const char *title)
{
    zdm_step *s = zdm_plan_step(k->cx->plan, k->phase, kind,
                                zdm_sprintf(k->cx->arena, "%s %s", title, k->qname));
    s->op = k->op;
    s->lock_timeout_ms = pgsql_st(k->cx)->lock_timeout_ms;
    return s;
}

const char *pgsql_scan_assert_sql(zdm_lower_ctx *cx, const zdm_step *s, const char *name,
                                  const char *cond, const char *hint, uint64_t rows)
{
    /* Only ACCESS SHARE: the wait is the step's lock_timeout, the scan is
     * bounded like any step's work (off when the size is unknown). */
    zdm_step t = *s;
    t.statement_timeout_ms = rows ? pgsql_stmt_timeout(cx, pgsql_est_scan(rows))
                                  : pgsql_st(cx)->stmt_timeout_ms;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "-- fail before any lock if the rows break the rule\n");
    pgsql_timeouts(&b, &t);
    zdm_buf_puts(&b, pgsql_assert_sql(cx, name, cond, hint));
    return zdm_buf_cstr(&b);
}

/* ---- add ---------------------------------------------------------------------------- */

static bool table_in(const zdm_schema *sc, const zdm_name *t)
{
    return sc && zdm_schema_table(sc, *t) != NULL;
}

static bool any_filled(zdm_lower_ctx *cx, const zdm_name *t, const char *const *cols, size_t n)
{
    const zdm_value *e;
    for (size_t i = 0; i < n; i++)
        if (pgsql_fill_of(cx, t, cols[i], &e))
            return true;
    return false;
}

/* Whether a backfill sets a column the constraint reads: its steps must wait
 * for the values (validate phase); otherwise they go in the expand phase. */
static bool reads_filled(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_constraint *k = op->con;
    if (k->kind == ZDM_CON_FOREIGN)
        return any_filled(cx, &op->table, k->cols, k->ncols) ||
               any_filled(cx, &k->ref_table, k->ref_cols, k->nref_cols);
    for (size_t i = 0; op->after && i < op->after->ncols; i++) {
        const char *c = op->after->cols[i]->name;
        if (zdm_raw_mentions(pgsql_value(cx, k->check), c) && any_filled(cx, &op->table, &c, 1))
            return true;
    }
    return false;
}

/* Unique and primary keys build an index: like any index, after the table's
 * backfills (pgsql_index_phase). Foreign keys and checks wait only for the
 * backfill of a column they read. */
static zdm_phase con_phase(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->con->kind <= ZDM_CON_UNIQUE)
        return pgsql_index_phase(cx, &op->table);
    return reads_filled(cx, op) ? ZDM_PHASE_VALIDATE : ZDM_PHASE_EXPAND;
}

/* A table created by this migration is empty and unused: one plain ALTER
 * (retried: a foreign key also locks the table it references). */
static int add_to_new_table(pgsql_con *k)
{
    zdm_lower_ctx *cx = k->cx;
    zdm_step *s = pgsql_con_step(k, ZDM_STEP_TX, "add constraint");
    bool fk = k->con->kind == ZDM_CON_FOREIGN;
    pgsql_lock(s, fk ? "SHARE ROW EXCLUSIVE (brief) on both tables" : "ACCESS EXCLUSIVE (brief)",
               fk ? ZDM_LOCK_BLOCKS_WRITES : ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "the table is new and empty";
    s->why = "The table was created by this migration: it is empty and nothing uses it yet, so "
             "the constraint is added directly.";
    s->forward = pgsql_retry_sql(
        cx, s, zdm_sprintf(cx->arena, "NOT %s", pgsql_cond_con(cx, k->table, k->con->name, false)),
        zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I %s;", k->table,
                     k->con->name, pgsql_con_def(cx, k->con)),
        0);
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE IF EXISTS %N DROP "
                                               "CONSTRAINT IF EXISTS %I;", k->table,
                                               k->con->name),
                                  0);
    if (fk)
        pgsql_risk_strong_lock(cx, s, &k->con->ref_table, "ADD FOREIGN KEY");
    if (pgsql_con_in(cx->mig->final, k->table, k->con->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", k->qname),
                   pgsql_cond_con(cx, k->table, k->con->name, true));
    return 0;
}

static pgsql_con con_of(zdm_lower_ctx *cx, const zdm_op *op)
{
    pgsql_con k = {
        .cx = cx, .op = op, .table = &op->table, .con = op->con,
        .phase = ZDM_PHASE_EXPAND, .rows = op->rows,
        .qname = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table),
                             op->con->name),
    };
    return k;
}

/*
 * A constraint dropped and added again under the same name in one migration
 * (to change its definition): the drop would wait for the contract phase and
 * the guarded add would then keep the old one, and lose both. So the drop
 * moves up to the add's phase, where it runs first (its sequence number is
 * lower), and the rollback undoes them in reverse.
 */
static void pull_drop_forward(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase ph)
{
    for (size_t i = 0; i < cx->plan->steps.len; i++) {
        zdm_step *d = cx->plan->steps.items[i];
        if (!d->op || d->op->kind != ZDM_OP_DROP_CONSTRAINT || d->phase <= ph ||
            !zdm_name_eq(d->op->table, op->table) || strcmp(d->op->con->name, op->con->name))
            continue;
        d->phase = ph;
        zdm_step_risk(cx->plan, d, ZDM_RISK_APP_COMPAT,
                      "The constraint is dropped before its new definition is added (same "
                      "name): the old application runs without the rule in between.",
                      "Give the new constraint another name to add it first and drop the old "
                      "one in the contract phase.");
    }
}

int pgsql_lower_add_constraint(zdm_lower_ctx *cx, const zdm_op *op)
{
    pgsql_con k = con_of(cx, op);
    if (!table_in(cx->mig->base, &op->table))
        return add_to_new_table(&k);
    k.phase = con_phase(cx, op);
    pull_drop_forward(cx, op, k.phase);
    if (op->con->kind <= ZDM_CON_UNIQUE)
        return pgsql_unique_steps(&k);
    return pgsql_not_valid_steps(&k);
}

/* ---- drop ---------------------------------------------------------------------------- */

static const char *drop_lock(const zdm_constraint *c)
{
    /* Dropping a foreign key also drops its triggers on the referenced table. */
    return c->kind == ZDM_CON_FOREIGN ? "ACCESS EXCLUSIVE (brief) on both tables"
                                      : "ACCESS EXCLUSIVE (brief)";
}

static void drop_checks(pgsql_con *k, zdm_step *s)
{
    zdm_lower_ctx *cx = k->cx;
    if (pgsql_con_in(cx->mig->base, k->table, k->con->name))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", k->qname),
                  pgsql_cond_con(cx, k->table, k->con->name, false));
    if (zdm_schema_table(cx->mig->final, *k->table) &&
        !pgsql_con_in(cx->mig->final, k->table, k->con->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "constraint %s is gone", k->qname),
                   zdm_sprintf(cx->arena, "NOT %s",
                               pgsql_cond_con(cx, k->table, k->con->name, false)));
}

int pgsql_lower_drop_constraint(zdm_lower_ctx *cx, const zdm_op *op)
{
    pgsql_con k = con_of(cx, op);
    k.phase = ZDM_PHASE_CONTRACT;
    zdm_step *s = pgsql_con_step(&k, ZDM_STEP_TX, "drop constraint");
    pgsql_lock(s, drop_lock(op->con), ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    s->why = "Dropping a constraint loses no data, but the old application may rely on the rule "
             "(ON CONFLICT on a unique key, a cascade, a check it does not repeat): it goes in "
             "the contract phase, once the new application runs.";
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N DROP CONSTRAINT IF "
                                              "EXISTS %I;", &op->table, op->con->name),
                                 0);
    s->rollback = op->con->kind <= ZDM_CON_UNIQUE ? pgsql_unique_recreate_sql(&k, s)
                                                  : pgsql_not_valid_recreate_sql(&k, s);
    s->rollback_note = op->con->kind <= ZDM_CON_UNIQUE
                           ? "re-created online (unique index built CONCURRENTLY, then attached); "
                             "it fails if rows written since the drop break the rule"
                           : "re-created online (NOT VALID, then VALIDATE); it fails if rows "
                             "written since the drop break the rule";
    pgsql_risk_strong_lock(cx, s, &op->table, "DROP CONSTRAINT");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  "From this step on the database no longer enforces the rule: rows that break "
                  "it can be written, and a rollback that re-creates it then fails.",
                  "Deploy the new application before the contract phase; to roll back later, "
                  "first fix the rows that break the rule.");
    drop_checks(&k, s);
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "Deploy the application version that no longer "
                                    "relies on constraint %s before running contract.",
                                    k.qname));
    return 0;
}
