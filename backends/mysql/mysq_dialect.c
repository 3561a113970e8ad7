/*
 * mysq_dialect.c - the MySQL and MariaDB dialects: two vtables over one
 * lowering table (the flavour and the version pick rows of the algorithm
 * table), identifier and literal quoting, and the begin/finish hooks (plan
 * defaults, the refusal of schema names, the sync triggers of backfills).
 *
 * Quoting: identifiers are always quoted with backticks, inner backticks
 * doubled (MySQL's and MariaDB's reserved words differ by version, so no
 * keyword list can say when a bare name is safe). String literals double the
 * quote and the backslash (both servers read backslash escapes in literals);
 * every script sets a sql_mode without NO_BACKSLASH_ESCAPES (mysq_step_sql).
 *
 * Versions are written mysql@8.0 / mysql@8.4 and mariadb@10.11 / mariadb@11.4
 * and held as major*1000+minor. The defaults are the oldest of each range
 * (8.0, 10.11): the conservative rows of the algorithm table.
 */
#include "mysq_int.h"

#include <string.h>

static void quote_ident(zdm_buf *out, const char *s) { zdm_buf_quoted(out, s, '`'); }

static void quote_literal(zdm_buf *out, const char *s)
{
    zdm_buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || *p == '\\')
            zdm_buf_putc(out, *p);
        zdm_buf_putc(out, *p);
    }
    zdm_buf_putc(out, '\'');
}

/* Safe defaults, stated in every plan (docs/backends/mysql.md). */
#define MYSQ_LOCK_MS 1000
#define MYSQ_BATCH 5000
#define MYSQ_RETRIES 10
#define MYSQ_RETRY_BASE_MS 200
#define MYSQ_RETRY_CAP_MS 5000

/* A MySQL "schema" is a database: the scripts run in the one the client is
 * given, and a qualified name would reach another database. */
static int check_schemas(zdm_lower_ctx *cx)
{
    int rc = 0;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *op = cx->mig->ops.items[i];
        const char *sch = op->table.schema ? op->table.schema : op->to.schema;
        if (sch)
            rc = zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                                 "in MySQL a schema is a database: run the plan with the "
                                 "client connected to that database and use unqualified names",
                                 "schema '%s' cannot be used with target %s", sch,
                                 cx->target->canonical);
    }
    return rc;
}

static int my_begin(zdm_lower_ctx *cx)
{
    mysq_state *st = ZDM_NEW(cx->arena, mysq_state);
    const zdm_settings *set = &cx->mig->settings;
    zdm_plan_defaults *d = &cx->plan->defaults;
    cx->state = st;
    st->flavour = cx->dialect == &zdm_dialect_mariadb ? MYSQ_MARIADB : MYSQ_MYSQL;
    if (cx->opts->lock_timeout_ms > 0) {
        st->lock_ms = cx->opts->lock_timeout_ms;
        d->lock_timeout_source = "command line";
    } else if (set->lock_timeout_ms > 0) {
        st->lock_ms = set->lock_timeout_ms;
        d->lock_timeout_source = "file";
    } else {
        st->lock_ms = MYSQ_LOCK_MS;
        d->lock_timeout_source = "zdm default";
    }
    /* lock_wait_timeout counts whole seconds, at least 1. */
    st->lock_s = (unsigned)((st->lock_ms + 999) / 1000);
    if (st->lock_s < 1)
        st->lock_s = 1;
    st->retries = MYSQ_RETRIES;
    st->batch = set->batch > 0 ? (uint64_t)set->batch : MYSQ_BATCH;
    d->lock_timeout_ms = (int64_t)st->lock_s * 1000;
    d->statement_timeout_ms = 0;
    d->batch = st->batch;
    d->batch_pause_ms = 0;
    d->retries = MYSQ_RETRIES;
    d->retry_base_ms = MYSQ_RETRY_BASE_MS;
    d->retry_cap_ms = MYSQ_RETRY_CAP_MS;
    zdm_plan_note(cx->plan,
                  "Every DDL names its ALGORITHM and LOCK (docs/backends/mysql.md has the "
                  "table for each version), so the server refuses instead of copying the table "
                  "under a lock. Each one waits at most lock_wait_timeout = %u s for its "
                  "metadata lock and is retried %u times with backoff by a procedure the "
                  "script creates, calls and drops. There is no statement timeout for DDL.",
                  st->lock_s, st->retries);
    if (!cx->target->version_given)
        zdm_plan_note(cx->plan,
                      "No server version was given: the plan assumes %s, the oldest version "
                      "of the range with the most conservative algorithms. Compile with "
                      "--target %s@N.N for your server.",
                      cx->target->canonical, cx->dialect->name);
    if (check_schemas(cx) != 0)
        return -1;
    mysq_sync_register(cx);
    return 0;
}

