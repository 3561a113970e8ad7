/*
 * mysq_step.c - the pieces every MySQL/MariaDB step is made of: the session
 * settings (lock_wait_timeout, sql_mode), the retry procedure around each DDL,
 * catalog guards through information_schema, checks and estimates.
 *
 * Why a procedure: the mysql client cannot loop or branch, but a stored
 * procedure can, and both servers allow ALTER TABLE, CREATE/DROP INDEX and
 * RENAME TABLE inside one (not in functions or triggers). The script creates
 * `zdm_step`, calls it and drops it; inside, the DDL is guarded by an IF on
 * information_schema (so a rerun or a rollback from any point does nothing
 * twice) and an EXIT handler for ER_LOCK_WAIT_TIMEOUT (1205, which a metadata
 * lock wait past lock_wait_timeout raises) sleeps with jittered exponential
 * backoff and tries again, up to the plan's retries, then re-raises: the
 * client stops the script there (checked on MariaDB 10.11 by tests/mysql).
 * A short lock_wait_timeout bounds how long the DDL, queued for its metadata
 * lock, holds up the queries queued behind it
 * (https://dev.mysql.com/doc/refman/8.0/en/metadata-locking.html).
 */
#include "mysq_int.h"

#include <string.h>

zdm_step *mysq_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase phase, const char *title)
{
    mysq_state *st = mysq_st(cx);
    zdm_step *s = zdm_plan_step(cx->plan, phase, ZDM_STEP_NO_TX, title);
    s->op = op;
    /* Every DDL commits implicitly: none can run inside a transaction. */
    s->transactional = false;
    /* Every DDL runs in the retry procedure (mysq_ddl_sql); the few that
     * cannot clear this. */
    s->retried = true;
    s->lock = "exclusive metadata lock, briefly at start and end";
    s->lock_level = ZDM_LOCK_CONCURRENT;
    s->lock_timeout_ms = (int64_t)st->lock_s * 1000;
    s->statement_timeout_ms = 0;
    s->est_seconds = 0.01;
    s->est_note = "metadata change only";
    return s;
}

const char *mysq_step_sql(zdm_lower_ctx *cx, const char *sql)
{
    return zdm_sprintf(cx->arena,
                       "SET SESSION sql_mode = "
                       "'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';\n"
                       "SET SESSION lock_wait_timeout = %u;\n%s",
                       mysq_st(cx)->lock_s, sql);
}

const char *mysq_ddl_sql(zdm_lower_ctx *cx, const char *cond, const char *ddl)
{
    const zdm_plan_defaults *d = &cx->plan->defaults;
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "DROP PROCEDURE IF EXISTS zdm_step;\nDELIMITER $$\n"
                     "CREATE PROCEDURE zdm_step()\nBEGIN\n"
                     "    DECLARE zdm_tries INT DEFAULT 0;\n"
                     "    DECLARE zdm_done INT DEFAULT 0;\n"
                     "    WHILE zdm_done = 0 DO\n        BEGIN\n"
                     "            DECLARE EXIT HANDLER FOR 1205\n            BEGIN\n"
                     "                SET zdm_tries = zdm_tries + 1;\n");
    zdm_buf_printf(&b,
                   "                IF zdm_tries > %u THEN RESIGNAL; END IF;\n"
                   "                DO SLEEP(LEAST(%.3f, %.3f * POW(2, zdm_tries - 1)) * "
                   "(0.5 + RAND() / 2));\n            END;\n",
                   d->retries, (double)d->retry_cap_ms / 1000.0,
                   (double)d->retry_base_ms / 1000.0);
    if (cond)
        zdm_sqlf(&b, MQ(cx), "            IF %s THEN\n                %s;\n            END IF;\n",
                 cond, ddl);
    else
        zdm_sqlf(&b, MQ(cx), "            %s;\n", ddl);
    zdm_buf_puts(&b, "            SET zdm_done = 1;\n        END;\n    END WHILE;\nEND$$\n"
                     "DELIMITER ;\nCALL zdm_step();\nDROP PROCEDURE IF EXISTS zdm_step;\n");
    return zdm_buf_cstr(&b);
}

const char *mysq_alter_sql(zdm_lower_ctx *cx, const zdm_name *t, const char *clause,
                           mysq_algo_class cls)
{
    return zdm_sqlf_str(cx->arena, MQ(cx), "ALTER TABLE %I %s%s", t->name, clause,
                        mysq_algo_clause(cx, cls));
}

