/*
 * pgsql_int.h - what the PostgreSQL backend's files share: the backend state,
 * the step builders (timeouts, the lock-retry DO block, checks), type mapping,
 * estimates, and the lowering functions the dialect table points at.
 *
 * Invariants: every piece of SQL is built with zdm_sqlf against
 * zdm_dialect_postgres; every step gets its timeouts from pgsql_step_sql or
 * pgsql_retry_sql, never by hand. Everything lives in the compile arena.
 */
#ifndef ZDM_PGSQL_INT_H
#define ZDM_PGSQL_INT_H

#include "../dialect.h"
#include "../sqlfmt.h"

extern const zdm_dialect zdm_dialect_postgres;
#define PG (&zdm_dialect_postgres)

/*
 * A column kept in step with another until a swap in one short transaction
 * (pgsql_move.c): the new column of an altered type (dst = a helper column
 * renamed to the old name at the swap), a renamed column (dst = the new name;
 * the old column is dropped at the swap), and the reverse of either, which a
 * rollback runs after the swap.
 */
typedef struct pgsql_move {
    const zdm_op *op;
    zdm_name table;
    const char *src;            /* the column the application writes now */
    const char *dst;            /* the column kept in step with it */
    const zdm_column *col;      /* what the column is after the swap (final name) */
    const char *conv;           /* dst's value over the row (names src), SQL */
    bool two_way;               /* a rename: either application version may write */
    const char *prefix;         /* helper names: "zdm_new" forward, "zdm_old" reverse */
    zdm_vec(const zdm_index *) ixs;     /* src's indexes as they are named after the swap */
    zdm_vec(const zdm_index *) tmp_ixs; /* the same on dst under helper names */
    zdm_vec(const zdm_constraint *) cons; /* src's unique, foreign key (and, for a type
                                           * change, check) constraints */
    zdm_vec(const char *) tmp_cons;     /* their helpers on dst (an index for unique) */
    const char *nn;             /* helper CHECK proving NOT NULL (PG 12+), or NULL */
} pgsql_move;

/* One table whose new columns are backfilled, retyped or renamed: one sync
 * trigger covers them all. */
typedef struct pgsql_sync {
    zdm_name table;
    const char *fn;             /* function name (in the table's schema) */
    const char *trg;            /* trigger name */
    zdm_vec(const zdm_op *) fills; /* the BACKFILL ops on this table */
    zdm_vec(const char *) cols; /* columns kept in sync, in first-seen order */
    zdm_vec(pgsql_move *) moves; /* retyped and renamed columns, in file order */
    const zdm_op *moves_fill;   /* the backfill whose pass also fills the moves, or NULL */
} pgsql_sync;

typedef struct pgsql_state {
    int64_t lock_timeout_ms;
    int64_t stmt_timeout_ms;    /* from the file; 0: size per step */
    uint64_t batch;
    int64_t pause_ms;
    int64_t index_workers;      /* max_parallel_maintenance_workers of a concurrent build */
    zdm_vec(pgsql_sync *) syncs;
} pgsql_state;

static inline pgsql_state *pgsql_st(zdm_lower_ctx *cx) { return cx->state; }

/* The backup table of one backfill of existing columns (pgsql_backup.c). */
typedef struct pgsql_backup {
    const zdm_op *op;
    const zdm_backfill_spec *sp;
    zdm_name name;              /* zdm_backup_<table>_<n>, in the table's schema */
    zdm_vec(const char *) cols; /* the existing columns it saves, in set order */
    zdm_vec(const char *) types;
    zdm_vec(bool) json;         /* compared as text: json has no equality */
} pgsql_backup;

/* ---- pgsql_step.c: step text -------------------------------------------- */

/* A dollar-quote tag that does not occur in `body` ("$zdm$", "$zdm1$", ...). */
const char *pgsql_dollar_tag(zdm_arena *a, const char *body);
/* `to_regclass('"s"."t"')` argument: the quoted, qualified name as a literal. */
const char *pgsql_regclass(zdm_lower_ctx *cx, const zdm_name *n);
/* The index's name qualified with its table's schema. */
zdm_name pgsql_index_name(const zdm_index *ix);
/* The SET lock_timeout / statement_timeout lines for a step. */
void pgsql_timeouts(zdm_buf *b, const zdm_step *s);
/* forward/rollback text for a plain statement (or a psql block) under the
 * step's timeouts. */
