/*
 * Client connections: accept, read and parse request heads, route them (forward, CONNECT,
 * local endpoints), answer locally, keep-alive and pipelining, timeouts, close.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sock.h"
#include "policy/identity.h"
#include "proxy/proxy_int.h"
#include "util/log.h"
#include "util/time.h"

static void client_read_cb(struct pl_conn *bev, void *arg);
static void client_write_cb(struct pl_conn *bev, void *arg);
static void client_event_cb(struct pl_conn *bev, short what, void *arg);
static void client_timer_cb(evutil_socket_t fd, short what, void *arg);

const char *
pl_status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 407:
        return "Proxy Authentication Required";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

static void
arm_timer(struct pl_client *c, int seconds, bool keepalive)
{
    struct timeval tv = {seconds > 0 ? seconds : 1, 0};
    c->timer_is_keepalive = keepalive;
    evtimer_add(c->timer, &tv);
}

void
pl_client_accept(struct pl_wctx *w, evutil_socket_t fd, const struct sockaddr *sa,
                 enum pl_client_role role)
{
    struct pl_proxy *px = w->proxy;
    const struct pl_config *cfg = w->pol->cfg;
    int one = 1;
    if (w->draining || atomic_fetch_add(&px->n_connections, 1) >= cfg->server.max_connections) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                   "Content-Type: text/plain; charset=utf-8\r\n"
                                   "Content-Length: 21\r\nConnection: close\r\n\r\n"
                                   "too many connections\n";
        if (!w->draining)
            atomic_fetch_sub(&px->n_connections, 1);
        ssize_t n PL_UNUSED = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        close(fd);
        return;
    }
    struct pl_client *c = calloc(1, sizeof(*c));
    if (!c)
        goto fail;
    c->w = w;
    c->role = role;
    c->state = PL_CLIENT_HEAD;
    c->bev = pl_conn_new(&w->loop, fd);
    if (!c->bev)
        goto fail;
    c->timer = evtimer_new(w->w.base, client_timer_cb, c);
    if (!c->timer)
        goto fail;
    pl_ip_from_sockaddr(sa, &c->ip);
    pl_ip_unmap(&c->ip);
    pl_ip_format(&c->ip, c->peer, sizeof(c->peer));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pl_conn_setcb(c->bev, client_read_cb, client_write_cb, client_event_cb, c);
    size_t high = PL_MAX((size_t)PL_PIPE_HIGH, w->req_limits.max_head + 1);
    pl_conn_set_read_high(c->bev, high);
    pl_conn_set_write_low(c->bev, PL_PIPE_LOW);
    /* A client that stops reading its response is dropped after the keep-alive timeout. */
    pl_conn_set_timeouts(c->bev, 0, cfg->server.keepalive_timeout_seconds);
    pl_conn_enable_read(c->bev);
    c->next = w->clients;
    if (w->clients)
        w->clients->prev = c;
    w->clients = c;
    w->n_clients++;
    arm_timer(c, cfg->server.header_timeout_seconds, false);
    return;
fail:
    if (c) {
        if (c->bev)
            pl_conn_free(c->bev);
        else
            close(fd);
        if (c->timer)
            event_free(c->timer);
        free(c);
    } else {
        close(fd);
    }
    atomic_fetch_sub(&px->n_connections, 1);
}

static void worker_maybe_drained(struct pl_wctx *w);

