/*
 * Request header and body DLP for forwarded requests (reference pipelock-behaviour §5.2).
 *
 * A body is held whole before anything goes upstream: it is read (de-chunked) up to
 * request_body_scanning.max_body_bytes, its strings are extracted by media type
 * (scan/extract), and text DLP runs over them. Fail-closed conditions (too large, encoded,
 * unparsable) block whatever the action; findings block when action is block and the policy
 * enforces, otherwise they are logged (body_dlp / header_dlp events) and the request goes on.
 */
#include <string.h>

#include "policy/decide.h"
#include "proxy/proxy_int.h"
#include "scan/extract.h"

static const char *const default_sensitive[] = {
    "Authorization", "Cookie", "X-Api-Key", "X-Token", "Proxy-Authorization", "X-Goog-Api-Key",
};

static const char *const default_ignore[] = {
    "Connection",   "Keep-Alive", "Proxy-Authenticate",
    "Te",           "Trailer",    "Transfer-Encoding",
    "Upgrade",      "Host",       "Content-Length",
    "Content-Type", "Accept",     "Accept-Encoding",
    "User-Agent",
};

static bool
in_list(struct pl_str name, char *const *v, size_t n, const char *const *def, size_t n_def)
{
    if (n) {
        for (size_t i = 0; i < n; i++)
            if (pl_str_eq_ci_c(name, v[i]))
                return true;
        return false;
    }
    for (size_t i = 0; i < n_def; i++)
        if (pl_str_eq_ci_c(name, def[i]))
            return true;
    return false;
}

static bool
blocks(const struct pl_req *r, const struct pl_dlp_finding *f)
{
    return pl_decide_request_dlp(r->pol->cfg, f != NULL, false) == PL_DECIDE_BLOCK;
}

/* body_dlp / header_dlp event with the patterns found (never the matched bytes). */
static void
emit_hit(struct pl_req *r, const char *event, const char *msg, const char *header,
         const struct pl_dlp_result *res, bool blocked)
{
    const struct pl_dlp_db *db = r->pol->dlp;
    struct pl_audit *audit = r->c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_OTHER, event, msg);
    if (ev.active) {
        pl_json_str(&ev.j, "method", r->h.method);
        char red[300];
        pl_audit_redact_url(pl_req_target(r), red, sizeof(red));
        pl_json_cstr(&ev.j, r->kind == PL_REQ_CONNECT ? "target" : "url", red);
        pl_json_cstr(&ev.j, "client_ip", r->c->peer);
        pl_json_cstr(&ev.j, "request_id", r->id);
        pl_json_cstr(&ev.j, "agent", r->agent);
        if (header)
            pl_json_cstr(&ev.j, "header", header);
        pl_json_cstr(&ev.j, "action", blocked ? "block" : "warn");
        pl_json_uint(&ev.j, "match_count", res ? res->n : 0);
        pl_json_arr_begin(&ev.j, "patterns");
        for (size_t i = 0; res && i < res->n; i++)
            pl_json_cstr(&ev.j, NULL, pl_dlp_db_name(db, res->f[i].pattern));
        pl_json_arr_end(&ev.j);
        pl_json_cstr(&ev.j, "mitre_technique", "T1048");
    }
    pl_audit_emit(audit, &ev);
    pl_metric_labelled_inc(header ? PL_ML_HEADER_DLP : PL_ML_BODY_DLP, blocked ? "block" : "warn",
                           r->agent);
}

/* ---------------------------------------------------------------- headers */

struct hdr_texts {
    struct pl_str v[PL_H1_MAX_HEADERS * 3];
    struct pl_str name[PL_H1_MAX_HEADERS * 3];
    size_t n;
};