static int my_finish(zdm_lower_ctx *cx) { return mysq_sync_finish(cx); }

static const zdm_lower_fn lowerers[ZDM_OP__COUNT] = {
    [ZDM_OP_CREATE_TABLE] = mysq_lower_create_table,
    [ZDM_OP_DROP_TABLE] = mysq_lower_drop_table,
    [ZDM_OP_RENAME_TABLE] = mysq_lower_rename_table,
    [ZDM_OP_ADD_COLUMN] = mysq_lower_add_column,
    [ZDM_OP_DROP_COLUMN] = mysq_lower_drop_column,
    [ZDM_OP_RENAME_COLUMN] = mysq_lower_rename_column,
    [ZDM_OP_ALTER_TYPE] = mysq_lower_alter_type,
    [ZDM_OP_SET_NOT_NULL] = mysq_lower_nullness,
    [ZDM_OP_DROP_NOT_NULL] = mysq_lower_nullness,
    [ZDM_OP_SET_DEFAULT] = mysq_lower_default,
    [ZDM_OP_DROP_DEFAULT] = mysq_lower_default,
    [ZDM_OP_ADD_CONSTRAINT] = mysq_lower_add_constraint,
    [ZDM_OP_DROP_CONSTRAINT] = mysq_lower_drop_constraint,
    [ZDM_OP_CREATE_INDEX] = mysq_lower_create_index,
    [ZDM_OP_DROP_INDEX] = mysq_lower_drop_index,
    [ZDM_OP_BACKFILL] = mysq_lower_backfill,
    [ZDM_OP_CREATE_ENUM] = mysq_lower_refuse,
    [ZDM_OP_ADD_ENUM_VALUE] = mysq_lower_refuse,
    [ZDM_OP_EXECUTE] = mysq_lower_execute,
};

static const char *const monitor[] = {
    "Metadata-lock waits: SELECT * FROM information_schema.PROCESSLIST WHERE STATE LIKE "
    "'Waiting for%metadata lock%'; a DDL that waits stalls every query on the table behind "
    "it for up to lock_wait_timeout.",
    "Long transactions that keep DDL waiting: SELECT trx_mysql_thread_id, trx_started, "
    "trx_query FROM information_schema.INNODB_TRX ORDER BY trx_started;",
    "An INPLACE index build or rebuild: SHOW PROCESSLIST (State: altering table); replicas "
    "apply it as one event after it commits on the primary (Seconds_Behind_Master).",
    "Backfill progress: SELECT count(*) FROM <table> WHERE <new column> IS NULL;",
    NULL,
};

static const char *const retry_exhausted =
    "When a step stops with ERROR 1205 (Lock wait timeout exceeded) after its retries, a "
    "session held the table's metadata lock the whole time: find it with SELECT * FROM "
    "information_schema.INNODB_TRX ORDER BY trx_started (and PROCESSLIST), let it finish or "
    "KILL it, then run the same phase script again (every step is guarded and safe to rerun).";

const zdm_dialect zdm_dialect_mysql = {
    .name = "mysql",
    .family = "mysql",
    .min_version = 8000,
    .max_version = 8004,
    .default_version = 8000,
    .client = "mysql",
    .client_run_fmt = "mysql DB < %s",
    .script_preamble = NULL,
    .monitor = monitor,
    .on_retry_exhausted = retry_exhausted,
    .quote_ident = quote_ident,
    .quote_literal = quote_literal,
    .begin = my_begin,
    .finish = my_finish,
    .lower = lowerers,
};

const zdm_dialect zdm_dialect_mariadb = {
    .name = "mariadb",
    .family = "mysql",
    .min_version = 10011,
    .max_version = 11004,
    .default_version = 10011,
    .client = "mariadb",
    .client_run_fmt = "mariadb DB < %s",
    .script_preamble = NULL,
    .monitor = monitor,
    .on_retry_exhausted = retry_exhausted,
    .quote_ident = quote_ident,
    .quote_literal = quote_literal,
    .begin = my_begin,
    .finish = my_finish,
    .lower = lowerers,
};
