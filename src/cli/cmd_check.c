/* `pipelock check [--config file]`: validate a configuration and summarise it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "net/sock.h"
#include "policy/config.h"

static const char check_usage[] =
    "Usage: pipelock check [-c file]\n"
    "\n"
    "Validate a configuration file with the same loader `run` uses and print a summary.\n"
    "Exit 0 when valid (warnings allowed), 1 when invalid, 2 on a usage error.\n"
    "\n"
    "Flags:\n"
    "  -c, --config file   config file (default: the built-in defaults)\n"
    "  --url URL           scan one URL (not implemented in this build yet)\n"
    "  --resolver ip:port  DNS resolver for --url (validated; used once --url lands)\n";

int
pl_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"url", required_argument, NULL, 'u'},
        {"resolver", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    const char *url = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 'r': {
            /* Used by --url (next milestone); validated now so scripts can pass it already. */
            struct sockaddr_storage ss;
            socklen_t sl;
            char buf[300];
            bool has_port =
                strchr(optarg, ']') ? strstr(optarg, "]:") != NULL : strchr(optarg, ':') != NULL;
            snprintf(buf, sizeof(buf), has_port ? "%s" : "%s:53", optarg);
            if (pl_sock_parse_addr(buf, &ss, &sl) < 0) {
                fprintf(stderr, "pipelock: check: invalid --resolver \"%s\" (ip or ip:port)\n",
                        optarg);
                return PL_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            fputs(check_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(check_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: check: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (url) {
        fputs("pipelock: check --url is not implemented in this build yet\n", stderr);
        return PL_EXIT_USAGE;
    }
    struct pl_config *cfg = NULL;
    char *err = NULL;
    if (!path) {
        puts("Using default config (no --config specified)");
        cfg = pl_config_defaults();
    } else if (pl_config_load_file(path, &cfg, &err) < 0) {
        fprintf(stderr, "Config validation FAILED: %s\n", err ? err : "cannot load");
        free(err);
        return PL_EXIT_FAIL;
    }
    if (!cfg)
        return PL_EXIT_FAIL;
    for (size_t i = 0; i < cfg->warnings.n; i++)
        fprintf(stderr, "WARNING: %s\n", cfg->warnings.v[i]);
    puts("Config validation: OK");
    printf("  Mode:           %s\n", pl_mode_name(cfg->mode));
    printf("  Listen:         %s\n", cfg->fetch_proxy.listen);
    printf("  API allowlist:  %zu domains\n", cfg->api_allowlist.n);
    printf("  Blocklist:      %zu patterns\n", cfg->fetch_proxy.monitoring.blocklist.n);
    printf("  DLP patterns:   %zu rules\n", cfg->dlp.n_patterns);
    printf("  Entropy thresh: %.1f bits\n", cfg->fetch_proxy.monitoring.entropy_threshold);
    printf("  Max URL length: %d chars\n", cfg->fetch_proxy.monitoring.max_url_length);
    printf("  Forward proxy:  %s\n", cfg->forward_proxy.enabled ? "enabled" : "disabled");
    pl_config_free(cfg);
    return PL_EXIT_OK;
}
