/*
 * unit.c - unit tests of the runtime's parts that need no server: SHA-256
 * (FIPS 180-2 test vectors), the strict JSON reader, the psql statement
 * splitter, the sqlite3-shell and mariadb-client script splitters, the
 * MySQL driver's --db URL, the plan.json reader (on the
 * golden headline plan), and the native backfill's batch-size adaptation,
 * backoff and progress text. Prints
 * "ok NAME" / "FAIL NAME" lines (docs/testing.md); exit 1 on any failure.
 * Run from the top of the tree: build/runtime-unit
 */
#include "runtime/json.h"
#include "runtime/mysql_script.h"
#include "runtime/mysql_url.h"
#include "runtime/planfile.h"
#include "runtime/progress.h"
#include "runtime/rt_int.h"
#include "runtime/script.h"
#include "runtime/sha256.h"
#include "runtime/sqlite_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

static void check(bool ok, const char *name, const char *detail)
{
    if (ok) {
        printf("ok runtime-unit/%s\n", name);
    } else {
        printf("FAIL runtime-unit/%s\n    %s\n", name, detail ? detail : "");
        failures++;
    }
}

static void sha(const char *in, size_t n, const char *want, const char *name)
{
    char out[65];
    rt_sha256_hex(in, n, out);
    check(strcmp(out, want) == 0, name, out);
}

static void test_sha256(void)
{
    sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256-empty");
    sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256-abc");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "sha256-two-blocks");
    static char million[1000000];
    memset(million, 'a', sizeof million);
    sha(million, sizeof million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        "sha256-million-a");
}

static const char *parse_err(zdm_arena *a, const char *text)
{
    const char *err = NULL;
    rt_json *v = rt_json_parse(a, text, strlen(text), &err);
    return v ? NULL : err;
}

static void test_json(zdm_arena *a)
{
    const char *doc = "{\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\\"\","
                      " \"o\": {}, \"e\": []}";
    const char *err = NULL;
    rt_json *v = rt_json_parse(a, doc, strlen(doc), &err);
    const rt_json *arr = rt_json_get(v, "a"), *s = rt_json_get(v, "s");
    check(v && arr && arr->len == 5 && arr->items[1]->num == -2500 && arr->items[2]->b &&
              arr->items[4]->type == RT_JNULL && rt_json_get(v, "o")->len == 0,
          "json-values", err);
    check(s && strcmp(s->str, "x\n\xc3\xa9\xf0\x9f\x98\x80\"") == 0, "json-string-escapes",
          s ? s->str : err);
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"a\nb\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\u0000\"", "\"\\x\"", "[1] 2", "{a:1}", "tru", "'a'", "[1 2]", "\"abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check(parse_err(a, bad[i]) != NULL, zdm_sprintf(a, "json-refuses-%zu", i), bad[i]);
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = 0;
    check(parse_err(a, deep) != NULL, "json-depth-limit", "65 levels accepted");
    deep[64] = 0;
    memset(deep + 32, ']', 32);
    check(parse_err(a, deep) == NULL, "json-depth-ok", "32 levels refused");
    const char *e = parse_err(a, "{\n\"a\": [1,\n]}");
    check(e && strncmp(e, "line 3:", 7) == 0, "json-error-line", e);
}

static bool items(zdm_arena *a, const char *text, const char *want, const char **got)
{
    rt_script s;
    const char *err = NULL;
    if (!rt_script_split(a, text, &s, &err)) {
        *got = err;
        return false;
    }
    zdm_buf b;
    zdm_buf_init(&b, a);
    for (size_t i = 0; i < s.len; i++)
        zdm_buf_printf(&b, "%s<%s>", s.items[i].kind == RT_ITEM_GEXEC ? "G" : "S", s.items[i].sql);
    *got = zdm_buf_cstr(&b);
    return strcmp(*got, want) == 0;
}

