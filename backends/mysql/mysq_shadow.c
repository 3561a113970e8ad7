/*
 * mysq_shadow.c - the shadow-table plan for a change that no INSTANT or
 * INPLACE path allows (the algorithm table says COPY): a column type change
 * (INT to BIGINT, VARCHAR crossing 255 bytes) or a new CHECK constraint. The
 * table is rebuilt beside the original while the application writes, then
 * swapped in by one atomic RENAME TABLE.
 *
 * The copy reads by the primary key (FORCE INDEX: a covering secondary index
 * would make it share-lock every row of the table, and deadlock with the
 * application's inserts).
 *
 * Tables, for T: zdm_new_T (the shadow, in the new shape), zdm_old_T (a
 * placeholder until the swap, the original after it), zdm_spare_T (an empty
 * shadow), zdm_ph_T (the placeholder after the swap) and zdm_cur_T (the
 * copy's cursor).
 *   expand    create the helper tables; AFTER INSERT/UPDATE/DELETE
 *             triggers on T that REPLACE/DELETE the row in zdm_new_T;
 *   backfill  copy T into zdm_new_T by primary-key ranges, each range
 *             copied, checked against the shadow and handed to the triggers
 *             in one transaction (mysq_shadow_copy.c);
 *   validate  the cut-over, in the retry procedure: stop unless the copy
 *             has ended (its cursor row; every range was checked as it was
 *             copied, so no table is read again here); create
 *             the reverse triggers on zdm_new_T (they write into zdm_old_T);
 *             then one RENAME TABLE of four pairs:
 *               zdm_old_T -> zdm_ph_T, T -> zdm_old_T, zdm_new_T -> T,
 *               zdm_spare_T -> zdm_new_T.
 *             Triggers move with their tables and name their targets: after
 *             it, writes to T reach the original (now zdm_old_T) through the
 *             reverse triggers, whose own triggers write into the spare (no
 *             triggers), so no chain loops and a rollback swaps back with
 *             nothing lost. MariaDB refuses RENAME TABLE under LOCK TABLES in
 *             the same session (field-notes), which this protocol never uses;
 *   contract  drop the triggers and the helper tables (the original data).
 * Foreign keys, the table's own and its children's, are carried across by
 * mysq_shadow_fk.c (steps after the cut-over and in the contract phase).
 */
#include "mysq_int.h"

#include <string.h>

/* `conv` is `using` or `revert`, written over the row's columns. */
const char *mysq_shadow_list(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *src,
                             const zdm_value *conv)
{
    const zdm_table *t = sh->after;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < t->ncols; i++) {
        const char *c = t->cols[i]->name;
        if (i)
            zdm_buf_puts(&b, ", ");
        if (src && conv && sh->col && strcmp(c, sh->col->name) == 0)
            zdm_sqlf(&b, MQ(cx), "%R", mysq_value(cx, conv));
        else
            zdm_sqlf(&b, MQ(cx), "%s%I", src ? src : "", c);
    }
    return zdm_buf_cstr(&b);
}

/* The row a trigger writes: NEW's values, converted when `conv` is given
 * (over a one-row derived table, so `conv` can name the columns bare). */
static const char *new_row(zdm_lower_ctx *cx, const mysq_shadow *sh, const zdm_value *conv)
{
    if (!conv)
        return zdm_sprintf(cx->arena, "VALUES (%s)", mysq_shadow_list(cx, sh, "NEW.", NULL));
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    const zdm_table *t = sh->after;
    for (size_t i = 0; i < t->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%sNEW.%I AS %I", i ? ", " : "", t->cols[i]->name, t->cols[i]->name);
    return zdm_sqlf_str(cx->arena, MQ(cx), "SELECT %s FROM (SELECT %s) AS zdm_row",
                        mysq_shadow_list(cx, sh, "zdm_row.", conv), zdm_buf_cstr(&b));
}

/* The changed column's value from NEW, converted by `conv`. */
static const char *new_value(zdm_lower_ctx *cx, const mysq_shadow *sh, const zdm_value *conv)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    const zdm_table *t = sh->after;
    for (size_t i = 0; i < t->ncols; i++)
        zdm_sqlf(&b, MQ(cx), "%sNEW.%I AS %I", i ? ", " : "", t->cols[i]->name, t->cols[i]->name);
    return zdm_sqlf_str(cx->arena, MQ(cx), "(SELECT %R FROM (SELECT %s) AS zdm_row)",
                        mysq_value(cx, conv), zdm_buf_cstr(&b));
}

