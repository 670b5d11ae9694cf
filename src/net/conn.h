/*
 * Edge-triggered TCP connections with evbuffers, written for the proxy's hot path.
 *
 * Why not bufferevents: a bufferevent registers EPOLLOUT when data is queued and removes it when
 * the buffer empties (two epoll_ctl per response), and sizes every read with ioctl(FIONREAD).
 * Here each socket is registered once (EPOLLIN|EPOLLOUT|EPOLLRDHUP, edge-triggered), reads go
 * straight into reserved evbuffer space, and output is written at the end of the current loop
 * iteration, batched across everything the callbacks queued. A proxied request then costs about
 * four syscalls.
 *
 * Callbacks: read_cb after new input arrived (only while reading is enabled); write_cb when the
 * output has drained to the low watermark after a write; event_cb with PL_CONN_CONNECTED, EOF,
 * ERROR or TIMEOUT. Any callback may call pl_conn_free(); memory is released at the end of the
 * loop iteration, so the code that invoked the callback never touches freed memory.
 */
#ifndef PL_NET_CONN_H
#define PL_NET_CONN_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <sys/socket.h>

#include "util/common.h"

enum {
    PL_CONN_CONNECTED = 0x01,
    PL_CONN_EOF = 0x02,
    PL_CONN_ERROR = 0x04,
    PL_CONN_TIMEOUT = 0x08,
};

struct pl_conn;
typedef void (*pl_conn_cb)(struct pl_conn *c, void *arg);
typedef void (*pl_conn_event_cb)(struct pl_conn *c, short what, void *arg);

/* Per-worker state: the deferred-write queue and the graveyard. */
struct pl_conn_loop {
    struct event_base *base;     /* borrowed */
    struct event *flush_ev;      /* owned; lowest priority, runs after the iteration's callbacks */
    struct pl_conn *dirty;       /* conns with output to write */
    struct pl_conn *dead;        /* conns to free */
    void (*on_flush)(void *arg); /* called at the end of every flush (audit batching) */
    void *on_flush_arg;
};

/* base must have had event_base_priority_init(base, 3) before any event was added. */
int pl_conn_loop_init(struct pl_conn_loop *l, struct event_base *base);
/* Free everything queued; call after the loop has stopped. */
void pl_conn_loop_done(struct pl_conn_loop *l);
/* Run pending writes and frees now (also done automatically each iteration). */
void pl_conn_loop_flush(struct pl_conn_loop *l);

/* Wrap an accepted, non-blocking fd (-1: create the socket in pl_conn_connect). */
struct pl_conn *pl_conn_new(struct pl_conn_loop *l, evutil_socket_t fd);
void pl_conn_setcb(struct pl_conn *c, pl_conn_cb read_cb, pl_conn_cb write_cb,
                   pl_conn_event_cb event_cb, void *arg);
/* Start a non-blocking connect; PL_CONN_CONNECTED or ERROR/TIMEOUT follows. Returns 0 or
 * -errno when it fails at once. */
int pl_conn_connect(struct pl_conn *c, const struct sockaddr *sa, socklen_t len,
                    int timeout_seconds);
/* Close the socket now, free the memory at the end of the loop iteration. Accepts NULL. */
void pl_conn_free(struct pl_conn *c);

struct evbuffer *pl_conn_input(struct pl_conn *c);
struct evbuffer *pl_conn_output(struct pl_conn *c);
evutil_socket_t pl_conn_fd(const struct pl_conn *c);

void pl_conn_enable_read(struct pl_conn *c);
void pl_conn_disable_read(struct pl_conn *c);
/* Stop reading while the input holds ≥ high bytes (0 = 256 KiB). */
void pl_conn_set_read_high(struct pl_conn *c, size_t high);
/* Call write_cb once output has drained to ≤ low bytes after a write. */
void pl_conn_set_write_low(struct pl_conn *c, size_t low);
/*
 * read_idle: PL_CONN_TIMEOUT when reading is enabled and nothing arrived for that many seconds;
 * write_stall: when output is pending and nothing could be written for that long. 0 = off.
 */
void pl_conn_set_timeouts(struct pl_conn *c, int read_idle, int write_stall);
/* Run read_cb from the loop soon even without new bytes (input already buffered). */
void pl_conn_trigger_read(struct pl_conn *c);
/* Shut down the sending side once all queued output has been written. */
void pl_conn_shutdown_write(struct pl_conn *c);

#endif
