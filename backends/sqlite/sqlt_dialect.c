/*
 * sqlt_dialect.c - the SQLite dialect: its vtable, identifier and literal
 * quoting, and the begin/finish hooks (plan defaults, the refusal of schema
 * names, the sync triggers of backfilled columns).
 *
 * Quoting: an identifier stays bare only when it matches [a-z_][a-z0-9_]* and
 * is not one of SQLite's 147 keywords (https://www.sqlite.org/lang_keywords.html,
 * the list sqlite3_keyword_name() gives in 3.40), nor true/false (3.23+
 * reads them as values) or a rowid alias; anything else is double-quoted with
 * inner quotes doubled.
 *
 * Versions are written sqlite@3.35 .. sqlite@3.50 and held as major*1000+minor
 * (3035): 3.35 is the oldest with ALTER TABLE DROP COLUMN (and RETURNING).
 */
#include "sqlt_int.h"

#include <string.h>

static const char *const keywords[] = {
    "_rowid_", "abort", "action", "add", "after", "all", "alter", "always", "analyze", "and",
    "as", "asc", "attach", "autoincrement", "before", "begin", "between", "by", "cascade",
    "case", "cast", "check", "collate", "column", "commit", "conflict", "constraint", "create",
    "cross", "current", "current_date", "current_time", "current_timestamp", "database",
    "default", "deferrable", "deferred", "delete", "desc", "detach", "distinct", "do", "drop",
    "each", "else", "end", "escape", "except", "exclude", "exclusive", "exists", "explain",
    "fail", "false", "filter", "first", "following", "for", "foreign", "from", "full",
    "generated", "glob", "group", "groups", "having", "if", "ignore", "immediate", "in",
    "index", "indexed", "initially", "inner", "insert", "instead", "intersect", "into", "is",
    "isnull", "join", "key", "last", "left", "like", "limit", "match", "materialized",
    "natural", "no", "not", "nothing", "notnull", "null", "nulls", "of", "offset", "oid", "on",
    "or", "order", "others", "outer", "over", "partition", "plan", "pragma", "preceding",
    "primary", "query", "raise", "range", "recursive", "references", "regexp", "reindex",
    "release", "rename", "replace", "restrict", "returning", "right", "rollback", "row",
    "rowid", "rows", "savepoint", "select", "set", "table", "temp", "temporary", "then", "ties",
    "to", "transaction", "trigger", "true", "unbounded", "union", "unique", "update", "using",
    "vacuum", "values", "view", "virtual", "when", "where", "window", "with", "without",
};

static bool needs_quotes(const char *s)
{
    return zdm_sql_needs_quotes(s, NULL, keywords, sizeof keywords / sizeof *keywords);
}

static void quote_ident(zdm_buf *out, const char *s)
{
    if (!needs_quotes(s)) {
        zdm_buf_puts(out, s);
        return;
    }
    zdm_buf_quoted(out, s, '"');
}

/* SQLite string literals have no escapes: only the quote is doubled. */
static void quote_literal(zdm_buf *out, const char *s)
{
    zdm_buf_quoted(out, s, '\'');
}

/* Safe defaults, stated in every plan (docs/backends/sqlite.md). */
#define SQLT_BUSY_MS 5000
#define SQLT_BATCH 5000

/* SQLite's "schemas" are attached database files: the language's schema
 * names have no meaning there (only main, the default). */
static int check_schemas(zdm_lower_ctx *cx)
{
    int rc = 0;
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *op = cx->mig->ops.items[i];
        const char *sch = op->table.schema ? op->table.schema : op->to.schema;
        if (sch && strcmp(sch, "main") != 0)
            rc = zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                                 "SQLite has no schemas (a qualified name names an attached "
                                 "database file); use unqualified names for --target sqlite",
                                 "schema '%s' cannot be used with target %s", sch,
                                 cx->target->canonical);
    }
    return rc;
}