static void test_script(zdm_arena *a)
{
    const char *got = NULL;
    bool r;
    r = items(a, "SET a = 1;\n-- c; d\nSELECT 'x;y' \\gexec\nCREATE INDEX i ON t (a);\n",
                "S<SET a = 1>G<-- c; d\nSELECT 'x;y'>S<CREATE INDEX i ON t (a)>", &got);
    check(r, "script-gexec", got);
    r = items(a, "DO $zdm$ BEGIN PERFORM 1; END $zdm$;\nSELECT $1, $$a;b$$;",
                "S<DO $zdm$ BEGIN PERFORM 1; END $zdm$>S<SELECT $1, $$a;b$$>", &got);
    check(r, "script-dollar", got);
    r = items(a, "SELECT E'it\\'s;', \"a;\"\"b\", 'q''; r' /* x /* ; */ ; */;\n-- only ;\n",
                "S<SELECT E'it\\'s;', \"a;\"\"b\", 'q''; r' /* x /* ; */ ; */>", &got);
    check(r, "script-quotes-comments", got);
    r = items(a, "CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2);",
                "S<CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2)>", &got);
    check(r, "script-parens", got);
    r = items(a, "\\set ON_ERROR_STOP on\nSELECT 1;", "S<SELECT 1>", &got);
    check(r, "script-set", got);
    r = !items(a, "SELECT 1;\n\\i other.sql\n", "", &got) && strstr(got, "\\i");
    check(r, "script-refuses-meta", got);
    r = !items(a, "SELECT 'abc;", "", &got);
    check(r, "script-unterminated", got);
    r = !items(a, "DO $a$ x $b$;", "", &got);
    check(r, "script-unterminated-dollar", got);
}

/* A stand-in for sqlite3_complete (the unit test links no SQLite): a text
 * is complete when its last non-blank character is ';'. The driver passes
 * the real one. */
static int ends_in_semicolon(const char *sql)
{
    size_t n = strlen(sql);
    while (n && (sql[n - 1] == '\n' || sql[n - 1] == ' '))
        n--;
    return n && sql[n - 1] == ';';
}

static bool sq_items(zdm_arena *a, const char *text, const char *want, const char **got)
{
    rt_sq_script s;
    const char *err = NULL;
    if (!rt_sq_split(a, text, ends_in_semicolon, &s, &err)) {
        *got = err;
        return false;
    }
    static const char *const k[] = {"S", "T", "C", "E", "R", "P"};
    zdm_buf b;
    zdm_buf_init(&b, a);
    for (size_t i = 0; i < s.len; i++)
        zdm_buf_printf(&b, "%s<%s%d>", k[s.items[i].kind], s.items[i].text ? s.items[i].text : "",
                       s.items[i].ms);
    *got = zdm_buf_cstr(&b);
    return strcmp(*got, want) == 0;
}

static void test_sqlite_script(zdm_arena *a)
{
    const char *got = NULL;
    bool r = sq_items(a,
                      ".bail on\n.timeout 5000\n-- a comment\nBEGIN IMMEDIATE;\nCREATE TABLE t (\n"
                      "  a INT\n);\nCOMMIT;\n.headers off\n.mode list\n.output g.sql\n"
                      "SELECT 'x';\n.output stdout\n.read g.sql\n",
                      "T<5000>S<BEGIN IMMEDIATE;\n0>S<CREATE TABLE t (\n  a INT\n);\n0>"
                      "S<COMMIT;\n0>C<g.sql0>S<SELECT 'x';\n0>E<0>R<g.sql0>",
                      &got);
    check(r, "sqlite-script-dot-commands", got);
    r = !sq_items(a, "SELECT 1;\n.shell rm -rf /\n", "", &got) && strstr(got, ".shell");
    check(r, "sqlite-script-refuses-other-dot-commands", got);
    r = sq_items(a, "SELECT 1;\n.shell sleep 0.1\n.system sleep 2\n.shell sleep 0.05\n",
                 "S<SELECT 1;\n0>P<100>P<2000>P<50>", &got);
    check(r, "sqlite-script-sleep", got);
    r = !sq_items(a, ".shell sleep 0.1; rm x\n", "", &got) &&
        !sq_items(a, ".shell sleep 1e3\n", "", &got) && !sq_items(a, ".shell sleep 61\n", "", &got) &&
        !sq_items(a, ".shell sleep .\n", "", &got) && !sq_items(a, ".shell echo 1\n", "", &got);
    check(r, "sqlite-script-sleep-refuses-other-shell", got);
    r = !sq_items(a, ".bail off\n", "", &got);
    check(r, "sqlite-script-refuses-bail-off", got);
    r = !sq_items(a, "SELECT 1\n", "", &got);
    check(r, "sqlite-script-incomplete", got);
    r = sq_items(a, "SELECT 1\n.5;\n", "S<SELECT 1\n.5;\n0>", &got);
    check(r, "sqlite-script-dot-inside-statement", got);
}

