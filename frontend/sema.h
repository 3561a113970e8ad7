/*
 * sema.h - analysis: checks a parsed file against the known schema and builds
 * the IR. The known schema comes from replaying the history: the .zdm files
 * that sort before this one in the same directory.
 *
 * Every error is appended to the diagnostics list at the statement's (or the
 * offending name's) position; analysis goes on after an error so one run
 * reports them all. Everything lives in the compile arena.
 */
#ifndef ZDM_SEMA_H
#define ZDM_SEMA_H

#include "ast.h"
#include "../ir/ir.h"

/* Replays every *.zdm file that sorts (by name, strcmp) before `path`'s base
 * name in `path`'s directory into a schema model. Errors in a history file are
 * reported against that file. Returns the model (possibly partial on errors). */
zdm_schema *zdm_history_replay(zdm_arena *a, zdm_diags *d, const char *path);

/* Checks `file` against `base` and builds the migration's IR. Returns NULL only
 * when errors were reported; on success m->final is the schema afterwards. */
zdm_migration *zdm_analyze(zdm_arena *a, zdm_diags *d, const ast_file *file,
                           const zdm_schema *base);

#endif
