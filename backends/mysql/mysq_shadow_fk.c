/*
 * mysq_shadow_fk.c - foreign keys around the shadow-table plan, the way
 * pt-online-schema-change's rebuild_constraints handles them, with one
 * difference: zdm keeps every constraint's name.
 *
 * Outgoing keys (the table references parents): InnoDB names foreign keys
 * per schema, so the shadow cannot carry them under their own names while
 * the original exists. It carries them as zdm_<name> (checked by the server
 * from the first copied row on) beside an index under the original key's
 * name, the one InnoDB created for it; the contract phase, once the original
 * is dropped, renames them back (drop and add, foreign_key_checks=0: in place,
 * no rows read).
 *
 * Incoming keys (children reference the table): RENAME TABLE moves a key's
 * reference with the table it names, so after the swap the children point at
 * zdm_old_T. Each child's key is pointed at the new table right after the
 * cut-over, and back at zdm_old_T by its rollback (before the swap back,
 * which carries it to T again). InnoDB refuses to drop and add a key of the
 * same name in one ALTER (error 1826, measured on MariaDB 10.11), and a new
 * name would change the schema: the key is dropped and added by two in-place
 * ALTERs a few milliseconds apart; a child row written between them is not
 * checked, which the orphan post-check reports.
 */
#include "mysq_int.h"

#include <string.h>

#define MYSQ_MAX_IDENT 64

const char *mysq_shadow_fk_name(zdm_lower_ctx *cx, const char *name)
{
    return zdm_sprintf(cx->arena, "zdm_%s", name);
}

static bool cols_lead(const char *const *have, size_t nhave, const char *const *want, size_t n)
{
    if (nhave < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(have[i], want[i]) != 0)
            return false;
    return true;
}

/* InnoDB creates an index for a foreign key unless one starts with its columns. */
static bool fk_has_index(const zdm_table *t, const zdm_constraint *k)
{
    for (size_t i = 0; i < t->ncons; i++) {
        const zdm_constraint *c = t->cons[i];
        if (c != k && c->kind != ZDM_CON_CHECK &&
            cols_lead(c->cols, c->ncols, k->cols, k->ncols))
            return true;
    }
    for (size_t i = 0; i < t->nindexes; i++) {
        const zdm_index *ix = t->indexes[i];
        if (ix->nelems < k->ncols)
            continue;
        size_t j = 0;
        while (j < k->ncols && ix->elems[j].col && strcmp(ix->elems[j].col, k->cols[j]) == 0)
            j++;
        if (j == k->ncols)
            return true;
    }
    return false;
}

static zdm_index *fk_index(zdm_lower_ctx *cx, const zdm_table *t, const zdm_constraint *k)
{
    zdm_index *ix = ZDM_NEW(cx->arena, zdm_index);
    zdm_index_elem *el = ZDM_NEW_ARRAY(cx->arena, zdm_index_elem, k->ncols);
    for (size_t i = 0; i < k->ncols; i++)
        el[i] = (zdm_index_elem){k->cols[i], NULL, ZDM_ORDER_DEFAULT};
    *ix = (zdm_index){k->name, t->name, false, el, k->ncols, NULL};
    return ix;
}

const zdm_table *mysq_shadow_shape(zdm_lower_ctx *cx, const zdm_table *after, const char *name)
{
    zdm_table *nt = ZDM_NEW(cx->arena, zdm_table);
    *nt = *after;
    nt->name.name = name;
    nt->cons = ZDM_NEW_ARRAY(cx->arena, zdm_constraint *, after->ncons + 1);
    nt->indexes = ZDM_NEW_ARRAY(cx->arena, zdm_index *, after->nindexes + after->ncons + 1);
    for (size_t i = 0; i < after->nindexes; i++)
        nt->indexes[i] = after->indexes[i];
    for (size_t i = 0; i < after->ncons; i++) {
        const zdm_constraint *k = after->cons[i];
        nt->cons[i] = (zdm_constraint *)k;
        if (k->kind != ZDM_CON_FOREIGN)
            continue;
        zdm_constraint *c = ZDM_NEW(cx->arena, zdm_constraint);
        *c = *k;
        c->name = mysq_shadow_fk_name(cx, k->name);
        nt->cons[i] = c;
        if (!fk_has_index(after, k))
            nt->indexes[nt->nindexes++] = fk_index(cx, after, k);
    }
    return nt;
}

