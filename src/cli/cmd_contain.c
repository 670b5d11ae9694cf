/*
 * `pipelock contain apply|remove|status`: the enforced tier on one Linux host, installed
 * and removed in one step (seed 003). apply creates the agent's and the proxy's users, loads
 * the per-user nftables table (`generate firewall`), writes the launcher, the optional
 * sudoers line, a config when none exists and the two systemd units, and records everything
 * it created in a manifest; remove undoes exactly that, status reports what is in force.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cliutil.h"
#include "gen/contain.h"
#include "gen/firewall.h"
#include "util/common.h"

static const char contain_usage[] =
    "Usage: pipelock contain apply  [flags]\n"
    "       pipelock contain remove [--keep-users] [--prefix DIR] [--dry-run]\n"
    "       pipelock contain status [--json] [--prefix DIR]\n"
    "\n"
    "Contain an agent on this Linux host (needs root and nft): the agent runs as its own\n"
    "user, which may send only to pipelock on loopback; pipelock runs as another user,\n"
    "the only one allowed out for the agent.\n"
    "\n"
    "apply creates (or reuses) the two users, loads the nftables table\n"
    "inet pipelock_containment, and writes:\n"
    "  /etc/pipelock/containment.nft            the rules (loaded again at boot)\n"
    "  /usr/local/bin/pipelock-launch           runs TOOL as the agent, proxy variables set\n"
    "  /etc/sudoers.d/pipelock-launch           with --sudoers: the operator may use it\n"
    "  /etc/pipelock/pipelock.yaml              only when missing\n"
    "  /etc/systemd/system/pipelock.service     the proxy, hardened\n"
    "  /etc/systemd/system/pipelock-containment.service  loads the rules at boot\n"
    "  /etc/pipelock/contain.json               what apply created, for remove\n"
    "and, when systemd runs, enables and starts both units. Applying again updates them.\n"
    "remove deletes exactly what apply created (a config you edited is kept), the table,\n"
    "and the users it created (unless --keep-users). status exits 0 when the table is\n"
    "loaded, the users exist and pipelock answers, 1 otherwise.\n"
    "\n"
    "Flags (apply):\n"
    "  --agent-user name     the agent's user (default \"pipelock-agent\")\n"
    "  --proxy-user name     pipelock's user (default \"pipelock-proxy\")\n"
    "  --operator-user name  the human who launches agents (default: $SUDO_USER)\n"
    "  --sudoers             let the operator run the launcher as the agent without password\n"
    "  --proxy-port N        pipelock's port on 127.0.0.1 (default 8888)\n"
    "  --dns-port N          let the agent use a loopback resolver on port N\n"
    "  --config path         the config the service runs (default\n"
    "                        /etc/pipelock/pipelock.yaml)\n"
    "  --binary path         pipelock's executable for the service (default: this one)\n"
    "  --ca path             a CA the agent's tools must trust (TLS interception)\n"
    "  --no-start            write and load, but do not enable or start the units\n"
    "  --prefix dir          write the files under dir instead of / (users and the table are\n"
    "                        still real; systemd is not touched)\n"
    "  --dry-run             print what would be done, change nothing\n";

#define TABLE       PL_GEN_FW_TABLE
#define UNIT_PROXY  "pipelock.service"
#define UNIT_FW     "pipelock-containment.service"
#define MANIFEST    "/etc/pipelock/contain.json"
#define DEF_AGENT   "pipelock-agent"
#define DEF_PROXY   "pipelock-proxy"
#define DEF_CONFIG  "/etc/pipelock/pipelock.yaml"
#define P_NFT       "/etc/pipelock/containment.nft"
#define P_LAUNCHER  "/usr/local/bin/pipelock-launch"
#define P_SUDOERS   "/etc/sudoers.d/pipelock-launch"
#define P_COMBINED  "/etc/pipelock/combined-ca.pem"
#define P_AGENT_CA  "/etc/pipelock/agent-ca.pem"
#define P_UNIT_DIR  "/etc/systemd/system/"
#define SYSTEM_ROOT "/etc/ssl/certs/ca-certificates.crt"

struct ctx {
    const char *prefix; /* "" for the real root */
    bool dry;
    json_t *m; /* the manifest */
    int failures;
};

