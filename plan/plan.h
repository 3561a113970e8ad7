/*
 * plan.h - the migration plan: what a backend produces from the IR and what the
 * renderers (plan.md, plan.json, the SQL scripts) and, later, the runtime
 * (`zdm run`) consume. The model is dialect-free: every dialect-specific piece
 * of text (the SQL of a step, the client command, the script preamble, what to
 * monitor) is carried as data, so no consumer ever tests a dialect's name.
 *
 * Invariants:
 * - Steps are appended in any phase order while lowering; zdm_plan_finish sorts
 *   them stably by phase and numbers them, after which `steps` is the execution
 *   order and `phases` lists only the phases that have steps.
 * - A step's forward and rollback texts are complete scripts for the target's
 *   client (they set their own timeouts); rollback text is guarded so that it
 *   is correct whether or not the forward text ran, ran partly, or ran twice.
 * - Every check is ONE query returning one row with columns `check` and `ok`.
 * - Everything lives in the compile arena; nothing here is freed on its own.
 */
#ifndef ZDM_PLAN_H
#define ZDM_PLAN_H

#include "../core/core.h"
#include "../ir/ir.h"

/* ---- phases ------------------------------------------------------------------ */

#define ZDM_PHASES(X)                                                          \
    X(EXPAND, "expand")                                                        \
    X(BACKFILL, "backfill")                                                    \
    X(VALIDATE, "validate")                                                    \
    X(CONTRACT, "contract")

typedef enum {
#define X(e, s) ZDM_PHASE_##e,
    ZDM_PHASES(X)
#undef X
    ZDM_PHASE__COUNT
} zdm_phase;

const char *zdm_phase_name(zdm_phase p);

/* ---- steps ------------------------------------------------------------------- */

/* X(enum, json name, what it means for whoever runs it) */
#define ZDM_STEP_KINDS(X)                                                      \
    X(TX, "transaction", "SQL run in a transaction (one statement or block)") \
    X(NO_TX, "no_transaction", "SQL that must run outside a transaction block") \
    X(CONCURRENT_INDEX, "concurrent_index", "an online index build or drop; outside a transaction") \
    X(BACKFILL, "backfill", "a batched backfill, one transaction per batch")

typedef enum {
#define X(e, s, d) ZDM_STEP_##e,
    ZDM_STEP_KINDS(X)
#undef X
} zdm_step_kind;

const char *zdm_step_kind_name(zdm_step_kind k);

/* How much of the application a step's lock stops, from nothing to everything.
 * The dialect's own name for the lock is in zdm_step.lock. */
#define ZDM_LOCK_LEVELS(X)                                                     \
    X(NONE, "none", "no table lock")                                           \
    X(ROWS, "rows", "row locks only; reads and writes go on")                  \
    X(CONCURRENT, "concurrent", "reads and writes go on; other DDL waits")     \
    X(BLOCKS_WRITES, "blocks_writes", "reads go on; writes wait")              \
    X(BLOCKS_ALL, "blocks_all", "reads and writes wait")

typedef enum {
#define X(e, s, d) ZDM_LOCK_##e,
    ZDM_LOCK_LEVELS(X)
#undef X
} zdm_lock_level;

const char *zdm_lock_level_name(zdm_lock_level l);
const char *zdm_lock_level_desc(zdm_lock_level l);

/* The risk catalogue. X(enum, json name, title) */
#define ZDM_RISK_KINDS(X)                                                      \
    X(STRONG_LOCK, "strong_lock", "strong lock")                               \
    X(LOCK_QUEUE, "lock_queue", "lock queue")                                  \
    X(TABLE_REWRITE, "table_rewrite", "table rewrite")                         \
    X(FULL_SCAN, "full_scan", "full table scan")                               \
    X(INDEX_BUILD, "index_build", "index build load and disk")                 \
    X(APP_COMPAT, "app_compat", "application compatibility")                   \
    X(DATA_LOSS, "data_loss", "data loss")                                     \
    X(REPLICA_LAG, "replica_lag", "replica lag")                               \
    X(WAL_VOLUME, "wal_volume", "WAL volume")                                  \
    X(BLOAT, "bloat", "bloat after backfill")                                  \
    X(TRIGGER_OVERHEAD, "trigger_overhead", "trigger overhead")                \
    X(UNVERIFIED_SQL, "unverified_sql", "unverified raw SQL")                  \
    X(CONSTRAINT_FAIL, "constraint_fail", "constraint may fail on existing data")

