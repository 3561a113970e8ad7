/*
 * mysql_script.h - splits a step's script, written for the mariadb/mysql
 * command-line client (`mariadb DB < script`), into the statements the
 * MySQL/MariaDB driver sends one per call, the way the client reads it:
 * statements end at the current delimiter (`;` at first) outside quotes,
 * backticks and comments; a `DELIMITER x` line while no statement is pending
 * changes the delimiter (the backend's procedures and triggers use `$$`);
 * `\g` also ends a statement. Comment-only text is not sent.
 * (https://mariadb.com/kb/en/mariadb-command-line-client/,
 * https://dev.mysql.com/doc/refman/8.0/en/mysql-commands.html)
 * No library is needed here, so the unit tests run it without a server.
 */
#ifndef ZDM_RT_MYSQL_SCRIPT_H
#define ZDM_RT_MYSQL_SCRIPT_H

#include "../core/core.h"

typedef struct rt_my_script {
    const char **stmts; /* without the delimiter, trimmed */
    size_t len;
} rt_my_script;

/* False and *err (with the line number) on an unterminated quote or
 * comment, a DELIMITER without its argument, or a client command other than
 * DELIMITER and \g. */
bool rt_my_split(zdm_arena *a, const char *text, rt_my_script *out, const char **err);

#endif
