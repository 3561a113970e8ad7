/*
 * sqlt_int.h - what the SQLite backend's files share: the backend state, the
 * step builders (busy timeout, inline assertions, checks), type mapping,
 * table definitions, the copy-swap of the 12-step procedure, and the
 * lowering functions the dialect table points at.
 *
 * Invariants: every piece of SQL is built with zdm_sqlf against
 * zdm_dialect_sqlite; every step text starts with sqlt_step_head (its busy
 * timeout). SQLite has one writer at a time: a step's "lock" is the database
 * write lock it holds from BEGIN IMMEDIATE to COMMIT; readers go on (WAL).
 */
#ifndef ZDM_SQLT_INT_H
#define ZDM_SQLT_INT_H

#include "../dialect.h"
#include "../lower_util.h"
#include "../sqlfmt.h"

extern const zdm_dialect zdm_dialect_sqlite;
#define SQ (&zdm_dialect_sqlite)

/* A trigger that fills a new column for rows the old application writes
 * while a backfill runs (sqlt_backfill.c); re-created by every copy-swap of
 * its table before the contract phase drops it. */
typedef struct sqlt_sync {
    zdm_name table;
    const char *col;
    const char *ins, *upd;      /* trigger names */
    const char *expr;           /* the value the backfills give a row (SQL over the row) */
    const char *create_sql;     /* both CREATE TRIGGER IF NOT EXISTS statements */
    bool created;               /* its create step is in the plan */
} sqlt_sync;

typedef struct sqlt_state {
    int64_t busy_ms;            /* busy_timeout of every step */
    uint64_t batch;
    zdm_vec(sqlt_sync *) syncs;
    zdm_phase *op_phase;        /* latest phase each op's steps went to, by op index */
    bool *op_lowered;
} sqlt_state;

static inline sqlt_state *sqlt_st(zdm_lower_ctx *cx) { return cx->state; }

/* ---- sqlt_step.c ------------------------------------------------------------ */

/* A step in `phase` (raised so that no op on the same table runs before one
 * written earlier in the file), with the write-lock fields set. */
zdm_step *sqlt_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase phase, const char *title);
/* The phase a step of `op` on `t` must at least go to. */
zdm_phase sqlt_min_phase(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase natural);
/* ".timeout N" and then `sql`: a step's script text. */
const char *sqlt_step_sql(zdm_lower_ctx *cx, const char *sql);
/* One statement in one IMMEDIATE transaction. */
const char *sqlt_tx_sql(zdm_lower_ctx *cx, const char *sql);
/* Statements that stop the script (.bail on) unless `cond` holds. */
const char *sqlt_assert_sql(zdm_lower_ctx *cx, const char *name, const char *cond);
/* `ddl` run only when `cond` holds: the sqlite3 CLI has no IF, so the
 * statement is written to zdm-guard.sql (in the working directory) by a SELECT
 * that returns it or nothing, then read back (.output / .read). */
const char *sqlt_guarded_sql(zdm_lower_ctx *cx, const char *cond, const char *ddl);
void sqlt_pre(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond);
void sqlt_post(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond);
const char *sqlt_cond_table(zdm_lower_ctx *cx, const zdm_name *t, bool exists);
const char *sqlt_cond_column(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                             bool exists);
const char *sqlt_cond_column_shape(zdm_lower_ctx *cx, const zdm_name *t, const zdm_column *c);
const char *sqlt_cond_index(zdm_lower_ctx *cx, const char *name, bool exists);
/* Seconds for `rows` rows at `rps` rows/s; sets est_seconds and est_note. */
void sqlt_estimate(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, uint64_t rows,
                   double rps, const char *what);
/* The write-lock risk: writers wait for the step (their busy_timeout). */
void sqlt_risk_write_lock(zdm_lower_ctx *cx, zdm_step *s, const char *what);

