/* Kill-switch state and its checks (see killswitch.h). */
#include "policy/killswitch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *
pl_ks_source_name(enum pl_ks_source s)
{
    switch (s) {
    case PL_KS_CONFIG:
        return "config";
    case PL_KS_API:
        return "api";
    case PL_KS_SIGNAL:
        return "signal";
    case PL_KS_SENTINEL:
        return "sentinel";
    default:
        return "";
    }
}

bool
pl_ks_sentinel_present(const char *path)
{
    struct stat st;
    if (!path || !*path)
        return false;
    if (stat(path, &st) == 0)
        return true;
    return errno != ENOENT && errno != ENOTDIR;
}

enum pl_ks_source
pl_ks_active(const struct pl_killswitch *ks, const struct pl_config *cfg)
{
    if (cfg->kill_switch.enabled)
        return PL_KS_CONFIG;
    if (atomic_load_explicit(&ks->api, memory_order_relaxed))
        return PL_KS_API;
    if (atomic_load_explicit(&ks->signal, memory_order_relaxed))
        return PL_KS_SIGNAL;
    if (pl_ks_sentinel_present(cfg->kill_switch.sentinel_file))
        return PL_KS_SENTINEL;
    return PL_KS_NONE;
}

void
pl_ks_sources(const struct pl_killswitch *ks, const struct pl_config *cfg, bool out[5])
{
    out[PL_KS_NONE] = false;
    out[PL_KS_CONFIG] = cfg->kill_switch.enabled;
    out[PL_KS_API] = atomic_load(&ks->api);
    out[PL_KS_SIGNAL] = atomic_load(&ks->signal);
    out[PL_KS_SENTINEL] = pl_ks_sentinel_present(cfg->kill_switch.sentinel_file);
}

const char *
pl_ks_api_token(const struct pl_config *cfg)
{
    const char *env = getenv("PIPELOCK_KILLSWITCH_API_TOKEN");
    if (env && *env)
        return env;
    return cfg->kill_switch.api_token ? cfg->kill_switch.api_token : "";
}

bool
pl_ks_token_equal(const char *want, const char *got, size_t got_len)
{
    size_t n = strlen(want);
    volatile unsigned char d = (unsigned char)(n != got_len);
    /* Always walk the configured token's length, whatever was presented. */
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)want[i] ^ (unsigned char)(i < got_len ? got[i] : 0);
    return n > 0 && d == 0;
}

bool
pl_ks_is_api_path(struct pl_str path)
{
    return pl_str_eq(path, PL_STR("/api/v1/killswitch")) ||
           pl_str_eq(path, PL_STR("/api/v1/killswitch/status"));
}

bool
pl_ks_exempt(const struct pl_config *cfg, const struct pl_ip *client, struct pl_str path)
{
    if (client && pl_cidr_list_contains(&cfg->kill_switch.allowlist_ips, client))
        return true;
    if (!path.p)
        return false;
    if (cfg->kill_switch.health_exempt && pl_str_eq(path, PL_STR("/health")))
        return true;
    if (cfg->kill_switch.metrics_exempt && pl_str_eq(path, PL_STR("/metrics")))
        return true;
    bool api_here = !cfg->kill_switch.api_listen || !*cfg->kill_switch.api_listen;
    return cfg->kill_switch.api_exempt && api_here && pl_ks_is_api_path(path);
}