/* "c = NEW.c, ..." for an UPDATE of the row by its key: an UPDATE locks only
 * that record, where a REPLACE (delete and insert) also locks the gap
 * beside it, which the copy may be inserting into. */
static const char *set_list(zdm_lower_ctx *cx, const mysq_shadow *sh, const zdm_value *conv)
{
    const zdm_table *t = sh->after;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < t->ncols; i++) {
        const char *c = t->cols[i]->name;
        if (strcmp(c, sh->pk) == 0)
            continue;
        if (b.len)
            zdm_buf_puts(&b, ", ");
        if (conv && sh->col && strcmp(c, sh->col->name) == 0)
            zdm_sqlf(&b, MQ(cx), "%I = %s", c, new_value(cx, sh, conv));
        else
            zdm_sqlf(&b, MQ(cx), "%I = NEW.%I", c, c);
    }
    return zdm_buf_cstr(&b);
}

/* Trigger DDL: a prepared statement in the retry procedure on MariaDB, a
 * plain statement on MySQL (which prepares no trigger DDL). */
static const char *trigger_ddl(zdm_lower_ctx *cx, const char *const *stmts, size_t n)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    bool maria = mysq_st(cx)->flavour == MYSQ_MARIADB;
    for (size_t i = 0; i < n; i++) {
        if (maria)
            zdm_sqlf(&b, MQ(cx),
                     "%sPREPARE zdm_s FROM %L;\n                EXECUTE zdm_s;\n"
                     "                DEALLOCATE PREPARE zdm_s",
                     i ? ";\n                " : "", stmts[i]);
        else
            zdm_sqlf(&b, MQ(cx), "%s$$\n", stmts[i]);
    }
    if (maria)
        return mysq_ddl_sql(cx, NULL, zdm_buf_cstr(&b));
    return zdm_sprintf(cx->arena, "DELIMITER $$\n%sDELIMITER ;\n", zdm_buf_cstr(&b));
}

static const char *trig(zdm_lower_ctx *cx, const char *tag, const mysq_shadow *sh, const char *ev)
{
    return zdm_sprintf(cx->arena, "zdm_%s_%s_%s", tag, sh->t, ev);
}

/* AFTER triggers on `on` that keep `to` in step (rows converted by `conv`). */
static const char *mirror_sql(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *on,
                              const char *to, const char *tag, const zdm_value *conv,
                              bool cursor)
{
    const char *names = mysq_shadow_list(cx, sh, NULL, NULL), *row = new_row(cx, sh, conv);
    const char *ins = trig(cx, tag, sh, "ins"), *upd = trig(cx, tag, sh, "upd"),
               *del = trig(cx, tag, sh, "del");
    /* Rows at or past the copy's cursor are left to the copy, which reads
     * them later with a share lock (their latest version): the triggers and
     * the copy never write the same row, so the copy meets no duplicate. */
    const char *decl = cursor ? zdm_sqlf_str(cx->arena, MQ(cx),
                                             "    DECLARE zdm_hi BIGINT;\n"
                                             "    SELECT hi INTO zdm_hi FROM %I WHERE id = 1 LOCK IN SHARE MODE;\n",
                                             sh->cur)
                              : "";
    const char *when = cursor ? zdm_sqlf_str(cx->arena, MQ(cx), "NEW.%I < zdm_hi", sh->pk) : "TRUE";
    const char *stmts[] = {
        zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", ins),
        zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", upd),
        zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", del),
        zdm_sqlf_str(cx->arena, MQ(cx),
                     "CREATE TRIGGER %I AFTER INSERT ON %I FOR EACH ROW BEGIN\n%s"
                     "    IF %s THEN REPLACE INTO %I (%s) %s; END IF;\nEND",
                     ins, on, decl, when, to, names, row),
        zdm_sqlf_str(cx->arena, MQ(cx),
                     "CREATE TRIGGER %I AFTER UPDATE ON %I FOR EACH ROW BEGIN\n%s"
                     "    IF NOT (OLD.%I <=> NEW.%I) THEN\n"
                     "        DELETE FROM %I WHERE %I = OLD.%I;\n"
                     "        IF %s THEN REPLACE INTO %I (%s) %s; END IF;\n"
                     "    ELSEIF %s THEN\n        UPDATE %I SET %s WHERE %I = NEW.%I;\n"
                     "    END IF;\nEND",
                     upd, on, decl, sh->pk, sh->pk, to, sh->pk, sh->pk, when, to, names, row,
                     when, to, set_list(cx, sh, conv), sh->pk, sh->pk),
        zdm_sqlf_str(cx->arena, MQ(cx),
                     "CREATE TRIGGER %I AFTER DELETE ON %I FOR EACH ROW DELETE FROM %I WHERE %I "
                     "= OLD.%I",
                     del, on, to, sh->pk, sh->pk),
    };
    return trigger_ddl(cx, stmts, 6);
}

