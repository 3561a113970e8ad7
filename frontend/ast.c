/*
 * ast.c - constructors of the syntax tree, called from the grammar actions in
 * parser.y. Each builds one node in the arena and checks only what syntax
 * alone can tell (a column option given twice, a type with the wrong number of
 * parameters, an unknown dialect name); meaning is sema.c's business.
 *
 * Lists are built left-recursively: a NULL list means "new list".
 */
#include "parse_int.h"

#include <stdlib.h>
#include <string.h>

ast_ident ast_ident_make(const char *name, bool quoted, zdm_span at)
{
    return (ast_ident){.name = name, .quoted = quoted, .span = at};
}

ast_qname ast_qname_make(ast_ident schema, ast_ident name, zdm_span at)
{
    return (ast_qname){.schema = schema, .name = name, .span = at};
}

ast_ident_list *ast_ident_list_new(zdm_parser *p, ast_ident first)
{
    return ast_ident_list_add(p, NULL, first);
}

ast_ident_list *ast_ident_list_add(zdm_parser *p, ast_ident_list *l, ast_ident id)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_ident_list);
    zdm_vec_push(p->arena, l, id);
    return l;
}

/* ---- values --------------------------------------------------------------------- */

ast_expr *ast_lit(zdm_parser *p, ast_expr_kind kind, const char *text, zdm_span at)
{
    ast_expr *e = ZDM_NEW(p->arena, ast_expr);
    e->kind = kind;
    e->text = text;
    e->span = at;
    return e;
}

ast_expr *ast_raw(zdm_parser *p, const char *text, zdm_span at)
{
    return ast_lit(p, AST_RAW, text, at);
}

static const char *const families[] = {"postgres", "mysql", "sqlite"};

ast_expr *ast_raw_variant(zdm_parser *p, ast_expr *e, ast_ident family, const char *text,
                          zdm_span at)
{
    const char *fam = NULL;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(family.name, families[i]) == 0)
            fam = families[i];
    if (!fam) {
        zdm_diag *d = parse_error(p, ZDM_E_DIALECT, family.span, "unknown dialect '%s'",
                                  family.name);
        zdm_diag_hint(d, p->arena, "A variant is introduced by postgres, mysql (which also "
                                   "covers MariaDB) or sqlite.");
        return e;
    }
    for (size_t i = 0; i < e->variants.len; i++) {
        if (strcmp(e->variants.items[i].family, fam) == 0) {
            zdm_diag *d = parse_error(p, ZDM_E_DUP_CLAUSE, family.span,
                                      "a second '%s' variant of the same fragment", fam);
            zdm_diag_note(d, p->arena, e->variants.items[i].span, "the first one is here");
            return e;
        }
    }
    ast_variant v = {.family = fam, .text = text, .span = at};
    zdm_vec_push(p->arena, &e->variants, v);
    e->span.end = at.end;
    return e;
}

/* 40M -> 4e7. The lexer guarantees digits, an optional fraction and at most a
 * one-letter suffix. */
ast_count ast_count_make(zdm_parser *p, const char *text, zdm_span at)
{
    ast_count c = {.text = text, .span = at};
    char *end;
    c.value = strtod(text, &end);
    switch (*end) {
    case 'k': case 'K': c.value *= 1e3; break;
    case 'm': case 'M': c.value *= 1e6; break;
    case 'b': case 'B': c.value *= 1e9; break;
    default: break;
    }
    if (c.value > 1e15) {
        zdm_diag *d = parse_error(p, ZDM_E_NUMBER, at, "count '%s' is too large", text);
        zdm_diag_hint(d, p->arena, "Counts go up to a quadrillion (1e15).");
    }
    return c;
}

/* ---- types -------------------------------------------------------------------------- */

typedef enum { ARGS_NONE, ARGS_ONE, ARGS_TWO } targs_allowed;