/* The statements joined as <...>, or the error. */
static bool my_stmts(zdm_arena *a, const char *text, const char *want, const char **got)
{
    rt_my_script s;
    const char *err = NULL;
    if (!rt_my_split(a, text, &s, &err)) {
        *got = err;
        return false;
    }
    zdm_buf b;
    zdm_buf_init(&b, a);
    for (size_t i = 0; i < s.len; i++)
        zdm_buf_printf(&b, "<%s>", s.stmts[i]);
    *got = zdm_buf_cstr(&b);
    return strcmp(*got, want) == 0;
}

static void test_mysql_script(zdm_arena *a)
{
    const char *got = NULL;
    bool r = my_stmts(a, "SET SESSION lock_wait_timeout = 1;\n-- a comment; not a statement\n"
                         "DROP PROCEDURE IF EXISTS zdm_step;\nDELIMITER $$\n"
                         "CREATE PROCEDURE zdm_step()\nBEGIN\n    SELECT 1;\n    SELECT 2;\nEND$$\n"
                         "DELIMITER ;\nCALL zdm_step();\n",
                      "<SET SESSION lock_wait_timeout = 1><DROP PROCEDURE IF EXISTS zdm_step>"
                      "<CREATE PROCEDURE zdm_step()\nBEGIN\n    SELECT 1;\n    SELECT 2;\nEND>"
                      "<CALL zdm_step()>",
                      &got);
    check(r, "mysql-script-delimiter", got);
    r = my_stmts(a, "SELECT 'a;b', \"c;\\\"d\", `e;``f`, 'it''s;' # x; y\n;SELECT /* ; */ 2",
                 "<SELECT 'a;b', \"c;\\\"d\", `e;``f`, 'it''s;' # x; y><SELECT /* ; */ 2>", &got);
    check(r, "mysql-script-quotes-comments", got);
    r = my_stmts(a, "-- only a comment\n\n/* and another */\n", "", &got);
    check(r, "mysql-script-comment-only", got);
    r = my_stmts(a, "SELECT 1 -- trailing\n;SELECT 2--3;\n", "<SELECT 1 -- trailing><SELECT 2--3>",
                 &got);
    check(r, "mysql-script-dash-dash-needs-blank", got);
    r = my_stmts(a, "delimiter //\nSELECT 1//\nSELECT 'x//'//\n", "<SELECT 1><SELECT 'x//'>", &got);
    check(r, "mysql-script-delimiter-lowercase", got);
    r = my_stmts(a, "SELECT 1\nDELIMITER $$\n", "<SELECT 1\nDELIMITER $$>", &got);
    check(r, "mysql-script-delimiter-only-between-statements", got);
    r = !my_stmts(a, "SELECT 'open;\n", "", &got) && strstr(got, "unterminated");
    check(r, "mysql-script-unterminated-quote", got);
    r = !my_stmts(a, "DELIMITER\n", "", &got) && strstr(got, "line 1");
    check(r, "mysql-script-delimiter-needs-argument", got);
    r = !my_stmts(a, "SELECT 1;\n\\! rm -rf /\n", "", &got) && strstr(got, "line 2");
    check(r, "mysql-script-refuses-client-commands", got);
    r = my_stmts(a, "SELECT 1\\gSELECT 2", "<SELECT 1><SELECT 2>", &got);
    check(r, "mysql-script-backslash-g", got);
}

static const char *url_str(zdm_arena *a, const char *url)
{
    rt_my_url u;
    const char *err = NULL;
    if (!rt_my_url_parse(a, url, &u, &err))
        return zdm_sprintf(a, "error: %s", err);
    return zdm_sprintf(a, "%s|%s|%s|%u|%s|%s", u.user ? u.user : "-", u.pass ? u.pass : "-",
                       u.host, u.port, u.db, u.sock ? u.sock : "-");
}

