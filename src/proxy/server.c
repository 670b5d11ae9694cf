/*
 * The daemon: one listening socket per worker (SO_REUSEPORT), the main thread's signal loop, and
 * graceful drain.
 */
#include <event2/dns.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/sock.h"
#include "obs/emit.h"
#include "policy/reload.h"
#include "proxy/proxy_int.h"
#include "util/log.h"

#include "pl_build.h"

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
    (void)l;
    (void)socklen;
    pl_client_accept(arg, fd, sa, PL_ROLE_MAIN);
}

static void accept_error_cb(struct evconnlistener *l, void *arg);

static void
admin_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen,
                void *arg)
{
    (void)l;
    (void)socklen;
    pl_client_accept(arg, fd, sa, PL_ROLE_ADMIN);
}

static void
metrics_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen,
                  void *arg)
{
    (void)l;
    (void)socklen;
    pl_client_accept(arg, fd, sa, PL_ROLE_METRICS);
}

/*
 * A listener of its own for a side service (kill_switch.api_listen, metrics_listen), served by
 * worker 0: a handful of requests a minute. key names the setting in messages.
 */
static int
side_listen(struct pl_proxy *px, const char *addr, const char *key, evconnlistener_cb cb,
            struct evconnlistener **ret, char **ret_err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char msg[400];
    if (!addr || !*addr)
        return 0;
    if (pl_sock_parse_addr(addr, &ss, &sl) < 0) {
        snprintf(msg, sizeof(msg), "invalid %s address \"%s\"", key, addr);
        *ret_err = pl_xstrdup(msg);
        return -EINVAL;
    }
    int fd = pl_sock_listen(&ss, sl, false, 64);
    if (fd < 0) {
        snprintf(msg, sizeof(msg), "cannot listen on %s (%s): %s", addr, key, strerror(-fd));
        *ret_err = pl_xstrdup(msg);
        return fd;
    }
    struct pl_wctx *w = &px->workers[0];
    *ret =
        evconnlistener_new(w->w.base, cb, w, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!*ret) {
        close(fd);
        snprintf(msg, sizeof(msg), "cannot create the %s listener", key);
        *ret_err = pl_xstrdup(msg);
        return -ENOMEM;
    }
    evconnlistener_set_error_cb(*ret, accept_error_cb);
    return 0;
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
    (void)l;
    (void)arg;
    int e = EVUTIL_SOCKET_ERROR();
    /* EMFILE/ENFILE/ENOBUFS: keep running; libevent retries on the next readiness. */
    pl_warn("accept failed: %s", evutil_socket_error_to_string(e));
}

static void
audit_flush(void *arg)
{
    struct pl_wctx *w = arg;
    pl_audit_batch_flush(&w->abatch);
}

static void
audit_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    audit_flush(arg);
}

/* First thing each worker thread runs: send its audit lines through its batch. */
static void
worker_thread_start(void *arg)
{
    struct pl_wctx *w = arg;
    pl_audit_use_batch(&w->abatch);
    pl_metrics_use(w->proxy->metrics, (int)(w - w->proxy->workers));
}

