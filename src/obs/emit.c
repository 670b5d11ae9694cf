/* Webhook and syslog sinks, one thread and one bounded queue each (see emit.h). */
#include "obs/emit.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "obs/metrics.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"

#define WEBHOOK_ATTEMPTS 3
#define PAYLOAD_MAX      (128 * 1024)

enum sink_kind { SINK_WEBHOOK, SINK_SYSLOG };
enum sl_proto { SL_UDP, SL_TCP, SL_UNIX };

struct item {
    char *payload; /* owned JSON */
    size_t len;
    char msgid[33];
    enum pl_emit_sev sev;
};

struct sink {
    enum sink_kind kind;
    const char *name; /* "webhook" | "syslog" (metric label) */
    enum pl_emit_sev min;
    struct pl_emit *e; /* borrowed: owner */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *q; /* ring */
    size_t cap, head, n;
    bool closing;         /* no new events; finish the queue */
    _Atomic bool abandon; /* stop now (drain deadline passed) */
    bool finished;        /* the thread has exited its loop */

    /* webhook */
    char *url;
    char *auth; /* "Authorization: Bearer ..." (secret) */
    long timeout_ms;

    /* syslog */
    enum sl_proto proto;
    bool unix_stream; /* the unix socket is a stream one: frame as on TCP */
    char *host, *port, *path;
    int facility;
    char *tag;
    int fd;
};

struct pl_emit {
    char instance[256];
    char hostname[256];
    struct pl_metrics *metrics;
    struct sink *s[2];
    size_t n;
    struct pl_emit *retired; /* earlier emitters replaced by reloads, freed with this one */
};

/* ---------------------------------------------------------------- severity */

enum pl_emit_sev
pl_emit_severity(const char *event, const char *action)
{
    static const char *const crit[] = {"kill_switch_deny"};
    static const char *const warn[] = {
        "blocked",
        "anomaly",
        "session_anomaly",
        "mcp_unknown_tool",
        "ws_blocked",
        "response_scan",
        "ws_scan",
        "adaptive_escalation",
        "adaptive_upgrade",
        "error",
        "response_scan_exempt",
        "media_exposure",
        "text_stego_detected",
        "chain_detection",
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(crit); i++)
        if (!strcmp(event, crit[i]))
            return PL_EMIT_CRITICAL;
    if (!strcmp(event, "chain_detection") && action && !strcmp(action, "block"))
        return PL_EMIT_CRITICAL;
    for (size_t i = 0; i < PL_ARRAY_SIZE(warn); i++)
        if (!strcmp(event, warn[i]))
            return PL_EMIT_WARN;
    return PL_EMIT_INFO;
}

const char *
pl_emit_sev_name(enum pl_emit_sev s)
{
    return s == PL_EMIT_CRITICAL ? "critical" : s == PL_EMIT_WARN ? "warn" : "info";
}

static enum pl_emit_sev
sev_of(const char *name)
{
    return name && !strcmp(name, "critical") ? PL_EMIT_CRITICAL
           : name && !strcmp(name, "info")   ? PL_EMIT_INFO
                                             : PL_EMIT_WARN;
}

/* ---------------------------------------------------------------- queue */

static void
count(struct sink *s, bool dropped, const char *result)
{
    if (dropped)
        pl_metric_labelled_inc(PL_ML_EMIT_DROPPED, s->name, NULL);
    else
        pl_metric_labelled_inc(PL_ML_EMIT_SENT, s->name, result);
}

