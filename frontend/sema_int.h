/*
 * sema_int.h - what the sema_*.c files share: the analysis context, the
 * diagnostic codes, and the helpers that resolve names, build IR objects and
 * emit ops. Internal to frontend/; the public face is sema.h.
 *
 * Invariant: `s` is the running model; every op is checked, given its
 * after-image, applied to `s` and appended to m->ops, in statement order.
 */
#ifndef ZDM_SEMA_INT_H
#define ZDM_SEMA_INT_H

#include "sema.h"

/* Diagnostic codes (2xxx: analysis). Stable: tests and users grep them. */
enum {
    SEMA_E_TITLE_TWICE = 2001,
    SEMA_E_HEADER_LATE = 2002,
    SEMA_E_SETTING_UNKNOWN = 2003,
    SEMA_E_SETTING_VALUE = 2004,
    SEMA_E_SETTING_TWICE = 2005,
    SEMA_E_ASSUME_TABLE = 2006,
    SEMA_E_ASSUME_TWICE = 2007,
    SEMA_E_ASSUME_ROWS = 2008,
    SEMA_E_UNKNOWN_TABLE = 2010,
    SEMA_E_UNKNOWN_COLUMN = 2011,
    SEMA_E_UNKNOWN_INDEX = 2012,
    SEMA_E_UNKNOWN_CONSTRAINT = 2013,
    SEMA_E_UNKNOWN_ENUM = 2014,
    SEMA_E_DUP_TABLE = 2015,
    SEMA_E_NAME_TAKEN = 2016,
    SEMA_E_DUP_COLUMN = 2017,
    SEMA_E_DUP_CONSTRAINT = 2019,
    SEMA_E_DUP_LIST_COLUMN = 2020,
    SEMA_E_COL_REFERENCED = 2021,
    SEMA_E_TABLE_REFERENCED = 2022,
    SEMA_E_CON_REFERENCED = 2023,
    SEMA_E_NEEDS_USING = 2024,
    SEMA_E_NEEDS_REVERT = 2025,
    SEMA_W_NARROWING = 2026,
    SEMA_E_SAME_TYPE = 2027,
    SEMA_E_NOT_NULL_NO_VALUE = 2028,
    SEMA_E_ALREADY_NOT_NULL = 2029,
    SEMA_E_ALREADY_NULLABLE = 2030,
    SEMA_E_PK_NULLABLE = 2031,
    SEMA_W_NO_DEFAULT = 2032,
    SEMA_E_BACKFILL_NO_PK = 2033,
    SEMA_E_BATCH = 2034,
    SEMA_E_TWO_PRIMARY_KEYS = 2035,
    SEMA_E_ENUM_EXISTS = 2036,
    SEMA_E_ENUM_VALUE_EXISTS = 2037,
    SEMA_E_ENUM_ANCHOR = 2038,
    SEMA_E_FK_NO_UNIQUE = 2039,
    SEMA_E_FK_ARITY = 2040,
    SEMA_E_FK_NO_PK = 2041,
    SEMA_E_INDEX_OF_CONSTRAINT = 2042,
    SEMA_E_INDEX_TABLE = 2043,
    SEMA_E_RENAME_SCHEMA = 2044,
    SEMA_E_HISTORY_READ = 2045,
    SEMA_E_BACKFILL_IDENTITY = 2046,
    SEMA_E_KEEP_NAME = 2047,
    SEMA_E_AUTOINCREMENT = 2048,
    SEMA_E_WITHOUT_ROWID = 2049,
    SEMA_E_KEY_NEEDED = 2050,
};

/* Whether a column type can carry `autoincrement` (an integer, not an array). */
bool sema_autoinc_type(const zdm_coltype *t);

typedef struct sema_assume {
    zdm_name table;
    uint64_t rows;
    zdm_span span;
    bool used;
} sema_assume;

/* Constraints of an added column that wait for its last backfill. */
typedef struct sema_deferral {
    const ast_stmt *stmt;   /* the `alter table ... add column` */
    const ast_coldef *cd;
    size_t after;           /* index of the last backfill of the column */
    bool not_null;
} sema_deferral;

typedef struct sema {
    zdm_arena *a;
    zdm_diags *d;
    const zdm_source *src;
    const ast_file *file;
    size_t at;              /* index in file->stmts of the statement analysed */
    zdm_schema *s;          /* the running model */
    zdm_migration *m;
    bool changed;           /* a change statement came before */
    zdm_span title_span;
    zdm_span set_span[5];   /* where each setting was given (end == 0: not yet) */
    zdm_vec(sema_assume) assumes;
    zdm_vec(sema_deferral) deferred;
} sema;

/* sema.c: names, lookups and reports */
zdm_name sema_name(const ast_qname *q);
zdm_table *sema_table(sema *c, const ast_qname *q);
zdm_column *sema_column(sema *c, const zdm_table *t, const ast_ident *id);
bool sema_relation_taken(sema *c, zdm_name n, zdm_span at);
const char *sema_suggest(const char *name, const char *const *cands, size_t n);
void sema_baseline_hint(sema *c, zdm_diag *g, const char *what, const char *name,
                        const char *create);

/* sema.c: building the IR */
const zdm_value *sema_value(sema *c, const ast_expr *e);
zdm_coltype sema_type(const ast_type *t);
zdm_column *sema_column_new(sema *c, const ast_coldef *cd);
zdm_op *sema_op(sema *c, zdm_op_kind k, const ast_stmt *st, zdm_name table,
                const zdm_table *before);
void sema_emit(sema *c, zdm_op *op);
const char **sema_idents(sema *c, const ast_ident_list *l);

/* sema_header.c */
void sema_migration(sema *c, const ast_stmt *st);
void sema_assume_stmt(sema *c, const ast_stmt *st);
void sema_set(sema *c, const ast_stmt *st);
uint64_t sema_assumed_rows(sema *c, zdm_name table);

/* sema_cons.c: constraints and PostgreSQL's default names */
typedef zdm_vec(const char *) sema_names;
zdm_constraint *sema_constraint(sema *c, const zdm_table *t, const ast_constraint *ac,
                                sema_names *taken);
zdm_constraint *sema_col_constraint(sema *c, const zdm_table *t, const ast_coldef *cd,
                                    ast_con_kind kind, sema_names *taken);

/* sema_table.c */
void sema_create_table(sema *c, const ast_stmt *st);
void sema_drop_table(sema *c, const ast_stmt *st);
void sema_rename_table(sema *c, const ast_stmt *st);
void sema_create_index(sema *c, const ast_stmt *st);
void sema_drop_index(sema *c, const ast_stmt *st);

/* sema_alter.c */
void sema_alter_table(sema *c, const ast_stmt *st);
void sema_deferred(sema *c);

/* sema_data.c */
void sema_backfill(sema *c, const ast_stmt *st);
void sema_create_enum(sema *c, const ast_stmt *st);
void sema_alter_enum(sema *c, const ast_stmt *st);
void sema_execute(sema *c, const ast_stmt *st);

/* sema.c: the analysis of a file, keeping the model even on errors */
zdm_migration *sema__run(zdm_arena *a, zdm_diags *d, const ast_file *file,
                         const zdm_schema *base);

#endif
