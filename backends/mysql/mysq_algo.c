/*
 * mysq_algo.c - the per-version algorithm table, as data: for each class of
 * ALTER TABLE and each flavour/version, the ALGORITHM and LOCK the plan names,
 * whether the table is rebuilt, and the manual page it comes from. The
 * lowering reads it (mysq_algo_for), docs/backends/mysql.md renders it, and
 * tests/mysql/algorithms runs every MariaDB row on a real server and checks
 * that TABLE_ID changes exactly where `rebuild` says so.
 *
 * A row holds from its `since` version on, until a later row of the same
 * class and flavour. MariaDB rows are measured on 10.11 (`measured`); MySQL
 * rows are from the MySQL 8.0/8.4 manuals (no MySQL server runs here). Where
 * a server allows a cheaper algorithm than the one named it picks it
 * (MariaDB: INSTANT < NOCOPY < INPLACE < COPY), so the table names the
 * cheapest one the whole version range allows: mysql@8.0 means every 8.0.x.
 */
#include "mysq_int.h"

#define MY80 "https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html"
#define MY84 "https://dev.mysql.com/doc/refman/8.4/en/innodb-online-ddl-operations.html"
#define MDI "https://mariadb.com/kb/en/innodb-online-ddl-operations-with-the-instant-alter-algorithm/"
#define MDN "https://mariadb.com/kb/en/innodb-online-ddl-operations-with-the-nocopy-alter-algorithm/"
#define MDP "https://mariadb.com/kb/en/innodb-online-ddl-operations-with-the-inplace-alter-algorithm/"
#define MDC "https://mariadb.com/kb/en/alter-table/#algorithm"
#define MYA "https://dev.mysql.com/doc/refman/8.0/en/alter-table.html"
#define MY MYSQ_MYSQL
#define MA MYSQ_MARIADB