static const struct alias {
    const char *name;
    zdm_type_kind kind;
    bool serial;
    targs_allowed args;
} aliases[] = {
    {"boolean", ZDM_TY_BOOLEAN, false, ARGS_NONE}, {"bool", ZDM_TY_BOOLEAN, false, ARGS_NONE},
    {"smallint", ZDM_TY_SMALLINT, false, ARGS_NONE}, {"int2", ZDM_TY_SMALLINT, false, ARGS_NONE},
    {"int", ZDM_TY_INT, false, ARGS_NONE}, {"integer", ZDM_TY_INT, false, ARGS_NONE},
    {"int4", ZDM_TY_INT, false, ARGS_NONE}, {"bigint", ZDM_TY_BIGINT, false, ARGS_NONE},
    {"int8", ZDM_TY_BIGINT, false, ARGS_NONE}, {"smallserial", ZDM_TY_SMALLINT, true, ARGS_NONE},
    {"serial", ZDM_TY_INT, true, ARGS_NONE}, {"bigserial", ZDM_TY_BIGINT, true, ARGS_NONE},
    {"real", ZDM_TY_REAL, false, ARGS_NONE}, {"float4", ZDM_TY_REAL, false, ARGS_NONE},
    {"double", ZDM_TY_DOUBLE, false, ARGS_NONE}, {"float8", ZDM_TY_DOUBLE, false, ARGS_NONE},
    {"numeric", ZDM_TY_NUMERIC, false, ARGS_TWO}, {"decimal", ZDM_TY_NUMERIC, false, ARGS_TWO},
    {"text", ZDM_TY_TEXT, false, ARGS_NONE}, {"varchar", ZDM_TY_VARCHAR, false, ARGS_ONE},
    {"char", ZDM_TY_CHAR, false, ARGS_ONE}, {"character", ZDM_TY_CHAR, false, ARGS_ONE},
    {"bytes", ZDM_TY_BYTES, false, ARGS_NONE}, {"bytea", ZDM_TY_BYTES, false, ARGS_NONE},
    {"blob", ZDM_TY_BYTES, false, ARGS_NONE}, {"date", ZDM_TY_DATE, false, ARGS_NONE},
    {"time", ZDM_TY_TIME, false, ARGS_ONE}, {"timestamp", ZDM_TY_TIMESTAMP, false, ARGS_ONE},
    {"timestamptz", ZDM_TY_TIMESTAMPTZ, false, ARGS_ONE}, {"uuid", ZDM_TY_UUID, false, ARGS_NONE},
    {"json", ZDM_TY_JSON, false, ARGS_NONE}, {"jsonb", ZDM_TY_JSONB, false, ARGS_NONE},
};

static const struct alias *find_alias(const char *name)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(aliases[i].name, name) == 0)
            return &aliases[i];
    return NULL;
}

ast_targ_list *ast_targ_list_add(zdm_parser *p, ast_targ_list *l, ast_targ_kind kind, const char *text,
                                 zdm_span at)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_targ_list);
    ast_targ t = {.kind = kind, .text = text, .span = at};
    zdm_vec_push(p->arena, l, t);
    return l;
}

/* Reads a length/precision argument into *out; false (with an error) when it
 * is not a small non-negative integer. */
static bool int_arg(zdm_parser *p, const ast_targ *t, int32_t *out)
{
    const char *s = t->text;
    bool ok = t->kind == TARG_NUMBER && *s && strlen(s) <= 9;
    for (const char *c = s; ok && *c; c++)
        ok = *c >= '0' && *c <= '9';
    if (!ok) {
        zdm_diag *d = parse_error(p, ZDM_E_TYPE_ARGS, t->span,
                                  "type parameter must be a whole number");
        zdm_diag_hint(d, p->arena, "Write a length or precision such as varchar(255) or "
                                   "numeric(12,2).");
        return false;
    }
    *out = (int32_t)atol(s);
    return true;
}

/* Checks the arguments of a portable type against what it takes. */
static void portable_args(zdm_parser *p, ast_type *t, const struct alias *al,
                          const ast_type_tail *tail)
{
    if (!tail->args)
        return;
    size_t n = tail->args->len;
    size_t max = al->args == ARGS_TWO ? 2 : al->args == ARGS_ONE ? 1 : 0;
    if (n > max) {
        zdm_diag *d;
        if (max == 0) {
            d = parse_error(p, ZDM_E_TYPE_ARGS, tail->args_span, "type '%s' takes no parameters",
                            t->name);
            zdm_diag_hint(d, p->arena, "Remove the parentheses; display widths such as int(11) "
                                       "are not portable.");
        } else {
            d = parse_error(p, ZDM_E_TYPE_ARGS, tail->args_span,
                            "type '%s' takes at most %zu parameter%s", t->name, max,
                            max == 1 ? "" : "s");
        }
        return;
    }
    if (n >= 1)
        int_arg(p, &tail->args->items[0], &t->p);
    if (n >= 2)
        int_arg(p, &tail->args->items[1], &t->s);
}

