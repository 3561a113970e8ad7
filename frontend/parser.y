/*
 * parser.y - the grammar of .zdm files (pure Bison, LAC, custom error
 * messages). Actions only call constructors in ast.c; what syntax alone cannot
 * tell (does the column exist?) is left to sema.c.
 *
 * Recovery: a statement with an error is skipped up to its ';' or up to the
 * next statement keyword that starts a line (see the token wrapper), so one
 * run reports every broken statement of a file.
 *
 * Diagnostic codes of the frontend (1xxx, stable; see parse_int.h):
 *   1001 unexpected character or byte      1010 syntax error
 *   1002 unterminated string               1011 missing ';'
 *   1003 unterminated quoted identifier    1012 unknown dialect variant
 *   1004 empty quoted identifier           1013 column option repeated/contradicting
 *   1005 unterminated block comment        1014 wrong type parameters
 *   1006 unclosed '(' in a SQL fragment    1015 misplaced type words (with time zone)
 *   1007 unterminated $tag$ string         1016 clause given twice
 *   1008 unknown number suffix             1017 too many errors
 *   1009 number out of range               1018 statement too deeply nested
 */
%require "3.6"
%define api.pure full
%define api.prefix {zdm_yy}
%define api.token.prefix {T_}
%define api.location.type {zdm_span}
%define parse.error custom
%define parse.lac full
%define lr.default-reduction consistent
%locations
%expect 0
%param {zdm_parser *p}

%code requires {
#include "frontend/parse_int.h"
}

%code provides {
ast_file *zdm_parse(zdm_arena *a, zdm_diags *diags, const zdm_source *src);
}

%code {
#include <stdlib.h>
#include <string.h>

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                         \
    do {                                                                    \
        if (N) {                                                            \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                           \
            (Cur).end = YYRHSLOC(Rhs, N).end;                               \
        } else {                                                            \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                 \
        }                                                                   \
    } while (0)

static int zdm_yylex(ZDM_YYSTYPE *lval, zdm_span *lloc, zdm_parser *p);
static void zdm_yyerror(zdm_span *at, zdm_parser *p, const char *msg);
static zdm_span join(zdm_span a, zdm_span b) { return (zdm_span){a.start, b.end}; }
static void stmt_done(zdm_parser *p);
}

%union {
    const char *str;
    ast_ident ident;
    ast_qname qname;
    ast_ident_list *idents;
    ast_expr *expr;
    ast_expr_list *exprs;
    ast_count count;
    ast_count *countp;
    ast_type type;
    ast_type_tail tail;
    ast_targ_list *targs;
    ast_ref *ref;
    ast_colopt_list *colopts;
    ast_coldef *coldef;
    ast_constraint *con;
    ast_telem_list *telems;
    ast_topts topts;
    ast_elem_list *elems;
    ast_set_list *sets;
    ast_alter *alter;
    ast_stmt *stmt;
    zdm_fk_action action;
    zdm_order order;
    int num;
}

%token <ident> IDENT "identifier"
%token <str> STRING "string" NUMBER "number" COUNT "count" DURATION "duration"
%token <str> RAW "parenthesised SQL"
%token <str>
    ACTION "'action'" ADD "'add'" AFTER "'after'" ALTER "'alter'" ALWAYS "'always'"
    AS "'as'" ASC "'asc'" ASSUME "'assume'" AUTOINCREMENT "'autoincrement'"
    BACKFILL "'backfill'" BATCH "'batch'"
    BEFORE "'before'" BY "'by'" CASCADE "'cascade'" CHECK "'check'" COLLATE "'collate'"
    COLUMN "'column'"
    CONSTRAINT "'constraint'" CREATE "'create'" DATA "'data'" DEFAULT "'default'"
    DELETE "'delete'" DESC "'desc'" DROP "'drop'" ENUM "'enum'" EXECUTE "'execute'"
    FALSE "'false'" FOREIGN "'foreign'" GENERATED "'generated'" HAS "'has'"
    IDENTITY "'identity'" INDEX "'index'" IRREVERSIBLE "'irreversible'" KEEP "'keep'"
    KEY "'key'"
    MIGRATION "'migration'" NO "'no'" NOT "'not'" NULL "'null'" ON "'on'"
    PRECISION "'precision'" PRIMARY "'primary'" REFERENCES "'references'"
    RENAME "'rename'" RESTRICT "'restrict'" REVERT "'revert'" ROWID "'rowid'"
    ROWS "'rows'" SET "'set'" STRICT "'strict'"
    TABLE "'table'" TO "'to'" TRUE "'true'" TYPE "'type'" UNIQUE "'unique'"
    UPDATE "'update'" USING "'using'" VALUE "'value'" VARYING "'varying'"
    WHERE "'where'" WITH "'with'" WITHOUT "'without'" ZONE "'zone'"

