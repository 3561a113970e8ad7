/*
 * ast.h - the syntax tree of one .zdm file, as the parser builds it.
 *
 * The tree records what was written, not what it means: names are decoded
 * (unquoted identifiers folded to lower case, "quoted" ones kept exactly) but
 * not resolved; nothing here knows a database dialect. Every node carries the
 * byte span it came from. All nodes live in the compile arena.
 *
 * Consumers: frontend/sema.c (analysis and IR construction) and
 * frontend/fmt.c (the canonical printer). Backends never include this file.
 */
#ifndef ZDM_AST_H
#define ZDM_AST_H

#include "../core/core.h"
#include "../ir/kinds.h"

/* An identifier. `name` is decoded: "a""b" -> a"b; unquoted -> lower case. */
typedef struct ast_ident {
    const char *name; /* NULL when the optional identifier is absent */
    bool quoted;
    zdm_span span;
} ast_ident;

/* [schema.]name */
typedef struct ast_qname {
    ast_ident schema; /* schema.name == NULL when unqualified */
    ast_ident name;
    zdm_span span;
} ast_qname;

typedef zdm_vec(ast_ident) ast_ident_list;

/* One dialect variant of a raw fragment: `mysql (lower(trim(email)))`. */
typedef struct ast_variant {
    const char *family; /* "postgres", "mysql" or "sqlite" (lower case) */
    const char *text;   /* verbatim, outer parentheses included */
    zdm_span span;
} ast_variant;

typedef enum {
    AST_LIT_NUMBER, /* text: the lexeme, optional leading '-' */
    AST_LIT_STRING, /* text: the decoded value ('' -> ') */
    AST_LIT_TRUE,
    AST_LIT_FALSE,
    AST_LIT_NULL,
    AST_RAW,        /* text: verbatim fragment, outer parentheses included */
} ast_expr_kind;

/* A literal or a raw SQL fragment with its dialect variants. */
typedef struct ast_expr {
    ast_expr_kind kind;
    const char *text;
    zdm_vec(ast_variant) variants; /* only for AST_RAW; the default is `text` */
    zdm_span span;
} ast_expr;

/* A number that may carry a K/M/B suffix (assume, batch). */
typedef struct ast_count {
    const char *text; /* lexeme as written, e.g. "2.5B" */
    double value;     /* the suffix applied: 2.5e9 */
    zdm_span span;
} ast_count;


typedef struct ast_type {
    zdm_type_kind kind;
    const char *name;   /* canonical portable name, or the name as written for OTHER */
    int32_t p, s;       /* length/precision and scale; -1 when absent */
    const char *args;   /* OTHER only: verbatim "( ... )" after the name, or NULL */
    bool serial;        /* written as serial/bigserial (kind is INT/BIGINT) */
    bool array;         /* followed by [] */
    zdm_span span;
} ast_type;


typedef struct ast_ref {
    ast_qname table;
    ast_ident_list cols; /* empty: the referenced table's primary key */
    zdm_fk_action on_delete, on_update;
    zdm_span span;
} ast_ref;


/* column_def. Options may come in any order; each records where it was written
 * (a zero-length span when absent) so analysis can point at it. */
typedef struct ast_coldef {
    ast_ident name;
    ast_type type;
    zdm_nullability null;
    zdm_span null_span;
    ast_expr *def;      /* default, or NULL */
    bool pk;
    zdm_span pk_span;
    bool unique;
    zdm_span unique_span;
    ast_ref *ref;       /* references, or NULL */
    ast_expr *check;    /* check RAW, or NULL */
    zdm_identity identity;
    zdm_span identity_span;
    ast_ident collate;  /* collate NAME; collate.name NULL when absent */
    bool autoinc;       /* autoincrement: an identity whose numbers are never reused */
    zdm_span autoinc_span;
    zdm_span span;
} ast_coldef;

/* The table options after `create table T (...)`: SQLite's STRICT and
 * WITHOUT ROWID (docs/language.md); each span is empty when absent. */
typedef enum { AST_TOPT_STRICT, AST_TOPT_WITHOUT_ROWID } ast_topt_kind;
typedef struct ast_topts {
    bool strict, without_rowid;
    zdm_span strict_span, without_rowid_span;
} ast_topts;

typedef enum { AST_CON_PRIMARY, AST_CON_UNIQUE, AST_CON_FOREIGN, AST_CON_CHECK } ast_con_kind;

typedef struct ast_constraint {
    ast_con_kind kind;
    ast_ident name;      /* name.name == NULL when not given */
    ast_ident_list cols; /* primary, unique, foreign */
    ast_ref *ref;        /* foreign */
    ast_expr *check;     /* check */
    zdm_span span;
} ast_constraint;


/* An index element: a column or a raw expression, with an optional order. */
typedef struct ast_index_elem {
    ast_ident col;  /* col.name == NULL for an expression */
    ast_expr *expr; /* AST_RAW, or NULL for a column */
    zdm_order order;
    zdm_span span;
} ast_index_elem;