void
pl_client_free(struct pl_client *c)
{
    if (!c)
        return;
    struct pl_wctx *w = c->w;
    if (c->req) {
        pl_req_free(c->req);
        c->req = NULL;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        w->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->n_clients--;
    if (c->timer)
        event_free(c->timer);
    pl_conn_free(c->bev);
    free(c);
    atomic_fetch_sub(&w->proxy->n_connections, 1);
    worker_maybe_drained(w);
}

void
pl_client_start_closing(struct pl_client *c)
{
    c->state = PL_CLIENT_CLOSING;
    evtimer_del(c->timer);
    pl_conn_disable_read(c->bev);
    struct evbuffer *out = pl_conn_output(c->bev);
    if (evbuffer_get_length(out) == 0) {
        pl_client_free(c);
        return;
    }
    /* Wake when everything has been written, then close. Shut down our sending side once the
     * response is out so the client sees EOF even if it keeps the socket open. */
    pl_conn_set_write_low(c->bev, 0);
}

static void
log_parse_reject(struct pl_client *c, const char *reason, int status, const char *method)
{
    struct pl_audit_event ev;
    char id[24];
    snprintf(id, sizeof(id), "req-%llu",
             (unsigned long long)atomic_fetch_add(&c->w->proxy->next_request_id, 1) + 1);
    pl_audit_begin(c->w->proxy->audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_BLOCKED, "blocked",
                   "request blocked");
    if (ev.active) {
        pl_json_cstr(&ev.j, "method", method ? method : "");
        pl_json_cstr(&ev.j, "client_ip", c->peer);
        pl_json_cstr(&ev.j, "request_id", id);
        pl_json_cstr(&ev.j, "scanner", "parser");
        pl_json_cstr(&ev.j, "reason", reason);
        pl_json_int(&ev.j, "status_code", status);
        pl_json_cstr(&ev.j, "agent", "anonymous");
        pl_json_cstr(&ev.j, "mitre_technique", "T1190");
    }
    pl_audit_emit(c->w->proxy->audit, &ev);
    char st[8];
    snprintf(st, sizeof(st), "%d", status);
    pl_metric_labelled_inc(PL_ML_SCANNER_HITS, "parser", NULL);
    pl_metric_labelled_inc(PL_ML_PARSE_REJECTS, st, NULL);
}

/* Answer a request that could not be parsed, then close: framing is no longer trustworthy. */
static void
reject_unparsed(struct pl_client *c, int status, const char *reason)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "%s: %s\n", pl_status_text(status), reason);
    log_parse_reject(c, reason, status, NULL);
    c->state = PL_CLIENT_BUSY;
    pl_client_respond(c, status, "text/plain; charset=utf-8", NULL, body,
                      (size_t)PL_MIN(n, (int)sizeof(body) - 1), true);
}

void
pl_client_respond(struct pl_client *c, int status, const char *content_type,
                  const char *extra_headers, const char *body, size_t body_len, bool close)
{
    struct evbuffer *out = pl_conn_output(c->bev);
    if (close || c->w->draining)
        c->close_after = true;
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                        "X-Content-Type-Options: nosniff\r\n%s%s\r\n",
                        status, pl_status_text(status), content_type, body_len,
                        c->close_after ? "Connection: close\r\n" : "",
                        extra_headers ? extra_headers : "");
    if (body_len)
        evbuffer_add(out, body, body_len);
    if (c->req) {
        c->req->status = status;
        c->req->bytes_to_client += body_len;
    }
    pl_client_request_done(c);
}

void
pl_client_request_done(struct pl_client *c)
{
    struct pl_req *r = c->req;
    if (r) {
        /* A request whose body we did not consume leaves the stream out of sync. */
        if (!r->req_body_done)
            c->close_after = true;
        c->req = NULL;
        pl_req_free(r);
    }
    c->n_requests++;
    if (c->close_after || c->w->draining) {
        pl_client_start_closing(c);
        return;
    }
    c->state = PL_CLIENT_HEAD;
    memset(&c->scan, 0, sizeof(c->scan));
    pl_conn_enable_read(c->bev);
    if (evbuffer_get_length(pl_conn_input(c->bev)) > 0) {
        arm_timer(c, c->w->pol->cfg->server.header_timeout_seconds, false);
        /* Pipelined bytes are already buffered: parse them from the loop, not recursively. */
        pl_conn_trigger_read(c->bev);
    } else {
        arm_timer(c, c->w->pol->cfg->server.keepalive_timeout_seconds, true);
    }
}

/* "req-N" without printf (hot path). */
static void
format_request_id(char *out, uint64_t n)
{
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    memcpy(out, "req-", 4);
    for (int i = 0; i < k; i++)
        out[4 + i] = digits[k - 1 - i];
    out[4 + k] = '\0';
}

static void
rebase(struct pl_str *s, const char *old, char *new_base)
{
    if (s->p)
        s->p = new_base + (s->p - old);
}

static void dispatch(struct pl_client *c, struct pl_req *r);