static int
wctx_init(struct pl_proxy *px, struct pl_wctx *w, int id, const struct sockaddr_storage *ss,
          socklen_t sl, char **ret_err)
{
    const struct pl_config *cfg = px->pol->cfg;
    char msg[400];
    w->proxy = px;
    w->listen_fd = -1;
    w->pol = pl_policy_ref(px->pol);
    pl_buf_init(&w->scratch, (size_t)cfg->server.max_header_bytes * 2 + 4096);
    w->dlp = pl_dlp_scratch_new();
    w->inj = pl_inject_scratch_new();
    if (!w->dlp || !w->inj)
        return -ENOMEM;
    w->req_limits.max_start_line = (size_t)cfg->server.max_request_line;
    w->req_limits.max_head = (size_t)cfg->server.max_header_bytes;
    w->req_limits.max_headers = (size_t)cfg->server.max_headers;
    w->resp_limits.max_start_line = 8192;
    w->resp_limits.max_head = PL_MAX((size_t)cfg->server.max_header_bytes, 65536);
    w->resp_limits.max_headers = PL_H1_MAX_HEADERS;
    int r = pl_worker_init(&w->w, id);
    if (r == 0)
        r = pl_conn_loop_init(&w->loop, w->w.base);
    if (r < 0) {
        *ret_err = pl_xstrdup("cannot create event loop");
        return r;
    }
    pl_audit_batch_init(&w->abatch, px->audit);
    w->loop.on_flush = audit_flush;
    w->loop.on_flush_arg = w;
    w->audit_timer = event_new(w->w.base, -1, EV_PERSIST, audit_timer_cb, w);
    struct timeval every = {0, 200 * 1000};
    if (!w->audit_timer || event_add(w->audit_timer, &every) < 0) {
        *ret_err = pl_xstrdup("cannot create event loop");
        return -ENOMEM;
    }
    struct pl_dns_opts dopt = {
        .resolvers = cfg->dns.resolvers.v,
        .n_resolvers = cfg->dns.resolvers.n,
        .timeout_ms = cfg->dns.timeout_ms,
        .attempts = cfg->dns.attempts,
    };
    r = pl_dns_new(w->w.base, &dopt, &w->w.dns, ret_err);
    if (r < 0)
        return r;
    int fd = pl_sock_listen(ss, sl, true, 4096);
    if (fd < 0) {
        snprintf(msg, sizeof(msg), "cannot listen on %s: %s", px->listen_text, strerror(-fd));
        *ret_err = pl_xstrdup(msg);
        return fd;
    }
    w->listen_fd = fd;
    w->listener = evconnlistener_new(w->w.base, accept_cb, w,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!w->listener) {
        close(fd);
        *ret_err = pl_xstrdup("cannot create listener");
        return -ENOMEM;
    }
    evconnlistener_set_error_cb(w->listener, accept_error_cb);
    return 0;
}

static void
wctx_done(struct pl_wctx *w)
{
    /* Final teardown (loops stopped): nothing may be posted to the main loop any more. */
    w->draining = false;
    while (w->clients)
        pl_client_free(w->clients);
    pl_pool_done(&w->pool);
    pl_req_pool_done(w);
    if (w->listener) {
        evconnlistener_free(w->listener);
        w->listener = NULL;
    }
    if (w->admin) {
        evconnlistener_free(w->admin);
        w->admin = NULL;
    }
    if (w->metrics_l) {
        evconnlistener_free(w->metrics_l);
        w->metrics_l = NULL;
    }
    if (w->audit_timer) {
        event_free(w->audit_timer);
        w->audit_timer = NULL;
    }
    if (w->loop.base)
        pl_conn_loop_done(&w->loop);
    pl_audit_batch_done(&w->abatch);
    pl_worker_done(&w->w);
    pl_buf_done(&w->scratch);
    pl_dlp_scratch_free(w->dlp);
    w->dlp = NULL;
    pl_inject_scratch_free(w->inj);
    w->inj = NULL;
    pl_policy_unref(w->pol);
    w->pol = NULL;
}

void
pl_proxy_set_cli_overrides(struct pl_proxy *px, int mode, bool listen, bool resolvers)
{
    px->cli_mode = mode;
    px->cli_fixed = (listen ? PL_RELOAD_CLI_LISTEN : 0) | (resolvers ? PL_RELOAD_CLI_RESOLVERS : 0);
}

/* Agent profiles get their own metric label: the `agents:` names and proxy_auth's. */
void
pl_proxy_register_agents(struct pl_proxy *px, const struct pl_config *cfg)
{
    for (size_t i = 0; i < cfg->agent_profiles.n; i++)
        if (!pl_metrics_register_agent(px->metrics, cfg->agent_profiles.v[i]))
            pl_warn("agent %s: more than %d agent profiles; its metrics count as _default",
                    cfg->agent_profiles.v[i], PL_METRICS_AGENTS - 1);
    for (size_t i = 0; i < cfg->proxy_auth.agents.n; i++)
        if (!pl_metrics_register_agent(px->metrics, cfg->proxy_auth.agents.v[i].name))
            pl_warn("agent %s: more than %d agent profiles; its metrics count as _default",
                    cfg->proxy_auth.agents.v[i].name, PL_METRICS_AGENTS - 1);
}

