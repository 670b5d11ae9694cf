/*
 * GET /fetch?url=<target>[&agent=<name>]: the proxy fetches a page for the agent and answers
 * with JSON (reference §2.3): {url, agent, status_code, content_type, title, content, error,
 * blocked, block_reason, hint}.
 *
 * The target goes through the same pipeline as a forward-proxy request (URL scanners, DNS,
 * SSRF, rate limit, header DLP on the agent's own headers, pinned dial); the upstream request
 * is ours: GET with the fetch User-Agent, no header of the agent's. Redirects are followed up
 * to PL_FETCH_MAX_REDIRECTS hops, each hop through the whole pipeline again. The body is
 * collected (decoded when gzip, deflate or br) up to fetch_proxy.max_response_mb; HTML
 * becomes its title and readable text; the title, the text and the page's hidden text are
 * scanned for prompt injection, and the response_scanning action is applied to what the
 * agent would receive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/coding.h"
#include "policy/decide.h"
#include "proxy/proxy_int.h"
#include "scan/decode.h"
#include "scan/html.h"
#include "util/json.h"
#include "util/time.h"

#define PL_FETCH_MAX_REDIRECTS 5
#define PL_FETCH_URL_MAX       (64u << 10) /* canonical target, after escaping */
#define PL_FETCH_NAMES_MAX     400

static const char accept_value[] =
    "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain,*/*;q=0.8";

/* A text of the response that is scanned. */
struct part {
    const char *name; /* "title", "content", "hidden" */
    struct pl_str text;
    bool returned;  /* it is in the reply (title, content): strip rewrites it */
    char *stripped; /* owned: the rewritten text */
    size_t stripped_len;
};

struct pl_fetch {
    struct pl_decoder *dec; /* NULL: identity */
    struct pl_buf body;     /* decoded body */
    uint64_t raw;           /* bytes received as sent (coded) */
    uint64_t max;           /* max_response_mb in bytes */
    int status;             /* upstream status */
    char *ctype;            /* owned copy of the Content-Type value ("" when absent) */
    bool html;
    /* A failure decided inside the decoder's callback, answered once it returned. */
    int fail_status;
    bool fail_blocked;
    char fail_reason[200];
    /* The texts of the complete response, scanned; kept while the operator is asked. */
    struct pl_html_text h;
    struct part parts[3];
    size_t n_parts;
    const char *title;
    struct pl_str content;
    char names[PL_FETCH_NAMES_MAX]; /* patterns found */
    struct pl_hitl_ticket *ticket;  /* the question asked (ask), until answered */
};

void
pl_fetch_free(struct pl_req *r)
{
    struct pl_fetch *fs = r->fs;
    if (fs) {
        pl_hitl_cancel(fs->ticket);
        for (size_t i = 0; i < fs->n_parts; i++)
            free(fs->parts[i].stripped);
        pl_html_text_free(&fs->h);
        pl_decoder_free(fs->dec);
        pl_buf_done(&fs->body);
        free(fs->ctype);
        free(fs);
        r->fs = NULL;
    }
    free(r->fetch_url);
    free(r->fetch_orig);
    r->fetch_url = NULL;
    r->fetch_orig = NULL;
}

/* ------------------------------------------------------------------ replies */

struct reply {
    int status;
    bool url_absent; /* the 400 for a missing url has no url member */
    bool redact;     /* the url carried a finding */
    const char *error;
    bool blocked;
    const char *block_reason;
    const char *hint;
    /* success */
    bool ok;
    const char *title;
    struct pl_str content;
};

/* The display URL: the target percent-decoded until stable (at most 500 rounds). */
static void
display_url(const struct pl_req *r, struct pl_json *j, bool redact)
{
    const char *t = r->fetch_orig ? r->fetch_orig : "";
    if (redact) {
        char red[300];
        pl_audit_redact_url(pl_str_c(t), red, sizeof(red));
        pl_json_cstr(j, "url", red);
        return;
    }
    size_t n = strlen(t);
    char *d = malloc(n + 1);
    int len = d ? pl_decode_percent_iter(pl_str_from(t, n), d, n + 1, false, 500, NULL) : -1;
    pl_json_str(j, "url", len >= 0 ? pl_str_from(d, (size_t)len) : pl_str_from(t, n));
    free(d);
}

