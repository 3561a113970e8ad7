/*
 * main.c - the zdm command line: compile, check, fmt; and the runtime's
 * run, status, rollback (runtime/runtime.h, which owns their exit statuses).
 *
 *   zdm compile FILE.zdm --target TARGET [--out DIR] [--lock-timeout DUR] [--dump-ir]
 *   zdm check FILE.zdm...
 *   zdm fmt FILE.zdm
 *   zdm run DIR [--db URL] [--phase NAME] [--until NAME] [--yes] [--reconnect-timeout S]
 *           [--batch-ms LO-HI] [--pause MS] [--max-replica-lag S] [--max-load N]
 *   zdm run FILE.zdm [--db URL] ...   (compiled for the server's version, then run)
 *   zdm status DIR [--db URL]
 *   zdm rollback DIR [--db URL] [--yes]
 *
 * Exit status: 0 success, 1 errors in the input, 2 bad usage or an internal
 * failure. Each command runs one pipeline stage after another and stops at the
 * first stage that reported errors; every stage reports all of its errors.
 * One arena per file compiled, freed at the end.
 */
#include "core/core.h"
#include "frontend/ast.h"
#include "frontend/fmt.h"
#include "frontend/sema.h"
#include "ir/ir.h"
#include "plan/plan.h"
#include "backends/dialect.h"
#include "render/render.h"
#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>

#define EXIT_INPUT 1
#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: zdm compile FILE.zdm --target TARGET [--out DIR] [--lock-timeout DURATION]\n"
    "       zdm check FILE.zdm...\n"
    "       zdm fmt FILE.zdm\n"
    "       zdm run DIR|FILE.zdm [--db URL] [--phase NAME] [--until NAME] [--yes]\n"
    "               [--reconnect-timeout SECONDS]\n"
    "               [--batch-ms LO-HI] [--pause MS] [--max-replica-lag SECONDS] [--max-load N]\n"
    "       zdm status DIR [--db URL]\n"
    "       zdm rollback DIR [--db URL] [--yes]\n"
    "\n"
    "  compile   write the migration plan for TARGET into DIR\n"
    "            (default ./zdm-out/<file-stem>/<target>)\n"
    "  check     parse and analyse only; exit 1 on any error\n"
    "  fmt       print the canonical form on standard output\n"
    "  run       run a compiled plan (DIR holds plan.json) on a database, resuming\n"
    "            where it stopped; status: what has run; rollback: reverse it\n"
    "\n"
    "targets: postgres, postgres@11 .. postgres@18\n"
    "options: --dump-ir prints the analysed operations instead of writing a plan\n"
    "exit status: 0 ok, 1 errors in the input, 2 bad usage or internal failure\n"
    "  run/rollback: 0 done, 1 a step or check failed (state recorded), 2 usage,\n"
    "  3 stopped at a phase boundary, a deploy checkpoint or a confirmation\n";

static int usage_error(const char *fmt, ...) ZDM_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("zdm: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* The part of a compile that every command shares: read, parse, and (unless
 * `parse_only`) replay the history and analyse. Returns NULL after errors. */
typedef struct front {
    const zdm_source *src;
    ast_file *file;
    zdm_migration *mig;
} front;

static int run_front(front *out, zdm_arena *a, zdm_diags *d, const char *path, bool parse_only)
{
    const char *err = NULL;
    memset(out, 0, sizeof *out);
    zdm_source *src = zdm_source_read(a, path, &err);
    if (!src) {
        fprintf(stderr, "zdm: error: cannot read %s: %s\n", path, err);
        return EXIT_USAGE;
    }
    out->src = src;
    out->file = zdm_parse(a, d, src);
    if (d->nerrors || parse_only)
        return d->nerrors ? EXIT_INPUT : 0;
    zdm_schema *base = zdm_history_replay(a, d, path);
    if (d->nerrors)
        return EXIT_INPUT;
    out->mig = zdm_analyze(a, d, out->file, base);
    return d->nerrors || !out->mig ? EXIT_INPUT : 0;
}

/* "500ms", "2s", "5min", "1h" -> milliseconds; -1 when malformed. */
static int64_t parse_duration(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mul = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "s") == 0 ? 1000
               : strcmp(end, "min") == 0 ? 60000 : strcmp(end, "h") == 0 ? 3600000 : -1;
    if (mul < 0 || v * mul > 86400000.0)
        return -1;
    return (int64_t)(v * mul + 0.5);
}

/* ./zdm-out/<stem>/<target> */
static const char *default_out(zdm_arena *a, const char *path, const char *target)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".zdm") == 0)
        n -= 4;
    return zdm_sprintf(a, "zdm-out/%.*s/%s", (int)n, base, target);
}

typedef struct compile_args {
    const char *file, *target, *out;
    int64_t lock_timeout_ms;
    bool dump_ir;
} compile_args;

