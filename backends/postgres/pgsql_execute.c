/*
 * pgsql_execute.c - `execute RAW revert RAW;` and `execute RAW irreversible;`
 * for PostgreSQL: the author's SQL passed through verbatim as one step.
 *
 * zdm cannot see what raw SQL does, so the step claims the worst: its lock is
 * unknown and taken as blocking reads and writes. Where PostgreSQL allows it,
 * the SQL runs through EXECUTE inside the lock-retry DO block, under the short
 * lock_timeout, so a lock it waits for stalls the application one
 * lock_timeout at a time and the whole text commits or fails as one. SQL that
 * cannot run in a transaction block (CONCURRENTLY, VACUUM, ...: found as
 * words of the text) runs as written instead, under the longer lock_timeout
 * of the concurrent steps (those statements wait without blocking writers)
 * and without a retry. The rollback is exactly the author's `revert` text,
 * treated the same way and not guarded by zdm.
 *
 * The step keeps its place among the others: it goes into the latest phase
 * any earlier statement of the file reached (expand when none), so what the
 * file wrote before it has run when it runs.
 */
#include "pgsql_int.h"

#include <ctype.h>
#include <string.h>

/* The statement text for this dialect, ending with a ';' and a newline. */
static const char *statement(zdm_lower_ctx *cx, const zdm_value *v)
{
    const char *t = v->kind == ZDM_V_RAW ? zdm_value_inner_for(cx->arena, v, PG->family)
                                         : v->text;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\n' || t[n - 1] == '\t' ||
                     t[n - 1] == '\r'))
        n--;
    while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')
        t++, n--;
    bool semi = n > 0 && t[n - 1] == ';';
    return zdm_sprintf(cx->arena, "%.*s%s\n", (int)n, t, semi ? "" : ";");
}

/* The latest phase the steps lowered so far reached. */
static zdm_phase phase_so_far(zdm_lower_ctx *cx)
{
    zdm_phase ph = ZDM_PHASE_EXPAND;
    for (size_t i = 0; i < cx->plan->steps.len; i++)
        if (cx->plan->steps.items[i]->phase > ph)
            ph = cx->plan->steps.items[i]->phase;
    return ph;
}

/* Whether `sql` holds `word` (upper case) as a whole word, in any case. */
static bool has_word(const char *sql, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = sql; *p; p++) {
        if (p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        size_t i = 0;
        while (i < n && toupper((unsigned char)p[i]) == word[i])
            i++;
        if (i == n && !isalnum((unsigned char)p[n]) && p[n] != '_')
            return true;
    }
    return false;
}

/* Statements PostgreSQL refuses inside a transaction block (and so inside a
 * DO block), by the words that mark them. */
static bool needs_no_tx(zdm_lower_ctx *cx, const char *sql)
{
    static const char *const words[] = {"CONCURRENTLY", "VACUUM", "DATABASE", "TABLESPACE",
                                        "SYSTEM", "COMMIT", "ROLLBACK", NULL};
    for (size_t i = 0; words[i]; i++)
        if (has_word(sql, words[i]))
            return true;
    /* ALTER TYPE ... ADD VALUE before PostgreSQL 12 */
    return cx->target->version < 12 && has_word(sql, "ADD") && has_word(sql, "VALUE");
}

/* `sql` as one E'' literal on one line: the retry block indents its lines,
 * which must not change a multi-line string inside the author's SQL. */
static const char *one_line_literal(zdm_lower_ctx *cx, const char *sql)
{
    zdm_buf b;
    zdm_buf_init(&b, cx->arena);
    zdm_buf_puts(&b, "E'");
    for (const char *p = sql; *p; p++) {
        switch (*p) {
        case '\'': zdm_buf_puts(&b, "''"); break;
        case '\\': zdm_buf_puts(&b, "\\\\"); break;
        case '\n': zdm_buf_puts(&b, "\\n"); break;
        case '\r': zdm_buf_puts(&b, "\\r"); break;
        case '\t': zdm_buf_puts(&b, "\\t"); break;
        default: zdm_buf_putc(&b, *p); break;
        }
    }
    zdm_buf_putc(&b, '\'');
    return zdm_buf_cstr(&b);
}

/* The text of one side (forward or revert) as the step runs it. */
static const char *run_sql(zdm_lower_ctx *cx, zdm_step *s, const char *sql, bool no_tx)
{
    if (no_tx)
        return pgsql_step_sql(cx, s, sql);
    size_t n = strlen(sql);
    while (n > 0 && (sql[n - 1] == '\n' || sql[n - 1] == ';'))
        n--;
    return pgsql_retry_sql(cx, s, NULL,
                           zdm_sprintf(cx->arena, "EXECUTE %s;",
                                       one_line_literal(cx, zdm_strndup(cx->arena, sql, n))),
                           -1);
}