static void
send_reply(struct pl_req *r, const struct reply *rp)
{
    struct pl_client *c = r->c;
    const struct pl_fetch *fs = r->fs;
    struct pl_buf b;
    struct pl_json j;
    size_t clen = rp->ok ? rp->content.len : 0;
    pl_buf_init(&b, clen * 6 + (64u << 10));
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    if (!rp->url_absent)
        display_url(r, &j, rp->redact);
    if (r->agent[0] && strcmp(r->agent, "anonymous") != 0)
        pl_json_cstr(&j, "agent", r->agent);
    if (fs && fs->status)
        pl_json_int(&j, "status_code", fs->status);
    if (fs && fs->ctype && fs->ctype[0])
        pl_json_cstr(&j, "content_type", fs->ctype);
    if (rp->ok && rp->title && rp->title[0])
        pl_json_cstr(&j, "title", rp->title);
    if (rp->ok && clen)
        pl_json_str(&j, "content", rp->content);
    if (rp->error)
        pl_json_cstr(&j, "error", rp->error);
    pl_json_bool(&j, "blocked", rp->blocked);
    if (rp->block_reason)
        pl_json_cstr(&j, "block_reason", rp->block_reason);
    if (rp->hint && r->pol->cfg->explain_blocks)
        pl_json_cstr(&j, "hint", rp->hint);
    pl_json_obj_end(&j);
    bool close = !r->req_body_done;
    if (pl_json_error(&j) || pl_buf_add_ch(&b, '\n') < 0) {
        static const char oom[] =
            "{\"error\":\"fetch failed: reply too large\",\"blocked\":true}\n";
        pl_buf_done(&b);
        pl_client_respond(c, 502, "application/json", NULL, oom, sizeof(oom) - 1, close);
        return;
    }
    pl_client_respond(c, rp->status, "application/json", NULL, b.data, b.len, close);
    pl_buf_done(&b);
}

void
pl_fetch_reply_block(struct pl_req *r, const struct pl_verdict *v)
{
    struct reply rp = {.status = v->status ? v->status : 403,
                       .redact = r->redact_url || pl_audit_content_scanner(v->scanner),
                       .blocked = true,
                       .block_reason = v->reason,
                       .hint = v->hint};
    if (r->redirects > 0 && !rp.hint)
        rp.hint = "Request was redirected to a different origin that is blocked; fetch the "
                  "final URL directly if it is legitimate.";
    send_reply(r, &rp);
}

void
pl_fetch_reply_error(struct pl_req *r, int status, const char *text)
{
    static const char fwd[] = "forward proxy fetch failed: ";
    char msg[300];
    if (!strncmp(text, fwd, sizeof(fwd) - 1))
        text += sizeof(fwd) - 1;
    snprintf(msg, sizeof(msg), "fetch failed: %s", text);
    /* Upstream failures (connect, timeout, bad response) are the reference's 502. */
    if (status == 504 || status == 502)
        status = 502;
    struct reply rp = {.status = status, .redact = r->redact_url, .error = msg};
    send_reply(r, &rp);
}

/* A client error before anything was fetched (400, 405). */
static void
reply_client_error(struct pl_req *r, int status, const char *error, bool with_url)
{
    struct reply rp = {.status = status, .url_absent = !with_url, .error = error};
    send_reply(r, &rp);
}

/* ------------------------------------------------------------------ the request */

/* Query parameter value: '+' and %XX decoded (Go's QueryUnescape). With strip, C0 controls
 * (NUL included) and DEL are removed, as the reference strips them from the target before
 * parsing. The length goes to *ret_len (the value may hold NULs without strip). */
