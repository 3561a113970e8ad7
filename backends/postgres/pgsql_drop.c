/*
 * pgsql_drop.c - DROP COLUMN and DROP TABLE for PostgreSQL, in the contract
 * phase, after the deploy checkpoint where the application stops using what
 * is dropped.
 *
 * DROP COLUMN only marks the column dropped in the catalog (no rewrite), but
 * it takes the column's indexes and constraints with it. Each of those is
 * dropped first as a step of its own (an index CONCURRENTLY), so each has its
 * own guarded rollback that re-creates it the online way: indexes
 * CONCURRENTLY, CHECK and FOREIGN KEY constraints NOT VALID then VALIDATE,
 * UNIQUE and PRIMARY KEY from a concurrently built unique index. The
 * column's rollback re-adds it from the history's definition; its values are
 * gone for good.
 *
 * DROP TABLE's rollback re-creates the table empty, with its constraints and
 * indexes. Tables that other tables' foreign keys reference are refused by
 * the analysis (frontend/sema_table.c) with a hint to drop those keys first.
 * `drop table T keep` renames T aside to zdm_dropped_T instead (a catalog
 * change), and its rollback renames it back with every row.
 */
#include "pgsql_int.h"

#include <string.h>

static zdm_step *contract_step(zdm_lower_ctx *cx, const zdm_op *op, const char *title)
{
    return pgsql_brief_step(cx, op, ZDM_PHASE_CONTRACT, title);
}

static bool has_index(const zdm_table *t, const char *name)
{
    for (size_t i = 0; t && i < t->nindexes; i++)
        if (strcmp(t->indexes[i]->name, name) == 0)
            return true;
    return false;
}

static const char *cond_con(zdm_lower_ctx *cx, const zdm_name *t, const char *name, bool exists)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "%sEXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = "
                        "to_regclass(%L) AND conname = %L)",
                        exists ? "" : "NOT ", pgsql_regclass(cx, t), name);
}

/* VALIDATE of a constraint added NOT VALID, only while it is not valid yet;
 * it waits for SHARE UPDATE EXCLUSIVE only, so a longer lock wait and no
 * statement cap (the scan may be long). */
static const char *validate_sql(zdm_lower_ctx *cx, const zdm_step *s, const zdm_name *t,
                                const char *name)
{
    zdm_step v = {.lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms};
    return pgsql_step_sql(cx, &v,
                          zdm_sqlf_str(cx->arena, PG,
                                       "SELECT format('ALTER TABLE %%s VALIDATE CONSTRAINT %%I', "
                                       "c.conrelid::regclass, c.conname)\n"
                                       "  FROM pg_catalog.pg_constraint c\n"
                                       " WHERE c.conrelid = to_regclass(%L) AND c.conname = %L "
                                       "AND NOT c.convalidated \\gexec\n",
                                       pgsql_regclass(cx, t), name));
}

/* The guarded, online re-creation of a constraint the drop takes with it. */
static const char *readd_constraint(zdm_lower_ctx *cx, zdm_step *s, const zdm_table *t,
                                    const zdm_constraint *k)
{
    const char *guard = zdm_sprintf(cx->arena, "%s\nAND %s", pgsql_cond_table(cx, &t->name, true),
                                    cond_con(cx, &t->name, k->name, false));
    zdm_buf def;
    zdm_buf_init(&def, cx->arena);
    if (k->kind == ZDM_CON_CHECK || k->kind == ZDM_CON_FOREIGN) {
        pgsql_put_constraint(cx, &def, k);
        const char *add = zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD %s NOT VALID;",
                                       &t->name, zdm_buf_cstr(&def));
        return zdm_sprintf(cx->arena, "%s%s", pgsql_retry_sql(cx, s, guard, add, 0),
                           validate_sql(cx, s, &t->name, k->name));
    }
    /* UNIQUE / PRIMARY KEY: the index is built CONCURRENTLY under the
     * constraint's name, then attached (a catalog change). */
    zdm_index_elem *el = ZDM_NEW_ARRAY(cx->arena, zdm_index_elem, k->ncols);
    for (size_t i = 0; i < k->ncols; i++)
        el[i].col = k->cols[i];
    zdm_index ix = {.name = k->name, .table = t->name, .unique = true, .elems = el,
                    .nelems = k->ncols};
    zdm_step b = {.lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms};
    const char *attach = zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD CONSTRAINT %I %s "
                                      "USING INDEX %I;", &t->name, k->name,
                                      k->kind == ZDM_CON_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
                                      k->name);
    return zdm_sprintf(cx->arena, "%s%s", pgsql_step_sql(cx, &b, pgsql_create_index_sql(cx, &ix)),
                       pgsql_retry_sql(cx, s, guard, attach, 0));
}

