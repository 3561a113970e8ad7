/*
 * json.h - a minimal, strict JSON reader (RFC 8259) for plan.json.
 *
 * The whole document is parsed into a tree in an arena. Strict: one value,
 * no trailing commas, no comments, no leading zeros, no unescaped control
 * characters in strings, valid \u escapes (surrogate pairs joined, lone
 * surrogates refused), nesting at most RT_JSON_MAX_DEPTH. Strings are
 * decoded to UTF-8 and NUL-terminated; a string holding \u0000 is refused
 * (nothing in a plan needs it and C strings cannot carry it).
 */
#ifndef ZDM_RT_JSON_H
#define ZDM_RT_JSON_H

#include "../core/core.h"

#define RT_JSON_MAX_DEPTH 64

typedef enum { RT_JNULL, RT_JBOOL, RT_JNUM, RT_JSTR, RT_JARR, RT_JOBJ } rt_json_type;

typedef struct rt_json rt_json;
struct rt_json {
    rt_json_type type;
    bool b;
    double num;
    const char *str;      /* RT_JSTR */
    const char **keys;    /* RT_JOBJ: keys[i] names items[i] */
    rt_json **items;      /* RT_JARR, RT_JOBJ */
    size_t len;
};

/* Parses text[0..len). Returns NULL and sets *err ("line L: message") on error. */
rt_json *rt_json_parse(zdm_arena *a, const char *text, size_t len, const char **err);

/* Member of an object, or NULL (also when `o` is not an object). */
const rt_json *rt_json_get(const rt_json *o, const char *key);

#endif