static char *
query_unescape(struct pl_str v, bool strip, size_t *ret_len)
{
    char *out = malloc(v.len + 1);
    if (!out)
        return NULL;
    int n = pl_decode_percent(v, out, v.len + 1, true, NULL);
    if (n < 0) {
        free(out);
        return NULL;
    }
    size_t w = 0;
    for (int i = 0; i < n; i++)
        if (!strip || ((unsigned char)out[i] >= 0x20 && out[i] != 0x7f))
            out[w++] = out[i];
    out[w] = '\0';
    *ret_len = w;
    return out;
}

/*
 * The url and agent parameters. When the query has any other parameter, the target is taken
 * as everything after "url=" (the agent did not escape the '&' of the target's own query:
 * the reference's truncation guard).
 */
static int
parse_query(struct pl_str q, char **ret_url, char **ret_agent, size_t *ret_agent_len)
{
    struct pl_str url = PL_STR(""), agent = PL_STR("");
    bool have_url = false, have_agent = false, other = false;
    const char *url_at = NULL;
    if (!q.p)
        q = PL_STR(""); /* no query at all */
    for (size_t i = 0; i <= q.len;) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t end = amp ? (size_t)(amp - q.p) : q.len;
        struct pl_str pair = pl_str_from(q.p + i, end - i);
        const char *eq = memchr(pair.p, '=', pair.len);
        struct pl_str name = eq ? pl_str_from(pair.p, (size_t)(eq - pair.p)) : pair;
        struct pl_str val =
            eq ? pl_str_from(eq + 1, pair.len - name.len - 1) : pl_str_from(pair.p, 0);
        if (pair.len) {
            if (pl_str_eq(name, PL_STR("url"))) {
                if (!have_url) {
                    url = val;
                    url_at = val.p;
                }
                have_url = true;
            } else if (pl_str_eq(name, PL_STR("agent"))) {
                if (!have_agent)
                    agent = val;
                have_agent = true;
            } else {
                other = true;
            }
        }
        if (!amp)
            break;
        i = end + 1;
    }
    if (other && url_at)
        url = pl_str_from(url_at, q.len - (size_t)(url_at - q.p));
    size_t url_len;
    *ret_url = query_unescape(url, true, &url_len);
    *ret_agent = query_unescape(agent, false, ret_agent_len);
    if (!*ret_url || !*ret_agent) {
        free(*ret_url);
        free(*ret_agent);
        return -ENOMEM;
    }
    return 0;
}

/* Surrounding spaces removed in place. */
static void
trim_spaces(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    size_t lead = strspn(s, " ");
    if (lead)
        memmove(s, s + lead, n - lead + 1);
}

/* Is the scheme of s (before ':') http or https, any case? */
static bool
http_scheme(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon)
        return false;
    size_t n = (size_t)(colon - s);
    return (n == 4 && !strncasecmp(s, "http", 4)) || (n == 5 && !strncasecmp(s, "https", 5));
}

/*
 * Make url (canonical, owned) the current hop: parse it, normalise its host. Returns 0 or
 * -EINVAL (url is freed).
 */
static int
set_hop(struct pl_req *r, char *url)
{
    struct pl_url u;
    if (pl_url_parse(pl_str_c(url), &u) < 0 || u.has_userinfo ||
        pl_url_host_normalize(u.host, r->host, sizeof(r->host)) < 0) {
        free(url);
        return -EINVAL;
    }
    free(r->fetch_url);
    r->fetch_url = url;
    r->url = u;
    r->port = u.port;
    return 0;
}

static char *
canonical(struct pl_str in, struct pl_str base)
{
    struct pl_buf b;
    pl_buf_init(&b, PL_FETCH_URL_MAX);
    int e = base.p ? pl_url_resolve(base, in, &b) : pl_url_canonical(in, &b);
    if (e < 0 || !b.data) {
        pl_buf_done(&b);
        return NULL;
    }
    return b.data; /* ownership passes to the caller */
}