static void
try_parse(struct pl_client *c)
{
    struct pl_wctx *w = c->w;
    struct evbuffer *in = pl_conn_input(c->bev);
    size_t len = evbuffer_get_length(in);
    if (len == 0)
        return;
    if (c->timer_is_keepalive)
        arm_timer(c, w->pol->cfg->server.header_timeout_seconds, false);
    size_t n = PL_MIN(len, w->req_limits.max_head + 1);
    const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
    if (!p) {
        reject_unparsed(c, 500, "out of memory");
        return;
    }
    if (!w->spare && !(w->spare = pl_req_alloc(w))) {
        reject_unparsed(c, 503, "out of memory");
        return;
    }
    struct pl_h1_request *h = &w->spare->h;
    struct pl_h1_error err = {0};
    int rc = pl_h1_parse_request(p, n, &w->req_limits, &c->scan, h, &err);
    if (rc == -EAGAIN)
        return;
    if (rc < 0) {
        pl_debug("client %s: %s", c->peer, err.reason ? err.reason : "malformed request");
        evbuffer_drain(in, len);
        reject_unparsed(c, err.status ? err.status : 400,
                        err.reason ? err.reason : "malformed request");
        return;
    }
    size_t head_len = (size_t)rc;
    char *head = malloc(head_len);
    if (!head) {
        reject_unparsed(c, 503, "out of memory");
        return;
    }
    struct pl_req *r = w->spare;
    w->spare = NULL;
    memcpy(head, p, head_len);
    rebase(&r->h.method, p, head);
    rebase(&r->h.target, p, head);
    for (size_t i = 0; i < r->h.n_headers; i++) {
        rebase(&r->h.headers[i].name, p, head);
        rebase(&r->h.headers[i].value, p, head);
    }
    evbuffer_drain(in, head_len);
    r->head = head;
    r->head_len = head_len;
    r->c = c;
    r->pol = pl_policy_ref(w->pol);
    r->t_start = pl_time_mono_ns();
    format_request_id(r->id, atomic_fetch_add(&w->proxy->next_request_id, 1) + 1);
    r->req_body_done = r->h.body == PL_H1_BODY_NONE;
    r->req_left = r->h.content_length;
    if (r->h.body == PL_H1_BODY_LENGTH && r->req_left == 0)
        r->req_body_done = true;
    pl_h1_chunked_init(&r->req_chunk);
    memset(&c->scan, 0, sizeof(c->scan));
    evtimer_del(c->timer);
    c->state = PL_CLIENT_BUSY;
    c->req = r;
    if (!r->h.keep_alive)
        c->close_after = true;
    dispatch(c, r);
}

static void
respond_text(struct pl_client *c, int status, const char *text, bool close)
{
    char body[512];
    int n = snprintf(body, sizeof(body), "%s\n", text);
    pl_client_respond(c, status, "text/plain; charset=utf-8", NULL, body,
                      (size_t)PL_MIN(n, (int)sizeof(body) - 1), close);
}

static void
reject_parsed(struct pl_client *c, struct pl_req *r, int status, const char *reason)
{
    char method[32];
    snprintf(method, sizeof(method), PL_STR_FMT, (int)PL_MIN(r->h.method.len, 31), r->h.method.p);
    log_parse_reject(c, reason, status, method);
    char text[300];
    snprintf(text, sizeof(text), "%s: %s", pl_status_text(status), reason);
    respond_text(c, status, text, true);
}

void
pl_agent_sanitize(struct pl_str in, char *out)
{
    size_t n = PL_MIN(in.len, (size_t)64);
    for (size_t i = 0; i < n; i++) {
        char ch = in.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[i] = ok ? ch : '_';
    }
    out[n] = '\0';
    if (n == 0)
        strcpy(out, "anonymous");
}

static void
resolve_agent(struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    const char *def = cfg->default_agent_identity;
    bool has_def = def && *def;
    if (cfg->bind_default_agent_identity && has_def) {
        pl_agent_sanitize(pl_str_c(def), r->agent);
        return;
    }
    int i = pl_h1_find_header(r->h.headers, r->h.n_headers, "X-Pipelock-Agent", 0);
    if (i >= 0 && r->h.headers[i].value.len > 0) {
        pl_agent_sanitize(r->h.headers[i].value, r->agent);
        return;
    }
    pl_agent_sanitize(has_def ? pl_str_c(def) : PL_STR_NULL, r->agent);
}

/* Is r a request the agent sends through us (rather than one for our own endpoints)? */
static bool
proxied_request(const struct pl_req *r, bool is_connect)
{
    if (is_connect || r->h.form == PL_H1_FORM_ABSOLUTE)
        return true;
    struct pl_str p = r->h.target;
    const char *q = memchr(p.p, '?', p.len);
    if (q)
        p.len = (size_t)(q - p.p);
    return pl_str_eq(p, PL_STR("/fetch")) || pl_str_eq(p, PL_STR("/ws"));
}

/*
 * proxy_auth: credentials name the agent, and override every self-declared source. Returns
 * true when r was answered (bad credentials, or none where they are required).
 */
