/*
 * Kill switch: four independent sources, OR-composed (reference §8.1). Any active source denies
 * everything but the documented exemptions. config and sentinel follow the policy (re-read on
 * reload); api and signal live here and survive reloads.
 *
 * Thread-safe: the api and signal states are atomics; the sentinel is a stat() of a path.
 */
#ifndef PL_POLICY_KILLSWITCH_H
#define PL_POLICY_KILLSWITCH_H

#include <stdatomic.h>

#include "policy/config.h"

enum pl_ks_source {
    PL_KS_NONE = 0,
    PL_KS_CONFIG,
    PL_KS_API,
    PL_KS_SIGNAL,
    PL_KS_SENTINEL,
};

struct pl_killswitch {
    atomic_bool api;
    atomic_bool signal;
};

/* "config", "api", "signal", "sentinel", or "" for PL_KS_NONE. */
const char *pl_ks_source_name(enum pl_ks_source s);

/*
 * True when the sentinel file at path is present. Any stat() error other than ENOENT / ENOTDIR
 * counts as present (fail closed, as the reference). An empty or NULL path is never present.
 */
bool pl_ks_sentinel_present(const char *path);

/*
 * The source that makes the kill switch active, by the reference's precedence (config > api >
 * signal > sentinel), or PL_KS_NONE. Stats the sentinel when one is configured.
 */
enum pl_ks_source pl_ks_active(const struct pl_killswitch *ks, const struct pl_config *cfg);

/* Each source's state, for the status endpoint and the metric (indexed by enum pl_ks_source). */
void pl_ks_sources(const struct pl_killswitch *ks, const struct pl_config *cfg, bool out[5]);

/*
 * The API token in force: PIPELOCK_KILLSWITCH_API_TOKEN when set and non-empty, else
 * kill_switch.api_token; "" when neither.
 */
const char *pl_ks_api_token(const struct pl_config *cfg);

/*
 * Whether a request the kill switch would deny is exempt: a client in allowlist_ips, or, for
 * origin-form requests (path without its query; NULL otherwise), /health (health_exempt),
 * /metrics (metrics_exempt) and the API paths (api_exempt, only while no api_listen).
 */
bool pl_ks_exempt(const struct pl_config *cfg, const struct pl_ip *client, struct pl_str path);

/* The kill-switch API paths. */
bool pl_ks_is_api_path(struct pl_str path);

/* Constant-time comparison of a presented token with the configured one (length leaks only). */
bool pl_ks_token_equal(const char *want, const char *got, size_t got_len);

#endif
