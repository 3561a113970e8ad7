/*
 * sema_cons.c - constraints: checking their columns and references, and
 * naming unnamed ones exactly as PostgreSQL would, so that the generated SQL
 * creates the objects naive SQL would have created:
 *   primary key  <table>_pkey             (relation namespace: ChooseRelationName)
 *   unique       <table>_<c1>_<c2>_key    (relation namespace)
 *   foreign key  <table>_<c1>_<c2>_fkey   (constraint namespace: ChooseConstraintName)
 *   check        <table>_<col>_check when the expression mentions exactly one
 *                column of the table, else <table>_check (constraint namespace)
 * with makeObjectName's cut to 63 bytes (the longer part shortened first,
 * never inside a UTF-8 character) and the numbered retry (_key1, _check1...)
 * when the name is taken in the schema or earlier in the same statement.
 * Which columns a CHECK mentions is read lexically (zdm_raw_mentions).
 */
#include "sema_int.h"

#include <string.h>

#define NAMEDATALEN 64

/* pg_mbcliplen for UTF-8: the longest prefix of at most `limit` bytes that
 * does not end inside a character. */
static size_t clip_utf8(const char *s, size_t limit)
{
    size_t n = limit;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* PostgreSQL's makeObjectName(name1, name2, label). */
static const char *object_name(zdm_arena *a, const char *n1, const char *n2, const char *label)
{
    size_t l1 = strlen(n1), l2 = n2 ? strlen(n2) : 0;
    size_t overhead = (n2 ? 1 : 0) + strlen(label) + 1;
    size_t avail = NAMEDATALEN - 1 - overhead;
    while (l1 + l2 > avail) {
        if (l1 > l2)
            l1--;
        else
            l2--;
    }
    l1 = clip_utf8(n1, l1);
    if (n2)
        l2 = clip_utf8(n2, l2);
    if (n2)
        return zdm_sprintf(a, "%.*s_%.*s_%s", (int)l1, n1, (int)l2, n2, label);
    return zdm_sprintf(a, "%.*s_%s", (int)l1, n1, label);
}

/* PostgreSQL's ChooseIndexNameAddition: the columns joined by '_', stopping
 * once the text reaches NAMEDATALEN bytes. */
static const char *name_addition(zdm_arena *a, const char *const *cols, size_t n)
{
    zdm_buf b;
    zdm_buf_init(&b, a);
    for (size_t i = 0; i < n && b.len < NAMEDATALEN; i++) {
        if (i)
            zdm_buf_putc(&b, '_');
        size_t l = strlen(cols[i]);
        zdm_buf_put(&b, cols[i], l < NAMEDATALEN ? l : NAMEDATALEN - 1);
    }
    return n ? zdm_buf_cstr(&b) : NULL;
}

static bool in_list(const sema_names *l, const char *name)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i], name) == 0)
            return true;
    return false;
}

/* Is `name` taken in `schema`: as a relation (tables, indexes, the indexes of
 * primary keys and unique constraints), or as a constraint name. */
static bool name_in_use(sema *c, const char *schema, const char *name, bool relation)
{
    for (size_t i = 0; i < c->s->tables.len; i++) {
        const zdm_table *t = c->s->tables.items[i];
        if (!zdm_name_eq((zdm_name){t->name.schema, ""}, (zdm_name){schema, ""}))
            continue;
        if (relation && strcmp(t->name.name, name) == 0)
            return true;
        for (size_t j = 0; relation && j < t->nindexes; j++)
            if (strcmp(t->indexes[j]->name, name) == 0)
                return true;
        for (size_t j = 0; j < t->ncons; j++)
            if ((!relation || t->cons[j]->kind <= ZDM_CON_UNIQUE) &&
                strcmp(t->cons[j]->name, name) == 0)
                return true;
    }
    return false;
}

