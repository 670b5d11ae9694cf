/*
 * Worker threads: each owns one libevent event_base and one evdns_base and runs its loop on its
 * own thread. Nothing on the hot path is shared between workers.
 */
#ifndef PL_NET_WORKER_H
#define PL_NET_WORKER_H

#include <pthread.h>

#include "util/common.h"

struct event_base;
struct evdns_base;

struct pl_worker {
    int id;
    pthread_t thread;
    bool started;
    struct event_base *base; /* owned */
    struct evdns_base *dns;  /* owned */
};

/* Make libevent thread-aware; call once before creating any event_base. Returns 0 or -ENOSYS. */
int pl_worker_global_init(void);
/* Create the event base (no thread yet). Returns 0 or -ENOMEM. */
int pl_worker_init(struct pl_worker *w, int id);
/* Start the thread running the loop until pl_worker_stop(). Returns 0 or -errno. */
int pl_worker_start(struct pl_worker *w);
/* Ask the loop to exit (thread-safe). */
void pl_worker_stop(struct pl_worker *w);
void pl_worker_join(struct pl_worker *w);
/* Free the DNS and event bases (after join). */
void pl_worker_done(struct pl_worker *w);
/* Run fn(arg) on the worker's thread as soon as possible (thread-safe). Returns 0 or -ENOMEM. */
int pl_worker_post(struct pl_worker *w, void (*fn)(void *arg), void *arg);
/* Number of online CPUs (≥ 1). */
int pl_worker_ncpu(void);

#endif
