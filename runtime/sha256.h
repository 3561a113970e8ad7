/*
 * sha256.h - SHA-256 (FIPS 180-4) of a byte range, as 64 lowercase hex
 * digits: the identity of a plan (the hash of its plan.json bytes) under
 * which the runtime records what has run.
 */
#ifndef ZDM_RT_SHA256_H
#define ZDM_RT_SHA256_H

#include <stddef.h>

/* Writes 64 hex digits and a NUL into out[65]. */
void rt_sha256_hex(const void *data, size_t len, char out[65]);

#endif