static const char *choose_name(sema *c, const zdm_table *t, const char *n2, const char *label,
                               bool relation, sema_names *taken)
{
    const char *name = object_name(c->a, t->name.name, n2, label);
    for (int pass = 1; in_list(taken, name) || name_in_use(c, t->name.schema, name, relation);
         pass++)
        name = object_name(c->a, t->name.name, n2, zdm_sprintf(c->a, "%s%d", label, pass));
    return name;
}

/* The one column a CHECK mentions, or NULL (none, or several). */
static const char *check_column(const zdm_table *t, const zdm_value *check)
{
    const char *found = NULL;
    for (size_t i = 0; i < t->ncols; i++)
        if (zdm_raw_mentions(check->text, t->cols[i]->name)) {
            if (found)
                return NULL;
            found = t->cols[i]->name;
        }
    return found;
}

static const char *default_name(sema *c, const zdm_table *t, const zdm_constraint *k,
                                sema_names *taken)
{
    switch (k->kind) {
    case ZDM_CON_PRIMARY:
        return choose_name(c, t, NULL, "pkey", true, taken);
    case ZDM_CON_UNIQUE:
        return choose_name(c, t, name_addition(c->a, k->cols, k->ncols), "key", true, taken);
    case ZDM_CON_FOREIGN:
        return choose_name(c, t, name_addition(c->a, k->cols, k->ncols), "fkey", false, taken);
    case ZDM_CON_CHECK:
        break;
    }
    return choose_name(c, t, check_column(t, k->check), "check", false, taken);
}

/* ---- checks ------------------------------------------------------------------ */

static bool columns_ok(sema *c, const zdm_table *t, const ast_ident_list *l)
{
    bool ok = true;
    for (size_t i = 0; i < l->len; i++) {
        if (!sema_column(c, t, &l->items[i])) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(l->items[j].name, l->items[i].name) == 0) {
                zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_DUP_LIST_COLUMN, c->src,
                                           l->items[i].span, "column \"%s\" listed twice",
                                           l->items[i].name);
                zdm_diag_note(g, c->a, l->items[j].span, "first listed here");
                ok = false;
            }
    }
    return ok;
}

static bool same_set(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        bool found = false;
        for (size_t j = 0; j < nb && !found; j++)
            found = strcmp(a[i], b[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* PostgreSQL: the referenced columns must carry a primary key or unique constraint. */
static bool has_unique_on(const zdm_table *r, const char *const *cols, size_t n)
{
    for (size_t i = 0; i < r->ncons; i++)
        if (r->cons[i]->kind <= ZDM_CON_UNIQUE &&
            same_set(r->cons[i]->cols, r->cons[i]->ncols, cols, n))
            return true;
    return false;
}

static const zdm_table *ref_table(sema *c, const zdm_table *t, const ast_ref *ref)
{
    if (zdm_name_eq(sema_name(&ref->table), t->name))
        return t; /* self-reference, possibly the table being created */
    return sema_table(c, &ref->table);
}

static bool ref_primary_key(sema *c, zdm_constraint *k, const zdm_table *r, const ast_ref *ref)
{
    const zdm_constraint *pk = zdm_table_primary_key(r);
    if (!pk) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_FK_NO_PK, c->src, ref->table.span,
                                   "table \"%s\" has no primary key to reference",
                                   zdm_name_str(c->a, r->name));
        zdm_diag_hint(g, c->a, "Name the referenced columns: references %s (col).",
                      zdm_name_str(c->a, r->name));
        return false;
    }
    k->ref_cols = pk->cols;
    k->nref_cols = pk->ncols;
    return true;
}

static bool foreign_ok(sema *c, const zdm_table *t, zdm_constraint *k, const ast_ref *ref)
{
    const zdm_table *r = ref_table(c, t, ref);
    if (!r)
        return false;
    k->ref_table = r->name;
    k->on_delete = ref->on_delete;
    k->on_update = ref->on_update;
    if (!ref->cols.len) {
        if (!ref_primary_key(c, k, r, ref))
            return false;
    } else {
        if (!columns_ok(c, r, &ref->cols))
            return false;
        k->ref_cols = sema_idents(c, &ref->cols);
        k->nref_cols = ref->cols.len;
    }
    if (k->nref_cols != k->ncols) {
        zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_FK_ARITY, c->src, ref->span,
                     "foreign key has %zu columns but references %zu", k->ncols, k->nref_cols);
        return false;
    }
    if (ref->cols.len && !has_unique_on(r, k->ref_cols, k->nref_cols)) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_FK_NO_UNIQUE, c->src, ref->span,
                                   "no primary key or unique constraint on the referenced "
                                   "columns of \"%s\"", zdm_name_str(c->a, r->name));
        zdm_diag_hint(g, c->a, "A foreign key must reference a primary key or unique "
                               "constraint; add one on those columns first.");
        return false;
    }
    return true;
}

