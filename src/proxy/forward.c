/*
 * Forward proxy for absolute-form requests: host checks, DNS with SSRF pinning, upstream
 * connection pool, request/response head rewriting and streaming bodies with backpressure.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy_int.h"

#include "policy/decide.h"
#include "scan/basedomain.h"
#include "util/log.h"
#include "util/time.h"

static void up_read_cb(struct pl_conn *bev, void *arg);
static void up_write_cb(struct pl_conn *bev, void *arg);
static void up_event_cb(struct pl_conn *bev, short what, void *arg);
static void start_exchange(struct pl_req *r);
static void dial_next(struct pl_req *r);

/* ---------------------------------------------------------------- pool */

static unsigned
key_hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % PL_POOL_BUCKETS;
}

static void
pool_unlink(struct pl_upstream *u)
{
    struct pl_pool *p = &u->w->pool;
    if (!u->pooled)
        return;
    if (u->pprev)
        u->pprev->pnext = u->pnext;
    else
        p->buckets[u->bucket] = u->pnext;
    if (u->pnext)
        u->pnext->pprev = u->pprev;
    u->pnext = u->pprev = NULL;
    u->pooled = false;
    p->idle--;
}

void
pl_upstream_free(struct pl_upstream *u)
{
    if (!u)
        return;
    pool_unlink(u);
    if (u->bev)
        pl_conn_free(u->bev);
    free(u);
}

void
pl_pool_done(struct pl_pool *p)
{
    for (size_t i = 0; i < PL_POOL_BUCKETS; i++)
        while (p->buckets[i])
            pl_upstream_free(p->buckets[i]);
}

static void
pool_put(struct pl_upstream *u)
{
    struct pl_wctx *w = u->w;
    const struct pl_config *cfg = w->pol->cfg;
    size_t same = 0;
    unsigned b = key_hash(u->key);
    for (struct pl_upstream *x = w->pool.buckets[b]; x; x = x->pnext)
        if (strcmp(x->key, u->key) == 0)
            same++;
    if (w->draining || same >= (size_t)cfg->server.upstream_pool_per_host) {
        pl_upstream_free(u);
        return;
    }
    u->req = NULL;
    u->bucket = b;
    u->pprev = NULL;
    u->pnext = w->pool.buckets[b];
    if (u->pnext)
        u->pnext->pprev = u;
    w->pool.buckets[b] = u;
    u->pooled = true;
    w->pool.idle++;
    /* While idle, any byte or EOF from the server means the connection is unusable. */
    pl_conn_set_timeouts(u->bev, cfg->server.upstream_idle_seconds, 0);
    pl_conn_enable_read(u->bev);
}

static struct pl_upstream *
pool_get(struct pl_wctx *w, const char *key, const struct pl_policy *pol, struct pl_str host)
{
    unsigned b = key_hash(key);
    for (struct pl_upstream *u = w->pool.buckets[b]; u; u = u->pnext) {
        if (strcmp(u->key, key) != 0)
            continue;
        pool_unlink(u);
        /* The address was checked when dialled; check it against the current policy too. */
        if (!pl_policy_ip_allowed(pol, host, &u->ip)) {
            pl_upstream_free(u);
            return NULL;
        }
        return u;
    }
    return NULL;
}

/* ---------------------------------------------------------------- request lifecycle */

#define REQ_FREE_MAX 256

struct pl_req *
pl_req_alloc(struct pl_wctx *w)
{
    struct pl_req *r = w->free_reqs;
    struct pl_h1_response *resp = NULL;
    if (r) {
        w->free_reqs = r->next_free;
        w->n_free_reqs--;
        resp = r->resp;
    } else {
        r = malloc(sizeof(*r));
        if (!r)
            return NULL;
    }
    /* The parsed head (several KiB) is always fully written by the parser: zero the rest. */
    memset(r, 0, offsetof(struct pl_req, resp));
    r->resp = resp;
    return r;
}

void
pl_req_pool_done(struct pl_wctx *w)
{
    while (w->free_reqs) {
        struct pl_req *r = w->free_reqs;
        w->free_reqs = r->next_free;
        free(r->resp);
        free(r);
    }
    w->n_free_reqs = 0;
    if (w->spare) {
        free(w->spare->resp);
        free(w->spare);
        w->spare = NULL;
    }
}

void
pl_req_free(struct pl_req *r)
{
    if (!r)
        return;
    if (r->dns) {
        struct evdns_getaddrinfo_request *d = r->dns;
        r->dns = NULL;
        pl_dns_cancel(d);
    }
    if (r->up) {
        pl_upstream_free(r->up);
        r->up = NULL;
    }
    if (r->timer)
        event_free(r->timer);
    if (r->body)
        evbuffer_free(r->body);
    pl_resp_free(r->rs);
    r->rs = NULL;
    pl_fetch_free(r);
    if (r->kind == PL_REQ_CONNECT && r->state == PL_REQ_TUNNEL)
        atomic_fetch_sub(&r->c->w->proxy->n_tunnels, 1);
    pl_policy_unref(r->pol);
    free(r->head);
    struct pl_wctx *w = r->c->w;
    if (w->n_free_reqs < REQ_FREE_MAX) {
        r->next_free = w->free_reqs;
        w->free_reqs = r;
        w->n_free_reqs++;
    } else {
        free(r->resp);
        free(r);
    }
}

static void
log_target(struct pl_req *r, struct pl_json *j)
{
    if (r->kind == PL_REQ_CONNECT) {
        pl_json_str(j, "target", r->h.target);
    } else if (r->redact_url) {
        char red[300];
        pl_audit_redact_url(pl_req_target(r), red, sizeof(red));
        pl_json_cstr(j, "url", red);
    } else {
        pl_json_str(j, "url", pl_req_target(r));
    }
}

static void
common_fields(struct pl_req *r, struct pl_json *j)
{
    pl_json_str(j, "method", r->h.method);
    log_target(r, j);
    pl_json_cstr(j, "client_ip", r->c->peer);
    pl_json_cstr(j, "request_id", r->id);
    pl_json_cstr(j, "agent", r->agent);
}

void
pl_req_count_block(struct pl_req *r, const char *scanner)
{
    pl_metric_labelled_inc(PL_ML_SCANNER_HITS, scanner, r->agent);
    pl_metric_agent_inc(r->kind == PL_REQ_CONNECT ? PL_MC_TUN_BLOCKED : PL_MC_REQ_BLOCKED,
                        r->agent);
    if (r->host[0]) {
        struct pl_str bd = r->host_is_ip ? pl_str_c(r->host) : pl_base_domain(pl_str_c(r->host));
        char d[PL_HOST_MAX];
        snprintf(d, sizeof(d), PL_STR_FMT, (int)bd.len, bd.p);
        pl_metric_blocked_domain(d);
    }
}

