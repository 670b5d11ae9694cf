/*
 * What a config reload changes (reference §3.5): fields that only a restart can apply, and
 * changes that weaken enforcement. Pure comparison of two loaded configs; the proxy decides
 * what to do with the answer.
 */
#ifndef PL_POLICY_RELOAD_H
#define PL_POLICY_RELOAD_H

#include "policy/config.h"

struct pl_reload_diff {
    struct pl_strlist restart; /* "fetch_proxy.listen" ...: kept at the running value */
    struct pl_strlist weaker;  /* "mode: strict -> balanced" ...: each weakening, named */
};

/* Restart-only fields the command line set (run --listen, --resolver): kept silently. */
enum {
    PL_RELOAD_CLI_LISTEN = 1u << 0,
    PL_RELOAD_CLI_RESOLVERS = 1u << 1,
};

/*
 * Compare the running config with a newly loaded one. Restart-only fields that differ are
 * listed and set back in next to their running values (so next describes what will run).
 * Returns 0, or -ENOMEM. Free the lists with pl_reload_diff_done().
 */
int pl_reload_diff(const struct pl_config *cur, struct pl_config *next, unsigned cli_fixed,
                   struct pl_reload_diff *ret);
void pl_reload_diff_done(struct pl_reload_diff *d);

#endif