int
pl_proxy_new(struct pl_config *cfg, struct pl_audit *audit, struct pl_proxy **ret, char **ret_err)
{
    char msg[400];
    struct sockaddr_storage ss;
    socklen_t sl;
    struct pl_proxy *px = calloc(1, sizeof(*px));
    if (!px) {
        pl_config_free(cfg);
        return -ENOMEM;
    }
    int r = pl_policy_new(cfg, &px->pol, ret_err);
    if (r < 0) {
        free(px);
        return r;
    }
    cfg = px->pol->cfg;
    px->audit = audit;
    pthread_mutex_init(&px->api_mu, NULL);
    px->inotify_fd = -1;
    px->cli_mode = -1;
    px->rl = pl_ratelimit_new(0);
    if (!px->rl) {
        r = -ENOMEM;
        goto fail;
    }
    snprintf(px->listen_text, sizeof(px->listen_text), "%s", cfg->fetch_proxy.listen);
    if (pl_sock_parse_addr(cfg->fetch_proxy.listen, &ss, &sl) < 0) {
        snprintf(msg, sizeof(msg), "invalid listen address \"%s\"", cfg->fetch_proxy.listen);
        *ret_err = pl_xstrdup(msg);
        r = -EINVAL;
        goto fail;
    }
    r = pl_sock_probe_free(&ss, sl);
    if (r < 0) {
        snprintf(msg, sizeof(msg), "cannot listen on %s: %s", px->listen_text, strerror(-r));
        *ret_err = pl_xstrdup(msg);
        goto fail;
    }
    r = pl_worker_global_init();
    if (r < 0) {
        *ret_err = pl_xstrdup("libevent has no thread support");
        goto fail;
    }
    px->n_workers = cfg->server.workers > 0 ? cfg->server.workers : pl_worker_ncpu();
    px->workers = calloc((size_t)px->n_workers, sizeof(*px->workers));
    if (!px->workers) {
        r = -ENOMEM;
        goto fail;
    }
    for (int i = 0; i < px->n_workers; i++) {
        r = wctx_init(px, &px->workers[i], i, &ss, sl, ret_err);
        if (r < 0)
            goto fail;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    px->started_wall = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    px->metrics = pl_metrics_new(px->n_workers);
    if (!px->metrics) {
        r = -ENOMEM;
        goto fail;
    }
    pl_metrics_use(px->metrics, -1); /* the main thread: signals, reloads, start-up */
    pl_proxy_register_agents(px, cfg);
    struct pl_emit *em = NULL;
    r = pl_emit_new(cfg, px->metrics, &em, ret_err);
    if (r < 0)
        goto fail;
    pl_audit_set_emit(px->audit, em);
    r = side_listen(px, cfg->kill_switch.api_listen, "kill_switch.api_listen", admin_accept_cb,
                    &px->workers[0].admin, ret_err);
    if (r == 0)
        r = side_listen(px, cfg->metrics_listen, "metrics_listen", metrics_accept_cb,
                        &px->workers[0].metrics_l, ret_err);
    if (r < 0)
        goto fail;
    /* The approver exists only when `ask` is configured at startup (as in the reference):
     * a reload into ask without it blocks. */
    const char *act = cfg->response_scanning.action;
    if (cfg->response_scanning.enabled && act && !strcmp(act, "ask")) {
        px->hitl = pl_hitl_new(STDIN_FILENO, STDERR_FILENO);
        if (!px->hitl)
            pl_warn("response_scanning.action is ask but standard input is not a terminal: "
                    "findings will be blocked");
    }
    *ret = px;
    return 0;
fail:
    pl_proxy_free(px);
    return r;
}

void
pl_proxy_free(struct pl_proxy *px)
{
    if (!px)
        return;
    for (int i = 0; px->workers && i < px->n_workers; i++)
        if (px->workers[i].proxy)
            wctx_done(&px->workers[i]);
    free(px->workers);
    pl_hitl_free(px->hitl); /* after the workers: their requests cancelled their tickets */
    if (px->main_base)
        event_base_free(px->main_base);
    pl_policy_unref(px->pol);
    pl_ratelimit_free(px->rl);
    pl_audit_close_emit(px->audit, 0); /* the sink threads count into px->metrics */
    pl_metrics_free(px->metrics);
    pthread_mutex_destroy(&px->api_mu);
    free(px);
}

/* ------------------------------------------------------------------ drain */

static void
main_worker_drained(void *arg)
{
    struct pl_proxy *px = arg;
    if (atomic_fetch_sub(&px->live_workers, 1) == 1)
        event_base_loopbreak(px->main_base);
}

void
pl_server_worker_drained(struct pl_wctx *w)
{
    if (!w->draining || w->n_clients != 0 || w->listen_fd == -2)
        return;
    w->listen_fd = -2; /* reported once */
    struct pl_worker mainw = {.base = w->proxy->main_base};
    pl_worker_post(&mainw, main_worker_drained, w->proxy);
}

static void
worker_begin_drain(void *arg)
{
    struct pl_wctx *w = arg;
    w->draining = true;
    if (w->listener) {
        evconnlistener_free(w->listener);
        w->listener = NULL;
    }
    if (w->admin) {
        evconnlistener_free(w->admin);
        w->admin = NULL;
    }
    if (w->metrics_l) {
        evconnlistener_free(w->metrics_l);
        w->metrics_l = NULL;
    }
    pl_pool_done(&w->pool);
    pl_client_drain_idle(w);
    pl_server_worker_drained(w);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct pl_proxy *px = arg;
    if (px->draining) {
        pl_info("second signal: stopping now");
        event_base_loopbreak(px->main_base);
        return;
    }
    px->draining = true;
    pl_info("received %s, draining connections (up to %d s)", sig == SIGINT ? "SIGINT" : "SIGTERM",
            px->pol->cfg->server.drain_seconds);
    atomic_store(&px->live_workers, px->n_workers);
    for (int i = 0; i < px->n_workers; i++)
        pl_worker_post(&px->workers[i].w, worker_begin_drain, &px->workers[i]);
    struct timeval tv = {px->pol->cfg->server.drain_seconds, 0};
    event_base_loopexit(px->main_base, &tv);
}

/* SIGUSR1 toggles the signal source of the kill switch. */
static void
usr1_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    struct pl_proxy *px = arg;
    bool was = pl_ks_active(&px->ks, px->pol->cfg) != PL_KS_NONE;
    bool on = !atomic_load(&px->ks.signal);
    atomic_store(&px->ks.signal, on);
    pl_ks_changed(px, px->pol->cfg, PL_KS_SIGNAL, on, was);
}