void
pl_req_block(struct pl_req *r, const struct pl_verdict *v)
{
    struct pl_client *c = r->c;
    struct pl_audit *audit = c->w->proxy->audit;
    struct pl_audit_event ev;
    struct pl_verdict hop;
    if (r->kind == PL_REQ_FETCH && r->redirects > 0) {
        /* A redirect hop failed the pipeline: say so (the reference's prefix). */
        hop = *v;
        snprintf(hop.reason, sizeof(hop.reason), "redirect blocked: %.*s",
                 (int)sizeof(hop.reason) - 20, v->reason);
        v = &hop;
    }
    if (pl_audit_content_scanner(v->scanner))
        r->redact_url = true; /* the URL, or what it fetched, carried the finding */
    pl_audit_begin(audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_BLOCKED, "blocked", "request blocked");
    if (ev.active) {
        common_fields(r, &ev.j);
        pl_json_cstr(&ev.j, "scanner", v->scanner);
        pl_json_cstr(&ev.j, "reason", v->reason);
        const char *t = pl_audit_mitre(v->scanner);
        if (t)
            pl_json_cstr(&ev.j, "mitre_technique", t);
    }
    pl_audit_emit(audit, &ev);
    pl_req_count_block(r, v->scanner);
    if (r->kind == PL_REQ_FETCH) {
        pl_fetch_reply_block(r, v);
        return;
    }

    char body[400];
    char hint[300] = "";
    int n = snprintf(body, sizeof(body), "%s: %s\n",
                     r->kind == PL_REQ_CONNECT ? "CONNECT blocked" : "blocked", v->reason);
    if (r->pol->cfg->explain_blocks && v->hint)
        snprintf(hint, sizeof(hint), "X-Pipelock-Hint: %s\r\n", v->hint);
    pl_client_respond(c, v->status ? v->status : 403, "text/plain; charset=utf-8",
                      hint[0] ? hint : NULL, body, (size_t)PL_MIN(n, (int)sizeof(body) - 1),
                      r->kind == PL_REQ_CONNECT || !r->req_body_done);
}

void
pl_req_block_text(struct pl_req *r, int status, const char *scanner, const char *reason)
{
    struct pl_verdict v = {
        .blocked = true, .status = status, .scanner = scanner, .hint = pl_urlscan_hint(scanner)};
    snprintf(v.reason, sizeof(v.reason), "%s", reason);
    pl_req_block(r, &v);
}

void
pl_req_audit_fields(struct pl_req *r, struct pl_json *j)
{
    common_fields(r, j);
}

static void
fail_request(struct pl_req *r, int status, const char *text)
{
    struct pl_client *c = r->c;
    struct pl_audit *audit = c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_ERROR, PL_AUDIT_KIND_OTHER, "error", "request error");
    if (ev.active) {
        common_fields(r, &ev.j);
        pl_json_cstr(&ev.j, "error", text);
        pl_json_int(&ev.j, "status_code", status);
    }
    pl_audit_emit(audit, &ev);
    if (r->kind == PL_REQ_FETCH) {
        pl_fetch_reply_error(r, status, text);
        return;
    }
    if (r->resp_head_sent) {
        /* Part of the response is already with the client: all we can do is cut it short. */
        c->close_after = true;
        r->req_body_done = false;
        pl_client_request_done(c);
        return;
    }
    char body[300];
    int n = snprintf(body, sizeof(body), "%s\n", text);
    pl_client_respond(c, status, "text/plain; charset=utf-8", NULL, body,
                      (size_t)PL_MIN(n, (int)sizeof(body) - 1), !r->req_body_done);
}

/* ---------------------------------------------------------------- resolve + dial */

static bool post_dns_checks(struct pl_req *r);
static void run_scans(struct pl_req *r);

static void
dns_finish(struct pl_req *r, int err)
{
    struct pl_verdict v;
    if (err < 0 || r->n_addrs == 0) {
        memset(&v, 0, sizeof(v));
        v.blocked = true;
        v.status = 403;
        v.scanner = "ssrf";
        v.hint = "SSRF protection blocked this URL. It may resolve to a private IP or DNS "
                 "resolution failed.";
        snprintf(v.reason, sizeof(v.reason), "DNS resolution failed for %.200s: %s", r->host,
                 err == -ETIMEDOUT ? "timeout"
                 : err == -ENOENT  ? "no such host"
                                   : "error");
        pl_req_block(r, &v);
        return;
    }
    pl_policy_check_resolved(r->pol, pl_str_c(r->host), r->addrs, r->n_addrs, &v);
    if (v.blocked) {
        pl_req_block(r, &v);
        return;
    }
    if (!r->scanned && post_dns_checks(r))
        return;
    run_scans(r);
}

static void
dns_cb(int err, const struct pl_ip *addrs, size_t n, void *arg)
{
    struct pl_req *r = arg;
    if (err == -ECANCELED)
        return; /* the request is being freed */
    r->dns = NULL;
    r->n_addrs = PL_MIN(n, (size_t)PL_DNS_MAX_ADDRS);
    if (addrs)
        memcpy(r->addrs, addrs, r->n_addrs * sizeof(*addrs));
    r->dns_err = err;
    r->dns_done = true;
    if (!r->dns_sync)
        dns_finish(r, err);
}

/* The URL the pipeline sees: the request target, or https://host/ for CONNECT. */
static struct pl_str
scan_url(struct pl_req *r, char *buf, size_t size, struct pl_urlscan_url *u)
{
    memset(u, 0, sizeof(*u));
    if (r->kind == PL_REQ_CONNECT) {
        bool v6 = strchr(r->host, ':') != NULL;
        int n = snprintf(buf, size, "https://%s%s%s/", v6 ? "[" : "", r->host, v6 ? "]" : "");
        u->raw = pl_str_from(buf, (size_t)PL_MIN(n, (int)size - 1));
        u->scheme = PL_STR("https");
        u->host = pl_str_c(r->host);
        u->path = PL_STR("/");
    } else {
        u->raw = pl_req_target(r);
        u->scheme = r->url.scheme;
        u->host = r->url.host;
        u->path = r->url.path;
        u->query = r->url.query;
    }
    return u->raw;
}

