/*
 * parse_int.h - internals shared by the three files of the parser: the scanner
 * (lexer.l), the grammar (parser.y) and the tree constructors (ast.c). Nothing
 * outside frontend/ includes it; the public entry point is zdm_parse in ast.h.
 *
 * Invariants: one zdm_parser lives for one zdm_parse call; every node and
 * string it makes lives in p->arena. The scanner reads p->prev/prev2/idx (set by
 * the token wrapper in parser.y) to decide whether a '(' opens a raw SQL
 * fragment; it never looks at the parser's state stack, so LAC and lookahead
 * cannot make that decision late.
 */
#ifndef ZDM_PARSE_INT_H
#define ZDM_PARSE_INT_H

#include "ast.h"

/* Diagnostic codes of the frontend (stable; documented in docs/language.md). */
enum {
    ZDM_E_CHAR = 1001,        /* unexpected character or byte */
    ZDM_E_STRING = 1002,      /* unterminated string */
    ZDM_E_QIDENT = 1003,      /* unterminated quoted identifier */
    ZDM_E_EMPTY_IDENT = 1004, /* "" */
    ZDM_E_COMMENT = 1005,     /* unterminated block comment */
    ZDM_E_RAW_OPEN = 1006,    /* '(' of a raw fragment never closed */
    ZDM_E_DOLLAR = 1007,      /* unterminated $tag$ string in a raw fragment */
    ZDM_E_SUFFIX = 1008,      /* 5x: unknown number suffix */
    ZDM_E_NUMBER = 1009,      /* number out of range */
    ZDM_E_SYNTAX = 1010,      /* unexpected token */
    ZDM_E_SEMI = 1011,        /* missing ';' */
    ZDM_E_DIALECT = 1012,     /* unknown dialect variant */
    ZDM_E_DUP_OPTION = 1013,  /* column option given twice or contradicting; table option twice */
    ZDM_E_TYPE_ARGS = 1014,   /* wrong type parameters */
    ZDM_E_TYPE_NAME = 1015,   /* misplaced 'with time zone' and the like */
    ZDM_E_DUP_CLAUSE = 1016,  /* using/revert/variant given twice */
    ZDM_E_TOO_MANY = 1017,    /* error limit reached */
    ZDM_E_LIMIT = 1018,       /* parser stack exhausted */
};

/* After this many errors in one file the parser stops (a file of junk would
 * otherwise print millions of lines). */
#define PARSE_MAX_ERRORS 50

/* Where we are in `create [unique] index N on T ( ... )`: inside the element
 * list a '(' after '(' or ',' opens an expression. */
typedef enum { IDX_NONE, IDX_HEAD, IDX_ON, IDX_LIST } parse_idx_state;

typedef struct zdm_parser {
    zdm_arena *arena;
    zdm_diags *diags;
    const zdm_source *src;
    ast_file *file;
    void *scanner;

    /* scanner position and the context for the raw '(' decision */
    uint32_t off;          /* byte offset of the next unread byte */
    int prev, prev2;       /* token kinds of the last two tokens handed out */
    parse_idx_state idx;
    bool bol;              /* no token yet on the current line */

    /* an open raw fragment, comment or dollar quote */
    uint32_t raw_start, depth, inner_start;
    const char *tag;
    size_t tag_len;

    /* error reporting and recovery */
    zdm_span last;         /* span of the last token handed out (the lookahead) */
    zdm_span before;       /* span of the token before it */
    zdm_span stmt_start;   /* first token of the statement being read */
    bool stmt_open;
    bool recovering;       /* between a syntax error and the next statement */
    unsigned nerrors;
    bool gave_up;
    zdm_diag *junk_diag;   /* the last bad-byte error, extended by the next bad bytes */
    uint32_t junk_end;
} zdm_parser;

/* Scanner entry points (lexer.l). lex_next returns a token kind of parser.h
 * and fills *lval and *lloc. */
union ZDM_YYSTYPE;
void lex_open(zdm_parser *p);
void lex_close(zdm_parser *p);
int lex_next(union ZDM_YYSTYPE *lval, zdm_span *lloc, zdm_parser *p);

/* Appends an error unless the limit is reached, and then returns a diagnostic
 * that is not in the list, so callers may still set a hint on it. */
zdm_diag *parse_error(zdm_parser *p, int code, zdm_span at, const char *fmt, ...)
    ZDM_PRINTF(4, 5);

/* ---- tree constructors (ast.c) ------------------------------------------------
 * Grammar actions call these; each checks only what syntax alone can tell and
 * reports the rest through parse_error. */

/* One column option as written, folded into the column by ast_coldef_new. */
typedef enum {
    COLOPT_NOT_NULL, COLOPT_NULL, COLOPT_DEFAULT, COLOPT_PK, COLOPT_UNIQUE,
    COLOPT_REFERENCES, COLOPT_CHECK, COLOPT_IDENTITY_ALWAYS, COLOPT_IDENTITY_BY_DEFAULT,
    COLOPT_COLLATE, COLOPT_AUTOINCREMENT,
} ast_colopt_kind;

typedef struct ast_colopt {
    ast_colopt_kind kind;
    ast_expr *expr;
    ast_ref *ref;
    ast_ident ident;      /* COLLATE: the collation's name */
    zdm_span span;
} ast_colopt;

typedef zdm_vec(ast_colopt) ast_colopt_list;

/* A type argument as written: a number, a string or a name. */
typedef enum { TARG_NUMBER, TARG_STRING, TARG_NAME } ast_targ_kind;
typedef struct ast_targ {
    ast_targ_kind kind;
    const char *text;  /* lexeme */
    zdm_span span;
} ast_targ;
typedef zdm_vec(ast_targ) ast_targ_list;

