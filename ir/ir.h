/*
 * ir.h - the dialect-free intermediate representation: the catalog objects a
 * migration talks about (tables, columns, constraints, indexes, enum types),
 * the schema model that holds them, and the flat list of typed operations a
 * migration compiles to. Backends see only this header (and core.h).
 *
 * Invariants:
 * - Catalog objects are immutable once published: zdm_schema_apply never edits
 *   a table, column, index or constraint in place; it replaces what changes with
 *   new copies. So an op's `before` and `after` stay true forever.
 * - Names are decoded identifiers (never quoted); a backend quotes them through
 *   its own quoting function.
 * - Everything lives in the compile arena.
 */
#ifndef ZDM_IR_H
#define ZDM_IR_H

#include "../core/core.h"
#include "kinds.h"


/* [schema.]name; schema is NULL for the default schema (search_path). */
typedef struct zdm_name {
    const char *schema;
    const char *name;
} zdm_name;

bool zdm_name_eq(zdm_name a, zdm_name b);
/* "schema.name" or "name", unquoted, for messages and plan text. */
const char *zdm_name_str(zdm_arena *a, zdm_name n);

/* ---- values: literals and raw SQL fragments ------------------------------ */

typedef struct zdm_variant {
    const char *family; /* "postgres", "mysql", "sqlite" */
    const char *text;   /* verbatim, outer parentheses included */
} zdm_variant;

typedef enum { ZDM_V_NUMBER, ZDM_V_STRING, ZDM_V_BOOL, ZDM_V_NULL, ZDM_V_RAW } zdm_value_kind;

typedef struct zdm_value {
    zdm_value_kind kind;
    const char *text;   /* NUMBER: lexeme; STRING: decoded; RAW: default fragment */
    bool b;             /* BOOL */
    const zdm_variant *variants;
    size_t nvariants;
} zdm_value;

/* RAW: the fragment for `family` (its variant, else the default one), outer
 * parentheses included. Other kinds: NULL (the backend renders literals). */
const char *zdm_value_raw_for(const zdm_value *v, const char *family);
/* The same without the outer parentheses (for `execute`, which is a statement). */
const char *zdm_value_inner_for(zdm_arena *a, const zdm_value *v, const char *family);
bool zdm_value_eq(const zdm_value *a, const zdm_value *b); /* NULL == NULL */

/* ---- catalog objects ---------------------------------------------------------- */

typedef struct zdm_coltype {
    zdm_type_kind kind;
    const char *name;  /* canonical portable name, or as written for OTHER */
    int32_t p, s;      /* -1 when absent */
    const char *args;  /* OTHER: verbatim "(...)" or NULL */
    bool array;
} zdm_coltype;

bool zdm_coltype_eq(const zdm_coltype *a, const zdm_coltype *b);
/* The portable spelling, e.g. "varchar(255)", "numeric(10,2)", "citext". */
const char *zdm_coltype_str(zdm_arena *a, const zdm_coltype *t);

typedef struct zdm_column {
    const char *name;
    zdm_coltype type;
    bool not_null;
    const zdm_value *def;   /* NULL: no default */
    zdm_identity identity;
    bool serial;            /* declared serial/bigserial (owns a sequence) */
    bool autoincrement;     /* identity whose numbers are never reused (SQLite AUTOINCREMENT) */
    const char *collate;    /* collation name as written (decoded), or NULL */
} zdm_column;

typedef enum { ZDM_CON_PRIMARY, ZDM_CON_UNIQUE, ZDM_CON_FOREIGN, ZDM_CON_CHECK } zdm_con_kind;

typedef struct zdm_constraint {
    const char *name;          /* always set: given, or PostgreSQL's default name */
    bool name_given;
    zdm_con_kind kind;
    const char **cols;         /* primary, unique, foreign */
    size_t ncols;
    zdm_name ref_table;        /* foreign */
    const char **ref_cols;     /* foreign: resolved (the primary key when omitted) */
    size_t nref_cols;
    zdm_fk_action on_delete, on_update;
    const zdm_value *check;    /* check */
} zdm_constraint;

typedef struct zdm_index_elem {
    const char *col;           /* NULL for an expression */
    const zdm_value *expr;     /* RAW, or NULL */
    zdm_order order;
} zdm_index_elem;

typedef struct zdm_index {
    const char *name;
    zdm_name table;
    bool unique;
    const zdm_index_elem *elems;
    size_t nelems;
    const zdm_value *where;    /* partial index predicate, or NULL */
} zdm_index;

typedef struct zdm_table {
    zdm_name name;
    zdm_column **cols;
    size_t ncols;
    zdm_constraint **cons;
    size_t ncons;
    zdm_index **indexes;       /* stand-alone indexes (create index), not constraints' */
    size_t nindexes;
    uint64_t rows;             /* from `assume`; 0 when unknown */
    bool strict;               /* SQLite STRICT (other dialects: a note) */
    bool without_rowid;        /* SQLite WITHOUT ROWID; has a primary key (others: a note) */
} zdm_table;

typedef struct zdm_enum {
    zdm_name name;
    const char **labels;
    size_t nlabels;
} zdm_enum;

/* ---- the schema model ------------------------------------------------------------ */

typedef struct zdm_schema {
    zdm_arena *arena;
    zdm_vec(zdm_table *) tables;
    zdm_vec(zdm_enum *) enums;
} zdm_schema;