static void
emit_dlp_warns(struct pl_req *r, const struct pl_urlscan_verdict *v)
{
    const struct pl_dlp_db *db = r->pol->dlp;
    for (size_t i = 0; i < v->dlp.n; i++) {
        const struct pl_dlp_finding *f = &v->dlp.f[i];
        if (!pl_dlp_db_is_warn(db, f->pattern))
            continue;
        struct pl_audit *audit = r->c->w->proxy->audit;
        struct pl_audit_event ev;
        pl_audit_begin(audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_OTHER, "dlp_warn",
                       "DLP warn-mode pattern matched");
        if (ev.active) {
            bool was = r->redact_url;
            r->redact_url = true;
            common_fields(r, &ev.j);
            r->redact_url = was;
            pl_json_cstr(&ev.j, "pattern", pl_dlp_db_name(db, f->pattern));
            pl_json_cstr(&ev.j, "severity", pl_severity_name(pl_dlp_db_severity(db, f->pattern)));
            pl_json_cstr(&ev.j, "encoding", pl_dlp_view_name((enum pl_dlp_view)f->view));
        }
        pl_audit_emit(audit, &ev);
        pl_metric_labelled_inc(PL_ML_DLP_WARN, pl_dlp_db_name(db, f->pattern),
                               r->kind == PL_REQ_CONNECT ? "connect"
                               : r->kind == PL_REQ_FETCH ? "fetch"
                                                         : "forward");
    }
}

/*
 * Act on a URL-pipeline verdict. Returns true when the request was answered (blocked). When
 * the policy does not enforce (enforce: false, or mode: audit), a block is logged as an
 * anomaly and the request goes on; SSRF decisions are kept even then, as the reference keeps
 * them at dial time.
 */
static bool
apply_url_verdict(struct pl_req *r, const struct pl_urlscan_verdict *uv)
{
    if (!uv->blocked)
        return false;
    if (uv->dlp_blocked)
        r->redact_url = true;
    if (pl_decide_url(r->pol->cfg, uv->scanner) == PL_DECIDE_WARN) {
        struct pl_audit *audit = r->c->w->proxy->audit;
        struct pl_audit_event ev;
        pl_audit_begin(audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_OTHER, "anomaly",
                       "would block (not enforcing)");
        if (ev.active) {
            common_fields(r, &ev.j);
            pl_json_cstr(&ev.j, "scanner", uv->scanner);
            pl_json_cstr(&ev.j, "reason", uv->reason);
            pl_json_double(&ev.j, "score", uv->score, 2);
        }
        pl_audit_emit(audit, &ev);
        return false;
    }
    struct pl_verdict v = {.blocked = true,
                           .status = uv->status ? uv->status : 403,
                           .scanner = uv->scanner,
                           .hint = uv->hint};
    snprintf(v.reason, sizeof(v.reason), "%s", uv->reason);
    pl_req_block(r, &v);
    return true;
}

/* The checks after DNS (reference order): rate limit, URL length, data budget. */
static bool
post_dns_checks(struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    struct pl_proxy *px = r->c->w->proxy;
    struct pl_urlscan_verdict v;
    memset(&v, 0, sizeof(v));
    char buf[PL_HOST_MAX + 16];
    struct pl_urlscan_url u;
    struct pl_str raw = scan_url(r, buf, sizeof(buf), &u);
    struct pl_str base = pl_base_domain(pl_str_c(r->host));
    char key[PL_HOST_MAX + 4];
    int64_t now = (int64_t)(pl_time_mono_ns() / 1000000000u);
    int rpm = cfg->fetch_proxy.monitoring.max_requests_per_minute;
    if (rpm > 0) {
        snprintf(key, sizeof(key), "r:%.*s", (int)base.len, base.p);
        if (!pl_ratelimit_check_and_record(px->rl, pl_str_c(key), now, 60, (uint64_t)rpm))
            pl_urlscan_block(&v, "ratelimit", 429, 0.7, "rate limit exceeded for %.*s",
                             (int)base.len, base.p);
    }
    if (!v.blocked)
        pl_urlscan_length(&r->pol->us, raw, &v);
    int64_t budget = cfg->fetch_proxy.monitoring.max_data_per_minute;
    if (!v.blocked && budget > 0) {
        snprintf(key, sizeof(key), "d:%.*s", (int)base.len, base.p);
        if (pl_ratelimit_sum(px->rl, pl_str_c(key), now, 60) >= (uint64_t)budget)
            pl_urlscan_block(&v, "databudget", 429, 0.8, "data budget exceeded for %.*s",
                             (int)base.len, base.p);
    }
    return apply_url_verdict(r, &v);
}

/* Bytes moved for a base domain, for the per-domain data budget. */
void
pl_req_record_data(struct pl_req *r, uint64_t bytes)
{
    int64_t budget = r->pol->cfg->fetch_proxy.monitoring.max_data_per_minute;
    if (budget <= 0 || bytes == 0)
        return;
    struct pl_str base = pl_base_domain(pl_str_c(r->host));
    char key[PL_HOST_MAX + 4];
    snprintf(key, sizeof(key), "d:%.*s", (int)base.len, base.p);
    pl_ratelimit_add(r->c->w->proxy->rl, pl_str_c(key), (int64_t)(pl_time_mono_ns() / 1000000000u),
                     bytes);
}

void
pl_req_resolve_and_dial(struct pl_req *r)
{
    struct pl_urlscan_verdict uv;
    char buf[PL_HOST_MAX + 16];
    struct pl_urlscan_url su;
    if (r->kind == PL_REQ_CONNECT) {
        /* The reference scans a CONNECT's own headers (Proxy-Authorization...) first. */
        r->scanned = true;
        if (pl_req_scan_headers(r))
            return;
    }
    scan_url(r, buf, sizeof(buf), &su);
    int sr = pl_urlscan_run(&r->pol->us, r->c->w->dlp, &su, &uv);
    (void)sr; /* a scan failure is already a block verdict */
    emit_dlp_warns(r, &uv);
    if (apply_url_verdict(r, &uv))
        return;
    if (r->kind == PL_REQ_FETCH && r->redirects > 0)
        pl_fetch_hop_passed(r);
    r->host_is_ip = uv.host_is_ip;
    if (uv.host_is_ip)
        r->addrs[0] = uv.ip;
    pl_req_continue(r);
}

/* Is there an idle pooled connection for key (without taking it)? */
static bool
pool_has(struct pl_wctx *w, const char *key)
{
    for (struct pl_upstream *u = w->pool.buckets[key_hash(key)]; u; u = u->pnext)
        if (strcmp(u->key, key) == 0)
            return true;
    return false;
}

static void
start_resolve(struct pl_req *r)
{
    r->state = PL_REQ_RESOLVE;
    r->dns_sync = true;
    r->dns_done = false;
    struct evdns_getaddrinfo_request *h = pl_dns_resolve(r->c->w->w.dns, r->host, dns_cb, r);
    r->dns_sync = false;
    if (r->dns_done) {
        dns_finish(r, r->dns_err);
        return;
    }
    r->dns = h;
}