/* Rates (rows/s) of the estimates: docs/backends/sqlite.md. */
#define SQLT_COPY_RPS 400000.0
#define SQLT_INDEX_RPS 500000.0
#define SQLT_UPDATE_RPS 300000.0
#define SQLT_SCAN_RPS 2000000.0
/* Above this many rows (a copy over ~250 ms at SQLT_COPY_RPS) a copy-swap
 * is done online: batches of SQLT_COPY_BATCH rows (~50 ms each) while copy
 * triggers mirror the writes, then a short final swap. */
#define SQLT_ONLINE_SWAP_ROWS 100000
#define SQLT_COUNT_RPS 10000000.0  /* count(*) in the swap's check */
#define SQLT_DROP_RPS 600000.0     /* DROP TABLE frees the old table's pages */
#define SQLT_COPY_BATCH 20000
/* Written after every batch (copy, backfill, restore) that commits on its
 * own: SQLite's write lock has no queue and a waiting writer polls every
 * 100 ms at most, so batches run back to back starve it; the pause leaves the
 * lock free for one poll. The 3.40 shell has no sleep command: `.shell` runs
 * sleep(1), and only after a batch that changed rows (changes(), captured
 * into zdm-pause.sql and read back); `zdm run` sleeps natively
 * (runtime/sqlite_script.c). SQLT_YIELD_HEAD sets the output format every
 * capture needs. Each nesting level has its own file (zdm-guard.sql, then
 * zdm-loop.sql, then zdm-pause.sql): the shell reads a file line by line, so
 * a capture into the file being read would truncate it. */
#define SQLT_YIELD_HEAD ".headers off\n.mode list\n"
#define SQLT_YIELD                                                                  \
    ".output zdm-pause.sql\nSELECT '.shell sleep 0.1' WHERE changes() > 0;\n"        \
    ".output stdout\n.read zdm-pause.sql\n"
/* Where a batch's text (sqlt_loop_sql) takes its range condition. The lexer
 * refuses control characters, so no identifier or fragment holds it. */
#define SQLT_RANGE "\x01"
/* ---- sqlt_key.c: how rows are found ------------------------------------------ */

/* A table's rows are found by rowid, or in a WITHOUT ROWID table by its
 * primary key's columns; a backup table by its own key columns. `rowid`:
 * one integer key (the rowid or its alias), batched by arithmetic ranges;
 * else a keyset walk in the key's order. */
typedef struct sqlt_key {
    const char **cols;
    size_t ncols;
    bool rowid;
} sqlt_key;

sqlt_key sqlt_key_of(zdm_lower_ctx *cx, const zdm_table *t);
/* Key column i as SQL, qualified by `qual` (trusted text such as NEW or a
 * quoted name) when not NULL; `rowid` is written bare. */
const char *sqlt_key_ref(zdm_lower_ctx *cx, const sqlt_key *k, size_t i, const char *qual);
/* The key columns, comma-separated. */
const char *sqlt_key_list(zdm_lower_ctx *cx, const sqlt_key *k, const char *qual);
/* "l.k1 = r.k1 AND ...": the row of `l` that is the row of `r`. */
const char *sqlt_key_eq(zdm_lower_ctx *cx, const sqlt_key *k, const char *l, const char *r);
/* Whether zdm run can walk this key natively (no BLOB key column). */
bool sqlt_key_walkable(const zdm_table *t, const sqlt_key *k);
/* zdm run's walk over a primary key: sets sp->max_sql and sp->next_sql
 * (keys as JSON arrays) and returns the batch's range condition over ?1
 * (the cursor, NULL at the start) and ?2 (the batch's last key). */
const char *sqlt_key_walk(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const sqlt_key *k);

/* ---- sqlt_loop.c ------------------------------------------------------------------ */

