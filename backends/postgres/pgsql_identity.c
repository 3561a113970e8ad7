/*
 * pgsql_identity.c - ADD COLUMN of an identity or serial column to an
 * existing PostgreSQL table, which has no online form: ADD COLUMN ...
 * GENERATED AS IDENTITY or serial gives every existing row a nextval(), a
 * volatile default, so PostgreSQL rewrites the whole table under ACCESS
 * EXCLUSIVE (https://www.postgresql.org/docs/current/sql-altertable.html,
 * "Notes": a volatile DEFAULT requires a rewrite).
 *
 * What the plan does instead, each step online:
 *   expand    a sequence, the column nullable (metadata only) and its default
 *             nextval(sequence) in one brief step: new rows get numbers;
 *   backfill  the existing rows get nextval() in keyset batches;
 *   validate  NOT NULL the online way (pgsql_not_null_steps), then one brief
 *             step: identity: DROP DEFAULT, ALTER COLUMN ... ADD GENERATED ...
 *             AS IDENTITY (a catalog change on a NOT NULL column: measured, no
 *             scan and no rewrite on 2M rows), its sequence moved on to where
 *             the helper sequence stands, the helper dropped; serial: the
 *             sequence is OWNED BY the column, as serial makes it.
 * Existing rows are numbered in key order after the rows inserted meanwhile,
 * unlike a rewrite; the plan says so.
 */
#include "pgsql_int.h"

#include <string.h>

typedef struct seqcol {
    zdm_lower_ctx *cx;
    const zdm_op *op;
    const zdm_column *col;
    const char *type;   /* integer / bigint / smallint */
    zdm_name seq;       /* the sequence the default draws from */
    bool identity;
} seqcol;

/* serial names its sequence table_col_seq, as ours must be for the same
 * schema; an identity's own sequence takes that name, so its helper does not. */
static zdm_name seq_name(zdm_lower_ctx *cx, const zdm_op *op, bool identity)
{
    const char *t = op->table.name, *c = op->col->name;
    const char *n = identity ? pgsql_object_name(cx->arena, "zdm_seq", t, c)
                             : zdm_sprintf(cx->arena, "%s_%s_seq", t, c);
    if (strlen(n) > 63)
        n = pgsql_object_name(cx->arena, "zdm_seq", t, c);
    return (zdm_name){op->table.schema, n};
}

static const char *nextval(seqcol *q)
{
    return zdm_sqlf_str(q->cx->arena, PG, "nextval(%L::regclass)",
                        pgsql_regclass(q->cx, &q->seq));
}

static zdm_step *brief(seqcol *q, zdm_phase ph, const char *title)
{
    zdm_step *s = zdm_plan_step(q->cx->plan, ph, ZDM_STEP_TX,
                                zdm_sprintf(q->cx->arena, "%s %s.%s", title,
                                            zdm_name_str(q->cx->arena, q->op->table),
                                            q->col->name));
    s->op = q->op;
    s->lock_timeout_ms = pgsql_st(q->cx)->lock_timeout_ms;
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    return s;
}

static void add_step(seqcol *q)
{
    zdm_lower_ctx *cx = q->cx;
    const zdm_name *t = &q->op->table;
    zdm_step *s = brief(q, ZDM_PHASE_EXPAND, "add column (fed by a sequence)");
    s->why = "The column is added nullable (metadata only) with the default nextval() set in "
             "the same transaction: rows inserted from now on get a number; a volatile default "
             "given in ADD COLUMN itself would rewrite the table.";
    const char *seq = zdm_sqlf_str(cx->arena, PG, "CREATE SEQUENCE IF NOT EXISTS %N AS %s;\n",
                                   &q->seq, q->type);
    const char *ddl = zdm_sqlf_str(cx->arena, PG,
                                   "ALTER TABLE %N ADD COLUMN IF NOT EXISTS %I %s;\n"
                                   "ALTER TABLE %N ALTER COLUMN %I SET DEFAULT %s;",
                                   t, q->col->name, q->type, t, q->col->name, nextval(q));
    s->forward = pgsql_retry_sql_after(cx, s, seq, NULL, ddl, 0);
    s->rollback = pgsql_retry_sql(cx, s, NULL,
                                  zdm_sqlf_str(cx->arena, PG,
                                               "ALTER TABLE IF EXISTS %N DROP COLUMN IF EXISTS "
                                               "%I;\nDROP SEQUENCE IF EXISTS %N;",
                                               t, q->col->name, &q->seq),
                                  0);
    s->rollback_note = "the column is dropped with every value written to it, and its sequence";
    pgsql_risk_strong_lock(cx, s, t, "ADD COLUMN");
    pgsql_pre(cx, s, zdm_sprintf(cx->arena, "column %s.%s does not exist yet",
                                 zdm_name_str(cx->arena, *t), q->col->name),
              pgsql_cond_column(cx, t, q->col->name, false));
    zdm_column fc = *q->col;
    fc.not_null = true;
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "column %s.%s is %s not null",
                                  zdm_name_str(cx->arena, *t), q->col->name,
                                  zdm_coltype_str(cx->arena, &fc.type)),
               pgsql_cond_column_shape(cx, t, &fc));
}

