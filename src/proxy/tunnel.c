/*
 * Opaque CONNECT tunnels: after the host checks and the pinned dial, relay bytes both ways with
 * backpressure, honour half-close, and end on idle timeout or max_tunnel_seconds.
 */
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy_int.h"
#include "util/time.h"

static void
tunnel_finish(struct pl_req *r, const char *why)
{
    struct pl_client *c = r->c;
    struct pl_audit *audit = c->w->proxy->audit;
    struct pl_audit_event ev;
    pl_audit_begin(audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_OTHER, "tunnel_close", "tunnel closed");
    if (ev.active) {
        pl_json_str(&ev.j, "target", r->h.target);
        pl_json_cstr(&ev.j, "client_ip", c->peer);
        pl_json_cstr(&ev.j, "request_id", r->id);
        pl_json_cstr(&ev.j, "agent", r->agent);
        pl_json_uint(&ev.j, "total_bytes", r->bytes_to_client + r->bytes_to_upstream);
        pl_json_double(&ev.j, "duration_ms", (double)(pl_time_mono_ns() - r->t_start) / 1e6, 3);
        pl_json_cstr(&ev.j, "reason", why);
    }
    pl_audit_emit(audit, &ev);
    pl_metric_agent_inc(PL_MC_TUN_COMPLETED, r->agent);
    pl_metric_observe(PL_MH_TUNNEL_DURATION, pl_time_mono_ns() - r->t_start);
    pl_metric_add(PL_MU_TUNNEL_BYTES, r->bytes_to_client + r->bytes_to_upstream);
    if (r->up) {
        pl_upstream_free(r->up);
        r->up = NULL;
    }
    c->close_after = true;
    pl_client_request_done(c);
}

static void
arm(struct pl_req *r)
{
    const struct pl_config *cfg = r->pol->cfg;
    uint64_t now = pl_time_mono_ns();
    uint64_t idle_at =
        r->tunnel_last_ns + (uint64_t)cfg->forward_proxy.idle_timeout_seconds * 1000000000u;
    uint64_t at = PL_MIN(idle_at, r->tunnel_deadline_ns);
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = {(time_t)(d / 1000000000u), (suseconds_t)((d % 1000000000u) / 1000)};
    evtimer_add(r->timer, &tv);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_req *r = arg;
    const struct pl_config *cfg = r->pol->cfg;
    uint64_t now = pl_time_mono_ns();
    if (now >= r->tunnel_deadline_ns) {
        tunnel_finish(r, "max_tunnel_seconds reached");
        return;
    }
    if (now - r->tunnel_last_ns >=
        (uint64_t)cfg->forward_proxy.idle_timeout_seconds * 1000000000u) {
        tunnel_finish(r, "idle timeout");
        return;
    }
    arm(r);
}

/* Move everything buffered from src to dst; pause src when dst is backed up. */
static void
relay(struct pl_req *r, struct pl_conn *src, struct pl_conn *dst, uint64_t *count)
{
    struct evbuffer *in = pl_conn_input(src);
    struct evbuffer *out = pl_conn_output(dst);
    size_t n = evbuffer_get_length(in);
    if (n == 0)
        return;
    evbuffer_add_buffer(out, in);
    *count += n;
    r->tunnel_last_ns = pl_time_mono_ns();
    if (evbuffer_get_length(out) >= PL_PIPE_HIGH)
        pl_conn_disable_read(src);
}

/* Propagate half-closes (after the queued bytes); end the tunnel when both sides are done. */
static void
shut_if_drained(struct pl_req *r)
{
    if (r->client_eof && !r->upstream_shut && r->up) {
        pl_conn_shutdown_write(r->up->bev);
        r->upstream_shut = true;
    }
    if (r->upstream_eof && !r->client_shut) {
        pl_conn_shutdown_write(r->c->bev);
        r->client_shut = true;
    }
    if (r->client_eof && r->upstream_eof)
        tunnel_finish(r, "closed");
}

void
pl_tunnel_established(struct pl_req *r)
{
    struct pl_client *c = r->c;
    const struct pl_config *cfg = r->pol->cfg;
    struct pl_proxy *px = c->w->proxy;
    atomic_fetch_add(&px->n_tunnels, 1);
    r->state = PL_REQ_TUNNEL;
    r->status = 200;
    r->timer = evtimer_new(c->w->w.base, timer_cb, r);
    if (!r->timer) {
        tunnel_finish(r, "out of memory");
        return;
    }
    static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
    evbuffer_add(pl_conn_output(c->bev), ok, sizeof(ok) - 1);

    struct pl_audit_event ev;
    pl_audit_begin(px->audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_OTHER, "tunnel_open",
                   "tunnel opened");
    if (ev.active) {
        pl_json_str(&ev.j, "target", r->h.target);
        pl_json_cstr(&ev.j, "client_ip", c->peer);
        pl_json_cstr(&ev.j, "request_id", r->id);
        pl_json_cstr(&ev.j, "agent", r->agent);
    }
    pl_audit_emit(px->audit, &ev);

    r->tunnel_last_ns = pl_time_mono_ns();
    r->tunnel_deadline_ns =
        r->tunnel_last_ns + (uint64_t)cfg->forward_proxy.max_tunnel_seconds * 1000000000u;
    arm(r);
    pl_conn_enable_read(c->bev);
    pl_conn_enable_read(r->up->bev);
    /* The client may have sent its first bytes (TLS ClientHello) right after CONNECT. */
    relay(r, c->bev, r->up->bev, &r->bytes_to_upstream);
}

void
pl_tunnel_client_readable(struct pl_req *r)
{
    if (r->state == PL_REQ_TUNNEL && r->up)
        relay(r, r->c->bev, r->up->bev, &r->bytes_to_upstream);
}

void
pl_tunnel_upstream_readable(struct pl_req *r)
{
    if (r->state == PL_REQ_TUNNEL)
        relay(r, r->up->bev, r->c->bev, &r->bytes_to_client);
}

void
pl_tunnel_client_drained(struct pl_req *r)
{
    if (r->state != PL_REQ_TUNNEL || !r->up)
        return;
    if (!r->upstream_eof)
        pl_conn_enable_read(r->up->bev);
    shut_if_drained(r);
}

void
pl_tunnel_upstream_drained(struct pl_req *r)
{
    if (r->state != PL_REQ_TUNNEL)
        return;
    if (!r->client_eof)
        pl_conn_enable_read(r->c->bev);
    shut_if_drained(r);
}

void
pl_tunnel_client_event(struct pl_req *r, short what)
{
    if (what & PL_CONN_EOF) {
        relay(r, r->c->bev, r->up->bev, &r->bytes_to_upstream);
        r->client_eof = true;
        shut_if_drained(r);
        return;
    }
    tunnel_finish(r, "client error");
}

void
pl_tunnel_upstream_event(struct pl_req *r, short what)
{
    if (r->state != PL_REQ_TUNNEL) {
        tunnel_finish(r, "upstream error");
        return;
    }
    if (what & PL_CONN_EOF) {
        relay(r, r->up->bev, r->c->bev, &r->bytes_to_client);
        r->upstream_eof = true;
        shut_if_drained(r);
        return;
    }
    tunnel_finish(r, "upstream error");
}
