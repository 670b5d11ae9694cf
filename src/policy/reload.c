/* Restart-only fields and weakenings between two configs (see reload.h). */
#include "policy/reload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

static int add(struct pl_strlist *l, const char *fmt, ...) PL_PRINTF(2, 3);

static int
add(struct pl_strlist *l, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    l->v = nv;
    if (!(l->v[l->n] = strdup(buf)))
        return -ENOMEM;
    l->n++;
    return 0;
}

static void
list_done(struct pl_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void
pl_reload_diff_done(struct pl_reload_diff *d)
{
    list_done(&d->restart);
    list_done(&d->weaker);
}

static bool
str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static bool
in_list(const struct pl_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

/* ---------------------------------------------------------------- restart-only */

struct ctx {
    const struct pl_config *cur;
    struct pl_config *next;
    struct pl_reload_diff *d;
    int err;
};

static void
keep_str(struct ctx *c, const char *name, char *const *cur, char **next)
{
    if (str_eq(*cur, *next))
        return;
    char *v = *cur ? strdup(*cur) : NULL;
    if ((*cur && !v) || add(&c->d->restart, "%s", name) < 0) {
        free(v);
        c->err = -ENOMEM;
        return;
    }
    free(*next);
    *next = v;
}

static void
keep_int(struct ctx *c, const char *name, const int *cur, int *next)
{
    if (*cur == *next)
        return;
    if (add(&c->d->restart, "%s", name) < 0)
        c->err = -ENOMEM;
    *next = *cur;
}

static void
keep_bool(struct ctx *c, const char *name, const bool *cur, bool *next)
{
    if (*cur == *next)
        return;
    if (add(&c->d->restart, "%s", name) < 0)
        c->err = -ENOMEM;
    *next = *cur;
}

static void
keep_list(struct ctx *c, const char *name, const struct pl_strlist *cur, struct pl_strlist *next)
{
    if (pl_strlist_eq(cur, next))
        return;
    struct pl_strlist copy = {calloc(cur->n ? cur->n : 1, sizeof(char *)), 0};
    if (!copy.v) {
        c->err = -ENOMEM;
        return;
    }
    for (; copy.n < cur->n; copy.n++)
        if (!(copy.v[copy.n] = strdup(cur->v[copy.n]))) {
            list_done(&copy);
            c->err = -ENOMEM;
            return;
        }
    if (add(&c->d->restart, "%s", name) < 0) {
        list_done(&copy);
        c->err = -ENOMEM;
        return;
    }
    list_done(next);
    *next = copy;
}

#define KEEP_STR(f)  keep_str(&c, #f, &cur->f, &next->f)
#define KEEP_INT(f)  keep_int(&c, #f, &cur->f, &next->f)
#define KEEP_BOOL(f) keep_bool(&c, #f, &cur->f, &next->f)
#define KEEP_LIST(f) keep_list(&c, #f, &cur->f, &next->f)

/* ---------------------------------------------------------------- weakenings */

static void weaker(struct ctx *c, const char *fmt, ...) PL_PRINTF(2, 3);

static void
weaker(struct ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (add(&c->d->weaker, "%s", buf) < 0)
        c->err = -ENOMEM;
}

static int
mode_rank(enum pl_mode m)
{
    return m == PL_MODE_STRICT ? 3 : m == PL_MODE_BALANCED ? 2 : 1;
}

static void
turned_off(struct ctx *c, const char *name, bool was, bool now)
{
    if (was && !now)
        weaker(c, "%s: true -> false", name);
}

static void
turned_on(struct ctx *c, const char *name, bool was, bool now)
{
    if (!was && now)
        weaker(c, "%s: false -> true", name);
}

/* Entries of next that cur lacks (allowlists: more is weaker). */
static void
added(struct ctx *c, const char *name, const struct pl_strlist *cur, const struct pl_strlist *next)
{
    for (size_t i = 0; i < next->n; i++)
        if (!in_list(cur, next->v[i]))
            weaker(c, "%s: added %s", name, next->v[i]);
}

/* Entries of cur that next lacks (blocklists: fewer is weaker). */
static void
removed(struct ctx *c, const char *name, const struct pl_strlist *cur,
        const struct pl_strlist *next)
{
    for (size_t i = 0; i < cur->n; i++)
        if (!in_list(next, cur->v[i]))
            weaker(c, "%s: removed %s", name, cur->v[i]);
}

static bool
cidr_in(const struct pl_cidr_list *l, const struct pl_cidr *x)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].prefix == x->prefix && !memcmp(&l->v[i].net, &x->net, sizeof(x->net)))
            return true;
    return false;
}

