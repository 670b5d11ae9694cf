/*
 * Response scanning on the forward path: prompt injection in what comes back to the agent,
 * applied before the agent sees the bytes that matched.
 *
 * A textual response (anything but images, audio, video, fonts and archive or executable
 * types) is decoded when it carries a content coding we can decode (gzip, deflate, br; any
 * other coding is refused) and then:
 *   - held whole while it fits in PL_RESP_HOLD bytes: scanned as one text (and, for HTML,
 *     its title, visible and hidden text too), then blocked with a 403, stripped (the body
 *     replaced, validators dropped) or passed with its exact length;
 *   - beyond that, or when it is still incomplete after PL_RESP_HOLD_MS, streamed: scanned in
 *     segments that overlap by PL_RESP_OVERLAP bytes, the last PL_RESP_OVERLAP bytes of each
 *     segment held back until the next scan, so a match up to that long is found before any
 *     of its bytes leave. Unsent bytes never wait longer than PL_RESP_FLUSH_MS (a slow or
 *     streaming response keeps flowing); a match split across such a flush is still found,
 *     with its first part already delivered. A finding cuts the response short (the head is
 *     gone already), and strip becomes a cut too.
 * Decoded bodies go to the client decoded (no Content-Encoding).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/coding.h"
#include "http/sse.h"
#include "policy/decide.h"
#include "proxy/proxy_int.h"
#include "scan/html.h"
#include "scan/suppress.h"
#include "util/json.h"
#include "util/utf8.h"

#define PL_RESP_HOLD     (1u << 20)  /* whole-body scanning up to this many decoded bytes */
#define PL_RESP_SEGMENT  (64u << 10) /* streaming: scan once this much more has arrived */
#define PL_RESP_OVERLAP  (4u << 10)  /* streaming: bytes kept back for the next scan */
#define PL_RESP_HOLD_MS  500         /* a response still incomplete after this starts streaming */
#define PL_RESP_FLUSH_MS 50          /* streaming: unsent bytes wait at most this long */
#define PL_RESP_SSE_TAIL 512         /* SSE: bytes of earlier events scanned with each event */

enum rs_action { RS_WARN = 0, RS_BLOCK, RS_STRIP };

struct pl_respscan {
    struct pl_decoder *dec; /* NULL: identity */
    struct pl_buf win;      /* decoded bytes not sent yet */
    uint64_t total;         /* decoded bytes seen */
    uint64_t max;           /* fetch_proxy.max_response_mb in bytes */
    size_t hold;
    bool streaming; /* the head went out; segments follow */
    bool html;
    bool warned;      /* one warn event per response */
    bool keep_length; /* streaming an undecoded body whose Content-Length stays true */
    /* A failure decided where the request cannot be answered yet (inside the decoder's
     * callback): answered by the entry point once the decoder returned. */
    int fail_status;
    char fail_reason[160];
    char *head;          /* owned copy of the upstream head: r->resp's slices point here */
    size_t win_sent;     /* streaming: win[0, win_sent) is context already sent */
    struct event *timer; /* owned: the latency bound (flush_cb) */
    bool timer_armed;
    /* text/event-stream: events scanned one by one, each with the tail of the ones before */
    bool sse;
    struct pl_sse_parser sp;
    struct pl_buf ev;    /* canonical form of the event being relayed */
    struct pl_buf joint; /* tail + '\n' + this event's text, what is scanned */
    char tail[PL_RESP_SSE_TAIL];
    size_t tail_len;
    uint64_t events;
};

static bool
type_is(struct pl_str t, const char *prefix)
{
    size_t n = strlen(prefix);
    return t.len >= n && !strncasecmp(t.p, prefix, n);
}