void
pl_emit_event(struct pl_emit *e, const char *type, enum pl_emit_sev sev, const char *time,
              const char *line, size_t len)
{
    if (!e)
        return;
    struct pl_buf b;
    bool built = false;
    for (size_t i = 0; i < e->n; i++) {
        struct sink *s = e->s[i];
        if (sev < s->min)
            continue;
        if (!built) {
            pl_buf_init(&b, PAYLOAD_MAX);
            int r = pl_buf_add_c(&b, "{\"severity\":\"");
            r |= pl_buf_add_c(&b, pl_emit_sev_name(sev));
            r |= pl_buf_add_c(&b, "\",\"type\":");
            r |= pl_json_escape(&b, pl_str_c(type));
            r |= pl_buf_add_c(&b, ",\"timestamp\":");
            r |= pl_json_escape(&b, pl_str_c(time));
            r |= pl_buf_add_c(&b, ",\"pipelock_instance\":");
            r |= pl_json_escape(&b, pl_str_c(e->instance));
            r |= pl_buf_add_c(&b, ",\"fields\":");
            r |= pl_buf_add(&b, line, len);
            r |= pl_buf_add_ch(&b, '}');
            if (r) {
                pl_buf_done(&b);
                count(s, true, NULL);
                continue;
            }
            built = true;
        }
        char *copy = malloc(b.len);
        pthread_mutex_lock(&s->mu);
        if (!copy || s->closing || s->n == s->cap) {
            pthread_mutex_unlock(&s->mu);
            free(copy);
            count(s, true, NULL);
            continue;
        }
        memcpy(copy, b.data, b.len);
        struct item *it = &s->q[(s->head + s->n) % s->cap];
        *it = (struct item){.payload = copy, .len = b.len, .sev = sev};
        snprintf(it->msgid, sizeof(it->msgid), "%s", type);
        s->n++;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    if (built)
        pl_buf_done(&b);
}

/* Wait up to ms unless told to stop. Returns false when abandoned. */
static bool
nap(struct sink *s, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->abandon && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
        ;
    bool ok = !s->abandon;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* ---------------------------------------------------------------- webhook */

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static int
abort_cb(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    struct sink *s = arg;
    return atomic_load_explicit(&s->abandon, memory_order_relaxed) ? 1 : 0;
}

static void
webhook_send(struct sink *s, CURL *h, struct curl_slist *hdrs, const struct item *it)
{
    static _Atomic uint64_t last_warn_ns;
    long status = 0;
    CURLcode rc = CURLE_OK;
    for (int attempt = 0; attempt < WEBHOOK_ATTEMPTS; attempt++) {
        if (attempt > 0 && !nap(s, 1000 << (attempt - 1)))
            break;
        curl_easy_setopt(h, CURLOPT_URL, s->url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, it->payload);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)it->len);
        rc = curl_easy_perform(h);
        status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status >= 200 && status < 300) {
            count(s, false, "sent");
            return;
        }
        bool retry = rc != CURLE_OK || status == 429 || status >= 500;
        if (!retry)
            break;
    }
    count(s, true, NULL);
    /* One line every 10 s at most: a dead receiver must not flood stderr. */
    uint64_t now = pl_time_mono_ns();
    if (now - atomic_load(&last_warn_ns) > 10ull * 1000000000ull) {
        atomic_store(&last_warn_ns, now);
        if (rc != CURLE_OK)
            pl_warn("emit webhook: delivery failed: %s (event dropped)", curl_easy_strerror(rc));
        else
            pl_warn("emit webhook: receiver answered %ld (event dropped)", status);
    }
}

/* ---------------------------------------------------------------- syslog */

static void
sl_close(struct sink *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static bool stream_framing(const struct sink *s);

/* A stream peer that closed is only noticed by the second write after it (the first one is
 * accepted locally): look before writing, so the event goes on a fresh connection instead. */
static void
sl_check_peer(struct sink *s)
{
    if (s->fd < 0 || !stream_framing(s))
        return;
    char c;
    ssize_t n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        close(s->fd);
        s->fd = -1;
    }
}

static int
sl_connect(struct sink *s)
{
    sl_check_peer(s);
    if (s->fd >= 0)
        return 0;
    if (s->proto == SL_UNIX) {
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        snprintf(un.sun_path, sizeof(un.sun_path), "%s", s->path);
        /* /dev/log is a datagram socket; some daemons listen with a stream one. */
        for (int type = SOCK_DGRAM;; type = SOCK_STREAM) {
            int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
            if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0) {
                s->fd = fd;
                s->unix_stream = type == SOCK_STREAM;
                return 0;
            }
            if (fd >= 0)
                close(fd);
            if (type == SOCK_STREAM)
                return -errno;
        }
    }
    struct addrinfo hints = {.ai_socktype = s->proto == SL_TCP ? SOCK_STREAM : SOCK_DGRAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(s->host, s->port, &hints, &res) != 0 || !res)
        return -EHOSTUNREACH;
    int err = -ECONNREFUSED;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            s->fd = fd;
            err = 0;
            break;
        }
        err = -errno;
        close(fd);
    }
    freeaddrinfo(res);
    return err;
}

static bool
stream_framing(const struct sink *s)
{
    return s->proto == SL_TCP || (s->proto == SL_UNIX && s->unix_stream);
}

static void
syslog_send(struct sink *s, const struct item *it)
{
    static const int sev_code[] = {[PL_EMIT_INFO] = 6, [PL_EMIT_WARN] = 4, [PL_EMIT_CRITICAL] = 2};
    char ts[40], head[512];
    pl_time_rfc3339(ts, sizeof(ts));
    /* RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG */
    int hl =
        snprintf(head, sizeof(head), "<%d>1 %s %s %s %d %s - ", s->facility * 8 + sev_code[it->sev],
                 ts, s->e->hostname, s->tag, (int)getpid(), it->msgid[0] ? it->msgid : "-");
    for (int attempt = 0; attempt < 2; attempt++) {
        if (sl_connect(s) < 0) {
            if (attempt == 0 && nap(s, 200))
                continue;
            break;
        }
        char frame[24] = "";
        int fl = stream_framing(s)
                     ? snprintf(frame, sizeof(frame), "%zu ", (size_t)hl + it->len) /* RFC 6587 */
                     : 0;
        struct iovec iov[3] = {{frame, (size_t)fl}, {head, (size_t)hl}, {it->payload, it->len}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 3};
        size_t want = (size_t)fl + (size_t)hl + it->len;
        ssize_t w = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
        if (w == (ssize_t)want) {
            count(s, false, "sent");
            return;
        }
        sl_close(s); /* a short or failed write on a stream: reconnect and resend whole */
    }
    count(s, true, NULL);
}