static bool
authenticate(struct pl_client *c, struct pl_req *r, bool is_connect)
{
    const struct pl_config *cfg = r->pol->cfg;
    if (!cfg->proxy_auth.agents.n)
        return false;
    bool proxied = proxied_request(r, is_connect);
    bool origin = r->h.form == PL_H1_FORM_ORIGIN && !is_connect;
    int i = pl_h1_find_header(r->h.headers, r->h.n_headers, "Proxy-Authorization", 0);
    /* /fetch is called directly, where clients send Authorization. */
    if (i < 0 && origin && proxied)
        i = pl_h1_find_header(r->h.headers, r->h.n_headers, "Authorization", 0);
    const char *why;
    if (i >= 0) {
        const char *who = pl_identity_match(cfg, r->h.headers[i].value);
        if (who) {
            snprintf(r->agent, sizeof(r->agent), "%s", who);
            r->agent_bound = true;
            r->auth_header = i;
            return false;
        }
        why = "invalid proxy credentials";
    } else {
        if (!cfg->proxy_auth.required || !proxied)
            return false;
        why = "proxy credentials required";
    }
    /* The URL is logged redacted: no scanner has looked at it yet. A CONNECT target is
     * host:port, logged as every CONNECT event logs it. */
    char red[300];
    if (is_connect)
        snprintf(red, sizeof(red), PL_STR_FMT, (int)PL_MIN(r->h.target.len, 260), r->h.target.p);
    else if (origin)
        pl_fetch_redacted_target(r, red, sizeof(red));
    else
        pl_audit_redact_url(r->h.target, red, sizeof(red));
    struct pl_audit_event ev;
    pl_audit_begin(c->w->proxy->audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_BLOCKED, "blocked",
                   "request blocked");
    if (ev.active) {
        pl_json_str(&ev.j, "method", r->h.method);
        pl_json_cstr(&ev.j, is_connect ? "target" : "url", red);
        pl_json_cstr(&ev.j, "client_ip", c->peer);
        pl_json_cstr(&ev.j, "request_id", r->id);
        pl_json_cstr(&ev.j, "agent", r->agent);
        pl_json_cstr(&ev.j, "scanner", "proxy_auth");
        pl_json_cstr(&ev.j, "reason", why);
        pl_json_cstr(&ev.j, "mitre_technique", "T1078");
    }
    pl_audit_emit(c->w->proxy->audit, &ev);
    pl_req_count_block(r, "proxy_auth");
    char hdr[400], body[64];
    const char *realm = cfg->proxy_auth.realm;
    int status = origin ? 401 : 407;
    const char *h = origin ? "WWW-Authenticate" : "Proxy-Authenticate";
    /* realm is at most 64 printable characters (validated): the lines always fit. */
    snprintf(hdr, sizeof(hdr), "%s: Basic realm=\"%.64s\"\r\n%s: Bearer realm=\"%.64s\"\r\n", h,
             realm, h, realm);
    int n = snprintf(body, sizeof(body), "%s\n", why);
    pl_client_respond(c, status, "text/plain; charset=utf-8", hdr, body, (size_t)n,
                      !r->req_body_done);
    return true;
}

static void
dispatch(struct pl_client *c, struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    resolve_agent(r);
    if (c->role != PL_ROLE_MAIN) { /* the API or metrics listener: never the kill switch's */
        pl_local_handle(c, r);
        return;
    }
    if (pl_ks_gate(c, r))
        return;
    bool is_connect = pl_str_eq(r->h.method, PL_STR("CONNECT"));
    if (authenticate(c, r, is_connect))
        return;

    if (is_connect) {
        if (!cfg->forward_proxy.enabled) {
            respond_text(c, 405, "CONNECT not supported", true);
            return;
        }
        struct pl_str host;
        bool v6;
        if (pl_url_parse_authority(r->h.target, true, 0, &host, &r->port, &v6) < 0) {
            reject_parsed(c, r, 400, "invalid CONNECT target");
            return;
        }
        int n = pl_url_host_normalize(host, r->host, sizeof(r->host));
        if (n < 0) {
            reject_parsed(c, r, 400, "invalid CONNECT host");
            return;
        }
        r->kind = PL_REQ_CONNECT;
        /* The tunnel carries the client's next bytes; nothing else follows on this stream. */
        c->close_after = true;
        r->req_body_done = true;
        pl_req_resolve_and_dial(r);
        return;
    }

    switch (r->h.form) {
    case PL_H1_FORM_ABSOLUTE: {
        if (!cfg->forward_proxy.enabled) {
            respond_text(c, 405, "forward proxy not enabled", !r->req_body_done);
            return;
        }
        if (pl_url_parse(r->h.target, &r->url) < 0) {
            reject_parsed(c, r, 400, "invalid URL");
            return;
        }
        if (r->url.has_userinfo) {
            reject_parsed(c, r, 400, "userinfo in request target");
            return;
        }
        if (r->h.host_index >= 0 &&
            !pl_url_host_matches(&r->url, r->h.headers[r->h.host_index].value)) {
            reject_parsed(c, r, 400, "Host header does not match request target");
            return;
        }
        if (r->url.scheme_id != PL_URL_SCHEME_HTTP && r->url.scheme_id != PL_URL_SCHEME_HTTPS) {
            struct pl_verdict v = {.blocked = true,
                                   .status = 403,
                                   .scanner = "scheme",
                                   .hint = "Only http and https schemes are allowed."};
            snprintf(v.reason, sizeof(v.reason), "scheme not allowed: " PL_STR_FMT,
                     (int)PL_MIN(r->url.scheme.len, 32), r->url.scheme.p);
            r->kind = PL_REQ_FORWARD;
            pl_req_block(r, &v);
            return;
        }
        if (r->url.scheme_id == PL_URL_SCHEME_HTTPS) {
            respond_text(c, 501,
                         "https:// request targets are not supported in absolute form; "
                         "use CONNECT (HTTPS_PROXY)",
                         !r->req_body_done);
            return;
        }
        int n = pl_url_host_normalize(r->url.host, r->host, sizeof(r->host));
        if (n < 0) {
            reject_parsed(c, r, 400, "invalid host in request target");
            return;
        }
        r->port = r->url.port;
        r->kind = PL_REQ_FORWARD;
        pl_forward_start(r);
        return;
    }
    case PL_H1_FORM_ORIGIN:
        pl_local_handle(c, r);
        return;
    default:
        reject_parsed(c, r, 400, "unsupported request target form");
        return;
    }
}