static const char *con_kind_word(const zdm_constraint *k)
{
    switch (k->kind) {
    case ZDM_CON_PRIMARY: return "primary key";
    case ZDM_CON_UNIQUE: return "unique constraint";
    case ZDM_CON_FOREIGN: return "foreign key";
    case ZDM_CON_CHECK: break;
    }
    return "check constraint";
}

static void drop_constraint_step(zdm_lower_ctx *cx, const zdm_op *op, const zdm_constraint *k)
{
    const char *qn = zdm_name_str(cx->arena, op->table);
    zdm_step *s = contract_step(cx, op, zdm_sprintf(cx->arena, "drop %s %s on %s (it uses "
                                                    "column %s)", con_kind_word(k), k->name, qn,
                                                    op->old_col->name));
    if (k->kind == ZDM_CON_FOREIGN)
        pgsql_lock(s, "ACCESS EXCLUSIVE (brief; SHARE ROW EXCLUSIVE on the referenced table)",
                   ZDM_LOCK_BLOCKS_ALL);
    s->why = "DROP COLUMN would take the constraint with it; dropped first on its own, it gets "
             "its own rollback, which re-creates it online.";
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N DROP CONSTRAINT IF "
                                              "EXISTS %I;", &op->table, k->name),
                                 0);
    s->rollback = readd_constraint(cx, s, op->before, k);
    s->rollback_note = k->kind == ZDM_CON_CHECK || k->kind == ZDM_CON_FOREIGN
                           ? "re-added NOT VALID, then VALIDATE (reads and writes go on); it "
                             "fails if rows written meanwhile break it"
                           : "its unique index is rebuilt CONCURRENTLY, then attached as the "
                             "constraint; it fails if duplicates were written meanwhile";
    pgsql_risk_strong_lock(cx, s, &op->table, "DROP CONSTRAINT");
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", k->name),
              cond_con(cx, &op->table, k->name, true));
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "constraint %s is gone", k->name),
               cond_con(cx, &op->table, k->name, false));
}

/* ---- DROP COLUMN --------------------------------------------------------------- */

/* How the rollback re-adds the column: its type and default from the
 * history; NOT NULL only when a literal default makes it valid on every
 * existing row without a scan (PostgreSQL 11+ stores it in the catalog).
 * Identity and serial columns come back as plain columns. */
static const char *readd_column(zdm_lower_ctx *cx, const zdm_op *op, bool *exact)
{
    const zdm_column *o = op->old_col;
    zdm_column c = *o;
    c.identity = ZDM_IDENTITY_NONE;
    c.serial = false;
    bool raw = o->def && o->def->kind == ZDM_V_RAW;
    c.not_null = o->not_null && o->def && !raw && o->def->kind != ZDM_V_NULL;
    *exact = c.not_null == o->not_null && o->identity == ZDM_IDENTITY_NONE && !o->serial;
    if (raw)
        c.def = NULL; /* a volatile default would rewrite the table: set it after */
    const char *sql = zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N ADD COLUMN IF NOT EXISTS %s;",
                                   &op->table, pgsql_column_def(cx, &c));
    if (raw)
        sql = zdm_sqlf_str(cx->arena, PG, "%s\nALTER TABLE %N ALTER COLUMN %I SET DEFAULT %R;",
                           sql, &op->table, o->name, pgsql_value(cx, o->def));
    return sql;
}

static const char *readd_note(zdm_lower_ctx *cx, const zdm_op *op, bool exact)
{
    const zdm_column *o = op->old_col;
    const char *vals = o->def ? "every row gets the column's default" : "every row gets NULL";
    /* PostgreSQL adds a column at the end and cannot move it. */
    const zdm_table *b = op->before;
    if (b->ncols > 0 && strcmp(b->cols[b->ncols - 1]->name, o->name) != 0)
        vals = zdm_sprintf(cx->arena, "%s; it comes back as the table's last column (PostgreSQL "
                           "cannot put a column back in its old position)", vals);
    if (exact)
        return zdm_sprintf(cx->arena, "dropped data is not restored: the column is re-added "
                           "with its definition and %s", vals);
    if (o->identity != ZDM_IDENTITY_NONE || o->serial)
        return zdm_sprintf(cx->arena, "dropped data is not restored: the column is re-added as "
                           "a plain nullable %s (an identity or serial column cannot be added "
                           "to an existing table without a rewrite)",
                           zdm_coltype_str(cx->arena, &o->type));
    return zdm_sprintf(cx->arena, "dropped data is not restored: the column is re-added "
                       "nullable (NOT NULL without a literal default would fail on the existing "
                       "rows) and %s", vals);
}

