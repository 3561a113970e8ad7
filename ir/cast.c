/*
 * cast.c - the one table of type conversions zdm relies on: which portable
 * type changes the database converts by itself (`alter column ... type`
 * without `using`, and the reverse for the rollback without `revert`).
 *
 * The table follows PostgreSQL's assignment casts, the strictest of the
 * dialects (MySQL and SQLite convert more, never less):
 *   - numbers (smallint, int, bigint, real, double, numeric) convert among
 *     themselves; widening is SAFE, anything that can overflow or round is
 *     CHECKED;
 *   - every type converts to text; to varchar(n)/char(n) that is CHECKED
 *     (a value may be too long) unless the source is a no longer string;
 *   - text, varchar and char convert among themselves (same length rule);
 *   - date -> timestamp/timestamptz SAFE; timestamp <-> timestamptz CHECKED
 *     (depends on the session time zone); timestamp(tz) -> date/time CHECKED
 *     (drops a part); json <-> jsonb SAFE (jsonb -> json loses key order,
 *     never values);
 *   - the same type with different parameters (length, precision): SAFE when
 *     wider, CHECKED when narrower;
 *   - nothing converts FROM text (or to boolean, uuid, bytes, ...) by itself:
 *     that needs `using`. Other (pass-through) types convert only to the same
 *     type or to a string type.
 */
#include "ir.h"

static bool is_number(zdm_type_kind k)
{
    return k == ZDM_TY_SMALLINT || k == ZDM_TY_INT || k == ZDM_TY_BIGINT || k == ZDM_TY_REAL ||
           k == ZDM_TY_DOUBLE || k == ZDM_TY_NUMERIC;
}

static bool is_string(zdm_type_kind k)
{
    return k == ZDM_TY_TEXT || k == ZDM_TY_VARCHAR || k == ZDM_TY_CHAR;
}

/* Rank of the integer and float kinds by range; numeric is handled apart. */
static int number_rank(zdm_type_kind k)
{
    switch (k) {
    case ZDM_TY_SMALLINT: return 1;
    case ZDM_TY_INT: return 2;
    case ZDM_TY_BIGINT: return 3;
    case ZDM_TY_REAL: return 4;
    case ZDM_TY_DOUBLE: return 5;
    default: return 0;
    }
}

static zdm_cast number_cast(const zdm_coltype *f, const zdm_coltype *t)
{
    if (t->kind == ZDM_TY_NUMERIC) {
        if (t->p < 0) /* unconstrained numeric holds every int and float exactly */
            return ZDM_CAST_SAFE;
        if (f->kind == ZDM_TY_NUMERIC && f->p >= 0 && f->s >= 0 && t->s >= f->s &&
            t->p - t->s >= f->p - f->s)
            return ZDM_CAST_SAFE;
        return ZDM_CAST_CHECKED;
    }
    if (f->kind == ZDM_TY_NUMERIC)
        return ZDM_CAST_CHECKED; /* rounds, or overflows */
    int rf = number_rank(f->kind), rt = number_rank(t->kind);
    if (rt >= 4 && rf <= 2)
        return rt == 5 || rf == 1 ? ZDM_CAST_SAFE : ZDM_CAST_CHECKED; /* int -> real rounds */
    if (rt >= 4 && rf == 3)
        return ZDM_CAST_CHECKED; /* bigint -> float rounds */
    return rf <= rt ? ZDM_CAST_SAFE : ZDM_CAST_CHECKED;
}

/* A string of length p (-1: unbounded) fits a string type of length q. */
static zdm_cast length_cast(int32_t p, int32_t q)
{
    if (q < 0)
        return ZDM_CAST_SAFE;
    return p >= 0 && p <= q ? ZDM_CAST_SAFE : ZDM_CAST_CHECKED;
}

static zdm_cast time_cast(zdm_type_kind f, zdm_type_kind t)
{
    if (f == ZDM_TY_DATE && (t == ZDM_TY_TIMESTAMP || t == ZDM_TY_TIMESTAMPTZ))
        return ZDM_CAST_SAFE;
    if ((f == ZDM_TY_TIMESTAMP || f == ZDM_TY_TIMESTAMPTZ) &&
        (t == ZDM_TY_TIMESTAMP || t == ZDM_TY_TIMESTAMPTZ || t == ZDM_TY_DATE ||
         t == ZDM_TY_TIME))
        return ZDM_CAST_CHECKED;
    return ZDM_CAST_NONE;
}

static zdm_cast same_kind_cast(const zdm_coltype *f, const zdm_coltype *t)
{
    if (f->kind == ZDM_TY_OTHER)
        return zdm_coltype_eq(f, t) ? ZDM_CAST_SAFE : ZDM_CAST_CHECKED;
    if (is_string(f->kind))
        return length_cast(f->p, t->p);
    if (f->kind == ZDM_TY_NUMERIC)
        return number_cast(f, t);
    /* time(p), timestamp(p): fewer fractional digits round */
    return t->p < 0 || (f->p >= 0 && f->p <= t->p) ? ZDM_CAST_SAFE : ZDM_CAST_CHECKED;
}

zdm_cast zdm_cast_between(const zdm_coltype *f, const zdm_coltype *t)
{
    if (f->array != t->array) /* only an array's text form crosses over */
        return f->array && is_string(t->kind) ? length_cast(-1, t->p) : ZDM_CAST_NONE;
    if (f->kind == t->kind &&
        (f->kind != ZDM_TY_OTHER || (f->name && t->name && zdm_ieq(f->name, t->name))))
        return same_kind_cast(f, t);
    if (is_string(t->kind)) /* every type has a text form */
        return is_string(f->kind) ? length_cast(f->p, t->p) : length_cast(-1, t->p);
    if (is_number(f->kind) && is_number(t->kind))
        return number_cast(f, t);
    if ((f->kind == ZDM_TY_JSON && t->kind == ZDM_TY_JSONB) ||
        (f->kind == ZDM_TY_JSONB && t->kind == ZDM_TY_JSON))
        return ZDM_CAST_SAFE;
    return time_cast(f->kind, t->kind);
}