/* The batches over the key `k` of `table` (each `batch_sql` with SQLT_RANGE
 * made the batch's range over the key columns qualified by `qual`, the last
 * one open-ended; a pause after each), generated when the script runs from
 * the table's real keys: the shell cannot loop, so a SELECT writes the
 * batches to zdm-loop.sql and .read runs them. */
const char *sqlt_loop_sql(zdm_lower_ctx *cx, const char *table, const sqlt_key *k,
                          const char *qual, uint64_t batch, const char *batch_sql);

/* ---- sqlt_types.c ------------------------------------------------------------- */

/* The declared type for a portable type (its affinity: docs/types.md). */
const char *sqlt_type(zdm_lower_ctx *cx, const zdm_coltype *t);
/* The declared type of `c` in `t` (a single-column integer primary key with
 * identity or serial is INTEGER: the rowid alias). */
const char *sqlt_col_type(zdm_lower_ctx *cx, const zdm_table *t, const zdm_column *c);
const char *sqlt_value(zdm_lower_ctx *cx, const zdm_value *v);
/* Whether `t` has an AUTOINCREMENT column (and so a sqlite_sequence row). */
bool sqlt_table_autoinc(const zdm_table *t);
const char *sqlt_column_def(zdm_lower_ctx *cx, const zdm_table *t, const zdm_column *c);
void sqlt_put_constraint(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c);
/* " CONSTRAINT n REFERENCES t (c) ...": a foreign key in its column's form. */
const char *sqlt_column_fk_sql(zdm_lower_ctx *cx, const zdm_constraint *c);
/* CREATE TABLE [IF NOT EXISTS] name (...) for the table `t` under `name`. */
const char *sqlt_create_table_sql(zdm_lower_ctx *cx, const zdm_table *t, const zdm_name *name,
                                  bool if_not_exists);
const char *sqlt_create_index_sql(zdm_lower_ctx *cx, const zdm_index *ix);

/* ---- sqlt_swap.c: the 12-step copy-swap ---------------------------------------- */

/* A column whose value is converted in the copy. */
typedef struct sqlt_conv {
    const char *col;            /* the column (same name before and after) */
    const char *when;           /* condition on the table's current shape, or NULL */
    const char *expr;           /* the value when `when` holds (names the column) */
} sqlt_conv;

/* The script that rebuilds the table `cur` (as it is now: `from`'s columns
 * that `to` also has are copied) into the shape `to`; online (batched copy,
 * copy triggers, short final swap) when `rows` (from `assume`) is above
 * SQLT_ONLINE_SWAP_ROWS. */
const char *sqlt_swap_sql(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to,
                          const sqlt_conv *conv, const char *why_assert,
                          const char *assert_cond, uint64_t rows);
/* A rollback's swap: the same, guarded so that it runs only when the table
 * has every column its copy reads, where one of them (or the table) is added
 * by this migration: a partial run may have left the table before that op,
 * which is not this swap's to undo. */
const char *sqlt_swap_back_sql(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to,
                               const sqlt_conv *conv, uint64_t rows);
/* Whether a swap of `rows` rows from `from` into `to` is done online (a
 * WITHOUT ROWID table: only when its primary key is kept as it is). */
bool sqlt_swap_online(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to,
                      const sqlt_conv *conv, uint64_t rows);
/* The step's lock description and write-lock risk for a swap of `rows` rows
 * from `from` into `t` (its indexes rebuilt). */
void sqlt_swap_risk(zdm_lower_ctx *cx, zdm_step *s, uint64_t rows, const zdm_table *from,
                    const zdm_table *t, const sqlt_conv *conv, const char *what);
/* The start of a swap's transaction: foreign keys off (outside it: a no-op
 * inside), ALTER TABLE's schema checks on (sqlt_keep.c relies on them). */
#define SQLT_SWAP_HEAD \
    "PRAGMA foreign_keys = OFF;\nPRAGMA legacy_alter_table = OFF;\nBEGIN IMMEDIATE;\n"

/* ---- sqlt_keep.c: what the history does not know ---------------------------------- */

