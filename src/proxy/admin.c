/*
 * The kill switch on the data path (the 503 gate, the sweep that cuts what is already open) and
 * its admin API: POST /api/v1/killswitch, GET /api/v1/killswitch/status (reference §2.9, §8.1).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "proxy/proxy_int.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"

#define API_BODY_MAX    1024
#define API_TOGGLES_MIN 10 /* toggles per minute, all clients together */
#define API_BODY_SECS   10 /* a body that does not arrive within this is dropped */

static const char ks_path[] = "/api/v1/killswitch";
static const char ks_status_path[] = "/api/v1/killswitch/status";

/* The request path without its query; empty for anything but origin-form. */
static struct pl_str
origin_path(const struct pl_req *r)
{
    if (r->h.form != PL_H1_FORM_ORIGIN)
        return PL_STR_NULL;
    struct pl_str p = r->h.target;
    const char *q = memchr(p.p, '?', p.len);
    if (q)
        p.len = (size_t)(q - p.p);
    return p;
}

/* The endpoint named in logs: only the proxy's own paths, never a URL an agent chose. */
static const char *
endpoint_name(const struct pl_req *r)
{
    static const char *const known[] = {"/health", "/metrics", "/stats",      "/fetch",
                                        "/ws",     ks_path,    ks_status_path};
    if (pl_str_eq(r->h.method, PL_STR("CONNECT")))
        return "connect";
    if (r->h.form == PL_H1_FORM_ABSOLUTE)
        return "forward";
    struct pl_str p = origin_path(r);
    for (size_t i = 0; i < PL_ARRAY_SIZE(known); i++)
        if (pl_str_eq(p, pl_str_c(known[i])))
            return known[i];
    return "other";
}

static void
log_deny(struct pl_client *c, struct pl_req *r, enum pl_ks_source src, const char *transport)
{
    struct pl_audit *a = c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(a, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_OTHER, "kill_switch_deny",
                   "kill switch denied request");
    if (ev.active) {
        pl_json_cstr(&ev.j, "transport", transport);
        pl_json_cstr(&ev.j, "endpoint", endpoint_name(r));
        pl_json_cstr(&ev.j, "source", pl_ks_source_name(src));
        pl_json_cstr(&ev.j, "deny_message", r->pol->cfg->kill_switch.message);
        pl_json_cstr(&ev.j, "client_ip", c->peer);
        pl_json_cstr(&ev.j, "request_id", r->id);
        pl_json_cstr(&ev.j, "agent", r->agent);
    }
    pl_audit_emit(a, &ev);
    pl_metric_labelled_inc(PL_ML_KS_DENIALS, transport, endpoint_name(r));
}

/* The 503 of the reference, then close: a denied client gets nothing more on this stream. */
static void
respond_denied(struct pl_client *c, const struct pl_config *cfg)
{
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 4096);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_cstr(&j, "error", "kill_switch_active");
    pl_json_cstr(&j, "message", cfg->kill_switch.message);
    pl_json_obj_end(&j);
    if (pl_json_error(&j) || pl_buf_add_ch(&b, '\n') < 0) {
        pl_buf_done(&b);
        static const char fallback[] = "{\"error\":\"kill_switch_active\"}\n";
        pl_client_respond(c, 503, "application/json", NULL, fallback, sizeof(fallback) - 1, true);
        return;
    }
    pl_client_respond(c, 503, "application/json", NULL, b.data, b.len, true);
    pl_buf_done(&b);
}

bool
pl_ks_gate(struct pl_client *c, struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    enum pl_ks_source src = pl_ks_active(&c->w->proxy->ks, cfg);
    if (src == PL_KS_NONE || pl_ks_exempt(cfg, &c->ip, origin_path(r)))
        return false;
    log_deny(c, r, src, "http");
    respond_denied(c, cfg);
    return true;
}

/* ------------------------------------------------------------------ sweep */

/*
 * Cut one client the kill switch now denies: a request that has sent nothing yet gets the 503;
 * a tunnel, a response under way, or an idle keep-alive connection is closed.
 */
static void
cut_client(struct pl_client *c, enum pl_ks_source src)
{
    struct pl_req *r = c->req;
    if (c->state == PL_CLIENT_HEAD) {
        /* A new connection, or a request already on its way (read or still in the socket), is
         * answered by the gate and closed after it; an idle keep-alive connection is closed
         * once its last answer is out. */
        int pending = 0;
        if (c->n_requests == 0 || evbuffer_get_length(pl_conn_input(c->bev)) > 0 ||
            (ioctl(pl_conn_fd(c->bev), FIONREAD, &pending) == 0 && pending > 0)) {
            c->close_after = true;
            return;
        }
        pl_client_start_closing(c);
        return;
    }
    if (c->state != PL_CLIENT_BUSY || !r || r->kind == 0 || r->kind == PL_REQ_ADMIN)
        return; /* closing after a complete answer, or a local endpoint: nothing to cut */
    bool tunnel = r->kind == PL_REQ_CONNECT && r->state == PL_REQ_TUNNEL;
    log_deny(c, r, src, tunnel ? "tunnel" : "http");
    if (tunnel || r->resp_head_sent) {
        pl_client_free(c);
        return;
    }
    struct pl_policy *pol = pl_policy_ref(r->pol);
    c->req = NULL;
    pl_req_free(r);
    respond_denied(c, pol->cfg);
    pl_policy_unref(pol);
}

