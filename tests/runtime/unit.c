/*
 * unit.c - unit tests of the runtime's parts that need no server: SHA-256
 * (FIPS 180-2 test vectors), the strict JSON reader, the psql statement
 * splitter, the sqlite3-shell script splitter and the plan.json reader (on the golden headline plan). Prints
 * "ok NAME" / "FAIL NAME" lines (docs/testing.md); exit 1 on any failure.
 * Run from the top of the tree: build/runtime-unit
 */
#include "runtime/json.h"
#include "runtime/planfile.h"
#include "runtime/script.h"
#include "runtime/sha256.h"
#include "runtime/sqlite_script.h"

#include <stdio.h>
#include <string.h>

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
    static const char *const k[] = {"S", "T", "C", "E", "R"};
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
    r = !sq_items(a, ".bail off\n", "", &got);
    check(r, "sqlite-script-refuses-bail-off", got);
    r = !sq_items(a, "SELECT 1\n", "", &got);
    check(r, "sqlite-script-incomplete", got);
    r = sq_items(a, "SELECT 1\n.5;\n", "S<SELECT 1\n.5;\n0>", &got);
    check(r, "sqlite-script-dot-inside-statement", got);
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

int main(void)
{
    zdm_arena *a = zdm_arena_new();
    test_sha256();
    test_json(a);
    test_script(a);
    test_sqlite_script(a);
    test_plan(a);
    zdm_arena_free(a);
    return failures ? 1 : 0;
}