static void test_mysql_url(zdm_arena *a)
{
    const char *got = url_str(a, "mysql://app:p%40ss%3Aw@db.example:3307/shop");
    check(strcmp(got, "app|p@ss:w|db.example|3307|shop|-") == 0, "mysql-url-full", got);
    got = url_str(a, "mariadb://root@localhost/t1?socket=/run/mysqld/mysqld.sock");
    check(strcmp(got, "root|-|localhost|0|t1|/run/mysqld/mysqld.sock") == 0, "mysql-url-socket", got);
    got = url_str(a, "mysql://u:@[::1]:3306/d");
    check(strcmp(got, "u||::1|3306|d|-") == 0, "mysql-url-empty-password-ipv6", got);
    got = url_str(a, "mysql://u:secret@h:99999/d");
    check(strstr(got, "error: the port") && !strstr(got, "secret"), "mysql-url-bad-port", got);
    got = url_str(a, "mysql://u:secret@h/");
    check(strstr(got, "names no database") && !strstr(got, "secret"), "mysql-url-no-database", got);
    got = url_str(a, "mysql://h/d?sslmode=on");
    check(strstr(got, "unknown parameter 'sslmode'") != NULL, "mysql-url-unknown-parameter", got);
}

/* The batch loop the SQLite backend writes (sqlt_loop_sql), in the shape of
 * a backfill's restore: a guard whose text generates the batches from the
 * table's real rowids (-2, 1..25, 40; batches of 10), each followed by the
 * pause guard. Each batch logs how many rows its range holds. */
#define SQ_LOOP                                                                              \
    ".headers off\n.mode list\n.output zdm-loop.sql\n"                                     \
    "WITH RECURSIVE zdm_lim(lo, hi) AS (SELECT coalesce((SELECT min(rowid) FROM t), 1) - 1, " \
    "coalesce((SELECT max(rowid) FROM t), 0)),\n"                                            \
    "zdm_lo(lo) AS (SELECT lo FROM zdm_lim UNION ALL SELECT zdm_lo.lo + 10 FROM zdm_lo, "   \
    "zdm_lim WHERE zdm_lo.lo < zdm_lim.hi),\n"                                               \
    "zdm_range(lo, cond) AS (SELECT zdm_lo.lo, 'rowid > ' || zdm_lo.lo || CASE WHEN "        \
    "zdm_lo.lo < zdm_lim.hi THEN ' AND rowid <= ' || (zdm_lo.lo + 10) ELSE '' END FROM "      \
    "zdm_lo, zdm_lim)\n"                                                                     \
    "SELECT\n    'INSERT INTO log (n) SELECT count(*) FROM t WHERE ' || cond || ';' || "      \
    "char(10) ||\n    'UPDATE t SET v = 1 WHERE ' || cond || ';' || char(10) ||\n"           \
    "    '.output zdm-pause.sql' || char(10) ||\n"                                          \
    "    'SELECT ''.shell sleep 0.1'' WHERE changes() > 0;' || char(10) ||\n"               \
    "    '.output stdout' || char(10) ||\n    '.read zdm-pause.sql'\n"                        \
    "FROM zdm_range ORDER BY lo;\n.output stdout\n.read zdm-loop.sql\n"

static const char *sq_query1(zdm_arena *a, rt_conn *c, const char *sql)
{
    rt_rows rows = {0};
    const char *err = NULL;
    if (!rt_driver_sqlite.query(c, a, sql, 0, NULL, &rows, &err))
        return err;
    return rows.nrows == 1 && RT_CELL(&rows, 0, 0) ? RT_CELL(&rows, 0, 0) : "(no value)";
}

static void test_sqlite_loop(zdm_arena *a)
{
    char path[] = "/tmp/zdm-unit-loop.XXXXXX";
    int fd = mkstemp(path);
    const char *err = NULL;
    rt_conn *c = fd >= 0 ? rt_driver_sqlite.connect(a, zdm_sprintf(a, "sqlite:%s", path), &err)
                         : NULL;
    if (fd >= 0)
        close(fd);
    if (!c) {
        check(false, "sqlite-loop-connect", err ? err : "mkstemp failed");
        if (fd >= 0)
            unlink(path);
        return;
    }
    zdm_buf b;
    zdm_buf_init(&b, a);
    zdm_buf_puts(&b, "CREATE TABLE t (v INT);\nCREATE TABLE log (n INT);\n"
                     "INSERT INTO t (rowid, v) VALUES (-2, 0), (40, 0);\n"
                     "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 25)\n"
                     "INSERT INTO t (rowid, v) SELECT i, 0 FROM k;\n"
                     ".headers off\n.mode list\n.output zdm-guard.sql\nSELECT ");
    zdm_buf_quoted(&b, SQ_LOOP, '\'');
    zdm_buf_puts(&b, " WHERE EXISTS (SELECT 1 FROM t);\n.output stdout\n.read zdm-guard.sql\n");
    bool ok = rt_driver_sqlite.exec_script(c, a, zdm_buf_cstr(&b), &err);
    check(ok, "sqlite-loop-runs-nested", err);
    const char *got = ok ? sq_query1(a, c, "SELECT group_concat(n) || '/' || (SELECT sum(v) FROM t) "
                                           "FROM (SELECT n FROM log ORDER BY rowid)")
                         : err;
    check(strcmp(got, "8,10,8,0,1,0/27") == 0, "sqlite-loop-real-ranges", got);
    check(access("zdm-guard.sql", F_OK) != 0 && access("zdm-loop.sql", F_OK) != 0 &&
              access("zdm-pause.sql", F_OK) != 0,
          "sqlite-loop-no-file-written", "a zdm-*.sql file is in the working directory");
    ok = !rt_driver_sqlite.exec_script(c, a,
                                       ".output g.sql\nSELECT '.output g.sql';\n.output\n"
                                       ".read g.sql\n",
                                       &err);
    check(ok && strstr(err, "being read"), "sqlite-loop-refuses-capture-into-read-file",
          ok ? err : "the script ran");
    rt_driver_sqlite.close(c);
    unlink(path);
}