const char *pgsql_step_sql(zdm_lower_ctx *cx, const zdm_step *s, const char *sql);
/* A batched walk over one key of `rel` (see pgsql_batch_loop). */
typedef struct pgsql_loop {
    const zdm_name *rel;
    const char *key, *key_type;  /* key column and its PL/pgSQL type */
    const char *hi_note;         /* non-NULL: stop at the last key at the start, and why */
    const char *prologue;        /* statements before the walk, or NULL */
    const char *stmt;            /* one batch over zdm_from..zdm_to, indented 16 */
    uint64_t batch;
    int64_t pause_ms;
    const char *verb, *label;    /* "backfill", "users": for the NOTICEs */
    const char *done_words;      /* " rows updated" */
} pgsql_loop;
/* The body of a DO block that walks `l->rel` in keyset batches, one COMMIT per
 * batch, retrying a batch on lock_not_available and deadlock_detected. */
const char *pgsql_batch_loop(zdm_lower_ctx *cx, const pgsql_loop *l);
/* Retries `ddl` on lock_not_available with capped, jittered exponential
 * backoff inside a DO block; when `guard` is set the ddl only runs when that
 * boolean SQL condition holds. Sets s->retried and sizes statement_timeout to
 * cover all attempts plus `work_s` seconds of work. */
const char *pgsql_retry_sql(zdm_lower_ctx *cx, zdm_step *s, const char *guard, const char *ddl,
                            double work_s);
const char *pgsql_retry_sql_after(zdm_lower_ctx *cx, zdm_step *s, const char *pre,
                                  const char *guard, const char *ddl, double work_s);
/* statement_timeout sized for `work_s` seconds of work (< 0: unknown). */
int64_t pgsql_stmt_timeout(zdm_lower_ctx *cx, double work_s);
/* A DO block raising an error unless `cond` holds: an inline pre-check. */
const char *pgsql_assert_sql(zdm_lower_ctx *cx, const char *name, const char *cond,
                             const char *hint);
/* One check: SELECT 'name' AS "check", (cond) AS ok */
const char *pgsql_check_sql(zdm_lower_ctx *cx, const char *name, const char *cond);
void pgsql_pre(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond);
void pgsql_post(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond);
/* Conditions used by checks and guards. */
const char *pgsql_cond_table(zdm_lower_ctx *cx, const zdm_name *t, bool exists);
const char *pgsql_cond_column(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                              bool exists);
/* A catalog-only step under a brief ACCESS EXCLUSIVE (its SQL is retried by
 * the caller through pgsql_retry_sql), estimated at 0.1 s. */
zdm_step *pgsql_brief_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase ph, const char *title);
/* Sets the lock-related fields of a step in one call. */
void pgsql_lock(zdm_step *s, const char *lock, zdm_lock_level level);
void pgsql_risk_strong_lock(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, const char *what);
/* A name of at most 63 bytes: prefix_parts..., hashed when too long. */
const char *pgsql_object_name(zdm_arena *a, const char *prefix, const char *a1,
                              const char *a2);

/* ---- pgsql_types.c ---------------------------------------------------------- */

/* The PostgreSQL type for a portable type (serial columns: serial/bigserial). */
const char *pgsql_type(zdm_lower_ctx *cx, const zdm_coltype *t, bool serial);
/* What format_type() prints for it, or NULL when only to_regtype can tell. */
const char *pgsql_format_type(zdm_lower_ctx *cx, const zdm_coltype *t);
/* A literal or raw value as SQL (raw: this dialect's variant, verbatim). */
const char *pgsql_value(zdm_lower_ctx *cx, const zdm_value *v);
/* "name type [NOT NULL] [DEFAULT v] [GENERATED ... AS IDENTITY]" */
const char *pgsql_column_def(zdm_lower_ctx *cx, const zdm_column *c);
/* A post-check condition: the column exists with its type and nullability. */
const char *pgsql_cond_column_shape(zdm_lower_ctx *cx, const zdm_name *t, const zdm_column *c);

/* ---- pgsql_estimate.c ---------------------------------------------------------- */

