#include "proxy/policy_check.h"

#include <malloc.h>
#include <string.h>

#include "policy/decide.h"
#include "policy/dlp_policy.h"
#include "scan/domain.h"
#include "util/time.h"

static int
parse_list(const char *const *v, size_t n, struct pl_cidr_list *out)
{
    for (size_t i = 0; i < n; i++) {
        struct pl_cidr c;
        if (pl_cidr_parse(pl_str_c(v[i]), false, &c) < 0 || pl_cidr_list_add(out, &c) < 0)
            return -ENOMEM;
    }
    return 0;
}

extern char **environ;

static void
urlscan_cfg(struct pl_policy *p)
{
    const struct pl_config *cfg = p->cfg;
    struct pl_urlscan_cfg *u = &p->us;
    u->strict = cfg->mode == PL_MODE_STRICT;
    u->allowlist = cfg->api_allowlist.v;
    u->n_allowlist = cfg->api_allowlist.n;
    u->blocklist = cfg->fetch_proxy.monitoring.blocklist.v;
    u->n_blocklist = cfg->fetch_proxy.monitoring.blocklist.n;
    u->internal_empty = cfg->internal.n == 0;
    u->core = &p->core;
    u->ssrf_set = &p->ssrf_set;
    u->ip_allowlist = &cfg->ssrf_ip_allowlist;
    u->dlp = p->dlp;
    u->entropy_threshold = cfg->fetch_proxy.monitoring.entropy_threshold;
    u->subdomain_entropy_threshold = cfg->fetch_proxy.monitoring.subdomain_entropy_threshold;
    u->entropy_exclusions = cfg->fetch_proxy.monitoring.subdomain_entropy_exclusions.v;
    u->n_entropy_exclusions = cfg->fetch_proxy.monitoring.subdomain_entropy_exclusions.n;
    u->max_url_length = (size_t)PL_MAX(cfg->fetch_proxy.monitoring.max_url_length, 0);
    u->suppress = p->suppress;
    u->n_suppress = p->suppress ? cfg->suppress.n : 0;
    u->seed_phrase = cfg->seed_phrase_detection.enabled;
    u->seed_min_words = cfg->seed_phrase_detection.min_words;
    u->seed_verify_checksum = cfg->seed_phrase_detection.verify_checksum;
}

int
pl_policy_new(struct pl_config *cfg, struct pl_policy **ret, char **ret_err)
{
    return pl_policy_new_after(cfg, NULL, ret, ret_err);
}

int
pl_policy_new_after(struct pl_config *cfg, struct pl_policy *prev, struct pl_policy **ret,
                    char **ret_err)
{
    *ret_err = NULL;
    struct pl_policy *p = calloc(1, sizeof(*p));
    if (!p)
        goto fail;
    atomic_init(&p->refs, 1);
    p->cfg = cfg;
    p->started_ns = pl_time_mono_ns();
    if (parse_list(pl_ip_core_internal, pl_ip_core_internal_count, &p->core) < 0)
        goto fail;
    if (cfg->internal.n > 0) {
        for (size_t i = 0; i < cfg->internal.n; i++)
            if (pl_cidr_list_add(&p->ssrf_set, &cfg->internal.v[i]) < 0)
                goto fail;
        for (size_t i = 0; i < p->core.n; i++)
            if (pl_cidr_list_add(&p->ssrf_set, &p->core.v[i]) < 0)
                goto fail;
    }
    int r = 0;
    if (prev && pl_policy_dlp_inputs_equal(prev->cfg, cfg)) {
        p->dlp_owner = pl_policy_ref(prev->dlp_owner ? prev->dlp_owner : prev);
        p->dlp = prev->dlp;
        p->dlp_compile_ns = 0;
    } else {
        r = pl_policy_build_dlp(cfg, environ, &p->dlp, &p->dlp_compile_ns, ret_err);
    }
    if (prev)
        p->started_ns = prev->started_ns;
    if (r == 0 && (r = pl_policy_build_inject(cfg, &p->inject, ret_err)) < 0) {
        if (p->dlp_owner)
            pl_policy_unref(p->dlp_owner);
        else
            pl_dlp_db_free(p->dlp);
    }
    /* Compiling the pattern database peaks at several MiB of heap that is free again now:
     * give it back so an idle proxy stays small. */
    malloc_trim(0);
    if (r < 0) {
        pl_cidr_list_done(&p->core);
        pl_cidr_list_done(&p->ssrf_set);
        free(p);
        pl_config_free(cfg);
        return r;
    }
    p->enforcing = pl_decide_enforcing(cfg);
    if (cfg->suppress.n) {
        p->suppress = calloc(cfg->suppress.n, sizeof(*p->suppress));
        for (size_t i = 0; p->suppress && i < cfg->suppress.n; i++)
            p->suppress[i] =
                (struct pl_suppress_rule){cfg->suppress.v[i].rule, cfg->suppress.v[i].path};
    }
    if (!p->dlp_owner) /* a shared database already has these (the inputs are equal) */
        pl_dlp_db_set_seed_phrase(p->dlp, cfg->seed_phrase_detection.enabled,
                                  cfg->seed_phrase_detection.min_words,
                                  cfg->seed_phrase_detection.verify_checksum);
    urlscan_cfg(p);
    *ret = p;
    return 0;
fail:
    if (p) {
        pl_cidr_list_done(&p->core);
        pl_cidr_list_done(&p->ssrf_set);
        free(p);
    }
    pl_config_free(cfg);
    *ret_err = strdup("out of memory building the policy");
    return -ENOMEM;
}