static void
worker_kill_sweep(void *arg)
{
    struct pl_wctx *w = arg;
    const struct pl_config *cfg = w->pol->cfg;
    enum pl_ks_source src = pl_ks_active(&w->proxy->ks, cfg);
    if (src == PL_KS_NONE)
        return;
    struct pl_client *c = w->clients;
    while (c) {
        struct pl_client *next = c->next;
        if (c->role == PL_ROLE_MAIN &&
            !pl_cidr_list_contains(&cfg->kill_switch.allowlist_ips, &c->ip))
            cut_client(c, src);
        c = next;
    }
}

void
pl_proxy_kill_sweep(struct pl_proxy *px)
{
    for (int i = 0; i < px->n_workers; i++)
        if (pl_worker_post(&px->workers[i].w, worker_kill_sweep, &px->workers[i]) < 0)
            pl_err("kill switch: cannot reach worker %d to cut its connections", i);
}

void
pl_ks_changed(struct pl_proxy *px, const struct pl_config *cfg, enum pl_ks_source src, bool on,
              bool was_active)
{
    const char *source = pl_ks_source_name(src);
    fprintf(stderr, "pipelock: kill switch %s via %s\n", on ? "ACTIVATED" : "DEACTIVATED",
            src == PL_KS_SIGNAL ? "SIGUSR1" : source);
    struct pl_audit_event ev;
    pl_audit_begin(px->audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_OTHER, "kill_switch_change",
                   on ? "kill switch source activated" : "kill switch source deactivated");
    if (ev.active) {
        pl_json_cstr(&ev.j, "source", source);
        pl_json_bool(&ev.j, "active", on);
        pl_json_bool(&ev.j, "kill_switch_active", pl_ks_active(&px->ks, cfg) != PL_KS_NONE);
    }
    pl_audit_emit(px->audit, &ev);
    if (on && !was_active)
        pl_proxy_kill_sweep(px);
}

/* ------------------------------------------------------------------ API */

static void
api_text(struct pl_client *c, int status, const char *text, const char *extra)
{
    char body[200];
    int n = snprintf(body, sizeof(body), "%s\n", text);
    pl_client_respond(c, status, "text/plain; charset=utf-8", extra, body,
                      (size_t)PL_MIN(n, (int)sizeof(body) - 1), !c->req || !c->req->req_body_done);
}

/* Close the JSON object being written into b, answer 200 with it, and free b. */
static void
api_json(struct pl_client *c, struct pl_json *j, struct pl_buf *b)
{
    pl_json_obj_end(j);
    if (pl_json_error(j) || pl_buf_add_ch(b, '\n') < 0)
        api_text(c, 500, "internal error", NULL);
    else
        pl_client_respond(c, 200, "application/json", NULL, b->data, b->len, false);
    pl_buf_done(b);
}

/* Bearer auth. Answers and returns false when the request may not go on. */
static bool
api_auth(struct pl_client *c, struct pl_req *r)
{
    const char *want = pl_ks_api_token(r->pol->cfg);
    if (!*want) {
        api_text(c, 503, "kill switch API not configured (no api_token)", NULL);
        return false;
    }
    int i = pl_h1_find_header(r->h.headers, r->h.n_headers, "Authorization", 0);
    struct pl_str v = i >= 0 ? r->h.headers[i].value : PL_STR_NULL;
    bool ok =
        v.len > 7 && !strncasecmp(v.p, "Bearer ", 7) && pl_ks_token_equal(want, v.p + 7, v.len - 7);
    if (!ok) {
        api_text(c, 401, "unauthorized", "WWW-Authenticate: Bearer realm=\"pipelock\"\r\n");
        return false;
    }
    return true;
}

static void
api_status(struct pl_client *c, struct pl_req *r)
{
    struct pl_proxy *px = c->w->proxy;
    const struct pl_config *cfg = r->pol->cfg;
    bool src[5];
    pl_ks_sources(&px->ks, cfg, src);
    bool active = src[PL_KS_CONFIG] || src[PL_KS_API] || src[PL_KS_SIGNAL] || src[PL_KS_SENTINEL];
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 4096);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_bool(&j, "active", active);
    pl_json_obj_begin_key(&j, "sources");
    for (int s = PL_KS_CONFIG; s <= PL_KS_SENTINEL; s++)
        pl_json_bool(&j, pl_ks_source_name((enum pl_ks_source)s), src[s]);
    pl_json_obj_end(&j);
    if (active)
        pl_json_cstr(&j, "message", cfg->kill_switch.message);
    api_json(c, &j, &b);
}