static const char *drop_mirror_sql(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *tag)
{
    const char *stmts[] = {
        zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", trig(cx, tag, sh, "ins")),
        zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", trig(cx, tag, sh, "upd")),
        zdm_sqlf_str(cx->arena, MQ(cx), "DROP TRIGGER IF EXISTS %I", trig(cx, tag, sh, "del")),
    };
    return trigger_ddl(cx, stmts, 3);
}

static const char *drop_tables_sql(zdm_lower_ctx *cx, const char *const *names, size_t n)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < n; i++)
        zdm_sqlf(&b, MQ(cx), "DROP TABLE IF EXISTS %I;\n", names[i]);
    return zdm_buf_cstr(&b);
}

static const char *create_shadow_sql(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    const zdm_table *nt = mysq_shadow_shape(cx, sh->after, sh->nw);
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "%s;\nCREATE TABLE IF NOT EXISTS %I LIKE %I;\n"
                        "CREATE TABLE IF NOT EXISTS %I LIKE %I;\n"
                        "CREATE TABLE IF NOT EXISTS %I (id TINYINT PRIMARY KEY, hi BIGINT NOT "
                        "NULL) ENGINE=InnoDB;\n"
                        "INSERT IGNORE INTO %I (id, hi) VALUES (1, -9223372036854775807), "
                        "(2, -9223372036854775807);\n",
                        mysq_create_table_sql(cx, nt), sh->old, sh->t, sh->spare, sh->nw,
                        sh->cur, sh->cur);
}

static const char *rename4(zdm_lower_ctx *cx, const char *const *p)
{
    return zdm_sqlf_str(cx->arena, MQ(cx), "RENAME TABLE %I TO %I, %I TO %I, %I TO %I, %I TO %I",
                        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}

static const char *cutover_sql(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    const char *fwd[] = {sh->old, sh->ph, sh->t, sh->old, sh->nw, sh->t, sh->spare, sh->nw};
    zdm_name ph = {NULL, sh->ph};
    /* Every range was checked as it was copied (mysq_shadow_copy.c), and the
     * triggers keep the copied rows in step: only that the copy has ended is
     * read here, one row, not the tables. */
    const char *check = zdm_sprintf(cx->arena, "%s;\n                %s",
                                    mysq_shadow_copied_sql(cx, sh), rename4(cx, fwd));
    return zdm_sprintf(cx->arena, "%s%s", mirror_sql(cx, sh, sh->nw, sh->old, "rev",
                                                     sh->revert, false),
                       mysq_ddl_sql(cx,
                                    zdm_sprintf(cx->arena, "%s AND %s",
                                                mysq_cond_table(cx, &ph, false),
                                                mysq_cond_table(cx, &(zdm_name){NULL, sh->nw},
                                                                true)),
                                    check));
}

static const char *swap_back_sql(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    const char *back[] = {sh->nw, sh->spare, sh->t, sh->nw, sh->old, sh->t, sh->ph, sh->old};
    zdm_name ph = {NULL, sh->ph};
    return zdm_sprintf(cx->arena, "%s%s",
                       mysq_ddl_sql(cx,
                                    zdm_sprintf(cx->arena, "%s AND %s",
                                                mysq_cond_table(cx, &ph, true),
                                                mysq_cond_table(cx, &(zdm_name){NULL, sh->old},
                                                                true)),
                                    rename4(cx, back)),
                       drop_mirror_sql(cx, sh, "rev"));
}

/* What the plan does, for errors: "changing the type of column t.c", "adding
 * check constraint t.k". */
static const char *what(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->col)
        return zdm_sprintf(cx->arena, "changing the type of column %s",
                           mysq_qcol(cx, &op->table, op->col->name));
    return zdm_sprintf(cx->arena, "adding check constraint %s.%s", op->table.name,
                       op->con->name);
}