%type <ident> ident opt_con_name
%type <str> unreserved_keyword
%type <qname> qname
%type <idents> idents opt_col_list
%type <expr> expr literal raw opt_where label
%type <exprs> labels
%type <count> count
%type <countp> opt_batch
%type <type> type
%type <tail> type_tail
%type <targs> targs
%type <ref> references
%type <colopts> col_opts
%type <coldef> coldef
%type <con> constraint con_body
%type <telems> table_elems
%type <topts> table_opts
%type <elems> index_elems
%type <sets> set_items
%type <alter> alter_action alter_column type_change
%type <stmt> stmt setting enum_stmt
%type <action> fk_action
%type <order> opt_order
%type <num> opt_unique opt_array

%%

file:
    stmts
    ;

/* `stmts error` reduces only when the lookahead can start a statement (or is
 * the end of the file): lr.default-reduction is "consistent" and this state
 * also shifts ';', so any other token is discarded by the recovery. */
stmts:
    %empty
    | stmts stmt ';'    { ast_file_add(p, $2, join(@2, @3)); stmt_done(p); }
    | stmts error ';'   { yyerrok; stmt_done(p); }
    | stmts error       { yyerrok; stmt_done(p); p->stmt_start = p->last; p->stmt_open = true; }
    ;

stmt:
    MIGRATION STRING
        { $$ = ast_stmt_new(p, AST_MIGRATION, @$);
          $$->u.migration.title = $2; $$->u.migration.title_span = @2; }
    | ASSUME qname HAS count ROWS
        { $$ = ast_stmt_new(p, AST_ASSUME, @$);
          $$->u.assume.table = $2; $$->u.assume.rows = $4; }
    | setting
    | CREATE TABLE qname '(' table_elems ')' table_opts
        { $$ = ast_create_table(p, $3, $5, $7, @$); }
    | DROP TABLE qname
        { $$ = ast_stmt_new(p, AST_DROP_TABLE, @$); $$->u.drop_table.table = $3; }
    | DROP TABLE qname KEEP
        { $$ = ast_stmt_new(p, AST_DROP_TABLE, @$); $$->u.drop_table.table = $3;
          $$->u.drop_table.keep = true; }
    | RENAME TABLE qname TO qname
        { $$ = ast_stmt_new(p, AST_RENAME_TABLE, @$);
          $$->u.rename_table.table = $3; $$->u.rename_table.to = $5; }
    | ALTER TABLE qname RENAME TO qname
        { $$ = ast_stmt_new(p, AST_RENAME_TABLE, @$);
          $$->u.rename_table.table = $3; $$->u.rename_table.to = $6; }
    | ALTER TABLE qname alter_action          { $$ = ast_alter_table(p, $3, $4, @$); }
    | CREATE opt_unique INDEX ident ON qname '(' index_elems ')' opt_where
        { $$ = ast_create_index(p, $2, $4, $6, $8, $10, @$); }
    | DROP INDEX qname
        { $$ = ast_stmt_new(p, AST_DROP_INDEX, @$); $$->u.drop_index.name = $3; }
    | DROP INDEX qname ON qname
        { $$ = ast_stmt_new(p, AST_DROP_INDEX, @$);
          $$->u.drop_index.name = $3; $$->u.drop_index.table = $5; }
    | BACKFILL qname SET set_items opt_where opt_batch
        { $$ = ast_backfill(p, $2, $4, $5, $6, @$); }
    | enum_stmt
    | EXECUTE raw REVERT raw                  { $$ = ast_execute(p, $2, $4, @$); }
    | EXECUTE raw IRREVERSIBLE                { $$ = ast_execute(p, $2, NULL, @$); }
    ;

setting:
    SET ident '=' DURATION   { $$ = ast_setting_new(p, $2, AST_SETV_DURATION, $4, @4, @$); }
    | SET ident '=' NUMBER   { $$ = ast_setting_new(p, $2, AST_SETV_NUMBER, $4, @4, @$); }
    | SET ident '=' COUNT    { $$ = ast_setting_new(p, $2, AST_SETV_NUMBER, $4, @4, @$); }
    | SET ident '=' STRING   { $$ = ast_setting_new(p, $2, AST_SETV_STRING, $4, @4, @$); }
    | SET ident '=' ident    { $$ = ast_setting_new(p, $2, AST_SETV_IDENT, $4.name, @4, @$); }
    | SET ident '=' TRUE     { $$ = ast_setting_new(p, $2, AST_SETV_IDENT, "true", @4, @$); }
    | SET ident '=' FALSE    { $$ = ast_setting_new(p, $2, AST_SETV_IDENT, "false", @4, @$); }
    ;

