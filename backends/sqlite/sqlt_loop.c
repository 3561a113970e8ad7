/*
 * sqlt_loop.c - the batch loops of the SQLite scripts, generated when the
 * script runs: the sqlite3 shell cannot loop, so a SELECT over the table's
 * real keys writes one statement per batch into zdm-loop.sql, which .read
 * then runs (docs/backends/sqlite.md, "Batch loops").
 *
 * Two generators, one output shape (rows of zdm_range(lo, cond) in `lo`
 * order, each the batch text with its range condition):
 * - a rowid (or an integer key like a backup's zdm_key): arithmetic ranges
 *   of `batch` keys from min to max, read with one b-tree seek each;
 * - a primary key (a WITHOUT ROWID table, or a backup keyed by one): a
 *   keyset walk - every batch-th key in the key's order (row_number() over
 *   the primary key's own order, so under its collations), each range
 *   written as row-value comparisons with the bounds as SQL literals
 *   (quote(): exact for every storage class, a BLOB included). This scans
 *   the key once when the loop is generated (a read: in WAL mode it holds
 *   no lock writers wait for).
 * Both end with an open range past the last key seen, for rows inserted
 * meanwhile; where a table takes new keys in the middle (a primary key),
 * the rows inserted behind the walk are the copy or sync triggers' (or,
 * for an existing column, the application's).
 */
#include "sqlt_int.h"

#include <string.h>

/* `text` as one SQL string expression: a literal per line joined by
 * char(10) (no raw newline inside a literal, so the plan stays readable
 * line by line), with the generator's column `cond` at each SQLT_RANGE. The
 * last newline is left out: the shell ends every row with one. */
static void put_text_expr(zdm_lower_ctx *cx, zdm_buf *b, const char *text)
{
    const char *p = text, *sep = "";
    size_t len = strlen(text);
    const char *end = text + (len && text[len - 1] == '\n' ? len - 1 : len);
    while (p < end) {
        size_t n = strcspn(p, "\n" SQLT_RANGE);
        if (p + n > end)
            n = (size_t)(end - p);
        if (n) {
            zdm_sqlf(b, SQ, "%s%L", sep, zdm_strndup(cx->arena, p, n));
            sep = " || ";
        }
        if (p + n == end)
            break;
        zdm_sqlf(b, SQ, "%s%s", sep, p[n] == '\n' ? "char(10)" : "cond");
        sep = p[n] == '\n' ? " ||\n    " : " || ";
        p += n + 1;
    }
    if (!*sep)
        zdm_buf_puts(b, "''");
}

static void rowid_ranges(zdm_lower_ctx *cx, zdm_buf *b, const char *table, const sqlt_key *k,
                         const char *qual, uint64_t batch)
{
    const char *key = sqlt_key_ref(cx, k, 0, NULL), *rk = sqlt_key_ref(cx, k, 0, qual);
    zdm_sqlf(b, SQ,
             "WITH RECURSIVE zdm_lim(lo, hi) AS (SELECT coalesce((SELECT min(%s) FROM %I), 1) - "
             "1, coalesce((SELECT max(%s) FROM %I), 0)),\n"
             "zdm_lo(lo) AS (SELECT lo FROM zdm_lim UNION ALL SELECT zdm_lo.lo + %llu FROM "
             "zdm_lo, zdm_lim WHERE zdm_lo.lo < zdm_lim.hi),\n"
             "zdm_range(lo, cond) AS (SELECT zdm_lo.lo, %L || zdm_lo.lo || CASE WHEN zdm_lo.lo "
             "< zdm_lim.hi THEN %L || (zdm_lo.lo + %llu) ELSE '' END FROM zdm_lo, zdm_lim)\n",
             key, table, key, table, (unsigned long long)batch,
             zdm_sprintf(cx->arena, "%s > ", rk), zdm_sprintf(cx->arena, " AND %s <= ", rk),
             (unsigned long long)batch);
}

/* Every batch-th key in the key's order, as a row-value literal; a last,
 * open range after the final cut (its sentinel row has no upper key). */
static void keyset_ranges(zdm_lower_ctx *cx, zdm_buf *b, const char *table, const sqlt_key *k,
                          const char *qual, uint64_t batch)
{
    zdm_buf names, quoted;
    zdm_buf_init(&names, cx->arena);
    zdm_buf_init(&quoted, cx->arena);
    for (size_t i = 0; i < k->ncols; i++) {
        zdm_sqlf(&names, SQ, "zdm_k%zu, ", i + 1);
        zdm_sqlf(&quoted, SQ, "%squote(zdm_k%zu)", i ? " || ', ' || " : "", i + 1);
    }
    const char *cols = sqlt_key_list(cx, k, NULL);
    const char *rk = zdm_sprintf(cx->arena, "(%s)", sqlt_key_list(cx, k, qual));
    const char *gt = zdm_sprintf(cx->arena, "%s > ", rk);
    const char *le = zdm_sprintf(cx->arena, "%s <= ", rk);
    zdm_sqlf(b, SQ,
             "WITH zdm_key(%szdm_n) AS (SELECT %s, row_number() OVER (ORDER BY %s) FROM %I),\n"
             "zdm_cut(zdm_n, k) AS (SELECT zdm_n, '(' || %s || ')' FROM zdm_key WHERE zdm_n %% "
             "%llu = 0\n    UNION ALL SELECT 9223372036854775807, NULL),\n"
             "zdm_range(lo, cond) AS (SELECT zdm_n, coalesce(%L || zdm_lo || %L || zdm_hi, %L || "
             "zdm_lo, %L || zdm_hi, '1')\n    FROM (SELECT zdm_n, lag(k) OVER (ORDER BY zdm_n) "
             "AS zdm_lo, k AS zdm_hi FROM zdm_cut))\n",
             zdm_buf_cstr(&names), cols, cols, table, zdm_buf_cstr(&quoted),
             (unsigned long long)batch, gt, zdm_sprintf(cx->arena, " AND %s", le), gt, le);
}

const char *sqlt_loop_sql(zdm_lower_ctx *cx, const char *table, const sqlt_key *k,
                          const char *qual, uint64_t batch, const char *batch_sql)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, SQLT_YIELD_HEAD ".output zdm-loop.sql\n");
    if (k->rowid)
        rowid_ranges(cx, &b, table, k, qual, batch);
    else
        keyset_ranges(cx, &b, table, k, qual, batch);
    zdm_buf_puts(&b, "SELECT\n    ");
    put_text_expr(cx, &b, zdm_sprintf(cx->arena, "%s\n%s", batch_sql, SQLT_YIELD));
    zdm_buf_puts(&b, "\nFROM zdm_range ORDER BY lo;\n.output stdout\n.read zdm-loop.sql\n");
    return zdm_buf_cstr(&b);
}