static void
cidr_diff(struct ctx *c, const char *name, const char *verb, const struct pl_cidr_list *a,
          const struct pl_cidr_list *b)
{
    for (size_t i = 0; i < a->n; i++) {
        if (cidr_in(b, &a->v[i]))
            continue;
        char ip[PL_IP_STRLEN];
        pl_ip_format(&a->v[i].net, ip, sizeof(ip));
        weaker(c, "%s: %s %s/%u", name, verb, ip, a->v[i].prefix);
    }
}

/* Larger limit is weaker; 0 means off (weakest) when zero_off. */
static void
raised(struct ctx *c, const char *name, int64_t was, int64_t now, bool zero_off)
{
    if (zero_off && was > 0 && now == 0)
        weaker(c, "%s: %lld -> 0 (off)", name, (long long)was);
    else if (now > was && !(zero_off && was == 0))
        weaker(c, "%s: %lld -> %lld", name, (long long)was, (long long)now);
}

static int
resp_action_rank(const char *a)
{
    /* block stops the response; strip and ask still stop the injected text; warn passes it. */
    return !a || !strcmp(a, "block") ? 3 : !strcmp(a, "warn") ? 0 : 2;
}

static void
weakenings(struct ctx *c)
{
    const struct pl_config *a = c->cur, *b = c->next;
    if (mode_rank(b->mode) < mode_rank(a->mode))
        weaker(c, "mode: %s -> %s", pl_mode_name(a->mode), pl_mode_name(b->mode));
    turned_off(c, "enforce", a->enforce, b->enforce);
    /* api_allowlist is the allowlist of strict mode and nothing else. */
    if (a->mode == PL_MODE_STRICT && b->mode == PL_MODE_STRICT)
        added(c, "api_allowlist", &a->api_allowlist, &b->api_allowlist);
    added(c, "trusted_domains", &a->trusted_domains, &b->trusted_domains);
    cidr_diff(c, "internal", "removed", &a->internal, &b->internal);
    cidr_diff(c, "ssrf.ip_allowlist", "added", &b->ssrf_ip_allowlist, &a->ssrf_ip_allowlist);
    for (size_t i = 0; i < b->suppress.n; i++) {
        bool found = false;
        for (size_t j = 0; j < a->suppress.n && !found; j++)
            found = !strcmp(a->suppress.v[j].rule, b->suppress.v[i].rule) &&
                    !strcmp(a->suppress.v[j].path, b->suppress.v[i].path);
        if (!found)
            weaker(c, "suppress: added %s for %s", b->suppress.v[i].rule, b->suppress.v[i].path);
    }

    const typeof(a->fetch_proxy.monitoring) *ma = &a->fetch_proxy.monitoring,
                                            *mb = &b->fetch_proxy.monitoring;
    removed(c, "fetch_proxy.monitoring.blocklist", &ma->blocklist, &mb->blocklist);
    added(c, "fetch_proxy.monitoring.subdomain_entropy_exclusions",
          &ma->subdomain_entropy_exclusions, &mb->subdomain_entropy_exclusions);
    raised(c, "fetch_proxy.monitoring.max_url_length", ma->max_url_length, mb->max_url_length,
           false);
    if (mb->entropy_threshold > ma->entropy_threshold)
        weaker(c, "fetch_proxy.monitoring.entropy_threshold: %g -> %g", ma->entropy_threshold,
               mb->entropy_threshold);
    if (mb->subdomain_entropy_threshold > ma->subdomain_entropy_threshold)
        weaker(c, "fetch_proxy.monitoring.subdomain_entropy_threshold: %g -> %g",
               ma->subdomain_entropy_threshold, mb->subdomain_entropy_threshold);
    raised(c, "fetch_proxy.monitoring.max_requests_per_minute", ma->max_requests_per_minute,
           mb->max_requests_per_minute, true);
    raised(c, "fetch_proxy.monitoring.max_data_per_minute", ma->max_data_per_minute,
           mb->max_data_per_minute, true);

    turned_on(c, "forward_proxy.enabled", a->forward_proxy.enabled, b->forward_proxy.enabled);
    turned_off(c, "forward_proxy.sni_verification", a->forward_proxy.sni_verification,
               b->forward_proxy.sni_verification);
    turned_on(c, "websocket_proxy.enabled", a->websocket_proxy.enabled, b->websocket_proxy.enabled);

    turned_off(c, "request_body_scanning.enabled", a->request_body_scanning.enabled,
               b->request_body_scanning.enabled);
    if (a->request_body_scanning.enabled && b->request_body_scanning.enabled &&
        str_eq(a->request_body_scanning.action, "block") &&
        !str_eq(b->request_body_scanning.action, "block"))
        weaker(c, "request_body_scanning.action: block -> %s", b->request_body_scanning.action);
    turned_off(c, "request_body_scanning.scan_headers", a->request_body_scanning.scan_headers,
               b->request_body_scanning.scan_headers);
    if (str_eq(a->request_body_scanning.header_mode, "all") &&
        !str_eq(b->request_body_scanning.header_mode, "all"))
        weaker(c, "request_body_scanning.header_mode: all -> %s",
               b->request_body_scanning.header_mode);

    const typeof(a->response_scanning) *ra = &a->response_scanning, *rb = &b->response_scanning;
    turned_off(c, "response_scanning.enabled", ra->enabled, rb->enabled);
    if (ra->enabled && rb->enabled && resp_action_rank(rb->action) < resp_action_rank(ra->action))
        weaker(c, "response_scanning.action: %s -> %s", ra->action, rb->action);
    turned_off(c, "response_scanning.include_defaults", ra->include_defaults, rb->include_defaults);
    added(c, "response_scanning.exempt_domains", &ra->exempt_domains, &rb->exempt_domains);
    turned_off(c, "response_scanning.sse_streaming.enabled", ra->sse_streaming.enabled,
               rb->sse_streaming.enabled);
    if (!str_eq(ra->sse_streaming.action, "warn") && str_eq(rb->sse_streaming.action, "warn"))
        weaker(c, "response_scanning.sse_streaming.action: %s -> warn", ra->sse_streaming.action);
    for (size_t i = 0; i < ra->patterns.n; i++) {
        bool found = false;
        for (size_t j = 0; j < rb->patterns.n && !found; j++)
            found = !strcmp(ra->patterns.v[i].name, rb->patterns.v[j].name);
        if (!found)
            weaker(c, "response_scanning.patterns: removed %s", ra->patterns.v[i].name);
    }

    turned_off(c, "dlp.include_defaults", a->dlp.include_defaults, b->dlp.include_defaults);
    turned_off(c, "dlp.scan_env", a->dlp.scan_env, b->dlp.scan_env);
    if (a->dlp.secrets_file && *a->dlp.secrets_file &&
        !str_eq(a->dlp.secrets_file, b->dlp.secrets_file))
        weaker(c, "dlp.secrets_file: %s -> %s", a->dlp.secrets_file,
               b->dlp.secrets_file && *b->dlp.secrets_file ? b->dlp.secrets_file : "(none)");
    for (size_t i = 0; i < a->dlp.patterns.n; i++) {
        const struct pl_config_dlp_pattern *p = &a->dlp.patterns.v[i];
        const struct pl_config_dlp_pattern *q = NULL;
        for (size_t j = 0; j < b->dlp.patterns.n && !q; j++)
            if (!strcmp(p->name, b->dlp.patterns.v[j].name))
                q = &b->dlp.patterns.v[j];
        if (!q)
            weaker(c, "dlp.patterns: removed %s", p->name);
        else if (!str_eq(p->action, "warn") && str_eq(q->action, "warn"))
            weaker(c, "dlp.patterns: %s now only warns", p->name);
        else if (q)
            added(c, "dlp.patterns exempt_domains", &p->exempt_domains, &q->exempt_domains);
    }
    turned_off(c, "canary_tokens.enabled", a->canary_tokens.enabled, b->canary_tokens.enabled);
    for (size_t i = 0; a->canary_tokens.enabled && i < a->canary_tokens.tokens.n; i++) {
        bool found = false;
        for (size_t j = 0; j < b->canary_tokens.tokens.n && !found; j++)
            found = !strcmp(a->canary_tokens.tokens.v[i].name, b->canary_tokens.tokens.v[j].name);
        if (!found)
            weaker(c, "canary_tokens.tokens: removed %s", a->canary_tokens.tokens.v[i].name);
    }
    turned_off(c, "seed_phrase_detection.enabled", a->seed_phrase_detection.enabled,
               b->seed_phrase_detection.enabled);
    turned_off(c, "seed_phrase_detection.verify_checksum", a->seed_phrase_detection.verify_checksum,
               b->seed_phrase_detection.verify_checksum);
    raised(c, "seed_phrase_detection.min_words", a->seed_phrase_detection.min_words,
           b->seed_phrase_detection.min_words, false);

    turned_off(c, "kill_switch.enabled", a->kill_switch.enabled, b->kill_switch.enabled);
    if (a->kill_switch.sentinel_file && *a->kill_switch.sentinel_file &&
        !str_eq(a->kill_switch.sentinel_file, b->kill_switch.sentinel_file))
        weaker(c, "kill_switch.sentinel_file: %s -> %s", a->kill_switch.sentinel_file,
               b->kill_switch.sentinel_file && *b->kill_switch.sentinel_file
                   ? b->kill_switch.sentinel_file
                   : "(none)");
    turned_on(c, "kill_switch.health_exempt", a->kill_switch.health_exempt,
              b->kill_switch.health_exempt);
    turned_on(c, "kill_switch.metrics_exempt", a->kill_switch.metrics_exempt,
              b->kill_switch.metrics_exempt);
    turned_on(c, "kill_switch.api_exempt", a->kill_switch.api_exempt, b->kill_switch.api_exempt);
    cidr_diff(c, "kill_switch.allowlist_ips", "added", &b->kill_switch.allowlist_ips,
              &a->kill_switch.allowlist_ips);

    if (a->emit.webhook.url && *a->emit.webhook.url &&
        !(b->emit.webhook.url && *b->emit.webhook.url))
        weaker(c, "emit.webhook.url: removed");
    if (a->emit.syslog.address && *a->emit.syslog.address &&
        !(b->emit.syslog.address && *b->emit.syslog.address))
        weaker(c, "emit.syslog.address: removed");
    turned_off(c, "proxy_auth.required", a->proxy_auth.required, b->proxy_auth.required);
    turned_off(c, "bind_default_agent_identity", a->bind_default_agent_identity,
               b->bind_default_agent_identity);
}