static void
path_of(const struct ctx *c, const char *logical, char out[PATH_MAX])
{
    snprintf(out, PATH_MAX, "%s%s", c->prefix, logical);
}

static void say(const struct ctx *c, const char *fmt, ...) PL_PRINTF(2, 3);

static void
say(const struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(c->dry ? "would: " : "  ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

static void problem(struct ctx *c, const char *fmt, ...) PL_PRINTF(2, 3);

static void
problem(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pipelock: contain: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->failures++;
}

static json_t *
marr(struct ctx *c, const char *key)
{
    json_t *a = json_object_get(c->m, key);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(c->m, key, a);
    }
    return a;
}

static bool
arr_has(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            return true;
        if (json_is_object(v) && !strcmp(json_string_value(json_object_get(v, "path")) ?: "", s))
            return true;
    }
    return false;
}

static void
dir_created(const char *dir, void *arg)
{
    struct ctx *c = arg;
    json_t *a = marr(c, "dirs_created");
    if (!arr_has(a, dir))
        json_array_append_new(a, json_string(dir));
}

static int
save_manifest(struct ctx *c)
{
    if (c->dry)
        return 0;
    char path[PATH_MAX];
    path_of(c, MANIFEST, path);
    if (pl_cli_mkparents(path, dir_created, c) < 0)
        return -1;
    char *text = json_dumps(c->m, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text)
        return -1;
    size_t n = strlen(text);
    char *t2 = malloc(n + 2);
    int r = -1;
    if (t2) {
        memcpy(t2, text, n);
        memcpy(t2 + n, "\n", 2);
        r = pl_cli_write_file(path, t2, 0600);
        free(t2);
    }
    free(text);
    if (r < 0)
        problem(c, "cannot write %s: %s", path, strerror(-r));
    return r;
}

static json_t *
load_manifest(const struct ctx *c, bool *found)
{
    char path[PATH_MAX];
    path_of(c, MANIFEST, path);
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e);
    *found = m != NULL;
    if (m && !json_is_object(m)) {
        json_decref(m);
        m = NULL;
    }
    if (!m && access(path, F_OK) == 0)
        fprintf(stderr, "pipelock: contain: %s is not a manifest (%s): ignored\n", path, e.text);
    return m ? m : json_object();
}

/* Write one of our files and record it (with its hash when keep_if_changed). */
static int
put_file(struct ctx *c, const char *path, const char *text, unsigned mode, bool keep_if_changed)
{
    say(c, "write %s (mode %04o)", path, mode);
    if (c->dry)
        return 0;
    int r = pl_cli_mkparents(path, dir_created, c);
    if (r == 0)
        r = pl_cli_write_file(path, text, mode);
    if (r < 0) {
        problem(c, "cannot write %s: %s", path, strerror(-r));
        return r;
    }
    json_t *files = marr(c, "files");
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "path")) ?: "", path)) {
            json_array_remove(files, i);
            break;
        }
    }
    json_t *f = json_pack("{s:s}", "path", path);
    char hex[65];
    if (keep_if_changed && pl_cli_file_sha256(path, hex) == 0)
        json_object_set_new(f, "sha256", json_string(hex));
    json_array_append_new(files, f);
    return 0;
}

/* put_file for a rendered text (NULL: the renderer's error is reported). Frees text. */
static int
put_rendered(struct ctx *c, char *text, const char *err, const char *path, unsigned mode,
             bool keep_if_changed)
{
    if (!text) {
        problem(c, "%s", err ? err : "out of memory");
        return -1;
    }
    int r = put_file(c, path, text, mode, keep_if_changed);
    free(text);
    return r;
}

static const char *
nologin_shell(void)
{
    return access("/usr/sbin/nologin", X_OK) == 0 ? "/usr/sbin/nologin"
           : access("/sbin/nologin", X_OK) == 0   ? "/sbin/nologin"
                                                  : "/bin/false";
}