static void drop_column_step(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *qc = zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, op->table),
                                 op->old_col->name);
    zdm_step *s = contract_step(cx, op, zdm_sprintf(cx->arena, "drop column %s", qc));
    s->why = "DROP COLUMN only marks the column dropped in the catalog: no rewrite, no scan; "
             "the space is reclaimed as rows are rewritten later.";
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N DROP COLUMN IF "
                                              "EXISTS %I;", &op->table, op->old_col->name),
                                 0);
    bool exact;
    const char *readd = readd_column(cx, op, &exact);
    s->rollback = pgsql_retry_sql(cx, s,
                                  zdm_sprintf(cx->arena, "%s\nAND %s",
                                              pgsql_cond_table(cx, &op->table, true),
                                              pgsql_cond_column(cx, &op->table,
                                                                op->old_col->name, false)),
                                  readd, 0);
    s->rollback_note = readd_note(cx, op, exact);
    pgsql_risk_strong_lock(cx, s, &op->table, "DROP COLUMN");
    zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                  zdm_sprintf(cx->arena, "Every value of %s is lost; the rollback re-adds the "
                              "column but not its data.", qc),
                  "Copy the column first if it may be needed (CREATE TABLE ... AS SELECT key, "
                  "column), or keep it until the new application has run long enough.");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "Any query that still names %s fails once it is "
                              "dropped, as does an INSERT that relies on column order.", qc),
                  "Deploy the application that no longer reads or writes the column before the "
                  "contract phase (the deploy checkpoint), and check pg_stat_statements for "
                  "queries that still name it.");
    if (!zdm_migration_column_is_new(cx->mig, op->table, op->old_col->name))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "column %s exists", qc),
                  pgsql_cond_column(cx, &op->table, op->old_col->name, true));
    const zdm_table *fin = zdm_schema_table(cx->mig->final, op->table);
    if (fin && !zdm_table_column(fin, op->old_col->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "column %s is gone", qc),
                   pgsql_cond_column(cx, &op->table, op->old_col->name, false));
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "The application no longer reads or writes %s "
                                    "(deploy it before the contract phase).", qc));
}

int pgsql_lower_drop_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    /* What the drop takes with it, each dropped (and re-created) on its own. */
    for (size_t i = 0; i < op->before->nindexes; i++) {
        const zdm_index *ix = op->before->indexes[i];
        if (has_index(op->after, ix->name))
            continue;
        zdm_op *d = ZDM_NEW(cx->arena, zdm_op);
        *d = *op;
        d->kind = ZDM_OP_DROP_INDEX;
        d->index = ix;
        if (pgsql_lower_drop_index(cx, d) != 0)
            return -1;
    }
    for (size_t i = 0; i < op->before->ncons; i++) {
        const zdm_constraint *k = op->before->cons[i];
        if (!zdm_table_constraint(op->after, k->name))
            drop_constraint_step(cx, op, k);
    }
    drop_column_step(cx, op);
    return 0;
}

/* ---- DROP TABLE ------------------------------------------------------------------ */

/* The empty table again: CREATE TABLE IF NOT EXISTS with its constraints,
 * then its indexes (CONCURRENTLY, IF NOT EXISTS: instant on an empty table). */
static const char *recreate_table(zdm_lower_ctx *cx, zdm_step *s, const zdm_table *t)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, pgsql_retry_sql(cx, s, NULL, pgsql_create_table_sql(cx, t), 0));
    zdm_step ix = {.lock_timeout_ms = s->lock_timeout_ms < 10000 ? 10000 : s->lock_timeout_ms};
    for (size_t i = 0; i < t->nindexes; i++)
        zdm_buf_puts(&b, pgsql_step_sql(cx, &ix, pgsql_create_index_sql(cx, t->indexes[i])));
    return zdm_buf_cstr(&b);
}