int
pl_reload_diff(const struct pl_config *cur, struct pl_config *next, unsigned cli_fixed,
               struct pl_reload_diff *ret)
{
    memset(ret, 0, sizeof(*ret));
    struct ctx c = {cur, next, ret, 0};
    /* What the command line set is not the file's to change: keep it without a word. */
    struct pl_reload_diff quiet = {0};
    struct ctx q = {cur, next, &quiet, 0};
    if (cli_fixed & PL_RELOAD_CLI_LISTEN)
        keep_str(&q, "fetch_proxy.listen", &cur->fetch_proxy.listen, &next->fetch_proxy.listen);
    if (cli_fixed & PL_RELOAD_CLI_RESOLVERS)
        keep_list(&q, "dns.resolvers", &cur->dns.resolvers, &next->dns.resolvers);
    pl_reload_diff_done(&quiet);
    if (q.err < 0)
        return q.err;
    /* Sockets, threads and per-worker state made at start-up. */
    KEEP_STR(fetch_proxy.listen);
    KEEP_STR(metrics_listen);
    KEEP_STR(kill_switch.api_listen);
    KEEP_INT(server.workers);
    KEEP_INT(server.max_request_line);
    KEEP_INT(server.max_header_bytes);
    KEEP_INT(server.max_headers);
    KEEP_LIST(dns.resolvers);
    KEEP_INT(dns.timeout_ms);
    KEEP_INT(dns.attempts);
    KEEP_STR(logging.format);
    keep_int(&c, "logging.output", (const int *)&cur->logging.output, (int *)&next->logging.output);
    KEEP_STR(logging.file);
    KEEP_BOOL(logging.include_allowed);
    KEEP_BOOL(logging.include_blocked);
    if (c.err == 0)
        weakenings(&c);
    if (c.err < 0)
        pl_reload_diff_done(ret);
    return c.err;
}