double pgsql_est_backfill(uint64_t rows, uint64_t batch);
double pgsql_est_index(uint64_t rows);
double pgsql_est_scan(uint64_t rows);
double pgsql_est_fk_scan(uint64_t rows); /* VALIDATE of a foreign key: referencing rows */
/* Sets est_seconds and est_note from rows and a per-kind estimate function. */
void pgsql_estimate(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, uint64_t rows,
                    double (*fn)(uint64_t), const char *what);

/* ---- pgsql_table.c ------------------------------------------------------------- */

/* "CONSTRAINT n PRIMARY KEY (...)" / UNIQUE / FOREIGN KEY ... / CHECK (...) */
void pgsql_put_constraint(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c);
/* A constraint's definition without its name: "UNIQUE (a, b)",
 * "FOREIGN KEY (a) REFERENCES t (id) ON DELETE CASCADE", "CHECK (...)". */
void pgsql_put_con_body(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c);
/* CREATE TABLE IF NOT EXISTS with its columns and constraints (no indexes). */
const char *pgsql_create_table_sql(zdm_lower_ctx *cx, const zdm_table *t);
/* The first table a foreign key of `t` references (each is locked), or NULL. */
const zdm_name *pgsql_fk_target(const zdm_table *t);

/* ---- lowering (one file per area) ---------------------------------------------- */