/* The sentinel is stat()ed on every request; this poll also cuts what is already open. */
static void
sentinel_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pl_proxy *px = arg;
    const struct pl_config *cfg = px->pol->cfg;
    bool on = pl_ks_sentinel_present(cfg->kill_switch.sentinel_file);
    if (on == px->sentinel_on)
        return;
    /* Active through another source already: those cut when they came on. */
    bool was = cfg->kill_switch.enabled || atomic_load(&px->ks.api) || atomic_load(&px->ks.signal);
    px->sentinel_on = on;
    pl_ks_changed(px, cfg, PL_KS_SENTINEL, on, was);
}

int
pl_reload_sentinel(struct pl_proxy *px)
{
    const char *sentinel = px->pol->cfg->kill_switch.sentinel_file;
    if (!sentinel || !*sentinel || px->sentinel_timer)
        return 0;
    px->sentinel_on = pl_ks_sentinel_present(sentinel);
    px->sentinel_timer = event_new(px->main_base, -1, EV_PERSIST, sentinel_cb, px);
    struct timeval every = {0, 50 * 1000};
    if (!px->sentinel_timer || event_add(px->sentinel_timer, &every) < 0)
        return -ENOMEM;
    return 0;
}

static void
log_lifecycle(struct pl_proxy *px, bool start, const char *reason)
{
    struct pl_audit_event ev;
    const struct pl_config *cfg = px->pol->cfg;
    pl_audit_begin(px->audit, &ev, PL_AUDIT_INFO, PL_AUDIT_KIND_OTHER,
                   start ? "startup" : "shutdown",
                   start ? "pipelock started" : "pipelock stopping");
    if (ev.active) {
        if (start) {
            pl_json_cstr(&ev.j, "listen", cfg->fetch_proxy.listen);
            pl_json_cstr(&ev.j, "mode", pl_mode_name(cfg->mode));
            pl_json_cstr(&ev.j, "version", PL_VERSION);
            pl_json_cstr(&ev.j, "config_hash", cfg->hash);
            /* What the scanning engine costs: patterns, compiled size, compile time. */
            pl_json_uint(&ev.j, "dlp_patterns", pl_dlp_db_count(px->pol->dlp));
            pl_json_uint(&ev.j, "dlp_db_bytes", pl_dlp_db_bytes(px->pol->dlp));
            pl_json_double(&ev.j, "dlp_compile_ms", (double)px->pol->dlp_compile_ns / 1e6, 1);
        } else {
            pl_json_cstr(&ev.j, "reason", reason);
        }
    }
    pl_audit_emit(px->audit, &ev);
}

