/*
 * `pipelock generate firewall`: per-user egress rules for one host (the enforced tier without
 * containers). The agent's user may send only to pipelock's port on loopback (and, when given,
 * a loopback resolver); every other packet it sends, any protocol, IPv4 or IPv6, is dropped
 * where it leaves the process. Other users are not touched: the proxy's user is the exit.
 */
#ifndef PL_GEN_FIREWALL_H
#define PL_GEN_FIREWALL_H

struct pl_gen_fw_opts {
    const char *backend;       /* "nftables" | "iptables" | "pf" | "ufw" */
    const char *agent_user;    /* name or numeric uid */
    const char *proxy_user;    /* name or numeric uid */
    const char *operator_user; /* may be NULL: named in comments only */
    unsigned proxy_port;       /* pipelock's listen port on loopback (8888) */
    unsigned dns_port;         /* a loopback resolver the agent may use; 0 = none */
    const char *generator;     /* the command line, for the header comment */
};

/*
 * Render the rules. Returns a malloc'd string, or NULL with a static message in *ret_err
 * (unknown backend, invalid user, agent and proxy users the same...).
 */
char *pl_gen_firewall(const struct pl_gen_fw_opts *o, const char **ret_err);

/* The nftables table name the rules create (and `nft delete table inet <name>` removes). */
#define PL_GEN_FW_TABLE "pipelock_containment"

#endif
