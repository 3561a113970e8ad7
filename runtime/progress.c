/*
 * progress.c - the native backfill runner's pure parts (progress.h): batch
 * size adaptation, backoff, and the progress bar and line.
 *
 * The size adapts multiplicatively toward the middle of the target range and
 * by at most a factor of 2 per batch, so one slow batch (a checkpoint, a
 * writer burst) does not collapse it and one fast batch (rows already right)
 * does not blow it up.
 */
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint64_t rt_bf_min_batch(uint64_t plan_batch)
{
    return plan_batch / 10 ? plan_batch / 10 : 1;
}

uint64_t rt_bf_max_batch(uint64_t plan_batch)
{
    return plan_batch ? plan_batch * 10 : 1;
}

uint64_t rt_bf_adapt(uint64_t size, double ms, double lo_ms, double hi_ms, uint64_t plan_batch)
{
    double next = (double)size;
    if (ms < lo_ms || ms > hi_ms) {
        double f = ms > 0 ? ((lo_ms + hi_ms) / 2) / ms : 2;
        f = f > 2 ? 2 : f < 0.5 ? 0.5 : f;
        next = (double)size * f;
    }
    uint64_t lo = rt_bf_min_batch(plan_batch), hi = rt_bf_max_batch(plan_batch);
    if (next < (double)lo)
        return lo;
    if (next > (double)hi)
        return hi;
    return (uint64_t)next;
}

double rt_bf_backoff_ms(unsigned attempt, double base_ms, double cap_ms, double jitter)
{
    double d = base_ms * pow(2, attempt > 0 ? attempt - 1 : 0);
    if (d > cap_ms)
        d = cap_ms;
    return d * (0.5 + jitter / 2);
}

void rt_fmt_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t % 3600 / 60);
    else if (t >= 60)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lds", t);
}

/* Percent done, or -1 without a usable total. Past the estimate but not
 * finished: 99. */
static int percent(const rt_progress *p)
{
    if (p->finished)
        return 100;
    if (p->total <= 0)
        return -1;
    double f = (double)p->done / (double)p->total;
    return f >= 1 ? 99 : (int)(f * 100);
}

static void eta(char *buf, size_t n, const rt_progress *p)
{
    if (p->finished)
        snprintf(buf, n, "0s");
    else if (p->total <= 0 || p->rate <= 0)
        snprintf(buf, n, "?");
    else if ((double)p->done >= (double)p->total)
        snprintf(buf, n, "soon");
    else
        rt_fmt_duration(buf, n, ((double)p->total - (double)p->done) / p->rate);
}

static void lag(char *buf, size_t n, const rt_progress *p, const char *word)
{
    if (p->lag_s < 0)
        buf[0] = '\0';
    else
        snprintf(buf, n, "%s%.1fs", word, p->lag_s);
}

void rt_progress_bar(char *buf, size_t n, const rt_progress *p, int width)
{
    char bar[128], e[32], l[48], tot[32];
    int pc = percent(p);
    if (width > (int)sizeof bar - 1)
        width = (int)sizeof bar - 1;
    int fill = pc < 0 ? 0 : pc * width / 100;
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[width < 0 ? 0 : width] = '\0';
    eta(e, sizeof e, p);
    lag(l, sizeof l, p, " lag ");
    if (p->total > 0)
        snprintf(tot, sizeof tot, "/~%lld", (long long)p->total);
    else
        tot[0] = '\0';
    char pcs[16];
    if (pc < 0)
        snprintf(pcs, sizeof pcs, "  ?%%");
    else
        snprintf(pcs, sizeof pcs, "%3d%%", pc);
    char v[32] = "";
    if (p->vacuums)
        snprintf(v, sizeof v, " vac %llu", (unsigned long long)p->vacuums);
    snprintf(buf, n, "%s [%s] %s %llu%s rows %.0f rows/s ETA %s batch %llu%s%s", p->label, bar,
             pcs, (unsigned long long)p->done, tot, p->rate > 0 ? p->rate : 0, e,
             (unsigned long long)p->batch, l, v);
}

void rt_progress_line(char *buf, size_t n, const rt_progress *p)
{
    char e[32], l[48], of[64];
    int pc = percent(p);
    eta(e, sizeof e, p);
    lag(l, sizeof l, p, ", replica lag ");
    if (pc >= 0 && p->total > 0) /* finished without an estimate: still unknown */
        snprintf(of, sizeof of, " of ~%lld rows (%d%%, total estimated)", (long long)p->total,
                 pc);
    else
        snprintf(of, sizeof of, " rows (total unknown)");
    char v[40] = "";
    if (p->vacuums)
        snprintf(v, sizeof v, ", %llu vacuum%s", (unsigned long long)p->vacuums,
                 p->vacuums == 1 ? "" : "s");
    snprintf(buf, n, "%s %s: %llu%s, %.0f rows/s, ETA %s, batch %llu%s%s",
             p->verb ? p->verb : "backfill", p->label,
             (unsigned long long)p->done, of, p->rate > 0 ? p->rate : 0, e,
             (unsigned long long)p->batch, l, v);
}
