/*
 * lower_util.h - lowering helpers that do not depend on a dialect's rules,
 * only on its quoting (cx->dialect): what two or more backends would
 * otherwise write twice.
 */
#ifndef ZDM_LOWER_UTIL_H
#define ZDM_LOWER_UTIL_H

#include "sqlfmt.h"

/* A value in SQL for dialects without a boolean literal: numbers as written,
 * strings quoted by cx->dialect, true/false as 1/0, raw fragments in the
 * dialect's family variant. */
const char *zdm_lower_value_01(zdm_lower_ctx *cx, const zdm_value *v);

typedef const char *(*zdm_value_fn)(zdm_lower_ctx *cx, const zdm_value *v);

/* The value the migration's backfills give column `col` of table `t`, as one
 * expression: a later backfill wins where its `where` holds (as
 * `CASE WHEN coalesce(where, 0) ...`), an earlier one elsewhere, NULL where
 * none applies. */
const char *zdm_lower_fill_expr(zdm_lower_ctx *cx, zdm_value_fn value, const zdm_name *t,
                                const char *col);

/* For a dialect that stores every table by a hidden or clustered key and
 * checks its types anyway: the plan note that SQLite's table options
 * `strict` and `without rowid` of `t` (created by `op`) are not rendered. */
void zdm_lower_note_sqlite_options(zdm_lower_ctx *cx, const zdm_table *t);

#endif