/* One toggle allowed in the current minute's window? */
static bool
api_rate_ok(struct pl_proxy *px)
{
    uint64_t now = pl_time_mono_ns();
    bool ok;
    pthread_mutex_lock(&px->api_mu);
    if (px->api_window_n == 0 || now - px->api_window_ns >= 60ull * 1000000000ull) {
        px->api_window_ns = now;
        px->api_window_n = 0;
    }
    ok = px->api_window_n < API_TOGGLES_MIN;
    if (ok)
        px->api_window_n++;
    pthread_mutex_unlock(&px->api_mu);
    return ok;
}

/* {"active": bool}, nothing else. Returns 0 / 1, or -1 with a message in why. */
static int
parse_toggle(const char *p, size_t n, const char **why)
{
    json_error_t err;
    json_t *doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &err);
    int v = -1;
    *why = "invalid JSON body";
    if (!doc)
        return -1;
    if (!json_is_object(doc)) {
        *why = "body must be a JSON object";
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(doc, key, val)
    {
        if (strcmp(key, "active") != 0) {
            *why = "unknown field in body";
            goto out;
        }
    }
    val = json_object_get(doc, "active");
    if (!val) {
        *why = "missing field \"active\"";
        goto out;
    }
    if (!json_is_boolean(val)) {
        *why = "\"active\" must be true or false";
        goto out;
    }
    v = json_is_true(val);
out:
    json_decref(doc);
    return v;
}

static void
api_toggle_body(struct pl_client *c, struct pl_req *r)
{
    struct pl_proxy *px = c->w->proxy;
    struct evbuffer *in = pl_conn_input(c->bev);
    size_t n = (size_t)r->h.content_length;
    const char *p = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
    if (!p) {
        api_text(c, 500, "out of memory", NULL);
        return;
    }
    const char *why;
    int on = parse_toggle(p, n, &why);
    evbuffer_drain(in, n);
    r->req_body_done = true;
    if (r->timer)
        evtimer_del(r->timer);
    if (on < 0) {
        api_text(c, 400, why, NULL);
        return;
    }
    if (!api_rate_ok(px)) {
        api_text(c, 429, "too many kill switch changes; retry in a minute", "Retry-After: 60\r\n");
        return;
    }
    const struct pl_config *cfg = r->pol->cfg;
    bool was = pl_ks_active(&px->ks, cfg) != PL_KS_NONE;
    bool old = atomic_exchange(&px->ks.api, on != 0);
    if (old != (on != 0))
        pl_ks_changed(px, r->pol->cfg, PL_KS_API, on != 0, was);
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 4096);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_bool(&j, "active", on != 0);
    pl_json_cstr(&j, "source", "api");
    if (on)
        pl_json_cstr(&j, "message", cfg->kill_switch.message);
    api_json(c, &j, &b);
}

static void
body_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_req *r = arg;
    struct pl_client *c = r->c;
    pl_debug("client %s: admin API body not received in time", c->peer);
    pl_client_free(c);
}

void
pl_admin_client_readable(struct pl_req *r)
{
    struct pl_client *c = r->c;
    if (evbuffer_get_length(pl_conn_input(c->bev)) >= r->h.content_length)
        api_toggle_body(c, r);
}

static void
api_toggle(struct pl_client *c, struct pl_req *r)
{
    if (r->h.body == PL_H1_BODY_CHUNKED) {
        api_text(c, 411, "a Content-Length is required", NULL);
        return;
    }
    if (r->h.content_length > API_BODY_MAX) {
        api_text(c, 400, "request body too large", NULL);
        return;
    }
    if (evbuffer_get_length(pl_conn_input(c->bev)) >= r->h.content_length) {
        api_toggle_body(c, r);
        return;
    }
    r->kind = PL_REQ_ADMIN;
    r->timer = evtimer_new(c->w->w.base, body_timer_cb, r);
    struct timeval tv = {API_BODY_SECS, 0};
    if (!r->timer || evtimer_add(r->timer, &tv) < 0) {
        api_text(c, 500, "out of memory", NULL);
        return;
    }
    pl_conn_enable_read(c->bev);
}

bool
pl_admin_handle(struct pl_client *c, struct pl_req *r, struct pl_str path)
{
    if (!pl_ks_is_api_path(path))
        return false;
    /* On the main port only while no separate listener serves the API. */
    const char *listen = r->pol->cfg->kill_switch.api_listen;
    if (c->role == PL_ROLE_MAIN && listen && *listen)
        return false;
    bool status = pl_str_eq(path, pl_str_c(ks_status_path));
    const char *want = status ? "GET" : "POST";
    if (!pl_str_eq(r->h.method, pl_str_c(want))) {
        api_text(c, 405, "method not allowed", status ? "Allow: GET\r\n" : "Allow: POST\r\n");
        return true;
    }
    if (!api_auth(c, r))
        return true;
    if (status)
        api_status(c, r);
    else
        api_toggle(c, r);
    return true;
}
