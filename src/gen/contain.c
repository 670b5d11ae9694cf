/* The launcher, sudoers line and systemd units of the enforced tier (see contain.h). */
#include "gen/contain.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define P(...)                                 \
    do {                                       \
        if (pl_buf_printf(b, __VA_ARGS__) < 0) \
            goto fail;                         \
    } while (0)

bool
pl_gen_path_ok(const char *p)
{
    if (!p || p[0] != '/' || strlen(p) > 200 || strstr(p, "/../") || strstr(p, "/./"))
        return false;
    size_t n = strlen(p);
    if ((n >= 3 && !strcmp(p + n - 3, "/..")) || (n >= 2 && !strcmp(p + n - 2, "/.")))
        return false;
    for (; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '/' || *p == '.' || *p == '_' || *p == '-' ||
                  *p == '+';
        if (!ok)
            return false;
    }
    return true;
}

/* A user name as useradd accepts it by default: [a-z_][a-z0-9_-]*, at most 32 bytes. */
static bool
name_ok(const char *u)
{
    if (!u || !*u || strlen(u) > 32 || !((*u >= 'a' && *u <= 'z') || *u == '_'))
        return false;
    for (; *u; u++)
        if (!((*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') || *u == '_' || *u == '-'))
            return false;
    return true;
}

static bool
opts_ok(const struct pl_gen_contain *o, const char **ret_err)
{
    if ((o->agent_user && !name_ok(o->agent_user)) || !name_ok(o->proxy_user) ||
        (o->operator_user && !name_ok(o->operator_user))) {
        *ret_err = "user names must match [a-z_][a-z0-9_-]* (at most 32 characters)";
        return false;
    }
    if (o->agent_user && (!strcmp(o->agent_user, o->proxy_user) ||
                          (o->operator_user && !strcmp(o->operator_user, o->agent_user)))) {
        *ret_err = "the agent's user must differ from the proxy's and the operator's";
        return false;
    }
    if (!o->proxy_port || o->proxy_port > 65535) {
        *ret_err = "the proxy port must be between 1 and 65535";
        return false;
    }
    const char *paths[] = {o->agent_home, o->binary,      o->config, o->nft_file,
                           o->launcher,   o->ca_combined, o->ca_file};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (paths[i] && !pl_gen_path_ok(paths[i])) {
            *ret_err = "paths must be absolute and made of [A-Za-z0-9/._+-] (no \"..\")";
            return false;
        }
    }
    return true;
}

typedef int (*render_fn)(struct pl_buf *, const struct pl_gen_contain *);

static char *
render(render_fn fn, const struct pl_gen_contain *o, const char **ret_err)
{
    if (!opts_ok(o, ret_err))
        return NULL;
    struct pl_buf b;
    pl_buf_init(&b, 1u << 20);
    char *out = fn(&b, o) == 0 ? strndup(b.data, b.len) : NULL;
    pl_buf_done(&b);
    if (!out)
        *ret_err = "out of memory";
    return out;
}

static int
launcher(struct pl_buf *b, const struct pl_gen_contain *o)
{
    if (!o->agent_home || !o->launcher)
        goto fail;
    const char *u = o->agent_user;
    P("#!/bin/sh\n"
      "# Run a tool as the contained agent user %s (uid %u), whose only way out is\n"
      "# pipelock on 127.0.0.1:%u. Written by `pipelock contain apply`; `pipelock contain\n"
      "# remove` deletes it.\n"
      "#\n"
      "# Usage: %s TOOL [ARGS...]\n"
      "#\n"
      "# The tool gets a clean environment: the operator's variables (and any secret in them)\n"
      "# do not follow it. Give the agent its own credentials in %s.\n"
      "set -eu\n"
      "if [ \"$#\" -eq 0 ]; then\n"
      "    echo \"usage: %s TOOL [ARGS...]\" >&2\n"
      "    exit 2\n"
      "fi\n"
      "if [ \"$(id -u)\" != %u ]; then\n"
      "    if [ \"$(id -u)\" = 0 ]; then\n"
      "        exec runuser -u %s -- %s \"$@\"\n"
      "    fi\n"
      "    exec sudo -n -u %s -- %s \"$@\"\n"
      "fi\n"
      "exec env -i \\\n"
      "    HOME=%s USER=%s LOGNAME=%s SHELL=/bin/sh \\\n"
      "    PATH=%s/.local/bin:/usr/local/bin:/usr/bin:/bin \\\n"
      "    TERM=\"${TERM:-dumb}\" LANG=\"${LANG:-C.UTF-8}\" \\\n"
      "    HTTPS_PROXY=http://127.0.0.1:%u HTTP_PROXY=http://127.0.0.1:%u \\\n"
      "    https_proxy=http://127.0.0.1:%u http_proxy=http://127.0.0.1:%u \\\n"
      "    NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1 \\\n"
      "    NODE_USE_ENV_PROXY=1 \\\n",
      u, o->agent_uid, o->proxy_port, o->launcher, o->agent_home, o->launcher, o->agent_uid, u,
      o->launcher, u, o->launcher, o->agent_home, u, u, o->agent_home, o->proxy_port, o->proxy_port,
      o->proxy_port, o->proxy_port);
    if (o->ca_file)
        P("    NODE_EXTRA_CA_CERTS=%s \\\n"
          "    SSL_CERT_FILE=%s REQUESTS_CA_BUNDLE=%s CURL_CA_BUNDLE=%s \\\n"
          "    GIT_SSL_CAINFO=%s \\\n",
          o->ca_file, o->ca_combined, o->ca_combined, o->ca_combined, o->ca_combined);
    P("    \"$@\"\n");
    return 0;
fail:
    return -1;
}

char *
pl_gen_launcher(const struct pl_gen_contain *o, const char **ret_err)
{
    if (!o->agent_user || !o->agent_home || !o->launcher) {
        *ret_err = "the launcher needs the agent's user, its home and its own path";
        return NULL;
    }
    if (o->ca_file && !o->ca_combined) {
        *ret_err = "a CA file needs the combined bundle's path";
        return NULL;
    }
    return render(launcher, o, ret_err);
}

static int
sudoers(struct pl_buf *b, const struct pl_gen_contain *o)
{
    if (!o->operator_user || !o->launcher)
        goto fail;
    P("# Written by `pipelock contain apply`: %s may run the launcher (and only it) as %s.\n"
      "# `pipelock contain remove` deletes this file.\n"
      "Defaults!%s env_reset\n"
      "%s ALL=(%s) NOPASSWD: %s\n",
      o->operator_user, o->agent_user, o->launcher, o->operator_user, o->agent_user, o->launcher);
    return 0;
fail:
    return -1;
}

char *
pl_gen_sudoers(const struct pl_gen_contain *o, const char **ret_err)
{
    if (!o->operator_user || !o->agent_user || !o->launcher) {
        *ret_err = "the sudoers line needs the operator's and the agent's users";
        return NULL;
    }
    return render(sudoers, o, ret_err);
}

static int
proxy_unit(struct pl_buf *b, const struct pl_gen_contain *o)
{
    if (!o->binary || !o->config)
        goto fail;
    P("# pipelock as a system service, hardened. Generated by `pipelock generate systemd`.\n"
      "# Install: copy to /etc/systemd/system/, then\n"
      "#   systemctl daemon-reload && systemctl enable --now pipelock.service\n"
      "# Reload the policy: systemctl reload pipelock (SIGHUP; a bad config keeps the old one).\n"
      "[Unit]\n"
      "Description=pipelock agent firewall\n"
      "Documentation=https://github.com/luckypipewrench/pipelock\n"
      "Wants=network-online.target\n"
      "After=network-online.target\n");
    if (o->nft_file)
        P("# The agent's user is contained before the proxy serves anything.\n"
          "Wants=pipelock-containment.service\n"
          "After=pipelock-containment.service\n");
    P("\n"
      "[Service]\n"
      "Type=simple\n"
      "User=%s\n"
      "Group=%s\n"
      "ExecStart=%s run --config %s\n"
      "ExecReload=/bin/kill -HUP $MAINPID\n"
      "Restart=on-failure\n"
      "RestartSec=2s\n"
      "TimeoutStopSec=30s\n"
      "LimitNOFILE=65536\n"
      "UMask=0077\n"
      "StateDirectory=pipelock\n"
      "StateDirectoryMode=0750\n"
      "LogsDirectory=pipelock\n"
      "LogsDirectoryMode=0750\n"
      "\n"
      "# Nothing to gain: no capabilities (its ports are above 1024), no new privileges.\n"
      "NoNewPrivileges=yes\n"
      "CapabilityBoundingSet=\n"
      "AmbientCapabilities=\n"
      "# The file system is read-only but for its state and log directories.\n"
      "ProtectSystem=strict\n"
      "ProtectHome=yes\n"
      "PrivateTmp=yes\n"
      "PrivateMounts=yes\n"
      "PrivateDevices=yes\n"
      "DevicePolicy=closed\n"
      "ProtectProc=invisible\n"
      "ProcSubset=pid\n"
      "ProtectKernelTunables=yes\n"
      "ProtectKernelModules=yes\n"
      "ProtectKernelLogs=yes\n"
      "ProtectControlGroups=yes\n"
      "ProtectClock=yes\n"
      "ProtectHostname=yes\n"
      "RestrictNamespaces=yes\n"
      "RestrictRealtime=yes\n"
      "RestrictSUIDSGID=yes\n"
      "RemoveIPC=yes\n"
      "LockPersonality=yes\n"
      "# IP for the proxy, unix sockets for syslog; no netlink, no packet sockets.\n"
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
      "SystemCallArchitectures=native\n"
      "SystemCallFilter=@system-service\n"
      "SystemCallFilter=~@privileged\n"
      "SystemCallErrorNumber=EPERM\n"
      "# Not set: MemoryDenyWriteExecute=yes would stop PCRE2's JIT, which keeps the\n"
      "# confirmation of scanner matches fast (it falls back to the interpreter).\n"
      "\n"
      "[Install]\n"
      "WantedBy=multi-user.target\n",
      o->proxy_user, o->proxy_user, o->binary, o->config);
    return 0;
fail:
    return -1;
}

char *
pl_gen_proxy_unit(const struct pl_gen_contain *o, const char **ret_err)
{
    if (!o->binary || !o->config) {
        *ret_err = "the unit needs pipelock's path and its config's";
        return NULL;
    }
    return render(proxy_unit, o, ret_err);
}

static int
containment_unit(struct pl_buf *b, const struct pl_gen_contain *o)
{
    if (!o->nft_file)
        goto fail;
    P("# Loads pipelock's per-user egress rules (table inet pipelock_containment) at boot,\n"
      "# before any network is up. `pipelock contain apply` installs it with the rules.\n"
      "# Note: `nft flush ruleset` (and a restart of nftables.service) removes the table;\n"
      "# a reload of nftables.service reloads it here too. Check: pipelock contain status.\n"
      "[Unit]\n"
      "Description=pipelock containment: the agent's user may reach only pipelock\n"
      "DefaultDependencies=no\n"
      "Wants=network-pre.target\n"
      "Before=network-pre.target shutdown.target\n"
      "After=local-fs.target nftables.service\n"
      "Conflicts=shutdown.target\n"
      "ReloadPropagatedFrom=nftables.service\n"
      "\n"
      "[Service]\n"
      "Type=oneshot\n"
      "RemainAfterExit=yes\n"
      "ExecStart=/usr/sbin/nft -f %s\n"
      "ExecReload=/usr/sbin/nft -f %s\n"
      "\n"
      "[Install]\n"
      "WantedBy=sysinit.target\n",
      o->nft_file, o->nft_file);
    return 0;
fail:
    return -1;
}

char *
pl_gen_containment_unit(const struct pl_gen_contain *o, const char **ret_err)
{
    if (!o->nft_file) {
        *ret_err = "the containment unit needs the rules file's path";
        return NULL;
    }
    return render(containment_unit, o, ret_err);
}

static int
config(struct pl_buf *b, const struct pl_gen_contain *o)
{
    P("# pipelock config written by `pipelock contain apply` because none existed here.\n"
      "# Keys not set take the balanced defaults; see `pipelock generate config`.\n"
      "# `pipelock contain remove` deletes this file only while it is unchanged.\n"
      "fetch_proxy:\n"
      "  listen: 127.0.0.1:%u\n"
      "# The agent's tools use HTTPS_PROXY/HTTP_PROXY (CONNECT and absolute URIs).\n"
      "forward_proxy:\n"
      "  enabled: true\n",
      o->proxy_port);
    return 0;
fail:
    return -1;
}

char *
pl_gen_contain_config(const struct pl_gen_contain *o, const char **ret_err)
{
    return render(config, o, ret_err);
}