int
pl_proxy_run(struct pl_proxy *px)
{
    struct event *sigs[3] = {NULL, NULL, NULL};
    int r = 0;
    signal(SIGPIPE, SIG_IGN);
    px->main_base = event_base_new();
    if (!px->main_base)
        return -ENOMEM;
    sigs[0] = evsignal_new(px->main_base, SIGTERM, signal_cb, px);
    sigs[1] = evsignal_new(px->main_base, SIGINT, signal_cb, px);
    sigs[2] = evsignal_new(px->main_base, SIGUSR1, usr1_cb, px);
    if (!sigs[0] || !sigs[1] || !sigs[2] || evsignal_add(sigs[0], NULL) ||
        evsignal_add(sigs[1], NULL) || evsignal_add(sigs[2], NULL)) {
        r = -ENOMEM;
        goto out;
    }
    if ((r = pl_reload_sentinel(px)) < 0 || (r = pl_reload_start(px)) < 0)
        goto out;
    for (int i = 0; i < px->n_workers; i++) {
        pl_worker_post(&px->workers[i].w, worker_thread_start, &px->workers[i]);
        r = pl_worker_start(&px->workers[i].w);
        if (r < 0)
            goto stop;
    }
    log_lifecycle(px, true, NULL);
    event_base_loop(px->main_base, EVLOOP_NO_EXIT_ON_EMPTY);
stop:
    for (int i = 0; i < px->n_workers; i++)
        pl_worker_stop(&px->workers[i].w);
    for (int i = 0; i < px->n_workers; i++)
        pl_worker_join(&px->workers[i].w);
    for (int i = 0; i < px->n_workers; i++)
        pl_audit_batch_flush(&px->workers[i].abatch);
    log_lifecycle(px, false, px->draining ? "signal" : "error");
    pl_audit_close_emit(px->audit, 2000); /* deliver what is queued, the shutdown included */
out:
    for (int i = 0; i < 3; i++)
        if (sigs[i])
            event_free(sigs[i]);
    if (px->sentinel_timer) {
        event_free(px->sentinel_timer);
        px->sentinel_timer = NULL;
    }
    pl_reload_stop(px);
    return r;
}
