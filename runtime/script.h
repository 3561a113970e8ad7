/*
 * script.h - splits a step's script text (written for the dialect's client,
 * psql for PostgreSQL) into the statements a driver sends one at a time, as
 * the client would: one statement per ';' outside quotes, comments, dollar
 * quotes and parentheses. Client meta-commands become items of their own:
 *
 *   \gexec        the query before it is an RT_ITEM_GEXEC: run it, then run
 *                 every non-null value it returns as a statement
 *   \set ON_ERROR_STOP ...   dropped: the runtime always stops at an error
 *
 * Any other meta-command is an error (the runtime cannot honour it).
 */
#ifndef ZDM_RT_SCRIPT_H
#define ZDM_RT_SCRIPT_H

#include "../core/core.h"

typedef enum { RT_ITEM_SQL, RT_ITEM_GEXEC } rt_item_kind;

typedef struct rt_item {
    rt_item_kind kind;
    const char *sql; /* without the terminating ';' */
} rt_item;

typedef struct rt_script {
    rt_item *items;
    size_t len;
} rt_script;

/* Returns false and sets *err on an unterminated quote or comment, or an
 * unsupported meta-command. */
bool rt_script_split(zdm_arena *a, const char *text, rt_script *out, const char **err);

#endif