/* The url and agent parameters of r's request target (see parse_query). */
static int
request_query(const struct pl_req *r, char **ret_url, char **ret_agent, size_t *ret_agent_len)
{
    struct pl_str t = r->h.target;
    const char *qm = memchr(t.p, '?', t.len);
    struct pl_str q = qm ? pl_str_from(qm + 1, t.len - (size_t)(qm + 1 - t.p)) : PL_STR_NULL;
    return parse_query(q, ret_url, ret_agent, ret_agent_len);
}

void
pl_fetch_redacted_target(const struct pl_req *r, char *buf, size_t size)
{
    char *target = NULL, *agent = NULL;
    size_t agent_len = 0;
    if (request_query(r, &target, &agent, &agent_len) < 0) {
        snprintf(buf, size, "/[redacted]");
        return;
    }
    trim_spaces(target);
    pl_audit_redact_url(pl_str_c(target), buf, size);
    explicit_bzero(target, strlen(target));
    free(target);
    free(agent);
}

void
pl_fetch_start(struct pl_req *r)
{
    r->kind = PL_REQ_FETCH;
    if (!pl_str_eq(r->h.method, PL_STR("GET"))) {
        reply_client_error(r, 405, "only GET allowed", true);
        return;
    }
    char *target = NULL, *agent = NULL;
    size_t agent_len = 0;
    if (request_query(r, &target, &agent, &agent_len) < 0) {
        pl_client_respond(r->c, 503, "text/plain; charset=utf-8", NULL, "out of memory\n", 14,
                          true);
        return;
    }
    /* ?agent= is the last source: header and configured identity come first (§2.13). */
    const struct pl_config *cfg = r->pol->cfg;
    int hi = pl_h1_find_header(r->h.headers, r->h.n_headers, "X-Pipelock-Agent", 0);
    bool header = hi >= 0 && r->h.headers[hi].value.len > 0;
    bool def = cfg->default_agent_identity && cfg->default_agent_identity[0];
    if (!r->agent_bound && !header && !def && agent_len)
        pl_agent_sanitize(pl_str_from(agent, agent_len), r->agent);
    free(agent);
    trim_spaces(target);
    r->fetch_orig = target;
    if (!target[0]) {
        reply_client_error(r, 400, "missing 'url' query parameter", false);
        return;
    }
    if (!http_scheme(target)) {
        reply_client_error(r, 400, "invalid URL: must be http or https", true);
        return;
    }
    char *url = canonical(pl_str_c(target), PL_STR_NULL);
    if (!url || set_hop(r, url) < 0) {
        reply_client_error(r, 400, "invalid URL: cannot parse the target", true);
        return;
    }
    pl_req_resolve_and_dial(r);
}

int
pl_fetch_request_head(struct pl_req *r, struct pl_buf *b)
{
    const struct pl_config *cfg = r->pol->cfg;
    const char *ua = cfg->fetch_proxy.user_agent && cfg->fetch_proxy.user_agent[0]
                         ? cfg->fetch_proxy.user_agent
                         : "Pipelock Fetch/1.0";
    int rc = pl_buf_add_c(b, "GET ");
    rc |= pl_buf_add_str(b, r->url.path_and_query);
    rc |= pl_buf_add_c(b, " HTTP/1.1\r\nHost: ");
    rc |= pl_buf_add_str(b, r->url.authority);
    rc |= pl_buf_printf(b,
                        "\r\nUser-Agent: %s\r\nAccept: %s\r\n"
                        "Accept-Encoding: gzip, deflate, br\r\n\r\n",
                        ua, accept_value);
    return rc ? -E2BIG : 0;
}

