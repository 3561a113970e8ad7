/*
 * sqlt_keep.c - what a copy-swap keeps that the history does not know: the
 * indexes, triggers and views made outside zdm that belong to or mention the
 * table, re-created from their own text (steps 3, 8 and 9 of SQLite's
 * procedure, https://www.sqlite.org/lang_altertable.html#otheralter).
 *
 * In the swap's transaction, before the old table is dropped, their `sql` is
 * copied from sqlite_schema into temp.zdm_keep:
 * - the views that mention the table, and the views that mention those;
 * - the triggers that mention the table or one of those views (on the table
 *   itself, on another table, INSTEAD OF on a view), zdm's sync triggers
 *   included (kept exactly when they are there: a rollback that dropped them
 *   does not get them back), but the table's zdm_copy_ triggers (the online
 *   copy's, retired by the swap) and the sync triggers of a column the new
 *   shape has not;
 * - the table's indexes with SQL text (not the automatic ones of PRIMARY
 *   KEY/UNIQUE) whose names the plan's model does not have (it builds those
 *   itself).
 * "Mention" is a case-insensitive substring test on the text: a false match
 * only re-creates an object as it was.
 *
 * Why the views and the triggers on other tables are dropped before the
 * rename: DROP TABLE takes the table's own triggers and indexes with it but
 * leaves the rest, and since 3.25/3.26 ALTER TABLE ... RENAME resolves every
 * view and trigger of the schema and fails on one that names a missing
 * table ("error in view v: no such table: main.T"). After the rename they are
 * re-created from the captured text - views, then triggers, then indexes -
 * the statements written to zdm-keep.sql by a SELECT and read back, as the
 * batch loops are. CREATE VIEW and CREATE TRIGGER do not resolve their
 * bodies, so a throwaway table is then renamed: that rename resolves every
 * view and trigger again, and one that no longer fits the table (it names a
 * column the change dropped) fails the step with SQLite's "error in view V:
 * ..." or "error in trigger T: ...", naming it; an index that does not fit
 * fails its own CREATE INDEX. The transaction is rolled back: nothing
 * changed. PRAGMA legacy_alter_table = OFF (the default) is set by the swap
 * so that those checks run.
 */
#include "sqlt_int.h"

#include <string.h>

static bool has_index(const zdm_table *t, const char *name)
{
    for (size_t i = 0; i < t->nindexes; i++)
        if (strcmp(t->indexes[i]->name, name) == 0)
            return true;
    return false;
}

/* The IR's index names of the table in either shape (the plan builds them). */
static const char *model_indexes(zdm_lower_ctx *cx, const zdm_table *a, const zdm_table *b)
{
    zdm_buf buf;
    zdm_buf_init(&buf, cx->arena);
    const char *sep = "";
    for (size_t i = 0; i < a->nindexes + b->nindexes; i++) {
        const char *name = i < a->nindexes ? a->indexes[i]->name
                                           : b->indexes[i - a->nindexes]->name;
        if (i >= a->nindexes && has_index(a, name))
            continue; /* in both shapes */
        zdm_sqlf(&buf, SQ, "%s%L", sep, name);
        sep = ", ";
    }
    return zdm_buf_cstr(&buf);
}

/* The names of the table's sync triggers whose column the new shape has
 * not (a rollback past the column): they are not kept. */
static const char *gone_syncs(zdm_lower_ctx *cx, const zdm_table *to)
{
    zdm_buf buf;
    zdm_buf_init(&buf, cx->arena);
    const char *sep = "";
    for (size_t i = 0; i < sqlt_st(cx)->syncs.len; i++) {
        const sqlt_sync *sy = sqlt_st(cx)->syncs.items[i];
        if (!zdm_name_eq(sy->table, to->name) || zdm_table_column(to, sy->col))
            continue;
        zdm_sqlf(&buf, SQ, "%s%L, %L", sep, sy->ins, sy->upd);
        sep = ", ";
    }
    return zdm_buf_cstr(&buf);
}

