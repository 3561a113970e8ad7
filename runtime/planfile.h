/*
 * planfile.h - a compiled plan as the runtime sees it: DIR/plan.json read
 * back (render/render_json.c writes it; plan/plan.h is the model), with its
 * identity, the SHA-256 of the file's bytes. Only what running needs is kept.
 *
 * Invariants: steps are in execution order and every step's phase is one of
 * `phases`, which are in order; checkpoints name present phases.
 */
#ifndef ZDM_RT_PLANFILE_H
#define ZDM_RT_PLANFILE_H

#include "../core/core.h"

#include <stdint.h>

typedef struct rt_check {
    const char *name, *sql;
} rt_check;

/* A step's batched walk in its native form (plan.json "backfill" with the
 * dialect's max_sql, next_sql, batch_sql; plan/plan.h zdm_backfill_spec). */
typedef struct rt_backfill {
    const char *schema, *table; /* schema NULL: the connection's current one */
    const char *max_sql, *next_sql, *batch_sql;
    const char *vacuum_sql;     /* NULL: no vacuum between groups of batches */
    const char *quiet_check_sql, *quiet_sql; /* NULL: the batches fire the table's triggers */
    const char *session_sql;                 /* NULL: the walk's session as it is */
    const char *check_sql, *check_what;      /* NULL: no check per batch */
    const char *after_sql;                   /* NULL: the batch is batch_sql alone */
    bool open_end;                           /* the last batch runs with to NULL */
    bool check_beside;                       /* check_sql after the commit, beside the next batch */
    const char *checked_sql, *check_from_sql; /* its recorded progress (check_beside) */
    uint64_t batch;             /* the plan's batch size */
    int64_t pause_ms;           /* the plan's pause between batches */
    /* A rollback's walk: what a batch does ("backfill" for a BACKFILL
     * step's), and NULL or its queries: whether it has work, how many rows
     * it goes over (NULL: the table's row estimate). */
    const char *verb, *guard_sql, *total_sql;
} rt_backfill;

/* One piece of a step's rollback run natively (plan.json
 * "rollback_pieces"): script text, or a walk. */
typedef struct rt_rollback_piece {
    const char *script;
    const rt_backfill *walk;
} rt_rollback_piece;

typedef struct rt_step {
    const char *id, *phase, *kind, *title, *op;
    const char *forward, *rollback, *rollback_note;
    size_t phase_index;      /* into rt_plan.phases */
    bool destructive;        /* carries a data_loss risk: asks before running */
    bool retried;            /* its script retries its own lock waits (the plan's retry block) */
    const char *lock_level;  /* "none", "rows", "concurrent", "blocks_writes", "blocks_all" */
    int64_t lock_timeout_ms, statement_timeout_ms; /* what its script sets (0: none) */
    const rt_backfill *backfill; /* NULL: no native walk, the script runs */
    const rt_rollback_piece *rb_pieces; /* NULL: the rollback text runs as it is */
    size_t nrb_pieces;
    rt_check *pre, *post;
    size_t npre, npost;
} rt_step;

typedef struct rt_checkpoint {
    const char *before;      /* the phase the application must be deployed before */
    size_t before_index;
    const char *deploy;      /* what to deploy, full sentences */
} rt_checkpoint;

typedef struct rt_plan {
    const char *dir;
    char hash[65];           /* sha256 of plan.json */
    const char *title, *source, *target, *dialect;
    unsigned version;
    unsigned lock_retries;   /* attempts per lock wait (plan defaults) */
    int64_t retry_base_ms, retry_cap_ms; /* the backoff between them */
    const char **phases;
    size_t nphases;
    rt_step *steps;
    size_t nsteps;
    rt_checkpoint *checkpoints;
    size_t ncheckpoints;
} rt_plan;

/* Reads DIR/plan.json; NULL and *err (a sentence) when missing or malformed. */
rt_plan *rt_plan_read(zdm_arena *a, const char *dir, const char **err);

/* Index of a phase by name, or -1. */
int rt_plan_phase(const rt_plan *p, const char *name);

#endif