enum_stmt:
    CREATE TYPE qname AS ENUM '(' labels ')'  { $$ = ast_create_enum(p, $3, $7, @$); }
    | ALTER TYPE qname ADD VALUE label
        { $$ = ast_alter_enum(p, $3, $6, AST_ENUM_END, NULL, @$); }
    | ALTER TYPE qname ADD VALUE label BEFORE label
        { $$ = ast_alter_enum(p, $3, $6, AST_ENUM_BEFORE, $8, @$); }
    | ALTER TYPE qname ADD VALUE label AFTER label
        { $$ = ast_alter_enum(p, $3, $6, AST_ENUM_AFTER, $8, @$); }
    ;

labels:
    label                   { $$ = ast_expr_list_add(p, NULL, $1); }
    | labels ',' label      { $$ = ast_expr_list_add(p, $1, $3); }
    ;

label:
    STRING                  { $$ = ast_lit(p, AST_LIT_STRING, $1, @$); }
    ;

/* ---- create table ------------------------------------------------------------- */

table_elems:
    coldef                          { $$ = ast_telem_add(p, NULL, $1, NULL); }
    | constraint                    { $$ = ast_telem_add(p, NULL, NULL, $1); }
    | table_elems ',' coldef        { $$ = ast_telem_add(p, $1, $3, NULL); }
    | table_elems ',' constraint    { $$ = ast_telem_add(p, $1, NULL, $3); }
    ;

/* SQLite's table options (docs/language.md), in any order, commas optional. */
table_opts:
    %empty                          { $$ = (ast_topts){0}; }
    | table_opts STRICT             { $$ = ast_topt_add(p, $1, AST_TOPT_STRICT, @2); }
    | table_opts WITHOUT ROWID
        { $$ = ast_topt_add(p, $1, AST_TOPT_WITHOUT_ROWID, join(@2, @3)); }
    | table_opts ',' STRICT         { $$ = ast_topt_add(p, $1, AST_TOPT_STRICT, @3); }
    | table_opts ',' WITHOUT ROWID
        { $$ = ast_topt_add(p, $1, AST_TOPT_WITHOUT_ROWID, join(@3, @4)); }
    ;

coldef:
    ident type col_opts     { $$ = ast_coldef_new(p, $1, $2, $3, @$); }
    ;

col_opts:
    %empty                          { $$ = NULL; }
    | col_opts NOT NULL             { $$ = ast_colopt_add(p, $1, COLOPT_NOT_NULL, NULL, NULL, join(@2, @3)); }
    | col_opts NULL                 { $$ = ast_colopt_add(p, $1, COLOPT_NULL, NULL, NULL, @2); }
    | col_opts DEFAULT expr         { $$ = ast_colopt_add(p, $1, COLOPT_DEFAULT, $3, NULL, join(@2, @3)); }
    | col_opts PRIMARY KEY          { $$ = ast_colopt_add(p, $1, COLOPT_PK, NULL, NULL, join(@2, @3)); }
    | col_opts UNIQUE               { $$ = ast_colopt_add(p, $1, COLOPT_UNIQUE, NULL, NULL, @2); }
    | col_opts references           { $$ = ast_colopt_add(p, $1, COLOPT_REFERENCES, NULL, $2, @2); }
    | col_opts CHECK raw            { $$ = ast_colopt_add(p, $1, COLOPT_CHECK, $3, NULL, join(@2, @3)); }
    | col_opts GENERATED ALWAYS AS IDENTITY
        { $$ = ast_colopt_add(p, $1, COLOPT_IDENTITY_ALWAYS, NULL, NULL, join(@2, @5)); }
    | col_opts GENERATED BY DEFAULT AS IDENTITY
        { $$ = ast_colopt_add(p, $1, COLOPT_IDENTITY_BY_DEFAULT, NULL, NULL, join(@2, @6)); }
    | col_opts COLLATE ident
        { $$ = ast_colopt_collate(p, $1, $3, join(@2, @3)); }
    | col_opts AUTOINCREMENT
        { $$ = ast_colopt_add(p, $1, COLOPT_AUTOINCREMENT, NULL, NULL, @2); }
    ;

constraint:
    opt_con_name con_body   { $$ = ast_constraint_named($2, $1, @$); }
    ;

opt_con_name:
    %empty                  { $$ = ast_ident_make(NULL, false, @$); }
    | CONSTRAINT ident      { $$ = $2; }
    ;

con_body:
    PRIMARY KEY '(' idents ')'      { $$ = ast_constraint_new(p, AST_CON_PRIMARY, $4, NULL, NULL, @$); }
    | UNIQUE '(' idents ')'         { $$ = ast_constraint_new(p, AST_CON_UNIQUE, $3, NULL, NULL, @$); }
    | FOREIGN KEY '(' idents ')' references
                                    { $$ = ast_constraint_new(p, AST_CON_FOREIGN, $4, $6, NULL, @$); }
    | CHECK raw                     { $$ = ast_constraint_new(p, AST_CON_CHECK, NULL, NULL, $2, @$); }
    ;

