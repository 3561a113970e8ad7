/*
 * pgsql_step.c - the pieces every PostgreSQL step is made of: timeouts, the
 * lock-retry DO block, inline assertions, checks and their conditions, names.
 *
 * Why a DO block for retries: a psql script cannot loop, but a DO block can
 * catch lock_not_available in a sub-block, whose abort releases the lock it
 * was queued for, sleep with backoff and try again; the writers queued behind
 * it wait at most one lock_timeout per attempt (measured: field notes).
 */
#include "pgsql_int.h"

#include <math.h>
#include <string.h>

const char *pgsql_dollar_tag(zdm_arena *a, const char *body)
{
    const char *tag = "$zdm$";
    for (unsigned i = 1; strstr(body, tag); i++)
        tag = zdm_sprintf(a, "$zdm%u$", i);
    return tag;
}

const char *pgsql_regclass(zdm_lower_ctx *cx, const zdm_name *n)
{
    return zdm_sqlf_str(cx->arena, PG, "%N", n);
}

zdm_name pgsql_index_name(const zdm_index *ix)
{
    return (zdm_name){ix->table.schema, ix->name};
}

static void put_ms(zdm_buf *b, const char *guc, int64_t ms)
{
    if (ms <= 0)
        zdm_buf_printf(b, "SET %s = 0;\n", guc);
    else if (ms % 1000 == 0)
        zdm_buf_printf(b, "SET %s = '%llds';\n", guc, (long long)(ms / 1000));
    else
        zdm_buf_printf(b, "SET %s = '%lldms';\n", guc, (long long)ms);
}

void pgsql_timeouts(zdm_buf *b, const zdm_step *s)
{
    put_ms(b, "lock_timeout", s->lock_timeout_ms);
    put_ms(b, "statement_timeout", s->statement_timeout_ms);
}

const char *pgsql_step_sql(zdm_lower_ctx *cx, const zdm_step *s, const char *sql)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    pgsql_timeouts(&b, s);
    zdm_buf_puts(&b, sql);
    return zdm_buf_cstr(&b);
}

/* Worst case of the retry loop: every attempt waits one lock_timeout, and
 * the sleeps between them grow to the cap. */
static double retry_budget_s(const zdm_plan_defaults *d)
{
    double sum = (double)d->retries * (double)d->lock_timeout_ms / 1000.0;
    for (unsigned i = 1; i < d->retries; i++) {
        double sl = (double)d->retry_base_ms * pow(2, i - 1);
        sum += (sl < (double)d->retry_cap_ms ? sl : (double)d->retry_cap_ms) / 1000.0;
    }
    return sum;
}

/* Generous: ten times the estimate plus 30 s, rounded up to 10 s. With no
 * estimate, the file's statement_timeout (or off): a cancelled DDL is safe,
 * but a guess that cancels a long build halfway wastes it. */
int64_t pgsql_stmt_timeout(zdm_lower_ctx *cx, double work_s)
{
    pgsql_state *st = pgsql_st(cx);
    if (work_s < 0)
        return st->stmt_timeout_ms;
    double ms = (work_s * 10 + 30) * 1000;
    int64_t t = (int64_t)ceil(ms / 10000.0) * 10000;
    return t > st->stmt_timeout_ms ? t : st->stmt_timeout_ms;
}

const char *pgsql_retry_sql(zdm_lower_ctx *cx, zdm_step *s, const char *guard, const char *ddl,
                            double work_s)
{
    return pgsql_retry_sql_after(cx, s, NULL, guard, ddl, work_s);
}

/* `pre` (or NULL) runs after the step's timeouts and before the retried DDL:
 * statements the DDL needs that take no table lock, such as the trigger's
 * function, still run under the step's own timeouts. */
const char *pgsql_retry_sql_after(zdm_lower_ctx *cx, zdm_step *s, const char *pre,
                                  const char *guard, const char *ddl, double work_s)
{
    const zdm_plan_defaults *d = &cx->plan->defaults;
    s->retried = true;
    /* Room for every attempt and sleep, plus the work sized as any step's. */
    int64_t work_ms = pgsql_stmt_timeout(cx, work_s > 0 ? work_s : 0);
    int64_t budget_ms = (int64_t)ceil(retry_budget_s(d)) * 1000;
    s->statement_timeout_ms = work_ms ? work_ms + budget_ms : 0;
    zdm_buf body;
    zdm_buf_init(&body, cx->arena);
    zdm_sqlf(&body, PG,
             "DECLARE\n"
             "    zdm_attempt int := 0;\n"
             "BEGIN\n"
             "    LOOP\n"
             "        BEGIN\n"
             "            SET LOCAL lock_timeout = '%lldms';\n",
             (long long)s->lock_timeout_ms);
    if (guard) {
        zdm_buf_puts(&body, "            IF ");
        for (const char *g = guard; *g; g++) /* continuation lines under the IF */
            zdm_buf_puts(&body, *g == '\n' ? "\n               " : (char[2]){*g, 0});
        zdm_buf_puts(&body, " THEN\n");
        zdm_buf_indent(&body, ddl, "                ");
        zdm_buf_puts(&body, "\n            END IF;\n");
    } else {
        zdm_buf_indent(&body, ddl, "            ");
        zdm_buf_putc(&body, '\n');
    }
    zdm_sqlf(&body, PG,
             "            EXIT;\n"
             "        EXCEPTION WHEN lock_not_available THEN\n"
             "            zdm_attempt := zdm_attempt + 1;\n"
             "            IF zdm_attempt >= %u THEN\n"
             "                RAISE EXCEPTION 'zdm: lock not available after %% attempts', zdm_attempt\n"
             "                    USING HINT = 'A long transaction holds the table: see pg_stat_activity, then rerun.';\n"
             "            END IF;\n"
             "            RAISE NOTICE 'zdm: lock not available, retry %% of %u', zdm_attempt;\n"
             "            PERFORM pg_sleep(least(%lld, %lld * 2 ^ (zdm_attempt - 1)) / 1000.0 * (0.5 + random() / 2));\n"
             "        END;\n"
             "    END LOOP;\n"
             "END",
             d->retries, d->retries - 1, (long long)d->retry_cap_ms,
             (long long)d->retry_base_ms);
    const char *text = zdm_buf_cstr(&body);
    const char *tag = pgsql_dollar_tag(cx->arena, text);
    zdm_buf out;
    zdm_buf_init(&out, cx->arena);
    pgsql_timeouts(&out, s);
    if (pre)
        zdm_buf_puts(&out, pre);
    zdm_buf_printf(&out, "DO %s\n%s\n%s;\n", tag, text, tag);
    return zdm_buf_cstr(&out);
}