static bool given_name_ok(sema *c, const zdm_table *t, const ast_constraint *ac,
                          sema_names *taken)
{
    const char *name = ac->name.name;
    if (in_list(taken, name) || zdm_table_constraint(t, name)) {
        zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_DUP_CONSTRAINT, c->src, ac->name.span,
                     "constraint \"%s\" already exists on table \"%s\"", name,
                     zdm_name_str(c->a, t->name));
        return false;
    }
    if (ac->kind == AST_CON_PRIMARY || ac->kind == AST_CON_UNIQUE)
        return !sema_relation_taken(c, (zdm_name){t->name.schema, name}, ac->name.span);
    return true;
}

static bool second_primary_key(sema *c, const zdm_table *t, zdm_span at)
{
    const zdm_constraint *pk = zdm_table_primary_key(t);
    if (!pk)
        return false;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_TWO_PRIMARY_KEYS, c->src, at,
                               "table \"%s\" already has a primary key \"%s\"",
                               zdm_name_str(c->a, t->name), pk->name);
    zdm_diag_hint(g, c->a, "A table has at most one primary key; use a unique constraint, "
                           "or drop the primary key first.");
    return true;
}

zdm_constraint *sema_constraint(sema *c, const zdm_table *t, const ast_constraint *ac,
                                sema_names *taken)
{
    static const zdm_con_kind kinds[] = {ZDM_CON_PRIMARY, ZDM_CON_UNIQUE, ZDM_CON_FOREIGN,
                                         ZDM_CON_CHECK};
    zdm_constraint *k = ZDM_NEW(c->a, zdm_constraint);
    k->kind = kinds[ac->kind];
    if (k->kind == ZDM_CON_PRIMARY && second_primary_key(c, t, ac->span))
        return NULL;
    if (k->kind == ZDM_CON_CHECK) {
        k->check = sema_value(c, ac->check);
    } else {
        if (!columns_ok(c, t, &ac->cols))
            return NULL;
        k->cols = sema_idents(c, &ac->cols);
        k->ncols = ac->cols.len;
    }
    if (k->kind == ZDM_CON_FOREIGN && !foreign_ok(c, t, k, ac->ref))
        return NULL;
    if (ac->name.name && !given_name_ok(c, t, ac, taken))
        return NULL;
    k->name_given = ac->name.name != NULL;
    k->name = k->name_given ? ac->name.name : default_name(c, t, k, taken);
    zdm_vec_push(c->a, taken, k->name);
    return k;
}

zdm_constraint *sema_col_constraint(sema *c, const zdm_table *t, const ast_coldef *cd,
                                    ast_con_kind kind, sema_names *taken)
{
    ast_constraint ac = {.kind = kind, .ref = cd->ref, .check = cd->check};
    zdm_vec_push(c->a, &ac.cols, cd->name);
    ac.span = kind == AST_CON_PRIMARY ? cd->pk_span
            : kind == AST_CON_UNIQUE  ? cd->unique_span
            : kind == AST_CON_FOREIGN ? cd->ref->span
                                      : cd->check->span;
    return sema_constraint(c, t, &ac, taken);
}