references:
    REFERENCES qname opt_col_list   { $$ = ast_ref_new(p, $2, $3, @$); }
    | references ON DELETE fk_action { $$ = ast_ref_action(p, $1, true, $4, join(@2, @4)); }
    | references ON UPDATE fk_action { $$ = ast_ref_action(p, $1, false, $4, join(@2, @4)); }
    ;

fk_action:
    CASCADE         { $$ = ZDM_FK_CASCADE; }
    | SET NULL      { $$ = ZDM_FK_SET_NULL; }
    | SET DEFAULT   { $$ = ZDM_FK_SET_DEFAULT; }
    | RESTRICT      { $$ = ZDM_FK_RESTRICT; }
    | NO ACTION     { $$ = ZDM_FK_NO_ACTION; }
    ;

opt_col_list:
    %empty                  { $$ = NULL; }
    | '(' idents ')'        { $$ = $2; }
    ;

idents:
    ident                   { $$ = ast_ident_list_new(p, $1); }
    | idents ',' ident      { $$ = ast_ident_list_add(p, $1, $3); }
    ;

/* ---- types ------------------------------------------------------------------------
 * `name`, `name(args)`, `double precision`, `character varying(n)`,
 * `timestamp [(p)] with[out] time zone`, `schema.name`, each with an optional
 * `[]`. ast_type_make maps aliases and checks the arguments. */

type:
    ident type_tail opt_array
        { $$ = ast_type_make(p, $1, NULL, $2, $3, @$); }
    | ident '.' ident type_tail opt_array
        { $$ = ast_type_make(p, $3, parse_text(p, @1), $4, $5, @$); }
    | ident PRECISION opt_array
        { ast_type_tail t = {0}; $$ = ast_type_make(p, $1, "precision", t, $3, @$); }
    | ident VARYING type_tail opt_array
        { $$ = ast_type_make(p, $1, "varying", $3, $4, @$); }
    ;

type_tail:
    %empty                          { $$ = (ast_type_tail){0}; }
    | '(' targs ')'                 { $$ = (ast_type_tail){0}; $$.args = $2; $$.args_span = @$; }
    | WITH ident ZONE               { $$ = (ast_type_tail){0}; $$.tz = 1; $$.tz_span = @$;
                                      if (strcmp($2.name, "time")) $$.tz = 2; }
    | WITHOUT ident ZONE            { $$ = (ast_type_tail){0}; $$.tz = -1; $$.tz_span = @$;
                                      if (strcmp($2.name, "time")) $$.tz = 2; }
    | '(' targs ')' WITH ident ZONE
        { $$ = (ast_type_tail){0}; $$.args = $2; $$.args_span = join(@1, @3);
          $$.tz = strcmp($5.name, "time") ? 2 : 1; $$.tz_span = join(@4, @6); }
    | '(' targs ')' WITHOUT ident ZONE
        { $$ = (ast_type_tail){0}; $$.args = $2; $$.args_span = join(@1, @3);
          $$.tz = strcmp($5.name, "time") ? 2 : -1; $$.tz_span = join(@4, @6); }
    ;

targs:
    NUMBER                  { $$ = ast_targ_list_add(p, NULL, TARG_NUMBER, $1, @1); }
    | '-' NUMBER            { $$ = ast_targ_list_add(p, NULL, TARG_NUMBER, parse_text(p, @$), @$); }
    | STRING                { $$ = ast_targ_list_add(p, NULL, TARG_STRING, $1, @1); }
    | ident                 { $$ = ast_targ_list_add(p, NULL, TARG_NAME, $1.name, @1); }
    | targs ',' NUMBER      { $$ = ast_targ_list_add(p, $1, TARG_NUMBER, $3, @3); }
    | targs ',' '-' NUMBER  { $$ = ast_targ_list_add(p, $1, TARG_NUMBER, parse_text(p, join(@3, @4)), join(@3, @4)); }
    | targs ',' STRING      { $$ = ast_targ_list_add(p, $1, TARG_STRING, $3, @3); }
    | targs ',' ident       { $$ = ast_targ_list_add(p, $1, TARG_NAME, $3.name, @3); }
    ;

opt_array:
    %empty                  { $$ = 0; }
    | '[' ']'               { $$ = 1; }
    ;

/* ---- alter table ------------------------------------------------------------------- */