/* Last step: a pooled connection when one is idle, else dial the checked addresses. */
static void
connect_upstream(struct pl_req *r)
{
    if (r->kind == PL_REQ_FETCH && r->url.scheme_id == PL_URL_SCHEME_HTTPS) {
        fail_request(r, 502, "https targets are not supported by /fetch yet (no TLS client)");
        return;
    }
    if (r->kind != PL_REQ_CONNECT && !r->no_pool) {
        char key[sizeof(((struct pl_upstream *)0)->key)];
        snprintf(key, sizeof(key), "%s:%u", r->host, r->port);
        struct pl_upstream *u = pool_get(r->c->w, key, r->pol, pl_str_c(r->host));
        if (u) {
            u->req = r;
            u->uses++;
            r->up = u;
            pl_conn_set_timeouts(u->bev, 0, 0);
            start_exchange(r);
            return;
        }
    }
    if (r->n_addrs > 0) {
        r->next_addr = 0;
        dial_next(r);
        return;
    }
    /* The pooled connection we counted on went away while the body was read: resolve now
     * (every check already ran; dns_finish only re-checks the answers). */
    start_resolve(r);
}

/* The content scans (body, then headers: the reference's order), then the connection. */
static void
run_scans(struct pl_req *r)
{
    if (r->scanned) {
        connect_upstream(r);
        return;
    }
    r->scanned = true;
    if (r->kind == PL_REQ_FETCH) {
        /* Only the agent's own headers: the upstream request is ours (no body, no client
         * headers). They were scanned before the first hop. */
        if (r->redirects == 0 && pl_req_scan_headers(r))
            return;
        connect_upstream(r);
        return;
    }
    if (pl_req_body_begin(r))
        return; /* it calls pl_req_after_scans() or answers */
    if (pl_req_scan_headers(r))
        return;
    connect_upstream(r);
}

void
pl_req_after_scans(struct pl_req *r)
{
    connect_upstream(r);
}

void
pl_req_continue(struct pl_req *r)
{
    bool is_ip = r->host_is_ip;
    struct pl_ip ip = r->addrs[0];
    if (r->kind == PL_REQ_CONNECT) {
        struct pl_proxy *px = r->c->w->proxy;
        if (atomic_load(&px->n_tunnels) >= r->pol->cfg->server.max_tunnels) {
            char body[] = "CONNECT blocked: too many active tunnels\n";
            pl_client_respond(r->c, 503, "text/plain; charset=utf-8", NULL, body, sizeof(body) - 1,
                              true);
            return;
        }
    }
    if (is_ip) {
        pl_ip_format(&ip, r->host, sizeof(r->host));
        r->addrs[0] = ip;
        r->n_addrs = 1;
        /* The SSRF check of a literal ran in the pipeline (or was waived by not enforcing). */
        if (!pl_policy_ip_allowed(r->pol, pl_str_c(r->host), &ip)) {
            struct pl_verdict v = {
                .blocked = true, .status = 403, .scanner = "ssrf", .hint = pl_urlscan_hint("ssrf")};
            snprintf(v.reason, sizeof(v.reason), "SSRF blocked: %.64s is an internal IP address",
                     r->host);
            pl_req_block(r, &v);
            return;
        }
        if (!r->scanned && post_dns_checks(r))
            return;
        run_scans(r);
        return;
    }
    if (r->kind != PL_REQ_CONNECT && !r->no_pool) {
        char key[sizeof(((struct pl_upstream *)0)->key)];
        snprintf(key, sizeof(key), "%s:%u", r->host, r->port);
        if (pool_has(r->c->w, key)) {
            /* A warm connection to a name checked before: no lookup (its address is
             * re-checked against the policy when it is taken from the pool). */
            if (!r->scanned && post_dns_checks(r))
                return;
            run_scans(r);
            return;
        }
    }
    start_resolve(r);
}

static void
dial_next(struct pl_req *r)
{
    struct pl_wctx *w = r->c->w;
    const struct pl_config *cfg = r->pol->cfg;
    while (r->next_addr < r->n_addrs) {
        const struct pl_ip *ip = &r->addrs[r->next_addr++];
        struct pl_upstream *u = calloc(1, sizeof(*u));
        if (!u)
            break;
        u->w = w;
        u->req = r;
        u->ip = *ip;
        u->port = r->port;
        snprintf(u->key, sizeof(u->key), "%s:%u", r->host, r->port);
        u->bev = pl_conn_new(&w->loop, -1);
        if (!u->bev) {
            free(u);
            break;
        }
        pl_conn_setcb(u->bev, up_read_cb, up_write_cb, up_event_cb, u);
        pl_conn_set_read_high(u->bev, PL_MAX((size_t)PL_PIPE_HIGH, w->resp_limits.max_head + 1));
        pl_conn_set_write_low(u->bev, PL_PIPE_LOW);
        struct sockaddr_storage ss;
        socklen_t sl = pl_ip_to_sockaddr(ip, r->port, &ss);
        r->up = u;
        r->state = PL_REQ_DIALING;
        if (pl_conn_connect(u->bev, (struct sockaddr *)&ss, sl,
                            cfg->server.connect_timeout_seconds) == 0)
            return;
        r->up = NULL;
        pl_upstream_free(u);
    }
    if (r->kind == PL_REQ_CONNECT)
        fail_request(r, 502, "tunnel dial failed");
    else
        fail_request(r, 502, "forward proxy fetch failed: upstream connect failed");
}

static void
on_connected(struct pl_req *r)
{
    struct pl_upstream *u = r->up;
    int one = 1;
    evutil_socket_t fd = pl_conn_fd(u->bev);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    u->connected = true;
    u->uses = 1;
    if (r->kind == PL_REQ_CONNECT)
        pl_tunnel_established(r);
    else
        start_exchange(r);
}

/* ---------------------------------------------------------------- request head + body */

static bool
skip_request_header(struct pl_str name, const struct pl_h1_request *h)
{
    static const char *const strip[] = {
        "Host",
        "Via",
        "X-Forwarded-For",
        "X-Forwarded-Host",
        "X-Forwarded-Proto",
        "X-Forwarded-Port",
        "X-Real-IP",
        "Forwarded",
        "X-Pipelock-Agent",
        "Pipelock-Mediation",
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(strip); i++)
        if (pl_str_eq_ci_c(name, strip[i]))
            return true;
    return pl_h1_is_hop_by_hop(name, h->headers, h->n_headers);
}

static void
resp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_req *r = arg;
    if (r->state == PL_REQ_EXCHANGE && !r->resp_head_parsed)
        fail_request(r, 504, "upstream response timeout");
}

/* These return 0 while the request lives on, -1 when it was finished (and freed). */
static int pump_request_body(struct pl_req *r);
static int handle_upstream_data(struct pl_req *r);

/*
 * The Accept-Encoding we send upstream: the client's codings that the response scanner can
 * decode (gzip, deflate, br), else identity. Content it could not decode would have to be
 * refused, so it is never asked for.
 */