typedef enum {
#define X(e, s, t) ZDM_RISK_##e,
    ZDM_RISK_KINDS(X)
#undef X
    ZDM_RISK__COUNT
} zdm_risk_kind;

const char *zdm_risk_name(zdm_risk_kind k);
const char *zdm_risk_title(zdm_risk_kind k);

typedef struct zdm_check {
    const char *name; /* short, unique within the plan's check file */
    const char *sql;  /* one SELECT ... AS "check", ... AS ok; no trailing ';' */
} zdm_check;

typedef struct zdm_risk {
    zdm_risk_kind kind;
    const char *detail;
    const char *mitigation;
} zdm_risk;

/* A batched backfill described as data, so a runtime can run it natively
 * instead of the script's loop. SQL fragments are already in the target's
 * syntax and quoted; the key is walked in ascending order up to the maximum
 * key read when the step starts. */
typedef struct zdm_backfill_spec {
    zdm_name table;
    const char **key_cols;   /* decoded names */
    const char **key_types;  /* the target's type names */
    size_t nkeys;
    const char *set_sql;     /* "col = (expr), ..."; NULL: the walk is no UPDATE */
    const char *filter_sql;  /* rows left to do: "col IS DISTINCT FROM (expr) ..." (or NULL) */
    uint64_t batch;
    int64_t pause_ms;
    /* The same walk for the runtime's batch runner (runtime/backfill.c), in
     * the dialect's own SQL and parameter syntax, so the runtime builds no
     * SQL. Keys travel as text; NULL when the step has no native form.
     *   max_sql    ()            -> the last key now (no row: empty table)
     *   next_sql   (lo, hi, n)   -> the last key of the next at most n rows
     *                               after lo (NULL: from the start), <= hi;
     *                               no row or NULL when none is left
     *   batch_sql  (lo, to)      -> ONE statement doing one batch over the
     *                               keys > lo (NULL: from the start) and <= to;
     *                               its row count is the rows it updated
     *   vacuum_sql ()            -> the table's plain VACUUM, run outside a
     *                               transaction between groups of batches so
     *                               that later batches reuse the space of the
     *                               row versions earlier ones left dead; NULL
     *                               where the dialect has no such thing
     *   quiet_check_sql ()       -> one row, one boolean: the table has no
     *                               trigger but the walk's own sync trigger
     *                               (whose work the batch does itself), so
     *                               the walk may run with triggers off
     *   quiet_sql  ()            -> the session setting that turns them off
     *                               (the runtime resets the session after the
     *                               walk); both NULL where that is not safe
     *   session_sql ()           -> a session setting for the walk's
     *                               connection, set when the walk starts
     *                               and after each reset (NULL: none); it
     *                               may only change how fast a batch
     *                               commits, never what it writes (only
     *                               written to plan.json when set)
     * For a walk whose batch is more than one statement (NULL/false for a
     * plain UPDATE walk; only written to plan.json when set):
     *   check_sql  (lo, to)      -> one row, one boolean, run in the batch's
     *                               transaction after batch_sql: false (or
     *                               NULL) rolls the batch back and stops the
     *                               walk, saying check_what and the keys
     *   check_what               -> what a failed check means, a sentence
     *   after_sql  (lo, to)      -> one more statement of the batch's
     *                               transaction, after the check (e.g. a
     *                               cursor that triggers read)
     *   open_end                 -> the walk's last batch (to = the key read
     *                               by max_sql) runs batch/check/after with
     *                               to NULL: every key after lo, so rows
     *                               inserted since the walk started are
     *                               taken too (nothing else handles them);
     *                               an empty table still gets that one
     *                               batch (NULL, NULL)
     *   check_beside             -> check_sql is a consistent read that
     *                               needs no lock of the batch: it runs
     *                               after the batch has committed, on
     *                               another connection, while the next
     *                               batch runs; false stops the walk (the
     *                               batch stays committed)
     *   checked_sql (lo, to)     -> with check_beside: records that the
     *                               keys up to `to` (NULL: every key)
     *                               passed; run in autocommit
     *   check_from_sql ()        -> with check_beside: one row, the key
     *                               recorded (NULL: none), from which a
     *                               resumed walk checks its committed
     *                               batches again before going on */
    const char *max_sql, *next_sql, *batch_sql, *vacuum_sql;
    const char *quiet_check_sql, *quiet_sql, *session_sql;
    /* A walk of a rollback (zdm_rollback_piece) says more; NULL in a BACKFILL
     * step's (plan.json leaves them out):
     *   verb       what a batch does, for the runtime's lines: "restore",
     *              "fill" (NULL: "backfill")
     *   guard_sql  ()            -> one row, one boolean: the walk has work
     *                               (false: skipped, as the script's loop
     *                               returns at once, e.g. no backup table)
     *   total_sql  ()            -> one row, one number: the rows the walk
     *                               goes over, for progress and the vacuum
     *                               groups (NULL: the table's row estimate)
     * `table` is the table the batches change (and vacuum_sql vacuums); the
     * key walked may be another's (a restore walks its backup table's). */
    const char *verb, *guard_sql, *total_sql;
    const char *check_sql, *check_what, *after_sql;
    bool open_end, check_beside;
    const char *checked_sql, *check_from_sql;
} zdm_backfill_spec;