/* The media type of the response, lower-case-insensitive, without parameters. */
static struct pl_str
content_type(const struct pl_h1_response *resp)
{
    int i = pl_h1_find_header(resp->headers, resp->n_headers, "Content-Type", 0);
    if (i < 0)
        return PL_STR_NULL;
    struct pl_str v = resp->headers[i].value;
    const char *semi = memchr(v.p, ';', v.len);
    if (semi)
        v.len = (size_t)(semi - v.p);
    return pl_str_trim_ows(v);
}

/* Binary media the agent cannot read as text: passed through unscanned. */
static bool
binary_type(struct pl_str t)
{
    static const char *const top[] = {"image/", "audio/", "video/", "font/"};
    static const char *const app[] = {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
        "application/x-zstd",
        "application/x-7z-compressed",
        "application/pdf",
        "application/wasm",
        "application/x-protobuf",
        "application/protobuf",
        "application/grpc",
        "application/java-archive",
        "application/x-rar",
        "application/vnd.rar",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-apple-diskimage",
        "application/x-iso9660-image",
        "application/vnd.android.package-archive",
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(top); i++)
        if (type_is(t, top[i]))
            return true;
    for (size_t i = 0; i < PL_ARRAY_SIZE(app); i++)
        if (t.len == strlen(app[i]) && type_is(t, app[i]))
            return true;
    return false;
}

static enum rs_action
action_for(const struct pl_req *r)
{
    /* No approver on the forward path: ask is a block, as in the reference. */
    switch (pl_decide_response(r->pol->cfg, r->host, false)) {
    case PL_RESP_WARN:
        return RS_WARN;
    case PL_RESP_STRIP:
        return RS_STRIP;
    default:
        return RS_BLOCK;
    }
}

/* Drop suppressed matches (suppress: rules name a pattern and a URL). */
void
pl_resp_apply_suppress(const struct pl_req *r, struct pl_inject_result *res)
{
    const struct pl_config *cfg = r->pol->cfg;
    if (!cfg->suppress.n || !r->pol->suppress)
        return;
    size_t k = 0;
    for (size_t i = 0; i < res->n; i++) {
        const char *name = pl_inject_name(r->pol->inject, res->m[i].pattern);
        if (!pl_suppress_any(r->pol->suppress, cfg->suppress.n, pl_str_c(name), pl_req_target(r)))
            res->m[k++] = res->m[i];
    }
    if (k == 0 && res->n)
        pl_metric_labelled_inc(PL_ML_RESP_EXEMPT, "suppress",
                               r->kind == PL_REQ_FETCH ? "fetch"
                               : r->rs && r->rs->sse   ? "sse"
                                                       : "forward");
    res->n = k;
}

static const char *
action_name(enum rs_action a)
{
    return a == RS_WARN ? "warn" : a == RS_STRIP ? "strip" : "block";
}

void
pl_resp_log_finding(struct pl_req *r, const struct pl_inject_result *res, const char *transport,
                    const char *part, const char *action, const char *outcome)
{
    struct pl_audit *audit = r->c->w->proxy->audit;
    struct pl_audit_event ev;
    bool warn = !strcmp(action, "warn");
    pl_audit_begin(audit, &ev, PL_AUDIT_WARN, warn ? PL_AUDIT_KIND_OTHER : PL_AUDIT_KIND_BLOCKED,
                   "response_scan", "prompt injection in response");
    if (ev.active) {
        char names[400];
        pl_req_audit_fields(r, &ev.j);
        pl_json_cstr(&ev.j, "transport", transport);
        pl_json_cstr(&ev.j, "action", action);
        pl_json_cstr(&ev.j, "outcome", outcome);
        pl_json_cstr(&ev.j, "patterns", pl_inject_names(r->pol->inject, res, names, sizeof(names)));
        pl_json_uint(&ev.j, "match_count", res->n);
        pl_json_cstr(&ev.j, "pass", pl_inject_pass_name(res->pass));
        pl_json_bool(&ev.j, "core", res->core);
        pl_json_cstr(&ev.j, "part", part);
        pl_json_cstr(&ev.j, "mitre_technique", "T1059");
    }
    pl_audit_emit(audit, &ev);
    pl_metric_labelled_inc(PL_ML_RESP_SCAN, action, transport);
    if (warn && pl_decide_resp_exempt(r->pol->cfg, r->host))
        pl_metric_labelled_inc(PL_ML_RESP_EXEMPT, "exempt_domain", transport);
}

