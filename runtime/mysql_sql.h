/*
 * mysql_sql.h - the MySQL/MariaDB driver's SQL for the runtime (mysql_sql.c):
 * the columns and parameters are those driver.h asks for.
 */
#ifndef ZDM_RT_MYSQL_SQL_H
#define ZDM_RT_MYSQL_SQL_H

#include "driver.h"

extern const char rt_my_lock_holders[], rt_my_blockers[], rt_my_load[], rt_my_table_rows[];
extern const rt_state_sql rt_my_state;

#endif
