/*
 * mysq_int.h - what the MySQL/MariaDB backend's files share: the flavour and
 * version of the target, the per-version algorithm table (mysq_algo.c), the
 * step builders (lock_wait_timeout, the retry procedure, catalog guards,
 * checks), type mapping, and the lowering functions the dialect tables point
 * at.
 *
 * Invariants: every piece of SQL is built with zdm_sqlf against the target's
 * own dialect (MQ(cx)); every DDL goes through mysq_ddl_sql, which sets the
 * short lock_wait_timeout, guards the statement with a catalog condition and
 * retries it on lock-wait timeouts (ER_LOCK_WAIT_TIMEOUT, 1205). Every ALTER
 * TABLE names its ALGORITHM and LOCK from the algorithm table, so the server
 * refuses instead of silently copying the table under a lock.
 *
 * The prefix is mysq_, not mysql_: libmariadb and libmysqlclient own mysql_*
 * (docs/new-dialect.md), and the runtime's driver will link one of them.
 */
#ifndef ZDM_MYSQ_INT_H
#define ZDM_MYSQ_INT_H

#include "../dialect.h"
#include "../lower_util.h"
#include "../sqlfmt.h"

extern const zdm_dialect zdm_dialect_mysql;
extern const zdm_dialect zdm_dialect_mariadb;
#define MQ(cx) ((cx)->dialect)

typedef enum { MYSQ_MYSQL, MYSQ_MARIADB } mysq_flavour;

/* ---- mysq_algo.c: the algorithm table ----------------------------------------- */

/* One class of ALTER TABLE per row group (one operation class per ALTER). */
#define MYSQ_ALGO_CLASSES(X)                                                     \
    X(ADD_COLUMN, "add column (nullable, or with a constant default)")        \
    X(DROP_COLUMN, "drop column")                                              \
    X(RENAME_COLUMN, "rename column")                                          \
    X(SET_DEFAULT, "set or drop a column default")                             \
    X(SET_NOT_NULL, "make a column NOT NULL")                                  \
    X(DROP_NOT_NULL, "make a column NULL")                                     \
    X(ADD_INDEX, "add a secondary or unique index")                            \
    X(DROP_INDEX, "drop a secondary or unique index")                          \
    X(ADD_FOREIGN_KEY, "add a foreign key (foreign_key_checks=0)")             \
    X(DROP_FOREIGN_KEY, "drop a foreign key")                                  \
    X(EXTEND_VARCHAR, "widen a VARCHAR within its length-byte size")            \
    X(CHANGE_TYPE, "change a column's type (INT to BIGINT, ...)")              \
    X(ADD_CHECK, "add a CHECK constraint")                                     \
    X(DROP_CHECK, "drop a CHECK constraint")                                   \
    X(CHANGE_PRIMARY_KEY, "drop and add the primary key")                      \
    X(ADD_PRIMARY_KEY, "add a primary key to a table without one")             \
    X(DROP_PRIMARY_KEY, "drop the primary key (alone)")

typedef enum {
#define X(e, d) MYSQ_ALGO_##e,
    MYSQ_ALGO_CLASSES(X)
#undef X
    MYSQ_ALGO__COUNT
} mysq_algo_class;

typedef struct mysq_algo {
    mysq_algo_class cls;
    mysq_flavour flavour;
    unsigned since;            /* version (major*1000+minor) from which the row holds */
    const char *algorithm;     /* INSTANT, NOCOPY, INPLACE, or COPY */
    const char *lock;          /* DEFAULT, NONE, SHARED, EXCLUSIVE */
    bool rebuild;              /* the table's rows are rewritten (TABLE_ID changes) */
    bool measured;             /* checked by tests/mysql/algorithms on MariaDB 10.11 */
    const char *url;           /* the manual page the row comes from */
} mysq_algo;

/* The row for `cls` on the target's flavour and version (never NULL). */
const mysq_algo *mysq_algo_for(zdm_lower_ctx *cx, mysq_algo_class cls);
/* Every row, for the docs and the rebuild test (tests/mysql/algodump.c). */
const mysq_algo *mysq_algo_rows(size_t *n);
const char *mysq_algo_class_name(mysq_algo_class c);
/* "ADD_COLUMN": the class's stable name for tests/mysql/algorithms. */
const char *mysq_algo_class_ident(mysq_algo_class c);
/* ", ALGORITHM=X, LOCK=Y" for `cls`. */
const char *mysq_algo_clause(zdm_lower_ctx *cx, mysq_algo_class cls);

/* ---- backend state ------------------------------------------------------------- */

/* BEFORE INSERT/UPDATE triggers that fill a new column for rows the old
 * application writes while a backfill runs (mysq_backfill.c). */
