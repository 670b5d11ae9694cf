/*
 * The files of the enforced tier on one Linux host (`pipelock contain apply`, `pipelock
 * generate systemd`): the launcher that runs a tool as the agent's user with the proxy
 * variables set, the sudoers line that lets the operator use it, the hardened systemd unit
 * of the proxy and the unit that loads the firewall table at boot. Pure rendering: the
 * command in cli/ creates users, writes the files and runs nft.
 */
#ifndef PL_GEN_CONTAIN_H
#define PL_GEN_CONTAIN_H

#include <stdbool.h>

struct pl_gen_contain {
    const char *agent_user;    /* name */
    unsigned agent_uid;        /* the launcher compares `id -u` with it */
    const char *agent_home;    /* absolute path */
    const char *proxy_user;    /* name */
    const char *operator_user; /* NULL: no sudoers line */
    unsigned proxy_port;
    const char *binary;      /* pipelock's absolute path, for ExecStart */
    const char *config;      /* absolute path of the config the unit runs */
    const char *nft_file;    /* absolute path of the rules the containment unit loads */
    const char *launcher;    /* absolute path of the launcher (sudoers names it) */
    const char *ca_file;     /* NULL, or a CA bundle (pipelock's CA) the tools must trust */
    const char *ca_combined; /* with ca_file: system roots + that CA, for OpenSSL clients */
};

/* A path that is safe to paste into sh, sudoers and systemd syntax: absolute, made of
 * [A-Za-z0-9/._+-], no "..", at most 200 bytes. */
bool pl_gen_path_ok(const char *p);

/* Each returns a malloc'd text, or NULL with a static message in *ret_err. */
char *pl_gen_launcher(const struct pl_gen_contain *o, const char **ret_err);
char *pl_gen_sudoers(const struct pl_gen_contain *o, const char **ret_err);
char *pl_gen_proxy_unit(const struct pl_gen_contain *o, const char **ret_err);
char *pl_gen_containment_unit(const struct pl_gen_contain *o, const char **ret_err);
/* The config written when none exists: defaults (balanced) + listen + forward proxy on. */
char *pl_gen_contain_config(const struct pl_gen_contain *o, const char **ret_err);

#endif
