/*
 * mysq_shadow_copy.c - the shadow-table plan's copy (backfill phase): T into
 * zdm_new_T by primary-key ranges, each range in one transaction that
 *   1. copies it: INSERT IGNORE ... SELECT ... FORCE INDEX (PRIMARY) ...
 *      LOCK IN SHARE MODE (the range's rows and the gaps between them stay
 *      share-locked until the commit, so no write changes them meanwhile);
 *   2. checks it: the row count and BIT_XOR(CRC32(...)) of the range read
 *      from T through the conversion (`using`, or the column itself) equal
 *      those of the shadow's range; INSERT IGNORE turns a value the new type
 *      cannot hold into a clipped one and skips a row that fails a check or
 *      a foreign key, and this is what notices: the range is rolled back and
 *      the copy stops with a message naming the keys;
 *   3. moves the cursor (zdm_cur_T) past the range: the mirror triggers read
 *      it with a share lock, so from the commit on they keep the range's rows
 *      in step. It moves last, since every writer waits for its lock.
 * The last range is open-ended (every key past the one read at the start, so
 * rows inserted during the copy are taken) and puts the cursor at the end,
 * after which the triggers mirror every write; an empty table gets that one
 * range. The cursor never moves back (GREATEST), so a copy run again, or a
 * run by `zdm run` after the script's procedure, only skips rows already
 * copied (INSERT IGNORE) while the triggers keep them in step.
 *
 * Two forms of the same walk: the script's procedure for the `mysql` client
 * (fixed ranges of `batch` keys, resumed from the cursor), and the native walk
 * of `zdm run` (plan.h zdm_backfill_spec: batch_sql, check_sql, after_sql,
 * open_end; runtime/backfill.c adapts the range to --batch-ms and commits
 * its own cursor with each range).
 */
#include "mysq_int.h"

#include <string.h>

#define KEY_MAX "9223372036854775807"

typedef enum { FAM_OTHER, FAM_NUMBER, FAM_DATETIME, FAM_TIME } family;

static family family_of(const zdm_coltype *t)
{
    switch (t->kind) {
    case ZDM_TY_BOOLEAN: case ZDM_TY_SMALLINT: case ZDM_TY_INT: case ZDM_TY_BIGINT:
    case ZDM_TY_REAL: case ZDM_TY_DOUBLE: case ZDM_TY_NUMERIC:
        return t->array ? FAM_OTHER : FAM_NUMBER;
    case ZDM_TY_DATE: case ZDM_TY_TIMESTAMP: case ZDM_TY_TIMESTAMPTZ:
        return t->array ? FAM_OTHER : FAM_DATETIME;
    case ZDM_TY_TIME:
        return t->array ? FAM_OTHER : FAM_TIME;
    default:
        return FAM_OTHER;
    }
}

/* The changed column's value `v` in a form both types write alike, when the
 * change is a plain cast within one family (INT to DECIMAL(12,2) writes 5 as
 * 5.00, DATE to DATETIME adds 00:00:00): the value, not its spelling, is
 * compared. Never across families or through `using`: CAST('abc' AS DECIMAL)
 * is 0, the very value INSERT IGNORE would store for it, so the check would
 * pass a value the conversion lost. DECIMAL(65,30) holds every integer and
 * the fraction of every DECIMAL exactly. */
static const char *canon(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *v)
{
    family f = family_of(&sh->col->type);
    if (sh->using_ || f == FAM_OTHER || f != family_of(&sh->op->old_col->type))
        return v;
    return zdm_sprintf(cx->arena, "CAST(%s AS %s)", v,
                       f == FAM_NUMBER ? "DECIMAL(65,30)"
                       : f == FAM_DATETIME ? "DATETIME(6)" : "TIME(6)");
}