static int
add_accept_encoding(struct pl_buf *b, const struct pl_h1_request *h)
{
    static const char *const known[] = {"gzip", "deflate", "br"};
    bool want[3] = {false, false, false};
    for (size_t i = 0; i < h->n_headers; i++) {
        if (!pl_str_eq_ci_c(h->headers[i].name, "Accept-Encoding"))
            continue;
        struct pl_str v = h->headers[i].value;
        while (v.len) {
            const char *comma = memchr(v.p, ',', v.len);
            struct pl_str item = {v.p, comma ? (size_t)(comma - v.p) : v.len};
            v = comma ? pl_str_from(comma + 1, v.len - item.len - 1) : PL_STR_NULL;
            const char *semi = memchr(item.p, ';', item.len);
            struct pl_str tok =
                pl_str_trim_ows(semi ? pl_str_from(item.p, (size_t)(semi - item.p)) : item);
            struct pl_str params =
                semi ? pl_str_from(semi + 1, item.len - (size_t)(semi + 1 - item.p)) : PL_STR_NULL;
            params = pl_str_trim_ows(params);
            bool zero = params.len >= 3 && (params.p[0] | 32) == 'q' && params.p[1] == '=' &&
                        strspn(params.p + 2, "0.") >= params.len - 2;
            for (size_t k = 0; k < PL_ARRAY_SIZE(known); k++)
                if (pl_str_eq_ci_c(tok, known[k]) && !zero)
                    want[k] = true;
        }
    }
    int rc = pl_buf_add_c(b, "Accept-Encoding: ");
    bool any = false;
    for (size_t k = 0; k < PL_ARRAY_SIZE(known); k++) {
        if (!want[k])
            continue;
        rc |= pl_buf_printf(b, "%s%s", any ? ", " : "", known[k]);
        any = true;
    }
    rc |= pl_buf_add_c(b, any ? "\r\n" : "identity\r\n");
    return rc;
}

static void
start_exchange(struct pl_req *r)
{
    struct pl_wctx *w = r->c->w;
    struct pl_upstream *u = r->up;
    struct pl_buf *b = &w->scratch;
    const struct pl_h1_request *h = &r->h;
    int rc = 0;
    r->state = PL_REQ_EXCHANGE;
    u->req = r;
    pl_buf_reset(b);
    if (r->kind == PL_REQ_FETCH) {
        rc = pl_fetch_request_head(r, b);
        goto send;
    }
    rc |= pl_buf_add_str(b, h->method);
    rc |= pl_buf_add_ch(b, ' ');
    rc |= pl_buf_add_str(b, r->url.path_and_query);
    rc |= pl_buf_add_c(b, " HTTP/1.1\r\nHost: ");
    rc |= pl_buf_add_str(b, r->url.authority);
    rc |= pl_buf_add_c(b, "\r\n");
    for (size_t i = 0; i < h->n_headers; i++) {
        const struct pl_h1_header *x = &h->headers[i];
        if (skip_request_header(x->name, h))
            continue;
        /* A held body goes with our own length; its 100-continue was answered by us. */
        if (r->body_buffered &&
            (pl_str_eq_ci_c(x->name, "Content-Length") || pl_str_eq_ci_c(x->name, "Expect")))
            continue;
        if (pl_str_eq_ci_c(x->name, "Accept-Encoding"))
            continue; /* rewritten below */
        rc |= pl_buf_add_str(b, x->name);
        rc |= pl_buf_add_c(b, ": ");
        rc |= pl_buf_add_str(b, x->value);
        rc |= pl_buf_add_c(b, "\r\n");
    }
    if (r->body_buffered)
        rc |= pl_buf_printf(b, "Content-Length: %zu\r\n", evbuffer_get_length(r->body));
    else if (h->body == PL_H1_BODY_CHUNKED)
        rc |= pl_buf_add_c(b, "Transfer-Encoding: chunked\r\n");
    rc |= add_accept_encoding(b, h);
    rc |= pl_buf_add_c(b, "Via: 1.1 pipelock\r\n\r\n");
send:
    if (rc != 0) {
        fail_request(r, 431, "request head too large after rewriting");
        return;
    }
    evbuffer_add(pl_conn_output(u->bev), b->data, b->len);
    if (r->body_buffered) {
        /* The scanned body, copied (kept for a retry); nothing more comes from the client. */
        size_t n = evbuffer_get_length(r->body);
        const unsigned char *p = n ? evbuffer_pullup(r->body, -1) : NULL;
        if (n && (!p || evbuffer_add(pl_conn_output(u->bev), p, n) < 0)) {
            fail_request(r, 503, "out of memory forwarding the request body");
            return;
        }
        r->bytes_to_upstream += n;
        r->req_body_done = true;
    }
    if (!r->timer)
        r->timer = evtimer_new(w->w.base, resp_timer_cb, r);
    if (r->timer) {
        struct timeval tv = {r->pol->cfg->fetch_proxy.timeout_seconds, 0};
        evtimer_add(r->timer, &tv);
    }
    pl_conn_enable_read(u->bev);
    if (pump_request_body(r) < 0)
        return;
    /* Bytes may have arrived between connect and now. */
    if (evbuffer_get_length(pl_conn_input(u->bev)) > 0)
        (void)handle_upstream_data(r);
}

static void
pause_client(struct pl_req *r)
{
    if (!r->client_paused) {
        r->client_paused = true;
        pl_conn_disable_read(r->c->bev);
    }
}

static void
resume_client(struct pl_req *r)
{
    if (r->client_paused) {
        r->client_paused = false;
        pl_conn_enable_read(r->c->bev);
    }
}

static int
add_chunk(struct evbuffer *out, const char *data, size_t len)
{
    char hdr[24];
    size_t n = pl_h1_chunk_header(hdr, len);
    if (evbuffer_add(out, hdr, n) || evbuffer_add(out, data, len) || evbuffer_add(out, "\r\n", 2))
        return -ENOMEM;
    return 0;
}