/* The user's uid, creating it (a system user with its own group) when missing. */
static int
ensure_user(struct ctx *c, const char *name, const char *home, bool agent, uid_t *uid)
{
    struct passwd *pw = getpwnam(name);
    if (pw) {
        if (pw->pw_uid == 0) {
            problem(c, "user %s is root: it cannot be contained or be the exit", name);
            return -1;
        }
        say(c, "user %s exists (uid %u): used as it is", name, (unsigned)pw->pw_uid);
        *uid = pw->pw_uid;
        return 0;
    }
    say(c, "create system user %s%s%s", name, agent ? " with home " : "", agent ? home : "");
    if (c->dry) {
        *uid = 0;
        return 0;
    }
    const char *argv[16];
    int n = 0;
    argv[n++] = "useradd";
    argv[n++] = "--system";
    argv[n++] = "--user-group";
    argv[n++] = "--shell";
    argv[n++] = nologin_shell();
    argv[n++] = "--home-dir";
    argv[n++] = home;
    argv[n++] = agent ? "--create-home" : "--no-create-home";
    argv[n++] = "--comment";
    argv[n++] = agent ? "pipelock contained agent" : "pipelock proxy";
    argv[n++] = name;
    argv[n] = NULL;
    char *out = NULL;
    int r = pl_cli_run_tool(argv, &out);
    if (r != 0) {
        problem(c, "useradd %s failed (%d): %s", name, r, out ? out : "");
        free(out);
        return -1;
    }
    free(out);
    json_array_append_new(marr(c, "users_created"), json_string(name));
    pw = getpwnam(name);
    if (!pw) {
        problem(c, "user %s was created but cannot be found", name);
        return -1;
    }
    *uid = pw->pw_uid;
    if (agent)
        chmod(home, 0750);
    return 0;
}

/* The listing of our table (malloc'd), or NULL when it is not loaded. */
static char *
table_listing(void)
{
    const char *argv[] = {"nft", "list", "table", "inet", TABLE, NULL};
    char *out = NULL;
    if (pl_cli_run_tool(argv, &out) == 0)
        return out;
    free(out);
    return NULL;
}

static bool
table_loaded(void)
{
    char *l = table_listing();
    bool loaded = l != NULL;
    free(l);
    return loaded;
}

static bool
systemd_running(const struct ctx *c)
{
    return c->prefix[0] == '\0' && access("/run/systemd/system", F_OK) == 0;
}

static int
systemctl(struct ctx *c, const char *a, const char *b, const char *d, const char *e)
{
    const char *argv[] = {"systemctl", a, b, d, e, NULL};
    say(c, "systemctl %s%s%s%s%s%s%s", a, b ? " " : "", b ? b : "", d ? " " : "", d ? d : "",
        e ? " " : "", e ? e : "");
    if (c->dry)
        return 0;
    char *out = NULL;
    int r = pl_cli_run_tool(argv, &out);
    if (r != 0)
        problem(c, "systemctl %s failed (%d): %s", a, r, out ? out : "");
    free(out);
    return r == 0 ? 0 : -1;
}

static int
port_flag(const char *flag, const char *v, unsigned *ret)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > 65535) {
        fprintf(stderr, "pipelock: contain: %s must be a port (1-65535)\n", flag);
        return -1;
    }
    *ret = (unsigned)n;
    return 0;
}