/* "v, ..." over the shadow's columns read from zdm_row (the changed one
 * through `conv`), each that can be NULL followed by ISNULL(v): CONCAT_WS
 * skips NULLs, so the marker tells a NULL from an empty string and keeps the
 * columns in place. A NOT NULL column needs none (each marker is one more
 * function and string per row, in a check that reads every row twice). The
 * changed column always has one: its conversion may give NULL where the
 * shadow stores a value. */
static const char *crc_list(zdm_lower_ctx *cx, const mysq_shadow *sh, const zdm_value *conv)
{
    const zdm_table *t = sh->after;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < t->ncols; i++) {
        const char *c = t->cols[i]->name;
        bool changed = sh->col && strcmp(c, sh->col->name) == 0;
        const char *v = conv && changed
                            ? zdm_sqlf_str(cx->arena, MQ(cx), "%R", mysq_value(cx, conv))
                            : zdm_sqlf_str(cx->arena, MQ(cx), "zdm_row.%I", c);
        zdm_buf_printf(&b, "%s%s", i ? ", " : "", changed ? canon(cx, sh, v) : v);
        if (changed || !t->cols[i]->not_null)
            zdm_buf_printf(&b, ", ISNULL(%s)", v);
    }
    return zdm_buf_cstr(&b);
}

/* (count, checksum) of `table`'s rows in `range`, through `conv`. */
static const char *sum_sql(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *table,
                           const zdm_value *conv, const char *range)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "SELECT count(*), coalesce(BIT_XOR(CRC32(CONCAT_WS('|', %s))), 0) "
                        "FROM %I AS zdm_row FORCE INDEX (PRIMARY) WHERE %s",
                        crc_list(cx, sh, conv), table, range);
}

/* One boolean: the range of T, converted, equals the shadow's range. */
static const char *same_sql(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *range)
{
    return zdm_sprintf(cx->arena, "(%s) = (%s)", sum_sql(cx, sh, sh->t, sh->using_, range),
                       sum_sql(cx, sh, sh->nw, NULL, range));
}

static const char *insert_sql(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *range)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "INSERT IGNORE INTO %I (%s) SELECT %s FROM %I AS zdm_row FORCE INDEX "
                        "(PRIMARY) WHERE %s LOCK IN SHARE MODE",
                        sh->nw, mysq_shadow_list(cx, sh, NULL, NULL),
                        mysq_shadow_list(cx, sh, "zdm_row.", sh->using_), sh->t, range);
}

static const char *check_what(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    return zdm_sprintf(cx->arena,
                       "the rows copied into %s differ from the rows of %s, converted (row "
                       "count or CRC32 checksum): a value the new shape changed or could not hold "
                       "(INSERT IGNORE clips it), or a row a check or foreign key refused "
                       "(INSERT IGNORE skips it); %s is unchanged",
                       sh->nw, sh->t, sh->t);
}

/* The walk of `zdm run`: ?1 the last key done (NULL: from the start), ?2 the
 * range's last key (NULL: the open-ended last range). */
