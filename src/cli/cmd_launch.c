/*
 * `pipelock launch`: run one agent behind its own pipelock, with nothing else reachable, and
 * take everything down when it exits (seed 004, the "bottle" case, without Docker).
 *
 *   allowlist = the preset's hosts ∪ the manifest's egress.allowlist ∪ --allow
 *   config    = (--config file or the defaults) + mode strict + that allowlist + forward proxy
 *   preflight = the plan, with the resolved allowlist, then y/N (or --yes)
 *   start     = a network namespace whose only link is a veth pair to this host, a host-side
 *               nftables table that lets that link reach pipelock's port and nothing else,
 *               pipelock on the host end (as an unprivileged user), the agent in the
 *               namespace (as --user, never root) with the proxy variables set
 *   teardown  = on the agent's exit (or SIGINT/SIGTERM/SIGHUP): stop pipelock, delete the
 *               table, the namespace (and so the veth pair) and the temporary directory
 *
 * In the namespace the agent has no route and no resolver: everything goes through pipelock
 * or nowhere, DNS included. IPv6 is off on both ends of the pair, so no link-local path to
 * the host's other services exists either.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cliutil.h"
#include "gen/sidecar.h"
#include "policy/config.h"

#define PROXY_PORT 8888

static const char launch_usage[] =
    "Usage: pipelock launch [--manifest file [--bottle name]] [--preset claude-code|generic]\n"
    "                       [--allow host]... [--config file] [--user name]\n"
    "                       [--proxy-user name] [--log file] [--yes] [--dry-run]\n"
    "                       -- COMMAND [ARGS...]\n"
    "\n"
    "Run one agent behind its own pipelock, allowed out only to the hosts of its allowlist,\n"
    "and remove everything when it exits (Linux, root). The allowlist is the preset's hosts,\n"
    "the manifest's egress.allowlist and --allow; pipelock runs in strict mode with it, so\n"
    "every other host is refused, and every request is still scanned (DLP, entropy, SSRF).\n"
    "The agent runs in a network namespace whose only way out is that pipelock: no route,\n"
    "no resolver, no IPv6. The plan, with the resolved allowlist, is shown first.\n"
    "\n"
    "The manifest (JSON or YAML) holds {\"egress\": {\"allowlist\": [hosts]}}, or\n"
    "{\"bottles\": {NAME: {\"egress\": ...}}}; other keys are ignored.\n"
    "\n"
    "Flags:\n"
    "  --manifest file     the agent's manifest\n"
    "  --bottle name       the bottle in a manifest with \"bottles\" (default \"default\")\n"
    "  --preset string     hosts the agent itself needs: claude-code (default) or generic\n"
    "  --allow host        one more host (repeatable; *.example.com for subdomains)\n"
    "  --config file       a pipelock config to start from (default: the defaults)\n"
    "  --user name         the agent's user (default $SUDO_USER; never root)\n"
    "  --proxy-user name   pipelock's user (default nobody)\n"
    "  --log file          keep pipelock's log there (default: discarded at the end)\n"
    "  -y, --yes           do not ask before starting\n"
    "  --dry-run           print the plan and the config, change nothing\n"
    "Exit: the agent's exit status; 1 when the launch fails; 2 on a usage error.\n";

/* Hosts Claude Code needs (Claude Code's network-config documentation, per seed 004). */
static const char *const claude_hosts[] = {
    "api.anthropic.com",
    "statsig.anthropic.com",
    "sentry.io",
    "claude.ai",
    "platform.claude.com",
    "downloads.claude.ai",
    "raw.githubusercontent.com",
};

struct host {
    char *name;
    const char *source; /* "preset", "manifest", "--allow" */
};

struct plan {
    struct host hosts[512];
    size_t n;
    const char *preset;
    char ns[32], veth_host[16], veth_agent[16], table[48];
    char host_ip[20], agent_ip[20];
    char dir[64]; /* /tmp/pipelock-launch-XXXXXX */
    char cfg_path[PATH_MAX], log_path[PATH_MAX];
    const char *keep_log;
    char *config;
    /* what exists, for teardown */
    bool made_ns, made_veth, made_table, made_dir;
    pid_t proxy, agent;
};