static int
pump_request_body(struct pl_req *r)
{
    if (r->req_body_done || !r->up || r->state != PL_REQ_EXCHANGE)
        return 0;
    struct evbuffer *in = pl_conn_input(r->c->bev);
    struct evbuffer *out = pl_conn_output(r->up->bev);
    while (!r->req_body_done) {
        if (evbuffer_get_length(out) >= PL_PIPE_HIGH) {
            pause_client(r);
            return 0;
        }
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
            break;
        if (r->h.body == PL_H1_BODY_LENGTH) {
            size_t n = (size_t)PL_MIN((uint64_t)avail, r->req_left);
            n = PL_MIN(n, (size_t)PL_PIPE_HIGH);
            evbuffer_remove_buffer(in, out, n);
            r->req_left -= n;
            r->bytes_to_upstream += n;
            if (r->req_left == 0)
                r->req_body_done = true;
            continue;
        }
        /* chunked */
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        size_t consumed = 0;
        struct pl_str data = PL_STR_NULL;
        int rc = pl_h1_chunked_decode(&r->req_chunk, v.iov_base, v.iov_len, &consumed, &data);
        if (rc < 0) {
            struct pl_verdict bv = {.blocked = true, .status = 400, .scanner = "parser"};
            snprintf(bv.reason, sizeof(bv.reason), "%s",
                     rc == -E2BIG ? "chunked request body: limit exceeded"
                                  : "chunked request body: invalid framing");
            r->c->close_after = true;
            if (r->resp_head_sent) {
                fail_request(r, 400, bv.reason);
                return -1;
            }
            /* The origin saw a truncated request on a connection we now close. */
            pl_req_block(r, &bv);
            return -1;
        }
        if (data.len) {
            add_chunk(out, data.p, data.len);
            r->bytes_to_upstream += data.len;
        }
        evbuffer_drain(in, consumed);
        if (rc == 1) {
            evbuffer_add(out, "0\r\n\r\n", 5);
            r->req_body_done = true;
        } else if (consumed == 0) {
            break;
        }
    }
    if (r->req_body_done)
        resume_client(r);
    return 0;
}

void
pl_forward_client_readable(struct pl_req *r)
{
    if (r->state == PL_REQ_EXCHANGE && !r->req_body_done)
        (void)pump_request_body(r);
    else if (r->state == PL_REQ_BODYSCAN)
        pl_req_body_readable(r);
    /* Otherwise bytes wait in the client buffer (bounded by its read watermark). */
}

/* ---------------------------------------------------------------- response */

static int pump_response_body(struct pl_req *r);

/* The body goes to the response scanner or /fetch rather than straight to the client. */
static inline bool
body_sink(const struct pl_req *r)
{
    return r->rs || r->fs;
}

static void
finish_exchange(struct pl_req *r)
{
    struct pl_client *c = r->c;
    struct pl_audit *audit = c->w->proxy->audit;
    struct pl_audit_event ev;
    r->resp_done = true;
    if (r->timer)
        evtimer_del(r->timer);
    pl_req_record_data(r, r->bytes_to_client + r->bytes_to_upstream);
    pl_audit_begin(audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_ALLOWED, "forward_http",
                   "forward proxy request");
    if (ev.active) {
        common_fields(r, &ev.j);
        pl_json_int(&ev.j, "status_code", r->status);
        pl_json_uint(&ev.j, "size_bytes", r->bytes_to_client);
        pl_json_double(&ev.j, "duration_ms", (double)(pl_time_mono_ns() - r->t_start) / 1e6, 3);
    }
    pl_audit_emit(audit, &ev);
    pl_metric_agent_inc(PL_MC_REQ_ALLOWED, r->agent);
    pl_metric_observe(PL_MH_REQUEST_DURATION, pl_time_mono_ns() - r->t_start);
    pl_forward_release_upstream(r);
    resume_client(r);
    pl_client_request_done(c);
}

void
pl_forward_release_upstream(struct pl_req *r)
{
    struct pl_upstream *u = r->up;
    bool reusable = u && r->resp && r->resp->keep_alive && r->req_body_done &&
                    r->resp_body != PL_H1_BODY_UNTIL_EOF &&
                    evbuffer_get_length(pl_conn_input(u->bev)) == 0 &&
                    evbuffer_get_length(pl_conn_output(u->bev)) == 0;
    r->up = NULL;
    if (u) {
        if (reusable)
            pool_put(u);
        else
            pl_upstream_free(u);
    }
}

static bool
skip_response_header(struct pl_str name, const struct pl_h1_response *h)
{
    return pl_h1_is_hop_by_hop(name, h->headers, h->n_headers);
}

static int write_head(struct pl_req *r, const struct pl_h1_response *resp, bool interim,
                      unsigned drop, const char *extra);

static int
write_response_head(struct pl_req *r, const struct pl_h1_response *resp, bool interim)
{
    return write_head(r, resp, interim, 0, NULL);
}

static bool
dropped(struct pl_str name, unsigned drop)
{
    if ((drop & PL_HEAD_DROP_LENGTH) && pl_str_eq_ci_c(name, "Content-Length"))
        return true;
    if ((drop & PL_HEAD_DROP_ENCODING) && pl_str_eq_ci_c(name, "Content-Encoding"))
        return true;
    return (drop & PL_HEAD_DROP_VALIDATORS) &&
           (pl_str_eq_ci_c(name, "ETag") || pl_str_eq_ci_c(name, "Content-MD5") ||
            pl_str_eq_ci_c(name, "Digest"));
}

int
pl_forward_write_head(struct pl_req *r, unsigned drop, const char *extra)
{
    int rc = write_head(r, r->resp, false, drop, extra);
    if (rc == 0)
        r->resp_head_sent = true;
    return rc;
}

void
pl_forward_body_out(struct pl_req *r, const char *p, size_t n)
{
    struct evbuffer *out = pl_conn_output(r->c->bev);
    if (!n)
        return;
    if (r->resp_rechunk)
        add_chunk(out, p, n);
    else
        evbuffer_add(out, p, n);
    r->bytes_to_client += n;
}

void
pl_forward_fail(struct pl_req *r, int status, const char *text)
{
    fail_request(r, status, text);
}

static int
write_head(struct pl_req *r, const struct pl_h1_response *resp, bool interim, unsigned drop,
           const char *extra)
{
    struct pl_client *c = r->c;
    struct pl_buf *b = &c->w->scratch;
    int rc = 0;
    pl_buf_reset(b);
    char sl[13] = "HTTP/1.1 000 ";
    sl[9] = (char)('0' + resp->status / 100 % 10);
    sl[10] = (char)('0' + resp->status / 10 % 10);
    sl[11] = (char)('0' + resp->status % 10);
    rc |= pl_buf_add(b, sl, sizeof(sl));
    rc |= pl_buf_add_str(b, resp->reason);
    rc |= pl_buf_add_c(b, "\r\n");
    for (size_t i = 0; i < resp->n_headers; i++) {
        const struct pl_h1_header *x = &resp->headers[i];
        if (skip_response_header(x->name, resp) || (drop && dropped(x->name, drop)))
            continue;
        rc |= pl_buf_add_str(b, x->name);
        rc |= pl_buf_add_c(b, ": ");
        rc |= pl_buf_add_str(b, x->value);
        rc |= pl_buf_add_c(b, "\r\n");
    }
    if (extra)
        rc |= pl_buf_add_c(b, extra);
    if (!interim) {
        if (r->resp_rechunk)
            rc |= pl_buf_add_c(b, "Transfer-Encoding: chunked\r\n");
        if (c->close_after || c->w->draining)
            rc |= pl_buf_add_c(b, "Connection: close\r\n");
        else if (r->h.minor_version == 0)
            rc |= pl_buf_add_c(b, "Connection: keep-alive\r\n");
    }
    rc |= pl_buf_add_c(b, "\r\n");
    if (rc != 0)
        return -E2BIG;
    evbuffer_add(pl_conn_output(c->bev), b->data, b->len);
    return 0;
}