/* An element of a create table body: a column or a table constraint. */
typedef struct ast_table_elem {
    ast_coldef *col;       /* exactly one of col and con is set */
    ast_constraint *con;
} ast_table_elem;

typedef enum {
    AST_AT_ADD_COLUMN,
    AST_AT_DROP_COLUMN,
    AST_AT_RENAME_COLUMN,
    AST_AT_ALTER_TYPE,
    AST_AT_SET_NOT_NULL,
    AST_AT_DROP_NOT_NULL,
    AST_AT_SET_DEFAULT,
    AST_AT_DROP_DEFAULT,
    AST_AT_ADD_CONSTRAINT,
    AST_AT_DROP_CONSTRAINT,
} ast_alter_kind;

typedef struct ast_alter {
    ast_alter_kind kind;
    ast_coldef *coldef;   /* ADD_COLUMN */
    ast_ident col;        /* column acted on (all *_COLUMN, type, null, default) */
    ast_ident to;         /* RENAME_COLUMN target */
    ast_type type;        /* ALTER_TYPE */
    ast_expr *using_;     /* ALTER_TYPE, optional */
    ast_expr *revert;     /* ALTER_TYPE, optional */
    ast_expr *def;        /* SET_DEFAULT */
    ast_constraint *con;  /* ADD_CONSTRAINT */
    ast_ident con_name;   /* DROP_CONSTRAINT */
    zdm_span span;        /* the action, after "alter table T" */
} ast_alter;

typedef struct ast_set_item {
    ast_ident col;
    ast_expr *value;
    zdm_span span;
} ast_set_item;

typedef enum { AST_SETV_DURATION, AST_SETV_NUMBER, AST_SETV_STRING, AST_SETV_IDENT } ast_setv_kind;

typedef struct ast_setting {
    ast_ident name;
    ast_setv_kind kind;
    const char *text;   /* lexeme as written (for fmt), decoded for strings */
    double value;       /* DURATION: milliseconds; NUMBER: value with suffix applied */
    zdm_span value_span;
} ast_setting;

typedef enum { AST_ENUM_END = 0, AST_ENUM_BEFORE, AST_ENUM_AFTER } ast_enum_pos;

typedef enum {
    AST_MIGRATION,
    AST_ASSUME,
    AST_SET,
    AST_CREATE_TABLE,
    AST_DROP_TABLE,
    AST_RENAME_TABLE,
    AST_ALTER_TABLE,
    AST_CREATE_INDEX,
    AST_DROP_INDEX,
    AST_BACKFILL,
    AST_CREATE_ENUM,
    AST_ALTER_ENUM,
    AST_EXECUTE,
} ast_stmt_kind;

typedef struct ast_stmt {
    ast_stmt_kind kind;
    zdm_span span; /* first token through the ';' */
    union {
        struct { const char *title; zdm_span title_span; } migration;
        struct { ast_qname table; ast_count rows; } assume;
        ast_setting set;
        struct { ast_qname table; zdm_vec(ast_table_elem) elems; ast_topts opts; } create_table;
        struct { ast_qname table; bool keep; } drop_table; /* keep: moved aside */
        struct { ast_qname table; ast_qname to; } rename_table;
        struct { ast_qname table; ast_alter action; } alter_table;
        struct {
            bool unique;
            ast_ident name;
            ast_qname table;
            zdm_vec(ast_index_elem) elems;
            ast_expr *where;
        } create_index;
        struct { ast_qname name; ast_qname table; /* table.name.name NULL if no "on" */ } drop_index;
        struct {
            ast_qname table;
            zdm_vec(ast_set_item) sets;
            ast_expr *where;
            ast_count *batch; /* NULL when not given */
        } backfill;
        struct { ast_qname name; zdm_vec(ast_expr) labels; /* string literals */ } create_enum;
        struct {
            ast_qname name;
            ast_expr value;
            ast_enum_pos pos;
            ast_expr anchor; /* valid when pos != AST_ENUM_END */
        } alter_enum;
        struct {
            ast_expr *sql;     /* AST_RAW */
            ast_expr *revert;  /* AST_RAW, or NULL when irreversible */
            bool irreversible;
        } execute;
    } u;
} ast_stmt;

/* A comment, kept so that fmt can put it back. */
typedef struct ast_comment {
    const char *text; /* verbatim, including the -- or the slash-star */
    zdm_span span;
} ast_comment;

typedef struct ast_file {
    const zdm_source *src;
    zdm_vec(ast_stmt *) stmts;   /* the statements that parsed */
    zdm_vec(ast_comment) comments;
} ast_file;

/* Parses `src`, appending every lexical and syntax error to `diags` (the parser
 * recovers at ';' and goes on). Always returns a file, holding the statements
 * that parsed; the caller checks diags->nerrors. Never crashes on any input. */
ast_file *zdm_parse(zdm_arena *a, zdm_diags *diags, const zdm_source *src);

#endif