bool
pl_req_scan_headers(struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    if (!cfg->request_body_scanning.enabled || !cfg->request_body_scanning.scan_headers)
        return false;
    bool all = cfg->request_body_scanning.header_mode &&
               !strcmp(cfg->request_body_scanning.header_mode, "all");
    const struct pl_h1_request *h = &r->h;
    struct hdr_texts *t = malloc(sizeof(*t));
    char *cat = NULL;
    size_t cat_len = 0;
    if (!t) {
        pl_req_block_text(r, 503, "header_dlp", "header scan unavailable");
        return true;
    }
    t->n = 0;
    if (all) {
        size_t need = 0;
        for (size_t i = 0; i < h->n_headers; i++)
            need += h->headers[i].name.len + h->headers[i].value.len;
        cat = malloc(need + 1);
        if (!cat) {
            free(t);
            pl_req_block_text(r, 503, "header_dlp", "header scan unavailable");
            return true;
        }
    }
    const struct pl_strlist *sens = &cfg->request_body_scanning.sensitive_headers;
    const struct pl_strlist *ign = &cfg->request_body_scanning.ignore_headers;
    for (size_t i = 0; i < h->n_headers; i++) {
        struct pl_str name = h->headers[i].name, value = h->headers[i].value;
        /* Credentials that proved this agent's identity are ours: never forwarded, not data. */
        if (r->agent_bound && (int)i == r->auth_header)
            continue;
        if (all) {
            if (in_list(name, ign->v, ign->n, default_ignore, PL_ARRAY_SIZE(default_ignore)))
                continue;
            /* The name, the value, and name+value (a secret split between them). */
            t->v[t->n] = name;
            t->name[t->n++] = name;
            t->v[t->n] = value;
            t->name[t->n++] = name;
            memcpy(cat + cat_len, name.p, name.len);
            memcpy(cat + cat_len + name.len, value.p, value.len);
            t->v[t->n] = pl_str_from(cat + cat_len, name.len + value.len);
            t->name[t->n++] = name;
            cat_len += name.len + value.len;
        } else if (in_list(name, sens->v, sens->n, default_sensitive,
                           PL_ARRAY_SIZE(default_sensitive))) {
            t->v[t->n] = value;
            t->name[t->n++] = name;
        }
    }
    bool answered = false;
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    /* Each value alone names the header; then all together (split across headers). */
    const char *hit = NULL;
    char hname[128];
    int rc = 0;
    for (size_t i = 0; i < t->n && rc == 0 && res.n == 0; i++) {
        rc = pl_dlp_scan_text(r->pol->dlp, r->c->w->dlp, t->v[i], &res);
        if (rc == 0 && res.n) {
            snprintf(hname, sizeof(hname), "%.*s", (int)PL_MIN(t->name[i].len, 100), t->name[i].p);
            hit = hname;
        }
    }
    if (rc == 0 && res.n == 0 && t->n > 1) {
        rc = pl_dlp_scan_texts(r->pol->dlp, r->c->w->dlp, t->v, t->n, &res);
        hit = "(combined)";
    }
    if (rc < 0) {
        pl_req_block_text(r, 403, "header_dlp", "request header scan failed (fail closed)");
        answered = true;
    } else if (res.n) {
        size_t quiet = 0;
        const struct pl_dlp_finding *f =
            pl_urlscan_first_block(&r->pol->us, &res, r->h.target, &quiet);
        if (quiet == res.n)
            goto out; /* every finding silenced by suppress */
        bool block = blocks(r, f);
        emit_hit(r, "header_dlp", "request header DLP scan hit", hit, &res, block);
        if (block) {
            r->redact_url = true;
            pl_req_block_text(r, 403, "header_dlp",
                              r->kind == PL_REQ_CONNECT ? "header DLP match"
                                                        : "request header contains secret");
            answered = true;
        }
    }
out:
    free(cat);
    free(t);
    return answered;
}

/* ---------------------------------------------------------------- body */

struct strs {
    struct pl_str *v;
    size_t n, cap;
    char *mem; /* copies of extracted strings that do not point into the body */
    size_t mem_len, mem_cap;
    const char *body; /* the body: strings inside it are referenced, not copied */
    size_t body_len;
};