static int refuse(zdm_lower_ctx *cx, const zdm_op *op, const char *why)
{
    return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                           op->col ? "change the type by adding a new column, backfilling it "
                                     "and switching the application to it"
                                   : "use `execute` with your own online tool (e.g. "
                                     "pt-online-schema-change)",
                           "%s is not supported for target %s: %s", what(cx, op),
                           cx->target->canonical, why);
}

/* Why the shadow-table plan cannot take `op`, or NULL. */
static const char *blocker(zdm_lower_ctx *cx, const zdm_op *op)
{
    const zdm_table *t = op->before;
    if (!mysq_int_pk(t))
        return "the shadow-table copy needs a single-column integer primary key";
    for (size_t i = 0; i < t->ncons; i++)
        if (t->cons[i]->kind == ZDM_CON_CHECK && mysq_st(cx)->flavour == MYSQ_MYSQL)
            return zdm_sprintf(cx->arena,
                               "the table has check %s: MySQL names checks per database, so "
                               "the shadow cannot carry it under its name, and adding it back "
                               "after the swap copies the table under a lock",
                               t->cons[i]->name);
    const char *fk = mysq_shadow_fk_blocker(cx, op, op->after);
    if (fk)
        return fk;
    if (op->col && strcmp(mysq_int_pk(t), op->col->name) == 0)
        return "the shadow-table plan does not change the primary key's own type yet";
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        if (o != op && zdm_name_eq(o->table, op->table))
            return "the shadow-table plan must be the only change to its table in a migration";
    }
    return NULL;
}

static zdm_step *expand_steps(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    const zdm_op *op = sh->op;
    const char *helpers[] = {sh->nw, sh->old, sh->spare, sh->ph, sh->cur};
    const char *shape =
        op->col ? zdm_sprintf(cx->arena, "%s as %s", mysq_qcol(cx, &op->table, op->col->name),
                              zdm_coltype_str(cx->arena, &op->col->type))
                : zdm_sprintf(cx->arena, "with check %s", op->con->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                            zdm_sprintf(cx->arena, "create the shadow of %s (%s)", sh->t, shape));
    s->why = zdm_sprintf(cx->arena,
                         "The table is rebuilt beside the original in the new shape; the "
                         "application keeps using the original.%s",
                         mysq_shadow_fk_why(cx, sh->after));
    s->lock = "none (new tables)";
    s->lock_level = ZDM_LOCK_NONE;
    s->retried = false;
    s->forward = mysq_step_sql(cx, create_shadow_sql(cx, sh));
    s->rollback = mysq_step_sql(cx, drop_tables_sql(cx, helpers, 5));

    s = mysq_step(cx, op, ZDM_PHASE_EXPAND,
                  zdm_sprintf(cx->arena, "mirror triggers from %s to %s", sh->t, sh->nw));
    s->why = "Every insert, update and delete on the table is repeated on the shadow, in the "
             "same transaction.";
    s->retried = mysq_st(cx)->flavour == MYSQ_MARIADB;
    s->forward = mysq_step_sql(cx, mirror_sql(cx, sh, sh->t, sh->nw, "fwd", sh->using_, true));
    s->rollback = mysq_step_sql(cx, drop_mirror_sql(cx, sh, "fwd"));
    mysq_pre_long_trx(cx, s);
    zdm_step_risk(cx->plan, s, ZDM_RISK_TRIGGER_OVERHEAD,
                  "Every write to the table writes the shadow too (and, after the cut-over, "
                  "the original), in the same transaction.",
                  "The triggers are dropped in the contract phase.");
    if (sh->col)
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      zdm_sprintf(cx->arena,
                                  "A value the new type cannot hold makes the application's "
                                  "write fail in the trigger (strict sql_mode) until %s is "
                                  "changed back.",
                                  mysq_qcol(cx, &op->table, op->col->name)),
                      "Check the values first (verify_pre.sql does for a narrowing cast).");
    else
        zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                      "A row the application writes that fails the new check makes its write "
                      "fail in the trigger (the shadow checks every row).",
                      "Fix the application first; verify_pre.sql counts the existing rows that "
                      "fail it.");
    return s;
}

