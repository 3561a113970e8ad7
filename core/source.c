/*
 * source.c - reading .zdm files and mapping byte offsets to line and column.
 * The line table is built once per file; offsets past the end clamp to it.
 */
#include "core.h"

#include <errno.h>
#include <string.h>

#define SOURCE_MAX ((size_t)64 << 20)

zdm_source *zdm_source_from(zdm_arena *a, const char *path, const char *text, size_t len)
{
    zdm_source *s = ZDM_NEW(a, zdm_source);
    s->path = zdm_strdup(a, path);
    s->text = zdm_strndup(a, text, len);
    s->len = len;
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    s->lines = ZDM_NEW_ARRAY(a, uint32_t, n);
    s->lines[0] = 0;
    size_t k = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            s->lines[k++] = (uint32_t)(i + 1);
    s->nlines = n;
    return s;
}

zdm_source *zdm_source_read(zdm_arena *a, const char *path, const char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = strerror(errno);
        return NULL;
    }
    zdm_buf b;
    zdm_buf_init(&b, a);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > SOURCE_MAX) {
            fclose(f);
            *err = "file is larger than 64 MiB";
            return NULL;
        }
        zdm_buf_put(&b, chunk, n);
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        *err = "read error";
        return NULL;
    }
    return zdm_source_from(a, path, zdm_buf_cstr(&b), b.len);
}

void zdm_source_linecol(const zdm_source *s, uint32_t off, unsigned *line, unsigned *col)
{
    if (off > s->len)
        off = (uint32_t)s->len;
    size_t lo = 0, hi = s->nlines;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = (unsigned)lo + 1;
    *col = off - s->lines[lo] + 1;
}
