/*
 * lower_util.c - dialect-independent lowering helpers (lower_util.h).
 */
#include "lower_util.h"

#include <string.h>

const char *zdm_lower_value_01(zdm_lower_ctx *cx, const zdm_value *v)
{
    switch (v->kind) {
    case ZDM_V_NUMBER: return v->text;
    case ZDM_V_STRING: return zdm_sqlf_str(cx->arena, cx->dialect, "%L", v->text);
    case ZDM_V_BOOL: return v->b ? "1" : "0";
    case ZDM_V_NULL: return "NULL";
    case ZDM_V_RAW: break;
    }
    return zdm_value_raw_for(v, cx->dialect->family);
}

const char *zdm_lower_fill_expr(zdm_lower_ctx *cx, zdm_value_fn value, const zdm_name *t,
                                const char *col)
{
    const char *e = "NULL";
    for (size_t i = 0; i < cx->mig->ops.len; i++) {
        const zdm_op *o = cx->mig->ops.items[i];
        if (o->kind != ZDM_OP_BACKFILL || !zdm_name_eq(o->table, *t))
            continue;
        for (size_t k = 0; k < o->nsets; k++) {
            if (strcmp(o->sets[k].col, col) != 0)
                continue;
            const char *v = value(cx, o->sets[k].value);
            e = o->where ? zdm_sqlf_str(cx->arena, cx->dialect,
                                        "CASE WHEN coalesce(%R, 0) THEN %R ELSE %R END",
                                        value(cx, o->where), v, e)
                         : v;
        }
    }
    return e;
}

void zdm_lower_note_sqlite_options(zdm_lower_ctx *cx, const zdm_table *t)
{
    if (!t->strict && !t->without_rowid)
        return;
    bool both = t->strict && t->without_rowid;
    zdm_plan_note(cx->plan,
                  "Table %s is declared%s%s%s: SQLite-only table option%s with no counterpart "
                  "in %s (the server enforces column types, and tables have no rowid), so "
                  "not written here.",
                  zdm_name_str(cx->arena, t->name), t->strict ? " `strict`" : "",
                  both ? " and" : "", t->without_rowid ? " `without rowid`" : "",
                  both ? "s" : "", cx->target->canonical);
}