struct pl_policy *
pl_policy_ref(struct pl_policy *p)
{
    if (p)
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

void
pl_policy_unref(struct pl_policy *p)
{
    if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    pl_cidr_list_done(&p->core);
    pl_cidr_list_done(&p->ssrf_set);
    if (p->dlp_owner)
        pl_policy_unref(p->dlp_owner);
    else
        pl_dlp_db_free(p->dlp);
    pl_inject_free(p->inject);
    free(p->suppress);
    pl_config_free(p->cfg);
    free(p);
}

static void block(struct pl_verdict *v, int status, const char *scanner, const char *hint,
                  const char *fmt, ...) PL_PRINTF(5, 6);

#include <stdarg.h>

static void
block(struct pl_verdict *v, int status, const char *scanner, const char *hint, const char *fmt, ...)
{
    va_list ap;
    v->blocked = true;
    v->status = status;
    v->scanner = scanner;
    v->hint = hint;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

static const char HINT_ALLOWLIST[] =
    "Domain not on the allowlist. In strict mode, only allowlisted domains are reachable.";
static const char HINT_BLOCKLIST[] =
    "Domain is on the blocklist. Remove from fetch_proxy.monitoring.blocklist if legitimate.";
static const char HINT_SSRF[] = "SSRF protection blocked this URL. It may resolve to a private IP "
                                "or DNS resolution failed.";
static const char HINT_CORE_SSRF[] = "The core SSRF floor blocks private and loopback IP literals; "
                                     "add the address to ssrf.ip_allowlist if intended.";
static const char HINT_PARSER[] = "The request target could not be parsed as a valid URL.";

static bool
ip_blocked(const struct pl_cidr_list *set, const struct pl_config *cfg, const struct pl_ip *ip)
{
    /* The allowlist also applies to embedded IPv4 (NAT64, 6to4, ...) inside the classifier. */
    return pl_ip_is_internal(ip, set, &cfg->ssrf_ip_allowlist);
}

int
pl_policy_check_host(const struct pl_policy *p, struct pl_str host, bool *ret_is_ip,
                     struct pl_ip *ret_ip, struct pl_verdict *v)
{
    const struct pl_config *cfg = p->cfg;
    struct pl_ip ip;
    memset(v, 0, sizeof(*v));
    *ret_is_ip = false;
    int r = pl_ip_parse_host(host, &ip);
    if (r == -ERANGE || host.len == 0) {
        block(v, 400, "parser", HINT_PARSER, "invalid host");
        return -EINVAL;
    }
    if (r == 0) {
        pl_ip_unmap(&ip);
        *ret_is_ip = true;
        *ret_ip = ip;
    }
    /* Lists match the canonical form of a literal, so "0x7f.1" cannot dodge "127.0.0.1". */
    char canon[PL_IP_STRLEN];
    struct pl_str name = host;
    if (r == 0) {
        size_t n = pl_ip_format(&ip, canon, sizeof(canon));
        name = pl_str_from(canon, n);
    }
    if (cfg->mode == PL_MODE_STRICT &&
        !pl_domain_match_any(name, cfg->api_allowlist.v, cfg->api_allowlist.n)) {
        block(v, 403, "allowlist", HINT_ALLOWLIST, "domain not in allowlist: " PL_STR_FMT,
              PL_STR_ARG(name));
        return 0;
    }
    if (pl_domain_match_any(name, cfg->fetch_proxy.monitoring.blocklist.v,
                            cfg->fetch_proxy.monitoring.blocklist.n)) {
        block(v, 403, "blocklist", HINT_BLOCKLIST, "domain blocked: " PL_STR_FMT, PL_STR_ARG(name));
        return 0;
    }
    if (r == 0) {
        if (cfg->internal.n > 0) {
            if (ip_blocked(&p->ssrf_set, cfg, &ip))
                block(v, 403, "ssrf", HINT_SSRF, "SSRF blocked: %s is an internal IP address",
                      canon);
        } else if (ip_blocked(&p->core, cfg, &ip)) {
            block(v, 403, "core_ssrf", HINT_CORE_SSRF,
                  "SSRF blocked: %s is an internal IP address (core floor)", canon);
        }
    }
    return 0;
}

void
pl_policy_check_resolved(const struct pl_policy *p, struct pl_str host, const struct pl_ip *addrs,
                         size_t n, struct pl_verdict *v)
{
    const struct pl_config *cfg = p->cfg;
    memset(v, 0, sizeof(*v));
    if (cfg->internal.n == 0)
        return;
    if (pl_domain_match_any(host, cfg->trusted_domains.v, cfg->trusted_domains.n))
        return;
    for (size_t i = 0; i < n; i++) {
        if (ip_blocked(&p->ssrf_set, cfg, &addrs[i])) {
            char ip[PL_IP_STRLEN];
            pl_ip_format(&addrs[i], ip, sizeof(ip));
            block(v, 403, "ssrf", HINT_SSRF,
                  "SSRF blocked: " PL_STR_FMT " resolves to internal IP %s", PL_STR_ARG(host), ip);
            return;
        }
    }
}

bool
pl_policy_ip_allowed(const struct pl_policy *p, struct pl_str host, const struct pl_ip *ip)
{
    const struct pl_config *cfg = p->cfg;
    if (cfg->internal.n == 0) {
        /* Hostname SSRF checks are off; the literal floor still applies to literals. */
        struct pl_ip tmp;
        bool literal = pl_ip_parse_host(host, &tmp) == 0;
        return !literal || !ip_blocked(&p->core, cfg, ip);
    }
    if (pl_domain_match_any(host, cfg->trusted_domains.v, cfg->trusted_domains.n))
        return true;
    return !ip_blocked(&p->ssrf_set, cfg, ip);
}
