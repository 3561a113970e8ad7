/*
 * pgsql_dialect.c - the PostgreSQL dialect: its vtable, identifier and literal
 * quoting, and the begin/finish hooks that set the plan's defaults and add the
 * steps that span several ops.
 *
 * Quoting follows PostgreSQL's own fmtId (src/fe_utils/string_utils.c): an
 * identifier is left bare only when it matches [a-z_][a-z0-9_$]* and is not a
 * keyword of any category but "unreserved" (src/include/parser/kwlist.h; the
 * list below is PostgreSQL 15's plus what 16-18 added). Anything else is
 * double-quoted with inner quotes doubled.
 */
#include "pgsql_int.h"

#include <string.h>

/* Keywords that are reserved, col_name or type_func_name in PostgreSQL 11-18,
 * sorted for bsearch. Quoting one that a given version would accept bare is
 * harmless; leaving one bare that it reserves is not, so the union is used. */
static const char *const keywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column",
    "concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
    "current_role", "current_schema", "current_time", "current_timestamp", "current_user",
    "dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze",
    "from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
    "initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is",
    "isnull", "join", "json_array", "json_arrayagg", "json_exists", "json_object",
    "json_objectagg", "json_query", "json_scalar", "json_serialize", "json_table",
    "json_value", "lateral", "leading", "least", "left", "like", "limit", "localtime",
    "localtimestamp", "merge_action", "national", "natural", "nchar", "none", "normalize",
    "not", "notnull", "null", "nullif", "numeric", "offset", "on", "only", "or", "order",
    "out", "outer", "overlaps", "overlay", "placing", "position", "precision", "primary",
    "real", "references", "returning", "right", "row", "select", "session_user", "setof",
    "similar", "smallint", "some", "substring", "symmetric", "system_user", "table",
    "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true",
    "union", "unique", "user", "using", "values", "varchar", "variadic", "verbose", "when",
    "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
    "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize",
    "xmltable",
};

static bool needs_quotes(const char *s)
{
    return zdm_sql_needs_quotes(s, "$", keywords, sizeof keywords / sizeof *keywords);
}

static void quote_ident(zdm_buf *out, const char *s)
{
    if (!needs_quotes(s)) {
        zdm_buf_puts(out, s);
        return;
    }
    zdm_buf_quoted(out, s, '"');
}

/* standard_conforming_strings is on by default since 9.1, so only quotes are
 * doubled; a backslash would need the E'' form, which keeps old settings safe. */
static void quote_literal(zdm_buf *out, const char *s)
{
    bool bs = strchr(s, '\\') != NULL;
    if (bs)
        zdm_buf_putc(out, 'E');
    zdm_buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || (bs && *p == '\\'))
            zdm_buf_putc(out, *p);
        zdm_buf_putc(out, *p);
    }
    zdm_buf_putc(out, '\'');
}

/* Safe defaults, stated in every plan (docs/backends/postgres.md). */
#define PG_LOCK_TIMEOUT_MS 500
#define PG_BATCH 5000
#define PG_RETRIES 10
#define PG_RETRY_BASE_MS 200
#define PG_RETRY_CAP_MS 5000
/* A concurrent index build in one process: a parallel build takes every core
 * of a small server from the writers (docs/benchmarks.md, "Headline"). Not
 * in the plan's defaults block (no other dialect has it): each build step
 * states it in its own SQL (SET max_parallel_maintenance_workers). */
#define PG_INDEX_WORKERS 0

static void register_fills(zdm_lower_ctx *cx);

static int pg_begin(zdm_lower_ctx *cx)
{
    pgsql_state *st = ZDM_NEW(cx->arena, pgsql_state);
    const zdm_settings *set = &cx->mig->settings;
    zdm_plan_defaults *d = &cx->plan->defaults;
    cx->state = st;
    if (cx->opts->lock_timeout_ms > 0) {
        st->lock_timeout_ms = cx->opts->lock_timeout_ms;
        d->lock_timeout_source = "command line";
    } else if (set->lock_timeout_ms > 0) {
        st->lock_timeout_ms = set->lock_timeout_ms;
        d->lock_timeout_source = "file";
    } else {
        st->lock_timeout_ms = PG_LOCK_TIMEOUT_MS;
        d->lock_timeout_source = "zdm default";
    }
    st->stmt_timeout_ms = set->statement_timeout_ms > 0 ? set->statement_timeout_ms : 0;
    st->batch = set->batch > 0 ? (uint64_t)set->batch : PG_BATCH;
    st->pause_ms = set->batch_pause_ms > 0 ? set->batch_pause_ms : 0;
    st->index_workers = set->index_workers >= 0 ? set->index_workers : PG_INDEX_WORKERS;
    d->lock_timeout_ms = st->lock_timeout_ms;
    d->statement_timeout_ms = st->stmt_timeout_ms;
    d->batch = st->batch;
    d->batch_pause_ms = st->pause_ms;
    d->retries = PG_RETRIES;
    d->retry_base_ms = PG_RETRY_BASE_MS;
    d->retry_cap_ms = PG_RETRY_CAP_MS;
    if (!cx->target->version_given)
        zdm_plan_note(cx->plan,
                      "No server version was given: the plan assumes PostgreSQL %u, the oldest "
                      "version whose online behaviour it relies on (SET NOT NULL that uses a "
                      "validated CHECK). Compile with --target postgres@N for your server.",
                      cx->target->version);
    register_fills(cx);
    return 0;
}

/* The sync records must exist before any op is lowered: an index or NOT NULL
 * lowered earlier in the file still needs to know its table is backfilled. */
