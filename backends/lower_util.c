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
