/*
 * mysql_url.h - reads the MySQL/MariaDB driver's --db URL:
 *   mysql://[USER[:PASS]@][HOST][:PORT]/DB[?socket=PATH]   (or mariadb://)
 * An empty HOST means localhost (the client's default socket); ?socket=PATH
 * names a unix socket; an empty or missing PASS means no password. No
 * library is needed, so the unit tests run it.
 */
#ifndef ZDM_RT_MYSQL_URL_H
#define ZDM_RT_MYSQL_URL_H

#include "../core/core.h"

typedef struct rt_my_url {
    const char *user, *pass, *host, *db, *sock; /* decoded; NULL when absent */
    unsigned port;                              /* 0: the default */
} rt_my_url;

/* False and *err (which never holds the password) on a malformed URL. */
bool rt_my_url_parse(zdm_arena *a, const char *url, rt_my_url *u, const char **err);

#endif
