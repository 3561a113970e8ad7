/*
 * sqlfmt.h - the one quoting printf every piece of generated SQL goes through.
 *
 * Conversions:
 *   %I  const char *       an identifier, through the dialect's quote_ident
 *   %N  const zdm_name *   a [schema.]name, each part quoted
 *   %L  const char *       a string literal, through the dialect's quote_literal
 *   %R  const char *       a raw fragment from the user, verbatim
 *   %s  const char *       trusted text zdm generated itself, verbatim
 *   %d %u %ld %lld %zu %llu  integers (%ld/%lld take long/long long, as printf)
 *   %%  a percent sign
 * Anything else is a programmer error (assert). Output goes to a zdm_buf, so
 * errors are the buffer's sticky flag.
 */
#ifndef ZDM_SQLFMT_H
#define ZDM_SQLFMT_H

#include "dialect.h"

void zdm_sqlf(zdm_buf *out, const zdm_dialect *d, const char *fmt, ...);
void zdm_vsqlf(zdm_buf *out, const zdm_dialect *d, const char *fmt, va_list ap);
/* The same into a fresh arena string. */
const char *zdm_sqlf_str(zdm_arena *a, const zdm_dialect *d, const char *fmt, ...);

/* Helpers every dialect shares; the words are standard SQL. */

/* Whether an identifier must be quoted: it is not [a-z_][a-z0-9_<extra>]* or
 * it is one of `keywords` (sorted, for bsearch). */
bool zdm_sql_needs_quotes(const char *s, const char *extra, const char *const *keywords,
                          size_t nkeywords);
/* "(a, b)": the columns quoted by the dialect. */
void zdm_sql_put_cols(zdm_buf *b, const zdm_dialect *d, const char *const *cols, size_t n);
/* "CASCADE", "SET NULL", ...; NULL when the action was not given. */
const char *zdm_sql_fk_action(zdm_fk_action a);

#endif