static int sq_begin(zdm_lower_ctx *cx)
{
    sqlt_state *st = ZDM_NEW(cx->arena, sqlt_state);
    const zdm_settings *set = &cx->mig->settings;
    zdm_plan_defaults *d = &cx->plan->defaults;
    cx->state = st;
    if (cx->opts->lock_timeout_ms > 0) {
        st->busy_ms = cx->opts->lock_timeout_ms;
        d->lock_timeout_source = "command line";
    } else if (set->lock_timeout_ms > 0) {
        st->busy_ms = set->lock_timeout_ms;
        d->lock_timeout_source = "file";
    } else {
        st->busy_ms = SQLT_BUSY_MS;
        d->lock_timeout_source = "zdm default";
    }
    st->batch = set->batch > 0 ? (uint64_t)set->batch : SQLT_BATCH;
    d->lock_timeout_ms = st->busy_ms;
    d->statement_timeout_ms = 0;
    d->batch = st->batch;
    d->batch_pause_ms = 0;
    d->retries = 0;
    size_t n = cx->mig->ops.len ? cx->mig->ops.len : 1;
    st->op_phase = ZDM_NEW_ARRAY(cx->arena, zdm_phase, n);
    st->op_lowered = ZDM_NEW_ARRAY(cx->arena, bool, n);
    memset(st->op_lowered, 0, n * sizeof *st->op_lowered);
    zdm_plan_note(cx->plan,
                  "SQLite has one writer at a time: each step holds the database write lock "
                  "from BEGIN IMMEDIATE to COMMIT, readers go on (WAL mode), and other writers "
                  "wait for it up to their own busy_timeout. The lock timeout of this plan is "
                  "its busy_timeout (%lld ms): how long a step waits for the write lock.",
                  (long long)st->busy_ms);
    zdm_plan_note(cx->plan,
                  "Run it with `zdm run DIR --db sqlite:DB` (docs/runtime.md): it runs these "
                  "same scripts, keeps the guards of native ALTERs, the batch loops and their "
                  "pauses and the objects a copy-swap re-creates in memory (the sqlite3 shell "
                  "writes them to zdm-guard.sql, zdm-loop.sql, zdm-pause.sql and zdm-keep.sql in "
                  "its working directory) and leaves the write "
                  "lock free for 100 ms after each committed batch; SQLite's lock has no queue, "
                  "so batches the shell runs back to back can keep other writers out.");
    if (!cx->target->version_given)
        zdm_plan_note(cx->plan, "No SQLite version was given: the plan assumes 3.35, the "
                                "oldest with ALTER TABLE DROP COLUMN. Compile with --target "
                                "sqlite@3.N for yours.");
    if (check_schemas(cx) != 0)
        return -1;
    sqlt_sync_register(cx);
    return 0;
}

static int sq_finish(zdm_lower_ctx *cx) { return sqlt_sync_finish(cx); }

static const zdm_lower_fn lowerers[ZDM_OP__COUNT] = {
    [ZDM_OP_CREATE_TABLE] = sqlt_lower_create_table,
    [ZDM_OP_DROP_TABLE] = sqlt_lower_drop_table,
    [ZDM_OP_RENAME_TABLE] = sqlt_lower_rename_table,
    [ZDM_OP_ADD_COLUMN] = sqlt_lower_add_column,
    [ZDM_OP_DROP_COLUMN] = sqlt_lower_drop_column,
    [ZDM_OP_RENAME_COLUMN] = sqlt_lower_rename_column,
    [ZDM_OP_ALTER_TYPE] = sqlt_lower_alter_type,
    [ZDM_OP_SET_NOT_NULL] = sqlt_lower_column_swap,
    [ZDM_OP_DROP_NOT_NULL] = sqlt_lower_column_swap,
    [ZDM_OP_SET_DEFAULT] = sqlt_lower_column_swap,
    [ZDM_OP_DROP_DEFAULT] = sqlt_lower_column_swap,
    [ZDM_OP_ADD_CONSTRAINT] = sqlt_lower_constraint,
    [ZDM_OP_DROP_CONSTRAINT] = sqlt_lower_constraint,
    [ZDM_OP_CREATE_INDEX] = sqlt_lower_create_index,
    [ZDM_OP_DROP_INDEX] = sqlt_lower_drop_index,
    [ZDM_OP_BACKFILL] = sqlt_lower_backfill,
    [ZDM_OP_CREATE_ENUM] = sqlt_lower_create_enum,
    [ZDM_OP_ADD_ENUM_VALUE] = sqlt_lower_create_enum,
    [ZDM_OP_EXECUTE] = sqlt_lower_execute,
};

static const char *const monitor[] = {
    "Who holds the write lock: a step that waits prints `Runtime error ... database is "
    "locked` after its busy_timeout; the sqlite3 CLI stops there (.bail on) and the phase "
    "script can be run again.",
    "WAL size: ls -l DB-wal; a checkpoint (PRAGMA wal_checkpoint(TRUNCATE);) after a large "
    "copy-swap returns the space.",
    "Backfill progress: SELECT count(*) FROM <table> WHERE <new column> IS NULL;",
    NULL,
};

const zdm_dialect zdm_dialect_sqlite = {
    .name = "sqlite",
    .family = "sqlite",
    .min_version = 3035,
    .max_version = 3050,
    .default_version = 3035,
    .client = "sqlite3",
    .client_run_fmt = "sqlite3 -bail DB < %s",
    .script_preamble = ".bail on\n.timeout 5000\nPRAGMA journal_mode = WAL;\n",
    .monitor = monitor,
    .on_retry_exhausted =
        "When a step stops with `database is locked`, another connection held the write lock "
        "longer than the busy_timeout: find the long writer (a batch job, an open "
        "transaction in a console), let it finish, then run the same phase script again "
        "(every step is safe to rerun).",
    .quote_ident = quote_ident,
    .quote_literal = quote_literal,
    .begin = sq_begin,
    .finish = sq_finish,
    .lower = lowerers,
};
