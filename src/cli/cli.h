/* Verb entry points and the shared exit codes (docs/cli.md). */
#ifndef PL_CLI_CLI_H
#define PL_CLI_CLI_H

/* Exit codes, stable and documented. */
enum pl_exit {
    PL_EXIT_OK = 0,
    PL_EXIT_FAIL = 1,  /* general failure; invalid config for run/check; URL blocked */
    PL_EXIT_USAGE = 2, /* bad flags or arguments */
};

int pl_cmd_run(int argc, char **argv);
int pl_cmd_check(int argc, char **argv);
int pl_cmd_generate(int argc, char **argv);
int pl_cmd_healthcheck(int argc, char **argv);
int pl_cmd_version(int argc, char **argv);
int pl_cmd_logs(int argc, char **argv);
int pl_cmd_contain(int argc, char **argv);
int pl_cmd_verify_install(int argc, char **argv);
int pl_cmd_diagnose(int argc, char **argv);
int pl_cmd_init(int argc, char **argv);
int pl_cmd_launch(int argc, char **argv);

/* Load --config (or the built-in defaults when path is NULL), printing errors and warnings. */
struct pl_config;
int pl_cli_load_config(const char *path, struct pl_config **ret);
/* True when argv[i] is -h or --help. */
int pl_cli_wants_help(int argc, char **argv);

#endif