static zdm_backfill_spec *native_spec(zdm_lower_ctx *cx, const mysq_shadow *sh, uint64_t batch)
{
    zdm_backfill_spec *sp = ZDM_NEW(cx->arena, zdm_backfill_spec);
    const char **k = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    const char **ty = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
    k[0] = sh->pk;
    ty[0] = "BIGINT";
    sp->table = sh->op->table;
    sp->key_cols = k;
    sp->key_types = ty;
    sp->nkeys = 1;
    sp->set_sql = NULL; /* a copy, not an UPDATE */
    sp->filter_sql = NULL;
    sp->batch = batch;
    mysq_walk_keys(cx, sp, sh->t, sh->pk);
    const char *range = zdm_sqlf_str(cx->arena, MQ(cx),
                                     "(?1 IS NULL OR zdm_row.%I > CAST(?1 AS SIGNED)) AND "
                                     "(?2 IS NULL OR zdm_row.%I <= CAST(?2 AS SIGNED))",
                                     sh->pk, sh->pk);
    sp->batch_sql = insert_sql(cx, sh, range);
    sp->check_sql = zdm_sprintf(cx->arena, "SELECT %s AS zdm_same", same_sql(cx, sh, range));
    sp->check_what = check_what(cx, sh);
    sp->after_sql = zdm_sqlf_str(cx->arena, MQ(cx),
                                 "UPDATE %I SET hi = GREATEST(hi, coalesce(CAST(?2 AS SIGNED) + "
                                 "1, " KEY_MAX ")) WHERE id = 1",
                                 sh->cur);
    sp->open_end = true;
    /* zdm run checks each range beside the next (runtime/walk_check.c): the
     * check is one consistent read, and once a range has committed the
     * mirror triggers keep its rows in step, so it holds at any later
     * snapshot; in the range's transaction it slowed the copy by a fifth to
     * a third. Its progress is the cursor table's second row. */
    sp->check_beside = true;
    sp->checked_sql = zdm_sqlf_str(cx->arena, MQ(cx),
                                   "UPDATE %I SET hi = GREATEST(hi, coalesce(CAST(?2 AS SIGNED), "
                                   KEY_MAX ")) WHERE id = 2",
                                   sh->cur);
    sp->check_from_sql = zdm_sqlf_str(cx->arena, MQ(cx),
                                      "SELECT CAST(NULLIF(hi, -9223372036854775807) AS CHAR) FROM "
                                      "%I WHERE id = 2",
                                      sh->cur);
    return sp;
}

static void retry_handler(zdm_lower_ctx *cx, zdm_buf *b)
{
    const zdm_plan_defaults *d = &cx->plan->defaults;
    zdm_buf_puts(b, "            DECLARE EXIT HANDLER FOR 1205, 1213\n            BEGIN\n"
                    "                ROLLBACK;\n"
                    "                SET zdm_tries = zdm_tries + 1;\n");
    zdm_buf_printf(b,
                   "                IF zdm_tries > %u THEN RESIGNAL; END IF;\n"
                   "                DO SLEEP(LEAST(%.3f, %.3f * POW(2, zdm_tries - 1)) * "
                   "(0.5 + RAND() / 2));\n            END;\n",
                   d->retries, (double)d->retry_cap_ms / 1000.0,
                   (double)d->retry_base_ms / 1000.0);
}

/* The script's procedure: ranges [zdm_lo, zdm_last] of `batch` keys from the
 * cursor (so a rerun resumes), the last one up to the largest key. */
