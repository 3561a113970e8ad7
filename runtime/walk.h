/*
 * walk.h - the native walk's state, shared by its files: backfill.c (the
 * batches), walk_vacuum.c (the vacuums between groups of batches) and
 * walk_check.c (the check of each committed batch beside the next one).
 * Internal to runtime/.
 */
#ifndef ZDM_RT_WALK_H
#define ZDM_RT_WALK_H

#include "rt_int.h"

typedef struct rt_walk {
    rt_session *s;
    const rt_step *st;
    const rt_backfill *bf;
    const char *key;             /* its row in the state table */
    const char *name;            /* "backfill users", "restore items": for its lines */
    const char *cmd;             /* the command that continues it: "run", "rollback" */
    const char *hi, *cursor;     /* keys as text; cursor NULL: from the start */
    uint64_t done, batches, size, smin, smax, done_here;
    uint64_t vac_every, vac_since; /* rows per group between vacuums (0: none); rows since */
    uint64_t vacuums;              /* this walk's, every run of it */
    bool vac_due;                  /* a group ended while the last vacuum still ran */
    uint64_t vac_late;             /* groups that ended while a vacuum still ran */
    bool quiet;                    /* the batches run with the table's triggers off */
    bool check_failed;             /* a batch failed the plan's check: no retry */
    rt_side *bg;                   /* the vacuums beside the batches, or NULL */
    /* the plan's check of each committed batch beside the next (check_beside) */
    rt_side *chk;                  /* its worker, or NULL: checked on the walk's connection */
    const char *chk_lo, *chk_to;   /* the batch whose check runs now */
    const char *chk_params[2];     /* its parameters, while it runs */
    bool chk_running;
    uint64_t checks;               /* batches checked in this run */
    int64_t total;
    double t0, last_shown, last_check, lag;
    bool tty, shown_bar;
} rt_walk;

/* backfill.c */
double rt__now(void);
const char *rt__cell(const rt_rows *r, size_t col);
bool rt__is_true(const char *v);
/* A message on its own line, even while the progress bar is drawn. */
void rt__say(rt_walk *w, const char *msg);
/* With open_end: the open-ended last batch has run. */
bool rt__last_done(const rt_walk *w);
/* The plan's session_sql on the walk's connection (say: a line saying so).
 * False with *err only when the connection is gone. */
bool rt__walk_session(rt_walk *w, bool say, const char **err);

/* walk_vacuum.c: the group size between vacuums (from the row estimate),
 * after each batch the vacuum that is due, and at the end the last one's
 * outcome. False with *err only for what stops the walk. */
void rt__vacuum_plan(rt_walk *w);
bool rt__vacuum_between(rt_walk *w, const char **err);
bool rt__vacuum_end(rt_walk *w, bool ok, const char **err);

/* walk_check.c, for a walk whose plan checks each batch beside the next
 * (check_beside): before the batches, the committed batches a stopped walk
 * left unchecked; after each batch, its check started (the one before
 * collected first); at the end, the last one collected. False with *err
 * when a check fails or cannot run. */
bool rt__check_catch_up(rt_walk *w, const char **err);
bool rt__check_batch(rt_walk *w, const char *lo, const char *to, const char **err);
bool rt__check_end(rt_walk *w, bool ok, const char **err);

#endif
