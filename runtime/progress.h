/*
 * progress.h - the pure arithmetic and text of the native backfill runner
 * (backfill.c): how the batch size adapts toward a target duration, and the
 * progress bar / progress line. No I/O and no database, so unit.c tests them.
 *
 * Invariants: an adapted size stays within [plan/10, plan*10] (at least 1)
 * and changes by at most a factor of 2 per batch; formatted text always fits
 * the buffer (truncated, NUL-terminated).
 */
#ifndef ZDM_RT_PROGRESS_H
#define ZDM_RT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The batch size after a batch of `size` keys took `ms` milliseconds: kept
 * when ms is within [lo_ms, hi_ms], else scaled toward the middle of the
 * range (by at most x2 or /2), then clamped to [plan/10, plan*10]. */
uint64_t rt_bf_adapt(uint64_t size, double ms, double lo_ms, double hi_ms, uint64_t plan_batch);

/* The smallest and largest size rt_bf_adapt allows for a plan's batch. */
uint64_t rt_bf_min_batch(uint64_t plan_batch);
uint64_t rt_bf_max_batch(uint64_t plan_batch);

/* The capped, jittered exponential backoff before retry `attempt` (1, 2, ...):
 * min(cap, base * 2^(attempt-1)) scaled by (0.5 + jitter/2), jitter in [0, 1]. */
double rt_bf_backoff_ms(unsigned attempt, double base_ms, double cap_ms, double jitter);

typedef struct rt_progress {
    const char *label;  /* "users" */
    const char *verb;   /* "backfill" (NULL), "restore", "fill": the plain line's first word */
    uint64_t done;      /* rows updated so far (every run of this walk) */
    int64_t total;      /* the planner's row estimate; <= 0: unknown */
    double rate;        /* rows per second in this run; <= 0: not known yet */
    uint64_t batch;     /* the current batch size */
    double lag_s;       /* replica lag in seconds; < 0: no replica / unknown */
    uint64_t vacuums;   /* the table's vacuums between groups of batches so far */
    bool finished;      /* the walk is done: 100%, whatever the estimate said */
} rt_progress;

/* "1h02m", "3m05s", "12s"; "?" for a negative or absurd value. */
void rt_fmt_duration(char *buf, size_t n, double seconds);

/* The terminal bar, redrawn in place:
 * "users [#######-------------]  35% 350000/~1000000 rows 52000 rows/s ETA 12s batch 8000 lag 0.2s vac 3"
 * (the vacuums shown once there is one) */
void rt_progress_bar(char *buf, size_t n, const rt_progress *p, int width);

/* The plain line for logs (the caller prefixes the time):
 * "backfill users: 350000 of ~1000000 rows (35%, total estimated), 52000 rows/s, ETA 12s, batch 8000, replica lag 0.2s, 3 vacuums" */
void rt_progress_line(char *buf, size_t n, const rt_progress *p);

#endif