void
pl_fetch_hop_passed(struct pl_req *r)
{
    struct pl_audit *audit = r->c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_OTHER, "redirect", "redirect followed");
    if (ev.active) {
        pl_json_cstr(&ev.j, "original_url", r->fetch_orig);
        pl_json_cstr(&ev.j, "redirect_url", r->fetch_url);
        pl_json_cstr(&ev.j, "client_ip", r->c->peer);
        pl_json_cstr(&ev.j, "request_id", r->id);
        pl_json_cstr(&ev.j, "agent", r->agent);
        pl_json_uint(&ev.j, "hop", r->redirects);
    }
    pl_audit_emit(audit, &ev);
}

/* ------------------------------------------------------------------ the response */

static bool
is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Answer a response-side block (oversize, unscannable, injection). */
static void
block(struct pl_req *r, int status, const char *reason)
{
    struct pl_verdict v = {.blocked = true, .status = status, .scanner = "response_scan"};
    snprintf(v.reason, sizeof(v.reason), "%.*s", (int)sizeof(v.reason) - 1, reason);
    r->resp_body = PL_H1_BODY_UNTIL_EOF; /* the upstream connection is not reused */
    r->redirects = 0;                    /* not a redirect block */
    pl_req_block(r, &v);
}

static void
too_large(struct pl_req *r, uint64_t n)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "response size %llu exceeds max_response_mb %d",
             (unsigned long long)n, r->pol->cfg->fetch_proxy.max_response_mb);
    block(r, 502, msg);
}

static int
follow(struct pl_req *r)
{
    const struct pl_h1_response *resp = r->resp;
    int i = pl_h1_find_header(resp->headers, resp->n_headers, "Location", 0);
    r->resp_body = PL_H1_BODY_UNTIL_EOF; /* its body is not read: never pooled */
    if (r->redirects >= PL_FETCH_MAX_REDIRECTS) {
        pl_forward_fail(r, 502, "stopped after 5 redirects");
        return -1;
    }
    char *next = canonical(resp->headers[i].value, pl_str_c(r->fetch_url));
    if (!next || !http_scheme(next)) {
        free(next);
        pl_forward_fail(r, 502, "redirect to an invalid or unsupported location");
        return -1;
    }
    if (set_hop(r, next) < 0) {
        pl_forward_fail(r, 502, "redirect to an invalid location");
        return -1;
    }
    r->redirects++;
    r->redact_url = false;
    pl_forward_restart(r);
    return -1;
}

int
pl_fetch_begin(struct pl_req *r)
{
    const struct pl_h1_response *resp = r->resp;
    const struct pl_config *cfg = r->pol->cfg;
    if (is_redirect(resp->status) &&
        pl_h1_find_header(resp->headers, resp->n_headers, "Location", 0) >= 0)
        return follow(r);
    uint64_t max = (uint64_t)cfg->fetch_proxy.max_response_mb << 20;
    enum pl_coding coding;
    if (pl_resp_coding(resp, &coding) < 0) {
        block(r, 403, "compressed response cannot be scanned");
        return -1;
    }
    struct pl_fetch *fs = calloc(1, sizeof(*fs));
    if (!fs) {
        pl_forward_fail(r, 503, "out of memory");
        return -1;
    }
    r->fs = fs;
    fs->max = max;
    fs->status = resp->status;
    int ci = pl_h1_find_header(resp->headers, resp->n_headers, "Content-Type", 0);
    struct pl_str ct = ci >= 0 ? resp->headers[ci].value : PL_STR("");
    fs->ctype = strndup(ct.p, ct.len);
    pl_buf_init(&fs->body, (size_t)max + 1);
    if (!fs->ctype ||
        (coding != PL_CODING_IDENTITY && !(fs->dec = pl_decoder_new(coding, (size_t)max + 1)))) {
        pl_forward_fail(r, 503, "out of memory");
        return -1;
    }
    struct pl_str bare = pl_str_trim_ows(ct);
    const char *semi = memchr(bare.p, ';', bare.len);
    if (semi)
        bare = pl_str_trim_ows(pl_str_from(bare.p, (size_t)(semi - bare.p)));
    fs->html = pl_str_eq_ci_c(bare, "text/html") || pl_str_eq_ci_c(bare, "application/xhtml+xml");
    if (resp->body == PL_H1_BODY_LENGTH && resp->content_length > max) {
        too_large(r, resp->content_length);
        return -1;
    }
    return 1;
}