static const mysq_algo rows[] = {
    /* class                   flavour since  algorithm  lock       rebuild measured url */
    {MYSQ_ALGO_ADD_COLUMN,         MY, 8000,  "INSTANT", "DEFAULT", false, false, MY80},
    {MYSQ_ALGO_ADD_COLUMN,         MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_DROP_COLUMN,        MY, 8000,  "INPLACE", "NONE",    true,  false, MY80},
    {MYSQ_ALGO_DROP_COLUMN,        MY, 8004,  "INSTANT", "DEFAULT", false, false, MY84},
    {MYSQ_ALGO_DROP_COLUMN,        MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_RENAME_COLUMN,      MY, 8000,  "INPLACE", "NONE",    false, false, MY80},
    {MYSQ_ALGO_RENAME_COLUMN,      MY, 8004,  "INSTANT", "DEFAULT", false, false, MY84},
    {MYSQ_ALGO_RENAME_COLUMN,      MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_SET_DEFAULT,        MY, 8000,  "INSTANT", "DEFAULT", false, false, MY80},
    {MYSQ_ALGO_SET_DEFAULT,        MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_SET_NOT_NULL,       MY, 8000,  "INPLACE", "NONE",    true,  false, MY80},
    {MYSQ_ALGO_SET_NOT_NULL,       MA, 10011, "INPLACE", "NONE",    true,  true, MDP},
    {MYSQ_ALGO_DROP_NOT_NULL,      MY, 8000,  "INPLACE", "NONE",    true,  false, MY80},
    {MYSQ_ALGO_DROP_NOT_NULL,      MA, 10011, "INPLACE", "NONE",    true,  true, MDP},
    {MYSQ_ALGO_ADD_INDEX,          MY, 8000,  "INPLACE", "NONE",    false, false, MY80},
    {MYSQ_ALGO_ADD_INDEX,          MA, 10011, "NOCOPY",  "NONE",    false, true, MDN},
    {MYSQ_ALGO_DROP_INDEX,         MY, 8000,  "INPLACE", "NONE",    false, false, MY80},
    {MYSQ_ALGO_DROP_INDEX,         MA, 10011, "NOCOPY",  "NONE",    false, true, MDN},
    {MYSQ_ALGO_ADD_FOREIGN_KEY,    MY, 8000,  "INPLACE", "NONE",    false, false, MY80},
    {MYSQ_ALGO_ADD_FOREIGN_KEY,    MA, 10011, "NOCOPY",  "NONE",    false, true, MDN},
    {MYSQ_ALGO_DROP_FOREIGN_KEY,   MY, 8000,  "INPLACE", "NONE",    false, false, MY80},
    {MYSQ_ALGO_DROP_FOREIGN_KEY,   MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_EXTEND_VARCHAR,     MY, 8000,  "INPLACE", "NONE",    false, false, MY80},
    {MYSQ_ALGO_EXTEND_VARCHAR,     MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_CHANGE_TYPE,        MY, 8000,  "COPY",    "SHARED",  true,  false, MY80},
    {MYSQ_ALGO_CHANGE_TYPE,        MA, 10011, "COPY",    "SHARED",  true,  true, MDP},
    {MYSQ_ALGO_CHANGE_TYPE,        MA, 11004, "COPY",    "NONE",    true,  false, MDC},
    {MYSQ_ALGO_ADD_CHECK,          MY, 8000,  "COPY",    "SHARED",  true,  false, MY80},
    {MYSQ_ALGO_ADD_CHECK,          MA, 10011, "COPY",    "SHARED",  true,  true, MDP},
    {MYSQ_ALGO_ADD_CHECK,          MA, 11004, "COPY",    "NONE",    true,  false, MDC},
    {MYSQ_ALGO_DROP_CHECK,         MY, 8000,  "INPLACE", "NONE",    false, false, MYA},
    {MYSQ_ALGO_DROP_CHECK,         MA, 10011, "INSTANT", "DEFAULT", false, true, MDI},
    {MYSQ_ALGO_CHANGE_PRIMARY_KEY, MY, 8000,  "INPLACE", "NONE",    true,  false, MY80},
    {MYSQ_ALGO_CHANGE_PRIMARY_KEY, MA, 10011, "INPLACE", "NONE",    true,  true, MDP},
    {MYSQ_ALGO_ADD_PRIMARY_KEY,    MY, 8000,  "INPLACE", "NONE",    true,  false, MY80},
    {MYSQ_ALGO_ADD_PRIMARY_KEY,    MA, 10011, "INPLACE", "NONE",    true,  true, MDP},
    {MYSQ_ALGO_DROP_PRIMARY_KEY,   MY, 8000,  "COPY",    "SHARED",  true,  false, MY80},
    {MYSQ_ALGO_DROP_PRIMARY_KEY,   MA, 10011, "COPY",    "SHARED",  true,  true, MDP},
};

static const char *const class_names[] = {
#define X(e, d) d,
    MYSQ_ALGO_CLASSES(X)
#undef X
};

static const char *const class_idents[] = {
#define X(e, d) #e,
    MYSQ_ALGO_CLASSES(X)
#undef X
};

const char *mysq_algo_class_name(mysq_algo_class c) { return class_names[c]; }
const char *mysq_algo_class_ident(mysq_algo_class c) { return class_idents[c]; }

const mysq_algo *mysq_algo_rows(size_t *n)
{
    *n = sizeof rows / sizeof rows[0];
    return rows;
}

const mysq_algo *mysq_algo_for(zdm_lower_ctx *cx, mysq_algo_class cls)
{
    mysq_flavour f = mysq_st(cx)->flavour;
    unsigned v = cx->target->version;
    const mysq_algo *best = NULL;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const mysq_algo *r = &rows[i];
        if (r->cls == cls && r->flavour == f && r->since <= v && (!best || r->since > best->since))
            best = r;
    }
    /* Every class has a row at each flavour's oldest version (min_version). */
    return best;
}

const char *mysq_algo_clause(zdm_lower_ctx *cx, mysq_algo_class cls)
{
    const mysq_algo *r = mysq_algo_for(cx, cls);
    return zdm_sprintf(cx->arena, ", ALGORITHM=%s, LOCK=%s", r->algorithm, r->lock);
}
