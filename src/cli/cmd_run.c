/* `pipelock run`: load the config, bind, serve until SIGTERM/SIGINT. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "obs/audit.h"
#include "policy/config.h"
#include "proxy/proxy.h"

#include "pl_build.h"

static const char run_usage[] =
    "Usage: pipelock run [flags] [-- AGENT_ARGS...]\n"
    "\n"
    "Start the proxy: forward proxy and CONNECT (when forward_proxy.enabled), /health.\n"
    "Audit events are JSON lines on stdout (or logging.file); diagnostics go to stderr.\n"
    "SIGTERM/SIGINT drain in-flight requests (server.drain_seconds) and exit 0.\n"
    "\n"
    "Flags:\n"
    "  -c, --config file        YAML config (default: built-in defaults)\n"
    "  -l, --listen addr        override fetch_proxy.listen (e.g. 127.0.0.1:8888)\n"
    "  -m, --mode mode          override mode: strict, balanced or audit\n"
    "      --resolver ip:port   DNS resolver to use (repeatable; overrides dns.resolvers)\n"
    "\n"
    "Exit codes: 0 clean stop, 1 config or start-up error (e.g. address in use), 2 usage.\n";

static void
strlist_replace(struct pl_strlist *l, char **v, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
    if (n == 0)
        return;
    l->v = pl_xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        l->v[i] = pl_xstrdup(v[i]);
    l->n = n;
}

int
pl_cmd_run(int argc, char **argv)
{
    enum { OPT_RESOLVER = 256, OPT_UNIMPL, OPT_UNIMPL_FLAG, OPT_HOME };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"mode", required_argument, NULL, 'm'},
        {"resolver", required_argument, NULL, OPT_RESOLVER},
        {"home", required_argument, NULL, OPT_HOME},
        {"mcp-listen", required_argument, NULL, OPT_UNIMPL},
        {"mcp-upstream", required_argument, NULL, OPT_UNIMPL},
        {"reverse-proxy", no_argument, NULL, OPT_UNIMPL_FLAG},
        {"reverse-upstream", required_argument, NULL, OPT_UNIMPL},
        {"reverse-listen", required_argument, NULL, OPT_UNIMPL},
        {"capture-output", required_argument, NULL, OPT_UNIMPL},
        {"capture-duration", required_argument, NULL, OPT_UNIMPL},
        {"capture-escrow-public-key", required_argument, NULL, OPT_UNIMPL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *listen = NULL, *mode = NULL;
    char *resolvers[16];
    size_t n_resolvers = 0;
    int c, idx = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l:m:h", opts, &idx)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'm':
            mode = optarg;
            break;
        case OPT_RESOLVER:
            if (n_resolvers == PL_ARRAY_SIZE(resolvers)) {
                fputs("pipelock: run: too many --resolver flags\n", stderr);
                return PL_EXIT_USAGE;
            }
            resolvers[n_resolvers++] = optarg;
            break;
        case OPT_HOME:
            break;
        case OPT_UNIMPL:
        case OPT_UNIMPL_FLAG:
            fprintf(stderr, "pipelock: run: --%s is not implemented in this build yet\n",
                    opts[idx].name);
            return PL_EXIT_USAGE;
        case 'h':
            fputs(run_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(run_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        if (strcmp(argv[optind - 1], "--") != 0) {
            fprintf(stderr,
                    "pipelock: run: unexpected argument \"%s\" (agent arguments go after "
                    "--)\n",
                    argv[optind]);
            return PL_EXIT_USAGE;
        }
        fprintf(stderr,
                "pipelock: agent process launching is not implemented; ignoring %d "
                "argument(s) after --\n",
                argc - optind);
    }
    if (mode && strcmp(mode, "strict") != 0 && strcmp(mode, "balanced") != 0 &&
        strcmp(mode, "audit") != 0) {
        fprintf(stderr, "pipelock: run: invalid --mode \"%s\" (strict, balanced or audit)\n", mode);
        return PL_EXIT_USAGE;
    }

    struct pl_config *cfg = NULL;
    if (pl_cli_load_config(path, &cfg) < 0)
        return PL_EXIT_FAIL;
    if (mode) {
        cfg->mode = strcmp(mode, "strict") == 0  ? PL_MODE_STRICT
                    : strcmp(mode, "audit") == 0 ? PL_MODE_AUDIT
                                                 : PL_MODE_BALANCED;
        if (cfg->mode == PL_MODE_STRICT && cfg->api_allowlist.n == 0) {
            fputs("pipelock: config: mode strict requires a non-empty api_allowlist\n", stderr);
            pl_config_free(cfg);
            return PL_EXIT_FAIL;
        }
    }
    if (listen) {
        free(cfg->fetch_proxy.listen);
        cfg->fetch_proxy.listen = pl_xstrdup(listen);
    }
    if (n_resolvers)
        strlist_replace(&cfg->dns.resolvers, resolvers, n_resolvers);

    struct pl_audit *audit = NULL;
    char *err = NULL;
    if (pl_audit_open(cfg, &audit, &err) < 0) {
        fprintf(stderr, "pipelock: %s\n", err ? err : "cannot open the audit log");
        free(err);
        pl_config_free(cfg);
        return PL_EXIT_FAIL;
    }
    char listen_text[256];
    snprintf(listen_text, sizeof(listen_text), "%s", cfg->fetch_proxy.listen);
    bool fwd = cfg->forward_proxy.enabled;
    const char *mode_name = pl_mode_name(cfg->mode);
    char mode_text[32];
    snprintf(mode_text, sizeof(mode_text), "%s", mode_name);

    struct pl_proxy *px = NULL;
    int cli_mode = mode ? (int)cfg->mode : -1;
    int r = pl_proxy_new(cfg, audit, &px, &err); /* takes cfg */
    if (r < 0) {
        fprintf(stderr, "pipelock: %s\n", err ? err : strerror(-r));
        free(err);
        pl_audit_close(audit);
        return PL_EXIT_FAIL;
    }
    pl_proxy_set_cli_overrides(px, cli_mode, listen != NULL, n_resolvers > 0);
    fprintf(stderr, "Pipelock v%s starting\n", PL_VERSION);
    fprintf(stderr, "  Mode:    %s\n", mode_text);
    fprintf(stderr, "  Listen:  %s\n", listen_text);
    fprintf(stderr, "  Health:  http://%s/health\n", listen_text);
    fprintf(stderr, "  Proxy:   %s\n",
            fwd ? "forward proxy and CONNECT enabled (HTTP_PROXY/HTTPS_PROXY)"
                : "forward proxy disabled (set forward_proxy.enabled: true)");
    fprintf(stderr, "  Config:  %s\n", path ? path : "built-in defaults");
    if (access("/.dockerenv", F_OK) != 0 && !getenv("KUBERNETES_SERVICE_HOST"))
        fputs("WARNING: running outside a container - consider using Docker/Podman for "
              "network isolation\n",
              stderr);
    r = pl_proxy_run(px);
    pl_proxy_free(px);
    pl_audit_close(audit);
    if (r < 0) {
        fprintf(stderr, "pipelock: %s\n", strerror(-r));
        return PL_EXIT_FAIL;
    }
    return PL_EXIT_OK;
}
