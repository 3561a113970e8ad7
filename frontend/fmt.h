/*
 * fmt.h - the canonical printer of a .zdm file (zdm fmt): lower-case keywords,
 * one statement per line (create table one column per line), identifiers
 * quoted only where needed, raw fragments verbatim, comments kept in place.
 * fmt(parse(fmt(x))) == fmt(x), and both mean the same IR.
 */
#ifndef ZDM_FMT_H
#define ZDM_FMT_H

#include "ast.h"

void zdm_fmt(zdm_buf *out, const ast_file *file);

#endif
