/*
 * dialect.h - the backend interface: one documented vtable per target dialect,
 * target parsing ("postgres@15"), and zdm_lower, the entry point that turns a
 * migration's IR into a plan.
 *
 * A dialect is a folder under backends/ that defines one `const zdm_dialect`
 * and one line in backends/registry.c (see docs/new-dialect.md). Lowering
 * functions see only the IR (ir/ir.h) and write into the plan (plan/plan.h);
 * they build every piece of SQL with zdm_sqlf (backends/sqlfmt.h).
 *
 * Ownership: zdm_lower allocates the plan and all its text in the arena it is
 * given; targets point at static dialects and need no freeing.
 */
#ifndef ZDM_DIALECT_H
#define ZDM_DIALECT_H

#include "../core/core.h"
#include "../ir/ir.h"
#include "../plan/plan.h"

typedef struct zdm_dialect zdm_dialect;
typedef struct zdm_lower_ctx zdm_lower_ctx;

/* Lowers one op into steps of cx->plan. Returns 0, or -1 after reporting at
 * least one error (3xxx) at op->span. */
typedef int (*zdm_lower_fn)(zdm_lower_ctx *cx, const zdm_op *op);

struct zdm_dialect {
    /* MUST: the target name used on the command line, "postgres". */
    const char *name;
    /* MUST: the raw-fragment family whose variants this dialect takes
     * (`mysql (...)`); fragments without one use the default text. */
    const char *family;
    /* MUST: supported major versions, inclusive, and the version assumed when
     * the target names none (docs/backends/<name>.md says why that one). */
    unsigned min_version, max_version, default_version;
    /* MUST: the client that runs the scripts and how ("%s" is the file). */
    const char *client, *client_run_fmt;
    /* MAY: lines that start every generated script; NULL means none. */
    const char *script_preamble;
    /* MAY: NULL-terminated runbook lines saying what to watch while a plan
     * runs, and what to check when a lock retry gives up; NULL means none. */
    const char *const *monitor;
    const char *on_retry_exhausted;
    /* MUST: append `ident` (decoded) as an identifier, quoted only where the
     * dialect needs it (with its own keyword list); never fails. */
    void (*quote_ident)(zdm_buf *out, const char *ident);
    /* MUST: append `s` as a string literal. */
    void (*quote_literal)(zdm_buf *out, const char *s);
    /* MAY: set cx->state and plan defaults before the first op; NULL: nothing.
     * Returns 0 or -1 after reporting errors. */
    int (*begin)(zdm_lower_ctx *cx);
    /* MAY: add the steps that span several ops (a shared sync trigger, its
     * removal in the contract phase, checkpoints) after the last op; NULL:
     * nothing. Returns 0 or -1 after reporting errors. */
    int (*finish)(zdm_lower_ctx *cx);
    /* MUST: one entry per zdm_op_kind, indexed by kind. A NULL entry means
     * "not supported for this target yet": zdm_lower reports it clearly. */
    const zdm_lower_fn *lower;
};

/* A parsed --target. */
typedef struct zdm_target {
    const zdm_dialect *dialect;
    unsigned version;
    bool version_given;
    char canonical[32];       /* "postgres@15" (with the assumed version) */
} zdm_target;

/* Options from the command line. */
typedef struct zdm_compile_opts {
    int64_t lock_timeout_ms;  /* -1: none (the file's, else the backend default) */
} zdm_compile_opts;

/* State shared by zdm_lower and a backend during one lowering. */
struct zdm_lower_ctx {
    zdm_arena *arena;
    zdm_diags *diags;
    const zdm_target *target;
    const zdm_dialect *dialect;
    const zdm_migration *mig;
    const zdm_compile_opts *opts;
    zdm_plan *plan;
    void *state;              /* the backend's own, set by begin */
};

/* Parses "postgres", "postgres@15". Returns 0, or -1 with *err set to a static
 * or heap-free message naming the supported targets or versions. */
int zdm_target_parse(zdm_target *out, const char *spec, const char **err);

/* Returns the dialect registered under `name`, or NULL. */
const zdm_dialect *zdm_dialect_find(const char *name);
/* "postgres (11..18)" for each registered dialect, comma separated. */
const char *zdm_dialect_list(void);

/* Lowers every op of `m` for target `t` into a finished plan. Returns NULL after
 * reporting errors as 3xxx diagnostics at the op's span against m->src. */
zdm_plan *zdm_lower(zdm_arena *a, zdm_diags *d, const zdm_target *t, const zdm_migration *m,
                    const zdm_compile_opts *opts);

/* Reports a lowering error at op's span (3xxx); returns -1 for `return`. */
int zdm_lower_error(zdm_lower_ctx *cx, const zdm_op *op, int code, const char *hint,
                    const char *fmt, ...) ZDM_PRINTF(5, 6);

/* Lowering diagnostic codes. */
enum {
    ZDM_E_UNSUPPORTED = 3001,    /* op kind has no lowering for this target */
    ZDM_E_NO_PRIMARY_KEY = 3002, /* backfill needs a single-column primary key */
    ZDM_E_NO_DEFINITION = 3005,  /* a rollback needs a definition the IR lacks */
};

#endif