int pgsql_lower_create_table(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_add_column(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_set_not_null(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_create_index(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_drop_index(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op);
/* pgsql_default.c, pgsql_drop.c, pgsql_enum.c, pgsql_execute.c, pgsql_identity.c */
int pgsql_lower_drop_not_null(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_set_default(zdm_lower_ctx *cx, const zdm_op *op); /* and DROP DEFAULT */
int pgsql_lower_drop_column(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_drop_table(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_create_enum(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_add_enum_value(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_execute(zdm_lower_ctx *cx, const zdm_op *op);
/* ADD COLUMN of an identity or serial column to an existing table: a
 * nullable column fed by a sequence, filled, made NOT NULL online, then
 * turned into the identity (or given its sequence). */
int pgsql_add_sequence_column(zdm_lower_ctx *cx, const zdm_op *op);
/* Fills the existing rows of a column just added with a raw default (its
 * default is already set, so only rows that predate it are NULL). */
int pgsql_default_fill(zdm_lower_ctx *cx, const zdm_op *op, const zdm_column *col);
/* SET NOT NULL for `col` of `table` in the validate phase (shared by
 * set_not_null and add column NOT NULL without a default). */
int pgsql_not_null_steps(zdm_lower_ctx *cx, const zdm_op *op, const zdm_name *table,
                         const char *col);
/* Whether a backfill sets a column that existed before the migration. */
bool pgsql_backup_needed(zdm_lower_ctx *cx, const zdm_op *op);
pgsql_backup *pgsql_backup_new(zdm_lower_ctx *cx, const zdm_op *op, const zdm_backfill_spec *sp);
/* One batch of the backfill loop that also records old and new values. */
const char *pgsql_backup_batch_sql(zdm_lower_ctx *cx, const pgsql_backup *bk,
                                   const char *range);
/* The backup table's create (expand) and drop (contract) steps, and the
 * fill step's restoring rollback. */
void pgsql_backup_steps(zdm_lower_ctx *cx, const pgsql_backup *bk, zdm_step *fill);
/* The sync trigger steps for every table with backfills (called by finish). */
int pgsql_sync_finish(zdm_lower_ctx *cx);
/* ---- pgsql_move.c, pgsql_retype.c, pgsql_rename.c: expand/contract ------------- */

/* Whether an ALTER TYPE is one short ALTER that rewrites nothing (pgsql_retype.c). */
bool pgsql_retype_in_place(const zdm_op *op);
/* Creates the move of every expand/contract ALTER TYPE and RENAME COLUMN and
 * adds it to its table's sync record (called before any op is lowered). */
void pgsql_moves_register(zdm_lower_ctx *cx);
/* The move made for `op`, or NULL. */
pgsql_move *pgsql_move_of(zdm_lower_ctx *cx, const zdm_op *op);
/* An error (and -1) when the column carries what a move cannot carry yet. */
int pgsql_move_supported(zdm_lower_ctx *cx, const zdm_op *op, const char *col);
/* The forward steps of one move: add dst (expand), its indexes and NOT NULL
 * proof (validate). The fill and the swap are per table (pgsql_sync.c). */
zdm_step *pgsql_move_steps(zdm_lower_ctx *cx, pgsql_move *m);
/* The contract steps validating the CHECKs a type change's swap re-adds. */
void pgsql_move_check_steps(zdm_lower_ctx *cx, const pgsql_move *m);
/* The trigger function's statements that keep a move's dst in step. */
void pgsql_move_trigger(zdm_lower_ctx *cx, zdm_buf *b, const pgsql_move *m);
/* The plpgsql statements of a move's swap (run in the table's swap block). */
const char *pgsql_move_swap(zdm_lower_ctx *cx, const pgsql_move *m);
/* "dst = conv, ..." and "dst differs OR ..." of every move of a table: what a
 * backfill's pass adds to fill them in the same batches. */
const char *pgsql_moves_set_sql(zdm_lower_ctx *cx, const pgsql_sync *sy);
const char *pgsql_moves_todo_sql(zdm_lower_ctx *cx, const pgsql_sync *sy);
/* A walk for `zdm run`'s native runner (plan.json "backfill") over the
 * single-column key `key` of t: UPDATE t SET set_sql WHERE filter_sql, in
 * keyset batches of the file's batch size (pgsql_backfill.c). */
zdm_backfill_spec *pgsql_native_spec(zdm_lower_ctx *cx, const zdm_name *t, const char *key,
                                     const char *key_type, const char *set_sql,
                                     const char *filter_sql);
/* A walk's max_sql and next_sql (over column k, of type kt, of rel) and its
 * session_sql; returns a batch's range condition ($1 the cursor, $2 its
 * last key) on key_sql, the key as the batch statement names it. */
const char *pgsql_walk_keys(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const zdm_name *rel,
                            const char *k, const char *kt, const char *key_sql);
/* The native walk of a table's moves fill (set: every move's dst; rows to
 * do: any dst out of step), or NULL without a single-column key. */
zdm_backfill_spec *pgsql_moves_spec(zdm_lower_ctx *cx, const pgsql_sync *sy);
/* The same for the moves `ms` of table t (a reverse move's fill). */
zdm_backfill_spec *pgsql_move_spec(zdm_lower_ctx *cx, const zdm_name *t, pgsql_move *const *ms,
                                   size_t n);
/* The one batched pass that fills every move's dst of a table (backfill phase). */
void pgsql_moves_fill_step(zdm_lower_ctx *cx, const pgsql_sync *sy);
/* A DO block failing unless every move's dst is in step (before the swap). */
const char *pgsql_moves_complete_sql(zdm_lower_ctx *cx, const pgsql_sync *sy);
/* Pieces of SQL the forward move and its reverse share (pgsql_move.c). */
const char *pgsql_ident(zdm_lower_ctx *cx, const char *col);
/* "dst differs from what the move's conversion gives", for every type. */
const char *pgsql_move_differs(zdm_lower_ctx *cx, const pgsql_move *m, const char *dst_sql);
pgsql_move *pgsql_move_reverse(zdm_lower_ctx *cx, const zdm_op *op);
const char *pgsql_move_add_ddl(zdm_lower_ctx *cx, const pgsql_move *m);
/* The DO block of a batched fill of every move in `ms` (prologue may be NULL). */
const char *pgsql_move_fill_loop(zdm_lower_ctx *cx, const zdm_name *t, pgsql_move *const *ms,
                                 size_t n, const char *prologue, const char *hi_note);
/* CREATE INDEX CONCURRENTLY run (by \gexec) only where `cond` holds. */
const char *pgsql_index_if_sql(zdm_lower_ctx *cx, const zdm_index *ix, const char *cond);
zdm_index *pgsql_move_unique_index(zdm_lower_ctx *cx, const pgsql_move *m, size_t i);
const char *pgsql_move_fk_ddl(zdm_lower_ctx *cx, const pgsql_move *m, size_t i);
/* A DO block validating constraint `con` of `t` when it exists unvalidated. */
const char *pgsql_validate_if_sql(zdm_lower_ctx *cx, const zdm_name *t, const char *con);
const char *pgsql_cond_constraint(zdm_lower_ctx *cx, const zdm_name *t, const char *name,
                                  bool exists);
const char *pgsql_cond_trigger(zdm_lower_ctx *cx, const zdm_name *t, const char *trg,
                               bool exists);
/* The column exists with this type (any nullability). */
const char *pgsql_cond_type(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                            const zdm_coltype *ty);
/* Appends to s's rollback the rollback of a move after its swap: the
 * reverse expand/contract as one guarded script (a no-op when the swap has
 * not run), its batched fill also as a native walk (zdm_rollback_piece). */
void pgsql_move_undo_swap(zdm_lower_ctx *cx, zdm_step *s, const pgsql_move *m);
/* The same for a type changed in place: back to the old type online. */
void pgsql_retype_undo(zdm_lower_ctx *cx, zdm_step *s, const zdm_op *op);
/* A step's lowering for ALTER TYPE, RENAME COLUMN, RENAME TABLE. */
int pgsql_lower_alter_type(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_rename_column(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_rename_table(zdm_lower_ctx *cx, const zdm_op *op);

/* The sync record of a table, or NULL. */
pgsql_sync *pgsql_sync_find(zdm_lower_ctx *cx, const zdm_name *t);
/* The backfill expression that defines `col` (NULL when none), with its where. */
const zdm_op *pgsql_fill_of(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                            const zdm_value **expr);
/* The column's value once the migration has filled it, as SQL over the row at
 * the start: the column itself, or the backfill expressions that set it (under
 * their wheres, a later one winning) over its default (new column) or its
 * current value (existing column). */
const char *pgsql_start_value(zdm_lower_ctx *cx, const zdm_name *t, const char *col);
/* The table with the values its rows will have once filled, for verify_pre. */
const char *pgsql_start_rel(zdm_lower_ctx *cx, const zdm_name *t);
/* The phase an index build belongs to (after the backfills of its table). */
zdm_phase pgsql_index_phase(zdm_lower_ctx *cx, const zdm_name *t);
/* CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS ..., preceded by the
 * clean-up of an INVALID index of that name (a psql \gexec). */
const char *pgsql_create_index_sql(zdm_lower_ctx *cx, const zdm_index *ix);

/* ---- constraints (pgsql_constraint.c, pgsql_unique.c, pgsql_fk.c) ---------- */

/* One constraint being added or re-created, and where its steps go. */
typedef struct pgsql_con {
    zdm_lower_ctx *cx;
    const zdm_op *op;
    const zdm_name *table;
    const zdm_constraint *con;
    zdm_phase phase;
    uint64_t rows;
    const char *qname; /* "table.constraint", for titles and messages */
} pgsql_con;

int pgsql_lower_add_constraint(zdm_lower_ctx *cx, const zdm_op *op);
int pgsql_lower_drop_constraint(zdm_lower_ctx *cx, const zdm_op *op);
/* "UNIQUE (a, b)", "FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE",
 * "CHECK (expr)": the constraint's definition as ADD CONSTRAINT takes it. */
const char *pgsql_con_def(zdm_lower_ctx *cx, const zdm_constraint *k);
/* The constraint `name` exists on `t` (validated too when `valid`). */
const char *pgsql_cond_con(zdm_lower_ctx *cx, const zdm_name *t, const char *name, bool valid);
/* Whether schema `sc` has constraint `name` on table `t`. */
bool pgsql_con_in(const zdm_schema *sc, const zdm_name *t, const char *name);
/* A step of one constraint, in k->phase, with the plan's lock_timeout. */
zdm_step *pgsql_con_step(pgsql_con *k, zdm_step_kind kind, const char *title);
/* SET timeouts and a DO block failing unless `cond` holds: a pre-check run
 * by a step before it locks anything, under a statement_timeout sized for a
 * scan of `rows` rows (0: unknown: the file's statement_timeout, else none). */
const char *pgsql_scan_assert_sql(zdm_lower_ctx *cx, const zdm_step *s, const char *name,
                                  const char *cond, const char *hint, uint64_t rows);
/* Unique and primary key: CREATE UNIQUE INDEX CONCURRENTLY named like the
 * constraint, then ADD CONSTRAINT ... USING INDEX (pgsql_unique.c). */
int pgsql_unique_steps(pgsql_con *k);
/* The script that re-creates a dropped unique or primary key online. */
const char *pgsql_unique_recreate_sql(pgsql_con *k, zdm_step *s);
/* Foreign key and check: ADD ... NOT VALID, then VALIDATE (pgsql_fk.c). */
int pgsql_not_valid_steps(pgsql_con *k);
/* The script that re-creates a dropped foreign key or check online. */
const char *pgsql_not_valid_recreate_sql(pgsql_con *k, zdm_step *s);

#endif