static void
fail_later(struct pl_fetch *fs, int status, bool blocked, const char *reason)
{
    if (fs->fail_status)
        return;
    fs->fail_status = status;
    fs->fail_blocked = blocked;
    snprintf(fs->fail_reason, sizeof(fs->fail_reason), "%s", reason);
}

static int
take(struct pl_req *r, const char *p, size_t n)
{
    struct pl_fetch *fs = r->fs;
    if (fs->body.len + n > fs->max) {
        char msg[160];
        snprintf(msg, sizeof(msg), "response size %llu exceeds max_response_mb %d",
                 (unsigned long long)(fs->body.len + n), r->pol->cfg->fetch_proxy.max_response_mb);
        fail_later(fs, 502, true, msg);
        return -ECANCELED;
    }
    if (pl_buf_add(&fs->body, p, n) < 0) {
        fail_later(fs, 503, false, "out of memory");
        return -ECANCELED;
    }
    return 0;
}

static int
decoded_cb(void *ctx, const char *p, size_t n)
{
    return take(ctx, p, n);
}

/* Answer a failure recorded by take() or the decoder. Returns -1. */
static int
answer_failure(struct pl_req *r)
{
    struct pl_fetch *fs = r->fs;
    char reason[sizeof(fs->fail_reason)];
    memcpy(reason, fs->fail_reason, sizeof(reason));
    if (fs->fail_blocked)
        block(r, fs->fail_status, reason);
    else
        pl_forward_fail(r, fs->fail_status, reason);
    return -1;
}

int
pl_fetch_data(struct pl_req *r, const char *p, size_t n)
{
    struct pl_fetch *fs = r->fs;
    fs->raw += n;
    if (fs->raw > fs->max) {
        too_large(r, fs->raw);
        return -1;
    }
    if (!fs->dec) {
        take(r, p, n);
    } else {
        int e = pl_decoder_feed(fs->dec, p, n, decoded_cb, r);
        if (e == -E2BIG)
            fail_later(fs, 502, true, "decoded response exceeds max_response_mb");
        else if (e < 0 && e != -ECANCELED)
            fail_later(fs, 403, true, "compressed response cannot be scanned");
    }
    return fs->fail_status ? answer_failure(r) : 0;
}

/* ------------------------------------------------------------------ scanning the result */

/* Is name one of the comma-separated names in list? */
static bool
listed(const char *list, struct pl_str name)
{
    for (const char *p = list; *p;) {
        const char *comma = strstr(p, ", ");
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == name.len && !memcmp(p, name.p, l))
            return true;
        if (!comma)
            break;
        p = comma + 2;
    }
    return false;
}

/* Append the names of res's findings to names (comma separated, each once). */
static void
add_names(const struct pl_req *r, const struct pl_inject_result *res, char *names, size_t size)
{
    for (size_t i = 0; i < res->n; i++) {
        struct pl_str nm = pl_str_c(pl_inject_name(r->pol->inject, res->m[i].pattern));
        size_t len = strlen(names);
        if (!listed(names, nm) && len + nm.len + 3 < size)
            snprintf(names + len, size - len, "%s" PL_STR_FMT, len ? ", " : "", (int)nm.len, nm.p);
    }
}

static void
log_allowed(struct pl_req *r, size_t size)
{
    struct pl_audit *audit = r->c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_ALLOWED, "allowed", "request allowed");
    if (ev.active) {
        pl_req_audit_fields(r, &ev.j);
        pl_json_int(&ev.j, "status_code", r->fs->status);
        pl_json_uint(&ev.j, "size_bytes", size);
        pl_json_double(&ev.j, "duration_ms", (double)(pl_time_mono_ns() - r->t_start) / 1e6, 3);
    }
    pl_audit_emit(audit, &ev);
    pl_metric_agent_inc(PL_MC_REQ_ALLOWED, r->agent);
    pl_metric_observe(PL_MH_REQUEST_DURATION, pl_time_mono_ns() - r->t_start);
}