/* Applies "with[out] time zone" (tail->tz: 1 with, -1 without, 2 misspelt). */
static void time_zone(zdm_parser *p, ast_type *t, const ast_type_tail *tail)
{
    if (tail->tz == 0)
        return;
    if (tail->tz == 2) {
        parse_error(p, ZDM_E_TYPE_NAME, tail->tz_span, "expected 'with time zone' or 'without time zone'");
        return;
    }
    if (t->kind == ZDM_TY_TIMESTAMP) {
        t->kind = tail->tz > 0 ? ZDM_TY_TIMESTAMPTZ : ZDM_TY_TIMESTAMP;
    } else if (t->kind == ZDM_TY_TIME && tail->tz > 0) {
        t->kind = ZDM_TY_OTHER; /* timetz: not portable, passed through as written */
        t->name = t->p >= 0 ? zdm_sprintf(p->arena, "time(%d) with time zone", (int)t->p)
                            : "time with time zone";
        t->p = -1;
    } else if (t->kind != ZDM_TY_TIME) {
        zdm_diag *d = parse_error(p, ZDM_E_TYPE_NAME, tail->tz_span,
                                  "'%s time zone' applies only to timestamp and time",
                                  tail->tz > 0 ? "with" : "without");
        zdm_diag_hint(d, p->arena, "Remove it, or use timestamptz.");
        return;
    }
    if (t->kind != ZDM_TY_OTHER)
        t->name = zdm_type_kind_name(t->kind);
}

/* `name`, `schema.name`, `double precision`, `character varying`: the portable
 * kind and name; any other name is ZDM_TY_OTHER with its arguments verbatim. */
ast_type ast_type_make(zdm_parser *p, ast_ident name, const char *second, ast_type_tail tail,
                       bool array, zdm_span at)
{
    ast_type t = {.kind = ZDM_TY_OTHER, .p = -1, .s = -1, .array = array, .span = at};
    const char *n = name.name;
    if (second && strcmp(second, "precision") == 0)
        n = strcmp(n, "double") == 0 && !name.quoted ? "float8" : NULL;
    else if (second && strcmp(second, "varying") == 0)
        n = (strcmp(n, "character") == 0 || strcmp(n, "char") == 0) && !name.quoted
                ? "varchar" : NULL;
    else if (second) /* schema-qualified: always passed through */
        n = NULL;
    const struct alias *al = n && !name.quoted ? find_alias(n) : NULL;
    if (!al && (second && (strcmp(second, "precision") == 0 || strcmp(second, "varying") == 0))) {
        zdm_diag *d = parse_error(p, ZDM_E_TYPE_NAME, at, "unknown type '%s %s'", name.name, second);
        zdm_diag_hint(d, p->arena, "Did you mean double precision or character varying?");
        return t;
    }
    if (al) {
        t.kind = al->kind;
        t.serial = al->serial;
        t.name = zdm_type_kind_name(al->kind);
        portable_args(p, &t, al, &tail);
        time_zone(p, &t, &tail);
        return t;
    }
    /* Passed through as written: a quoted name keeps its quotes. */
    zdm_span name_span = {at.start, name.span.end};
    t.name = name.quoted || second ? parse_text(p, name_span) : name.name;
    if (tail.args)
        t.args = parse_text(p, tail.args_span);
    if (tail.tz) {
        zdm_diag *d = parse_error(p, ZDM_E_TYPE_NAME, tail.tz_span,
                                  "'time zone' applies only to timestamp and time");
        zdm_diag_hint(d, p->arena, "Remove it, or use timestamptz.");
    }
    return t;
}

/* ---- columns and constraints ------------------------------------------------------ */

ast_ref *ast_ref_new(zdm_parser *p, ast_qname table, ast_ident_list *cols, zdm_span at)
{
    ast_ref *r = ZDM_NEW(p->arena, ast_ref);
    r->table = table;
    if (cols)
        r->cols = *cols;
    r->span = at;
    return r;
}

