#include "net/conn.h"

#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/time.h"

#define READ_CHUNK        (64 * 1024)
#define DEFAULT_READ_HIGH (256 * 1024)

struct pl_conn {
    struct pl_conn_loop *loop; /* borrowed */
    evutil_socket_t fd;        /* owned */
    struct event *ev;          /* owned: EV_READ|EV_WRITE|EV_CLOSED|EV_PERSIST|EV_ET */
    struct event *timer;       /* owned, created on first use */
    struct evbuffer *in;       /* owned */
    struct evbuffer *out;      /* owned */
    pl_conn_cb read_cb;
    pl_conn_cb write_cb;
    pl_conn_event_cb event_cb;
    void *arg;
    size_t read_high;
    size_t write_low;
    int read_idle;
    int write_stall;
    int connect_timeout;
    uint64_t last_read_ns;
    uint64_t last_write_ns;
    uint64_t connect_start_ns;
    bool read_enabled;
    bool can_read;    /* edge seen and not yet drained */
    bool can_write;   /* last write did not hit EAGAIN */
    bool peer_closed; /* EPOLLRDHUP: read until 0 */
    bool connecting;
    bool eof;
    bool dead;
    bool dirty;
    bool want_read_cb;
    bool shut_pending;
    bool shut_done;
    struct pl_conn *next_dirty;
    struct pl_conn *next_dead;
};

static void on_event(evutil_socket_t fd, short what, void *arg);
static void flush_cb(evutil_socket_t fd, short what, void *arg);

int
pl_conn_loop_init(struct pl_conn_loop *l, struct event_base *base)
{
    memset(l, 0, sizeof(*l));
    l->base = base;
    l->flush_ev = event_new(base, -1, 0, flush_cb, l);
    if (!l->flush_ev)
        return -ENOMEM;
    event_priority_set(l->flush_ev, 2);
    return 0;
}

static void
release(struct pl_conn *c)
{
    if (c->timer)
        event_free(c->timer);
    if (c->ev)
        event_free(c->ev);
    if (c->fd >= 0)
        close(c->fd);
    evbuffer_free(c->in);
    evbuffer_free(c->out);
    free(c);
}

void
pl_conn_loop_done(struct pl_conn_loop *l)
{
    pl_conn_loop_flush(l);
    if (l->flush_ev)
        event_free(l->flush_ev);
    l->flush_ev = NULL;
}

static void
schedule_flush(struct pl_conn_loop *l)
{
    if (l->flush_ev)
        event_active(l->flush_ev, EV_TIMEOUT, 0);
}

static void
mark_dirty(struct pl_conn *c)
{
    if (c->dirty || c->dead)
        return;
    c->dirty = true;
    c->next_dirty = c->loop->dirty;
    c->loop->dirty = c;
    schedule_flush(c->loop);
}

static void
out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    if (info->n_added > 0)
        mark_dirty(arg);
}

static void arm_timer(struct pl_conn *c);

/*
 * Input drained: if reading stopped at the high watermark with data still in the socket, no new
 * edge will come for it, so schedule a read ourselves.
 */
static void
in_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct pl_conn *c = arg;
    if (info->n_deleted > 0 && c->can_read && c->read_enabled && !c->eof && !c->dead && c->ev &&
        evbuffer_get_length(buf) < c->read_high)
        event_active(c->ev, EV_READ, 0);
}

struct pl_conn *
pl_conn_new(struct pl_conn_loop *l, evutil_socket_t fd)
{
    struct pl_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = l;
    c->fd = -1;
    c->in = evbuffer_new();
    c->out = evbuffer_new();
    if (!c->in || !c->out)
        goto fail;
    c->read_high = DEFAULT_READ_HIGH;
    evbuffer_add_cb(c->out, out_cb, c);
    evbuffer_add_cb(c->in, in_cb, c);
    if (fd >= 0) {
        c->ev = event_new(l->base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET,
                          on_event, c);
        if (!c->ev || event_add(c->ev, NULL) < 0)
            goto fail;
        c->fd = fd;
        c->can_write = true;
    }
    c->last_read_ns = c->last_write_ns = pl_time_mono_ns();
    return c;
fail:
    if (c->ev)
        event_free(c->ev);
    if (c->in)
        evbuffer_free(c->in);
    if (c->out)
        evbuffer_free(c->out);
    free(c);
    return NULL;
}

void
pl_conn_setcb(struct pl_conn *c, pl_conn_cb read_cb, pl_conn_cb write_cb, pl_conn_event_cb event_cb,
              void *arg)
{
    c->read_cb = read_cb;
    c->write_cb = write_cb;
    c->event_cb = event_cb;
    c->arg = arg;
}