alter_action:
    ADD COLUMN coldef
        { $$ = ast_alter_new(p, AST_AT_ADD_COLUMN, $3->name, @$); $$->coldef = $3; }
    | ADD coldef
        { $$ = ast_alter_new(p, AST_AT_ADD_COLUMN, $2->name, @$); $$->coldef = $2; }
    | DROP COLUMN ident     { $$ = ast_alter_new(p, AST_AT_DROP_COLUMN, $3, @$); }
    | RENAME COLUMN ident TO ident
        { $$ = ast_alter_new(p, AST_AT_RENAME_COLUMN, $3, @$); $$->to = $5; }
    | ALTER COLUMN alter_column
        { $$ = $3; $$->span = @$; }
    | ADD constraint
        { $$ = ast_alter_new(p, AST_AT_ADD_CONSTRAINT, ast_ident_make(NULL, false, @$), @$);
          $$->con = $2; }
    | DROP CONSTRAINT ident
        { $$ = ast_alter_new(p, AST_AT_DROP_CONSTRAINT, ast_ident_make(NULL, false, @$), @$);
          $$->con_name = $3; }
    ;

alter_column:
    type_change
    | ident SET NOT NULL    { $$ = ast_alter_new(p, AST_AT_SET_NOT_NULL, $1, @$); }
    | ident DROP NOT NULL   { $$ = ast_alter_new(p, AST_AT_DROP_NOT_NULL, $1, @$); }
    | ident SET DEFAULT expr
        { $$ = ast_alter_new(p, AST_AT_SET_DEFAULT, $1, @$); $$->def = $4; }
    | ident DROP DEFAULT    { $$ = ast_alter_new(p, AST_AT_DROP_DEFAULT, $1, @$); }
    ;

/* `using` and `revert` may come in either order, each at most once. */
type_change:
    ident TYPE type
        { $$ = ast_alter_type(p, ast_alter_new(p, AST_AT_ALTER_TYPE, $1, @$), $3); }
    | ident SET DATA TYPE type
        { $$ = ast_alter_type(p, ast_alter_new(p, AST_AT_ALTER_TYPE, $1, @$), $5); }
    | type_change USING raw     { $$ = ast_alter_conv(p, $1, false, $3, join(@2, @3)); }
    | type_change REVERT raw    { $$ = ast_alter_conv(p, $1, true, $3, join(@2, @3)); }
    ;

/* ---- indexes ---------------------------------------------------------------------- */

opt_unique:
    %empty      { $$ = 0; }
    | UNIQUE    { $$ = 1; }
    ;

index_elems:
    ident opt_order                     { $$ = ast_elem_add(p, NULL, $1, NULL, $2, @$); }
    | raw opt_order                     { $$ = ast_elem_add(p, NULL, ast_ident_make(NULL, false, @1), $1, $2, @$); }
    | index_elems ',' ident opt_order   { $$ = ast_elem_add(p, $1, $3, NULL, $4, join(@3, @4)); }
    | index_elems ',' raw opt_order
        { $$ = ast_elem_add(p, $1, ast_ident_make(NULL, false, @3), $3, $4, join(@3, @4)); }
    ;

opt_order:
    %empty      { $$ = ZDM_ORDER_DEFAULT; }
    | ASC       { $$ = ZDM_ORDER_ASC; }
    | DESC      { $$ = ZDM_ORDER_DESC; }
    ;

opt_where:
    %empty          { $$ = NULL; }
    | WHERE raw     { $$ = $2; }
    ;

/* ---- backfill ---------------------------------------------------------------------- */

set_items:
    ident '=' expr                  { $$ = ast_set_add(p, NULL, $1, $3, @$); }
    | set_items ',' ident '=' expr  { $$ = ast_set_add(p, $1, $3, $5, join(@3, @5)); }
    ;

opt_batch:
    %empty          { $$ = NULL; }
    | BATCH count   { $$ = ZDM_NEW(p->arena, ast_count); *$$ = $2; }
    ;

count:
    COUNT           { $$ = ast_count_make(p, $1, @1); }
    | NUMBER        { $$ = ast_count_make(p, $1, @1); }
    ;

/* ---- names and values ------------------------------------------------------------ */

qname:
    ident               { $$ = ast_qname_make(ast_ident_make(NULL, false, @1), $1, @$); }
    | ident '.' ident   { $$ = ast_qname_make($1, $3, @$); }
    ;

ident:
    IDENT
    | unreserved_keyword    { $$ = ast_ident_make($1, false, @1); }
    ;

/* Keywords that also work as names, so a column may be called `type`, `key`
 * or `value`. The others (create, table, not, null, default, ...) must be
 * written in double quotes to be used as names. */
unreserved_keyword:
    ACTION | AFTER | ALWAYS | ASSUME | AUTOINCREMENT | BACKFILL | BATCH | BEFORE | BY | CASCADE
    | COLLATE | DATA | DELETE | ENUM | EXECUTE | GENERATED | HAS | IDENTITY | IRREVERSIBLE
    | KEEP | KEY | MIGRATION | NO | PRECISION | RESTRICT | REVERT | ROWID | ROWS | STRICT
    | TYPE | UPDATE
    | VALUE | VARYING | WITH | WITHOUT | ZONE
    ;