const char *mysq_shadow_fk_why(zdm_lower_ctx *cx, const zdm_table *after)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < after->ncons; i++)
        if (after->cons[i]->kind == ZDM_CON_FOREIGN)
            zdm_buf_printf(&b, "%s%s", b.len ? ", " : "", after->cons[i]->name);
    if (!b.len)
        return "";
    return zdm_sprintf(cx->arena,
                       " Its foreign keys (%s) are checked from the first copied row, under "
                       "temporary names zdm_<name> (InnoDB names keys per database and the "
                       "original holds theirs) until the contract phase renames them back.",
                       zdm_buf_cstr(&b));
}

static bool has_col(const char *const *cols, size_t n, const char *col)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i], col) == 0)
            return true;
    return false;
}

/* A retyped column that a foreign key joins: InnoDB wants both sides of a
 * key of one type, so the shadow (or the child's key, after the swap) could
 * not be created. */
static const char *retyped_key(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *after)
{
    if (!op->col)
        return NULL;
    for (size_t i = 0; i < after->ncons; i++) {
        const zdm_constraint *k = after->cons[i];
        if (k->kind == ZDM_CON_FOREIGN && has_col(k->cols, k->ncols, op->col->name))
            return zdm_sprintf(cx->arena,
                               "column %s is in foreign key %s, whose columns must keep the "
                               "type of the parent's (drop the key first, add it back after)",
                               op->col->name, k->name);
    }
    const zdm_schema *sc = cx->mig->base;
    for (size_t i = 0; sc && i < sc->tables.len; i++) {
        const zdm_table *c = sc->tables.items[i];
        for (size_t j = 0; j < c->ncons; j++) {
            const zdm_constraint *k = c->cons[j];
            if (k->kind == ZDM_CON_FOREIGN && zdm_name_eq(k->ref_table, op->table) &&
                has_col(k->ref_cols, k->nref_cols, op->col->name))
                return zdm_sprintf(cx->arena,
                                   "foreign key %s of table %s references column %s, whose "
                                   "type would no longer match the child's (drop the key "
                                   "first, change both columns, add it back)",
                                   k->name, c->name.name, op->col->name);
        }
    }
    return NULL;
}

const char *mysq_shadow_fk_blocker(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *after)
{
    const char *why = retyped_key(cx, op, after);
    if (why)
        return why;
    for (size_t i = 0; i < after->ncons; i++) {
        const zdm_constraint *k = after->cons[i];
        if (k->kind == ZDM_CON_FOREIGN && zdm_name_eq(k->ref_table, op->table))
            return "a foreign key of the table references the table itself (its rows would "
                   "have to be copied parents first)";
        if (k->kind == ZDM_CON_FOREIGN && strlen(k->name) + 4 > MYSQ_MAX_IDENT)
            return zdm_sprintf(cx->arena,
                               "foreign key %s's name is too long for the shadow's "
                               "temporary name zdm_%s (64 characters at most)",
                               k->name, k->name);
    }
    return NULL;
}

static const char *fk_refs_cond(zdm_lower_ctx *cx, const char *child, const char *name,
                                const char *parent)
{
    return zdm_sqlf_str(cx->arena, MQ(cx),
                        "EXISTS (SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                        "CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %L AND CONSTRAINT_NAME "
                        "= %L AND REFERENCED_TABLE_NAME = %L)",
                        child, name, parent);
}

/* With foreign_key_checks off (this session only): drop key `from` of
 * `child` when `cond_drop` holds, then add `k` (named `k->name`) when it is
 * absent and `cond_add` holds. */
static const char *refk_sql(zdm_lower_ctx *cx, const zdm_name *child, const char *from,
                            const char *cond_drop, const zdm_constraint *k, const char *cond_add)
{
    const char *absent = mysq_cond_constraint(cx, child, k->name, "FOREIGN KEY", false);
    return mysq_step_sql(
        cx, zdm_sprintf(
                cx->arena,
                "SET SESSION foreign_key_checks = 0;\n%s%sSET SESSION foreign_key_checks = 1;\n",
                mysq_ddl_sql(cx, cond_drop,
                             mysq_alter_sql(cx, child,
                                            zdm_sqlf_str(cx->arena, MQ(cx),
                                                         "DROP FOREIGN KEY %I", from),
                                            MYSQ_ALGO_DROP_FOREIGN_KEY)),
                mysq_ddl_sql(cx, zdm_sprintf(cx->arena, "%s AND %s", absent, cond_add),
                             mysq_alter_sql(cx, child, mysq_add_clause(cx, k),
                                            MYSQ_ALGO_ADD_FOREIGN_KEY))));
}