ast_ref *ast_ref_action(zdm_parser *p, ast_ref *r, bool on_delete, zdm_fk_action act,
                        zdm_span at)
{
    zdm_fk_action *slot = on_delete ? &r->on_delete : &r->on_update;
    if (*slot != ZDM_FK_UNSPECIFIED) {
        zdm_diag *d = parse_error(p, ZDM_E_DUP_CLAUSE, at, "'on %s' is given twice",
                                  on_delete ? "delete" : "update");
        zdm_diag_hint(d, p->arena, "Keep one of them.");
    }
    *slot = act;
    r->span.end = at.end;
    return r;
}

ast_colopt_list *ast_colopt_add(zdm_parser *p, ast_colopt_list *l, ast_colopt_kind kind,
                                ast_expr *e, ast_ref *ref, zdm_span at)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_colopt_list);
    ast_colopt o = {.kind = kind, .expr = e, .ref = ref, .span = at};
    zdm_vec_push(p->arena, l, o);
    return l;
}

ast_colopt_list *ast_colopt_collate(zdm_parser *p, ast_colopt_list *l, ast_ident name,
                                    zdm_span at)
{
    l = ast_colopt_add(p, l, COLOPT_COLLATE, NULL, NULL, at);
    l->items[l->len - 1].ident = name;
    return l;
}

ast_topts ast_topt_add(zdm_parser *p, ast_topts o, ast_topt_kind kind, zdm_span at)
{
    bool *on = kind == AST_TOPT_STRICT ? &o.strict : &o.without_rowid;
    zdm_span *span = kind == AST_TOPT_STRICT ? &o.strict_span : &o.without_rowid_span;
    if (*on) {
        zdm_diag *d = parse_error(p, ZDM_E_DUP_OPTION, at, "'%s' is given twice",
                                  kind == AST_TOPT_STRICT ? "strict" : "without rowid");
        zdm_diag_note(d, p->arena, *span, "the first one is here");
        return o;
    }
    *on = true;
    *span = at;
    return o;
}

static const char *colopt_name(ast_colopt_kind k)
{
    switch (k) {
    case COLOPT_NOT_NULL: return "not null";
    case COLOPT_NULL: return "null";
    case COLOPT_DEFAULT: return "default";
    case COLOPT_PK: return "primary key";
    case COLOPT_UNIQUE: return "unique";
    case COLOPT_REFERENCES: return "references";
    case COLOPT_CHECK: return "check";
    case COLOPT_IDENTITY_ALWAYS: return "generated always as identity";
    case COLOPT_IDENTITY_BY_DEFAULT: return "generated by default as identity";
    case COLOPT_COLLATE: return "collate";
    case COLOPT_AUTOINCREMENT: return "autoincrement";
    }
    return "?";
}

/* Which options may not appear together: same "slot" means conflict. */
static int colopt_slot(ast_colopt_kind k)
{
    switch (k) {
    case COLOPT_NOT_NULL: case COLOPT_NULL: return 0;
    case COLOPT_IDENTITY_ALWAYS: case COLOPT_IDENTITY_BY_DEFAULT: return 1;
    default: return 2 + (int)k;
    }
}

static void apply_colopt(ast_coldef *c, const ast_colopt *o)
{
    switch (o->kind) {
    case COLOPT_NOT_NULL: c->null = ZDM_NULL_NOT_NULL; c->null_span = o->span; break;
    case COLOPT_NULL: c->null = ZDM_NULL_NULL; c->null_span = o->span; break;
    case COLOPT_DEFAULT: c->def = o->expr; break;
    case COLOPT_PK: c->pk = true; c->pk_span = o->span; break;
    case COLOPT_UNIQUE: c->unique = true; c->unique_span = o->span; break;
    case COLOPT_REFERENCES: c->ref = o->ref; break;
    case COLOPT_CHECK: c->check = o->expr; break;
    case COLOPT_IDENTITY_ALWAYS:
        c->identity = ZDM_IDENTITY_ALWAYS; c->identity_span = o->span; break;
    case COLOPT_IDENTITY_BY_DEFAULT:
        c->identity = ZDM_IDENTITY_BY_DEFAULT; c->identity_span = o->span; break;
    case COLOPT_COLLATE: c->collate = o->ident; c->collate.span = o->span; break;
    case COLOPT_AUTOINCREMENT: c->autoinc = true; c->autoinc_span = o->span; break;
    }
}