expr:
    literal
    | raw
    ;

literal:
    NUMBER          { $$ = ast_lit(p, AST_LIT_NUMBER, $1, @$); }
    | '-' NUMBER    { $$ = ast_lit(p, AST_LIT_NUMBER, zdm_sprintf(p->arena, "-%s", $2), @$); }
    | STRING        { $$ = ast_lit(p, AST_LIT_STRING, $1, @$); }
    | TRUE          { $$ = ast_lit(p, AST_LIT_TRUE, "true", @$); }
    | FALSE         { $$ = ast_lit(p, AST_LIT_FALSE, "false", @$); }
    | NULL          { $$ = ast_lit(p, AST_LIT_NULL, "null", @$); }
    ;

raw:
    RAW                 { $$ = ast_raw(p, $1, @1); }
    | raw IDENT RAW     { $$ = ast_raw_variant(p, $1, $2, $3, join(@2, @3)); }
    ;

%%
/* ---- the token wrapper ------------------------------------------------------------
 * Every token passes through here: it records what the scanner needs for the
 * raw '(' decision and what error messages need (the previous token, where
 * the statement started), and during recovery it hides statement keywords
 * that do not start a line, so `... drop column x;` inside a broken statement
 * does not look like a new statement. */

static bool is_stmt_keyword(int t)
{
    switch (t) {
    case T_MIGRATION: case T_ASSUME: case T_SET: case T_CREATE: case T_DROP:
    case T_RENAME: case T_ALTER: case T_BACKFILL: case T_EXECUTE:
        return true;
    default:
        return false;
    }
}

/* Tracks `create [unique] index N on T (`: see parse_idx_state. */
static void track_index(zdm_parser *p, int t)
{
    if (t == ';') {
        p->idx = IDX_NONE;
    } else if (t == T_INDEX && (p->prev == T_CREATE || (p->prev == T_UNIQUE && p->prev2 == T_CREATE))) {
        p->idx = IDX_HEAD;
    } else if (t == T_ON && p->idx == IDX_HEAD) {
        p->idx = IDX_ON;
    } else if (t == '(' && p->idx == IDX_ON) {
        p->idx = IDX_LIST;
    } else if (t == ')' && p->idx == IDX_LIST) {
        p->idx = IDX_NONE;
    }
}

static int zdm_yylex(ZDM_YYSTYPE *lval, zdm_span *lloc, zdm_parser *p)
{
    int t;
    if (p->gave_up) {
        *lloc = (zdm_span){(uint32_t)p->src->len, (uint32_t)p->src->len};
        t = T_YYEOF;
    } else {
        t = lex_next(lval, lloc, p);
    }
    bool first_on_line = p->bol;
    p->bol = false;
    if (p->recovering && is_stmt_keyword(t) && !first_on_line)
        t = T_ZDM_YYUNDEF; /* never acceptable: discarded by the recovery */
    track_index(p, t);
    p->prev2 = p->prev;
    p->prev = t;
    p->before = p->last;
    p->last = *lloc;
    if (!p->stmt_open && t != ';' && t != T_YYEOF) {
        p->stmt_start = *lloc;
        p->stmt_open = true;
    }
    return t;
}

static void stmt_done(zdm_parser *p)
{
    p->stmt_open = false;
    p->recovering = false;
    p->junk_diag = NULL;
}

/* ---- diagnostics ---------------------------------------------------------------- */

zdm_diag *parse_error(zdm_parser *p, int code, zdm_span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = zdm_vsprintf(p->arena, fmt, ap);
    va_end(ap);
    if (p->gave_up)
        return ZDM_NEW(p->arena, zdm_diag); /* not in the list */
    if (++p->nerrors == PARSE_MAX_ERRORS) {
        p->gave_up = true;
        zdm_diag *d = zdm_diag_add(p->diags, ZDM_ERROR, ZDM_E_TOO_MANY, p->src, at,
                                   "too many errors, stopping here");
        zdm_diag_hint(d, p->arena, "Fix the errors above and run again.");
        return ZDM_NEW(p->arena, zdm_diag);
    }
    return zdm_diag_add(p->diags, ZDM_ERROR, code, p->src, at, "%s", msg);
}

const char *parse_text(zdm_parser *p, zdm_span at)
{
    return zdm_strndup(p->arena, p->src->text + at.start, at.end - at.start);
}

static void zdm_yyerror(zdm_span *at, zdm_parser *p, const char *msg)
{
    /* Only "memory exhausted" reaches here (parse.error custom reports the rest):
     * the grammar nests only a few levels, so it takes a pathological input. */
    zdm_diag *d = parse_error(p, ZDM_E_LIMIT, *at, "input too complex (%s)", msg);
    zdm_diag_hint(d, p->arena, "Split the statement into smaller ones.");
}