static void
client_read_cb(struct pl_conn *bev, void *arg)
{
    (void)bev;
    struct pl_client *c = arg;
    switch (c->state) {
    case PL_CLIENT_HEAD:
        try_parse(c);
        break;
    case PL_CLIENT_BUSY:
        if (!c->req)
            break;
        if (c->req->kind == PL_REQ_CONNECT)
            pl_tunnel_client_readable(c->req);
        else if (c->req->kind == PL_REQ_FORWARD)
            pl_forward_client_readable(c->req);
        else if (c->req->kind == PL_REQ_ADMIN)
            pl_admin_client_readable(c->req);
        break;
    case PL_CLIENT_CLOSING:
        evbuffer_drain(pl_conn_input(c->bev), evbuffer_get_length(pl_conn_input(c->bev)));
        break;
    }
}

static void
client_write_cb(struct pl_conn *bev, void *arg)
{
    struct pl_client *c = arg;
    if (c->state == PL_CLIENT_CLOSING) {
        if (evbuffer_get_length(pl_conn_output(bev)) == 0)
            pl_client_free(c);
        return;
    }
    if (c->state == PL_CLIENT_BUSY && c->req) {
        if (c->req->kind == PL_REQ_CONNECT)
            pl_tunnel_client_drained(c->req);
        else
            pl_forward_client_drained(c->req);
    }
}

static void
client_event_cb(struct pl_conn *bev, short what, void *arg)
{
    (void)bev;
    struct pl_client *c = arg;
    if (c->state == PL_CLIENT_BUSY && c->req && c->req->kind == PL_REQ_CONNECT &&
        c->req->state == PL_REQ_TUNNEL) {
        pl_tunnel_client_event(c->req, what);
        return;
    }
    if ((what & PL_CONN_EOF) && c->state == PL_CLIENT_HEAD &&
        evbuffer_get_length(pl_conn_input(c->bev)) > 0) {
        /* EOF in the middle of a head: nothing can complete it. */
        pl_debug("client %s: EOF inside a request head", c->peer);
    }
    pl_client_free(c);
}

static void
client_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_client *c = arg;
    if (c->state != PL_CLIENT_HEAD)
        return;
    if (c->timer_is_keepalive || evbuffer_get_length(pl_conn_input(c->bev)) == 0) {
        pl_client_free(c);
        return;
    }
    evbuffer_drain(pl_conn_input(c->bev), evbuffer_get_length(pl_conn_input(c->bev)));
    reject_unparsed(c, 408, "request head not received in time");
}

static void
worker_maybe_drained(struct pl_wctx *w)
{
    if (w->draining && w->n_clients == 0) {
        pl_server_worker_drained(w);
    }
}

void
pl_client_drain_idle(struct pl_wctx *w)
{
    struct pl_client *c = w->clients;
    while (c) {
        struct pl_client *next = c->next;
        if (c->state == PL_CLIENT_HEAD && evbuffer_get_length(pl_conn_input(c->bev)) == 0)
            pl_client_free(c);
        else
            c->close_after = true;
        c = next;
    }
    worker_maybe_drained(w);
}