void mysq_apply_algo(zdm_lower_ctx *cx, zdm_step *s, mysq_algo_class cls, const char *what)
{
    const mysq_algo *r = mysq_algo_for(cx, cls);
    s->rewrites = r->rebuild;
    s->scans = r->rebuild || strcmp(r->algorithm, "INSTANT") != 0;
    if (strcmp(r->lock, "NONE") == 0 || strcmp(r->lock, "DEFAULT") == 0) {
        s->lock = strcmp(r->algorithm, "INSTANT") == 0
                      ? "exclusive metadata lock, briefly (INSTANT: a catalog change)"
                      : zdm_sprintf(cx->arena,
                                    "exclusive metadata lock briefly at start and end; "
                                    "ALGORITHM=%s, LOCK=NONE: reads and writes go on",
                                    r->algorithm);
        s->lock_level = ZDM_LOCK_CONCURRENT;
    } else {
        s->lock = zdm_sprintf(cx->arena, "ALGORITHM=%s, LOCK=%s: writes wait for the copy",
                              r->algorithm, r->lock);
        s->lock_level = ZDM_LOCK_BLOCKS_WRITES;
    }
    if (r->rebuild)
        zdm_step_risk(cx->plan, s, ZDM_RISK_TABLE_REWRITE,
                      zdm_sprintf(cx->arena,
                                  "%s rebuilds the table in place (ALGORITHM=%s): it needs "
                                  "free disk for a second copy, and the writes made meanwhile "
                                  "are kept in the online log (innodb_online_alter_log_max_size"
                                  "; past it the ALTER fails and nothing changes).",
                                  what, r->algorithm),
                      "Check free disk against the table's size; raise "
                      "innodb_online_alter_log_max_size for a busy table.");
    if (strcmp(r->algorithm, "INSTANT") != 0)
        zdm_step_risk(cx->plan, s, ZDM_RISK_REPLICA_LAG,
                      zdm_sprintf(cx->arena,
                                  "Replicas run %s as one event after the primary commits it: "
                                  "they lag by its whole duration.",
                                  what),
                      "Watch Seconds_Behind_Master; run it when replica lag is tolerable, or "
                      "apply it to the replicas first.");
}

static const char *check_sql(zdm_lower_ctx *cx, const char *name, const char *cond)
{
    return zdm_sqlf_str(cx->arena, MQ(cx), "SELECT %L AS `check`, coalesce((%s), 0) AS ok",
                        name, cond);
}

void mysq_pre(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond)
{
    zdm_step_pre(cx->plan, s, name, check_sql(cx, name, cond));
}

void mysq_post(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond)
{
    zdm_step_post(cx->plan, s, name, check_sql(cx, name, cond));
}

/* A DDL waits for every transaction that touched the table; one open for
 * minutes makes each retry time out. */
#define MYSQ_LONG_TRX_S 60

void mysq_pre_long_trx(zdm_lower_ctx *cx, zdm_step *s)
{
    mysq_pre(cx, s,
             zdm_sprintf(cx->arena, "step %s: no transaction open for over %d s", s->title,
                         MYSQ_LONG_TRX_S),
             zdm_sprintf(cx->arena,
                         "NOT EXISTS (SELECT 1 FROM information_schema.INNODB_TRX WHERE "
                         "trx_started < NOW() - INTERVAL %d SECOND)",
                         MYSQ_LONG_TRX_S));
}

const char *mysq_cond_table(zdm_lower_ctx *cx, const zdm_name *t, bool exists)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "%sEXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                        "DATABASE() AND TABLE_NAME = %L)",
                        exists ? "" : "NOT ", t->name);
}

const char *mysq_cond_column(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                             bool exists)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "%sEXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                        "DATABASE() AND TABLE_NAME = %L AND COLUMN_NAME = %L)",
                        exists ? "" : "NOT ", t->name, col);
}

const char *mysq_cond_index(zdm_lower_ctx *cx, const zdm_name *t, const char *name,
                            bool exists)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "%sEXISTS (SELECT 1 FROM information_schema.STATISTICS WHERE "
                        "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %L AND INDEX_NAME = %L)",
                        exists ? "" : "NOT ", t->name, name);
}

const char *mysq_cond_constraint(zdm_lower_ctx *cx, const zdm_name *t, const char *name,
                                 const char *type, bool exists)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "%sEXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE "
                        "CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %L AND CONSTRAINT_NAME "
                        "= %L AND CONSTRAINT_TYPE = %L)",
                        exists ? "" : "NOT ", t->name, name, type);
}

const char *mysq_cond_column_shape(zdm_lower_ctx *cx, const zdm_name *t, const zdm_column *c)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                        "DATABASE() AND TABLE_NAME = %L AND COLUMN_NAME = %L AND DATA_TYPE = %L "
                        "AND IS_NULLABLE = %L)",
                        t->name, c->name, mysq_data_type(cx, &c->type),
                        c->not_null ? "NO" : "YES");
}

void mysq_estimate(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, uint64_t rows,
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

const char *mysq_qcol(zdm_lower_ctx *cx, const zdm_name *t, const char *col)
{
    return zdm_sprintf(cx->arena, "%s.%s", zdm_name_str(cx->arena, *t), col);
}
