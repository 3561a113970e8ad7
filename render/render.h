/*
 * render.h - writes a finished plan (plan/plan.h) as files: plan.md (six
 * sections for a person), plan.json (for machines), forward.sql, rollback.sql,
 * phases/NN-PHASE.{forward,rollback}.sql, verify_pre.sql and verify_post.sql.
 *
 * Output is deterministic byte for byte (golden tests diff it): no times, no
 * absolute paths, no host names. All dialect-specific text (client command,
 * script preamble, what to monitor) comes from the plan, never from a test of
 * the dialect's name. Text is built in the arena; files are written at once.
 */
#ifndef ZDM_RENDER_H
#define ZDM_RENDER_H

#include "../core/core.h"
#include "../plan/plan.h"

/* Creates `dir` (and its parents, and dir/phases) and writes every file.
 * Returns 0, or -1 with *err set to a static description (strerror). */
int zdm_render_dir(zdm_arena *a, const zdm_plan *p, const char *dir, const char **err);

/* The individual documents, for tests and other front ends. */
const char *zdm_render_md(zdm_arena *a, const zdm_plan *p);
const char *zdm_render_json(zdm_arena *a, const zdm_plan *p);
const char *zdm_render_forward(zdm_arena *a, const zdm_plan *p, int phase); /* -1: all */
const char *zdm_render_rollback(zdm_arena *a, const zdm_plan *p, int phase); /* -1: all */
const char *zdm_render_verify(zdm_arena *a, const zdm_plan *p, bool post);
/* "phases/01-expand.forward.sql" */
const char *zdm_render_phase_file(zdm_arena *a, const zdm_plan *p, zdm_phase ph, bool rollback);

#endif