static void test_plan(zdm_arena *a)
{
    const char *err = NULL;
    rt_plan *p = rt_plan_read(a, "tests/golden/headline/expected/postgres@15", &err);
    check(p && p->nsteps == 9 && p->nphases == 4 && p->version == 15 &&
              strcmp(p->dialect, "postgres") == 0 && p->ncheckpoints == 1 &&
              p->checkpoints[0].before_index == 3 && strcmp(p->steps[3].kind, "concurrent_index") == 0 &&
              p->steps[8].phase_index == 3 && p->steps[0].npre == 2 && strlen(p->hash) == 64,
          "plan-headline", err);
    check(p && p->lock_retries == 10 && p->retry_base_ms == 200 && p->retry_cap_ms == 5000 &&
              p->steps[0].retried && strcmp(p->steps[0].lock_level, "blocks_all") == 0 &&
              p->steps[0].lock_timeout_ms == 500 && p->steps[0].statement_timeout_ms == 62000 &&
              !p->steps[3].retried && strcmp(p->steps[3].lock_level, "concurrent") == 0 &&
              p->steps[3].lock_timeout_ms == 10000 && p->steps[3].statement_timeout_ms == 0,
          "plan-headline-retry-fields", err);
    if (p) {
        check(rt_backoff_ms(p, 1, 1) == 200 && rt_backoff_ms(p, 1, 0) == 100 &&
                  rt_backoff_ms(p, 3, 1) == 800 && rt_backoff_ms(p, 6, 1) == 5000 &&
                  rt_backoff_ms(p, 40, 0) == 2500,
              "backoff-capped-jittered", "rt_backoff_ms is not min(cap, base * 2^(n-1)) * (0.5 + r/2)");
    }
    bool any = false;
    for (size_t i = 0; p && i < p->nsteps; i++)
        any |= p->steps[i].destructive;
    check(p && !any, "plan-headline-not-destructive", "a step of headline counted as destructive");
    p = rt_plan_read(a, "tests/golden/drop_column/expected/postgres@15", &err);
    any = false;
    for (size_t i = 0; p && i < p->nsteps; i++)
        any |= p->steps[i].destructive && strcmp(p->steps[i].phase, "contract") == 0;
    check(p && any, "plan-drop-column-destructive", err);
    check(!rt_plan_read(a, "tests/runtime", &err) && strstr(err, "plan.json"), "plan-missing", err);
}