/* Whether a statement() text holds no SQL at all (only ';' and blanks):
 * PostgreSQL would fail on it at run time, in the middle of the phase. */
static bool blank(const char *stmt)
{
    for (; *stmt; stmt++)
        if (*stmt != ';' && !isspace((unsigned char)*stmt))
            return false;
    return true;
}

static bool has_text(const zdm_value *v)
{
    return v && (v->kind == ZDM_V_RAW || v->kind == ZDM_V_STRING);
}

int pgsql_lower_execute(zdm_lower_ctx *cx, const zdm_op *op)
{
    bool rev = op->revert && !op->irreversible;
    if (!has_text(op->using_) || (rev && !has_text(op->revert)))
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "Write the SQL as a parenthesised fragment: execute (...);",
                               "execute needs SQL text");
    const char *fwd = statement(cx, op->using_);
    const char *back = rev ? statement(cx, op->revert) : NULL;
    if (blank(fwd))
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "Write the statement inside the parentheses, e.g. "
                               "execute (ANALYZE users) revert (SELECT 1);",
                               "execute has no SQL to run: its parentheses are empty");
    if (back && blank(back))
        return zdm_lower_error(cx, op, ZDM_E_UNSUPPORTED,
                               "Write the SQL that undoes the forward statement inside "
                               "revert (...); when there is nothing to undo, a statement that "
                               "does nothing (revert (SELECT 1)); when it cannot be undone, "
                               "write `irreversible` instead of `revert (...)`.",
                               "the revert of execute has no SQL: its parentheses are empty");
    bool no_tx = needs_no_tx(cx, fwd) || (back && needs_no_tx(cx, back));
    zdm_step *s = zdm_plan_step(cx->plan, phase_so_far(cx), no_tx ? ZDM_STEP_NO_TX : ZDM_STEP_TX,
                                "execute raw SQL");
    s->op = op;
    s->lock_timeout_ms = pgsql_st(cx)->lock_timeout_ms;
    if (no_tx && s->lock_timeout_ms < 10000)
        s->lock_timeout_ms = 10000;
    s->statement_timeout_ms = pgsql_stmt_timeout(cx, -1);
    pgsql_lock(s, "unknown (raw SQL): assume ACCESS EXCLUSIVE on what it touches",
               ZDM_LOCK_BLOCKS_ALL);
    s->est_note = "unknown: zdm cannot see what raw SQL does";
    s->why = no_tx ? "Raw SQL passed through verbatim; it holds a statement that cannot run in a "
                     "transaction block (CONCURRENTLY, VACUUM, ...), so psql runs it as written, "
                     "not retried, under the longer lock_timeout of the concurrent steps (such "
                     "statements wait without blocking writers)."
                   : "Raw SQL passed through verbatim, run by EXECUTE inside the lock-retry "
                     "block: all of it commits or none, and a lock it waits for gives up after "
                     "lock_timeout and is retried with backoff. Its statement_timeout allows "
                     "30 s of work (or the file's statement_timeout when larger): set one in "
                     "the file for longer SQL.";
    s->forward = run_sql(cx, s, fwd, no_tx);
    if (rev) {
        s->rollback = run_sql(cx, s, back, no_tx);
        s->rollback_note = "the author's revert SQL, verbatim: zdm does not guard it, so it "
                           "must itself be right whether or not the forward SQL ran";
    } else {
        s->rollback = "-- no rollback: irreversible (the file says so)\n";
        s->rollback_note = "no rollback: the file marks this SQL irreversible; what it did "
                           "stays after a rollback";
    }
    zdm_step_risk(cx->plan, s, ZDM_RISK_UNVERIFIED_SQL,
                  no_tx ? "zdm does not know the locks, duration, or effect of this SQL; it runs "
                          "as written, without a retry, and fails when a lock wait passes "
                          "lock_timeout."
                        : "zdm does not know the locks, duration, or effect of this SQL; a lock "
                          "wait gives up after lock_timeout and is retried.",
                  rev ? "Review the SQL and its revert as you would a hand-written migration; "
                        "test both on a copy of production; make the revert safe to run when "
                        "the forward SQL did not (IF EXISTS); rerun the phase after a lock "
                        "timeout."
                      : "Review the SQL as you would a hand-written migration and test it on a "
                        "copy of production; take a backup of what it changes, since no "
                        "rollback undoes it; rerun the phase after a lock timeout.");
    if (!rev)
        zdm_step_risk(cx->plan, s, ZDM_RISK_DATA_LOSS,
                      "The SQL is irreversible: rollback.sql leaves its effect in place.",
                      "Keep a backup (or a copy of the rows it changes) until the migration "
                      "is confirmed.");
    return 0;
}