ast_coldef *ast_coldef_new(zdm_parser *p, ast_ident name, ast_type type,
                           ast_colopt_list *opts, zdm_span at)
{
    ast_coldef *c = ZDM_NEW(p->arena, ast_coldef);
    c->name = name;
    c->type = type;
    c->span = at;
    size_t n = opts ? opts->len : 0;
    for (size_t i = 0; i < n; i++) {
        const ast_colopt *o = &opts->items[i];
        const ast_colopt *clash = NULL;
        for (size_t j = 0; j < i && !clash; j++)
            if (colopt_slot(opts->items[j].kind) == colopt_slot(o->kind))
                clash = &opts->items[j];
        if (clash) {
            zdm_diag *d = clash->kind == o->kind
                ? parse_error(p, ZDM_E_DUP_OPTION, o->span, "'%s' is given twice",
                              colopt_name(o->kind))
                : parse_error(p, ZDM_E_DUP_OPTION, o->span, "'%s' contradicts '%s'",
                              colopt_name(o->kind), colopt_name(clash->kind));
            zdm_diag_note(d, p->arena, clash->span, "the first one is here");
            continue;
        }
        apply_colopt(c, o);
    }
    return c;
}

ast_constraint *ast_constraint_new(zdm_parser *p, ast_con_kind kind, ast_ident_list *cols,
                                   ast_ref *ref, ast_expr *check, zdm_span at)
{
    ast_constraint *c = ZDM_NEW(p->arena, ast_constraint);
    c->kind = kind;
    if (cols)
        c->cols = *cols;
    c->ref = ref;
    c->check = check;
    c->span = at;
    return c;
}

ast_constraint *ast_constraint_named(ast_constraint *c, ast_ident name, zdm_span at)
{
    c->name = name;
    c->span = at;
    return c;
}

/* ---- lists ------------------------------------------------------------------------- */

ast_telem_list *ast_telem_add(zdm_parser *p, ast_telem_list *l, ast_coldef *col,
                              ast_constraint *con)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_telem_list);
    ast_table_elem e = {.col = col, .con = con};
    zdm_vec_push(p->arena, l, e);
    return l;
}

ast_elem_list *ast_elem_add(zdm_parser *p, ast_elem_list *l, ast_ident col, ast_expr *e,
                            zdm_order order, zdm_span at)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_elem_list);
    ast_index_elem el = {.col = col, .expr = e, .order = order, .span = at};
    zdm_vec_push(p->arena, l, el);
    return l;
}

ast_set_list *ast_set_add(zdm_parser *p, ast_set_list *l, ast_ident col, ast_expr *e,
                          zdm_span at)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_set_list);
    ast_set_item it = {.col = col, .value = e, .span = at};
    zdm_vec_push(p->arena, l, it);
    return l;
}

ast_expr_list *ast_expr_list_add(zdm_parser *p, ast_expr_list *l, ast_expr *e)
{
    if (!l)
        l = ZDM_NEW(p->arena, ast_expr_list);
    zdm_vec_push(p->arena, l, e);
    return l;
}

/* ---- alter table ---------------------------------------------------------------------- */

ast_alter *ast_alter_new(zdm_parser *p, ast_alter_kind kind, ast_ident col, zdm_span at)
{
    ast_alter *a = ZDM_NEW(p->arena, ast_alter);
    a->kind = kind;
    a->col = col;
    a->span = at;
    return a;
}

ast_alter *ast_alter_type(zdm_parser *p, ast_alter *a, ast_type type)
{
    (void)p;
    a->type = type;
    return a;
}

ast_alter *ast_alter_conv(zdm_parser *p, ast_alter *a, bool revert, ast_expr *e, zdm_span at)
{
    ast_expr **slot = revert ? &a->revert : &a->using_;
    if (*slot) {
        zdm_diag *d = parse_error(p, ZDM_E_DUP_CLAUSE, at, "'%s' is given twice",
                                  revert ? "revert" : "using");
        zdm_diag_note(d, p->arena, (*slot)->span, "the first one is here");
        return a;
    }
    *slot = e;
    a->span.end = at.end;
    return a;
}

/* ---- statements ------------------------------------------------------------------------ */