static void
log_finding(struct pl_req *r, const struct pl_inject_result *res, const char *part,
            enum rs_action act, const char *outcome)
{
    pl_resp_log_finding(r, res, "forward", part, action_name(act), outcome);
}

void
pl_resp_free(struct pl_respscan *rs)
{
    if (!rs)
        return;
    pl_decoder_free(rs->dec);
    pl_buf_done(&rs->win);
    free(rs->head);
    if (rs->sse) {
        pl_sse_done(&rs->sp);
        pl_buf_done(&rs->ev);
        pl_buf_done(&rs->joint);
    }
    if (rs->timer)
        event_free(rs->timer);
    free(rs);
}

/* Record the answer (the first one wins); answer() sends it. */
static void
block(struct pl_req *r, int status, const char *scanner, const char *reason)
{
    (void)scanner;
    struct pl_respscan *rs = r->rs;
    if (rs->fail_status)
        return;
    rs->fail_status = status;
    snprintf(rs->fail_reason, sizeof(rs->fail_reason), "%s", reason);
}

/* Send a recorded answer. r is freed; returns -1 for the callers to pass on. */
static int
answer(struct pl_req *r)
{
    struct pl_respscan *rs = r->rs;
    char reason[sizeof(rs->fail_reason)];
    int status = rs->fail_status;
    memcpy(reason, rs->fail_reason, sizeof(reason));
    r->resp_body = PL_H1_BODY_UNTIL_EOF; /* the upstream connection is not reused */
    if (r->resp_head_sent) {
        pl_req_count_block(r, "response_scan");
        pl_forward_fail(r, status, reason); /* cuts the response short */
    } else
        pl_req_block_text(r, status, "response_scan", reason);
    return -1;
}