static int parse_compile_args(compile_args *ca, int argc, char **argv)
{
    memset(ca, 0, sizeof *ca);
    ca->lock_timeout_ms = -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(arg, "--target") == 0 && has_val)
            ca->target = argv[++i];
        else if (strncmp(arg, "--target=", 9) == 0)
            ca->target = arg + 9;
        else if (strcmp(arg, "--out") == 0 && has_val)
            ca->out = argv[++i];
        else if (strncmp(arg, "--out=", 6) == 0)
            ca->out = arg + 6;
        else if (strcmp(arg, "--lock-timeout") == 0 && has_val) {
            ca->lock_timeout_ms = parse_duration(argv[++i]);
            if (ca->lock_timeout_ms <= 0)
                return usage_error("--lock-timeout needs a duration such as 500ms or 2s, not '%s'",
                                   argv[i]);
        } else if (strcmp(arg, "--dump-ir") == 0)
            ca->dump_ir = true;
        else if (arg[0] == '-' && arg[1])
            return usage_error("unknown or incomplete option '%s'", arg);
        else if (ca->file)
            return usage_error("compile takes one file; '%s' is one too many", arg);
        else
            ca->file = arg;
    }
    if (!ca->file)
        return usage_error("compile needs a .zdm file");
    if (!ca->target && !ca->dump_ir)
        return usage_error("compile needs --target (for example --target postgres@15)");
    return 0;
}

static int cmd_compile(int argc, char **argv)
{
    compile_args ca;
    int rc = parse_compile_args(&ca, argc, argv);
    if (rc)
        return rc;
    zdm_target target;
    const char *err = NULL;
    if (ca.target && zdm_target_parse(&target, ca.target, &err) != 0) {
        fprintf(stderr, "zdm: error: %s\n", err);
        return EXIT_USAGE;
    }
    zdm_arena *a = zdm_arena_new();
    zdm_diags d;
    zdm_diags_init(&d, a);
    front f;
    rc = run_front(&f, a, &d, ca.file, false);
    if (rc == 0 && ca.dump_ir) {
        zdm_buf b;
        zdm_buf_init(&b, a);
        zdm_ir_dump(&b, f.mig);
        fputs(zdm_buf_cstr(&b), stdout);
    } else if (rc == 0) {
        zdm_compile_opts opts = {.lock_timeout_ms = ca.lock_timeout_ms};
        zdm_plan *plan = zdm_lower(a, &d, &target, f.mig, &opts);
        const char *dir = ca.out ? ca.out : default_out(a, ca.file, ca.target);
        if (!plan || d.nerrors)
            rc = EXIT_INPUT;
        else if (zdm_render_dir(a, plan, dir, &err) != 0) {
            fprintf(stderr, "zdm: error: cannot write %s: %s\n", dir, err);
            rc = EXIT_USAGE;
        }
    }
    zdm_diags_render(stderr, &d);
    zdm_arena_free(a);
    return rc;
}

static bool is_zdm_file(const char *arg)
{
    size_t n = strlen(arg);
    return arg[0] != '-' && n > 4 && strcmp(arg + n - 4, ".zdm") == 0;
}

/* `zdm run FILE.zdm --db URL ...`: compile FILE for the connected server's
 * version into the default output directory, then run that plan (the same
 * arguments, the directory in the file's place). */
static int cmd_run(int argc, char **argv)
{
    int file = -1;
    const char *db = "";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strncmp(argv[i], "--db=", 5) == 0)
            db = argv[i] + 5;
        else if (is_zdm_file(argv[i]))
            file = i;
    }
    if (file < 0)
        return rt_cmd_run(argc, argv);
    char target[64];
    int rc = rt_server_target(db, target, sizeof target);
    if (rc)
        return rc;
    zdm_arena *a = zdm_arena_new();
    const char *dir = default_out(a, argv[file], target);
    char *cargv[] = {argv[file], (char *)"--target", target, (char *)"--out", (char *)dir};
    fprintf(stderr, "zdm: compiling %s for %s into %s\n", argv[file], target, dir);
    rc = cmd_compile(5, cargv);
    if (rc == 0) {
        char **rargv = ZDM_NEW_ARRAY(a, char *, (size_t)argc + 1);
        for (int i = 0; i < argc; i++)
            rargv[i] = i == file ? (char *)dir : argv[i];
        rc = rt_cmd_run(argc, rargv);
    }
    zdm_arena_free(a);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    if (argc == 0)
        return usage_error("check needs at least one .zdm file");
    int worst = 0;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error("unknown option '%s'", argv[i]);
        zdm_arena *a = zdm_arena_new();
        zdm_diags d;
        zdm_diags_init(&d, a);
        front f;
        int rc = run_front(&f, a, &d, argv[i], false);
        zdm_diags_render(stderr, &d);
        zdm_arena_free(a);
        if (rc > worst)
            worst = rc;
    }
    return worst;
}

static int cmd_fmt(int argc, char **argv)
{
    if (argc != 1 || (argv[0][0] == '-' && argv[0][1]))
        return usage_error("fmt takes exactly one .zdm file");
    zdm_arena *a = zdm_arena_new();
    zdm_diags d;
    zdm_diags_init(&d, a);
    front f;
    int rc = run_front(&f, a, &d, argv[0], true);
    if (rc == 0) {
        zdm_buf b;
        zdm_buf_init(&b, a);
        zdm_fmt(&b, f.file);
        fputs(zdm_buf_cstr(&b), stdout);
    }
    zdm_diags_render(stderr, &d);
    zdm_arena_free(a);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("zdm 0.1.0");
        return 0;
    }
    if (strcmp(cmd, "compile") == 0)
        return cmd_compile(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "fmt") == 0)
        return cmd_fmt(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "status") == 0)
        return rt_cmd_status(argc - 2, argv + 2);
    if (strcmp(cmd, "rollback") == 0)
        return rt_cmd_rollback(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", cmd);
}