zdm_schema *zdm_schema_new(zdm_arena *a);
zdm_schema *zdm_schema_copy(const zdm_schema *s); /* shallow: objects are immutable */
zdm_table *zdm_schema_table(const zdm_schema *s, zdm_name n);
zdm_enum *zdm_schema_enum(const zdm_schema *s, zdm_name n);
zdm_column *zdm_table_column(const zdm_table *t, const char *col);
int zdm_table_column_index(const zdm_table *t, const char *col); /* -1 if absent */
zdm_constraint *zdm_table_constraint(const zdm_table *t, const char *name);
const zdm_constraint *zdm_table_primary_key(const zdm_table *t);
/* Finds a stand-alone index by name in the schema (and the table it is on). */
zdm_index *zdm_schema_index(const zdm_schema *s, zdm_name n, zdm_table **table_out);

/* ---- operations ------------------------------------------------------------------- */

typedef enum {
#define ZDM_OP(e, name, destructive, fields) ZDM_OP_##e,
#include "ops.def"
#undef ZDM_OP
    ZDM_OP__COUNT
} zdm_op_kind;

const char *zdm_op_name(zdm_op_kind k);
bool zdm_op_destructive(zdm_op_kind k);

typedef struct zdm_set_clause {
    const char *col;
    const zdm_value *value;
} zdm_set_clause;

typedef enum { ZDM_ENUM_END = 0, ZDM_ENUM_BEFORE, ZDM_ENUM_AFTER } zdm_enum_pos;

/* One operation. Which fields are set for each kind is listed in ops.def. */
typedef struct zdm_op {
    zdm_op_kind kind;
    zdm_span span;              /* the statement it came from (diagnostics, plan) */
    const char *source;         /* that statement's text, for plan.md */
    zdm_name table;             /* table acted on; for enum ops the type name */
    zdm_name to;                /* RENAME_TABLE: the new name; DROP_TABLE keep: the aside name */
    bool keep;                  /* DROP_TABLE: renamed aside (to `to`), not dropped */
    const zdm_table *before;    /* the table before the op */
    const zdm_table *after;     /* the table after the op */
    const zdm_column *old_col;  /* the column before the op */
    const zdm_column *col;      /* the column after the op */
    const zdm_constraint *con;  /* ADD/DROP_CONSTRAINT: the constraint added or dropped */
    const zdm_index *index;     /* CREATE/DROP_INDEX: the index created or dropped */
    const zdm_value *using_;    /* ALTER_TYPE: old -> new (NULL: the cast); EXECUTE: the SQL */
    const zdm_value *revert;    /* ALTER_TYPE: new -> old (NULL: the cast); EXECUTE: its rollback */
    bool irreversible;          /* EXECUTE without revert */
    const zdm_set_clause *sets; /* BACKFILL */
    size_t nsets;
    const zdm_value *where;     /* BACKFILL: row filter, or NULL */
    uint64_t batch;             /* BACKFILL: rows per batch (0: the backend's default) */
    const zdm_enum *enum_before, *enum_after;
    const char *value;          /* ADD_ENUM_VALUE */
    const char *anchor;         /* ADD_ENUM_VALUE before/after label */
    zdm_enum_pos anchor_pos;
    uint64_t rows;              /* assumed rows of `table`; 0 when unknown */
} zdm_op;

/* Settings from `set`; -1 means "not set in the file" (the backend's default).
 * index_workers: parallel workers of a concurrent index build (PostgreSQL's
 * max_parallel_maintenance_workers for that statement). */
typedef struct zdm_settings {
    int64_t lock_timeout_ms, statement_timeout_ms, batch, batch_pause_ms, index_workers;
} zdm_settings;

typedef struct zdm_migration {
    const char *title;          /* `migration '...'`, or NULL */
    const zdm_source *src;
    zdm_settings settings;
    const zdm_schema *base;     /* the schema before this migration (from the history) */
    const zdm_schema *final;    /* the schema after it */
    zdm_vec(zdm_op *) ops;
} zdm_migration;

/* Applies one op to the model (copy-on-write, see the invariant above). The op
 * must already be checked; this never fails. */
void zdm_schema_apply(zdm_schema *s, const zdm_op *op);
/* True when `col` of `table` did not exist in m->base (added by this migration). */
bool zdm_migration_column_is_new(const zdm_migration *m, zdm_name table, const char *col);
/* A readable dump of the IR, one op per line, for tests and --dump-ir. */
void zdm_ir_dump(zdm_buf *out, const zdm_migration *m);

/* The table (enum) an op leaves behind, computed from op->before (enum_before)
 * and the op's fields; NULL for DROP_TABLE and for ops on no table. sema sets
 * op->after with it before zdm_schema_apply; apply computes it when unset. */
const zdm_table *zdm_op_table_after(zdm_arena *a, const zdm_op *op);
const zdm_enum *zdm_op_enum_after(zdm_arena *a, const zdm_op *op);

/* Whether raw SQL text mentions the identifier `ident` as a column reference
 * (not inside a string literal, not as a function name). Used where PostgreSQL
 * tracks a dependency we can only see as text: a CHECK or an index expression
 * that a dropped column takes with it, and the default constraint name. */
bool zdm_raw_mentions(const char *raw, const char *ident);

/* The cast the database applies to `alter column ... type` without `using`
 * (PostgreSQL's assignment casts, which the other dialects also have):
 * NONE: no cast, a conversion must be written; SAFE: every value converts;
 * CHECKED: a cast exists but may fail or lose data on some values (narrowing,
 * shorter length, time zone). The one table is in ir/cast.c. */
typedef enum { ZDM_CAST_NONE = 0, ZDM_CAST_SAFE, ZDM_CAST_CHECKED } zdm_cast;
zdm_cast zdm_cast_between(const zdm_coltype *from, const zdm_coltype *to);

#endif