/* The shape the cut-over leaves, for its post-check. */
static const char *shape_cond(zdm_lower_ctx *cx, const zdm_op *op)
{
    if (op->col)
        return mysq_cond_column_shape(cx, &op->table, op->col);
    return mysq_cond_constraint(cx, &op->table, op->con->name, "CHECK", true);
}

static void cutover_step(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *whatc)
{
    const zdm_op *op = sh->op;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_VALIDATE,
                            zdm_sprintf(cx->arena, "cut over: swap %s in for %s", sh->nw, sh->t));
    s->why = "One atomic RENAME TABLE of four pairs puts the shadow in the table's place once the "
             "copy has ended (each range was checked as it was copied); reverse triggers keep "
             "the original in step, so a rollback swaps back with nothing lost.";
    s->lock = "exclusive metadata lock for the RENAME (brief)";
    s->est_note = "metadata change only (the RENAME; the copy's cursor is one row)";
    s->forward = mysq_step_sql(cx, cutover_sql(cx, sh));
    s->rollback = mysq_step_sql(cx, swap_back_sql(cx, sh));
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, whatc, shape_cond(cx, op));
}

/* After the contract phase the original is gone: a rollback changes the
 * table back in place (the type by a copy; a check is dropped in place). */
static void contract_rollback(zdm_lower_ctx *cx, const mysq_shadow *sh, zdm_step *s)
{
    const zdm_op *op = sh->op;
    const char *gone = zdm_sprintf(cx->arena, "NOT %s",
                                   mysq_cond_table(cx, &(zdm_name){NULL, sh->old}, true));
    mysq_algo_class cls = op->col ? MYSQ_ALGO_CHANGE_TYPE : MYSQ_ALGO_DROP_CHECK;
    const mysq_algo *back = mysq_algo_for(cx, cls);
    const char *clause, *cond = gone;
    if (op->col) {
        clause = zdm_sprintf(cx->arena, "MODIFY COLUMN %s",
                             mysq_column_def(cx, op->before, op->old_col));
    } else {
        clause = mysq_drop_check_clause(cx, op->con->name);
        cond = zdm_sprintf(cx->arena, "%s AND %s", gone,
                           mysq_cond_constraint(cx, &op->table, op->con->name, "CHECK", true));
    }
    s->rollback = mysq_step_sql(cx, mysq_ddl_sql(cx, cond, mysq_alter_sql(cx, &op->table, clause,
                                                                          cls)));
    s->rollback_note =
        op->col ? zdm_sprintf(cx->arena,
                              "after the contract phase the original is gone: the type is "
                              "changed back in place by a copy (ALGORITHM=%s, LOCK=%s: "
                              "writes wait)",
                              back->algorithm, back->lock)
                : zdm_sprintf(cx->arena,
                              "after the contract phase the original is gone: the check is "
                              "dropped in place (ALGORITHM=%s, LOCK=%s)",
                              back->algorithm, back->lock);
    if (back->rebuild)
        zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                      "The original table is dropped: a rollback from here copies the table "
                      "under a lock.",
                      "Keep the contract phase until the new type has been in use long enough.");
}

