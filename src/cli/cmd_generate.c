/* `pipelock generate config --preset X [-o file]`. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cliutil.h"
#include "gen/compose.h"
#include "gen/contain.h"
#include "gen/firewall.h"
#include "gen/preset.h"

#include "pl_build.h"

static const char generate_usage[] =
    "Usage: pipelock generate config [--preset balanced|strict|audit] [-o file]\n"
    "       pipelock generate docker-compose [--agent generic|claude-code|openhands] [-o file]\n"
    "       pipelock generate firewall --agent-user U --proxy-user P [--backend nftables|...]\n"
    "       pipelock generate systemd [--user U] [--binary path] [--config path] [--containment]\n"
    "\n"
    "config: print a complete, commented configuration for a preset.\n"
    "docker-compose: print a Compose file that puts the agent on a network with no gateway\n"
    "  whose only other member is pipelock (see `generate docker-compose --help`).\n"
    "firewall: print per-user egress rules that leave the agent's user only pipelock\n"
    "  (see `generate firewall --help`).\n"
    "systemd: print pipelock's hardened systemd unit (see `generate systemd --help`).\n"
    "With -o the file is written with mode 0600.\n"
    "\n"
    "Flags (config):\n"
    "  --preset string   balanced (default), strict or audit\n"
    "  -o, --output file write to file instead of stdout\n";

static const char compose_usage[] =
    "Usage: pipelock generate docker-compose [--agent generic|claude-code|openhands]\n"
    "                                        [--image ref] [--kill-switch-port N]\n"
    "                                        [--metrics-port N] [-o file]\n"
    "\n"
    "Print a Docker Compose file for the enforced tier: the agent container is attached only\n"
    "to an internal network (no gateway) shared with pipelock, which alone also reaches the\n"
    "outside. The agent cannot resolve outside names either.\n"
    "\n"
    "Flags:\n"
    "  --agent string          generic (default: ./Dockerfile), claude-code\n"
    "                          (./Dockerfile.claude-code) or openhands\n"
    "  --image string          pipelock's image (default\n"
    "                          \"ghcr.io/luckypipewrench/pipelock:latest\")\n"
    "  --kill-switch-port N    publish the kill-switch API on the host's 127.0.0.1:N\n"
    "  --metrics-port N        publish /metrics and /stats on the host's 127.0.0.1:N\n"
    "  -o, --output file       write to file instead of stdout\n";

static const char firewall_usage[] =
    "Usage: pipelock generate firewall --agent-user U --proxy-user P\n"
    "                                  [--backend nftables|iptables|pf|ufw]\n"
    "                                  [--operator-user O] [--proxy-port N] [--dns-port N]\n"
    "                                  [-o file]\n"
    "\n"
    "Print host firewall rules for the enforced tier without containers: the agent's user\n"
    "may send only to pipelock's port on loopback (and a loopback resolver with --dns-port);\n"
    "everything else it sends, any protocol, IPv4 or IPv6, is dropped. Other users, the\n"
    "proxy's among them, are not filtered.\n"
    "\n"
    "Flags:\n"
    "  --backend string       nftables (default), iptables (and ip6tables), pf or ufw\n"
    "  --agent-user string    the user (or uid) the agent runs as\n"
    "  --proxy-user string    the user (or uid) pipelock runs as\n"
    "  --operator-user string the human's user, named in the comments\n"
    "  --proxy-port N         pipelock's port on loopback (default 8888)\n"
    "  --dns-port N           a loopback resolver the agent may use (default: none)\n"
    "  -o, --output file      write to file instead of stdout\n";

static int
emit_text(const char *what, const char *out, const char *text)
{
    if (!out) {
        fputs(text, stdout);
        return PL_EXIT_OK;
    }
    int r = pl_cli_write_file(out, text, 0600);
    if (r < 0) {
        fprintf(stderr, "pipelock: generate %s: cannot write %s: %s\n", what, out, strerror(-r));
        return PL_EXIT_FAIL;
    }
    fprintf(stderr, "Written to %s\n", out);
    return PL_EXIT_OK;
}

static int
port_arg(const char *flag, const char *v, unsigned *ret)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < 1 || n > 65535) {
        fprintf(stderr, "pipelock: generate: %s must be a port (1-65535)\n", flag);
        return -1;
    }
    *ret = (unsigned)n;
    return 0;
}

static int
generate_compose(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent", required_argument, NULL, 'a'},
        {"image", required_argument, NULL, 'i'},
        {"kill-switch-port", required_argument, NULL, 'k'},
        {"metrics-port", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pl_gen_compose_opts o = {.agent = "generic",
                                    .image = "ghcr.io/luckypipewrench/pipelock:latest"};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o.agent = optarg;
            break;
        case 'i':
            o.image = optarg;
            if (!*o.image || strpbrk(o.image, " \t\n\"'#")) {
                fprintf(stderr, "pipelock: generate docker-compose: invalid --image\n");
                return PL_EXIT_USAGE;
            }
            break;
        case 'k':
            if (port_arg("--kill-switch-port", optarg, &o.kill_switch) < 0)
                return PL_EXIT_USAGE;
            break;
        case 'm':
            if (port_arg("--metrics-port", optarg, &o.metrics) < 0)
                return PL_EXIT_USAGE;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(compose_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(compose_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: generate docker-compose: unexpected argument \"%s\"\n",
                argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (o.kill_switch && o.kill_switch == o.metrics) {
        fprintf(stderr, "pipelock: generate docker-compose: --kill-switch-port and "
                        "--metrics-port must differ\n");
        return PL_EXIT_USAGE;
    }
    char genline[256];
    snprintf(genline, sizeof(genline), "pipelock generate docker-compose --agent %s", o.agent);
    o.generator = genline;
    char *yaml = pl_gen_compose_yaml(&o);
    if (!yaml) {
        fprintf(stderr,
                "pipelock: generate docker-compose: unknown agent \"%s\" (use generic, "
                "claude-code or openhands)\n",
                o.agent);
        return PL_EXIT_USAGE;
    }
    int rc = emit_text("docker-compose", out, yaml);
    free(yaml);
    return rc;
}

static int
generate_firewall(int argc, char **argv)
{
    static const struct option opts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"agent-user", required_argument, NULL, 'a'},
        {"proxy-user", required_argument, NULL, 'p'},
        {"operator-user", required_argument, NULL, 'u'},
        {"proxy-port", required_argument, NULL, 'P'},
        {"dns-port", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pl_gen_fw_opts o = {.backend = "nftables", .proxy_port = 8888};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o.backend = optarg;
            break;
        case 'a':
            o.agent_user = optarg;
            break;
        case 'p':
            o.proxy_user = optarg;
            break;
        case 'u':
            o.operator_user = optarg;
            break;
        case 'P':
            if (port_arg("--proxy-port", optarg, &o.proxy_port) < 0)
                return PL_EXIT_USAGE;
            break;
        case 'd':
            if (port_arg("--dns-port", optarg, &o.dns_port) < 0)
                return PL_EXIT_USAGE;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(firewall_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(firewall_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: generate firewall: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (!o.agent_user || !o.proxy_user) {
        fprintf(stderr, "pipelock: generate firewall: --agent-user and --proxy-user are "
                        "required\n");
        return PL_EXIT_USAGE;
    }
    const char *err = NULL;
    char genline[512], extra[160] = "";
    size_t el = 0;
    if (o.operator_user)
        el += (size_t)snprintf(extra + el, sizeof(extra) - el, " --operator-user %.40s",
                               o.operator_user);
    if (o.proxy_port != 8888 && el < sizeof(extra))
        el += (size_t)snprintf(extra + el, sizeof(extra) - el, " --proxy-port %u", o.proxy_port);
    if (o.dns_port && el < sizeof(extra))
        snprintf(extra + el, sizeof(extra) - el, " --dns-port %u", o.dns_port);
    /* Values go into a comment: only validated ones (users, ports; the backend is checked
     * by the generator before it writes anything). */
    snprintf(genline, sizeof(genline),
             "pipelock generate firewall --backend %.16s --agent-user %.40s --proxy-user %.40s%s",
             o.backend, o.agent_user, o.proxy_user, extra);
    o.generator = genline;
    char *text = pl_gen_firewall(&o, &err);
    if (!text) {
        fprintf(stderr, "pipelock: generate firewall: %s\n", err);
        return PL_EXIT_USAGE;
    }
    int rc = emit_text("firewall", out, text);
    free(text);
    return rc;
}