static bool
valid_utf8(struct pl_str t)
{
    for (size_t i = 0; i < t.len;) {
        uint32_t cp;
        size_t l = pl_utf8_decode((const unsigned char *)t.p + i, t.len - i, &cp);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

static void
log_sse(struct pl_req *r, const char *kind, const char *what, bool blocked)
{
    struct pl_audit *audit = r->c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_WARN, blocked ? PL_AUDIT_KIND_BLOCKED : PL_AUDIT_KIND_OTHER,
                   "response_scan", "finding in event stream");
    if (ev.active) {
        pl_req_audit_fields(r, &ev.j);
        pl_json_cstr(&ev.j, "transport", "sse");
        pl_json_cstr(&ev.j, "action", blocked ? "block" : "warn");
        pl_json_cstr(&ev.j, "outcome", blocked ? "cut" : "forwarded");
        pl_json_cstr(&ev.j, "scanner", kind);
        pl_json_cstr(&ev.j, "patterns", what);
        pl_json_uint(&ev.j, "event", r->rs->events);
    }
    pl_audit_emit(audit, &ev);
    pl_metric_labelled_inc(PL_ML_RESP_SCAN, blocked ? "block" : "warn", "sse");
}

/* An SSE finding: block cuts the stream (returns -1), warn logs and relays (0). */
static int
sse_finding(struct pl_req *r, const char *kind, const char *what)
{
    bool blk =
        pl_decide_sse(r->pol->cfg, r->host, !strcmp(kind, "response_scan")) == PL_DECIDE_BLOCK;
    log_sse(r, kind, what, blk);
    if (blk)
        block(r, 403, "response_scan", "event stream carries a finding");
    return blk ? -1 : 0;
}

/* One parsed item: comments relayed as a bare ':' (keep-alive), events scanned first. */
static int
sse_item(void *ctx, const struct pl_sse_item *it)
{
    struct pl_req *r = ctx;
    struct pl_respscan *rs = r->rs;
    pl_buf_reset(&rs->ev);
    if (it->kind == PL_SSE_EVENT) {
        rs->events++;
        if (pl_sse_serialize(it, &rs->ev) < 0) {
            block(r, 502, "response_scan", "event too large to relay");
            return -ECANCELED;
        }
        if (!valid_utf8(it->data) || !valid_utf8(it->event) || !valid_utf8(it->id)) {
            if (sse_finding(r, "sse_utf8", "invalid UTF-8 in event") < 0)
                return -ECANCELED;
        }
        /* What is scanned: the tail of earlier events, then this one's fields. */
        struct pl_buf *j = &rs->joint;
        pl_buf_reset(j);
        int e = pl_buf_add(j, rs->tail, rs->tail_len);
        if (!e && rs->tail_len)
            e = pl_buf_add_ch(j, '\n');
        size_t start = j->len;
        if (!e && it->event.len)
            e = pl_buf_add_str(j, it->event) || pl_buf_add_ch(j, '\n');
        if (!e && it->has_id && it->id.len)
            e = pl_buf_add_str(j, it->id) || pl_buf_add_ch(j, '\n');
        if (!e)
            e = pl_buf_add_str(j, it->data);
        if (e) {
            block(r, 502, "response_scan", "out of memory scanning an event");
            return -ECANCELED;
        }
        struct pl_inject_result res;
        if (pl_inject_scan(r->pol->inject, r->c->w->inj, pl_buf_str(j), &res) < 0) {
            block(r, 502, "response_scan", "event scan failed");
            return -ECANCELED;
        }
        pl_resp_apply_suppress(r, &res);
        if (res.n) {
            char names[300];
            if (sse_finding(r, "response_scan",
                            pl_inject_names(r->pol->inject, &res, names, sizeof(names))) < 0)
                return -ECANCELED;
        }
        struct pl_dlp_result dres;
        memset(&dres, 0, sizeof(dres));
        int de = pl_dlp_scan_text(r->pol->dlp, r->c->w->dlp, pl_buf_str(j), &dres);
        const struct pl_dlp_finding *f =
            de < 0 ? NULL : pl_dlp_result_first_block(r->pol->dlp, &dres);
        if (de < 0 || f) {
            bool sup =
                f && r->pol->suppress &&
                pl_suppress_any(r->pol->suppress, r->pol->cfg->suppress.n,
                                pl_str_c(pl_dlp_db_name(r->pol->dlp, f->pattern)), r->h.target);
            if (!sup &&
                sse_finding(r, "dlp",
                            de < 0 ? "scan failed" : pl_dlp_db_name(r->pol->dlp, f->pattern)) < 0)
                return -ECANCELED;
        }
        /* Keep the last bytes of this event (not of the old tail) for the next one. */
        size_t n = j->len - start;
        size_t keep = PL_MIN(n, sizeof(rs->tail));
        if (keep < sizeof(rs->tail) && rs->tail_len) {
            size_t old = PL_MIN(rs->tail_len, sizeof(rs->tail) - keep - 1);
            memmove(rs->tail, rs->tail + rs->tail_len - old, old);
            rs->tail[old] = '\n';
            memcpy(rs->tail + old + 1, j->data + j->len - keep, keep);
            rs->tail_len = old + 1 + keep;
        } else {
            memcpy(rs->tail, j->data + j->len - keep, keep);
            rs->tail_len = keep;
        }
    } else if (pl_buf_add_c(&rs->ev, ":\n") < 0) {
        block(r, 502, "response_scan", "out of memory");
        return -ECANCELED;
    }
    pl_forward_body_out(r, rs->ev.data, rs->ev.len);
    return 0;
}

static int
sse_feed(struct pl_req *r, const char *p, size_t n)
{
    struct pl_respscan *rs = r->rs;
    rs->total += n;
    int e = pl_sse_feed(&rs->sp, p, n, sse_item, r);
    if (e == -E2BIG) {
        char msg[120];
        snprintf(msg, sizeof(msg), "event larger than max_event_bytes (%d)",
                 r->pol->cfg->response_scanning.sse_streaming.max_event_bytes);
        if (sse_finding(r, "sse_size", msg) == 0)
            block(r, 403, "response_scan", msg); /* cannot relay it whole: cut even on warn */
    } else if (e < 0 && e != -ECANCELED) {
        block(r, 502, "response_scan", "event stream parse failed");
    }
    return rs->fail_status ? -1 : 0;
}

/* The head goes out at once (decoded, no length); events follow as they are scanned. */
static int
start_sse(struct pl_req *r)
{
    struct pl_respscan *rs = r->rs;
    size_t max = (size_t)r->pol->cfg->response_scanning.sse_streaming.max_event_bytes;
    rs->sse = true;
    rs->streaming = true;
    pl_sse_init(&rs->sp, max);
    pl_buf_init(&rs->ev, max * 2 + 4096);
    pl_buf_init(&rs->joint, max + sizeof(rs->tail) + 4096);
    r->resp_rechunk = r->h.minor_version >= 1;
    if (!r->resp_rechunk)
        r->c->close_after = true;
    if (pl_forward_write_head(
            r, PL_HEAD_DROP_LENGTH | PL_HEAD_DROP_ENCODING | PL_HEAD_DROP_VALIDATORS, NULL) < 0) {
        block(r, 502, "response_scan", "upstream response head too large");
        return -1;
    }
    return 0;
}

/* Copy the response head and point r->resp's slices at the copy. */
static int
keep_head(struct pl_req *r, struct pl_respscan *rs, const char *head, size_t len)
{
    struct pl_h1_response *resp = r->resp;
    if (!(rs->head = malloc(len ? len : 1)))
        return -ENOMEM;
    memcpy(rs->head, head, len);
#define REBASE(s)                                 \
    do {                                          \
        if ((s).p >= head && (s).p <= head + len) \
            (s).p = rs->head + ((s).p - head);    \
    } while (0)
    REBASE(resp->reason);
    for (size_t i = 0; i < resp->n_headers; i++) {
        REBASE(resp->headers[i].name);
        REBASE(resp->headers[i].value);
    }
#undef REBASE
    return 0;
}

int
pl_resp_coding(const struct pl_h1_response *resp, enum pl_coding *ret)
{
    enum pl_coding coding = PL_CODING_IDENTITY;
    for (int i = 0;
         (i = pl_h1_find_header(resp->headers, resp->n_headers, "Content-Encoding", i)) >= 0; i++) {
        enum pl_coding c;
        if (pl_coding_parse(resp->headers[i].value, &c) < 0 ||
            (c != PL_CODING_IDENTITY && coding != PL_CODING_IDENTITY))
            return -ENOTSUP;
        if (c != PL_CODING_IDENTITY)
            coding = c;
    }
    *ret = coding;
    return 0;
}

int
pl_resp_begin(struct pl_req *r, const char *head, size_t head_len)
{
    const struct pl_h1_response *resp = r->resp;
    const struct pl_config *cfg = r->pol->cfg;
    if (resp->body == PL_H1_BODY_NONE ||
        (resp->body == PL_H1_BODY_LENGTH && resp->content_length == 0))
        return 0;
    struct pl_str ct = content_type(resp);
    if (binary_type(ct))
        return 0;
    bool sse = ct.len == strlen("text/event-stream") && type_is(ct, "text/event-stream");
    if (sse && !cfg->response_scanning.sse_streaming.enabled)
        return 0; /* the reference passes it through unscanned */
    enum pl_coding coding;
    if (pl_resp_coding(resp, &coding) < 0) {
        r->resp_body = PL_H1_BODY_UNTIL_EOF; /* never pool it */
        pl_req_block_text(r, 403, "response_scan", "compressed response cannot be scanned");
        return -1;
    }
    struct pl_respscan *rs = calloc(1, sizeof(*rs));
    if (!rs) {
        r->resp_body = PL_H1_BODY_UNTIL_EOF;
        pl_forward_fail(r, 502, "out of memory");
        return -1;
    }
    rs->max = (uint64_t)cfg->fetch_proxy.max_response_mb << 20;
    rs->hold = (size_t)PL_MIN((uint64_t)PL_RESP_HOLD, rs->max);
    rs->html = type_is(ct, "text/html") || type_is(ct, "application/xhtml");
    pl_buf_init(&rs->win, (size_t)PL_MAX((uint64_t)rs->hold, PL_RESP_SEGMENT + PL_RESP_OVERLAP) +
                              PL_RESP_SEGMENT);
    if (coding != PL_CODING_IDENTITY && !(rs->dec = pl_decoder_new(coding, SIZE_MAX))) {
        free(rs);
        r->resp_body = PL_H1_BODY_UNTIL_EOF;
        pl_forward_fail(r, 502, "out of memory");
        return -1;
    }
    if (keep_head(r, rs, head, head_len) < 0) {
        pl_resp_free(rs);
        r->resp_body = PL_H1_BODY_UNTIL_EOF;
        pl_forward_fail(r, 502, "out of memory");
        return -1;
    }
    r->rs = rs;
    if (sse && start_sse(r) < 0)
        return answer(r);
    return 1;
}

/* Scan text as one blob. Returns 0 (clean or warned), 1 (act: block or strip). */
static int
scan_text(struct pl_req *r, struct pl_str text, const char *part, struct pl_inject_result *res,
          enum rs_action *act)
{
    int e = pl_inject_scan(r->pol->inject, r->c->w->inj, text, res);
    if (e < 0) {
        /* fail closed */
        res->n = 0;
        *act = RS_BLOCK;
        return -1;
    }
    pl_resp_apply_suppress(r, res);
    if (!res->n)
        return 0;
    *act = action_for(r);
    if (*act == RS_WARN) {
        if (!r->rs->warned)
            log_finding(r, res, part, *act, "forwarded");
        r->rs->warned = true;
        return 0;
    }
    return 1;
}

/* Head for a held body of len bytes (decoded and/or rewritten: our own Content-Length). */
static int
send_held(struct pl_req *r, const char *body, size_t len, bool rewritten)
{
    char extra[64];
    unsigned drop = PL_HEAD_DROP_LENGTH | PL_HEAD_DROP_ENCODING;
    if (rewritten)
        drop |= PL_HEAD_DROP_VALIDATORS;
    else if (r->rs->dec)
        drop |= PL_HEAD_DROP_VALIDATORS; /* a strong ETag names the encoded bytes */
    snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n", len);
    r->resp_rechunk = false;
    if (pl_forward_write_head(r, drop, extra) < 0) {
        block(r, 502, "response_scan", "upstream response head too large");
        return -1;
    }
    pl_forward_body_out(r, body, len);
    return 0;
}

/* The whole body is held: scan it (and its HTML texts) and answer. */
static int
finish_held(struct pl_req *r)
{
    struct pl_respscan *rs = r->rs;
    struct pl_str body = pl_buf_str(&rs->win);
    struct pl_inject_result res;
    enum rs_action act = RS_WARN;
    int s = scan_text(r, body, "body", &res, &act);
    const char *part = "body";
    if (s == 0 && rs->html) {
        /* What the page shows and hides, with character references decoded. */
        struct pl_html_text h;
        int hr = pl_html_to_text(body, body.len + 1, &h);
        if (hr == 0) {
            struct {
                const char *name;
                struct pl_str t;
            } parts[] = {{"title", pl_str_from(h.title, h.title_len)},
                         {"visible", pl_str_from(h.visible, h.visible_len)},
                         {"hidden", pl_str_from(h.hidden, h.hidden_len)}};
            for (size_t i = 0; i < PL_ARRAY_SIZE(parts) && s == 0; i++) {
                s = scan_text(r, parts[i].t, parts[i].name, &res, &act);
                part = parts[i].name;
            }
            /* A finding outside the raw bytes cannot be stripped from them. */
            if (s > 0 && act == RS_STRIP)
                act = RS_BLOCK;
        } else if (hr != -E2BIG) {
            s = -1; /* out of memory: fail closed */
        }
        pl_html_text_free(&h);
    }
    if (s < 0) {
        block(r, 502, "response_scan", "response scan failed");
        return -1;
    }
    if (s == 0)
        return send_held(r, body.p, body.len, false);
    if (act == RS_STRIP) {
        char *out = NULL;
        size_t out_len = 0;
        if (pl_inject_strip(r->pol->inject, r->c->w->inj, &res, &out, &out_len) == 0) {
            log_finding(r, &res, part, act, "stripped");
            int rc = send_held(r, out, out_len, true);
            free(out);
            return rc;
        }
        act = RS_BLOCK; /* nothing could be replaced: block, as the reference does */
    }
    log_finding(r, &res, part, act, "blocked");
    block(r, 403, "response_scan", "response contains injection");
    return -1;
}

/* Start streaming: the head goes out now, without the body's length when it changes. */
static int
start_stream(struct pl_req *r)
{
    struct pl_respscan *rs = r->rs;
    unsigned drop = PL_HEAD_DROP_VALIDATORS;
    rs->streaming = true;
    rs->keep_length = !rs->dec && r->resp->body == PL_H1_BODY_LENGTH;
    r->resp_rechunk = false;
    if (!rs->keep_length) {
        drop |= PL_HEAD_DROP_LENGTH | PL_HEAD_DROP_ENCODING;
        if (r->h.minor_version >= 1)
            r->resp_rechunk = true;
        else
            r->c->close_after = true; /* HTTP/1.0: the body ends at close */
    } else {
        drop = 0; /* the bytes go out unchanged */
    }
    if (pl_forward_write_head(r, drop, NULL) < 0) {
        block(r, 502, "response_scan", "upstream response head too large");
        return -1;
    }
    return 0;
}

/*
 * Streaming: scan the window (context already sent, then unsent bytes). flush sends every
 * unsent byte (the end of the body, or the latency bound); otherwise all but the last
 * PL_RESP_OVERLAP bytes. The last PL_RESP_OVERLAP bytes stay as context for the next scan.
 */
static int
scan_segment(struct pl_req *r, bool flush)
{
    struct pl_respscan *rs = r->rs;
    struct pl_inject_result res;
    enum rs_action act = RS_WARN;
    if (rs->win.len == rs->win_sent)
        return 0;
    int s = scan_text(r, pl_buf_str(&rs->win), "body", &res, &act);
    if (s < 0) {
        block(r, 502, "response_scan", "response scan failed");
        return -1;
    }
    if (s > 0) {
        log_finding(r, &res, "body", act == RS_STRIP ? RS_BLOCK : act, "cut");
        block(r, 403, "response_scan", "response contains injection");
        return -1;
    }
    size_t cut = flush ? rs->win.len : rs->win.len - PL_MIN((size_t)PL_RESP_OVERLAP, rs->win.len);
    if (cut > rs->win_sent) {
        pl_forward_body_out(r, rs->win.data + rs->win_sent, cut - rs->win_sent);
        rs->win_sent = cut;
    }
    size_t keep = PL_MIN((size_t)PL_RESP_OVERLAP, rs->win.len);
    size_t drop = rs->win.len - keep;
    memmove(rs->win.data, rs->win.data + drop, keep);
    rs->win.len = keep;
    rs->win_sent = rs->win_sent > drop ? rs->win_sent - drop : 0;
    return 0;
}

static int
take_decoded(struct pl_req *r, const char *p, size_t n)
{
    struct pl_respscan *rs = r->rs;
    if (rs->sse)
        return sse_feed(r, p, n);
    while (n) {
        size_t room;
        if (!rs->streaming) {
            room = rs->hold - rs->win.len;
            if (room == 0) {
                if (start_stream(r) < 0)
                    return -1;
                continue;
            }
        } else {
            size_t limit = PL_RESP_SEGMENT + PL_RESP_OVERLAP;
            if (rs->win.len >= limit) {
                if (scan_segment(r, false) < 0)
                    return -1;
                continue;
            }
            room = limit - rs->win.len;
        }
        size_t k = PL_MIN(room, n);
        if (rs->total + k > rs->max) {
            char msg[160];
            snprintf(msg, sizeof(msg), "response larger than max_response_mb (%d MiB)",
                     r->pol->cfg->fetch_proxy.max_response_mb);
            block(r, 502, "response_scan", msg);
            return -1;
        }
        if (pl_buf_add(&rs->win, p, k) < 0) {
            block(r, 502, "response_scan", "out of memory holding the response");
            return -1;
        }
        rs->total += k;
        p += k;
        n -= k;
    }
    return 0;
}

/*
 * The latency bound: bytes held longer than PL_RESP_HOLD_MS (before the head went out) or
 * PL_RESP_FLUSH_MS (while streaming) are scanned and sent, so a slow or streaming response
 * still flows. The timer starts when the first unsent byte arrives, not on every read.
 */
static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct pl_req *r = arg;
    struct pl_respscan *rs = r->rs;
    rs->timer_armed = false;
    if (!rs->streaming && start_stream(r) == 0)
        scan_segment(r, true);
    else if (rs->streaming)
        scan_segment(r, true);
    if (rs->fail_status)
        answer(r);
}

