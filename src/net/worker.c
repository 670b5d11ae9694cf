#include "net/worker.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <unistd.h>

int
pl_worker_global_init(void)
{
    return evthread_use_pthreads() == 0 ? 0 : -ENOSYS;
}

int
pl_worker_init(struct pl_worker *w, int id)
{
    struct event_config *ec = event_config_new();
    if (!ec)
        return -ENOMEM;
    /* Single-threaded loop per worker: no need for the base's own lock on the hot path, but
     * other threads post to it, so keep locking (the default) enabled. */
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->id = id;
    w->started = false;
    w->dns = NULL;
    w->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!w->base)
        return -ENOMEM;
    /* Priorities: 0 urgent, 1 default, 2 end-of-iteration work (batched writes). */
    if (event_base_priority_init(w->base, 3) < 0)
        return -ENOMEM;
    return 0;
}

static void *
run(void *arg)
{
    struct pl_worker *w = arg;
    event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

int
pl_worker_start(struct pl_worker *w)
{
    int r = pthread_create(&w->thread, NULL, run, w);
    if (r != 0)
        return -r;
    w->started = true;
    return 0;
}

void
pl_worker_stop(struct pl_worker *w)
{
    if (w->base)
        event_base_loopbreak(w->base);
}

void
pl_worker_join(struct pl_worker *w)
{
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = false;
    }
}

void
pl_worker_done(struct pl_worker *w)
{
    if (w->dns) {
        evdns_base_free(w->dns, 1);
        w->dns = NULL;
    }
    if (w->base) {
        event_base_free(w->base);
        w->base = NULL;
    }
}

struct post {
    void (*fn)(void *);
    void *arg;
};

static void
post_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct post p = *(struct post *)arg;
    free(arg);
    p.fn(p.arg);
}

int
pl_worker_post(struct pl_worker *w, void (*fn)(void *arg), void *arg)
{
    struct post *p = malloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->fn = fn;
    p->arg = arg;
    struct timeval zero = {0, 0};
    if (event_base_once(w->base, -1, EV_TIMEOUT, post_cb, p, &zero) != 0) {
        free(p);
        return -ENOMEM;
    }
    return 0;
}

int
pl_worker_ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
