/*
 * drivers.c - the list of runtime drivers, looked up by the plan's dialect.
 */
#include "driver.h"

#include <string.h>

/* PostgreSQL last: it takes every URL without "://" (its key=value
 * strings), which SQLite's sqlite:PATH is too; MySQL and MariaDB take only
 * mysql:// and mariadb://. */
static const rt_driver *const drivers[] = {&rt_driver_sqlite, &rt_driver_mysql,
                                           &rt_driver_mariadb, &rt_driver_pg};

const rt_driver *rt_driver_find(const char *dialect)
{
    for (size_t i = 0; i < sizeof drivers / sizeof *drivers; i++)
        if (strcmp(drivers[i]->dialect, dialect) == 0)
            return drivers[i];
    return NULL;
}

const rt_driver *rt_driver_for_url(const char *url)
{
    for (size_t i = 0; i < sizeof drivers / sizeof *drivers; i++)
        if (drivers[i]->accepts_url(url))
            return drivers[i];
    return NULL;
}