ast_stmt *ast_stmt_new(zdm_parser *p, ast_stmt_kind kind, zdm_span at)
{
    ast_stmt *s = ZDM_NEW(p->arena, ast_stmt);
    s->kind = kind;
    s->span = at;
    return s;
}

/* Durations in milliseconds; numbers with their K/M/B suffix applied. */
ast_stmt *ast_setting_new(zdm_parser *p, ast_ident name, ast_setv_kind kind, const char *text,
                          zdm_span vspan, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_SET, at);
    ast_setting *st = &s->u.set;
    st->name = name;
    st->kind = kind;
    st->text = text;
    st->value_span = vspan;
    if (kind == AST_SETV_NUMBER) {
        st->value = ast_count_make(p, text, vspan).value;
    } else if (kind == AST_SETV_DURATION) {
        char *end;
        double v = strtod(text, &end);
        zdm_str unit = {end, strlen(end)};
        st->value = zdm_str_ieq(unit, "ms") ? v : zdm_str_ieq(unit, "s") ? v * 1e3
                  : zdm_str_ieq(unit, "min") ? v * 60e3 : v * 3600e3;
    }
    return s;
}

ast_stmt *ast_alter_table(zdm_parser *p, ast_qname table, ast_alter *a, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_ALTER_TABLE, at);
    s->u.alter_table.table = table;
    s->u.alter_table.action = *a;
    return s;
}

ast_stmt *ast_create_table(zdm_parser *p, ast_qname table, ast_telem_list *elems, ast_topts opts,
                           zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_CREATE_TABLE, at);
    s->u.create_table.table = table;
    s->u.create_table.opts = opts;
    s->u.create_table.elems.items = elems->items;
    s->u.create_table.elems.len = elems->len;
    s->u.create_table.elems.cap = elems->cap;
    return s;
}

ast_stmt *ast_create_index(zdm_parser *p, bool unique, ast_ident name, ast_qname table,
                           ast_elem_list *elems, ast_expr *where, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_CREATE_INDEX, at);
    s->u.create_index.unique = unique;
    s->u.create_index.name = name;
    s->u.create_index.table = table;
    s->u.create_index.elems.items = elems->items;
    s->u.create_index.elems.len = elems->len;
    s->u.create_index.elems.cap = elems->cap;
    s->u.create_index.where = where;
    return s;
}

ast_stmt *ast_backfill(zdm_parser *p, ast_qname table, ast_set_list *sets, ast_expr *where,
                       ast_count *batch, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_BACKFILL, at);
    s->u.backfill.table = table;
    s->u.backfill.sets.items = sets->items;
    s->u.backfill.sets.len = sets->len;
    s->u.backfill.sets.cap = sets->cap;
    s->u.backfill.where = where;
    s->u.backfill.batch = batch;
    return s;
}

ast_stmt *ast_create_enum(zdm_parser *p, ast_qname name, ast_expr_list *labels, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_CREATE_ENUM, at);
    s->u.create_enum.name = name;
    for (size_t i = 0; i < labels->len; i++)
        zdm_vec_push(p->arena, &s->u.create_enum.labels, *labels->items[i]);
    return s;
}

ast_stmt *ast_alter_enum(zdm_parser *p, ast_qname name, ast_expr *value, ast_enum_pos pos,
                         ast_expr *anchor, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_ALTER_ENUM, at);
    s->u.alter_enum.name = name;
    s->u.alter_enum.value = *value;
    s->u.alter_enum.pos = pos;
    if (anchor)
        s->u.alter_enum.anchor = *anchor;
    return s;
}

ast_stmt *ast_execute(zdm_parser *p, ast_expr *sql, ast_expr *revert, zdm_span at)
{
    ast_stmt *s = ast_stmt_new(p, AST_EXECUTE, at);
    s->u.execute.sql = sql;
    s->u.execute.revert = revert;
    s->u.execute.irreversible = revert == NULL;
    return s;
}

void ast_file_add(zdm_parser *p, ast_stmt *s, zdm_span with_semi)
{
    s->span = with_semi;
    zdm_vec_push(p->arena, &p->file->stmts, s);
}

void ast_comment_add(zdm_parser *p, zdm_span at)
{
    ast_comment c = {.text = parse_text(p, at), .span = at};
    zdm_vec_push(p->arena, &p->file->comments, c);
}