/* A symbol's name for messages: "'using'", "identifier", "';'". Bison keeps
 * the double quotes of an alias in some versions; drop them. */
static const char *sym_name(zdm_parser *p, yysymbol_kind_t s)
{
    const char *n = yysymbol_name(s);
    size_t len = strlen(n);
    if (len >= 2 && n[0] == '"' && n[len - 1] == '"')
        return zdm_strndup(p->arena, n + 1, len - 2);
    return n;
}

/* The keyword a symbol stands for ("using"), or NULL when it is not one. */
static const char *sym_keyword(zdm_parser *p, yysymbol_kind_t s)
{
    const char *n = sym_name(p, s);
    size_t len = strlen(n);
    if (len < 4 || n[0] != '\'' || n[len - 1] != '\'')
        return NULL;
    return zdm_strndup(p->arena, n + 1, len - 2);
}

static bool sym_is_unreserved(yysymbol_kind_t s)
{
    static const int unreserved[] = {
        T_ACTION, T_AFTER, T_ALWAYS, T_ASSUME, T_AUTOINCREMENT, T_BACKFILL, T_BATCH, T_BEFORE, T_BY,
        T_CASCADE, T_COLLATE, T_DATA, T_DELETE, T_ENUM, T_EXECUTE, T_GENERATED, T_HAS, T_IDENTITY,
        T_IRREVERSIBLE, T_KEEP, T_KEY, T_MIGRATION, T_NO, T_PRECISION, T_RESTRICT,
        T_REVERT, T_ROWID, T_STRICT,
        T_ROWS, T_TYPE, T_UPDATE, T_VALUE, T_VARYING, T_WITH, T_WITHOUT, T_ZONE,
    };
    for (size_t i = 0; i < sizeof unreserved / sizeof unreserved[0]; i++)
        if (YYTRANSLATE(unreserved[i]) == s)
            return true;
    return false;
}

/* How the unexpected token is shown: "identifier 'usin'", "'using'", ... */
static const char *describe(zdm_parser *p, yysymbol_kind_t la)
{
    zdm_span at = p->last;
    size_t n = at.end - at.start;
    const char *text = p->src->text + at.start;
    int shown = (int)(n > 40 ? 40 : n);
    switch (la) {
    case YYSYMBOL_YYEOF: return "end of file";
    case YYSYMBOL_IDENT: return zdm_sprintf(p->arena, "identifier '%.*s'", shown, text);
    case YYSYMBOL_STRING: return zdm_sprintf(p->arena, "string %.*s", shown, text);
    case YYSYMBOL_NUMBER: return zdm_sprintf(p->arena, "number %.*s", shown, text);
    case YYSYMBOL_COUNT: return zdm_sprintf(p->arena, "count %.*s", shown, text);
    case YYSYMBOL_DURATION: return zdm_sprintf(p->arena, "duration %.*s", shown, text);
    case YYSYMBOL_RAW: return "parenthesised SQL fragment";
    default: return sym_name(p, la);
    }
}

static bool expects(const yysymbol_kind_t *exp, int n, yysymbol_kind_t s)
{
    for (int i = 0; i < n; i++)
        if (exp[i] == s)
            return true;
    return false;
}

/* "'using', 'revert' or ';'" - empty when the list would be too long to help.
 * Unreserved keywords are left out when an identifier is expected anyway. */
static const char *expected_list(zdm_parser *p, const yysymbol_kind_t *exp, int n)
{
    /* After a raw fragment an identifier can only be a dialect name: not
     * worth listing, and it would hide the unreserved keywords. */
    bool ident = expects(exp, n, YYSYMBOL_IDENT) && p->prev2 != T_RAW;
    const char *names[8];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if ((ident && sym_is_unreserved(exp[i])) || (!ident && exp[i] == YYSYMBOL_IDENT))
            continue;
        if (k == 8)
            return "";
        names[k++] = sym_name(p, exp[i]);
    }
    if (k == 0 || k > 6)
        return "";
    zdm_buf b;
    zdm_buf_init(&b, p->arena);
    zdm_buf_puts(&b, ", expected ");
    for (int i = 0; i < k; i++) {
        if (i)
            zdm_buf_puts(&b, i == k - 1 ? " or " : ", ");
        zdm_buf_puts(&b, names[i]);
    }
    return zdm_buf_cstr(&b);
}