/* A step's rollback as `zdm rollback` runs it natively: in order, script
 * text run as the rollback text is, and batched walks run batch by batch
 * (runtime/backfill.c) where the rollback text has its DO loop. Exactly one
 * of the two is set. The rollback text itself stays for the DBAs who run the
 * scripts; both do the same. */
typedef struct zdm_rollback_piece {
    const char *script;
    const zdm_backfill_spec *walk;
} zdm_rollback_piece;

typedef zdm_vec(zdm_check) zdm_check_vec;
typedef zdm_vec(zdm_risk) zdm_risk_vec;
typedef zdm_vec(zdm_rollback_piece) zdm_rollback_piece_vec;

typedef struct zdm_step {
    const char *id;            /* "01", "02", ... in execution order (set by finish) */
    unsigned seq;              /* order of creation, for the stable sort */
    zdm_phase phase;
    zdm_step_kind kind;
    const char *title;         /* one line, for tables and headers */
    const char *why;           /* why this step is safe / why it exists, or NULL */
    const char *lock;          /* the dialect's lock name, e.g. "ACCESS EXCLUSIVE (brief)" */
    zdm_lock_level lock_level;
    bool rewrites, scans;
    bool transactional;        /* can run inside a transaction block */
    bool retried;              /* wrapped in a lock-timeout retry with backoff */
    int64_t lock_timeout_ms;
    int64_t statement_timeout_ms; /* 0: off */
    double est_seconds;        /* < 0: unknown */
    const char *est_note;      /* how the estimate was made, or why unknown */
    const char *forward;       /* script text */
    const char *rollback;      /* script text (guarded); never NULL */
    const char *rollback_note; /* e.g. "dropped data is not restored", or NULL */
    zdm_rollback_piece_vec rollback_pieces; /* empty: `rollback` runs as it is */
    zdm_check_vec pre, post;
    zdm_risk_vec risks;
    const zdm_backfill_spec *backfill; /* BACKFILL steps */
    const zdm_op *op;          /* the op it came from; NULL for cross-op steps */
} zdm_step;

/* Where the application must be deployed: between two phases, or before the
 * plan's first phase (a contract-only plan: deploy first, then run it). */
typedef struct zdm_checkpoint {
    zdm_phase after, before;   /* `after` and `first` are set by zdm_plan_finish */
    bool first;                /* before phase 1: `after` means nothing */
    const char *what;          /* full sentences */
} zdm_checkpoint;

