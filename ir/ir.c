/*
 * ir.c - the small IR helpers that are not the schema model: names, values,
 * column types, the vocabularies of kinds.h and the op table generated from
 * ops.def. Pure functions; anything returned lives in the caller's arena or is
 * static text.
 */
#include "ir.h"

#include <string.h>

/* The default schema is spelled NULL; "public" is PostgreSQL's default schema
 * and users write both, so the two compare equal (sema also folds "public" to
 * NULL when it resolves a name). */
static const char *schema_norm(const char *s)
{
    return (s && strcmp(s, "public") == 0) ? NULL : s;
}

static bool str_eq_null(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool zdm_name_eq(zdm_name a, zdm_name b)
{
    return str_eq_null(a.name, b.name) &&
           str_eq_null(schema_norm(a.schema), schema_norm(b.schema));
}

const char *zdm_name_str(zdm_arena *a, zdm_name n)
{
    if (n.schema)
        return zdm_sprintf(a, "%s.%s", n.schema, n.name);
    return n.name;
}

/* ---- values ------------------------------------------------------------ */

const char *zdm_value_raw_for(const zdm_value *v, const char *family)
{
    if (!v || v->kind != ZDM_V_RAW)
        return NULL;
    for (size_t i = 0; family && i < v->nvariants; i++)
        if (strcmp(v->variants[i].family, family) == 0)
            return v->variants[i].text;
    return v->text;
}

const char *zdm_value_inner_for(zdm_arena *a, const zdm_value *v, const char *family)
{
    const char *raw = zdm_value_raw_for(v, family);
    if (!raw)
        return NULL;
    size_t n = strlen(raw);
    if (n >= 2 && raw[0] == '(' && raw[n - 1] == ')')
        return zdm_strndup(a, raw + 1, n - 2);
    return raw;
}

bool zdm_value_eq(const zdm_value *a, const zdm_value *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->b != b->b || !str_eq_null(a->text, b->text) ||
        a->nvariants != b->nvariants)
        return false;
    for (size_t i = 0; i < a->nvariants; i++)
        if (strcmp(a->variants[i].family, b->variants[i].family) != 0 ||
            strcmp(a->variants[i].text, b->variants[i].text) != 0)
            return false;
    return true;
}

/* ---- column types ---------------------------------------------------------- */

bool zdm_coltype_eq(const zdm_coltype *a, const zdm_coltype *b)
{
    if (a->kind != b->kind || a->p != b->p || a->s != b->s || a->array != b->array)
        return false;
    if (a->kind == ZDM_TY_OTHER && !(a->name && b->name && zdm_ieq(a->name, b->name)))
        return false;
    return str_eq_null(a->args, b->args);
}

const char *zdm_coltype_str(zdm_arena *a, const zdm_coltype *t)
{
    const char *name = t->name ? t->name : zdm_type_kind_name(t->kind);
    zdm_buf b;
    zdm_buf_init(&b, a);
    zdm_buf_puts(&b, name ? name : "?");
    if (t->args)
        zdm_buf_puts(&b, t->args);
    else if (t->p >= 0 && t->s >= 0)
        zdm_buf_printf(&b, "(%d,%d)", (int)t->p, (int)t->s);
    else if (t->p >= 0)
        zdm_buf_printf(&b, "(%d)", (int)t->p);
    if (t->array)
        zdm_buf_puts(&b, "[]");
    return zdm_buf_cstr(&b);
}

/* ---- vocabularies --------------------------------------------------------------- */

const char *zdm_type_kind_name(zdm_type_kind k)
{
    static const char *const names[] = {
#define X(kind, s) s,
        ZDM_TYPE_KINDS(X)
#undef X
    };
    if ((size_t)k >= sizeof names / sizeof names[0])
        return NULL;
    return names[k];
}

const char *zdm_fk_action_name(zdm_fk_action a)
{
    switch (a) {
    case ZDM_FK_CASCADE: return "cascade";
    case ZDM_FK_SET_NULL: return "set null";
    case ZDM_FK_SET_DEFAULT: return "set default";
    case ZDM_FK_RESTRICT: return "restrict";
    case ZDM_FK_NO_ACTION: return "no action";
    case ZDM_FK_UNSPECIFIED: break;
    }
    return NULL;
}

static const struct {
    const char *name;
    bool destructive;
} op_info[] = {
#define ZDM_OP(e, name, destructive, fields) {name, destructive},
#include "ops.def"
#undef ZDM_OP
};

const char *zdm_op_name(zdm_op_kind k)
{
    return (size_t)k < ZDM_OP__COUNT ? op_info[k].name : "?";
}

bool zdm_op_destructive(zdm_op_kind k)
{
    return (size_t)k < ZDM_OP__COUNT && op_info[k].destructive;
}