/* The expected keyword closest to a misspelt word, or NULL. */
static const char *did_you_mean(zdm_parser *p, const yysymbol_kind_t *exp, int n)
{
    zdm_span at = p->last;
    size_t len = at.end - at.start;
    if (len < 2 || len > 20)
        return NULL;
    const char *word = parse_text(p, at);
    const char *best = NULL;
    int best_d = len <= 3 ? 1 : 2;
    for (int i = 0; i < n; i++) {
        const char *kw = sym_keyword(p, exp[i]);
        if (!kw || zdm_ieq(kw, word))
            continue;
        int d = zdm_edit_distance(word, kw, best_d);
        if (d <= best_d && (!best || d < best_d)) {
            best = kw;
            best_d = d;
        }
    }
    return best;
}

static void syntax_hint(zdm_parser *p, zdm_diag *d, yysymbol_kind_t la,
                        const yysymbol_kind_t *exp, int n)
{
    const char *kw = NULL;
    if (la == YYSYMBOL_IDENT || sym_keyword(p, la))
        kw = did_you_mean(p, exp, n);
    if (kw)
        zdm_diag_hint(d, p->arena, "Did you mean '%s'?", kw);
    else if (la == YYSYMBOL_COUNT)
        zdm_diag_hint(d, p->arena, "The K, M and B suffixes are allowed only in assume, batch "
                                   "and set; write the number in full here.");
    else if (la == YYSYMBOL_DURATION)
        zdm_diag_hint(d, p->arena, "Durations like 500ms or 2s are allowed only in set.");
    else if (la == YYTRANSLATE(')') && p->prev2 == '(' && expects(exp, n, YYSYMBOL_RAW))
        zdm_diag_hint(d, p->arena, "An index needs at least one column or expression.");
    else if (p->idx == IDX_LIST && la == YYTRANSLATE('(') && p->prev2 == T_IDENT)
        zdm_diag_hint(d, p->arena, "Write an index expression in its own parentheses, "
                                   "e.g. ((lower(email))).");
    else if (p->prev2 == T_RAW && expects(exp, n, YYSYMBOL_IRREVERSIBLE))
        zdm_diag_hint(d, p->arena, "Say how to undo it with revert (...), or mark it "
                                   "irreversible.");
    else if (sym_keyword(p, la) && expects(exp, n, YYSYMBOL_IDENT) && !sym_is_unreserved(la))
        zdm_diag_hint(d, p->arena, "%s is a reserved word; write it in double quotes to use "
                                   "it as a name.", sym_name(p, la));
    else if (la == YYTRANSLATE(';') && p->prev2 == ';')
        zdm_diag_hint(d, p->arena, "Remove the extra ';'.");
    else if (expects(exp, n, YYSYMBOL_MIGRATION) && la == YYSYMBOL_IDENT)
        zdm_diag_hint(d, p->arena, "A statement starts with migration, assume, set, create, "
                                   "drop, rename, alter, backfill or execute.");
    else if (expects(exp, n, YYSYMBOL_RAW) && la != YYSYMBOL_YYEOF && la != YYSYMBOL_RAW)
        zdm_diag_hint(d, p->arena, "SQL expressions must be written in parentheses, "
                                   "e.g. (now()).");
}

static int yyreport_syntax_error(const yypcontext_t *ctx, zdm_parser *p)
{
    if (p->gave_up)
        return 0;
    p->recovering = true;
    yysymbol_kind_t la = yypcontext_token(ctx);
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0)
        return n;
    bool semi = expects(exp, n, YYTRANSLATE(';'));
    zdm_span end = {p->before.end, p->before.end};
    zdm_diag *d;
    if (semi && la == YYSYMBOL_YYEOF) {
        d = parse_error(p, ZDM_E_SEMI, end, "expected ';' at end of file");
        zdm_diag_hint(d, p->arena, "Every statement ends with ';'.");
        return 0;
    }
    if (semi && is_stmt_keyword(p->prev)) {
        unsigned line, col;
        zdm_source_linecol(p->src, p->stmt_start.start, &line, &col);
        d = parse_error(p, ZDM_E_SEMI, end,
                        "expected ';' after the statement that starts on line %u", line);
        zdm_diag_hint(d, p->arena, "Every statement ends with ';'.");
        return 0;
    }
    d = parse_error(p, ZDM_E_SYNTAX, *yypcontext_location(ctx), "unexpected %s%s",
                    describe(p, la), expected_list(p, exp, n));
    syntax_hint(p, d, la, exp, n);
    return 0;
}

/* ---- entry point ------------------------------------------------------------------- */

ast_file *zdm_parse(zdm_arena *a, zdm_diags *diags, const zdm_source *src)
{
    zdm_parser p = {0};
    p.arena = a;
    p.diags = diags;
    p.src = src;
    p.file = ZDM_NEW(a, ast_file);
    p.file->src = src;
    p.prev = p.prev2 = T_YYEOF;
    lex_open(&p);
    zdm_yyparse(&p);
    lex_close(&p);
    return p.file;
}