static void test_plan_backfill(zdm_arena *a)
{
    const char *err = NULL;
    rt_plan *p = rt_plan_read(a, "tests/golden/headline/expected/postgres@15", &err);
    const rt_backfill *bf = p ? p->steps[2].backfill : NULL;
    check(bf && bf->batch == 5000 && strcmp(bf->table, "users") == 0 && !bf->schema &&
              strstr(bf->batch_sql, "$2") && strstr(bf->next_sql, "$3") && p->lock_retries == 10 &&
              p->steps[2].lock_timeout_ms > 0 && !p->steps[0].backfill,
          "plan-backfill-walk", err);
    check(bf && bf->vacuum_sql && strcmp(bf->vacuum_sql, "VACUUM users") == 0, "plan-backfill-vacuum",
          bf && bf->vacuum_sql ? bf->vacuum_sql : "no vacuum_sql");
    check(bf && !bf->check_sql && !bf->check_what && !bf->after_sql && !bf->open_end &&
              !bf->check_beside && !bf->checked_sql && !bf->check_from_sql,
          "plan-backfill-one-statement", "an UPDATE walk read with a check, after_sql or open_end");
    /* The MySQL shadow copy: a batch of two statements, the last one
     * open-ended, its check beside the next batch with its progress. */
    p = rt_plan_read(a, "tests/golden/mysql_int_bigint/expected/mariadb@10.11", &err);
    bf = p ? p->steps[2].backfill : NULL;
    check(bf && bf->open_end && strstr(bf->batch_sql, "INSERT IGNORE") && bf->check_sql &&
              strstr(bf->check_sql, "CRC32") && bf->check_what && bf->after_sql &&
              strstr(bf->after_sql, "zdm_cur_events"),
          "plan-backfill-copy-walk", err ? err : "no check_sql/after_sql/open_end in the copy");
    check(bf && bf->check_beside && bf->checked_sql && strstr(bf->checked_sql, "WHERE id = 2") &&
              bf->check_from_sql && strstr(bf->check_from_sql, "zdm_cur_events"),
          "plan-backfill-copy-check-beside", "no check_beside/checked_sql/check_from_sql");
}

/* A rollback's pieces: backfill_existing's restore (a script, then the
 * backup's walk) and rename_column's swap (script, the reverse fill, script);
 * a backfill's step carries none, and the rollback text stays whole. */
static void test_plan_rollback_pieces(zdm_arena *a)
{
    const char *err = NULL;
    rt_plan *p = rt_plan_read(a, "tests/golden/backfill_existing/expected/postgres@15", &err);
    const rt_step *st = p ? &p->steps[2] : NULL;
    const rt_backfill *w = st && st->nrb_pieces == 2 ? st->rb_pieces[1].walk : NULL;
    check(w && st->rb_pieces[0].script && strstr(st->rb_pieces[0].script, "ANALYZE") &&
              !st->rb_pieces[0].walk && strcmp(w->verb, "restore") == 0 &&
              strcmp(w->table, "items") == 0 && strstr(w->max_sql, "zdm_backup_items_1") &&
              w->guard_sql && w->total_sql && strstr(st->rollback, "DO $"),
          "plan-rollback-restore-walk", err);
    check(p && p->steps[2].backfill && strcmp(p->steps[2].backfill->verb, "backfill") == 0 &&
              !p->steps[0].rb_pieces,
          "plan-rollback-none-without-walk", err);
    p = rt_plan_read(a, "tests/golden/rename_column/expected/postgres@15", &err);
    size_t n = 0, walks = 0;
    for (size_t i = 0; p && i < p->nsteps; i++) {
        n += p->steps[i].nrb_pieces;
        for (size_t k = 0; k < p->steps[i].nrb_pieces; k++)
            if (p->steps[i].rb_pieces[k].walk) {
                walks++;
                check(strcmp(p->steps[i].rb_pieces[k].walk->verb, "fill") == 0 && k > 0 &&
                          k + 1 < p->steps[i].nrb_pieces,
                      "plan-rollback-fill-between-scripts", p->steps[i].id);
            }
    }
    check(walks == 1 && n == 3, "plan-rollback-rename-pieces", err);
    check(p && strcmp(rt_rollback_walk_key(a, &p->steps[0], 2), "01/rollback/2") == 0,
          "rollback-walk-key", NULL);
}

static void test_adapt(void)
{
    /* within the target: kept; too fast: at most doubled; too slow: at most halved */
    check(rt_bf_adapt(5000, 150, 100, 200, 5000) == 5000, "adapt-keeps", NULL);
    check(rt_bf_adapt(5000, 10, 100, 200, 5000) == 10000, "adapt-doubles-at-most", NULL);
    check(rt_bf_adapt(5000, 75, 100, 200, 5000) == 10000, "adapt-toward-middle", NULL);
    check(rt_bf_adapt(5000, 300, 100, 200, 5000) == 2500, "adapt-shrinks", NULL);
    check(rt_bf_adapt(5000, 225, 100, 200, 5000) == 3333, "adapt-shrinks-proportionally", NULL);
    check(rt_bf_adapt(5000, 0, 100, 200, 5000) == 10000, "adapt-zero-time", NULL);
    /* never above 10x nor below 1/10 of the plan's batch */
    check(rt_bf_adapt(45000, 1, 100, 200, 5000) == 50000, "adapt-cap-10x", NULL);
    check(rt_bf_adapt(600, 5000, 100, 200, 5000) == 500, "adapt-floor-tenth", NULL);
    check(rt_bf_adapt(1, 5000, 100, 200, 5) == 1, "adapt-floor-one", NULL);
    check(rt_bf_backoff_ms(1, 200, 5000, 1) == 200 && rt_bf_backoff_ms(3, 200, 5000, 0) == 400 &&
              rt_bf_backoff_ms(10, 200, 5000, 1) == 5000,
          "backoff-capped-jittered", NULL);
}

