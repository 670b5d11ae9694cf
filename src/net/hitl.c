/* The `ask` approver (see hitl.h). */
#include "net/hitl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"
#include "util/time.h"
#include "util/utf8.h"

#define PREVIEW_MAX 200
#define URL_MAX     80

struct pl_hitl_ticket {
    struct pl_hitl_ticket *next;
    struct pl_worker *w;
    pl_hitl_cb cb; /* NULL once cancelled (read and written on w's thread only) */
    void *arg;
    atomic_bool cancelled; /* the approver skips a cancelled question */
    enum pl_hitl_answer answer;
    uint64_t deadline_ns;
    int timeout_seconds;
    char agent[80];
    char url[URL_MAX + 4];
    char reason[200];
    char patterns[300];
    char preview[PREVIEW_MAX + 1];
};

struct pl_hitl {
    int in_fd, out_fd;
    int wake[2]; /* self-pipe: stop the thread while it waits for input */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pl_hitl_ticket *head, *tail;
    bool stop;
    bool eof; /* input closed: every later question is a block */
};

void
pl_hitl_sanitize(struct pl_str in, size_t max, char *out, size_t size)
{
    size_t n = PL_MIN(in.len, max), o = 0;
    bool space = false;
    for (size_t i = 0; i < n && o + 1 < size;) {
        unsigned char ch = (unsigned char)in.p[i];
        uint32_t cp = 0;
        size_t l = ch < 0x80 ? 1 : pl_utf8_decode((const unsigned char *)in.p + i, n - i, &cp);
        bool ok = ch < 0x80 ? (ch >= 0x20 && ch != 0x7f) : (l > 0 && cp >= 0xa0);
        if (!ok || ch == ' ') {
            if (!space && o > 0)
                out[o++] = ' ';
            space = true;
            i += l ? l : 1;
            continue;
        }
        if (o + l + 1 > size)
            break;
        memcpy(out + o, in.p + i, l);
        o += l;
        i += l;
        space = false;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static void say(struct pl_hitl *h, const char *fmt, ...) PL_PRINTF(2, 3);

static void
say(struct pl_hitl *h, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = PL_MIN((size_t)n, sizeof(buf) - 1), off = 0;
    while (off < len) {
        ssize_t k = write(h->out_fd, buf + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        off += (size_t)k;
    }
}

/*
 * Read one answer line until the deadline. Returns the answer; sets h->eof on end of input.
 */
static enum pl_hitl_answer
read_answer(struct pl_hitl *h, uint64_t deadline_ns, bool *timed_out)
{
    char line[64];
    size_t len = 0;
    bool overflow = false;
    *timed_out = false;
    for (;;) {
        uint64_t now = pl_time_mono_ns();
        if (now >= deadline_ns) {
            *timed_out = true;
            return PL_HITL_BLOCK;
        }
        int ms = (int)PL_MIN((deadline_ns - now) / 1000000u + 1, (uint64_t)INT32_MAX);
        struct pollfd p[2] = {{h->in_fd, POLLIN, 0}, {h->wake[0], POLLIN, 0}};
        int r = poll(p, 2, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[1].revents)
            return PL_HITL_BLOCK; /* stopping */
        if (r == 0)
            continue;
        char ch;
        ssize_t k = read(h->in_fd, &ch, 1);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k <= 0) {
            h->eof = true;
            return PL_HITL_BLOCK;
        }
        if (ch == '\n' || ch == '\r')
            break;
        if (len + 1 < sizeof(line))
            line[len++] = ch;
        else
            overflow = true;
    }
    line[len] = '\0';
    if (overflow)
        return PL_HITL_BLOCK;
    struct pl_str a = pl_str_trim_ows(pl_str_from(line, len));
    if (pl_str_eq_ci_c(a, "y") || pl_str_eq_ci_c(a, "yes"))
        return PL_HITL_ALLOW;
    if (pl_str_eq_ci_c(a, "s") || pl_str_eq_ci_c(a, "strip"))
        return PL_HITL_STRIP;
    return PL_HITL_BLOCK;
}

static const char *
answer_name(enum pl_hitl_answer a)
{
    return a == PL_HITL_ALLOW ? "allowed" : a == PL_HITL_STRIP ? "stripped" : "blocked";
}

static void
ask_one(struct pl_hitl *h, struct pl_hitl_ticket *t)
{
    uint64_t now = pl_time_mono_ns();
    t->answer = PL_HITL_BLOCK;
    if (atomic_load(&t->cancelled) || h->eof || now >= t->deadline_ns)
        return;
    tcflush(h->in_fd, TCIFLUSH); /* nothing typed before the question answers it */
    int left = (int)((t->deadline_ns - now + 999999999u) / 1000000000u);
    say(h,
        "\n=== PIPELOCK: THREAT DETECTED ===\nAgent:    %s\nURL:      %s\nReason:   %s\n"
        "Patterns: %s\nPreview:  %s\nAllow (y), Block (N), or Strip (s)? [%ds timeout] ",
        t->agent[0] ? t->agent : "anonymous", t->url, t->reason, t->patterns, t->preview, left);
    bool timed_out;
    t->answer = read_answer(h, t->deadline_ns, &timed_out);
    say(h, "%s-> %s\n", timed_out ? "(timeout) " : "", answer_name(t->answer));
}

static void
deliver(void *arg)
{
    struct pl_hitl_ticket *t = arg;
    if (t->cb)
        t->cb(t->arg, t->answer);
    free(t);
}

static void *
run(void *arg)
{
    struct pl_hitl *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->head && !h->stop)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->stop)
            break;
        struct pl_hitl_ticket *t = h->head;
        h->head = t->next;
        if (!h->head)
            h->tail = NULL;
        pthread_mutex_unlock(&h->mu);
        ask_one(h, t);
        if (pl_worker_post(t->w, deliver, t) < 0)
            pl_warn("hitl: cannot deliver an answer (out of memory)");
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

struct pl_hitl *
pl_hitl_new(int in_fd, int out_fd)
{
    if (!isatty(in_fd))
        return NULL;
    struct pl_hitl *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->in_fd = in_fd;
    h->out_fd = out_fd;
    if (pipe2(h->wake, O_CLOEXEC) < 0) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        close(h->wake[0]);
        close(h->wake[1]);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        free(h);
        return NULL;
    }
    return h;
}