const char *pgsql_assert_sql(zdm_lower_ctx *cx, const char *name, const char *cond,
                             const char *hint)
{
    zdm_buf body;
    zdm_buf_init(&body, cx->arena);
    zdm_sqlf(&body, PG,
             "BEGIN\n"
             "    IF NOT coalesce((%s), false) THEN\n"
             "        RAISE EXCEPTION 'zdm: check failed: %%', %L\n"
             "            USING HINT = %L;\n"
             "    END IF;\n"
             "END",
             cond, name, hint);
    const char *text = zdm_buf_cstr(&body);
    const char *tag = pgsql_dollar_tag(cx->arena, text);
    return zdm_sprintf(cx->arena, "DO %s\n%s\n%s;\n", tag, text, tag);
}

const char *pgsql_check_sql(zdm_lower_ctx *cx, const char *name, const char *cond)
{
    return zdm_sqlf_str(cx->arena, PG, "SELECT %L AS \"check\", coalesce((%s), false) AS ok",
                        name, cond);
}

void pgsql_pre(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond)
{
    zdm_step_pre(cx->plan, s, name, pgsql_check_sql(cx, name, cond));
}

void pgsql_post(zdm_lower_ctx *cx, zdm_step *s, const char *name, const char *cond)
{
    zdm_step_post(cx->plan, s, name, pgsql_check_sql(cx, name, cond));
}

const char *pgsql_cond_table(zdm_lower_ctx *cx, const zdm_name *t, bool exists)
{
    return zdm_sqlf_str(cx->arena, PG, "to_regclass(%L) IS %sNULL", pgsql_regclass(cx, t),
                        exists ? "NOT " : "");
}

const char *pgsql_cond_column(zdm_lower_ctx *cx, const zdm_name *t, const char *col,
                              bool exists)
{
    return zdm_sqlf_str(cx->arena, PG,
                        "%sEXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
                        "to_regclass(%L) AND attname = %L AND attnum > 0 AND NOT attisdropped)",
                        exists ? "" : "NOT ", pgsql_regclass(cx, t), col);
}

void pgsql_lock(zdm_step *s, const char *lock, zdm_lock_level level)
{
    s->lock = lock;
    s->lock_level = level;
}

void pgsql_risk_strong_lock(zdm_lower_ctx *cx, zdm_step *s, const zdm_name *t, const char *what)
{
    zdm_step_risk(cx->plan, s, ZDM_RISK_STRONG_LOCK,
                  zdm_sprintf(cx->arena, "%s takes %s on %s; while it waits for the lock, "
                              "every reader and writer of the table queues behind it.",
                              what, s->lock, zdm_name_str(cx->arena, *t)),
                  zdm_sprintf(cx->arena,
                              "lock_timeout is %lld ms per attempt and the step retries with "
                              "capped, jittered backoff, so the queue lasts at most one "
                              "lock_timeout at a time; run it when no long transaction is open.",
                              (long long)s->lock_timeout_ms));
    zdm_step_risk(cx->plan, s, ZDM_RISK_LOCK_QUEUE,
                  "A long-running transaction on the table (even an idle one) makes every "
                  "attempt time out.",
                  "When the retries run out the step fails without harm: end the long "
                  "transaction (pg_stat_activity) and rerun the phase.");
}

/* FNV-1a: a short, stable suffix for names PostgreSQL would truncate. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

const char *pgsql_object_name(zdm_arena *a, const char *prefix, const char *a1, const char *a2)
{
    const char *full = a2 ? zdm_sprintf(a, "%s_%s_%s", prefix, a1, a2)
                          : zdm_sprintf(a, "%s_%s", prefix, a1);
    /* Helper objects get plain lower-case names that never need quoting; when
     * that changes the name, or it would pass PostgreSQL's 63 bytes, a hash of
     * the full name keeps two tables' helpers apart. */
    char *plain = zdm_strdup(a, full);
    bool changed = false;
    for (char *p = plain; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            c = '_';
        changed = changed || c != *p;
        *p = c;
    }
    if (!changed && strlen(plain) <= 63)
        return plain;
    size_t n = strlen(plain) > 54 ? 54 : strlen(plain);
    return zdm_sprintf(a, "%.*s_%08x", (int)n, plain, fnv1a(full));
}

zdm_step *pgsql_brief_step(zdm_lower_ctx *cx, const zdm_op *op, zdm_phase ph, const char *title)
{
    zdm_step *s = zdm_plan_step(cx->plan, ph, ZDM_STEP_TX, title);
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    pgsql_lock(s, "ACCESS EXCLUSIVE (brief)", ZDM_LOCK_BLOCKS_ALL);
    s->est_seconds = 0.1;
    s->est_note = "catalog change only";
    return s;
}
