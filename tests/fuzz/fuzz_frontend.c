/*
 * fuzz_frontend.c - libFuzzer target for the frontend and analysis: bytes ->
 * source -> parse -> fmt -> analyse -> free the arena. Any crash, sanitizer
 * report, hang or leak is a bug, and so is a file that parses cleanly but
 * whose canonical form does not parse back to the same canonical form
 * (fmt must be a fixed point): that aborts.
 *
 * Analysis runs only on files that parsed cleanly, exactly as `zdm check`
 * does. Build without ZDM_FUZZ_NO_SEMA to include it (the default).
 */
#include "core/core.h"
#include "frontend/ast.h"
#include "frontend/fmt.h"

#include <stdlib.h>
#include <string.h>
#ifndef ZDM_FUZZ_NO_SEMA
#include "frontend/sema.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fmt(parse(fmt(x))) == fmt(x), and the canonical form parses without error. */
static void check_fixed_point(zdm_arena *a, const zdm_buf *once)
{
    zdm_diags d;
    zdm_diags_init(&d, a);
    zdm_source *src = zdm_source_from(a, "fmt.zdm", once->data ? once->data : "", once->len);
    ast_file *file = zdm_parse(a, &d, src);
    zdm_buf twice;
    zdm_buf_init(&twice, a);
    zdm_fmt(&twice, file);
    if (d.nerrors || twice.len != once->len ||
        (once->len && memcmp(twice.data, once->data, once->len) != 0)) {
        fprintf(stderr, "fmt is not a fixed point:\n--- once\n%s\n--- twice\n%s\n",
                zdm_buf_cstr((zdm_buf *)once), zdm_buf_cstr(&twice));
        zdm_diags_render(stderr, &d);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zdm_arena *a = zdm_arena_new();
    zdm_diags d;
    zdm_diags_init(&d, a);
    zdm_source *src = zdm_source_from(a, "fuzz.zdm", (const char *)data, size);
    ast_file *file = zdm_parse(a, &d, src);
    zdm_buf out;
    zdm_buf_init(&out, a);
    zdm_fmt(&out, file);
    if (d.nerrors == 0 && !out.err)
        check_fixed_point(a, &out);
#ifndef ZDM_FUZZ_NO_SEMA
    if (d.nerrors == 0)
        zdm_analyze(a, &d, file, zdm_schema_new(a));
#endif
    /* Rendering walks every span: out-of-range offsets show up here. */
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        zdm_diags_render(null, &d);
        fclose(null);
    }
    zdm_arena_free(a);
    return 0;
}
