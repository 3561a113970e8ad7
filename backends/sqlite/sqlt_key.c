/*
 * sqlt_key.c - how the SQLite backend finds a table's rows: by rowid, or in
 * a WITHOUT ROWID table by its primary key's columns
 * (https://www.sqlite.org/withoutrowid.html), and `zdm run`'s walk over such
 * a key.
 *
 * Everything that batches or mirrors rows (the copy-swap's batches and copy
 * triggers, a backfill's batches and sync triggers, the backup of an
 * existing column and its restore) names a row through a sqlt_key, so a
 * WITHOUT ROWID table gets the same online procedures as a rowid table,
 * keyed by its primary key (composite keys included).
 *
 * The runtime's walk (zdm_backfill_spec) carries keys as one text value. A
 * rowid is its decimal text; a primary key is a JSON array of its values
 * (json_array, read back with json_extract: an integer stays an integer and
 * a text a text, so the comparisons are the key's own, under its columns'
 * collations). A REAL goes in as the text of quote(), which has every digit
 * (json_array alone writes 15 significant digits, and a key rounded up
 * would skip rows). A BLOB has no JSON form: a key with a `bytes` column
 * gets no native walk and `zdm run` runs the step's script, whose batches
 * carry their keys as SQL literals (quote()). The JSON functions are built
 * into SQLite from 3.38 (earlier builds need JSON1, which the sqlite3 of
 * the common distributions has).
 */
#include "sqlt_int.h"

#include <string.h>

sqlt_key sqlt_key_of(zdm_lower_ctx *cx, const zdm_table *t)
{
    sqlt_key k = {0};
    const zdm_constraint *pk = t->without_rowid ? zdm_table_primary_key(t) : NULL;
    if (!pk) {
        const char **c = ZDM_NEW_ARRAY(cx->arena, const char *, 1);
        c[0] = "rowid";
        k.cols = c;
        k.ncols = 1;
        k.rowid = true;
        return k;
    }
    k.cols = (const char **)pk->cols;
    k.ncols = pk->ncols;
    return k;
}

const char *sqlt_key_ref(zdm_lower_ctx *cx, const sqlt_key *k, size_t i, const char *qual)
{
    const char *q = qual ? zdm_sprintf(cx->arena, "%s.", qual) : "";
    if (k->rowid && strcmp(k->cols[i], "rowid") == 0)
        return zdm_sprintf(cx->arena, "%srowid", q);
    return zdm_sqlf_str(cx->arena, SQ, "%s%I", q, k->cols[i]);
}

const char *sqlt_key_list(zdm_lower_ctx *cx, const sqlt_key *k, const char *qual)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, SQ, "%s%s", i ? ", " : "", sqlt_key_ref(cx, k, i, qual));
    return zdm_buf_cstr(&b);
}

const char *sqlt_key_eq(zdm_lower_ctx *cx, const sqlt_key *k, const char *l, const char *r)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, SQ, "%s%s = %s", i ? " AND " : "", sqlt_key_ref(cx, k, i, l),
                 sqlt_key_ref(cx, k, i, r));
    return zdm_buf_cstr(&b);
}

/* ---- zdm run's walk over a primary key ------------------------------------ */

/* The key as one JSON array (see the file comment). */
static const char *key_json(zdm_lower_ctx *cx, const sqlt_key *k)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "json_array(");
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, SQ, "%sCASE typeof(%I) WHEN 'real' THEN json(quote(%I)) ELSE %I END",
                 i ? ", " : "", k->cols[i], k->cols[i], k->cols[i]);
    zdm_buf_putc(&b, ')');
    return zdm_buf_cstr(&b);
}

/* (json_extract(?N, '$[0]'), ...): parameter N's key as a row value. */
static const char *key_param(zdm_lower_ctx *cx, const sqlt_key *k, int n)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_putc(&b, '(');
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&b, SQ, "%sjson_extract(?%d, '$[%zu]')", i ? ", " : "", n, i);
    zdm_buf_putc(&b, ')');
    return zdm_buf_cstr(&b);
}

static const char *order_by(zdm_lower_ctx *cx, const sqlt_key *k, const char *prefix,
                            bool desc)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    for (size_t i = 0; i < k->ncols; i++) {
        if (prefix)
            zdm_sqlf(&b, SQ, "%s%s%zu", i ? ", " : "", prefix, i + 1);
        else
            zdm_sqlf(&b, SQ, "%s%I", i ? ", " : "", k->cols[i]);
        zdm_buf_puts(&b, desc ? " DESC" : "");
    }
    return zdm_buf_cstr(&b);
}

bool sqlt_key_walkable(const zdm_table *t, const sqlt_key *k)
{
    for (size_t i = 0; !k->rowid && i < k->ncols; i++) {
        const zdm_column *c = zdm_table_column(t, k->cols[i]);
        if (!c || c->type.kind == ZDM_TY_BYTES)
            return false;
    }
    return true;
}

const char *sqlt_key_walk(zdm_lower_ctx *cx, zdm_backfill_spec *sp, const sqlt_key *k)
{
    const char *t = sp->table.name, *cols = sqlt_key_list(cx, k, NULL);
    const char *range = zdm_sqlf_str(cx->arena, SQ, "(?1 IS NULL OR (%s) > %s) AND (%s) <= %s",
                                     cols, key_param(cx, k, 1), cols, key_param(cx, k, 2));
    const char *json = key_json(cx, k);
    zdm_buf sel;
    zdm_buf_init(&sel, cx->arena);
    for (size_t i = 0; i < k->ncols; i++)
        zdm_sqlf(&sel, SQ, ", %I AS zdm_k%zu", k->cols[i], i + 1);
    sp->max_sql = zdm_sqlf_str(cx->arena, SQ, "SELECT %s AS zdm_last FROM %I ORDER BY %s LIMIT 1",
                               json, t, order_by(cx, k, NULL, true));
    /* The outer ORDER BY names the subquery's key columns: they keep their
     * collations, so "the last" is the key's own order. */
    sp->next_sql = zdm_sqlf_str(cx->arena, SQ,
                                "SELECT zdm_last FROM (SELECT %s AS zdm_last%s FROM %I WHERE %s "
                                "ORDER BY %s LIMIT CAST(?3 AS INTEGER)) ORDER BY %s LIMIT 1",
                                json, zdm_buf_cstr(&sel), t, range, order_by(cx, k, NULL, false),
                                order_by(cx, k, "zdm_k", true));
    return range;
}