/* pgsql_not_null_steps pre-checks the rows as the migration leaves them from
 * the column's final default, which an identity has none of: its rows are
 * filled from the sequence, never NULL, so that one check is dropped. */
static void drop_start_checks(seqcol *q, size_t from)
{
    zdm_plan *p = q->cx->plan;
    for (size_t i = from; i < p->steps.len; i++) {
        zdm_check_vec *v = &p->steps.items[i]->pre;
        size_t n = 0;
        for (size_t j = 0; j < v->len; j++)
            if (strncmp(v->items[j].name, "no NULL in ", 11) != 0)
                v->items[n++] = v->items[j];
        v->len = n;
    }
}

static const char *cond_identity(seqcol *q, bool is)
{
    return zdm_sqlf_str(q->cx->arena, PG,
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
                        "to_regclass(%L) AND attname = %L AND NOT attisdropped AND attidentity "
                        "%s '')",
                        pgsql_regclass(q->cx, &q->op->table), q->col->name, is ? "<>" : "=");
}

static void identity_step(seqcol *q)
{
    zdm_lower_ctx *cx = q->cx;
    const zdm_name *t = &q->op->table;
    const char *kind = q->col->identity == ZDM_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT";
    zdm_step *s = brief(q, ZDM_PHASE_VALIDATE, "make identity");
    s->why = "ADD GENERATED ... AS IDENTITY on a NOT NULL column is a catalog change (no scan, "
             "no rewrite); in the same transaction the identity's sequence continues from the "
             "helper sequence and the helper is dropped.";
    const char *ident_seq = zdm_sqlf_str(cx->arena, PG, "pg_get_serial_sequence(%L, %L)",
                                         pgsql_regclass(cx, t), q->col->name);
    s->forward = pgsql_retry_sql(
        cx, s, cond_identity(q, false),
        zdm_sqlf_str(cx->arena, PG,
                     "ALTER TABLE %N ALTER COLUMN %I DROP DEFAULT;\n"
                     "ALTER TABLE %N ALTER COLUMN %I ADD GENERATED %s AS IDENTITY;\n"
                     "PERFORM setval(%s, h.last_value, h.is_called) FROM %N h;\n"
                     "DROP SEQUENCE %N;",
                     t, q->col->name, t, q->col->name, kind, ident_seq, &q->seq, &q->seq),
        0);
    s->rollback = pgsql_retry_sql(
        cx, s, cond_identity(q, true),
        zdm_sqlf_str(cx->arena, PG,
                     "CREATE SEQUENCE IF NOT EXISTS %N AS %s;\n"
                     "EXECUTE format('SELECT setval(%%L::regclass, last_value, is_called) FROM "
                     "%%s', %L, %s);\n"
                     "ALTER TABLE %N ALTER COLUMN %I DROP IDENTITY IF EXISTS;\n"
                     "ALTER TABLE %N ALTER COLUMN %I SET DEFAULT %s;",
                     &q->seq, q->type, pgsql_regclass(cx, &q->seq), ident_seq, t, q->col->name,
                     t, q->col->name, nextval(q)),
        0);
    s->rollback_note = "the identity is dropped and the column gets its helper sequence's "
                       "default back, continuing from where the identity stood";
    pgsql_risk_strong_lock(cx, s, t, "ADD GENERATED AS IDENTITY");
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "%s.%s is an identity column",
                                  zdm_name_str(cx->arena, *t), q->col->name),
               cond_identity(q, true));
}