/* The defaults a plan was compiled with (stated in the plan). */
typedef struct zdm_plan_defaults {
    int64_t lock_timeout_ms;
    const char *lock_timeout_source; /* "command line", "file", "zdm default" */
    int64_t statement_timeout_ms;    /* from the file, 0: sized per step */
    uint64_t batch;
    int64_t batch_pause_ms;
    unsigned retries;                /* lock-timeout retries per step */
    int64_t retry_base_ms, retry_cap_ms;
} zdm_plan_defaults;

/* Dialect text the renderers need, copied from the dialect by the lowering. */
typedef struct zdm_plan_client {
    const char *name;          /* "psql" */
    const char *run_fmt;       /* printf format with one %s for a script file */
    const char *preamble;      /* first lines of every script, or "" */
    const char *comment;       /* line comment prefix, "-- " */
    const char *const *monitor; /* NULL-terminated runbook lines: what to watch */
    const char *on_retry_exhausted; /* what to check when retries run out */
} zdm_plan_client;

typedef zdm_vec(zdm_step *) zdm_step_vec;
typedef zdm_vec(zdm_checkpoint) zdm_checkpoint_vec;
typedef zdm_vec(const char *) zdm_text_vec;

typedef struct zdm_plan {
    zdm_arena *arena;
    const char *title;         /* the migration's title, or NULL */
    const char *source_path;   /* as given (relative paths stay relative) */
    const char *target;        /* canonical, "postgres@15" */
    const char *dialect;       /* "postgres" */
    unsigned version;
    bool version_given;        /* false: the dialect's default version */
    zdm_plan_client client;
    zdm_plan_defaults defaults;
    zdm_step_vec steps;
    zdm_checkpoint_vec checkpoints;
    zdm_text_vec notes, warnings;
    zdm_phase phases[ZDM_PHASE__COUNT]; /* present phases, in order (after finish) */
    size_t nphases;
    unsigned next_seq;
} zdm_plan;

zdm_plan *zdm_plan_new(zdm_arena *a);
/* Appends a step with zeroed fields (est_seconds -1, rollback ""). */
zdm_step *zdm_plan_step(zdm_plan *p, zdm_phase phase, zdm_step_kind kind, const char *title);
void zdm_step_pre(zdm_plan *p, zdm_step *s, const char *name, const char *sql);
void zdm_step_post(zdm_plan *p, zdm_step *s, const char *name, const char *sql);
void zdm_step_risk(zdm_plan *p, zdm_step *s, zdm_risk_kind k, const char *detail,
                   const char *mitigation);
/* Adds a deploy checkpoint right before phase `before` (zdm_plan_finish sets its
 * `after` to the phase that precedes it in the plan, or marks it `first` when
 * `before` is the plan's first phase; it drops it when `before` is absent).
 * Requirements for the same checkpoint are joined so each is stated once. */
void zdm_plan_checkpoint(zdm_plan *p, zdm_phase before, const char *what);
/* Appends to a step's rollback: script text (to the rollback text and its
 * pieces), or a walk with the loop text that runs it in the script. */
void zdm_step_rollback_script(zdm_plan *p, zdm_step *s, const char *text);
void zdm_step_rollback_walk(zdm_plan *p, zdm_step *s, const char *loop_text,
                            const zdm_backfill_spec *walk);
void zdm_plan_note(zdm_plan *p, const char *fmt, ...) ZDM_PRINTF(2, 3);
void zdm_plan_warning(zdm_plan *p, const char *fmt, ...) ZDM_PRINTF(2, 3);
/* Sorts steps by phase (stable), numbers them and lists the present phases. */
void zdm_plan_finish(zdm_plan *p);
/* 1-based position of a phase among the present ones ("NN" in phases/), 0 if absent. */
unsigned zdm_plan_phase_number(const zdm_plan *p, zdm_phase ph);
/* Sum of known estimates of a phase; *unknown set when some step has none. */
double zdm_plan_phase_seconds(const zdm_plan *p, zdm_phase ph, bool *unknown);
/* "1.5 s", "12 min", "unknown" */
const char *zdm_duration_str(zdm_arena *a, double seconds);

#endif
