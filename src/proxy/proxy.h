/*
 * The proxy daemon: listeners on every worker, forward proxy, CONNECT tunnels and the local
 * endpoints, with graceful drain on SIGTERM/SIGINT.
 */
#ifndef PL_PROXY_PROXY_H
#define PL_PROXY_PROXY_H

#include "obs/audit.h"
#include "policy/config.h"

struct pl_proxy;

/*
 * Create the proxy: takes ownership of cfg, borrows audit (must outlive the proxy). Binds the
 * listening sockets now so that a bind failure is reported before anything starts; returns 0 or
 * -errno with a message in *ret_err naming the address.
 */
int pl_proxy_new(struct pl_config *cfg, struct pl_audit *audit, struct pl_proxy **ret,
                 char **ret_err);

/*
 * What `run` flags set, so that a reload keeps them: mode (enum pl_mode, or -1 for none), and
 * whether --listen and --resolver were given (those fields then never come from the file).
 */
void pl_proxy_set_cli_overrides(struct pl_proxy *p, int mode, bool listen, bool resolvers);

/*
 * Run until SIGTERM/SIGINT (drain: stop accepting, finish in-flight requests for up to
 * server.drain_seconds, then close). Returns 0 on a clean stop, -errno on a fatal error.
 */
int pl_proxy_run(struct pl_proxy *p);

void pl_proxy_free(struct pl_proxy *p);

#endif