static void owned_step(seqcol *q)
{
    zdm_lower_ctx *cx = q->cx;
    const zdm_name *t = &q->op->table;
    zdm_step *s = brief(q, ZDM_PHASE_VALIDATE, "tie the sequence to");
    pgsql_lock(s, "ACCESS SHARE on the table (brief)", ZDM_LOCK_CONCURRENT);
    s->why = "serial ties its sequence to the column (OWNED BY): dropping the column drops it.";
    const char *exists = zdm_sqlf_str(cx->arena, PG, "to_regclass(%L) IS NOT NULL",
                                      pgsql_regclass(cx, &q->seq));
    s->forward = pgsql_retry_sql(cx, s, NULL,
                                 zdm_sqlf_str(cx->arena, PG, "ALTER SEQUENCE %N OWNED BY %N.%I;",
                                              &q->seq, t, q->col->name),
                                 0);
    s->rollback = pgsql_retry_sql(cx, s, exists,
                                  zdm_sqlf_str(cx->arena, PG, "ALTER SEQUENCE %N OWNED BY NONE;",
                                               &q->seq),
                                  0);
    pgsql_post(cx, s, zdm_sprintf(cx->arena, "sequence %s belongs to %s.%s", q->seq.name,
                                  zdm_name_str(cx->arena, *t), q->col->name),
               zdm_sqlf_str(cx->arena, PG, "pg_get_serial_sequence(%L, %L) IS NOT NULL",
                            pgsql_regclass(cx, t), q->col->name));
}

int pgsql_add_sequence_column(zdm_lower_ctx *cx, const zdm_op *op)
{
    seqcol q = {.cx = cx, .op = op, .col = op->col,
                .identity = op->col->identity != ZDM_IDENTITY_NONE};
    const zdm_constraint *pk = zdm_table_primary_key(op->before);
    if (!pk || pk->ncols != 1)
        return zdm_lower_error(cx, op, ZDM_E_NO_PRIMARY_KEY,
                               "PostgreSQL can only add it by rewriting the table under ACCESS "
                               "EXCLUSIVE; zdm numbers the existing rows in batches over a "
                               "single-column primary key instead. Give the table one first, "
                               "or add the column in a maintenance window with `execute`.",
                               "adding %s column %s to existing table %s needs a single-column "
                               "primary key",
                               q.identity ? "an identity" : "a serial", op->col->name,
                               zdm_name_str(cx->arena, op->table));
    q.type = pgsql_type(cx, &op->col->type, false);
    q.seq = seq_name(cx, op, q.identity);
    zdm_plan_note(cx->plan,
                  "PostgreSQL has no online way to add %s column %s.%s: ADD COLUMN would give "
                  "every existing row a nextval() and rewrite the table under ACCESS EXCLUSIVE. "
                  "The plan adds it nullable with a sequence default, numbers the existing rows "
                  "in batches, makes it NOT NULL online, then %s.",
                  q.identity ? "an identity" : "a serial", zdm_name_str(cx->arena, op->table),
                  op->col->name,
                  q.identity ? "turns it into the identity (a catalog change)"
                             : "ties the sequence to the column");
    add_step(&q);
    zdm_value *def = ZDM_NEW(cx->arena, zdm_value);
    def->kind = ZDM_V_RAW;
    def->text = zdm_sprintf(cx->arena, "(%s)", nextval(&q));
    zdm_column filled = *op->col;
    filled.def = def;
    if (pgsql_default_fill(cx, op, &filled) != 0)
        return -1;
    zdm_step *fill = cx->plan->steps.items[cx->plan->steps.len - 1];
    zdm_step_risk(cx->plan, fill, ZDM_RISK_APP_COMPAT,
                  "Existing rows are numbered in key order after the rows inserted since the "
                  "column was added, not in insertion order as a rewrite would.",
                  "Do not rely on the numbers' order matching the rows' age.");
    size_t from = cx->plan->steps.len;
    if (pgsql_not_null_steps(cx, op, &op->table, op->col->name) != 0)
        return -1;
    drop_start_checks(&q, from);
    if (q.identity)
        identity_step(&q);
    else
        owned_step(&q);
    return 0;
}