/* What may follow a type name: (args), "with[out] time zone", "[]". */
typedef struct ast_type_tail {
    ast_targ_list *args;  /* NULL: no parentheses */
    zdm_span args_span;
    int tz;               /* 0 none, 1 with time zone, -1 without */
    zdm_span tz_span;
} ast_type_tail;

typedef zdm_vec(ast_expr *) ast_expr_list;
typedef zdm_vec(ast_index_elem) ast_elem_list;
typedef zdm_vec(ast_set_item) ast_set_list;
typedef zdm_vec(ast_table_elem) ast_telem_list;

ast_ident ast_ident_make(const char *name, bool quoted, zdm_span at);
ast_qname ast_qname_make(ast_ident schema, ast_ident name, zdm_span at);
ast_ident_list *ast_ident_list_new(zdm_parser *p, ast_ident first);
ast_ident_list *ast_ident_list_add(zdm_parser *p, ast_ident_list *l, ast_ident id);

ast_expr *ast_lit(zdm_parser *p, ast_expr_kind kind, const char *text, zdm_span at);
ast_expr *ast_raw(zdm_parser *p, const char *text, zdm_span at);
ast_expr *ast_raw_variant(zdm_parser *p, ast_expr *e, ast_ident family, const char *text,
                          zdm_span at);
ast_count ast_count_make(zdm_parser *p, const char *text, zdm_span at);

ast_targ_list *ast_targ_list_add(zdm_parser *p, ast_targ_list *l, ast_targ_kind kind, const char *text,
                                 zdm_span at);
ast_type ast_type_make(zdm_parser *p, ast_ident name, const char *second, ast_type_tail tail,
                       bool array, zdm_span at);

ast_ref *ast_ref_new(zdm_parser *p, ast_qname table, ast_ident_list *cols, zdm_span at);
ast_ref *ast_ref_action(zdm_parser *p, ast_ref *r, bool on_delete, zdm_fk_action act,
                        zdm_span at);
ast_colopt_list *ast_colopt_add(zdm_parser *p, ast_colopt_list *l, ast_colopt_kind kind,
                                ast_expr *e, ast_ref *ref, zdm_span at);
ast_coldef *ast_coldef_new(zdm_parser *p, ast_ident name, ast_type type,
                           ast_colopt_list *opts, zdm_span at);
ast_constraint *ast_constraint_new(zdm_parser *p, ast_con_kind kind, ast_ident_list *cols,
                                   ast_ref *ref, ast_expr *check, zdm_span at);
ast_constraint *ast_constraint_named(ast_constraint *c, ast_ident name, zdm_span at);

ast_telem_list *ast_telem_add(zdm_parser *p, ast_telem_list *l, ast_coldef *col,
                              ast_constraint *con);
ast_elem_list *ast_elem_add(zdm_parser *p, ast_elem_list *l, ast_ident col, ast_expr *e,
                            zdm_order order, zdm_span at);
ast_set_list *ast_set_add(zdm_parser *p, ast_set_list *l, ast_ident col, ast_expr *e,
                          zdm_span at);
ast_expr_list *ast_expr_list_add(zdm_parser *p, ast_expr_list *l, ast_expr *e);

/* alter table actions */
ast_alter *ast_alter_new(zdm_parser *p, ast_alter_kind kind, ast_ident col, zdm_span at);
ast_alter *ast_alter_type(zdm_parser *p, ast_alter *a, ast_type type);
ast_alter *ast_alter_conv(zdm_parser *p, ast_alter *a, bool revert, ast_expr *e, zdm_span at);

/* statements; `at` is the statement's span without the ';' */
ast_stmt *ast_stmt_new(zdm_parser *p, ast_stmt_kind kind, zdm_span at);
ast_stmt *ast_setting_new(zdm_parser *p, ast_ident name, ast_setv_kind kind, const char *text,
                          zdm_span vspan, zdm_span at);
ast_stmt *ast_alter_table(zdm_parser *p, ast_qname table, ast_alter *a, zdm_span at);
ast_colopt_list *ast_colopt_collate(zdm_parser *p, ast_colopt_list *l, ast_ident name,
                                    zdm_span at);
/* A table option; given twice is an error. */
ast_topts ast_topt_add(zdm_parser *p, ast_topts o, ast_topt_kind kind, zdm_span at);
ast_stmt *ast_create_table(zdm_parser *p, ast_qname table, ast_telem_list *elems, ast_topts opts,
                           zdm_span at);
ast_stmt *ast_create_index(zdm_parser *p, bool unique, ast_ident name, ast_qname table,
                           ast_elem_list *elems, ast_expr *where, zdm_span at);
ast_stmt *ast_backfill(zdm_parser *p, ast_qname table, ast_set_list *sets, ast_expr *where,
                       ast_count *batch, zdm_span at);
ast_stmt *ast_create_enum(zdm_parser *p, ast_qname name, ast_expr_list *labels, zdm_span at);
ast_stmt *ast_alter_enum(zdm_parser *p, ast_qname name, ast_expr *value, ast_enum_pos pos,
                         ast_expr *anchor, zdm_span at);
ast_stmt *ast_execute(zdm_parser *p, ast_expr *sql, ast_expr *revert, zdm_span at);
void ast_file_add(zdm_parser *p, ast_stmt *s, zdm_span with_semi);
void ast_comment_add(zdm_parser *p, zdm_span at);

/* Source text of a span, copied into the arena. */
const char *parse_text(zdm_parser *p, zdm_span at);

#endif