/* `drop table T keep`: T renamed aside, its rows kept for the rollback. */
static int keep_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->before;
    const char *qn = zdm_name_str(cx->arena, t->name);
    const char *qa = zdm_name_str(cx->arena, op->to);
    zdm_step *s = contract_step(cx, op, zdm_sprintf(cx->arena, "move table %s aside to %s",
                                                    qn, op->to.name));
    s->why = "RENAME only changes the catalog under a brief ACCESS EXCLUSIVE; the rows stay, so "
             "the rollback gives the table back whole.";
    const char *both = zdm_sprintf(cx->arena, "%s\nAND %s", pgsql_cond_table(cx, &t->name, true),
                                   pgsql_cond_table(cx, &op->to, false));
    s->forward = pgsql_retry_sql(cx, s, both,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N RENAME TO %I;",
                                              &t->name, op->to.name),
                                 0);
    const char *back = zdm_sprintf(cx->arena, "%s\nAND %s", pgsql_cond_table(cx, &op->to, true),
                                   pgsql_cond_table(cx, &t->name, false));
    s->rollback = pgsql_retry_sql(cx, s, back,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER TABLE %N RENAME TO %I;",
                                               &op->to, t->name.name),
                                  0);
    s->rollback_note = "the table is renamed back with every row it had when it was moved aside";
    pgsql_risk_strong_lock(cx, s, &t->name, "RENAME");
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "Any query that still uses %s fails once it is moved "
                              "aside; %s keeps its disk space until it is dropped.", qn, qa),
                  zdm_sprintf(cx->arena, "Deploy the application that no longer uses the table "
                              "before the contract phase; drop it for good later with a "
                              "migration `drop table %s;`.", qa));
    if (zdm_schema_table(cx->mig->base, t->name))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists", qn),
                  pgsql_cond_table(cx, &t->name, true));
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "name %s is free", qa),
              pgsql_cond_table(cx, &op->to, false));
    if (!zdm_schema_table(cx->mig->final, t->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "table %s is gone", qn),
                   pgsql_cond_table(cx, &t->name, false));
    if (zdm_schema_table(cx->mig->final, op->to))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "table %s holds the rows", qa),
                   pgsql_cond_table(cx, &op->to, true));
    zdm_plan_note(cx->plan, "Table %s is moved aside to %s, not dropped: drop it for good in a "
                  "later migration (`drop table %s;`) once nobody needs its rows.", qn, qa, qa);
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "The application no longer uses table %s "
                                    "(deploy it before the contract phase).", qn));
    return 0;
}

int pgsql_lower_drop_table(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->keep)
        return keep_table(cx, op);
    const zdm_table *t = op->before;
    const char *qn = zdm_name_str(cx->arena, t->name);
    zdm_step *s = contract_step(cx, op, zdm_sprintf(cx->arena, "drop table %s", qn));
    if (pgsql_fk_target(t))
        pgsql_lock(s, "ACCESS EXCLUSIVE (brief; also on each table its foreign keys reference)",
                   ZDM_LOCK_BLOCKS_ALL);
    s->why = "DROP TABLE is a catalog change under a brief ACCESS EXCLUSIVE (the files are "
             "removed at commit); it runs once the application no longer uses the table.";
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "DROP TABLE IF EXISTS %N;", &t->name),
                                 0);
    s->rollback = recreate_table(cx, s, t);
    s->rollback_note = "dropped data is not restored: the table is re-created EMPTY with its "
                       "columns, constraints and indexes";
    pgsql_risk_strong_lock(cx, s, &t->name, "DROP TABLE");
    zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                  zdm_sprintf(cx->arena, "Every row of %s is lost; the rollback re-creates the "
                              "table empty.", qn),
                  zdm_sprintf(cx->arena, "To keep the rows until you are sure, write `drop "
                              "table %s keep;`: it moves the table aside to zdm_dropped_%s (a "
                              "brief lock) and its rollback gives it back with its rows; drop "
                              "that table in a later migration.", qn, t->name.name));
    zdm_step_risk(cx->plan, s, ZDM_RISK_APP_COMPAT,
                  zdm_sprintf(cx->arena, "Any query that still uses %s fails once it is "
                              "dropped.", qn),
                  "Deploy the application that no longer uses the table before the contract "
                  "phase (the deploy checkpoint); pg_stat_user_tables shows whether it is "
                  "still read or written.");
    if (zdm_schema_table(cx->mig->base, t->name))
        pgsql_pre(cx, s, zdm_sprintf(cx->arena, "table %s exists", qn),
                  pgsql_cond_table(cx, &t->name, true));
    if (!zdm_schema_table(cx->mig->final, t->name))
        pgsql_post(cx, s, zdm_sprintf(cx->arena, "table %s is gone", qn),
                   pgsql_cond_table(cx, &t->name, false));
    zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                        zdm_sprintf(cx->arena, "The application no longer uses table %s "
                                    "(deploy it before the contract phase).", qn));
    return 0;
}