void
pl_hitl_free(struct pl_hitl *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    ssize_t k PL_UNUSED = write(h->wake[1], "x", 1);
    pthread_join(h->thread, NULL);
    while (h->head) {
        struct pl_hitl_ticket *t = h->head;
        h->head = t->next;
        free(t);
    }
    close(h->wake[0]);
    close(h->wake[1]);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

struct pl_hitl_ticket *
pl_hitl_ask(struct pl_hitl *h, const struct pl_hitl_question *q, struct pl_worker *w, pl_hitl_cb cb,
            void *arg)
{
    struct pl_hitl_ticket *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->w = w;
    t->cb = cb;
    t->arg = arg;
    atomic_init(&t->cancelled, false);
    int secs = q->timeout_seconds > 0 ? q->timeout_seconds : 30;
    t->timeout_seconds = secs;
    t->deadline_ns = pl_time_mono_ns() + (uint64_t)secs * 1000000000u;
    pl_hitl_sanitize(pl_str_c(q->agent ? q->agent : ""), 64, t->agent, sizeof(t->agent));
    pl_hitl_sanitize(pl_str_c(q->url ? q->url : ""), URL_MAX, t->url, sizeof(t->url));
    pl_hitl_sanitize(pl_str_c(q->reason ? q->reason : ""), sizeof(t->reason) - 1, t->reason,
                     sizeof(t->reason));
    pl_hitl_sanitize(pl_str_c(q->patterns ? q->patterns : ""), sizeof(t->patterns) - 1, t->patterns,
                     sizeof(t->patterns));
    pl_hitl_sanitize(q->preview, PREVIEW_MAX, t->preview, sizeof(t->preview));
    pthread_mutex_lock(&h->mu);
    if (h->tail)
        h->tail->next = t;
    else
        h->head = t;
    h->tail = t;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return t;
}

void
pl_hitl_cancel(struct pl_hitl_ticket *t)
{
    if (!t)
        return;
    t->cb = NULL;
    atomic_store(&t->cancelled, true);
}
