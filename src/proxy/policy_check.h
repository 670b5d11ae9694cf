/*
 * The policy snapshot used by in-flight requests, and the host checks the proxy applies before
 * and after DNS (strict-mode allowlist, blocklist, SSRF on literals and on resolved addresses).
 */
#ifndef PL_PROXY_POLICY_CHECK_H
#define PL_PROXY_POLICY_CHECK_H

#include <stdatomic.h>

#include "policy/config.h"
#include "scan/dlp.h"
#include "scan/ip.h"
#include "scan/urlscan.h"

struct pl_policy {
    atomic_int refs;
    struct pl_config *cfg;        /* owned */
    struct pl_cidr_list core;     /* owned: the core SSRF floor, always applied to literals */
    struct pl_cidr_list ssrf_set; /* owned: cfg->internal ∪ core (empty if internal is []) */
    uint64_t started_ns;          /* process start, for /health uptime */
    struct pl_dlp_db *dlp;        /* every DLP pattern and literal secret: owned, or dlp_owner's */
    struct pl_policy *dlp_owner;  /* ref: the policy whose database this one shares, or NULL */
    uint64_t dlp_compile_ns;
    struct pl_inject_db *inject;       /* owned: response (prompt-injection) patterns */
    struct pl_urlscan_cfg us;          /* the URL pipeline's view of this policy (borrows) */
    struct pl_suppress_rule *suppress; /* owned array; strings borrowed from cfg */
    bool enforcing;                    /* enforce: true and mode is not audit */
};

/*
 * Build a snapshot that takes ownership of cfg (freed on failure too): SSRF sets, the
 * compiled DLP database (with the process environment's secrets when dlp.scan_env), the URL
 * pipeline settings. Returns 0, or -EINVAL/-ENOMEM/-errno with a malloc'd *ret_err.
 */
int pl_policy_new(struct pl_config *cfg, struct pl_policy **ret, char **ret_err);
/*
 * The same for a reload: when cfg's DLP inputs equal prev's, the new snapshot shares prev's
 * compiled database (the expensive part) instead of compiling it again. The process start
 * time carries over. prev may be NULL.
 */
int pl_policy_new_after(struct pl_config *cfg, struct pl_policy *prev, struct pl_policy **ret,
                        char **ret_err);
struct pl_policy *pl_policy_ref(struct pl_policy *p);
void pl_policy_unref(struct pl_policy *p);

struct pl_verdict {
    bool blocked;
    int status;          /* HTTP status for a block: 403, or 400 for an invalid host */
    const char *scanner; /* reference scanner name: allowlist, blocklist, ssrf, core_ssrf, parser */
    char reason[256];
    const char *hint; /* explain_blocks hint (static), may be NULL */
};

/*
 * Checks that need no DNS, in the reference order: strict allowlist, blocklist, then for IP
 * literals (every notation; canonicalised into *ret_ip) the SSRF check (config internal ∪
 * core, or the core floor alone when internal is []). host must already be lower-cased
 * without a trailing dot. *ret_is_ip tells whether host was a literal. A verdict is not an
 * error: the return value is 0 always except -EINVAL for an unusable host, which also fills v.
 */
int pl_policy_check_host(const struct pl_policy *p, struct pl_str host, bool *ret_is_ip,
                         struct pl_ip *ret_ip, struct pl_verdict *v);

/*
 * After DNS: block if any resolved address is internal (and not in ssrf.ip_allowlist), unless
 * host is in trusted_domains. Checking every address (not only the one dialled) means a name
 * that mixes public and internal answers is refused outright.
 */
void pl_policy_check_resolved(const struct pl_policy *p, struct pl_str host,
                              const struct pl_ip *addrs, size_t n, struct pl_verdict *v);

/* True when ip may be dialled under p (used again when reusing a pooled connection). */
bool pl_policy_ip_allowed(const struct pl_policy *p, struct pl_str host, const struct pl_ip *ip);

#endif