typedef struct mysq_sync {
    zdm_name table;
    const char *col;
    const char *ins, *upd;      /* trigger names */
    const char *expr;           /* the value the backfills give a row, over the row */
    const char *create_sql, *drop_sql;
} mysq_sync;

typedef struct mysq_state {
    mysq_flavour flavour;
    int64_t lock_ms;            /* the plan's lock timeout */
    unsigned lock_s;            /* lock_wait_timeout: whole seconds, at least 1 */
    unsigned retries;
    uint64_t batch;
    zdm_vec(mysq_sync *) syncs;
} mysq_state;

static inline mysq_state *mysq_st(zdm_lower_ctx *cx) { return cx->state; }

/* ---- mysq_step.c --------------------------------------------------------------- */

/* A step with the metadata-lock fields set (brief exclusive MDL at start and end). */
zdm_step *mysq_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase phase, const char *title);
/* The session settings every step starts with, then `sql`. */
const char *mysq_step_sql(zdm_lower_ctx *cx, const char *sql);
/* `ddl` run only when `cond` holds (NULL: always), inside a procedure that
 * retries it on lock-wait timeouts with jittered exponential backoff; the
 * procedure is created, called and dropped by the script. */
const char *mysq_ddl_sql(zdm_lower_ctx *cx, const char *cond, const char *ddl);
/* "ALTER TABLE t <clause>, ALGORITHM=..., LOCK=..." for `cls`. */
const char *mysq_alter_sql(zdm_lower_ctx *cx, const zdm_name *t, const char *clause,
                           mysq_algo_class cls);
/* Sets the step's lock, rewrite and risk fields from the algorithm row. */
void mysq_apply_algo(zdm_lower_ctx *cx, zdm_step *s, mysq_algo_class cls, const char *what);
void mysq_pre(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond);
void mysq_post(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond);
/* The pre-check that no transaction has been open for long (INNODB_TRX). */
void mysq_pre_long_trx(zdm_lower_ctx *cx, zdm_step *s);
const char *mysq_cond_table(zdm_lower_ctx *cx, const zdm_name *t, bool exists);
const char *mysq_cond_column(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                             bool exists);
const char *mysq_cond_index(zdm_lower_ctx *cx, const zdm_name *t, const char *name,
                            bool exists);
const char *mysq_cond_constraint(zdm_lower_ctx *cx, const zdm_name *t, const char *name,
                                 const char *type, bool exists);
/* The column exists with its type class and nullability. */
const char *mysq_cond_column_shape(zdm_lower_ctx *cx, const zdm_name *t, const zdm_column *c);
void mysq_estimate(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, uint64_t rows,
                   double rps, const char *what);
/* "t.c" for titles and check names. */
const char *mysq_qcol(zdm_lower_ctx *cx, const zdm_name *t, const char *col);

/* Rates (rows/s) of the estimates: docs/backends/mysql.md. */
#define MYSQ_REBUILD_RPS 300000.0
#define MYSQ_INDEX_RPS 800000.0
#define MYSQ_UPDATE_RPS 100000.0
#define MYSQ_SCAN_RPS 2000000.0

/* ---- mysq_types.c -------------------------------------------------------------- */

const char *mysq_type(zdm_lower_ctx *cx, const zdm_coltype *t);
/* information_schema.COLUMNS.DATA_TYPE of a portable type on the target. */
const char *mysq_data_type(zdm_lower_ctx *cx, const zdm_coltype *t);
const char *mysq_value(zdm_lower_ctx *cx, const zdm_value *v);
/* `c` as MODIFY/ADD COLUMN and CREATE TABLE write it. */
const char *mysq_column_def(zdm_lower_ctx *cx, const zdm_table *t, const zdm_column *c);
void mysq_put_constraint(zdm_lower_ctx *cx, zdm_buf *b, const zdm_constraint *c);
const char *mysq_create_table_sql(zdm_lower_ctx *cx, const zdm_table *t);
/* "[UNIQUE] INDEX name (cols)" for ADD, on table `t` (a TEXT or BLOB column
 * is indexed by its first MYSQ_PREFIX_CHARS characters: MySQL indexes them
 * only by a prefix; 191 * 4 bytes of utf8mb4 fits every row format). */
const char *mysq_index_clause(zdm_lower_ctx *cx, const zdm_table *t, const zdm_index *ix);
bool mysq_needs_prefix(const zdm_column *c);
#define MYSQ_PREFIX_CHARS 191
/* The single-column integer primary key of `t`, or NULL. */
const char *mysq_int_pk(const zdm_table *t);

/* ---- lowering ------------------------------------------------------------------- */

