#include "obs/audit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "obs/emit.h"
#include "util/time.h"

struct pl_audit {
    int fds[2]; /* -1 when unused; fds[0] stdout, fds[1] file (owned) */
    bool text;
    bool include_allowed;
    bool include_blocked;
    pthread_mutex_t lock;
    _Atomic(struct pl_emit *) emit; /* owned: current sinks, or NULL */
    struct pl_emit *retired;        /* owned: sinks replaced by reloads */
};

#define AUDIT_LINE_MAX (64 * 1024)

int
pl_audit_open(const struct pl_config *cfg, struct pl_audit **ret, char **ret_err)
{
    struct pl_audit *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->fds[0] = a->fds[1] = -1;
    a->text = cfg->logging.format && strcmp(cfg->logging.format, "text") == 0;
    a->include_allowed = cfg->logging.include_allowed;
    a->include_blocked = cfg->logging.include_blocked;
    pthread_mutex_init(&a->lock, NULL);
    if (cfg->logging.output == PL_LOG_OUT_STDOUT || cfg->logging.output == PL_LOG_OUT_BOTH)
        a->fds[0] = STDOUT_FILENO;
    if (cfg->logging.output == PL_LOG_OUT_FILE || cfg->logging.output == PL_LOG_OUT_BOTH) {
        const char *path = cfg->logging.file;
        int fd = path && *path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
        if (fd < 0) {
            int e = path && *path ? errno : EINVAL;
            if (ret_err) {
                char msg[512];
                snprintf(msg, sizeof(msg), "logging.file: cannot open %s: %s",
                         path && *path ? path : "(empty)", strerror(e));
                *ret_err = pl_xstrdup(msg);
            }
            pthread_mutex_destroy(&a->lock);
            free(a);
            return -e;
        }
        a->fds[1] = fd;
    }
    *ret = a;
    return 0;
}

void
pl_audit_set_emit(struct pl_audit *a, struct pl_emit *e)
{
    struct pl_emit *old = atomic_exchange(&a->emit, e);
    pl_emit_retire(old, &a->retired);
}

void
pl_audit_close_emit(struct pl_audit *a, int drain_ms)
{
    if (!a)
        return;
    pl_emit_free(atomic_exchange(&a->emit, NULL), drain_ms);
    pl_emit_free(a->retired, 0);
    a->retired = NULL;
}

