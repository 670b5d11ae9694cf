/*
 * Endpoints served by the proxy itself on origin-form requests: /health, /fetch, the admin API
 * (when it has no listener of its own), and 404 otherwise.
 */
#include <string.h>

#include "proxy/proxy_int.h"
#include "util/json.h"
#include "util/time.h"

#include "pl_build.h"

static void
health(struct pl_client *c, struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 4096);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_cstr(&j, "status", "healthy");
    pl_json_cstr(&j, "version", PL_VERSION);
    pl_json_cstr(&j, "mode", pl_mode_name(cfg->mode));
    pl_json_double(&j, "uptime_seconds", (double)(pl_time_mono_ns() - r->pol->started_ns) / 1e9, 3);
    pl_json_uint(&j, "dlp_patterns", cfg->dlp.n_patterns);
    pl_json_bool(&j, "response_scan_enabled", cfg->response_scanning.enabled);
    pl_json_bool(&j, "git_protection_enabled", cfg->git_protection.enabled);
    pl_json_bool(&j, "rate_limit_enabled", cfg->fetch_proxy.monitoring.max_requests_per_minute > 0);
    pl_json_bool(&j, "forward_proxy_enabled", cfg->forward_proxy.enabled);
    pl_json_bool(&j, "websocket_proxy_enabled", cfg->websocket_proxy.enabled);
    pl_json_bool(&j, "request_body_scan_enabled", cfg->request_body_scanning.enabled);
    pl_json_bool(&j, "tls_interception_enabled", cfg->tls_interception.enabled);
    pl_json_bool(&j, "kill_switch_active", pl_ks_active(&c->w->proxy->ks, cfg) != PL_KS_NONE);
    pl_json_obj_end(&j);
    if (pl_json_error(&j) || pl_buf_add_ch(&b, '\n') < 0) {
        pl_buf_done(&b);
        pl_client_respond(c, 500, "text/plain; charset=utf-8", NULL, "internal error\n", 15, true);
        return;
    }
    pl_client_respond(c, 200, "application/json", NULL, b.data, b.len, false);
    pl_buf_done(&b);
}

void
pl_local_handle(struct pl_client *c, struct pl_req *r)
{
    struct pl_str path = r->h.target;
    const char *q = memchr(path.p, '?', path.len);
    if (q)
        path.len = (size_t)(q - path.p);
    bool metrics_here = !r->pol->cfg->metrics_listen || !*r->pol->cfg->metrics_listen;
    if (c->role == PL_ROLE_METRICS || (c->role == PL_ROLE_MAIN && metrics_here)) {
        if (pl_str_eq(path, PL_STR("/metrics"))) {
            pl_stats_metrics(c, r);
            return;
        }
        if (pl_str_eq(path, PL_STR("/stats"))) {
            pl_stats_json(c, r);
            return;
        }
    }
    if (c->role == PL_ROLE_METRICS) {
        pl_client_respond(c, 404, "text/plain; charset=utf-8", NULL, "404 page not found\n", 19,
                          !r->req_body_done);
        return;
    }
    if (c->role == PL_ROLE_ADMIN) { /* the API and nothing else */
        if (!pl_admin_handle(c, r, path))
            pl_client_respond(c, 404, "text/plain; charset=utf-8", NULL, "404 page not found\n", 19,
                              !r->req_body_done);
        return;
    }
    if (pl_str_eq(path, PL_STR("/health"))) {
        health(c, r);
        return;
    }
    if (pl_admin_handle(c, r, path))
        return;
    if (pl_str_eq(path, PL_STR("/fetch"))) {
        pl_fetch_start(r);
        return;
    }
    static const char nf[] = "404 page not found\n";
    pl_client_respond(c, 404, "text/plain; charset=utf-8", NULL, nf, sizeof(nf) - 1,
                      !r->req_body_done);
}