int
pl_conn_connect(struct pl_conn *c, const struct sockaddr *sa, socklen_t len, int timeout_seconds)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    c->ev = event_new(c->loop->base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET,
                      on_event, c);
    if (!c->ev || event_add(c->ev, NULL) < 0) {
        if (c->ev)
            event_free(c->ev);
        c->ev = NULL;
        close(fd);
        return -ENOMEM;
    }
    c->fd = fd;
    c->connecting = true;
    c->connect_timeout = timeout_seconds;
    c->connect_start_ns = pl_time_mono_ns();
    arm_timer(c);
    return 0;
}

void
pl_conn_free(struct pl_conn *c)
{
    if (!c || c->dead)
        return;
    c->dead = true;
    if (c->ev)
        event_del(c->ev);
    if (c->timer)
        event_del(c->timer);
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->next_dead = c->loop->dead;
    c->loop->dead = c;
    schedule_flush(c->loop);
}

struct evbuffer *
pl_conn_input(struct pl_conn *c)
{
    return c->in;
}

struct evbuffer *
pl_conn_output(struct pl_conn *c)
{
    return c->out;
}

evutil_socket_t
pl_conn_fd(const struct pl_conn *c)
{
    return c->fd;
}

void
pl_conn_enable_read(struct pl_conn *c)
{
    if (c->read_enabled || c->dead)
        return;
    c->read_enabled = true;
    c->last_read_ns = pl_time_mono_ns();
    arm_timer(c);
    if (c->can_read && c->ev)
        event_active(c->ev, EV_READ, 0);
}

void
pl_conn_disable_read(struct pl_conn *c)
{
    c->read_enabled = false;
}

void
pl_conn_set_read_high(struct pl_conn *c, size_t high)
{
    c->read_high = high ? high : DEFAULT_READ_HIGH;
}

void
pl_conn_set_write_low(struct pl_conn *c, size_t low)
{
    c->write_low = low;
}

void
pl_conn_trigger_read(struct pl_conn *c)
{
    if (c->dead || !c->ev)
        return;
    c->want_read_cb = true;
    event_active(c->ev, EV_READ, 0);
}

void
pl_conn_shutdown_write(struct pl_conn *c)
{
    if (c->dead || c->shut_done)
        return;
    c->shut_pending = true;
    if (evbuffer_get_length(c->out) == 0 && c->fd >= 0) {
        shutdown(c->fd, SHUT_WR);
        c->shut_done = true;
    } else {
        mark_dirty(c);
    }
}

/* ------------------------------------------------------------------ timers */

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_conn *c = arg;
    uint64_t now = pl_time_mono_ns();
    bool fire = false;
    if (c->connecting) {
        fire = c->connect_timeout > 0 &&
               now - c->connect_start_ns >= (uint64_t)c->connect_timeout * 1000000000u;
    } else {
        if (c->read_idle > 0 && c->read_enabled &&
            now - c->last_read_ns >= (uint64_t)c->read_idle * 1000000000u)
            fire = true;
        if (c->write_stall > 0 && evbuffer_get_length(c->out) > 0 &&
            now - c->last_write_ns >= (uint64_t)c->write_stall * 1000000000u)
            fire = true;
    }
    if (fire) {
        if (c->event_cb)
            c->event_cb(c, PL_CONN_TIMEOUT, c->arg);
        return;
    }
    arm_timer(c);
}

static void
arm_timer(struct pl_conn *c)
{
    uint64_t now = pl_time_mono_ns();
    uint64_t at = UINT64_MAX;
    if (c->dead)
        return;
    if (c->connecting && c->connect_timeout > 0) {
        at = c->connect_start_ns + (uint64_t)c->connect_timeout * 1000000000u;
    } else {
        if (c->read_idle > 0 && c->read_enabled)
            at = PL_MIN(at, c->last_read_ns + (uint64_t)c->read_idle * 1000000000u);
        if (c->write_stall > 0)
            at = PL_MIN(at, PL_MAX(c->last_write_ns, now) + (uint64_t)c->write_stall * 1000000000u);
    }
    if (at == UINT64_MAX) {
        if (c->timer)
            event_del(c->timer);
        return;
    }
    if (!c->timer) {
        c->timer = evtimer_new(c->loop->base, timer_cb, c);
        if (!c->timer)
            return;
    }
    /* Lazily re-checked: activity moves the deadline without touching the timer heap. */
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = {(time_t)(d / 1000000000u), (suseconds_t)((d % 1000000000u) / 1000)};
    if (!evtimer_pending(c->timer, NULL))
        evtimer_add(c->timer, &tv);
}

void
pl_conn_set_timeouts(struct pl_conn *c, int read_idle, int write_stall)
{
    c->read_idle = read_idle;
    c->write_stall = write_stall;
    c->last_read_ns = c->last_write_ns = pl_time_mono_ns();
    if (c->timer)
        event_del(c->timer);
    arm_timer(c);
}

/* ------------------------------------------------------------------ I/O */

static void
fail(struct pl_conn *c, short what)
{
    c->can_read = false;
    if (c->event_cb)
        c->event_cb(c, what, c->arg);
}