/*
 * Rewrite the returned parts with their matches redacted. Returns 0, or -1 when a match
 * cannot be replaced (from a decoded or spaced pass: block) or the scan failed.
 */
static int
strip_parts(struct pl_req *r)
{
    struct pl_fetch *fs = r->fs;
    struct pl_inject_scratch *s = r->c->w->inj;
    for (size_t i = 0; i < fs->n_parts; i++) {
        struct part *pt = &fs->parts[i];
        struct pl_inject_result res;
        if (!pt->returned || !pt->text.len || pt->stripped)
            continue;
        if (pl_inject_scan(r->pol->inject, s, pt->text, &res) < 0)
            return -1;
        pl_resp_apply_suppress(r, &res);
        if (res.n && pl_inject_strip(r->pol->inject, s, &res, &pt->stripped, &pt->stripped_len) < 0)
            return -1;
    }
    return 0;
}

/* Answer 200 with the (possibly stripped) title and content. */
static void
reply_ok(struct pl_req *r)
{
    struct pl_fetch *fs = r->fs;
    const char *title = fs->title;
    struct pl_str content = fs->content;
    for (size_t i = 0; i < fs->n_parts; i++) {
        if (!fs->parts[i].stripped)
            continue;
        if (!strcmp(fs->parts[i].name, "title"))
            title = fs->parts[i].stripped;
        else if (!strcmp(fs->parts[i].name, "content"))
            content = pl_str_from(fs->parts[i].stripped, fs->parts[i].stripped_len);
    }
    log_allowed(r, content.len);
    struct reply rp = {.status = 200, .ok = true, .title = title, .content = content};
    send_reply(r, &rp);
}

static void
block_injection(struct pl_req *r)
{
    char reason[PL_FETCH_NAMES_MAX + 64];
    snprintf(reason, sizeof(reason), "response contains prompt injection: %s", r->fs->names);
    block(r, 403, reason);
}

static void
log_answer(struct pl_req *r, enum pl_hitl_answer a)
{
    struct pl_audit *audit = r->c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_WARN, PL_AUDIT_KIND_OTHER, "hitl_decision",
                   "operator answered");
    if (ev.active) {
        pl_req_audit_fields(r, &ev.j);
        pl_json_cstr(&ev.j, "patterns", r->fs->names);
        pl_json_cstr(&ev.j, "decision",
                     a == PL_HITL_ALLOW   ? "allow"
                     : a == PL_HITL_STRIP ? "strip"
                                          : "block");
    }
    pl_audit_emit(audit, &ev);
}

/* The operator's answer (on this worker's thread). */
static void
answered(void *arg, enum pl_hitl_answer a)
{
    struct pl_req *r = arg;
    r->fs->ticket = NULL; /* the approver frees it */
    log_answer(r, a);
    if (a == PL_HITL_ALLOW) {
        reply_ok(r);
        return;
    }
    if (a == PL_HITL_STRIP && strip_parts(r) == 0) {
        reply_ok(r);
        return;
    }
    block_injection(r);
}

/* Ask the operator; the request waits. Returns 0, or -1 when the question could not be
 * queued (blocked). */
static int
ask(struct pl_req *r, const struct part *pt, size_t at)
{
    struct pl_fetch *fs = r->fs;
    size_t from = at > 40 && at < pt->text.len ? at - 40 : 0;
    struct pl_hitl_question q = {
        .agent = r->agent,
        .url = r->fetch_url,
        .reason = "response contains prompt injection",
        .patterns = fs->names,
        .preview = pl_str_from(pt->text.p + from, pt->text.len - from),
        .timeout_seconds = r->pol->cfg->response_scanning.ask_timeout_seconds,
    };
    fs->ticket = pl_hitl_ask(r->c->w->proxy->hitl, &q, &r->c->w->w, answered, r);
    if (!fs->ticket) {
        block_injection(r);
        return -1;
    }
    return 0;
}

