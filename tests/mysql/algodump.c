/*
 * algodump.c - prints the MySQL/MariaDB algorithm table (backends/mysql/
 * mysq_algo.c) for the tests and the docs, so neither keeps a copy of it.
 *
 *   mysql-algorithms tsv   one row per line: CLASS FLAVOUR SINCE ALGORITHM LOCK
 *                          REBUILD(yes/no) MEASURED(yes/no) URL, tab-separated
 *   mysql-algorithms md    the Markdown table of docs/backends/mysql.md
 */
#include "backends/mysql/mysq_int.h"

#include <stdio.h>
#include <string.h>

static const char *version(char *buf, size_t n, unsigned v)
{
    snprintf(buf, n, "%u.%u", v / 1000, v % 1000);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "tsv") != 0 && strcmp(argv[1], "md") != 0)) {
        fprintf(stderr, "usage: mysql-algorithms tsv|md\n");
        return 2;
    }
    bool md = strcmp(argv[1], "md") == 0;
    size_t n;
    const mysq_algo *rows = mysq_algo_rows(&n);
    if (md)
        printf("| operation class | server | from | ALGORITHM | LOCK | rebuild | source |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const mysq_algo *r = &rows[i];
        char v[32];
        const char *fl = r->flavour == MYSQ_MARIADB ? "mariadb" : "mysql";
        if (md)
            printf("| %s | %s | %s | %s | %s | %s | [%s](%s) |\n",
                   mysq_algo_class_name(r->cls), fl, version(v, sizeof v, r->since),
                   r->algorithm, r->lock, r->rebuild ? "yes" : "no",
                   r->measured ? "measured on 10.11 (tests/mysql/algorithms)" : "from the manual",
                   r->url);
        else
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mysq_algo_class_ident(r->cls), fl,
                   version(v, sizeof v, r->since), r->algorithm, r->lock,
                   r->rebuild ? "yes" : "no", r->measured ? "yes" : "no", r->url);
    }
    return 0;
}