static void child_step(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *child,
                       const zdm_constraint *k, const char *old, const char *ph)
{
    const char *qn = zdm_sprintf(cx->arena, "%s.%s", child->name.name, k->name);
    zdm_step *s = mysq_step(cx, op, ZDM_PHASE_VALIDATE,
                            zdm_sprintf(cx->arena, "point foreign key %s at the new %s", qn,
                                        op->table.name));
    mysq_apply_algo(cx, s, MYSQ_ALGO_ADD_FOREIGN_KEY, "DROP and ADD FOREIGN KEY");
    s->scans = false;
    s->why = zdm_sprintf(cx->arena,
                         "RENAME TABLE took the key along to %s: it is dropped and added again "
                         "on the table's name, in place with foreign_key_checks=0 (the rows "
                         "were checked against the same keys).",
                         old);
    zdm_constraint *back = ZDM_NEW(cx->arena, zdm_constraint);
    *back = *k;
    back->ref_table = (zdm_name){NULL, old};
    /* Swapped (the placeholder moved aside) and the original still there. */
    const char *old_exists =
        zdm_sprintf(cx->arena, "%s AND %s", mysq_cond_table(cx, &(zdm_name){NULL, old}, true),
                    mysq_cond_table(cx, &(zdm_name){NULL, ph}, true));
    s->forward = refk_sql(cx, &child->name, k->name,
                          fk_refs_cond(cx, child->name.name, k->name, old), k, "TRUE");
    s->rollback = refk_sql(
        cx, &child->name, k->name,
        zdm_sprintf(cx->arena, "%s AND %s", old_exists,
                    fk_refs_cond(cx, child->name.name, k->name, op->table.name)),
        back, old_exists);
    s->rollback_note = zdm_sprintf(cx->arena,
                                   "the key is pointed back at %s, which the swap back "
                                   "renames to %s (nothing to do once the contract phase "
                                   "dropped it)",
                                   old, op->table.name);
    mysq_pre_long_trx(cx, s);
    mysq_post(cx, s, zdm_sprintf(cx->arena, "foreign key %s references %s", qn, op->table.name),
              fk_refs_cond(cx, child->name.name, k->name, op->table.name));
    mysq_post(cx, s, zdm_sprintf(cx->arena, "no orphan rows for %s", qn),
              mysq_orphans_cond(cx, &child->name, k));
    zdm_step_risk(cx->plan, s, ZDM_RISK_CONSTRAINT_FAIL,
                  "Between the drop and the add (milliseconds) the server checks no child row "
                  "written.",
                  "verify_post.sql reports any orphan; fix it before the contract phase.");
}

void mysq_shadow_children(zdm_lower_ctx *cx, const zdm_op *op, const char *old, const char *ph)
{
    const zdm_schema *sc = cx->mig->base;
    for (size_t i = 0; sc && i < sc->tables.len; i++) {
        const zdm_table *c = sc->tables.items[i];
        if (zdm_name_eq(c->name, op->table))
            continue;
        for (size_t j = 0; j < c->ncons; j++)
            if (c->cons[j]->kind == ZDM_CON_FOREIGN &&
                zdm_name_eq(c->cons[j]->ref_table, op->table))
                child_step(cx, op, c, c->cons[j], old, ph);
    }
}

void mysq_shadow_fk_names(zdm_lower_ctx *cx, const zdm_op *op, const zdm_table *after)
{
    for (size_t i = 0; i < after->ncons; i++) {
        const zdm_constraint *k = after->cons[i];
        if (k->kind != ZDM_CON_FOREIGN)
            continue;
        const char *tmp = mysq_shadow_fk_name(cx, k->name);
        const char *qn = zdm_sprintf(cx->arena, "%s.%s", op->table.name, k->name);
        zdm_step *s = mysq_step(cx, op, ZDM_PHASE_CONTRACT,
                                zdm_sprintf(cx->arena, "rename foreign key %s.%s back to %s",
                                            op->table.name, tmp, k->name));
        mysq_apply_algo(cx, s, MYSQ_ALGO_ADD_FOREIGN_KEY, "DROP and ADD FOREIGN KEY");
        s->scans = false;
        s->why = "The shadow carried the key under a temporary name while the original "
                 "table held its own; with the original dropped the name is free again.";
        s->forward = refk_sql(cx, &op->table, tmp,
                              mysq_cond_constraint(cx, &op->table, tmp, "FOREIGN KEY", true), k,
                              "TRUE");
        s->rollback = mysq_step_sql(cx, "-- nothing to undo: the key keeps its own name\n");
        mysq_pre_long_trx(cx, s);
        mysq_post(cx, s, zdm_sprintf(cx->arena, "constraint %s exists", qn),
                  mysq_cond_constraint(cx, &op->table, k->name, "FOREIGN KEY", true));
        mysq_post(cx, s, zdm_sprintf(cx->arena, "no orphan rows for %s", qn),
                  mysq_orphans_cond(cx, &op->table, k));
    }
}