/* Scan the parts and apply the action: the request is answered, or waits for the operator. */
static void
scan_and_answer(struct pl_req *r)
{
    struct pl_fetch *fs = r->fs;
    struct pl_inject_scratch *s = r->c->w->inj;
    bool can_ask = r->c->w->proxy->hitl != NULL;
    enum pl_resp_action act = pl_decide_response(r->pol->cfg, r->host, can_ask);
    const struct part *first = NULL;
    size_t first_at = 0;
    bool must_block = false;
    for (size_t i = 0; i < fs->n_parts; i++) {
        struct part *pt = &fs->parts[i];
        struct pl_inject_result res;
        if (!pt->text.len)
            continue;
        if (pl_inject_scan(r->pol->inject, s, pt->text, &res) < 0) {
            block(r, 403, "response scan failed (fail closed)");
            return;
        }
        pl_resp_apply_suppress(r, &res);
        if (!res.n)
            continue;
        if (!first) {
            first = pt;
            first_at = res.m[0].start;
        }
        add_names(r, &res, fs->names, sizeof(fs->names));
        const char *outcome = act == PL_RESP_WARN  ? "forwarded"
                              : act == PL_RESP_ASK ? "asked"
                                                   : "blocked";
        if (act == PL_RESP_STRIP) {
            if (!pt->returned) {
                outcome = "omitted"; /* hidden text is not in the reply */
            } else if (pl_inject_strip(r->pol->inject, s, &res, &pt->stripped, &pt->stripped_len) ==
                       0) {
                outcome = "stripped";
            } else {
                must_block = true; /* nothing to replace (a decoded or spaced match) */
                outcome = "blocked";
            }
        }
        pl_resp_log_finding(r, &res, "fetch", pt->name,
                            pl_resp_action_name(must_block ? PL_RESP_BLOCK : act), outcome);
    }
    if (!first || act == PL_RESP_WARN || (act == PL_RESP_STRIP && !must_block)) {
        reply_ok(r);
        return;
    }
    if (act == PL_RESP_ASK) {
        ask(r, first, first_at);
        return;
    }
    block_injection(r);
}

int
pl_fetch_end(struct pl_req *r)
{
    struct pl_fetch *fs = r->fs;
    if (fs->dec && pl_decoder_finish(fs->dec) < 0)
        fail_later(fs, 403, true, "compressed response cannot be scanned");
    if (fs->fail_status)
        return answer_failure(r);
    if (r->timer)
        evtimer_del(r->timer);
    r->resp_done = true;
    pl_forward_release_upstream(r);
    pl_req_record_data(r, fs->raw);

    struct pl_str body = pl_buf_str(&fs->body);
    fs->title = "";
    fs->content = body;
    if (fs->html) {
        int hr = pl_html_to_text(body, body.len + 1, &fs->h);
        if (hr == 0) {
            fs->title = fs->h.title;
            fs->content = pl_str_from(fs->h.visible, fs->h.visible_len);
            fs->parts[fs->n_parts++] =
                (struct part){"title", pl_str_from(fs->h.title, fs->h.title_len), true, NULL, 0};
            fs->parts[fs->n_parts++] = (struct part){"content", fs->content, true, NULL, 0};
            fs->parts[fs->n_parts++] = (struct part){
                "hidden", pl_str_from(fs->h.hidden, fs->h.hidden_len), false, NULL, 0};
        } else if (hr != -E2BIG) {
            block(r, 503, "response scan failed (out of memory)");
            return -1;
        }
        /* -E2BIG: too many tags or too deep to parse faithfully: the raw page is the content */
    }
    if (!fs->n_parts)
        fs->parts[fs->n_parts++] = (struct part){"content", body, true, NULL, 0};
    scan_and_answer(r);
    return -1;
}