void
pl_audit_close(struct pl_audit *a)
{
    if (!a)
        return;
    pl_audit_close_emit(a, 0);
    if (a->fds[1] >= 0)
        close(a->fds[1]);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
pl_audit_begin(struct pl_audit *a, struct pl_audit_event *ev, enum pl_audit_level lvl,
               enum pl_audit_kind kind, const char *event, const char *message)
{
    ev->kind = kind;
    ev->event = event;
    /* include_allowed: false silences allowed events everywhere; include_blocked: false only
     * in the log (blocked events still reach the sinks), as in the reference. */
    bool allowed_off = a && kind == PL_AUDIT_KIND_ALLOWED && !a->include_allowed;
    ev->to_log =
        a != NULL && !allowed_off && !(kind == PL_AUDIT_KIND_BLOCKED && !a->include_blocked);
    ev->to_emit =
        a != NULL && !allowed_off && atomic_load_explicit(&a->emit, memory_order_relaxed) != NULL;
    ev->active = ev->to_log || ev->to_emit;
    pl_buf_init(&ev->buf, AUDIT_LINE_MAX);
    pl_json_init(&ev->j, &ev->buf);
    pl_json_obj_begin(&ev->j);
    if (!ev->active)
        return;
    pl_time_rfc3339(ev->time, sizeof(ev->time));
    pl_json_cstr(&ev->j, "level", level_names[lvl]);
    pl_json_cstr(&ev->j, "time", ev->time);
    pl_json_cstr(&ev->j, "component", "pipelock");
    pl_json_cstr(&ev->j, "event", event);
    pl_json_cstr(&ev->j, "message", message);
}

static void
write_all(struct pl_audit *a, const char *data, size_t len)
{
    pthread_mutex_lock(&a->lock);
    for (int i = 0; i < 2; i++) {
        if (a->fds[i] < 0)
            continue;
        const char *p = data;
        size_t left = len;
        while (left > 0) {
            ssize_t w = write(a->fds[i], p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            p += w;
            left -= (size_t)w;
        }
    }
    pthread_mutex_unlock(&a->lock);
}

#define BATCH_MAX (64 * 1024)

static _Thread_local struct pl_audit_batch *thread_batch;

void
pl_audit_batch_init(struct pl_audit_batch *b, struct pl_audit *a)
{
    b->a = a;
    b->buf = NULL;
    b->len = b->cap = 0;
}

void
pl_audit_batch_flush(struct pl_audit_batch *b)
{
    if (b->len && b->a)
        write_all(b->a, b->buf, b->len);
    b->len = 0;
}

void
pl_audit_batch_done(struct pl_audit_batch *b)
{
    if (!b)
        return;
    pl_audit_batch_flush(b);
    free(b->buf);
    b->buf = NULL;
    b->cap = 0;
}

void
pl_audit_use_batch(struct pl_audit_batch *b)
{
    thread_batch = b;
}

static bool
batch_add(struct pl_audit_batch *b, const char *p, size_t n)
{
    if (b->len + n > BATCH_MAX)
        pl_audit_batch_flush(b);
    if (n > BATCH_MAX)
        return false;
    if (!b->buf) {
        b->buf = malloc(BATCH_MAX);
        if (!b->buf)
            return false;
        b->cap = BATCH_MAX;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
    return true;
}

/*
 * logging.format: text. Render our own flat JSON line as "TIME LVL message key=value ...",
 * like zerolog's console writer. String values stay JSON-escaped (quoted when they hold a space
 * or are empty), so the text form cannot be split or forged either.
 */
static int
to_text(const struct pl_buf *json, struct pl_buf *out)
{
    const char *p = json->data, *end = json->data + json->len;
    struct pl_str time = PL_STR_NULL, level = PL_STR_NULL, msg = PL_STR_NULL;
    struct pl_buf rest;
    int r = 0;
    pl_buf_init(&rest, json->len + 16);
    if (p >= end || *p != '{')
        return -EINVAL;
    p++;
    while (p < end && *p != '}') {
        if (*p == ',')
            p++;
        if (p >= end || *p != '"')
            break;
        const char *k = ++p;
        while (p < end && *p != '"')
            p++;
        struct pl_str key = pl_str_from(k, (size_t)(p - k));
        p += 2; /* '"' ':' */
        const char *v = p;
        bool quoted = p < end && *p == '"';
        if (quoted) {
            p++;
            while (p < end && *p != '"')
                p += (*p == '\\') ? 2 : 1;
            p++;
        } else {
            int depth = 0;
            while (p < end && (depth > 0 || (*p != ',' && *p != '}'))) {
                if (*p == '{' || *p == '[')
                    depth++;
                else if (*p == '}' || *p == ']')
                    depth--;
                else if (*p == '"')
                    for (p++; p < end && *p != '"'; p += (*p == '\\') ? 2 : 1)
                        ;
                p++;
            }
        }
        if (p > end)
            p = end;
        struct pl_str val = pl_str_from(v, (size_t)(p - v));
        struct pl_str inner = quoted && val.len >= 2 ? pl_str_from(v + 1, val.len - 2) : val;
        if (pl_str_eq(key, PL_STR("time"))) {
            time = inner;
        } else if (pl_str_eq(key, PL_STR("level"))) {
            level = inner;
        } else if (pl_str_eq(key, PL_STR("message"))) {
            msg = inner;
        } else if (!pl_str_eq(key, PL_STR("component"))) {
            bool plain = quoted && inner.len > 0 && !memchr(inner.p, ' ', inner.len);
            r |= pl_buf_add_ch(&rest, ' ');
            r |= pl_buf_add_str(&rest, key);
            r |= pl_buf_add_ch(&rest, '=');
            r |= pl_buf_add_str(&rest, plain ? inner : val);
        }
    }
    static const struct {
        const char *name, *abbr;
    } lv[] = {{"debug", "DBG"}, {"info", "INF"}, {"warn", "WRN"}, {"error", "ERR"}};
    const char *abbr = "???";
    for (size_t i = 0; i < PL_ARRAY_SIZE(lv); i++)
        if (pl_str_eq(level, pl_str_c(lv[i].name)))
            abbr = lv[i].abbr;
    r |= pl_buf_add_str(out, time);
    r |= pl_buf_add_ch(out, ' ');
    r |= pl_buf_add_c(out, abbr);
    r |= pl_buf_add_ch(out, ' ');
    r |= pl_buf_add_str(out, msg);
    r |= pl_buf_add_str(out, pl_buf_str(&rest));
    r |= pl_buf_add_ch(out, '\n');
    pl_buf_done(&rest);
    return r ? -E2BIG : 0;
}

void
pl_audit_emit(struct pl_audit *a, struct pl_audit_event *ev)
{
    if (!a || !ev->active) {
        pl_buf_done(&ev->buf);
        return;
    }
    pl_json_obj_end(&ev->j);
    if (ev->to_emit && pl_json_error(&ev->j) == 0) {
        struct pl_emit *e = atomic_load_explicit(&a->emit, memory_order_acquire);
        if (e)
            pl_emit_event(e, ev->event, pl_emit_severity(ev->event, NULL), ev->time, ev->buf.data,
                          ev->buf.len);
    }
    if (!ev->to_log) {
        pl_buf_done(&ev->buf);
        return;
    }
    if (a->text && pl_json_error(&ev->j) == 0) {
        struct pl_buf t;
        pl_buf_init(&t, AUDIT_LINE_MAX + 64);
        if (to_text(&ev->buf, &t) == 0) {
            pl_buf_done(&ev->buf);
            ev->buf = t;
        } else {
            pl_buf_done(&t);
            if (pl_buf_add_ch(&ev->buf, '\n') < 0)
                ev->buf.len = 0;
        }
    } else if (pl_json_error(&ev->j) == 0) {
        if (pl_buf_add_ch(&ev->buf, '\n') < 0)
            ev->buf.len = 0; /* drop a line that cannot be terminated rather than corrupt */
    }
    if (pl_json_error(&ev->j) == 0 && ev->buf.len && ev->buf.data[ev->buf.len - 1] == '\n') {
        struct pl_audit_batch *b = thread_batch;
        if (!b || b->a != a || !batch_add(b, ev->buf.data, ev->buf.len))
            write_all(a, ev->buf.data, ev->buf.len);
    }
    pl_buf_done(&ev->buf);
}

const char *
pl_audit_mitre(const char *scanner)
{
    static const struct {
        const char *scanner;
        const char *technique;
    } map[] = {
        {"dlp", "T1048"},
        {"entropy", "T1048"},
        {"subdomain_entropy", "T1048"},
        {"length", "T1048"},
        {"path_entropy", "T1048"},
        {"env_leak", "T1048"},
        {"body_dlp", "T1048"},
        {"header_dlp", "T1048"},
        {"core_dlp", "T1048"},
        {"databudget", "T1030"},
        {"ratelimit", "T1030"},
        {"ssrf", "T1046"},
        {"core_ssrf", "T1046"},
        {"crlf_injection", "T1190"},
        {"parser", "T1190"},
        {"context", "T1190"},
        {"path_traversal", "T1083"},
        {"blocklist", "T1071.001"},
        {"allowlist", "T1071.001"},
        {"redirect", "T1071.001"},
        {"scheme", "T1071"},
        {"ws_protocol", "T1071"},
        {"response_scan", "T1059"},
        {"policy", "T1059"},
        {"chain_detection", "T1059"},
        {"core_response", "T1059"},
        {"mcp_unknown_tool", "T1195.002"},
        {"session_anomaly", "T1078"},
        {"sni_mismatch", "T1090.004"},
        {"tls_authority_mismatch", "T1090.004"},
        {"tls_intercept", "T1557"},
        {"tls_response_blocked", "T1659"},
        {"tls_handshake_error", "T1573"},
    };
    if (!scanner)
        return NULL;
    for (size_t i = 0; i < PL_ARRAY_SIZE(map); i++)
        if (strcmp(map[i].scanner, scanner) == 0)
            return map[i].technique;
    return NULL;
}

void
pl_audit_redact_url(struct pl_str url, char *buf, size_t size)
{
    /* Keep "scheme://host[:port]" only; everything after the authority is dropped. */
    size_t i = 0;
    size_t end = url.len;
    const char *sep = NULL;
    for (size_t k = 0; k + 2 < url.len; k++) {
        if (url.p[k] == ':' && url.p[k + 1] == '/' && url.p[k + 2] == '/') {
            sep = url.p + k + 3;
            break;
        }
    }
    if (sep) {
        i = (size_t)(sep - url.p);
        while (i < url.len && url.p[i] != '/' && url.p[i] != '?' && url.p[i] != '#')
            i++;
        /* Drop userinfo: it can hold credentials. */
        const char *at = memchr(sep, '@', (size_t)(url.p + i - sep));
        if (at) {
            size_t scheme_len = (size_t)(sep - url.p);
            snprintf(buf, size, "%.*s%.*s/[redacted]", (int)scheme_len, url.p,
                     (int)(url.p + i - at - 1), at + 1);
            return;
        }
        end = i;
    } else {
        end = 0;
    }
    snprintf(buf, size, "%.*s/[redacted]", (int)end, url.p);
}

bool
pl_audit_content_scanner(const char *scanner)
{
    static const char *const list[] = {"dlp",
                                       "body_dlp",
                                       "header_dlp",
                                       "response_scan",
                                       "core_dlp",
                                       "seed_phrase",
                                       "env_leak",
                                       "address_protection",
                                       "mcp_input_scanning",
                                       "cross_request_entropy"};
    for (size_t i = 0; scanner && i < PL_ARRAY_SIZE(list); i++)
        if (!strcmp(scanner, list[i]))
            return true;
    return false;
}
