/* pipelock: dispatch to one verb. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "pipelock - firewall for AI agents\n"
    "\n"
    "Usage:\n"
    "  pipelock <command> [flags]\n"
    "\n"
    "Commands:\n"
    "  run          start the proxy (forward proxy, CONNECT, /health)\n"
    "  check        validate a config file\n"
    "  generate     generate a config, a Compose file, firewall rules or systemd units\n"
    "  init         init sidecar: the companion-proxy objects for a Kubernetes workload\n"
    "  launch       run one agent behind its own pipelock, allowlist only, then tear down\n"
    "  contain      contain an agent on this host: users, nftables, launcher, units\n"
    "  healthcheck  query a running proxy's /health (exit 0 when healthy)\n"
    "  logs         print and follow the audit log, filtered\n"
    "  verify-install  from the agent's side: prove it cannot go around pipelock\n"
    "  diagnose     check a config end to end on loopback (no network)\n"
    "  version      print build information\n"
    "\n"
    "Run 'pipelock <command> --help' for the flags of a command.\n"
    "Exit codes: 0 ok, 1 failure (invalid config, unhealthy, blocked), 2 usage error.\n";

/* Verbs of the reference program that later milestones of this build implement. */
static const char *const later[] = {
    "tls",      "mcp",      "sandbox",        "session",         "test",
    "demo",     "discover", "preflight",      "audit",           "report",
    "simulate", "canary",   "verify-receipt", "transcript-root", "keygen",
    "sign",     "verify",   "trust",          "integrity",       "git",
    "rules",    "policy",   "posture",        "assess",          "claude",
    "cursor",   "vscode",   "jetbrains",      "install",
};

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return PL_EXIT_USAGE;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
        fputs(usage, stdout);
        return PL_EXIT_OK;
    }
    if (strcmp(verb, "--version") == 0)
        return pl_cmd_version(1, argv + 1);
    if (strcmp(verb, "run") == 0)
        return pl_cmd_run(argc - 1, argv + 1);
    if (strcmp(verb, "check") == 0)
        return pl_cmd_check(argc - 1, argv + 1);
    if (strcmp(verb, "generate") == 0)
        return pl_cmd_generate(argc - 1, argv + 1);
    if (strcmp(verb, "healthcheck") == 0)
        return pl_cmd_healthcheck(argc - 1, argv + 1);
    if (strcmp(verb, "verify-install") == 0)
        return pl_cmd_verify_install(argc - 1, argv + 1);
    if (strcmp(verb, "diagnose") == 0)
        return pl_cmd_diagnose(argc - 1, argv + 1);
    if (strcmp(verb, "launch") == 0)
        return pl_cmd_launch(argc - 1, argv + 1);
    if (strcmp(verb, "init") == 0)
        return pl_cmd_init(argc - 1, argv + 1);
    if (strcmp(verb, "contain") == 0)
        return pl_cmd_contain(argc - 1, argv + 1);
    if (strcmp(verb, "logs") == 0)
        return pl_cmd_logs(argc - 1, argv + 1);
    if (strcmp(verb, "version") == 0)
        return pl_cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        if (strcmp(verb, later[i]) == 0) {
            fprintf(stderr, "pipelock: command \"%s\" is not implemented in this build yet\n",
                    verb);
            return PL_EXIT_FAIL;
        }
    }
    fprintf(stderr, "pipelock: unknown command \"%s\"\n\n%s", verb, usage);
    return PL_EXIT_USAGE;
}
