/*
 * render_int.h - what the renderer files share. Internal to render/.
 */
#ifndef ZDM_RENDER_INT_H
#define ZDM_RENDER_INT_H

#include "render.h"

/* The client command that runs `file` ("psql -v ON_ERROR_STOP=1 -f file"):
 * client.run_fmt with its "%s" replaced (not a printf format: it is data). */
const char *render__run_cmd(zdm_arena *a, const zdm_plan *p, const char *file);

/* True when check k of `upto` repeats one listed earlier in the plan (the
 * same query from two steps, e.g. "table exists"): it is shown once. */
bool render__check_seen(const zdm_plan *p, const zdm_step *upto, size_t k, bool post);

#endif