static void register_fills(zdm_lower_ctx *cx)
{
    pgsql_state *st = pgsql_st(cx);
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *op = cx->mig->ops.items[i];
        if (op->kind != ZDM_OP_BACKFILL)
            continue;
        pgsql_sync *sy = pgsql_sync_find(cx, &op->table);
        if (!sy) {
            sy = ZDM_NEW(cx->arena, pgsql_sync);
            sy->table = op->table;
            zdm_vec_push(cx->arena, &st->syncs, sy);
        }
        zdm_vec_push(cx->arena, &sy->fills, op);
        for (size_t k = 0; k < op->nsets; k++) {
            /* Only new columns are kept in sync: the application keeps
             * writing an existing one itself, and its writes win. */
            if (!zdm_migration_column_is_new(cx->mig, op->table, op->sets[k].col))
                continue;
            bool seen = false;
            for (size_t j = 0; j < sy->cols.len; j++)
                seen = seen || strcmp(sy->cols.items[j], op->sets[k].col) == 0;
            if (!seen)
                zdm_vec_push(cx->arena, &sy->cols, op->sets[k].col);
        }
    }
    pgsql_moves_register(cx);
    for (size_t i = 0; i < st->syncs.len; i++) {
        pgsql_sync *sy = st->syncs.items[i];
        if (sy->cols.len == 0 && sy->moves.len == 0)
            continue; /* only existing columns: no trigger */
        const char *cols = NULL;
        for (size_t j = 0; j < sy->moves.len; j++)
            cols = cols ? zdm_sprintf(cx->arena, "%s_%s", cols, sy->moves.items[j]->dst)
                        : sy->moves.items[j]->dst;
        for (size_t j = 0; j < sy->cols.len; j++)
            cols = cols ? zdm_sprintf(cx->arena, "%s_%s", cols, sy->cols.items[j])
                        : sy->cols.items[j];
        sy->fn = pgsql_object_name(cx->arena, "zdm_sync", sy->table.name, cols);
        sy->trg = sy->fn;
    }
}

static int pg_finish(zdm_lower_ctx *cx) { return pgsql_sync_finish(cx); }

static const zdm_lower_fn lowerers[ZDM_OP__COUNT] = {
    [ZDM_OP_CREATE_TABLE] = pgsql_lower_create_table,
    [ZDM_OP_ADD_COLUMN] = pgsql_lower_add_column,
    [ZDM_OP_SET_NOT_NULL] = pgsql_lower_set_not_null,
    [ZDM_OP_ADD_CONSTRAINT] = pgsql_lower_add_constraint,
    [ZDM_OP_DROP_CONSTRAINT] = pgsql_lower_drop_constraint,
    [ZDM_OP_CREATE_INDEX] = pgsql_lower_create_index,
    [ZDM_OP_DROP_INDEX] = pgsql_lower_drop_index,
    [ZDM_OP_BACKFILL] = pgsql_lower_backfill,
    [ZDM_OP_ALTER_TYPE] = pgsql_lower_alter_type,
    [ZDM_OP_RENAME_COLUMN] = pgsql_lower_rename_column,
    [ZDM_OP_RENAME_TABLE] = pgsql_lower_rename_table,
    [ZDM_OP_DROP_NOT_NULL] = pgsql_lower_drop_not_null,
    [ZDM_OP_SET_DEFAULT] = pgsql_lower_set_default,
    [ZDM_OP_DROP_DEFAULT] = pgsql_lower_set_default,
    [ZDM_OP_DROP_COLUMN] = pgsql_lower_drop_column,
    [ZDM_OP_DROP_TABLE] = pgsql_lower_drop_table,
    [ZDM_OP_CREATE_ENUM] = pgsql_lower_create_enum,
    [ZDM_OP_ADD_ENUM_VALUE] = pgsql_lower_add_enum_value,
    [ZDM_OP_EXECUTE] = pgsql_lower_execute,
};

static const char *const monitor[] = {
    "Lock waits: SELECT pid, wait_event_type, wait_event, state, now() - xact_start AS "
    "xact_age, left(query, 60) FROM pg_stat_activity WHERE wait_event_type = 'Lock' OR "
    "now() - xact_start > interval '1 minute' ORDER BY xact_start;",
    "Retries: each strong-lock step prints `zdm: lock not available, retry N of M` notices; "
    "a few are normal, all of them mean a long transaction holds the table.",
    "Backfill progress: the backfill prints one NOTICE per batch (rows done, last key, "
    "upper key); it can be stopped (Ctrl-C) and rerun at any time.",
    "Index builds: SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total FROM "
    "pg_stat_progress_create_index;",
    "Replication lag (on the primary): SELECT application_name, replay_lag FROM "
    "pg_stat_replication; raise batch_pause if it grows.",
    NULL,
};

const zdm_dialect zdm_dialect_postgres = {
    .name = "postgres",
    .family = "postgres",
    .min_version = 11,
    .max_version = 18,
    .default_version = 12,
    .client = "psql",
    .client_run_fmt = "psql -v ON_ERROR_STOP=1 -f %s",
    .script_preamble = "\\set ON_ERROR_STOP on\n",
    .monitor = monitor,
    .on_retry_exhausted =
        "When a step gives up after its retries, find what holds the table: SELECT pid, "
        "state, now() - xact_start AS age, query FROM pg_stat_activity WHERE pid = ANY "
        "(pg_blocking_pids(<pid of the waiting step>)) or look for long transactions in "
        "pg_stat_activity; end or wait for them, then run the same phase script again "
        "(every step is safe to rerun).",
    .quote_ident = quote_ident,
    .quote_literal = quote_literal,
    .begin = pg_begin,
    .finish = pg_finish,
    .lower = lowerers,
};
