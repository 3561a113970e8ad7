/*
 * runtime.h - the runtime's commands, called by cli/main.c:
 *
 *   zdm run DIR [--db URL] [--phase NAME] [--until NAME] [--yes]
 *   zdm run FILE.zdm ...     (cli/main.c compiles it for rt_server_target first)
 *   zdm status DIR [--db URL]
 *   zdm rollback DIR [--db URL] [--yes]
 *
 * argv holds the arguments after the command's name. The return value is the
 * exit status: RT_EXIT_DONE, RT_EXIT_FAILED (a step or check failed; the
 * state is recorded), RT_EXIT_USAGE, RT_EXIT_STOPPED (a phase boundary,
 * a deploy checkpoint, or a confirmation not given).
 */
#ifndef ZDM_RT_RUNTIME_H
#define ZDM_RT_RUNTIME_H

#define RT_EXIT_DONE 0
#define RT_EXIT_FAILED 1
#define RT_EXIT_USAGE 2
#define RT_EXIT_STOPPED 3

#include <stddef.h>

int rt_cmd_run(int argc, char **argv);
/* For `zdm run FILE.zdm`: connects to URL and writes the compile target that
 * fits the server ("postgres@15") into out[n]. Returns an exit status. */
int rt_server_target(const char *url, char *out, size_t n);
int rt_cmd_status(int argc, char **argv);
int rt_cmd_rollback(int argc, char **argv);

#endif