static int
handle_upstream_data(struct pl_req *r)
{
    struct pl_upstream *u = r->up;
    struct pl_wctx *w = r->c->w;
    struct evbuffer *in = pl_conn_input(u->bev);
    while (!r->resp_head_parsed) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            return 0;
        if (!r->resp) {
            r->resp = malloc(sizeof(*r->resp));
            if (!r->resp) {
                fail_request(r, 502, "out of memory");
                return -1;
            }
        }
        size_t n = PL_MIN(len, w->resp_limits.max_head + 1);
        const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
        struct pl_h1_error err = {0};
        int rc = pl_h1_parse_response(p, n, &w->resp_limits, r->h.method, &r->rscan, r->resp, &err);
        if (rc == -EAGAIN)
            return 0;
        if (rc < 0) {
            char msg[200];
            snprintf(msg, sizeof(msg), "invalid upstream response: %s",
                     err.reason ? err.reason : "malformed");
            r->resp_body = PL_H1_BODY_UNTIL_EOF; /* never pool it */
            fail_request(r, 502, msg);
            return -1;
        }
        struct pl_h1_response *resp = r->resp;
        if (resp->status >= 100 && resp->status < 200) {
            if (resp->status == 101) {
                r->resp_body = PL_H1_BODY_UNTIL_EOF;
                fail_request(r, 502, "upstream switched protocols unexpectedly");
                return -1;
            }
            /* Interim response: relay to HTTP/1.1 clients, then read the final one. */
            if (r->kind != PL_REQ_FETCH && r->h.minor_version >= 1 &&
                write_response_head(r, resp, true) < 0) {
                fail_request(r, 502, "upstream response head too large");
                return -1;
            }
            evbuffer_drain(in, (size_t)rc);
            memset(&r->rscan, 0, sizeof(r->rscan));
            continue;
        }
        r->status = resp->status;
        r->resp_body = resp->body;
        r->resp_left = resp->content_length;
        pl_h1_chunked_init(&r->resp_chunk);
        r->resp_head_parsed = true;
        if (r->timer)
            evtimer_del(r->timer);
        /* Body idle timeout: the upstream must keep sending. */
        pl_conn_set_timeouts(u->bev, r->pol->cfg->fetch_proxy.timeout_seconds, 0);
        /* The scanner copies the head (its slices point into `in`, drained below). */
        int fr = r->kind == PL_REQ_FETCH ? pl_fetch_begin(r) : pl_resp_begin(r, p, (size_t)rc);
        if (fr < 0)
            return -1;
        if (fr > 0) {
            evbuffer_drain(in, (size_t)rc);
            if (resp->body == PL_H1_BODY_NONE ||
                (resp->body == PL_H1_BODY_LENGTH && resp->content_length == 0)) {
                if (pl_resp_end(r) < 0)
                    return -1;
                finish_exchange(r);
                return -1;
            }
            continue; /* the scanner writes the head */
        }
        bool client11 = r->h.minor_version >= 1;
        if (resp->body == PL_H1_BODY_CHUNKED || resp->body == PL_H1_BODY_UNTIL_EOF) {
            if (client11)
                r->resp_rechunk = true;
            else
                r->c->close_after = true; /* HTTP/1.0: the body ends at close */
        }
        if (!resp->keep_alive && resp->body == PL_H1_BODY_UNTIL_EOF && !client11)
            r->c->close_after = true;
        /* `resp` points into `in`: write the head before draining it. */
        int wr = write_response_head(r, resp, false);
        evbuffer_drain(in, (size_t)rc);
        if (wr < 0) {
            r->resp_body = PL_H1_BODY_UNTIL_EOF;
            fail_request(r, 502, "upstream response head too large");
            return -1;
        }
        r->resp_head_sent = true;
        if (resp->body == PL_H1_BODY_NONE ||
            (resp->body == PL_H1_BODY_LENGTH && resp->content_length == 0)) {
            finish_exchange(r);
            return -1;
        }
    }
    return pump_response_body(r);
}

static int
pump_response_body(struct pl_req *r)
{
    struct pl_upstream *u = r->up;
    struct evbuffer *in = pl_conn_input(u->bev);
    struct evbuffer *out = pl_conn_output(r->c->bev);
    for (;;) {
        if (evbuffer_get_length(out) >= PL_PIPE_HIGH) {
            if (!r->upstream_paused) {
                r->upstream_paused = true;
                pl_conn_disable_read(u->bev);
            }
            return 0;
        }
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
            return 0;
        switch (r->resp_body) {
        case PL_H1_BODY_LENGTH: {
            size_t n = (size_t)PL_MIN((uint64_t)avail, r->resp_left);
            n = PL_MIN(n, (size_t)PL_PIPE_HIGH);
            if (body_sink(r)) {
                struct evbuffer_iovec v;
                if (evbuffer_peek(in, (ev_ssize_t)n, NULL, &v, 1) < 1)
                    return 0;
                n = PL_MIN(n, v.iov_len);
                r->resp_left -= n;
                if (pl_resp_data(r, v.iov_base, n) < 0)
                    return -1;
                evbuffer_drain(in, n);
            } else {
                evbuffer_remove_buffer(in, out, n);
                r->resp_left -= n;
                r->bytes_to_client += n;
            }
            if (r->resp_left == 0) {
                if (body_sink(r) && pl_resp_end(r) < 0)
                    return -1;
                finish_exchange(r);
                return -1;
            }
            break;
        }
        case PL_H1_BODY_UNTIL_EOF: {
            size_t n = PL_MIN(avail, (size_t)PL_PIPE_HIGH);
            if (body_sink(r)) {
                struct evbuffer_iovec v;
                if (evbuffer_peek(in, (ev_ssize_t)n, NULL, &v, 1) < 1)
                    return 0;
                n = PL_MIN(n, v.iov_len);
                if (pl_resp_data(r, v.iov_base, n) < 0)
                    return -1;
                evbuffer_drain(in, n);
                break;
            }
            if (r->resp_rechunk) {
                struct evbuffer_iovec v;
                if (evbuffer_peek(in, (ev_ssize_t)n, NULL, &v, 1) < 1)
                    return 0;
                n = PL_MIN(n, v.iov_len);
                add_chunk(out, v.iov_base, n);
                evbuffer_drain(in, n);
            } else {
                evbuffer_remove_buffer(in, out, n);
            }
            r->bytes_to_client += n;
            break;
        }
        case PL_H1_BODY_CHUNKED: {
            struct evbuffer_iovec v;
            if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
                return 0;
            size_t consumed = 0;
            struct pl_str data = PL_STR_NULL;
            int rc = pl_h1_chunked_decode(&r->resp_chunk, v.iov_base, v.iov_len, &consumed, &data);
            if (rc < 0) {
                r->resp_body = PL_H1_BODY_UNTIL_EOF;
                fail_request(r, 502, "invalid chunked response from upstream");
                return -1;
            }
            if (data.len && body_sink(r)) {
                if (pl_resp_data(r, data.p, data.len) < 0)
                    return -1;
            } else if (data.len) {
                if (r->resp_rechunk)
                    add_chunk(out, data.p, data.len);
                else
                    evbuffer_add(out, data.p, data.len);
                r->bytes_to_client += data.len;
            }
            evbuffer_drain(in, consumed);
            if (rc == 1) {
                if (body_sink(r) && pl_resp_end(r) < 0)
                    return -1;
                if (r->resp_rechunk)
                    evbuffer_add(out, "0\r\n\r\n", 5);
                finish_exchange(r);
                return -1;
            }
            if (consumed == 0)
                return 0;
            break;
        }
        default:
            finish_exchange(r);
            return -1;
        }
    }
}