int mysq_lower_create_table(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_drop_table(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_rename_table(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_execute(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_refuse(zdm_lower_ctx *cx, const zdm_op *op);     /* enum types */
int mysq_lower_alter_type(zdm_lower_ctx *cx, const zdm_op *op); /* VARCHAR widening */
/* A type change or a new check through a shadow table (mysq_shadow.c). */
int mysq_lower_shadow(zdm_lower_ctx *cx, const zdm_op *op);
/* "DROP CONSTRAINT c" (MariaDB) or "DROP CHECK c" (MySQL). */
const char *mysq_drop_check_clause(zdm_lower_ctx *cx, const char *name);

/* ---- mysq_shadow.c, mysq_shadow_copy.c: the shadow-table plan ---------------- */

/* One shadow-table change: the table T and its helpers zdm_new_T (the
 * shadow), zdm_old_T, zdm_spare_T, zdm_ph_T and zdm_cur_T (the copy's
 * cursor: the mirror triggers leave rows at or past it to the copy). */
typedef struct mysq_shadow {
    const zdm_op *op;
    const char *t, *nw, *old, *spare, *ph, *cur; /* table names */
    const char *pk;
    const zdm_table *after;                       /* the shadow's shape */
    const zdm_column *col;                        /* the retyped column, or NULL */
    const zdm_value *using_, *revert;             /* its conversions (NULL: the cast) */
} mysq_shadow;

/* The shadow's columns as a list: bare names, or the values of a row read
 * from `src` (NEW., or a table alias) with the changed column through `conv`
 * when there is one. */
const char *mysq_shadow_list(zdm_lower_ctx *cx, const mysq_shadow *sh, const char *src,
                             const zdm_value *conv);
/* The copy step (backfill phase): the script's procedure and the native walk,
 * both checking each chunk in its own transaction. */
void mysq_shadow_copy_step(zdm_lower_ctx *cx, const mysq_shadow *sh);
/* max_sql and next_sql of a native walk over the integer key `pk` of `tn`
 * (mysq_backfill.c). */
void mysq_walk_keys(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const char *tn, const char *pk);
/* The cut-over's guard: the copy has finished (its cursor is at the end). */
const char *mysq_shadow_copied_sql(zdm_lower_ctx *cx, const mysq_shadow *sh);

/* ---- mysq_shadow_fk.c: foreign keys around the shadow ------------------------ */

/* zdm_<name>: a foreign key's name on the shadow while the original holds it. */
const char *mysq_shadow_fk_name(zdm_lower_ctx *cx, const char *name);
/* `after` as the shadow `name`: foreign keys under their temporary names,
 * beside an index under each key's own name where InnoDB made one for it. */
const zdm_table *mysq_shadow_shape(zdm_lower_ctx *cx, const zdm_table *after, const char *name);
/* " Its foreign keys (...) ...": the create step's why, "" when it has none. */
const char *mysq_shadow_fk_why(zdm_lower_ctx *cx, const zdm_table *after);
/* Why the table's foreign keys stop the shadow plan, or NULL. */
const char *mysq_shadow_fk_blocker(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *after);
/* Steps (validate, after the cut-over) pointing each child's key at the new
 * table; their rollbacks point them back at `old` while the swap holds (the
 * placeholder `ph` moved aside). */
void mysq_shadow_children(zdm_lower_ctx *cx, const zdm_op *op, const char *old, const char *ph);
/* Contract steps giving the table's foreign keys their own names back. */
void mysq_shadow_fk_names(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *after);
int mysq_lower_add_column(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_drop_column(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_rename_column(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_default(zdm_lower_ctx *cx, const zdm_op *op);   /* SET/DROP DEFAULT */
int mysq_lower_nullness(zdm_lower_ctx *cx, const zdm_op *op);  /* SET/DROP NOT NULL */
/* mysq_index.c: "ADD <constraint>"; no row of `t` lacks the parent `k` names. */
const char *mysq_add_clause(zdm_lower_ctx *cx, const zdm_constraint *k);
const char *mysq_orphans_cond(zdm_lower_ctx *cx, const zdm_name *t, const zdm_constraint *k);
int mysq_lower_create_index(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_drop_index(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_add_constraint(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_drop_constraint(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_backfill(zdm_lower_ctx *cx, const zdm_op *op);
/* mysq_keys.c: checks and primary keys, called by the constraint lowerings. */
int mysq_lower_add_check(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_drop_check(zdm_lower_ctx *cx, const zdm_op *op);
int mysq_lower_primary_key(zdm_lower_ctx *cx, const zdm_op *op);
/* The NOT NULL step of a column added without a default (after its fill). */
int mysq_not_null_later(zdm_lower_ctx *cx, const zdm_op *op);
mysq_sync *mysq_sync_find(zdm_lower_ctx *cx, const zdm_name *t, const char *col);
void mysq_sync_register(zdm_lower_ctx *cx);
int mysq_sync_finish(zdm_lower_ctx *cx);

#endif