static const char *procedure_sql(zdm_lower_ctx *cx, const mysq_shadow *sh, uint64_t batch)
{
    unsigned long long n = (unsigned long long)batch;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "DROP PROCEDURE IF EXISTS zdm_step;\nDELIMITER $$\n"
                     "CREATE PROCEDURE zdm_step()\nBEGIN\n"
                     "    DECLARE zdm_lo, zdm_last, zdm_start, zdm_max BIGINT;\n"
                     "    DECLARE zdm_tries INT DEFAULT 0;\n"
                     "    DECLARE zdm_same INT;\n");
    zdm_sqlf(&b, MQ(cx),
             "    SELECT hi INTO zdm_lo FROM %I WHERE id = 1;\n"
             "    SELECT coalesce(min(%I), zdm_lo), coalesce(max(%I), zdm_lo) INTO zdm_start, "
             "zdm_max FROM %I WHERE %I >= zdm_lo;\n"
             "    WHILE zdm_lo < " KEY_MAX " DO\n        BEGIN\n",
             sh->cur, sh->pk, sh->pk, sh->t, sh->pk);
    retry_handler(cx, &b);
    const char *range = zdm_sqlf_str(cx->arena, MQ(cx),
                                     "zdm_row.%I >= zdm_lo AND zdm_row.%I <= zdm_last", sh->pk,
                                     sh->pk);
    zdm_buf_printf(&b,
                   "            SET zdm_last = IF(GREATEST(zdm_lo, zdm_start) + %llu <= zdm_max, "
                   "GREATEST(zdm_lo, zdm_start) + %llu - 1, " KEY_MAX ");\n"
                   "            START TRANSACTION;\n            %s;\n"
                   "            SELECT %s INTO zdm_same;\n",
                   n, n, insert_sql(cx, sh, range), same_sql(cx, sh, range));
    /* MESSAGE_TEXT holds 128 characters; the step's plan.md says the rest. */
    zdm_sqlf(&b, MQ(cx),
             "            IF NOT coalesce(zdm_same, 0) THEN\n                ROLLBACK;\n"
             "                SET @zdm_msg = CONCAT('zdm: copy check failed at keys ', "
             "GREATEST(zdm_lo, zdm_start), '..', zdm_last, ' (count or checksum differs)');\n"
             "                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = @zdm_msg;\n"
             "            END IF;\n"
             "            UPDATE %I SET hi = GREATEST(hi, IF(zdm_last = " KEY_MAX ", zdm_last, "
             "zdm_last + 1)) WHERE id = 1;\n"
             "            COMMIT;\n"
             "            SET zdm_lo = IF(zdm_last = " KEY_MAX ", zdm_last, zdm_last + 1), "
             "zdm_tries = 0;\n        END;\n    END WHILE;\nEND$$\nDELIMITER ;\n"
             "CALL zdm_step();\nDROP PROCEDURE IF EXISTS zdm_step;\n",
             sh->cur);
    return zdm_buf_cstr(&b);
}

const char *mysq_shadow_copied_sql(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    /* MESSAGE_TEXT holds 128 characters: the table is named by the step. */
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "IF NOT EXISTS (SELECT 1 FROM %I WHERE id = 1 AND hi = " KEY_MAX ") THEN\n"
                        "                    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = "
                        "'zdm: the copy into the shadow table has not finished: run the backfill "
                        "phase first';\n"
                        "                END IF",
                        sh->cur);
}

void mysq_shadow_copy_step(zdm_lower_ctx *cx, const mysq_shadow *sh)
{
    const zdm_op *op = sh->op;
    uint64_t batch = mysq_st(cx)->batch;
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_BACKFILL,
                            zdm_sprintf(cx->arena, "copy %s into %s", sh->t, sh->nw));
    s->kind = ZDM_STEP_BACKFILL;
    s->lock = "shared row locks of one primary-key range at a time";
    s->lock_level = ZDM_LOCK_ROWS;
    s->scans = true;
    s->why = "One transaction per primary-key range: INSERT IGNORE ... SELECT share-locks the "
             "range's rows while it copies them, a count and CRC32 checksum of the range, "
             "converted, against the shadow's range proves the copy (a difference stops it), "
             "and the cursor then hands the range to the mirror triggers.";
    mysq_estimate(cx, s, &op->table, op->rows, MYSQ_UPDATE_RPS, "batched copy");
    s->backfill = native_spec(cx, sh, batch);
    s->forward = mysq_step_sql(cx, procedure_sql(cx, sh, batch));
    s->rollback = mysq_step_sql(cx, "-- nothing to undo here: the shadow table is dropped by "
                                    "undoing its create step\n");
    zdm_step_risk(cx->plan, s, ZDM_RISK_TABLE_REWRITE,
                  "The shadow is a full second copy of the table: it needs that much free disk.",
                  "Check free disk against the table's size first.");
    zdm_step_risk(cx->plan, s, ZDM_RISK_REPLICA_LAG,
                  "Every copied range is replicated.", "Watch Seconds_Behind_Master.");
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  zdm_sprintf(cx->arena, "A range whose copy differs stops the copy: %s.",
                              check_what(cx, sh)),
                  "Find the row (the message names the keys), fix it or the conversion, and "
                  "run the phase again: it resumes at the range that failed.");
}