static int
collect(void *arg, struct pl_str s)
{
    struct strs *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct pl_str *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    if (s.len && (s.p < c->body || s.p + s.len > c->body + c->body_len)) {
        /* Decoded text in the extractor's scratch: keep an offset into mem for now. */
        if (c->mem_len + s.len > c->mem_cap) {
            size_t cap = PL_MAX(c->mem_cap * 2, c->mem_len + s.len + 4096);
            char *m = realloc(c->mem, cap);
            if (!m)
                return -ENOMEM;
            c->mem = m;
            c->mem_cap = cap;
        }
        memcpy(c->mem + c->mem_len, s.p, s.len);
        /* Mark as "in mem" with a NULL pointer and the offset in len's high half. */
        c->v[c->n++] = (struct pl_str){NULL, (c->mem_len << 32) | s.len};
        c->mem_len += s.len;
        return 0;
    }
    c->v[c->n++] = s;
    return 0;
}

static int
scan_body(struct pl_req *r, struct pl_str body, struct pl_dlp_result *res, const char **reason)
{
    struct pl_str ct = PL_STR_NULL;
    const struct pl_h1_request *h = &r->h;
    for (size_t i = 0; i < h->n_headers; i++)
        if (pl_str_eq_ci_c(h->headers[i].name, "Content-Type"))
            ct = h->headers[i].value;
    struct strs c = {.body = body.p, .body_len = body.len};
    struct pl_extract_limits lim = {64, 100, body.len, 256, 1000000};
    int rc = pl_extract_body(ct, body, &lim, collect, &c, reason);
    if (rc == 0) {
        for (size_t i = 0; i < c.n; i++)
            if (!c.v[i].p)
                c.v[i] = pl_str_from(c.mem + (c.v[i].len >> 32), c.v[i].len & 0xffffffffu);
        rc = pl_dlp_scan_texts(r->pol->dlp, r->c->w->dlp, c.v, c.n, res);
        if (rc < 0)
            *reason = "request body scan failed";
    }
    free(c.v);
    free(c.mem);
    return rc;
}

/* The body did not arrive in time: a client that stalls mid-body must not hold the request
 * (and up to max_body_bytes of memory) forever. */
static void
body_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_req *r = arg;
    r->c->close_after = true;
    pl_req_block_text(r, 408, "parser", "request body not received in time");
}

static void
body_complete(struct pl_req *r)
{
    if (r->timer) {
        /* forward.c owns r->timer from here on (with its own callback). */
        event_free(r->timer);
        r->timer = NULL;
    }
    size_t n = evbuffer_get_length(r->body);
    const char *p = n ? (const char *)evbuffer_pullup(r->body, -1) : "";
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    const char *reason = NULL;
    r->body_buffered = true;
    if (n && !p) {
        pl_req_block_text(r, 503, "body_dlp", "request body scan unavailable");
        return;
    }
    int rc = scan_body(r, pl_str_from(p, n), &res, &reason);
    if (rc < 0) {
        /* Unparsable or unscannable: fail closed whatever the action. */
        r->redact_url = true;
        char msg[200];
        snprintf(msg, sizeof(msg), "request body %s", reason ? reason : "cannot be scanned");
        emit_hit(r, "body_dlp", "request body DLP scan hit", NULL, NULL, true);
        pl_req_block_text(r, 403, "body_dlp", msg);
        return;
    }
    size_t quiet = 0;
    const struct pl_dlp_finding *f = pl_urlscan_first_block(&r->pol->us, &res, r->h.target, &quiet);
    if (res.n > quiet) {
        bool block = blocks(r, f);
        emit_hit(r, "body_dlp", "request body DLP scan hit", NULL, &res, block);
        if (block) {
            r->redact_url = true;
            char msg[200];
            snprintf(msg, sizeof(msg), "request body contains secret: %s",
                     pl_dlp_db_name(r->pol->dlp, f->pattern));
            pl_req_block_text(r, 403, "body_dlp", msg);
            return;
        }
    }
    if (pl_req_scan_headers(r))
        return;
    pl_req_after_scans(r);
}