static void contract_steps(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    const zdm_op *op = sh->op;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena, "drop the original of %s and the helper tables",
                                        sh->t));
    s->why = "The application runs on the new table; the copy kept for a rollback goes.";
    const char *contract_helpers[] = {sh->old, sh->nw, sh->ph, sh->cur};
    s->forward = mysq_step_sql(cx, zdm_sprintf(cx->arena, "%s%s%s",
                                               drop_mirror_sql(cx, sh, "rev"),
                                               drop_mirror_sql(cx, sh, "fwd"),
                                               drop_tables_sql(cx, contract_helpers, 4)));
    for (size_t i = 0; i < 4; i++)
        mysq_post(cx, s, zdm_sprintf(cx->arena, "helper table %s is gone", contract_helpers[i]),
                  mysq_cond_table(cx, &(zdm_name){NULL, contract_helpers[i]}, false));
    if (op->col)
        zdm_plan_checkpoint(cx->plan, ZDM_PHASE_CONTRACT,
                            zdm_sprintf(cx->arena,
                                        "Until the contract phase has run, the application "
                                        "writes no value into %s that the old type cannot "
                                        "hold: the reverse triggers copy every write into the "
                                        "original table, and such a write fails there.",
                                        mysq_qcol(cx, &op->table, op->col->name)));
    contract_rollback(cx, sh, s);
    mysq_shadow_fk_names(cx, op, sh->after);
}

/* For a check: the rows that fail it, none. */
static void check_pre(zdm_lower_ctx *cx, const zdm_op *op, zdm_step *s)
{
    const char *bad = zdm_sqlf_str(cx->arena, MQ(cx), "SELECT * FROM %I WHERE NOT (%R)",
                                   op->table.name, mysq_value(cx, op->con->check));
    mysq_pre(cx, s,
             zdm_sprintf(cx->arena, "no row of %s fails check %s", op->table.name, op->con->name),
             zdm_sprintf(cx->arena, "NOT EXISTS (%s)", bad));
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  "An existing row that fails the check is skipped by the copy, and the "
                  "copy stops at that row's range on the count comparison.",
                  zdm_sprintf(cx->arena, "Run verify_pre.sql first; list the rows with %s;", bad));
}

int mysq_lower_shadow(zdm_lower_ctx *cx, const zdm_op *op)
{
    const char *why = blocker(cx, op);
    if (why)
        return refuse(cx, op, why);
    mysq_shadow sh = {op, op->table.name, NULL, NULL, NULL, NULL, NULL, mysq_int_pk(op->before),
                 op->after, op->col, op->using_, op->revert};
    sh.nw = zdm_sprintf(cx->arena, "zdm_new_%s", sh.t);
    sh.old = zdm_sprintf(cx->arena, "zdm_old_%s", sh.t);
    sh.spare = zdm_sprintf(cx->arena, "zdm_spare_%s", sh.t);
    sh.ph = zdm_sprintf(cx->arena, "zdm_ph_%s", sh.t);
    sh.cur = zdm_sprintf(cx->arena, "zdm_cur_%s", sh.t);
    const char *whatc =
        op->col ? zdm_sprintf(cx->arena, "column %s is %s", mysq_qcol(cx, &op->table, op->col->name),
                              zdm_coltype_str(cx->arena, &op->col->type))
                : zdm_sprintf(cx->arena, "check %s.%s exists", sh.t, op->con->name);
    zdm_step *mirror = expand_steps(cx, &sh);
    if (!op->col)
        check_pre(cx, op, mirror);
    mysq_shadow_copy_step(cx, &sh);
    cutover_step(cx, &sh, whatc);
    mysq_shadow_children(cx, op, sh.old, sh.ph);
    contract_steps(cx, &sh);
    return 0;
}