/* Write as much output as the socket takes. Returns false if the conn failed. */
static bool
do_write(struct pl_conn *c)
{
    size_t before = evbuffer_get_length(c->out);
    while (c->can_write && evbuffer_get_length(c->out) > 0 && !c->dead) {
        int n = evbuffer_write(c->out, c->fd);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->can_write = false;
                break;
            }
            if (errno == EINTR)
                continue;
            fail(c, PL_CONN_ERROR);
            return false;
        }
        if (n == 0)
            break;
        c->last_write_ns = pl_time_mono_ns();
    }
    size_t after = evbuffer_get_length(c->out);
    if (after == 0 && c->shut_pending && !c->shut_done && c->fd >= 0) {
        shutdown(c->fd, SHUT_WR);
        c->shut_done = true;
    }
    if (after > 0 && c->write_stall > 0)
        arm_timer(c);
    if (after < before && after <= c->write_low && c->write_cb && !c->dead)
        c->write_cb(c, c->arg);
    return true;
}

static void
do_read(struct pl_conn *c)
{
    while (!c->dead && c->read_enabled && c->can_read && !c->eof) {
        size_t have = evbuffer_get_length(c->in);
        if (have >= c->read_high)
            return; /* can_read stays set: resume when the input is consumed */
        size_t want = PL_MIN((size_t)READ_CHUNK, c->read_high - have);
        struct evbuffer_iovec v[2];
        int nv = evbuffer_reserve_space(c->in, (ev_ssize_t)want, v, 2);
        if (nv <= 0) {
            fail(c, PL_CONN_ERROR);
            return;
        }
        struct iovec iov[2];
        size_t room = 0;
        for (int i = 0; i < nv; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
            room += v[i].iov_len;
        }
        ssize_t n = readv(c->fd, iov, nv);
        if (n < 0) {
            evbuffer_commit_space(c->in, v, 0);
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->can_read = false;
                return;
            }
            if (errno == EINTR)
                continue;
            fail(c, PL_CONN_ERROR);
            return;
        }
        if (n == 0) {
            evbuffer_commit_space(c->in, v, 0);
            c->eof = true;
            c->can_read = false;
            if (c->event_cb)
                c->event_cb(c, PL_CONN_EOF, c->arg);
            return;
        }
        size_t left = (size_t)n;
        for (int i = 0; i < nv; i++) {
            size_t take = PL_MIN(left, v[i].iov_len);
            v[i].iov_len = take;
            left -= take;
        }
        evbuffer_commit_space(c->in, v, nv);
        c->last_read_ns = pl_time_mono_ns();
        /* A short read drained the socket; the next edge reports new data. With the peer's
         * FIN seen (EPOLLRDHUP) no edge would come, so keep reading until EOF. */
        if ((size_t)n < room && !c->peer_closed)
            c->can_read = false;
        if (c->read_cb)
            c->read_cb(c, c->arg);
    }
}

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct pl_conn *c = arg;
    if (c->dead)
        return;
    if (c->connecting) {
        if (!(what & (EV_WRITE | EV_CLOSED)))
            return;
        int err = 0;
        socklen_t el = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
            err = errno;
        c->connecting = false;
        if (err != 0) {
            errno = err;
            fail(c, PL_CONN_ERROR);
            return;
        }
        c->can_write = true;
        c->last_read_ns = c->last_write_ns = pl_time_mono_ns();
        if (c->timer)
            event_del(c->timer);
        arm_timer(c);
        if (c->event_cb)
            c->event_cb(c, PL_CONN_CONNECTED, c->arg);
        if (c->dead)
            return;
    }
    if (what & EV_CLOSED)
        c->peer_closed = true;
    if (what & EV_WRITE) {
        c->can_write = true;
        if (evbuffer_get_length(c->out) > 0 || c->shut_pending) {
            if (!do_write(c))
                return;
        }
    }
    if (what & (EV_READ | EV_CLOSED))
        c->can_read = true;
    if (c->want_read_cb) {
        c->want_read_cb = false;
        if (c->read_enabled && evbuffer_get_length(c->in) > 0 && c->read_cb) {
            c->read_cb(c, c->arg);
            if (c->dead)
                return;
        }
    }
    do_read(c);
}

void
pl_conn_loop_flush(struct pl_conn_loop *l)
{
    while (l->dirty) {
        struct pl_conn *c = l->dirty;
        l->dirty = c->next_dirty;
        c->dirty = false;
        if (!c->dead && !c->connecting && c->fd >= 0)
            (void)do_write(c);
    }
    if (l->on_flush)
        l->on_flush(l->on_flush_arg);
    while (l->dead) {
        struct pl_conn *c = l->dead;
        l->dead = c->next_dead;
        if (c->dirty) {
            /* Still linked in the dirty list: unlink it. */
            struct pl_conn **pp = &l->dirty;
            while (*pp && *pp != c)
                pp = &(*pp)->next_dirty;
            if (*pp)
                *pp = c->next_dirty;
        }
        release(c);
    }
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pl_conn_loop_flush(arg);
}