/* Before DROP TABLE in a swap's transaction: the indexes, triggers and views
 * made outside zdm that belong to or mention the table captured into
 * temp.zdm_keep, and the views and triggers that would fail the rename's
 * schema check dropped. */
const char *sqlt_keep_save_sql(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to);
/* After the rename: the captured objects re-created from their own text,
 * then every view and trigger resolved (one that does not fit stops the
 * step, naming it). */
const char *sqlt_keep_restore_sql(void);
/* What a swap step's `why` says about them. */
#define SQLT_KEEP_WHY                                                                       \
    "Indexes, triggers and views made outside zdm are re-created from their own text in "   \
    "the same transaction; one that names what this change removes stops the step, which "  \
    "then changes nothing."
/* The pre-check of a swap step: the table has nothing the copy would lose. */
void sqlt_swap_pre(zdm_lower_ctx *cx, zdm_step *s, const zdm_table *from, const zdm_table *to);
/* A step in `phase` that rebuilds op->before into op->after (forward) and
 * back (rollback), with the checks every swap has. */
zdm_step *sqlt_swap_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase phase,
                         const char *title, const sqlt_conv *fwd, const sqlt_conv *back);

/* ---- lowering ------------------------------------------------------------------- */

int sqlt_lower_create_table(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_drop_table(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_rename_table(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_add_column(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_drop_column(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_rename_column(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_alter_type(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_column_swap(zdm_lower_ctx *cx, const zdm_op *op); /* (DROP) NOT NULL, DEFAULT */
int sqlt_lower_constraint(zdm_lower_ctx *cx, const zdm_op *op);  /* ADD/DROP CONSTRAINT */
int sqlt_lower_create_index(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_drop_index(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op);
int sqlt_lower_create_enum(zdm_lower_ctx *cx, const zdm_op *op); /* and ADD VALUE */
int sqlt_lower_execute(zdm_lower_ctx *cx, const zdm_op *op);
/* The foreign key op (the one right after `op`, from its statement) that
 * `op`'s native ADD COLUMN carries as a REFERENCES clause, or NULL. */
const zdm_op *sqlt_inline_fk(zdm_lower_ctx *cx, const zdm_op *op);
/* The NOT NULL swap of a column just added without a default (after its fill). */
int sqlt_not_null_later(zdm_lower_ctx *cx, const zdm_op *op);
/* The sync trigger of a new column filled by a backfill, or NULL. */
sqlt_sync *sqlt_sync_find(zdm_lower_ctx *cx, const zdm_name *t, const char *col);
/* The backup of an existing column's old values (sqlt_backup.c), or NULL
 * when every column the backfill sets is new. */
typedef struct sqlt_backup sqlt_backup;
sqlt_backup *sqlt_backup_of(zdm_lower_ctx *cx, const zdm_op *op);
/* A batch's backup rows (`range`: the batch's key condition). */
const char *sqlt_backup_insert_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                                   const char *range, const char *todo);
/* The guarded restore, in batches over the backup's keys. */
const char *sqlt_backup_restore_sql(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk,
                                    uint64_t batch);
/* The backup table's create (expand) and drop (contract) steps. */
/* The restore as a walk for `zdm rollback` (runtime/backfill.c), or NULL
 * where the key has no native walk (the rollback then runs the loop). */
zdm_backfill_spec *sqlt_backup_restore_spec(zdm_lower_ctx *cx, const zdm_op *op,
                                            const sqlt_backup *bk, uint64_t batch);
void sqlt_backup_steps(zdm_lower_ctx *cx, const zdm_op *op, const sqlt_backup *bk);
/* Registers the sync triggers (begin; each backfill adds their create
 * steps before its batches) and adds their drop steps (finish). */
void sqlt_sync_register(zdm_lower_ctx *cx);
int sqlt_sync_finish(zdm_lower_ctx *cx);

#endif
