/*
 * sema_history.c - the known schema: replays the migration history, every
 * *.zdm file in the directory of the file being compiled whose name sorts
 * (strcmp) before it, through the same parser and analysis, into one model.
 * A history file's diagnostics point into that file. Files are read in name
 * order, so 0001_x.zdm, 0002_y.zdm ... is the history's order.
 */
#include "sema_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool is_history(const char *name, const char *base)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".zdm") == 0 &&
           strcmp(name, base) < 0;
}

typedef zdm_vec(const char *) name_vec;

/* The history file names in `dir`, sorted. */
static name_vec history_names(zdm_arena *a, const char *dir, const char *base)
{
    name_vec v = {0};
    DIR *dp = opendir(dir);
    if (!dp)
        return v; /* no directory, no history: the file itself is reported as unreadable */
    struct dirent *e;
    while ((e = readdir(dp)) != NULL)
        if (is_history(e->d_name, base))
            zdm_vec_push(a, &v, zdm_strdup(a, e->d_name));
    closedir(dp);
    if (v.len)
        qsort(v.items, v.len, sizeof v.items[0], by_name);
    return v;
}

static void replay_file(zdm_arena *a, zdm_diags *d, const char *path, zdm_schema **model)
{
    const char *err = NULL;
    zdm_source *src = zdm_source_read(a, path, &err);
    if (!src) {
        zdm_diag_add(d, ZDM_ERROR, SEMA_E_HISTORY_READ, NULL, (zdm_span){0, 0},
                     "cannot read history file %s: %s", path, err);
        return;
    }
    ast_file *file = zdm_parse(a, d, src);
    /* On errors the model keeps what the file's valid statements did, so the
     * file being compiled is still checked as far as possible. */
    *model = (zdm_schema *)sema__run(a, d, file, *model)->final; /* ours: a fresh copy */
}

zdm_schema *zdm_history_replay(zdm_arena *a, zdm_diags *d, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dir = slash ? (slash == path ? "/" : zdm_strndup(a, path, (size_t)(slash - path)))
                            : ".";
    zdm_schema *model = zdm_schema_new(a);
    name_vec names = history_names(a, dir, base);
    for (size_t i = 0; i < names.len; i++) {
        const char *p = slash ? zdm_sprintf(a, "%.*s%s", (int)(base - path), path,
                                            names.items[i])
                              : names.items[i];
        replay_file(a, d, p, &model);
    }
    return model;
}