void
pl_forward_client_drained(struct pl_req *r)
{
    if (r->state == PL_REQ_EXCHANGE && r->up && r->upstream_paused) {
        r->upstream_paused = false;
        pl_conn_enable_read(r->up->bev);
        (void)handle_upstream_data(r);
    }
}

void
pl_forward_restart(struct pl_req *r)
{
    struct pl_upstream *u = r->up;
    r->up = NULL;
    if (u)
        pl_upstream_free(u);
    if (r->timer)
        evtimer_del(r->timer);
    memset(&r->rscan, 0, sizeof(r->rscan));
    r->resp_head_parsed = false;
    r->resp_done = false;
    r->upstream_paused = false;
    r->status = 0;
    r->n_addrs = 0;
    r->next_addr = 0;
    r->host_is_ip = false;
    r->no_pool = false;
    r->scanned = false;
    r->dns_done = false;
    r->state = PL_REQ_RESOLVE;
    pl_req_resolve_and_dial(r);
}

void
pl_forward_start(struct pl_req *r)
{
    pl_req_resolve_and_dial(r);
}

/* ---------------------------------------------------------------- upstream callbacks */

static void
up_read_cb(struct pl_conn *bev, void *arg)
{
    struct pl_upstream *u = arg;
    struct pl_req *r = u->req;
    if (!r) {
        /* Idle pooled connection got data: the server is confused or closing; drop it. */
        (void)bev;
        pl_upstream_free(u);
        return;
    }
    if (r->kind == PL_REQ_CONNECT) {
        pl_tunnel_upstream_readable(r);
        return;
    }
    if (r->state == PL_REQ_EXCHANGE)
        (void)handle_upstream_data(r);
}

static void
up_write_cb(struct pl_conn *bev, void *arg)
{
    (void)bev;
    struct pl_upstream *u = arg;
    struct pl_req *r = u->req;
    if (!r)
        return;
    if (r->kind == PL_REQ_CONNECT) {
        pl_tunnel_upstream_drained(r);
        return;
    }
    if (r->state == PL_REQ_EXCHANGE && !r->req_body_done) {
        resume_client(r);
        (void)pump_request_body(r);
    }
}

static bool
is_idempotent(struct pl_str m)
{
    return pl_str_eq(m, PL_STR("GET")) || pl_str_eq(m, PL_STR("HEAD")) ||
           pl_str_eq(m, PL_STR("OPTIONS"));
}

static void
up_event_cb(struct pl_conn *bev, short what, void *arg)
{
    (void)bev;
    struct pl_upstream *u = arg;
    struct pl_req *r = u->req;
    if (!r) {
        pl_upstream_free(u); /* pooled connection closed or timed out */
        return;
    }
    if (what & PL_CONN_CONNECTED) {
        on_connected(r);
        return;
    }
    if (r->state == PL_REQ_DIALING) {
        /* Connect failed or timed out: try the next checked address. */
        r->up = NULL;
        pl_upstream_free(u);
        dial_next(r);
        return;
    }
    if (r->kind == PL_REQ_CONNECT) {
        pl_tunnel_upstream_event(r, what);
        return;
    }
    if ((what & PL_CONN_EOF) && r->resp_head_parsed && r->resp_body == PL_H1_BODY_UNTIL_EOF &&
        body_sink(r)) {
        struct evbuffer *in = pl_conn_input(u->bev);
        size_t n = evbuffer_get_length(in);
        const char *p = n ? (const char *)evbuffer_pullup(in, -1) : NULL;
        r->up = NULL;
        if (n && p && pl_resp_data(r, p, n) < 0) {
            pl_upstream_free(u);
            return;
        }
        pl_upstream_free(u);
        if (pl_resp_end(r) < 0)
            return;
        if (r->resp_rechunk)
            evbuffer_add(pl_conn_output(r->c->bev), "0\r\n\r\n", 5);
        else
            r->c->close_after = true;
        finish_exchange(r);
        return;
    }
    if ((what & PL_CONN_EOF) && r->resp_head_sent && r->resp_body == PL_H1_BODY_UNTIL_EOF) {
        /* Flush what is buffered, ignoring backpressure: the source is gone. */
        struct evbuffer *in = pl_conn_input(u->bev);
        size_t n = evbuffer_get_length(in);
        if (n && r->resp_rechunk) {
            const char *p = (const char *)evbuffer_pullup(in, -1);
            if (p)
                add_chunk(pl_conn_output(r->c->bev), p, n);
        } else if (n) {
            evbuffer_add_buffer(pl_conn_output(r->c->bev), in);
        }
        r->bytes_to_client += n;
        if (r->resp_rechunk)
            evbuffer_add(pl_conn_output(r->c->bev), "0\r\n\r\n", 5);
        else
            r->c->close_after = true;
        r->up = NULL;
        pl_upstream_free(u);
        finish_exchange(r);
        return;
    }
    if (what & PL_CONN_TIMEOUT)
        fail_request(r, 504, "upstream timeout");
    else if (u->uses > 1 && !r->no_pool && !r->resp_head_parsed && r->h.body == PL_H1_BODY_NONE &&
             is_idempotent(r->h.method) && evbuffer_get_length(pl_conn_input(u->bev)) == 0) {
        /* A reused keep-alive connection was closed by the server before it answered (the
         * race every pooling proxy has): retry an idempotent request once, freshly dialled. */
        r->up = NULL;
        pl_upstream_free(u);
        memset(&r->rscan, 0, sizeof(r->rscan));
        if (r->timer)
            evtimer_del(r->timer);
        r->n_addrs = 0;
        r->no_pool = true;
        pl_req_continue(r);
    } else {
        fail_request(r, 502, "forward proxy fetch failed: upstream closed the connection");
    }
}
