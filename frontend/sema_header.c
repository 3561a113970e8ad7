/*
 * sema_header.c - the header statements: `migration` (the title, once),
 * `assume T has N rows` (a size hint stored on the table; the table may be
 * created later in the same file) and `set` (the file's timeouts and batch
 * sizes, validated here so a backend only ever sees sane numbers).
 */
#include "sema_int.h"

#include <math.h>
#include <string.h>

#define MAX_BATCH 10000000.0
#define MAX_MS 2147483647.0 /* PostgreSQL's timeouts are int milliseconds */

void sema_migration(sema *c, const ast_stmt *st)
{
    if (c->m->title) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_TITLE_TWICE, c->src,
                                   st->u.migration.title_span, "migration title given twice");
        zdm_diag_hint(g, c->a, "A file holds one migration; keep one `migration` line.");
        zdm_diag_note(g, c->a, c->title_span, "first given here");
        return;
    }
    c->m->title = st->u.migration.title;
    c->title_span = st->u.migration.title_span;
}

/* ---- assume ----------------------------------------------------------------- */

static bool created_later(sema *c, zdm_name n)
{
    for (size_t i = c->at + 1; i < c->file->stmts.len; i++) {
        const ast_stmt *st = c->file->stmts.items[i];
        if (st->kind == AST_CREATE_TABLE && zdm_name_eq(sema_name(&st->u.create_table.table), n))
            return true;
    }
    return false;
}

static bool assume_twice(sema *c, const ast_stmt *st, zdm_name n)
{
    for (size_t i = 0; i < c->assumes.len; i++)
        if (zdm_name_eq(c->assumes.items[i].table, n)) {
            zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ASSUME_TWICE, c->src,
                                       st->u.assume.table.span,
                                       "size of table \"%s\" assumed twice",
                                       zdm_name_str(c->a, n));
            zdm_diag_note(g, c->a, c->assumes.items[i].span, "first assumed here");
            return true;
        }
    return false;
}

static bool rows_ok(sema *c, const ast_count *rows)
{
    double v = rows->value;
    if (v >= 0 && v < 1.8e19 && floor(v) == v)
        return true;
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_ASSUME_ROWS, c->src, rows->span,
                               "row count must be a whole number");
    zdm_diag_hint(g, c->a, "Write a whole number of rows, e.g. 40M or 2.5B.");
    return false;
}

void sema_assume_stmt(sema *c, const ast_stmt *st)
{
    zdm_name n = sema_name(&st->u.assume.table);
    if (!rows_ok(c, &st->u.assume.rows) || assume_twice(c, st, n))
        return;
    uint64_t rows = (uint64_t)st->u.assume.rows.value;
    zdm_table *t = zdm_schema_table(c->s, n);
    if (!t && !created_later(c, n)) {
        sema_table(c, &st->u.assume.table); /* reports it, with a hint */
        return;
    }
    sema_assume a = {n, rows, st->u.assume.table.span, false};
    zdm_vec_push(c->a, &c->assumes, a);
    if (!t)
        return; /* applied when the table is created */
    zdm_table *copy = ZDM_NEW(c->a, zdm_table);
    *copy = *t; /* arrays are never written in place, so sharing them is safe */
    copy->rows = rows;
    for (size_t i = 0; i < c->s->tables.len; i++)
        if (c->s->tables.items[i] == t)
            c->s->tables.items[i] = copy;
}

uint64_t sema_assumed_rows(sema *c, zdm_name table)
{
    for (size_t i = 0; i < c->assumes.len; i++)
        if (zdm_name_eq(c->assumes.items[i].table, table))
            return c->assumes.items[i].rows;
    return 0;
}

/* ---- set ------------------------------------------------------------------------- */

#define MAX_WORKERS 1024.0 /* max_parallel_maintenance_workers' own limit */

static const char *const setting_names[] = {"lock_timeout", "statement_timeout", "batch",
                                            "batch_pause", "index_workers"};
#define NSETTINGS 5

static int64_t *setting_slot(zdm_settings *s, int i)
{
    int64_t *slots[] = {&s->lock_timeout_ms, &s->statement_timeout_ms, &s->batch,
                        &s->batch_pause_ms, &s->index_workers};
    return slots[i];
}

static void value_error(sema *c, const ast_setting *set, const char *msg, const char *hint)
{
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_SETTING_VALUE, c->src, set->value_span,
                               "%s %s", set->name.name, msg);
    zdm_diag_hint(g, c->a, "%s", hint);
}

/* Returns the value to store, or -1 after reporting why it is not valid. */
static int64_t check_value(sema *c, const ast_setting *set, int which)
{
    if (which == 2) {
        if (set->kind != AST_SETV_NUMBER || floor(set->value) != set->value || set->value < 1 ||
            set->value > MAX_BATCH) {
            value_error(c, set, "needs a whole number of rows from 1 to 10M",
                        "Write a row count, e.g. set batch = 5000;");
            return -1;
        }
        return (int64_t)set->value;
    }
    if (which == 4) {
        if (set->kind != AST_SETV_NUMBER || floor(set->value) != set->value || set->value < 0 ||
            set->value > MAX_WORKERS) {
            value_error(c, set, "needs a whole number of workers from 0 to 1024",
                        "Write 0 to build each index in one process (the default), or the "
                        "number of parallel workers to allow, e.g. set index_workers = 2;");
            return -1;
        }
        return (int64_t)set->value;
    }
    if (set->kind != AST_SETV_DURATION) {
        value_error(c, set, "needs a duration", "Write a duration with its unit: 2s or 500ms.");
        return -1;
    }
    if (floor(set->value) != set->value || set->value > MAX_MS) {
        value_error(c, set, "must be a whole number of milliseconds up to 24 days",
                    "Write a duration such as 2s, 500ms or 5min.");
        return -1;
    }
    if (which == 0 && set->value == 0) {
        value_error(c, set, "must be more than 0",
                    "A lock timeout of 0 waits forever for a lock, and every query queues "
                    "behind the waiting ALTER; keep it short, e.g. 2s.");
        return -1;
    }
    return (int64_t)set->value;
}

static void unknown_setting(sema *c, const ast_setting *set)
{
    zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_SETTING_UNKNOWN, c->src, set->name.span,
                               "unknown setting \"%s\"", set->name.name);
    const char *s = sema_suggest(set->name.name, setting_names, NSETTINGS);
    if (s)
        zdm_diag_hint(g, c->a, "Did you mean \"%s\"?", s);
    else
        zdm_diag_hint(g, c->a, "The settings are lock_timeout, statement_timeout, batch, "
                               "batch_pause and index_workers.");
}

void sema_set(sema *c, const ast_stmt *st)
{
    const ast_setting *set = &st->u.set;
    int which = -1;
    for (int i = 0; i < NSETTINGS; i++)
        if (strcmp(set->name.name, setting_names[i]) == 0)
            which = i;
    if (which < 0) {
        unknown_setting(c, set);
        return;
    }
    if (c->set_span[which].end) {
        zdm_diag *g = zdm_diag_add(c->d, ZDM_ERROR, SEMA_E_SETTING_TWICE, c->src,
                                   set->name.span, "setting \"%s\" given twice",
                                   set->name.name);
        zdm_diag_note(g, c->a, c->set_span[which], "first given here");
        return;
    }
    c->set_span[which] = set->name.span;
    int64_t v = check_value(c, set, which);
    if (v >= 0)
        *setting_slot(&c->m->settings, which) = v;
}