const char *sqlt_keep_save_sql(zdm_lower_ctx *cx, const zdm_table *from, const zdm_table *to)
{
    const char *t = to->name.name;
    return zdm_sqlf_str(
        cx->arena, SQ,
        "-- keep what the history does not know: the indexes, triggers and views made outside "
        "zdm\n-- that belong to or mention %s, captured here and re-created from their own text "
        "after the rename\n"
        "DROP TABLE IF EXISTS temp.zdm_keep;\n"
        "CREATE TEMP TABLE zdm_keep AS WITH RECURSIVE zdm_dep(name) AS (SELECT %L\n"
        "    UNION SELECT s.name FROM sqlite_schema AS s, zdm_dep AS d\n"
        "    WHERE s.type = 'view' AND instr(lower(s.sql), lower(d.name)) > 0)\n"
        "SELECT s.rowid AS seq, s.type, s.name, s.sql FROM sqlite_schema AS s\n"
        "WHERE (s.type = 'view' AND s.name IN (SELECT name FROM zdm_dep))\n"
        "   OR (s.type = 'trigger' AND EXISTS (SELECT 1 FROM zdm_dep AS d\n"
        "                                      WHERE instr(lower(s.sql), lower(d.name)) > 0)\n"
        "       AND NOT (s.tbl_name = %L COLLATE NOCASE AND (s.name LIKE 'zdm\\_copy\\_%%' "
        "ESCAPE '\\'\n"
        "                                                OR s.name IN (%s))))\n"
        "   OR (s.type = 'index' AND s.tbl_name = %L COLLATE NOCASE AND s.sql IS NOT NULL\n"
        "       AND s.name COLLATE NOCASE NOT IN (%s));\n"
        "-- the views and triggers that name %s would fail the rename's check: dropped now\n"
        SQLT_YIELD_HEAD ".output zdm-keep.sql\n"
        "SELECT printf('DROP %%s IF EXISTS \"%%w\";', upper(type), name) FROM temp.zdm_keep "
        "WHERE type <> 'index' ORDER BY seq;\n"
        ".output stdout\n.read zdm-keep.sql\n",
        t, t, t, gone_syncs(cx, to), t, model_indexes(cx, from, to), t);
}

const char *sqlt_keep_restore_sql(void)
{
    return "-- the kept objects re-created from their captured text; renaming a throwaway "
           "table then resolves\n"
           "-- every view and trigger: one that names what the change removed stops the step "
           "here (\"error in\n"
           "-- view|trigger NAME: ...\"; an index: its CREATE INDEX fails) and nothing is "
           "changed: alter or\n"
           "-- drop that object first, then run the step again\n"
           SQLT_YIELD_HEAD ".output zdm-keep.sql\n"
           "SELECT '-- made outside zdm, re-created from its own text: ' || type || ' ' ||\n"
           "    replace(name, char(10), ' ') || char(10) || sql ||\n"
           "    CASE WHEN instr(sql, '--') > 0 AND substr(sql, -1) <> char(10) THEN char(10) "
           "ELSE '' END || ';'\n"
           "    FROM temp.zdm_keep\n"
           "    ORDER BY CASE type WHEN 'view' THEN 0 WHEN 'trigger' THEN 1 ELSE 2 END, seq;\n"
           "SELECT 'CREATE TABLE zdm_keep_check (x);' || char(10) ||\n"
           "    'ALTER TABLE zdm_keep_check RENAME TO zdm_keep_checked;' || char(10) ||\n"
           "    'DROP TABLE zdm_keep_checked;'\n"
           "    WHERE EXISTS (SELECT 1 FROM temp.zdm_keep WHERE type <> 'index');\n"
           ".output stdout\n.read zdm-keep.sql\n"
           "DROP TABLE temp.zdm_keep;\n";
}