static bool
host_ok(const char *h)
{
    size_t n = strlen(h);
    if (!n || n > 253)
        return false;
    if (!strncmp(h, "*.", 2))
        h += 2;
    for (const char *p = h; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c >= 'A' && c <= 'Z')))
            return false;
    }
    return *h && *h != '.' && *h != '-';
}

static int
add_host(struct plan *p, const char *h, const char *source)
{
    if (!host_ok(h)) {
        fprintf(stderr, "pipelock: launch: \"%s\" (from %s) is not a host name\n", h, source);
        return -1;
    }
    char low[256];
    size_t i = 0;
    for (; h[i] && i < sizeof(low) - 1; i++)
        low[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
    low[i] = '\0';
    for (size_t k = 0; k < p->n; k++)
        if (!strcmp(p->hosts[k].name, low))
            return 0;
    if (p->n == sizeof(p->hosts) / sizeof(p->hosts[0])) {
        fprintf(stderr, "pipelock: launch: more than %zu hosts\n", p->n);
        return -1;
    }
    p->hosts[p->n].name = strdup(low);
    p->hosts[p->n++].source = source;
    return p->hosts[p->n - 1].name ? 0 : -1;
}

static int
read_manifest(struct plan *p, const char *path, const char *bottle)
{
    size_t len;
    char *text = pl_cli_read_file(path, 1u << 20, &len);
    if (!text) {
        fprintf(stderr, "pipelock: launch: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *err = NULL;
    json_t *m = pl_yaml_to_json(path, text, len, false, &err);
    free(text);
    if (!m) {
        fprintf(stderr, "pipelock: launch: %s\n", err ? err : "cannot parse the manifest");
        free(err);
        return -1;
    }
    int rc = -1;
    json_t *b = m;
    if (json_is_object(json_object_get(m, "bottles"))) {
        b = json_object_get(json_object_get(m, "bottles"), bottle);
        if (!json_is_object(b)) {
            fprintf(stderr, "pipelock: launch: %s has no bottle \"%s\"\n", path, bottle);
            goto out;
        }
    }
    if (!json_is_object(b)) {
        fprintf(stderr, "pipelock: launch: %s is not a mapping\n", path);
        goto out;
    }
    json_t *eg = json_object_get(b, "egress");
    json_t *al = json_object_get(eg, "allowlist");
    if (eg && !json_is_object(eg)) {
        fprintf(stderr, "pipelock: launch: %s: egress must be a mapping\n", path);
        goto out;
    }
    if (al && !json_is_array(al)) {
        fprintf(stderr, "pipelock: launch: %s: egress.allowlist must be a list of hosts\n", path);
        goto out;
    }
    size_t i;
    json_t *h;
    json_array_foreach(al, i, h)
    {
        if (!json_is_string(h)) {
            fprintf(stderr, "pipelock: launch: %s: egress.allowlist[%zu] is not a string\n", path,
                    i);
            goto out;
        }
        if (add_host(p, json_string_value(h), "manifest") < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(m);
    return rc;
}

/* The config: the base file (or {}), strict, this allowlist, forward proxy, listen. */
static char *
build_config(struct plan *p, const char *base)
{
    json_t *c = NULL;
    if (base) {
        size_t len;
        char *text = pl_cli_read_file(base, 1u << 20, &len);
        if (!text) {
            fprintf(stderr, "pipelock: launch: cannot read %s: %s\n", base, strerror(errno));
            return NULL;
        }
        char *err = NULL;
        c = pl_yaml_to_json(base, text, len, false, &err);
        free(text);
        if (!json_is_object(c)) {
            fprintf(stderr, "pipelock: launch: %s\n", err ? err : "the config is not a mapping");
            free(err);
            json_decref(c);
            return NULL;
        }
    } else {
        c = json_object();
    }
    json_object_set_new(c, "mode", json_string("strict"));
    json_t *al = json_array();
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(al, json_string(p->hosts[i].name));
    json_object_set_new(c, "api_allowlist", al);
    json_t *fp = json_object_get(c, "fetch_proxy");
    if (!json_is_object(fp)) {
        fp = json_object();
        json_object_set_new(c, "fetch_proxy", fp);
    }
    char listen[40];
    snprintf(listen, sizeof(listen), "%s:%d", p->host_ip, PROXY_PORT);
    json_object_set_new(fp, "listen", json_string(listen));
    json_t *fw = json_object_get(c, "forward_proxy");
    if (!json_is_object(fw)) {
        fw = json_object();
        json_object_set_new(c, "forward_proxy", fw);
    }
    json_object_set_new(fw, "enabled", json_true());
    /* Its own listeners only: nothing else of the base config may open a port. */
    json_object_set_new(c, "metrics_listen", json_string(""));
    json_t *ks = json_object_get(c, "kill_switch");
    if (json_is_object(ks))
        json_object_set_new(ks, "api_listen", json_string(""));
    json_t *lg = json_object_get(c, "logging");
    if (!json_is_object(lg)) {
        lg = json_object();
        json_object_set_new(c, "logging", lg);
    }
    json_object_set_new(lg, "output", json_string("stdout"));
    json_object_set_new(lg, "file", json_string(""));
    char *body = pl_yaml_emit(c);
    json_decref(c);
    char *out = NULL;
    if (body && asprintf(&out, "# pipelock launch: generated for one agent (preset %s)\n%s",
                         p->preset, body) < 0)
        out = NULL;
    free(body);
    return out;
}

static int
sh(const char *const *argv, bool quiet)
{
    char *out = NULL;
    int r = pl_cli_run_tool(argv, &out);
    if (r != 0 && !quiet) {
        fprintf(stderr, "pipelock: launch: %s failed (%d): %s", argv[0], r, out ? out : "");
        if (out && *out && out[strlen(out) - 1] != '\n')
            fputc('\n', stderr);
    }
    free(out);
    return r;
}

/* A free link-local /30 (169.254.213.0/24 split in 64) and names from our pid. */
static int
choose_link(struct plan *p)
{
    unsigned id = (unsigned)getpid();
    snprintf(p->ns, sizeof(p->ns), "pllaunch%u", id);
    snprintf(p->veth_host, sizeof(p->veth_host), "plh%u", id % 100000000u);
    snprintf(p->veth_agent, sizeof(p->veth_agent), "pla%u", id % 100000000u);
    snprintf(p->table, sizeof(p->table), "pipelock_launch_%u", id);
    for (unsigned k = 0; k < 64; k++) {
        unsigned q = (id + k) % 64;
        char net[32];
        snprintf(p->host_ip, sizeof(p->host_ip), "169.254.213.%u", q * 4 + 1);
        snprintf(p->agent_ip, sizeof(p->agent_ip), "169.254.213.%u", q * 4 + 2);
        snprintf(net, sizeof(net), "169.254.213.%u/30", q * 4);
        const char *argv[] = {"ip", "-4", "-o", "addr", "show", "to", net, NULL};
        char *out = NULL;
        int r = pl_cli_run_tool(argv, &out);
        bool used = r != 0 || (out && *out);
        free(out);
        if (!used)
            return 0;
    }
    fprintf(stderr, "pipelock: launch: no free link in 169.254.213.0/24\n");
    return -1;
}

static int
write_sysctl(const char *path, const char *v)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, v, strlen(v));
    close(fd);
    return w == (ssize_t)strlen(v) ? 0 : -EIO;
}

static int
setup_network(struct plan *p)
{
    const char *add_ns[] = {"ip", "netns", "add", p->ns, NULL};
    if (sh(add_ns, false) != 0)
        return -1;
    p->made_ns = true;
    const char *add_veth[] = {"ip",   "link", "add",         p->veth_host, "type", "veth",
                              "peer", "name", p->veth_agent, "netns",      p->ns,  NULL};
    if (sh(add_veth, false) != 0)
        return -1;
    p->made_veth = true;
    /* No IPv6 on either end: no link-local path to the host's other services. */
    char path[128];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", p->veth_host);
    write_sysctl(path, "1");
    char host_cidr[32], agent_cidr[32];
    snprintf(host_cidr, sizeof(host_cidr), "%s/30", p->host_ip);
    snprintf(agent_cidr, sizeof(agent_cidr), "%s/30", p->agent_ip);
    const char *a1[] = {"ip", "addr", "add", host_cidr, "dev", p->veth_host, NULL};
    const char *a2[] = {"ip", "link", "set", p->veth_host, "up", NULL};
    const char *b0[] = {"ip",     "netns", "exec", p->ns,
                        "sysctl", "-q",    "-w",   "net.ipv6.conf.all.disable_ipv6=1",
                        NULL};
    const char *b1[] = {"ip", "-n", p->ns, "addr", "add", agent_cidr, "dev", p->veth_agent, NULL};
    const char *b2[] = {"ip", "-n", p->ns, "link", "set", p->veth_agent, "up", NULL};
    const char *b3[] = {"ip", "-n", p->ns, "link", "set", "lo", "up", NULL};
    if (sh(a1, false) || sh(a2, false) || sh(b1, false) || sh(b2, false) || sh(b3, false))
        return -1;
    sh(b0, true); /* sysctl may be missing: the veth end below is what matters */
    char rules[1024];
    snprintf(rules, sizeof(rules),
             "table inet %s {\n"
             "  chain input {\n"
             "    type filter hook input priority filter - 1; policy accept;\n"
             "    iifname \"%s\" ip daddr %s tcp dport %d accept\n"
             "    iifname \"%s\" ct state established,related accept\n"
             "    iifname \"%s\" counter drop\n"
             "  }\n"
             "  chain forward {\n"
             "    type filter hook forward priority filter - 1; policy accept;\n"
             "    iifname \"%s\" counter drop\n"
             "    oifname \"%s\" counter drop\n"
             "  }\n"
             "}\n",
             p->table, p->veth_host, p->host_ip, PROXY_PORT, p->veth_host, p->veth_host,
             p->veth_host, p->veth_host);
    char rpath[PATH_MAX];
    snprintf(rpath, sizeof(rpath), "%s/rules.nft", p->dir);
    if (pl_cli_write_file(rpath, rules, 0600) < 0)
        return -1;
    const char *nft[] = {"nft", "-f", rpath, NULL};
    if (sh(nft, false) != 0)
        return -1;
    p->made_table = true;
    return 0;
}

static void summary(const struct plan *p);

static void
teardown(struct plan *p)
{
    if (p->proxy > 0) {
        kill(p->proxy, SIGTERM);
        for (int i = 0; i < 200; i++) {
            if (waitpid(p->proxy, NULL, WNOHANG) == p->proxy) {
                p->proxy = 0;
                break;
            }
            usleep(25000);
        }
        if (p->proxy > 0) {
            kill(p->proxy, SIGKILL);
            waitpid(p->proxy, NULL, 0);
            p->proxy = 0;
        }
    }
    if (p->made_table) {
        const char *d[] = {"nft", "delete", "table", "inet", p->table, NULL};
        if (sh(d, false) == 0)
            p->made_table = false;
    }
    if (p->made_ns) {
        /* Any process the agent left in the namespace goes first, or the veth stays. */
        const char *pids[] = {"ip", "netns", "pids", p->ns, NULL};
        char *out = NULL;
        if (pl_cli_run_tool(pids, &out) == 0 && out) {
            for (char *s = out, *e; *s; s = e) {
                long pid = strtol(s, &e, 10);
                if (e == s)
                    break;
                if (pid > 1)
                    kill((pid_t)pid, SIGKILL);
            }
        }
        free(out);
        const char *d[] = {"ip", "netns", "del", p->ns, NULL};
        if (sh(d, false) == 0)
            p->made_ns = p->made_veth = false;
    }
    if (p->made_veth) {
        const char *d[] = {"ip", "link", "del", p->veth_host, NULL};
        if (sh(d, true) == 0)
            p->made_veth = false;
    }
    if (p->made_dir) {
        summary(p);
        if (p->keep_log) {
            char *log = NULL;
            size_t len;
            log = pl_cli_read_file(p->log_path, 64u << 20, &len);
            if (log && pl_cli_write_file(p->keep_log, log, 0600) < 0)
                fprintf(stderr, "pipelock: launch: cannot write %s\n", p->keep_log);
            free(log);
        }
        unlink(p->cfg_path);
        unlink(p->log_path);
        char rpath[PATH_MAX];
        snprintf(rpath, sizeof(rpath), "%s/rules.nft", p->dir);
        unlink(rpath);
        if (rmdir(p->dir) == 0)
            p->made_dir = false;
    }
}

static volatile sig_atomic_t got_signal;
static volatile pid_t agent_pid;

static void
on_signal(int sig)
{
    got_signal = sig;
    if (agent_pid > 0)
        kill(agent_pid, sig);
}

static int
wait_health(struct plan *p)
{
    char url[64];
    snprintf(url, sizeof(url), "http://%s:%d/health", p->host_ip, PROXY_PORT);
    for (int i = 0; i < 400 && !got_signal; i++) {
        long st = 0;
        char err[128];
        if (pl_cli_http(url, NULL, NULL, 500, &st, NULL, err, sizeof(err)) == 0 && st == 200)
            return got_signal ? -1 : 0;
        if (waitpid(p->proxy, NULL, WNOHANG) == p->proxy) {
            p->proxy = 0;
            return -1;
        }
        usleep(25000);
    }
    return -1;
}

/* Count the blocked events of the log for the closing line. */
static void
summary(const struct plan *p)
{
    size_t len;
    char *log = pl_cli_read_file(p->log_path, 64u << 20, &len);
    if (!log)
        return;
    unsigned long blocked = 0, allowed = 0;
    for (char *l = log; *l;) {
        char *e = strchr(l, '\n');
        if (e)
            *e = '\0';
        if (strstr(l, "\"event\":\"blocked\""))
            blocked++;
        else if (strstr(l, "\"event\":\"allowed\"") || strstr(l, "\"event\":\"forward_http\"") ||
                 strstr(l, "\"event\":\"tunnel_open\""))
            allowed++;
        if (!e)
            break;
        l = e + 1;
    }
    free(log);
    fprintf(stderr, "pipelock: launch: %lu requests allowed, %lu blocked%s%s\n", allowed, blocked,
            p->keep_log ? "; log in " : "", p->keep_log ? p->keep_log : "");
}

int
pl_cmd_launch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"bottle", required_argument, NULL, 'b'},
        {"preset", required_argument, NULL, 'p'},
        {"allow", required_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'},
        {"user", required_argument, NULL, 'u'},
        {"proxy-user", required_argument, NULL, 'U'},
        {"log", required_argument, NULL, 'l'},
        {"yes", no_argument, NULL, 'y'},
        {"dry-run", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct plan p;
    memset(&p, 0, sizeof(p));
    const char *manifest = NULL, *bottle = "default", *base = NULL, *user = NULL,
               *proxy_user = "nobody";
    const char *allow[64];
    size_t n_allow = 0;
    bool yes = false, dry = false;
    p.preset = "claude-code";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:yh", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            manifest = optarg;
            break;
        case 'b':
            bottle = optarg;
            break;
        case 'p':
            p.preset = optarg;
            break;
        case 'a':
            if (n_allow == sizeof(allow) / sizeof(allow[0])) {
                fputs("pipelock: launch: too many --allow\n", stderr);
                return PL_EXIT_USAGE;
            }
            allow[n_allow++] = optarg;
            break;
        case 'c':
            base = optarg;
            break;
        case 'u':
            user = optarg;
            break;
        case 'U':
            proxy_user = optarg;
            break;
        case 'l':
            p.keep_log = optarg;
            break;
        case 'y':
            yes = true;
            break;
        case 'D':
            dry = true;
            break;
        case 'h':
            fputs(launch_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(launch_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs("pipelock: launch: the agent's command goes after --\n", stderr);
        return PL_EXIT_USAGE;
    }
    char **cmd = argv + optind;
    int rc = PL_EXIT_USAGE;
    if (!strcmp(p.preset, "claude-code")) {
        for (size_t i = 0; i < sizeof(claude_hosts) / sizeof(claude_hosts[0]); i++)
            if (add_host(&p, claude_hosts[i], "preset") < 0)
                goto out;
    } else if (strcmp(p.preset, "generic")) {
        fprintf(stderr, "pipelock: launch: unknown --preset \"%s\" (claude-code, generic)\n",
                p.preset);
        goto out;
    }
    if (manifest && read_manifest(&p, manifest, bottle) < 0)
        goto out;
    for (size_t i = 0; i < n_allow; i++)
        if (add_host(&p, allow[i], "--allow") < 0)
            goto out;
    if (!p.n) {
        fputs("pipelock: launch: the allowlist is empty (strict mode would refuse every "
              "host): give --allow, a manifest, or a preset with hosts\n",
              stderr);
        goto out;
    }
    if (!user) {
        user = getenv("SUDO_USER");
        if (user && !strcmp(user, "root"))
            user = NULL;
    }
    struct passwd *apw = user ? getpwnam(user) : NULL;
    if (!apw || apw->pw_uid == 0) {
        fprintf(stderr,
                "pipelock: launch: %s: the agent must run as a user other than root "
                "(root could leave the namespace); give --user\n",
                !user  ? "no --user and no $SUDO_USER"
                : !apw ? "unknown --user"
                       : "--user root");
        goto out;
    }
    uid_t auid = apw->pw_uid;
    gid_t agid = apw->pw_gid;
    char auser[64], ahome[PATH_MAX];
    snprintf(auser, sizeof(auser), "%s", apw->pw_name);
    snprintf(ahome, sizeof(ahome), "%s", apw->pw_dir);
    struct passwd *ppw = getpwnam(proxy_user);
    if (!ppw || ppw->pw_uid == 0 || ppw->pw_uid == auid) {
        fprintf(stderr, "pipelock: launch: --proxy-user must exist and be neither root nor the "
                        "agent's user\n");
        goto out;
    }
    uid_t puid = ppw->pw_uid;
    gid_t pgid = ppw->pw_gid;
    if (!dry && geteuid() != 0) {
        fputs("pipelock: launch: needs root (network namespace, nftables)\n", stderr);
        rc = PL_EXIT_FAIL;
        goto out;
    }
    if (choose_link(&p) < 0) {
        rc = PL_EXIT_FAIL;
        goto out;
    }
    p.config = build_config(&p, base);
    if (!p.config)
        goto out;
    {
        /* The config must load and compile as pipelock will run it. */
        struct pl_config *cfg = NULL;
        char *err = NULL;
        if (pl_config_load_buffer("launch config", p.config, strlen(p.config), &cfg, &err) < 0) {
            fprintf(stderr, "pipelock: launch: the generated config does not load: %s\n",
                    err ? err : "?");
            free(err);
            goto out;
        }
        pl_config_free(cfg);
    }

    /* Preflight. */
    FILE *pf = stderr;
    fprintf(pf, "pipelock launch plan\n  agent:     ");
    for (char **a = cmd; *a; a++)
        fprintf(pf, "%s%s", *a, a[1] ? " " : "\n");
    fprintf(pf, "  as user:   %s (uid %u); pipelock as %s (uid %u)\n", auser, (unsigned)auid,
            proxy_user, (unsigned)puid);
    fprintf(pf, "  allowlist: %zu hosts (preset %s), every other host refused\n", p.n, p.preset);
    for (size_t i = 0; i < p.n; i++)
        fprintf(pf, "    %-40s %s\n", p.hosts[i].name, p.hosts[i].source);
    fprintf(pf,
            "  network:   namespace %s: no route, no resolver, no IPv6; only pipelock at\n"
            "             http://%s:%d (HTTPS_PROXY/HTTP_PROXY)\n"
            "  scanning:  DLP, entropy, SSRF and the rest on every request (config %s)\n",
            p.ns, p.host_ip, PROXY_PORT, base ? base : "defaults");
    if (dry) {
        fputs("--- config ---\n", stdout);
        fputs(p.config, stdout);
        rc = PL_EXIT_OK;
        goto out;
    }
    if (!yes) {
        if (!isatty(STDIN_FILENO)) {
            fputs("pipelock: launch: not a terminal: give --yes to start without asking\n", stderr);
            goto out;
        }
        fputs("Start? [y/N] ", pf);
        fflush(pf);
        char ans[16] = "";
        if (!fgets(ans, sizeof(ans), stdin) || (ans[0] != 'y' && ans[0] != 'Y')) {
            fputs("Not started.\n", pf);
            rc = PL_EXIT_FAIL;
            goto out;
        }
    }

    /* Start: from here on, every exit goes through teardown. */
    rc = PL_EXIT_FAIL;
    char tmpl[] = "/tmp/pipelock-launch-XXXXXX";
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "pipelock: launch: mkdtemp: %s\n", strerror(errno));
        goto out;
    }
    snprintf(p.dir, sizeof(p.dir), "%s", tmpl);
    p.made_dir = true;
    snprintf(p.cfg_path, sizeof(p.cfg_path), "%s/pipelock.yaml", p.dir);
    snprintf(p.log_path, sizeof(p.log_path), "%s/pipelock.log", p.dir);
    if (pl_cli_write_file(p.cfg_path, p.config, 0600) < 0 || chown(p.cfg_path, puid, pgid) < 0 ||
        chown(p.dir, 0, pgid) < 0 || chmod(p.dir, 0750) < 0) {
        fprintf(stderr, "pipelock: launch: cannot write %s\n", p.cfg_path);
        goto down;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (setup_network(&p) < 0 || got_signal) {
        if (got_signal)
            rc = 128 + got_signal;
        goto down;
    }

    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0)
        goto down;
    self[sl] = '\0';
    fflush(NULL);
    p.proxy = fork();
    if (p.proxy == 0) {
        int log = open(p.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log < 0 || fchown(log, puid, pgid) < 0 || nul < 0)
            _exit(126);
        dup2(nul, STDIN_FILENO);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        setsid();
        if (setgroups(0, NULL) < 0 || setresgid(pgid, pgid, pgid) < 0 ||
            setresuid(puid, puid, puid) < 0)
            _exit(126);
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        execl(self, "pipelock", "run", "--config", p.cfg_path, (char *)NULL);
        _exit(127);
    }
    if (p.proxy < 0 || wait_health(&p) < 0) {
        if (!got_signal)
            fprintf(stderr, "pipelock: launch: pipelock did not start (its log: %s)\n",
                    p.keep_log ? p.keep_log : "discarded; use --log");
        else
            rc = 128 + got_signal;
        goto down;
    }

    char nspath[PATH_MAX];
    snprintf(nspath, sizeof(nspath), "/run/netns/%s", p.ns);
    int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
        fprintf(stderr, "pipelock: launch: %s: %s\n", nspath, strerror(errno));
        goto down;
    }
    char proxy_url[64];
    snprintf(proxy_url, sizeof(proxy_url), "http://%s:%d", p.host_ip, PROXY_PORT);
    fflush(NULL);
    /* A signal from here to agent_pid being set must not be lost: hold them over the fork,
     * and do not start the agent at all when one came during the start. */
    sigset_t hold, old;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigprocmask(SIG_BLOCK, &hold, &old);
    if (got_signal) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(nsfd);
        rc = 128 + got_signal;
        goto down;
    }
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (setns(nsfd, CLONE_NEWNET) < 0) {
            perror("pipelock: launch: setns");
            _exit(126);
        }
        if (initgroups(auser, agid) < 0 || setresgid(agid, agid, agid) < 0 ||
            setresuid(auid, auid, auid) < 0) {
            perror("pipelock: launch: cannot become the agent's user");
            _exit(126);
        }
        /* A setuid program (sudo) must not give the agent root back in the namespace. */
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        setenv("HOME", ahome, 1);
        setenv("USER", auser, 1);
        setenv("LOGNAME", auser, 1);
        static const char *const proxy_vars[] = {"HTTPS_PROXY", "HTTP_PROXY", "https_proxy",
                                                 "http_proxy"};
        for (size_t i = 0; i < 4; i++)
            setenv(proxy_vars[i], proxy_url, 1);
        setenv("NO_PROXY", "localhost,127.0.0.1,::1", 1);
        setenv("no_proxy", "localhost,127.0.0.1,::1", 1);
        setenv("NODE_USE_ENV_PROXY", "1", 1);
        unsetenv("ALL_PROXY");
        unsetenv("all_proxy");
        if (chdir(ahome) < 0 && chdir("/") < 0)
            _exit(126);
        execvp(cmd[0], cmd);
        fprintf(stderr, "pipelock: launch: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    close(nsfd);
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        goto down;
    }
    agent_pid = pid;
    p.agent = pid;
    sigprocmask(SIG_SETMASK, &old, NULL); /* a held signal is delivered and forwarded now */
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    agent_pid = 0;
    rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
down:
    teardown(&p);
    if (p.made_ns || p.made_table || p.made_veth) {
        fprintf(stderr, "pipelock: launch: teardown incomplete: namespace %s, table inet %s\n",
                p.ns, p.table);
        if (rc == 0)
            rc = PL_EXIT_FAIL;
    }
out:
    for (size_t i = 0; i < p.n; i++)
        free(p.hosts[i].name);
    free(p.config);
    return rc;
}