/* ---------------------------------------------------------------- threads */

static void *
sink_main(void *arg)
{
    struct sink *s = arg;
    pl_metrics_use(s->e->metrics, -1);
    CURL *h = NULL;
    struct curl_slist *hdrs = NULL;
    if (s->kind == SINK_WEBHOOK) {
        h = curl_easy_init();
        hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        if (s->auth)
            hdrs = curl_slist_append(hdrs, s->auth);
        if (h) {
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
            /* Our own events go straight to the receiver, never through a proxy from the
             * environment (which could be this very process). */
            curl_easy_setopt(h, CURLOPT_PROXY, "");
            curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
            curl_easy_setopt(h, CURLOPT_USERAGENT, "pipelock-emit");
            curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_cb);
            curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
            curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        }
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->n == 0 && !s->closing && !s->abandon)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->abandon || s->n == 0) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        struct item it = s->q[s->head];
        s->head = (s->head + 1) % s->cap;
        s->n--;
        pthread_mutex_unlock(&s->mu);
        if (s->kind == SINK_WEBHOOK && h)
            webhook_send(s, h, hdrs, &it);
        else if (s->kind == SINK_SYSLOG)
            syslog_send(s, &it);
        else
            count(s, true, NULL);
        free(it.payload);
    }
    /* Whatever is left after an abandon is dropped, and counted. */
    pthread_mutex_lock(&s->mu);
    while (s->n) {
        free(s->q[s->head].payload);
        s->head = (s->head + 1) % s->cap;
        s->n--;
        count(s, true, NULL);
    }
    s->finished = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (h)
        curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    if (s->kind == SINK_SYSLOG)
        sl_close(s);
    pl_metrics_use(NULL, 0);
    return NULL;
}

static void
sink_free(struct sink *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->q);
    free(s->url);
    if (s->auth) {
        explicit_bzero(s->auth, strlen(s->auth));
        free(s->auth);
    }
    free(s->host);
    free(s->port);
    free(s->path);
    free(s->tag);
    free(s);
}

static struct sink *
sink_new(struct pl_emit *e, enum sink_kind kind, enum pl_emit_sev min, size_t cap)
{
    struct sink *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->kind = kind;
    s->name = kind == SINK_WEBHOOK ? "webhook" : "syslog";
    s->min = min;
    s->e = e;
    s->fd = -1;
    s->cap = cap ? cap : 64;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->q = calloc(s->cap, sizeof(*s->q));
    if (!s->q) {
        sink_free(s);
        return NULL;
    }
    return s;
}

static const char *const facilities[] = {"kern",   "user", "mail", "daemon", "auth",
                                         "syslog", "lpr",  "news", "uucp",   "cron"};

static int
facility_code(const char *f)
{
    if (f && !strncmp(f, "local", 5) && f[5] >= '0' && f[5] <= '7' && !f[6])
        return 16 + (f[5] - '0');
    for (size_t i = 0; f && i < PL_ARRAY_SIZE(facilities); i++)
        if (!strcmp(f, facilities[i]))
            return (int)i;
    return 16;
}

/* "udp://host:port" / "tcp://[v6]:port" / "unix:///path" into s. */
static int
parse_syslog(struct sink *s, const char *addr)
{
    if (!strncmp(addr, "unix://", 7)) {
        s->proto = SL_UNIX;
        s->path = strdup(addr + 7);
        return s->path ? 0 : -ENOMEM;
    }
    s->proto = !strncmp(addr, "tcp://", 6) ? SL_TCP : SL_UDP;
    struct pl_str host;
    uint16_t port;
    if (pl_config_split_listen(pl_str_c(addr + 6), &host, &port) < 0 || !host.len)
        return -EINVAL;
    char pbuf[8];
    snprintf(pbuf, sizeof(pbuf), "%u", port);
    s->host = pl_xstrndup(host.p, host.len);
    s->port = strdup(pbuf);
    return s->port ? 0 : -ENOMEM;
}

static void
curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
start_fail(struct pl_emit *e, char **ret_err, const char *msg)
{
    *ret_err = pl_xstrdup(msg);
    pl_emit_free(e, 0);
}