static void
body_fail(struct pl_req *r, int status, const char *scanner, const char *msg)
{
    r->c->close_after = true;
    pl_req_block_text(r, status, scanner, msg);
}

void
pl_req_body_readable(struct pl_req *r)
{
    if (r->state != PL_REQ_BODYSCAN || r->req_body_done)
        return;
    struct evbuffer *in = pl_conn_input(r->c->bev);
    uint64_t max = (uint64_t)r->pol->cfg->request_body_scanning.max_body_bytes;
    while (!r->req_body_done) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
            return;
        if (r->h.body == PL_H1_BODY_LENGTH) {
            size_t n = (size_t)PL_MIN((uint64_t)avail, r->req_left);
            evbuffer_remove_buffer(in, r->body, n);
            r->req_left -= n;
            if (r->req_left == 0)
                r->req_body_done = true;
            continue;
        }
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            return;
        size_t consumed = 0;
        struct pl_str data = PL_STR_NULL;
        int rc = pl_h1_chunked_decode(&r->req_chunk, v.iov_base, v.iov_len, &consumed, &data);
        if (rc < 0) {
            body_fail(r, 400, "parser",
                      rc == -E2BIG ? "chunked request body: limit exceeded"
                                   : "chunked request body: invalid framing");
            return;
        }
        if (data.len) {
            if (evbuffer_get_length(r->body) + data.len > max) {
                body_fail(r, 403, "body_dlp", "request body exceeds max_body_bytes");
                return;
            }
            evbuffer_add(r->body, data.p, data.len);
        }
        evbuffer_drain(in, consumed);
        if (rc == 1)
            r->req_body_done = true;
        else if (consumed == 0)
            return;
    }
    body_complete(r);
}

bool
pl_req_body_begin(struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    const struct pl_h1_request *h = &r->h;
    if (!cfg->request_body_scanning.enabled || r->kind != PL_REQ_FORWARD ||
        h->body == PL_H1_BODY_NONE || (h->body == PL_H1_BODY_LENGTH && h->content_length == 0))
        return false;
    for (size_t i = 0; i < h->n_headers; i++) {
        if (pl_str_eq_ci_c(h->headers[i].name, "Content-Encoding") &&
            !pl_str_eq_ci_c(pl_str_trim_ows(h->headers[i].value), "identity")) {
            body_fail(r, 403, "body_dlp", "compressed request body cannot be scanned");
            return true;
        }
    }
    if (h->body == PL_H1_BODY_LENGTH &&
        h->content_length > (uint64_t)cfg->request_body_scanning.max_body_bytes) {
        body_fail(r, 403, "body_dlp", "request body exceeds max_body_bytes");
        return true;
    }
    r->body = evbuffer_new();
    if (!r->body) {
        body_fail(r, 503, "body_dlp", "request body scan unavailable");
        return true;
    }
    r->state = PL_REQ_BODYSCAN;
    r->req_left = h->content_length;
    r->timer = evtimer_new(r->c->w->w.base, body_timer_cb, r);
    if (r->timer) {
        struct timeval tv = {cfg->fetch_proxy.timeout_seconds, 0};
        evtimer_add(r->timer, &tv);
    }
    /* We read the body now, so the client's "Expect: 100-continue" is ours to answer. */
    for (size_t i = 0; i < h->n_headers; i++) {
        if (pl_str_eq_ci_c(h->headers[i].name, "Expect") &&
            pl_str_eq_ci_c(pl_str_trim_ows(h->headers[i].value), "100-continue")) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            evbuffer_add(pl_conn_output(r->c->bev), cont, sizeof(cont) - 1);
            break;
        }
    }
    pl_req_body_readable(r);
    return true;
}