static const char systemd_usage[] =
    "Usage: pipelock generate systemd [--user name] [--binary path] [--config path]\n"
    "                                 [--containment [--rules path]] [-o file]\n"
    "\n"
    "Print pipelock's systemd unit, hardened (no capabilities, read-only system, its own\n"
    "user; see docs/deployment.md). With --containment, print instead the unit that loads\n"
    "the per-user firewall rules (`generate firewall`) at boot, before the network is up.\n"
    "`pipelock contain apply` installs both.\n"
    "\n"
    "Flags:\n"
    "  --user name      the user pipelock runs as (default \"pipelock-proxy\")\n"
    "  --binary path    pipelock's executable (default /usr/local/bin/pipelock)\n"
    "  --config path    the config (default /etc/pipelock/pipelock.yaml)\n"
    "  --containment    print the containment unit\n"
    "  --rules path     the nftables rules it loads (default /etc/pipelock/containment.nft)\n"
    "  -o, --output file write to file instead of stdout\n";

static int
generate_systemd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"user", required_argument, NULL, 'u'},   {"binary", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'}, {"containment", no_argument, NULL, 'C'},
        {"rules", required_argument, NULL, 'r'},  {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct pl_gen_contain g = {.proxy_user = "pipelock-proxy",
                               .binary = "/usr/local/bin/pipelock",
                               .config = "/etc/pipelock/pipelock.yaml",
                               .proxy_port = 8888};
    const char *out = NULL, *rules = NULL;
    bool containment = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            g.proxy_user = optarg;
            break;
        case 'b':
            g.binary = optarg;
            break;
        case 'c':
            g.config = optarg;
            break;
        case 'C':
            containment = true;
            break;
        case 'r':
            rules = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(systemd_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(systemd_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: generate systemd: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (rules && !containment) {
        fputs("pipelock: generate systemd: --rules goes with --containment\n", stderr);
        return PL_EXIT_USAGE;
    }
    const char *err = NULL;
    char *text;
    if (containment) {
        g.nft_file = rules ? rules : "/etc/pipelock/containment.nft";
        text = pl_gen_containment_unit(&g, &err);
    } else {
        text = pl_gen_proxy_unit(&g, &err);
    }
    if (!text) {
        fprintf(stderr, "pipelock: generate systemd: %s\n", err);
        return PL_EXIT_USAGE;
    }
    int rc = emit_text("systemd", out, text);
    free(text);
    return rc;
}

int
pl_cmd_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"preset", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(generate_usage, argc < 2 ? stderr : stdout);
        fputs("\nThe mcporter generator is not implemented in this build yet.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? PL_EXIT_USAGE : PL_EXIT_OK;
    }
    if (strcmp(argv[1], "docker-compose") == 0)
        return generate_compose(argc - 1, argv + 1);
    if (strcmp(argv[1], "firewall") == 0)
        return generate_firewall(argc - 1, argv + 1);
    if (strcmp(argv[1], "systemd") == 0)
        return generate_systemd(argc - 1, argv + 1);
    if (strcmp(argv[1], "config") != 0) {
        fprintf(stderr, "pipelock: generate %s: not implemented in this build yet\n", argv[1]);
        return PL_EXIT_FAIL;
    }
    const char *preset = "balanced";
    const char *out = NULL;
    int c;
    optind = 1;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            preset = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(generate_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(generate_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: generate config: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    char genline[128];
    snprintf(genline, sizeof(genline), "pipelock generate config --preset %s", preset);
    char *yaml = pl_gen_preset_yaml(preset, genline);
    if (!yaml) {
        fprintf(stderr,
                "pipelock: generate config: unknown preset \"%s\" (use balanced, strict or "
                "audit)\n",
                preset);
        return PL_EXIT_USAGE;
    }
    int rc = PL_EXIT_OK;
    if (out) {
        int r = pl_cli_write_file(out, yaml, 0600);
        if (r < 0) {
            fprintf(stderr, "pipelock: generate config: cannot write %s: %s\n", out, strerror(-r));
            rc = PL_EXIT_FAIL;
        } else {
            fprintf(stderr, "Config written to %s\n", out);
        }
    } else {
        fputs(yaml, stdout);
    }
    free(yaml);
    return rc;
}