static void test_progress(void)
{
    char buf[256];
    rt_fmt_duration(buf, sizeof buf, 12.4);
    check(strcmp(buf, "12s") == 0, "duration-s", buf);
    rt_fmt_duration(buf, sizeof buf, 185);
    check(strcmp(buf, "3m05s") == 0, "duration-m", buf);
    rt_fmt_duration(buf, sizeof buf, 3720);
    check(strcmp(buf, "1h02m") == 0, "duration-h", buf);
    rt_fmt_duration(buf, sizeof buf, -1);
    check(strcmp(buf, "?") == 0, "duration-unknown", buf);
    rt_progress p = {.label = "users", .done = 250000, .total = 1000000, .rate = 50000,
                     .batch = 8000, .lag_s = 0.25};
    rt_progress_bar(buf, sizeof buf, &p, 20);
    check(strcmp(buf, "users [#####---------------]  25% 250000/~1000000 rows 50000 rows/s "
                      "ETA 15s batch 8000 lag 0.2s") == 0, "progress-bar", buf);
    rt_progress_line(buf, sizeof buf, &p);
    check(strcmp(buf, "backfill users: 250000 of ~1000000 rows (25%, total estimated), "
                      "50000 rows/s, ETA 15s, batch 8000, replica lag 0.2s") == 0,
          "progress-line", buf);
    p.verb = "restore";
    rt_progress_line(buf, sizeof buf, &p);
    const char *pfx = "restore users: 250000 of ~1000000 rows ";
    check(strncmp(buf, pfx, strlen(pfx)) == 0, "progress-line-verb", buf);
    p.verb = NULL;
    p.total = -1;
    p.lag_s = -1;
    rt_progress_line(buf, sizeof buf, &p);
    check(strcmp(buf, "backfill users: 250000 rows (total unknown), 50000 rows/s, ETA ?, "
                      "batch 8000") == 0, "progress-line-no-total", buf);
    p.vacuums = 3;
    rt_progress_line(buf, sizeof buf, &p);
    check(strstr(buf, "batch 8000, 3 vacuums") != NULL, "progress-line-vacuums", buf);
    rt_progress_bar(buf, sizeof buf, &p, 10);
    check(strstr(buf, "batch 8000 vac 3") != NULL, "progress-bar-vacuums", buf);
    p.vacuums = 0;
    p.total = 1000;
    rt_progress_bar(buf, sizeof buf, &p, 10);
    check(strstr(buf, "[#########-]  99%") && strstr(buf, "ETA soon"), "progress-past-estimate", buf);
    p.finished = true;
    rt_progress_bar(buf, sizeof buf, &p, 10);
    check(strstr(buf, "[##########] 100%") && strstr(buf, "ETA 0s"), "progress-finished", buf);
    rt_progress_bar(buf, 16, &p, 10);
    check(strlen(buf) == 15, "progress-truncates", buf);
    p.total = -1; /* finished without an estimate (no ANALYZE): no "of ~-1 rows" */
    rt_progress_line(buf, sizeof buf, &p);
    check(strstr(buf, "250000 rows (total unknown)") != NULL, "progress-finished-no-total", buf);
}

int main(void)
{
    zdm_arena *a = zdm_arena_new();
    test_sha256();
    test_json(a);
    test_script(a);
    test_sqlite_script(a);
    test_mysql_script(a);
    test_mysql_url(a);
    test_sqlite_loop(a);
    test_plan(a);
    test_plan_backfill(a);
    test_plan_rollback_pieces(a);
    test_adapt();
    test_progress();
    zdm_arena_free(a);
    return failures ? 1 : 0;
}