int
pl_emit_new(const struct pl_config *cfg, struct pl_metrics *metrics, struct pl_emit **ret,
            char **ret_err)
{
    *ret = NULL;
    const char *url = cfg->emit.webhook.url, *addr = cfg->emit.syslog.address;
    bool wh = url && *url, sl = addr && *addr;
    if (!wh && !sl)
        return 0;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    struct pl_emit *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->metrics = metrics;
    if (gethostname(e->hostname, sizeof(e->hostname) - 1) < 0 || !e->hostname[0])
        snprintf(e->hostname, sizeof(e->hostname), "pipelock");
    const char *id = cfg->emit.instance_id;
    snprintf(e->instance, sizeof(e->instance), "%s", id && *id ? id : e->hostname);
    if (wh) {
        struct sink *s = sink_new(e, SINK_WEBHOOK, sev_of(cfg->emit.webhook.min_severity),
                                  (size_t)cfg->emit.webhook.queue_size);
        if (!s) {
            pl_emit_free(e, 0);
            return -ENOMEM;
        }
        e->s[e->n++] = s;
        s->url = pl_xstrdup(url);
        s->timeout_ms = (long)cfg->emit.webhook.timeout_seconds * 1000L;
        const char *tok = cfg->emit.webhook.auth_token;
        if (tok && *tok) {
            size_t n = strlen(tok) + 32;
            s->auth = malloc(n);
            if (!s->auth) {
                pl_emit_free(e, 0);
                return -ENOMEM;
            }
            snprintf(s->auth, n, "Authorization: Bearer %s", tok);
        }
    }
    if (sl) {
        struct sink *s = sink_new(e, SINK_SYSLOG, sev_of(cfg->emit.syslog.min_severity), 256);
        if (!s) {
            pl_emit_free(e, 0);
            return -ENOMEM;
        }
        e->s[e->n++] = s;
        s->facility = facility_code(cfg->emit.syslog.facility);
        s->tag = pl_xstrdup(cfg->emit.syslog.tag && *cfg->emit.syslog.tag ? cfg->emit.syslog.tag
                                                                          : "pipelock");
        if (parse_syslog(s, addr) < 0) {
            start_fail(e, ret_err, "emit.syslog.address: cannot be parsed");
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < e->n; i++) {
        if (pthread_create(&e->s[i]->thread, NULL, sink_main, e->s[i]) != 0) {
            start_fail(e, ret_err, "emit: cannot start a sink thread");
            return -ENOMEM;
        }
        e->s[i]->started = true;
    }
    *ret = e;
    return 0;
}

static bool
same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

bool
pl_emit_config_equal(const struct pl_config *a, const struct pl_config *b)
{
    const typeof(a->emit) *x = &a->emit, *y = &b->emit;
    return same(x->instance_id, y->instance_id) && same(x->webhook.url, y->webhook.url) &&
           same(x->webhook.min_severity, y->webhook.min_severity) &&
           same(x->webhook.auth_token, y->webhook.auth_token) &&
           x->webhook.timeout_seconds == y->webhook.timeout_seconds &&
           x->webhook.queue_size == y->webhook.queue_size &&
           same(x->syslog.address, y->syslog.address) &&
           same(x->syslog.min_severity, y->syslog.min_severity) &&
           same(x->syslog.facility, y->syslog.facility) && same(x->syslog.tag, y->syslog.tag);
}

static void
close_sinks(struct pl_emit *e)
{
    for (size_t i = 0; i < e->n; i++) {
        struct sink *s = e->s[i];
        pthread_mutex_lock(&s->mu);
        s->closing = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

void
pl_emit_retire(struct pl_emit *e, struct pl_emit **chain)
{
    if (!e)
        return;
    close_sinks(e);
    e->retired = *chain;
    *chain = e;
}

void
pl_emit_free(struct pl_emit *e, int drain_ms)
{
    if (!e)
        return;
    close_sinks(e);
    uint64_t deadline = pl_time_mono_ns() + (uint64_t)(drain_ms > 0 ? drain_ms : 0) * 1000000u;
    for (size_t i = 0; i < e->n; i++) {
        struct sink *s = e->s[i];
        if (!s->started)
            continue;
        /* Wait for the queue to empty until the deadline, then abandon what is left. */
        for (;;) {
            pthread_mutex_lock(&s->mu);
            bool done = s->finished;
            if (!done && pl_time_mono_ns() >= deadline) {
                atomic_store(&s->abandon, true);
                pthread_cond_broadcast(&s->cv);
            }
            pthread_mutex_unlock(&s->mu);
            if (done || s->abandon)
                break;
            usleep(10000);
        }
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < e->n; i++)
        sink_free(e->s[i]);
    pl_emit_free(e->retired, 0);
    free(e);
}
