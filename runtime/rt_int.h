/*
 * rt_int.h - shared by the runtime's command files (session.c, run.c,
 * status.c, rollback.c): the options, the open session (plan, driver,
 * connection, the recorded state of every step) and its helpers.
 */
#ifndef ZDM_RT_INT_H
#define ZDM_RT_INT_H

#include "driver.h"
#include "planfile.h"
#include "runtime.h"

#include <stdio.h>

typedef struct rt_opts {
    const char *dir, *db, *phase, *until;
    bool yes;
    /* The native backfill (backfill.c): the target batch duration, the pause
     * between batches (-1: the plan's), the throttles (-1: off). */
    double batch_lo_ms, batch_hi_ms;
    int64_t pause_ms;
    double max_lag_s;
    long max_load;
} rt_opts;

typedef enum { RT_PENDING, RT_STARTED, RT_FINISHED, RT_ROLLED_BACK } rt_state;

typedef struct rt_step_state {
    rt_state state;
    int attempts;
    const char *error, *when;
} rt_step_state;

typedef struct rt_session {
    zdm_arena *a;
    rt_opts o;
    const rt_plan *p;
    const rt_driver *d;
    rt_conn *c;
    rt_step_state *st;      /* per plan step */
    bool *passed;           /* per checkpoint: the operator said the deploy is done */
    const char *run_id;     /* this invocation's row in the runs table */
    bool locked;
    bool has_state;         /* the state tables exist */
} rt_session;

/* Parses the options allowed by `allowed` ("puyb" letters: p --phase,
 * u --until, y --yes, b the backfill's --batch-ms, --pause,
 * --max-replica-lag, --max-load); prints usage errors. Returns false on bad
 * usage. */
bool rt_parse_opts(const char *cmd, int argc, char **argv, const char *allowed, rt_opts *o);

/* Reads the plan, connects, checks the server version, and (create_state)
 * makes the state tables and takes the plan's lock. Returns an exit status
 * (RT_EXIT_DONE when the session is ready). */
int rt_open(rt_session *s, bool create_state);
void rt_close(rt_session *s);
/* Reads the recorded state of every step and checkpoint. */
bool rt_load_state(rt_session *s);

/* Runs a state statement with parameters; prints the error. */
bool rt_q(rt_session *s, const char *sql, int n, const char *const *params, rt_rows *out);
bool rt_begin_run(rt_session *s, const char *command);
void rt_end_run(rt_session *s, const char *outcome);

/* Runs every check of `pre` (verify_pre) or the post checks (verify_post):
 * prints each check not ok; false if any is not ok or a query failed. */
bool rt_verify(rt_session *s, bool pre);

/* Whether SIGINT or SIGTERM came (rt_open installs the handler: it cancels
 * the running statement through the driver). */
bool rt_interrupted(void);
/* While on (a backfill batch runs), the first SIGINT/SIGTERM only asks to
 * stop after the batch; a second one cancels the statement at once. */
void rt_signals_soft(bool on);

/* Runs plan step i's native backfill walk (p->steps[i].backfill), continuing
 * from the recorded cursor when `resumed` (the step was started and not
 * finished before). False with *err on failure, or with rt_interrupted()
 * after an interruption (the batches committed stay, the cursor with them). */
bool rt_backfill_run(rt_session *s, size_t i, bool resumed, const char **err);

/* Asks on the terminal; 1 yes, 0 no, -1 no terminal to ask on. */
int rt_confirm(const char *question);

const char *rt_state_name(rt_state st);
bool rt_ran(rt_state st); /* started or finished, not rolled back */

#endif
