/*
 * render.c - zdm_render_dir: creates the output directory and writes every
 * file of a plan. Each file is written to a temporary name and renamed, so an
 * interrupted compile never leaves a half-written script that looks whole.
 * Phase scripts a previous compile left in dir/phases and this plan does not
 * have are removed, so the directory always describes one plan.
 */
#include "render_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p */
static int mkdirs(zdm_arena *a, const char *dir)
{
    char *path = zdm_strdup(a, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int write_file(zdm_arena *a, const char *dir, const char *name, const char *text)
{
    const char *path = zdm_sprintf(a, "%s/%s", dir, name);
    const char *tmp = zdm_sprintf(a, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* Removes the .sql files of dir/phases that are not among `keep` (names
 * relative to dir). */
static void remove_stale(zdm_arena *a, const char *dir, const char *const *keep, size_t nkeep)
{
    const char *pdir = zdm_sprintf(a, "%s/phases", dir);
    DIR *d = opendir(pdir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".sql") != 0)
            continue;
        const char *rel = zdm_sprintf(a, "phases/%s", e->d_name);
        bool wanted = false;
        for (size_t i = 0; i < nkeep && !wanted; i++)
            wanted = strcmp(keep[i], rel) == 0;
        if (!wanted)
            remove(zdm_sprintf(a, "%s/%s", pdir, e->d_name));
    }
    closedir(d);
}

int zdm_render_dir(zdm_arena *a, const zdm_plan *p, const char *dir, const char **err)
{
    typedef struct { const char *name, *text; } file;
    zdm_vec(file) files = {0};
#define ADD(n, t) zdm_vec_push(a, &files, ((file){(n), (t)}))
    ADD("plan.md", zdm_render_md(a, p));
    ADD("plan.json", zdm_render_json(a, p));
    ADD("forward.sql", zdm_render_forward(a, p, -1));
    ADD("rollback.sql", zdm_render_rollback(a, p, -1));
    ADD("verify_pre.sql", zdm_render_verify(a, p, false));
    ADD("verify_post.sql", zdm_render_verify(a, p, true));
    for (size_t i = 0; i < p->nphases; i++) {
        zdm_phase ph = p->phases[i];
        ADD(zdm_render_phase_file(a, p, ph, false), zdm_render_forward(a, p, (int)ph));
        ADD(zdm_render_phase_file(a, p, ph, true), zdm_render_rollback(a, p, (int)ph));
    }
#undef ADD
    if (mkdirs(a, zdm_sprintf(a, "%s/phases", dir)) != 0) {
        *err = strerror(errno);
        return -1;
    }
    const char **names = ZDM_NEW_ARRAY(a, const char *, files.len);
    for (size_t i = 0; i < files.len; i++) {
        names[i] = files.items[i].name;
        if (write_file(a, dir, files.items[i].name, files.items[i].text) != 0) {
            *err = strerror(errno);
            return -1;
        }
    }
    remove_stale(a, dir, names, files.len);
    return 0;
}