static int
contain_apply(int argc, char **argv)
{
    static const struct option opts[] = {
        {"agent-user", required_argument, NULL, 'a'},
        {"proxy-user", required_argument, NULL, 'p'},
        {"operator-user", required_argument, NULL, 'u'},
        {"sudoers", no_argument, NULL, 's'},
        {"proxy-port", required_argument, NULL, 'P'},
        {"dns-port", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"binary", required_argument, NULL, 'b'},
        {"ca", required_argument, NULL, 'C'},
        {"no-start", no_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, 'x'},
        {"dry-run", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctx c = {.prefix = ""};
    const char *agent = DEF_AGENT, *proxy = DEF_PROXY, *op = NULL, *config = NULL, *binary = NULL,
               *ca = NULL;
    bool sudoers = false, no_start = false;
    unsigned port = 8888, dns_port = 0;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'a':
            agent = optarg;
            break;
        case 'p':
            proxy = optarg;
            break;
        case 'u':
            op = optarg;
            break;
        case 's':
            sudoers = true;
            break;
        case 'P':
            if (port_flag("--proxy-port", optarg, &port) < 0)
                return PL_EXIT_USAGE;
            break;
        case 'd':
            if (port_flag("--dns-port", optarg, &dns_port) < 0)
                return PL_EXIT_USAGE;
            break;
        case 'c':
            config = optarg;
            break;
        case 'b':
            binary = optarg;
            break;
        case 'C':
            ca = optarg;
            break;
        case 'n':
            no_start = true;
            break;
        case 'x':
            c.prefix = optarg;
            break;
        case 'D':
            c.dry = true;
            break;
        case 'h':
            fputs(contain_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(contain_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: contain apply: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (!strcmp(c.prefix, "/"))
        c.prefix = "";
    if (c.prefix[0] && !pl_gen_path_ok(c.prefix)) {
        fprintf(stderr, "pipelock: contain: --prefix must be an absolute plain path\n");
        return PL_EXIT_USAGE;
    }
    if (!op && sudoers) {
        op = getenv("SUDO_USER");
        if (op && !strcmp(op, "root"))
            op = NULL;
    }
    if (sudoers && !op) {
        fprintf(stderr, "pipelock: contain: --sudoers needs --operator-user (no $SUDO_USER)\n");
        return PL_EXIT_USAGE;
    }
    char exe[PATH_MAX], cfg_path[PATH_MAX], nft_path[PATH_MAX], launcher_path[PATH_MAX],
        sudoers_path[PATH_MAX], combined_path[PATH_MAX], unit_proxy[PATH_MAX], unit_fw[PATH_MAX],
        home[PATH_MAX], ca_abs[PATH_MAX], agent_ca_path[PATH_MAX];
    if (!binary) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0) {
            fprintf(stderr, "pipelock: contain: cannot find this executable; use --binary\n");
            return PL_EXIT_FAIL;
        }
        exe[n] = '\0';
        binary = exe;
    } else if (!realpath(binary, exe) || access(exe, X_OK) != 0) {
        fprintf(stderr, "pipelock: contain: --binary %s is not an executable\n", binary);
        return PL_EXIT_USAGE;
    } else {
        binary = exe;
    }
    if (ca) {
        if (!realpath(ca, ca_abs) || access(ca_abs, R_OK) != 0) {
            fprintf(stderr, "pipelock: contain: --ca %s cannot be read\n", ca);
            return PL_EXIT_USAGE;
        }
        ca = ca_abs;
    }
    if (config)
        snprintf(cfg_path, sizeof(cfg_path), "%s", config);
    else
        path_of(&c, DEF_CONFIG, cfg_path);
    path_of(&c, P_NFT, nft_path);
    path_of(&c, P_LAUNCHER, launcher_path);
    path_of(&c, P_SUDOERS, sudoers_path);
    path_of(&c, P_COMBINED, combined_path);
    path_of(&c, P_AGENT_CA, agent_ca_path);
    path_of(&c, P_UNIT_DIR UNIT_PROXY, unit_proxy);
    path_of(&c, P_UNIT_DIR UNIT_FW, unit_fw);
    snprintf(home, sizeof(home), "/home/%s", agent);

    struct pl_gen_contain g = {
        .agent_user = agent,
        .agent_home = home,
        .proxy_user = proxy,
        .operator_user = op,
        .proxy_port = port,
        .binary = binary,
        .config = cfg_path,
        .nft_file = nft_path,
        .launcher = launcher_path,
        /* A copy the agent can read, wherever the operator's file is. */
        .ca_file = ca ? agent_ca_path : NULL,
        .ca_combined = ca ? combined_path : NULL,
    };
    const char *err = NULL;
    /* Validate every input before anything changes. */
    char *probe = pl_gen_launcher(&g, &err);
    if (!probe) {
        fprintf(stderr, "pipelock: contain: %s\n", err);
        return PL_EXIT_USAGE;
    }
    free(probe);
    if (!c.dry && geteuid() != 0) {
        fprintf(stderr, "pipelock: contain apply: needs root (users, nftables, /etc)\n");
        return PL_EXIT_FAIL;
    }
    char nftbuf[PATH_MAX];
    if (!pl_cli_find_tool("nft", nftbuf, sizeof(nftbuf))) {
        fprintf(stderr, "pipelock: contain apply: nft is not installed (apt install nftables)\n");
        return PL_EXIT_FAIL;
    }
    /* Users that exist must not be root: checked before anything changes. */
    const char *names[] = {agent, proxy};
    for (size_t i = 0; i < 2; i++) {
        struct passwd *pw = getpwnam(names[i]);
        if (pw && pw->pw_uid == 0) {
            fprintf(stderr,
                    "pipelock: contain: user %s is root: it cannot be contained or be the "
                    "exit\n",
                    names[i]);
            return PL_EXIT_USAGE;
        }
    }
    if (!strncmp(binary, "/root/", 6) || !strncmp(binary, "/home/", 6))
        fprintf(stderr,
                "pipelock: contain: warning: %s is under a home directory, which the service "
                "cannot see (ProtectHome=yes); install pipelock in /usr/local/bin\n",
                binary);

    bool had = false;
    c.m = load_manifest(&c, &had);
    const char *prev_agent = json_string_value(json_object_get(c.m, "agent_user"));
    if (had && prev_agent && strcmp(prev_agent, agent)) {
        fprintf(stderr,
                "pipelock: contain: already applied for agent user %s; run `pipelock contain "
                "remove` first\n",
                prev_agent);
        json_decref(c.m);
        return PL_EXIT_FAIL;
    }
    printf("%s containment: agent %s, proxy %s on 127.0.0.1:%u\n", c.dry ? "Planning" : "Applying",
           agent, proxy, port);

    uid_t auid = 0, puid = 0;
    if (ensure_user(&c, proxy, "/var/lib/pipelock", false, &puid) < 0 ||
        ensure_user(&c, agent, home, true, &auid) < 0)
        goto out;
    if (!c.dry && auid == puid) {
        problem(&c, "the agent's and the proxy's users have the same uid %u", (unsigned)auid);
        goto out;
    }
    g.agent_uid = (unsigned)auid;
    json_object_set_new(c.m, "version", json_integer(1));
    json_object_set_new(c.m, "agent_user", json_string(agent));
    json_object_set_new(c.m, "agent_uid", json_integer(auid));
    json_object_set_new(c.m, "proxy_user", json_string(proxy));
    json_object_set_new(c.m, "proxy_port", json_integer(port));
    json_object_set_new(c.m, "prefix", json_string(c.prefix));
    if (save_manifest(&c) < 0)
        goto out;

    /* The table, by uid: a name would be resolved by nft at every load (early at boot). */
    char au[16], pu[16];
    snprintf(au, sizeof(au), "%u", (unsigned)auid);
    snprintf(pu, sizeof(pu), "%u", (unsigned)puid);
    char genline[256];
    snprintf(genline, sizeof(genline), "pipelock contain apply (agent %s, proxy %s)", agent, proxy);
    struct pl_gen_fw_opts fw = {.backend = "nftables",
                                .agent_user = c.dry ? "65533" : au,
                                .proxy_user = c.dry ? "65534" : pu,
                                .operator_user = op,
                                .proxy_port = port,
                                .dns_port = dns_port,
                                .generator = genline};
    char *rules = pl_gen_firewall(&fw, &err);
    if (!rules) {
        problem(&c, "%s", err);
        goto out;
    }
    int r = put_file(&c, nft_path, rules, 0644, false);
    free(rules);
    if (r < 0)
        goto out;
    say(&c, "nft -f %s (table inet %s)", nft_path, TABLE);
    if (!c.dry) {
        const char *nargv[] = {"nft", "-f", nft_path, NULL};
        char *nout = NULL;
        int nr = pl_cli_run_tool(nargv, &nout);
        if (nr != 0) {
            problem(&c, "nft -f %s failed (%d): %s", nft_path, nr, nout ? nout : "");
            free(nout);
            goto out;
        }
        free(nout);
        json_object_set_new(c.m, "table", json_string(TABLE));
        save_manifest(&c);
    }

    if (put_rendered(&c, pl_gen_launcher(&g, &err), err, launcher_path, 0755, false) < 0)
        goto out;

    if (sudoers) {
        if (put_rendered(&c, pl_gen_sudoers(&g, &err), err, sudoers_path, 0440, false) < 0)
            goto out;
        char vbuf[PATH_MAX];
        if (!c.dry && pl_cli_find_tool("visudo", vbuf, sizeof(vbuf))) {
            const char *vargv[] = {"visudo", "-cf", sudoers_path, NULL};
            char *vout = NULL;
            if (pl_cli_run_tool(vargv, &vout) != 0) {
                problem(&c, "visudo rejects %s: %s", sudoers_path, vout ? vout : "");
                unlink(sudoers_path);
                free(vout);
                goto out;
            }
            free(vout);
        }
    }

    if (ca) {
        char *roots = pl_cli_read_file(SYSTEM_ROOT, 8u << 20, NULL);
        char *mine = pl_cli_read_file(ca, 8u << 20, NULL);
        if (!mine) {
            problem(&c, "cannot read %s", ca);
            free(roots);
            goto out;
        }
        size_t n = (roots ? strlen(roots) : 0) + strlen(mine) + 2;
        char *both = malloc(n);
        if (both) {
            snprintf(both, n, "%s%s%s", roots ? roots : "",
                     roots && *roots && roots[strlen(roots) - 1] != '\n' ? "\n" : "", mine);
            r = put_file(&c, combined_path, both, 0644, false);
            if (r == 0)
                r = put_file(&c, agent_ca_path, mine, 0644, false);
        }
        free(both);
        free(roots);
        free(mine);
        if (!both || r < 0)
            goto out;
    }

    if (access(cfg_path, F_OK) != 0) {
        if (put_rendered(&c, pl_gen_contain_config(&g, &err), err, cfg_path, 0640, true) < 0)
            goto out;
        struct group *gr = getgrnam(proxy);
        if (!c.dry && gr && chown(cfg_path, 0, gr->gr_gid) < 0)
            problem(&c, "chown %s: %s", cfg_path, strerror(errno));
    } else {
        say(&c, "config %s exists: used as it is", cfg_path);
    }

    if (put_rendered(&c, pl_gen_proxy_unit(&g, &err), err, unit_proxy, 0644, false) < 0 ||
        put_rendered(&c, pl_gen_containment_unit(&g, &err), err, unit_fw, 0644, false) < 0)
        goto out;
    save_manifest(&c);

    if (systemd_running(&c) && !no_start) {
        if (systemctl(&c, "daemon-reload", NULL, NULL, NULL) < 0 ||
            systemctl(&c, "enable", "--now", UNIT_FW, UNIT_PROXY) < 0)
            goto out;
        json_object_set_new(c.m, "units_enabled", json_true());
        save_manifest(&c);
    } else if (!c.dry) {
        printf("  systemd is %s: start pipelock yourself, as its user:\n"
               "    runuser -u %s -- %s run --config %s\n",
               no_start ? "left alone (--no-start)" : "not running here", proxy, binary, cfg_path);
    }
out:
    if (!c.dry)
        save_manifest(&c);
    json_decref(c.m);
    if (c.failures) {
        fprintf(stderr,
                "pipelock: contain apply: incomplete; `pipelock contain remove` undoes what "
                "was done\n");
        return PL_EXIT_FAIL;
    }
    if (!c.dry)
        printf("Contained. Run agent tools with: %s TOOL [ARGS...]\n"
               "Check with: pipelock contain status\n",
               launcher_path);
    return PL_EXIT_OK;
}

static int
contain_remove(int argc, char **argv)
{
    static const struct option opts[] = {
        {"keep-users", no_argument, NULL, 'k'},
        {"prefix", required_argument, NULL, 'x'},
        {"dry-run", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctx c = {.prefix = ""};
    bool keep_users = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'k':
            keep_users = true;
            break;
        case 'x':
            c.prefix = optarg;
            break;
        case 'D':
            c.dry = true;
            break;
        case 'h':
            fputs(contain_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(contain_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: contain remove: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (!strcmp(c.prefix, "/"))
        c.prefix = "";
    if (!c.dry && geteuid() != 0) {
        fprintf(stderr, "pipelock: contain remove: needs root\n");
        return PL_EXIT_FAIL;
    }
    bool had = false;
    c.m = load_manifest(&c, &had);
    if (!had)
        printf("No manifest (%s%s): only the table is removed, if loaded.\n", c.prefix, MANIFEST);
    else
        printf("%s containment of %s\n", c.dry ? "Planning removal of" : "Removing",
               json_string_value(json_object_get(c.m, "agent_user")) ?: "(unknown agent)");

    if (json_is_true(json_object_get(c.m, "units_enabled"))) {
        if (systemctl(&c, "disable", "--now", UNIT_PROXY, UNIT_FW) == 0 && !c.dry)
            json_object_del(c.m, "units_enabled");
    }
    if (table_loaded()) {
        say(&c, "nft delete table inet %s", TABLE);
        if (!c.dry) {
            const char *dargv[] = {"nft", "delete", "table", "inet", TABLE, NULL};
            char *dout = NULL;
            if (pl_cli_run_tool(dargv, &dout) != 0)
                problem(&c, "nft delete table failed: %s", dout ? dout : "");
            free(dout);
        }
    }
    json_object_del(c.m, "table");

    json_t *files = marr(&c, "files"), *left = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v)
    {
        const char *p = json_string_value(json_object_get(v, "path"));
        const char *want = json_string_value(json_object_get(v, "sha256"));
        if (!p)
            continue;
        char hex[65];
        if (want && pl_cli_file_sha256(p, hex) == 0 && strcmp(hex, want)) {
            printf("  keep %s: changed since apply\n", p);
            continue;
        }
        say(&c, "delete %s", p);
        if (!c.dry && unlink(p) < 0 && errno != ENOENT) {
            problem(&c, "cannot delete %s: %s", p, strerror(errno));
            json_array_append(left, v);
        }
    }
    json_object_set_new(c.m, "files", left);
    if (had && systemd_running(&c) && !c.dry)
        systemctl(&c, "daemon-reload", NULL, NULL, NULL);

    json_t *users = marr(&c, "users_created"), *uleft = json_array();
    json_array_foreach(users, i, v)
    {
        const char *u = json_string_value(v);
        if (!u)
            continue;
        if (keep_users) {
            printf("  keep user %s (--keep-users)\n", u);
            continue;
        }
        /* The agent's home goes with it: it was created for it. */
        bool agent = !strcmp(u, json_string_value(json_object_get(c.m, "agent_user")) ?: "");
        say(&c, "delete user %s%s", u, agent ? " and its home" : "");
        if (c.dry || !getpwnam(u))
            continue;
        const char *uargv[] = {"userdel", agent ? "--remove" : u, agent ? u : NULL, NULL};
        char *uout = NULL;
        int r = pl_cli_run_tool(uargv, &uout);
        /* 12: the home could not be removed (already gone); the user is. */
        if (r != 0 && !(r == 12 && !getpwnam(u))) {
            problem(&c, "userdel %s failed (%d): %s", u, r, uout ? uout : "");
            json_array_append(uleft, v);
        }
        free(uout);
    }
    json_object_set_new(c.m, "users_created", uleft);

    if (!c.dry && !c.failures) {
        char mpath[PATH_MAX];
        path_of(&c, MANIFEST, mpath);
        if (had)
            say(&c, "delete %s", mpath);
        unlink(mpath);
        json_t *dirs = marr(&c, "dirs_created");
        for (size_t k = json_array_size(dirs); k-- > 0;) {
            const char *d = json_string_value(json_array_get(dirs, k));
            if (d && rmdir(d) == 0)
                say(&c, "delete directory %s", d);
        }
    } else if (!c.dry) {
        save_manifest(&c);
    }
    json_decref(c.m);
    if (c.failures) {
        fprintf(stderr, "pipelock: contain remove: incomplete; what is left is recorded in "
                        "the manifest\n");
        return PL_EXIT_FAIL;
    }
    if (!c.dry)
        printf("Removed.\n");
    return PL_EXIT_OK;
}

/* The "counter packets N bytes M" of the drop rule, or -1. */
static long long
drop_count(const char *listing)
{
    const char *p = listing ? strstr(listing, "counter packets ") : NULL;
    return p ? strtoll(p + 16, NULL, 10) : -1;
}

static int
contain_status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"prefix", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctx c = {.prefix = ""};
    bool as_json = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'j':
            as_json = true;
            break;
        case 'x':
            c.prefix = optarg;
            break;
        case 'h':
            fputs(contain_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(contain_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: contain status: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (!strcmp(c.prefix, "/"))
        c.prefix = "";
    bool had = false;
    c.m = load_manifest(&c, &had);
    const char *agent = json_string_value(json_object_get(c.m, "agent_user")) ?: DEF_AGENT;
    const char *proxy = json_string_value(json_object_get(c.m, "proxy_user")) ?: DEF_PROXY;
    json_int_t port = json_integer_value(json_object_get(c.m, "proxy_port"));
    if (port <= 0 || port > 65535)
        port = 8888;
    char *listing = table_listing();
    bool table = listing != NULL;
    long long drops = table ? drop_count(listing) : -1;
    free(listing);
    struct passwd *pw = getpwnam(agent);
    long long auid = pw ? (long long)pw->pw_uid : -1;
    bool agent_ok = pw != NULL;
    bool proxy_ok = getpwnam(proxy) != NULL;
    char launcher[PATH_MAX];
    path_of(&c, P_LAUNCHER, launcher);
    bool launcher_ok = access(launcher, X_OK) == 0;
    char url[64], herr[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%lld/health", (long long)port);
    long code = 0;
    pl_cli_http(url, NULL, NULL, 2000, &code, NULL, herr, sizeof(herr));
    bool health = code == 200;
    bool contained = table && agent_ok && proxy_ok && launcher_ok && health;

    if (as_json) {
        json_t *j = json_pack("{s:b,s:b,s:b,s:I,s:{s:s,s:b,s:I},s:{s:s,s:b},s:{s:s,s:b},"
                              "s:{s:I,s:b}}",
                              "contained", contained, "manifest", had, "table_loaded", table,
                              "dropped_packets", (json_int_t)drops, "agent_user", "name", agent,
                              "exists", agent_ok, "uid", (json_int_t)auid, "proxy_user", "name",
                              proxy, "exists", proxy_ok, "launcher", "path", launcher, "exists",
                              launcher_ok, "proxy", "port", port, "healthy", health);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        if (s)
            puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("table inet %-20s %s", TABLE, table ? "loaded" : "MISSING");
        if (drops >= 0)
            printf(" (%lld packets of the agent dropped)", drops);
        printf("\nagent user %-21s %s", agent, agent_ok ? "exists" : "MISSING");
        if (agent_ok)
            printf(" (uid %lld)", auid);
        printf("\nproxy user %-21s %s\n", proxy, proxy_ok ? "exists" : "MISSING");
        printf("launcher %-23s %s\n", launcher, launcher_ok ? "installed" : "MISSING");
        printf("pipelock 127.0.0.1:%-13lld %s\n", (long long)port,
               health ? "healthy" : "NOT ANSWERING");
        printf("%s\n", contained ? "Contained." : had ? "NOT fully contained." : "Not applied.");
    }
    json_decref(c.m);
    return contained ? PL_EXIT_OK : PL_EXIT_FAIL;
}

int
pl_cmd_contain(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(contain_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PL_EXIT_USAGE : PL_EXIT_OK;
    }
    if (!strcmp(argv[1], "apply"))
        return contain_apply(argc - 1, argv + 1);
    if (!strcmp(argv[1], "remove"))
        return contain_remove(argc - 1, argv + 1);
    if (!strcmp(argv[1], "status"))
        return contain_status(argc - 1, argv + 1);
    fprintf(stderr, "pipelock: contain: unknown subcommand \"%s\" (apply, remove, status)\n",
            argv[1]);
    return PL_EXIT_USAGE;
}
