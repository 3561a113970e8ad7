/*
 * sqlite_script.h - splits a step's script, written for the sqlite3 shell
 * (`sqlite3 -bail DB < script`), into what the SQLite driver runs, the way
 * the shell reads it: a line starting with '.' while no SQL is pending is a
 * dot-command; SQL lines gather until the text is complete statements
 * (sqlite3_complete, passed in so that this file needs no library).
 *
 * The dot-commands the SQLite backend writes are the only ones accepted:
 *   .bail on            the runtime always stops at the first error
 *   .timeout N          RT_SQ_TIMEOUT: the connection's busy_timeout
 *   .headers off, .mode list   the output format the guard's capture assumes
 *   .output FILE        RT_SQ_CAPTURE: the rows of the next statements are the
 *                       text of FILE (kept in memory, never written)
 *   .output [stdout]    RT_SQ_CAPTURE_END
 *   .read FILE          RT_SQ_READ: runs FILE's captured text as a script
 *                       (which may capture and read other files in turn: the
 *                       batch loop's pauses; never the file being read)
 *   .shell sleep SECS   RT_SQ_SLEEP: a pause between batches that leaves the
 *   (.system sleep SECS) write lock free (docs/backends/sqlite.md); slept
 *                       natively, no shell is run. SECS: digits, at most one
 *                       '.', at most 60
 * Any other one is an error naming it: the runtime cannot honour it.
 */
#ifndef ZDM_RT_SQLITE_SCRIPT_H
#define ZDM_RT_SQLITE_SCRIPT_H

#include "../core/core.h"

typedef enum { RT_SQ_SQL, RT_SQ_TIMEOUT, RT_SQ_CAPTURE, RT_SQ_CAPTURE_END, RT_SQ_READ,
               RT_SQ_SLEEP } rt_sq_kind;

typedef struct rt_sq_item {
    rt_sq_kind kind;
    const char *text;   /* SQL (one or more complete statements), or the FILE */
    int ms;             /* RT_SQ_TIMEOUT, RT_SQ_SLEEP */
} rt_sq_item;

typedef struct rt_sq_script {
    rt_sq_item *items;
    size_t len;
} rt_sq_script;

/* complete: nonzero when its argument ends in a complete SQL statement.
 * False and *err on an unsupported dot-command or SQL left incomplete. */
bool rt_sq_split(zdm_arena *a, const char *text, int (*complete)(const char *),
                 rt_sq_script *out, const char **err);

#endif