static void
arm_flush(struct pl_req *r)
{
    struct pl_respscan *rs = r->rs;
    if (rs->sse || rs->timer_armed || rs->win.len == rs->win_sent || rs->fail_status)
        return;
    if (!rs->timer && !(rs->timer = evtimer_new(r->c->w->w.base, flush_cb, r)))
        return; /* without a timer the body is still scanned, only later */
    unsigned ms = rs->streaming ? PL_RESP_FLUSH_MS : PL_RESP_HOLD_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(rs->timer, &tv);
    rs->timer_armed = true;
}

static int
decoded_cb(void *ctx, const char *p, size_t n)
{
    return take_decoded(ctx, p, n) < 0 ? -ECANCELED : 0;
}

int
pl_resp_data(struct pl_req *r, const char *p, size_t n)
{
    if (r->fs)
        return pl_fetch_data(r, p, n);
    struct pl_respscan *rs = r->rs;
    if (!rs->dec) {
        take_decoded(r, p, n);
    } else {
        int e = pl_decoder_feed(rs->dec, p, n, decoded_cb, r);
        if (e < 0 && e != -ECANCELED)
            block(r, 403, "response_scan", "compressed response cannot be scanned");
    }
    if (rs->fail_status)
        return answer(r);
    arm_flush(r);
    return 0;
}

int
pl_resp_end(struct pl_req *r)
{
    if (r->fs)
        return pl_fetch_end(r);
    struct pl_respscan *rs = r->rs;
    if (rs->dec && pl_decoder_finish(rs->dec) < 0)
        block(r, 403, "response_scan", "compressed response cannot be scanned");
    else if (rs->sse) {
        if (pl_sse_pending(&rs->sp)) /* the standard drops an unterminated last event */
            log_sse(r, "sse_framing", "unterminated last event dropped", false);
    } else if (!rs->streaming)
        finish_held(r);
    else
        scan_segment(r, true);
    if (rs->timer)
        evtimer_del(rs->timer);
    rs->timer_armed = false;
    return rs->fail_status ? answer(r) : 0;
}
